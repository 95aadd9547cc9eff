package secretscan

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"
)

func TestVerify(t *testing.T) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	data, err := KeyFile(map[string]*ecdsa.PublicKey{"k1": &priv.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	ks, err := ParseKeys(data)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"token":"x","type":"t","url":"u","source":"s"}]`)
	digest := sha256.Sum256(body)
	raw, err := ecdsa.SignASN1(rand.Reader, priv, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := base64.StdEncoding.EncodeToString(raw)
	if err := ks.Verify("k1", sig, body); err != nil {
		t.Fatalf("good signature: %v", err)
	}
	for name, c := range map[string][3]string{
		"wrong key id":   {"k2", sig, string(body)},
		"no key id":      {"", sig, string(body)},
		"no signature":   {"k1", "", string(body)},
		"not base64":     {"k1", "!!", string(body)},
		"other body":     {"k1", sig, string(body) + " "},
		"garbage as sig": {"k1", base64.StdEncoding.EncodeToString([]byte("garbage")), string(body)},
	} {
		if err := ks.Verify(c[0], c[1], []byte(c[2])); !errors.Is(err, ErrInvalidSignature) {
			t.Errorf("%s: %v, want ErrInvalidSignature", name, err)
		}
	}
}

func TestParseKeysRefusesBadFiles(t *testing.T) {
	for name, data := range map[string]string{
		"not json": `nope`,
		"empty":    `{"public_keys": []}`,
		"not pem":  `{"public_keys": [{"key_identifier": "a", "key": "abc"}]}`,
	} {
		if _, err := ParseKeys([]byte(data)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}
