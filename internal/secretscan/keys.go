// Package secretscan verifies GitHub's secret-scanning partner reports: the ECDSA P-256 /
// SHA-256 signature GitHub puts in Github-Public-Key-Signature, checked against the public key
// Github-Public-Key-Identifier names, from a key file in the format GitHub publishes at
// https://api.github.com/meta/public_keys/secret_scanning. It is standard library only and
// does no I/O beyond reading the key file it is given.
package secretscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// ErrInvalidSignature is every verification failure: a missing header, an unknown key id, a
// malformed or wrong signature. The endpoint answers them all alike.
var ErrInvalidSignature = errors.New("invalid signature")

// KeySet holds GitHub's secret-scanning public keys by identifier.
type KeySet struct {
	keys map[string]*ecdsa.PublicKey
}

// keyFile is GitHub's public_keys document.
type keyFile struct {
	PublicKeys []struct {
		KeyIdentifier string `json:"key_identifier"`
		Key           string `json:"key"`
		IsCurrent     bool   `json:"is_current"`
	} `json:"public_keys"`
}

// LoadKeys reads a key file in GitHub's public_keys format.
func LoadKeys(path string) (*KeySet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret-scanning keys: %w", err)
	}
	return ParseKeys(data)
}

// ParseKeys parses GitHub's public_keys JSON. Every key must be an ECDSA P-256 public key in
// PEM; a file with none is an error (the endpoint could then verify nothing).
func ParseKeys(data []byte) (*KeySet, error) {
	var f keyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("secret-scanning keys: %w", err)
	}
	ks := &KeySet{keys: map[string]*ecdsa.PublicKey{}}
	for _, k := range f.PublicKeys {
		block, _ := pem.Decode([]byte(k.Key))
		if block == nil {
			return nil, fmt.Errorf("secret-scanning keys: key %q is not PEM", k.KeyIdentifier)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("secret-scanning keys: key %q: %w", k.KeyIdentifier, err)
		}
		ec, ok := pub.(*ecdsa.PublicKey)
		if !ok || ec.Curve != elliptic.P256() {
			return nil, fmt.Errorf("secret-scanning keys: key %q is not an ECDSA P-256 key", k.KeyIdentifier)
		}
		ks.keys[k.KeyIdentifier] = ec
	}
	if len(ks.keys) == 0 {
		return nil, errors.New("secret-scanning keys: the file holds no key")
	}
	return ks, nil
}

// Verify checks signature (base64 of an ASN.1 ECDSA signature) over the raw body with the
// key named keyID. GitHub's signatures carry no time: a replayed report verifies, and it is
// the handling of the report that makes a replay harmless (it changes nothing twice).
func (ks *KeySet) Verify(keyID, signature string, body []byte) error {
	if ks == nil || keyID == "" || signature == "" {
		return ErrInvalidSignature
	}
	key, ok := ks.keys[keyID]
	if !ok {
		return ErrInvalidSignature
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return ErrInvalidSignature
	}
	digest := sha256.Sum256(body)
	if !ecdsa.VerifyASN1(key, digest[:], sig) {
		return ErrInvalidSignature
	}
	return nil
}
