package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// A browser sends cached Basic credentials (behind a proxy, say) on its own: such a request
// must neither skip the CSRF check nor be answered by the session cookie.
func TestNonBearerAuthorizationDoesNotBypassCSRFOrUseTheSession(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	c := app.LoginAs(t, "owner@acme.test")
	mint := func(headers map[string]string, withToken bool) int {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/api/0/api-tokens/", strings.NewReader(`{"scopes":["org:read"]}`))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Authorization", "Basic b3duZXI6cGFzcw==")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		if withToken {
			req.Header.Set("X-CSRF-Token", c.CSRF())
		}
		return c.Do(req).Status
	}
	if got := mint(map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false); got != http.StatusForbidden {
		t.Errorf("cross-site with Basic credentials: status %d, want 403", got)
	}
	if got := mint(nil, false); got != http.StatusForbidden {
		t.Errorf("no CSRF token with Basic credentials: status %d, want 403", got)
	}
	if got := mint(nil, true); got != http.StatusUnauthorized {
		t.Errorf("Basic credentials and a CSRF token: status %d, want 401 (the session must not answer)", got)
	}
	tokens, err := app.DB.UserTokens(app.As(t, "owner@acme.test"))
	if err != nil || len(tokens) != 0 {
		t.Fatalf("tokens were minted: %d (err %v)", len(tokens), err)
	}
}
