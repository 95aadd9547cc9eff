package secretscan

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"sort"
)

// KeyFile writes public keys in GitHub's public_keys format, the first (by identifier) marked
// current: what tests (and an operator preparing a file by hand) give LoadKeys.
func KeyFile(keys map[string]*ecdsa.PublicKey) ([]byte, error) {
	ids := make([]string, 0, len(keys))
	for id := range keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var f keyFile
	for i, id := range ids {
		der, err := x509.MarshalPKIXPublicKey(keys[id])
		if err != nil {
			return nil, err
		}
		pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		f.PublicKeys = append(f.PublicKeys, struct {
			KeyIdentifier string `json:"key_identifier"`
			Key           string `json:"key"`
			IsCurrent     bool   `json:"is_current"`
		}{id, pemKey, i == 0})
	}
	return json.MarshalIndent(f, "", "  ")
}
