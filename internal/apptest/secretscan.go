package apptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/tokenboard/tokenboard/internal/secretscan"
)

// SecretScanningKeyID names the key the test server trusts for GitHub's reports.
const SecretScanningKeyID = "test-key-1"

// newSecretScanningKey makes the ECDSA P-256 key pair of one test server and the key set
// holding its public half, as the --secret-scanning-keys file would.
func newSecretScanningKey(t testing.TB) (*ecdsa.PrivateKey, *secretscan.KeySet) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	file, err := secretscan.KeyFile(map[string]*ecdsa.PublicKey{SecretScanningKeyID: &priv.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := secretscan.ParseKeys(file)
	if err != nil {
		t.Fatal(err)
	}
	return priv, keys
}

// SignReport signs body as GitHub does: base64 of the ASN.1 ECDSA signature of its SHA-256,
// with the test server's key.
func (a *App) SignReport(t testing.TB, body []byte) string {
	t.Helper()
	digest := sha256.Sum256(body)
	sig, err := ecdsa.SignASN1(rand.Reader, a.scanKey, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// PostReport sends a secret-scanning report with the headers given (no cookies): keyID and
// signature go into GitHub's headers when not empty.
func (a *App) PostReport(t testing.TB, body []byte, contentType, keyID, signature string) *Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, a.URL+"/api/0/secret-scanning/github/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if keyID != "" {
		req.Header.Set("Github-Public-Key-Identifier", keyID)
	}
	if signature != "" {
		req.Header.Set("Github-Public-Key-Signature", signature)
	}
	return do(t, &http.Client{}, req)
}

// ExposureEntry is one token of a secret-scanning report, in GitHub's JSON shape.
type ExposureEntry struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// ReportExposed sends a correctly signed secret-scanning report of the entries, as GitHub
// would, and fails the test unless it is answered 200.
func (a *App) ReportExposed(t testing.TB, entries ...ExposureEntry) *Response {
	t.Helper()
	body, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	res := a.PostReport(t, body, "application/json", SecretScanningKeyID, a.SignReport(t, body))
	if res.Status != http.StatusOK {
		t.Fatalf("secret-scanning report: %d %s", res.Status, res.Body)
	}
	return res
}
