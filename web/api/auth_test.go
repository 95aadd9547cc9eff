package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// apiGet sends GET path with the Authorization header exactly as given ("" sends none).
func apiGet(t *testing.T, app *apptest.App, path, authorization string) *apptest.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, app.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return app.Client(t).Do(req)
}

// TestAPIUnauthorizedMessages checks every 401 of SPEC 5, byte for byte, with Sentry's
// WWW-Authenticate header.
func TestAPIUnauthorizedMessages(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	orgToken := app.MintOrgToken(t, "acme", "CI")
	revokedOrgToken := app.MintOrgToken(t, "acme", "Old CI")
	app.RevokeToken(t, revokedOrgToken)
	scopes := core.NewScopeSet(core.ScopeOrgRead)
	revokedUserToken := app.MintUserToken(t, "member@acme.test", scopes, nil)
	app.RevokeToken(t, revokedUserToken)
	past := time.Now().Add(-time.Hour)
	expiredUserToken := app.MintUserToken(t, "member@acme.test", scopes, &past)
	expiredOrgToken := app.MintOrgToken(t, "acme", "Expiring")
	app.ExpireToken(t, expiredOrgToken)
	revokedIntegrationToken := app.MintIntegrationToken(t, "acme", scopes)
	app.RevokeToken(t, revokedIntegrationToken)
	inactiveUserToken := app.MintUserToken(t, "admin@acme.test", scopes, nil)
	app.DeactivateUser(t, "admin@acme.test")
	unknownUserToken, _ := core.GenerateUserToken()
	unknownIntegrationToken, _ := core.GenerateIntegrationToken()
	unknownOrgToken, _ := core.GenerateOrgToken(app.URL, "acme", time.Now())
	// One character changed: the checksum catches it before any lookup.
	typo := "A"
	if orgToken[len(orgToken)-10] == 'A' {
		typo = "B"
	}
	mistyped := orgToken[:len(orgToken)-10] + typo + orgToken[len(orgToken)-9:]

	for _, tc := range []struct{ name, authorization, want string }{
		{"NoHeader", "", "Authentication credentials were not provided."},
		{"OtherScheme", "Basic dXNlcjpwYXNz", "Authentication credentials were not provided."},
		{"SchemeOnly", "Bearer", "Invalid token header. No credentials provided."},
		{"SchemeAndSpaces", "Bearer   ", "Invalid token header. No credentials provided."},
		{"SpaceInToken", "Bearer " + unknownUserToken[:20] + " " + unknownUserToken[20:], "Invalid token header. Token string should not contain spaces."},
		{"UnknownUserToken", "Bearer " + unknownUserToken, "Invalid token"},
		{"RevokedUserToken", "Bearer " + revokedUserToken, "Invalid token"},
		{"UnknownIntegrationToken", "Bearer " + unknownIntegrationToken, "Invalid token"},
		{"RevokedIntegrationToken", "Bearer " + revokedIntegrationToken, "Invalid token"},
		{"UnprefixedString", "Bearer " + strings.Repeat("a", 64), "Invalid token"},
		{"UnknownOrgToken", "Bearer " + unknownOrgToken, "Invalid org token"},
		{"RevokedOrgToken", "Bearer " + revokedOrgToken, "Invalid org token"},
		{"MistypedOrgToken", "Bearer " + mistyped, "Invalid org token"},
		{"ExpiredUserToken", "Bearer " + expiredUserToken, "Token expired"},
		{"ExpiredOrgToken", "Bearer " + expiredOrgToken, "Token expired"},
		{"InactiveUser", "Bearer " + inactiveUserToken, "User inactive or deleted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := apiGet(t, app, "/api/0/organizations/acme/releases/", tc.authorization)
			if res.Status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401; body %s", res.Status, res.Body)
			}
			if want := `{"detail":"` + tc.want + `"}` + "\n"; res.Body != want {
				t.Errorf("body %q, want %q", res.Body, want)
			}
			checkDetail(t, res, tc.want)
		})
	}

	t.Run("SchemeIsCaseInsensitive", func(t *testing.T) {
		for _, scheme := range []string{"Bearer", "bearer", "BEARER", "bEaReR"} {
			if res := apiGet(t, app, "/api/0/organizations/acme/releases/", scheme+" "+orgToken); res.Status != http.StatusOK {
				t.Errorf("%s: status %d, body %s", scheme, res.Status, res.Body)
			}
		}
	})
	t.Run("TokenInQueryStringIsIgnored", func(t *testing.T) {
		for _, param := range []string{"token", "auth_token", "access_token"} {
			res := apiGet(t, app, "/api/0/organizations/acme/releases/?"+param+"="+orgToken, "")
			if res.Status != http.StatusUnauthorized {
				t.Errorf("?%s=: status %d, want 401", param, res.Status)
			}
		}
	})
	t.Run("IndexAnswersWithoutCredentials", func(t *testing.T) {
		res := apiGet(t, app, "/api/0/", "")
		if res.Status != http.StatusOK || res.Body != `{"version":"0","auth":null,"user":null}`+"\n" {
			t.Errorf("status %d, body %q", res.Status, res.Body)
		}
	})
	t.Run("IndexRefusesABadToken", func(t *testing.T) {
		res := apiGet(t, app, "/api/0/", "Bearer "+revokedOrgToken)
		if res.Status != http.StatusUnauthorized {
			t.Errorf("status %d, want 401", res.Status)
		}
		checkDetail(t, res, "Invalid org token")
	})
	t.Run("NoTokenInTheLogs", func(t *testing.T) {
		logs := app.Logs.String()
		for _, tok := range []string{orgToken, revokedUserToken, expiredUserToken, inactiveUserToken} {
			if strings.Contains(logs, tok) {
				t.Errorf("the logs contain a token")
			}
		}
	})
}

// TestAPIChangesTakeEffectOnTheNextRequest checks that revoking or expiring a token, and
// removing or demoting its user, refuse the very next request, although the previous answer
// was cached.
func TestAPIChangesTakeEffectOnTheNextRequest(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	owner := app.As(t, "owner@acme.test")
	all := userTokenScopes
	// Two requests: the second is answered from the authentication cache.
	mustGet := func(t *testing.T, path, token string, want int) {
		t.Helper()
		for range 2 {
			if res := app.Bearer(t, http.MethodGet, path, token, nil); res.Status != want {
				t.Fatalf("GET %s: status %d, want %d; body %s", path, res.Status, want, res.Body)
			}
		}
	}

	for _, kind := range []string{"org", "user", "integration"} {
		t.Run("Revoking"+kind+"Token", func(t *testing.T) {
			var token, want string
			switch kind {
			case "org":
				token, want = app.MintOrgToken(t, "acme", "CI"), "Invalid org token"
			case "user":
				token, want = app.MintUserToken(t, "member@acme.test", all, nil), "Invalid token"
			case "integration":
				token, want = app.MintIntegrationToken(t, "acme", integrationScopes), "Invalid token"
			}
			mustGet(t, "/api/0/organizations/acme/releases/", token, http.StatusOK)
			app.RevokeToken(t, token)
			res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/releases/", token, nil)
			checkStatusDetail(t, res, http.StatusUnauthorized, want)
		})
	}
	for _, kind := range []string{"org", "user"} {
		t.Run("Expiring"+kind+"Token", func(t *testing.T) {
			token := app.MintOrgToken(t, "acme", "CI")
			if kind == "user" {
				token = app.MintUserToken(t, "member@acme.test", all, nil)
			}
			mustGet(t, "/api/0/organizations/acme/releases/", token, http.StatusOK)
			app.ExpireToken(t, token)
			res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/releases/", token, nil)
			checkStatusDetail(t, res, http.StatusUnauthorized, "Token expired")
		})
	}
	t.Run("RemovingTheMember", func(t *testing.T) {
		token := app.MintUserToken(t, "member@acme.test", all, nil)
		mustGet(t, "/api/0/organizations/acme/", token, http.StatusOK)
		member := mustUser(t, app, "member@acme.test")
		if err := app.DB.RemoveMember(owner, acme.ID, member.ID); err != nil {
			t.Fatal(err)
		}
		res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", token, nil)
		checkStatusDetail(t, res, http.StatusForbidden, "You do not have permission to perform this action.")
		// The token still works for what needs no membership.
		mustGet(t, "/api/0/", token, http.StatusOK)
	})
	t.Run("DemotingTheMember", func(t *testing.T) {
		token := app.MintUserToken(t, "manager@acme.test", all, nil)
		rename := func() *apptest.Response {
			return app.Bearer(t, http.MethodPut, "/api/0/organizations/acme/", token, map[string]string{"name": "Acme Corp"})
		}
		for range 2 {
			if res := rename(); res.Status != http.StatusOK {
				t.Fatalf("manager renaming: status %d, body %s", res.Status, res.Body)
			}
		}
		manager := mustUser(t, app, "manager@acme.test")
		if err := app.DB.ChangeRole(owner, acme.ID, manager.ID, core.RoleMember); err != nil {
			t.Fatal(err)
		}
		checkStatusDetail(t, rename(), http.StatusForbidden, "You do not have permission to perform this action.")
		mustGet(t, "/api/0/organizations/acme/", token, http.StatusOK)
	})
	t.Run("TheDetailFollowsRenameAndDemotion", func(t *testing.T) {
		// The detail's JSON is kept per organization, scopes and role (Endpoints.orgDetails): a
		// rename or a demotion is a new answer on the very next request.
		token := app.MintUserToken(t, "admin@acme.test", all, nil)
		detail := func(want ...string) {
			t.Helper()
			for range 2 {
				res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", token, nil)
				for _, w := range want {
					if res.Status != http.StatusOK || !strings.Contains(res.Body, w) {
						t.Fatalf("detail: status %d, want %s in %s", res.Status, w, res.Body)
					}
				}
			}
		}
		detail(`"orgRole":"admin"`, `"name":"`+acme.Name+`"`)
		if _, err := app.DB.UpdateOrg(owner, acme.ID, "Acme Renamed"); err != nil {
			t.Fatal(err)
		}
		detail(`"orgRole":"admin"`, `"name":"Acme Renamed"`)
		admin := mustUser(t, app, "admin@acme.test")
		if err := app.DB.ChangeRole(owner, acme.ID, admin.ID, core.RoleMember); err != nil {
			t.Fatal(err)
		}
		detail(`"orgRole":"member"`, `"role":"member"`, `"name":"Acme Renamed"`)
	})
	t.Run("DeactivatingTheUser", func(t *testing.T) {
		token := app.MintUserToken(t, "admin@acme.test", all, nil)
		mustGet(t, "/api/0/organizations/acme/", token, http.StatusOK)
		app.DeactivateUser(t, "admin@acme.test")
		res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", token, nil)
		checkStatusDetail(t, res, http.StatusUnauthorized, "User inactive or deleted")
	})
}

func checkStatusDetail(t *testing.T, res *apptest.Response, status int, detail string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d; body %s", res.Status, status, res.Body)
	}
	checkDetail(t, res, detail)
}

func mustUser(t *testing.T, app *apptest.App, email string) *core.User {
	t.Helper()
	u, err := app.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestAPISessionNeedsCSRFOnUnsafeMethods checks that the session authenticates the API for
// the dashboard's own scripts, and that a request it did not send (no CSRF token) is refused.
func TestAPISessionNeedsCSRFOnUnsafeMethods(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	put := func(header map[string]string) *apptest.Response {
		req, _ := http.NewRequest(http.MethodPut, app.URL+"/api/0/organizations/acme/", strings.NewReader(`{"name":"Pwned"}`))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		return owner.Do(req)
	}
	for name, header := range map[string]map[string]string{
		"NoToken":    nil,
		"CrossSite":  {"Sec-Fetch-Site": "cross-site"},
		"WrongToken": {"X-CSRF-Token": "not-the-token"},
	} {
		t.Run(name, func(t *testing.T) {
			res := put(header)
			// Echo refuses a cross-site request with its own message.
			if res.Status != http.StatusForbidden || res.Header.Get("Content-Type") != "application/json" ||
				!strings.Contains(res.Body, "CSRF") {
				t.Errorf("status %d, body %s; want a JSON 403", res.Status, res.Body)
			}
		})
	}
	if org := app.Org(t, "acme"); org.Name != "Acme Corp" {
		t.Fatalf("the organization was renamed to %q", org.Name)
	}
	t.Run("WithToken", func(t *testing.T) {
		res := owner.JSON(http.MethodPut, "/api/0/organizations/acme/", map[string]string{"name": "Acme Inc"})
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `"name":"Acme Inc"`) {
			t.Errorf("status %d, body %s", res.Status, res.Body)
		}
	})
}
