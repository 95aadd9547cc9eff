package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// checkDetail checks a Sentry error answer: JSON, exactly {"detail": want}, and on a 401 the
// WWW-Authenticate header Sentry sends.
func checkDetail(t *testing.T, res *apptest.Response, want string) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil || len(body) != 1 || body["detail"] != want {
		t.Errorf("body %q, want {\"detail\": %q}", res.Body, want)
	}
	auth := res.Header.Get("WWW-Authenticate")
	switch {
	case res.Status == http.StatusUnauthorized && auth != `xBasic realm="api"`:
		t.Errorf("WWW-Authenticate %q, want xBasic realm=\"api\"", auth)
	case res.Status != http.StatusUnauthorized && auth != "":
		t.Errorf("WWW-Authenticate %q on a %d", auth, res.Status)
	}
}
