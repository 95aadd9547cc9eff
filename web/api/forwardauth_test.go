package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// verify asks /_auth/verify with the query and the bearer token, as a proxy would.
func verify(t *testing.T, app *apptest.App, query, token string, header ...string) *apptest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/_auth/verify"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return &apptest.Response{Status: res.StatusCode, Header: res.Header, Body: string(b)}
}

func TestForwardAuthVerify(t *testing.T) {
	app := apptest.Start(t)
	denied := "You do not have permission to perform this action."

	t.Run("UserTokenWithoutOrgActsWithItsOwnScopes", func(t *testing.T) {
		// A member's token asking for org:admin keeps it without org=: the role is not read.
		token := app.MintUserToken(t, "member@acme.test", core.NewScopeSet(core.ScopeOrgAdmin), nil)
		res := verify(t, app, "?scope=org:admin", token)
		if res.Status != http.StatusOK || res.Header.Get("X-Tokenboard-Org") != "" ||
			!strings.Contains(res.Header.Get("X-Tokenboard-Scopes"), "org:admin") ||
			!strings.HasSuffix(res.Header.Get("X-Tokenboard-User"), " member@acme.test") {
			t.Errorf("%d %v %s", res.Status, res.Header, res.Body)
		}
		// With org=, the member role narrows it.
		res = verify(t, app, "?scope=org:admin&org=acme", token)
		if res.Status != http.StatusForbidden {
			t.Errorf("with org=acme: %d, want 403", res.Status)
		}
		checkDetail(t, res, denied)
		res = verify(t, app, "?org=acme", token)
		if res.Status != http.StatusOK || res.Header.Get("X-Tokenboard-Org") != "acme" ||
			res.Header.Get("X-Tokenboard-Scopes") != "org:read" {
			t.Errorf("org=acme alone: %d %q", res.Status, res.Header.Get("X-Tokenboard-Scopes"))
		}
		if res := verify(t, app, "?org=globex", token); res.Status != http.StatusForbidden {
			t.Errorf("a non-member's token in globex: %d, want 403", res.Status)
		}
		if res := verify(t, app, "?org=no-such-org", token); res.Status != http.StatusForbidden {
			t.Errorf("unknown org: %d, want 403", res.Status)
		}
	})

	t.Run("OrgAndIntegrationTokensOnlyInTheirOwnOrg", func(t *testing.T) {
		for kind, token := range map[string]string{
			"org":         app.MintOrgToken(t, "acme", "CI"),
			"integration": app.MintIntegrationToken(t, "acme", integrationScopes),
		} {
			res := verify(t, app, "", token)
			if res.Status != http.StatusOK || res.Header.Get("X-Tokenboard-Org") != "acme" ||
				res.Header.Get("X-Tokenboard-Token-Kind") != kind || res.Header.Get("X-Tokenboard-Token-Id") == "" {
				t.Errorf("%s without org=: %d %v", kind, res.Status, res.Header)
			}
			if res := verify(t, app, "?org=globex", token); res.Status != http.StatusForbidden {
				t.Errorf("%s in globex: %d, want 403", kind, res.Status)
			}
			if res := verify(t, app, "?scope=member:admin&org=acme", token); res.Status != http.StatusForbidden {
				t.Errorf("%s lacking the scope: %d, want 403", kind, res.Status)
			}
		}
	})

	t.Run("RefusalsAreTheAPIs", func(t *testing.T) {
		res := verify(t, app, "", "")
		if res.Status != http.StatusUnauthorized {
			t.Errorf("no token: %d", res.Status)
		}
		checkDetail(t, res, "Authentication credentials were not provided.")
		if res.Header.Get("X-Tokenboard-Detail") != "Authentication credentials were not provided." {
			t.Errorf("X-Tokenboard-Detail %q", res.Header.Get("X-Tokenboard-Detail"))
		}
		res = verify(t, app, "", "", "Authorization", "Bearer")
		checkDetail(t, res, "Invalid token header. No credentials provided.")
		res = verify(t, app, "", "", "Authorization", "Bearer a b")
		checkDetail(t, res, "Invalid token header. Token string should not contain spaces.")
		res = verify(t, app, "", "sntryu_"+strings.Repeat("0", 64))
		checkDetail(t, res, "Invalid token")
		// A signed-in session is not a credential here: a proxy forwards no session of ours.
		session := app.LoginAs(t, "owner@acme.test")
		if res := session.Get("/_auth/verify"); res.Status != http.StatusUnauthorized {
			t.Errorf("session: %d, want 401", res.Status)
		}
	})

	t.Run("AMisconfiguredLocationLetsNobodyThrough", func(t *testing.T) {
		token := app.MintOrgToken(t, "acme", "CI")
		res := verify(t, app, "?scopes=org:ci", token)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `unknown parameter \"scopes\"`) {
			t.Errorf("%d %s", res.Status, res.Body)
		}
	})

	t.Run("NoRedirectAndNoRequestLog", func(t *testing.T) {
		if res := verify(t, app, "", "", "Authorization", ""); res.Status == http.StatusMovedPermanently {
			t.Error("/_auth/verify redirects")
		}
		if strings.Contains(app.Logs.String(), "/_auth/verify") {
			t.Errorf("a check was logged:\n%s", app.Logs.String())
		}
	})
}
