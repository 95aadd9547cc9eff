package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// introspect posts token= to /api/0/introspect/ with the caller's bearer token.
func introspect(t *testing.T, app *apptest.App, caller, token string) *apptest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/api/0/introspect/",
		strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if caller != "" {
		req.Header.Set("Authorization", "Bearer "+caller)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, res.Body); err != nil {
		t.Fatal(err)
	}
	return &apptest.Response{Status: res.StatusCode, Header: res.Header, Body: b.String()}
}

func TestIntrospect(t *testing.T) {
	app := apptest.Start(t)
	caller := app.MintIntegrationToken(t, "acme", core.NewScopeSet(core.ScopeOrgRead))
	start := time.Now().Add(-2 * time.Second).Unix()

	t.Run("ActiveForOwnOrgTokens", func(t *testing.T) {
		expires := time.Now().Add(48 * time.Hour)
		for name, c := range map[string]struct {
			token                 string
			kind, scope, sub, who string
			exp                   bool
		}{
			"org": {token: app.MintOrgToken(t, "acme", "CI"), kind: "org", scope: "org:ci", sub: "org:acme"},
			"integration": {token: app.MintIntegrationToken(t, "acme", core.NewScopeSet(core.ScopeProjectWrite)),
				kind: "integration", scope: "project:read project:write", sub: "integration:"},
			// An admin's token asking for org:admin holds only what the admin role grants.
			"user": {token: app.MintUserToken(t, "admin@acme.test", core.NewScopeSet(core.ScopeProjectWrite, core.ScopeOrgAdmin), &expires),
				kind: "user", scope: "org:integrations org:read project:read project:write", sub: "user:", who: "admin@acme.test", exp: true},
		} {
			res := introspect(t, app, caller, c.token)
			var got map[string]any
			if err := json.Unmarshal([]byte(res.Body), &got); err != nil || res.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", name, res.Status, res.Body)
			}
			if got["active"] != true || got["kind"] != c.kind || got["org"] != "acme" || got["scope"] != c.scope ||
				got["token_type"] != "bearer" || !strings.HasPrefix(got["sub"].(string), c.sub) {
				t.Errorf("%s: %s", name, res.Body)
			}
			if iat, _ := got["iat"].(float64); int64(iat) < start || int64(iat) > time.Now().Unix() {
				t.Errorf("%s: iat %v, want now", name, got["iat"])
			}
			if exp, ok := got["exp"].(float64); ok != c.exp || c.exp && int64(exp) != expires.Unix() {
				t.Errorf("%s: exp %v, want %v", name, got["exp"], c.exp)
			}
			if c.who != "" && got["username"] != c.who {
				t.Errorf("%s: username %v", name, got["username"])
			}
			if res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q", name, res.Header.Get("Cache-Control"))
			}
		}
	})

	t.Run("InactiveForEverythingElse", func(t *testing.T) {
		revoked := app.MintOrgToken(t, "acme", "old")
		app.RevokeToken(t, revoked)
		past := time.Now().Add(-time.Hour)
		expired := app.MintUserToken(t, "member@acme.test", core.NewScopeSet(core.ScopeOrgRead), &past)
		unknown, _ := core.GenerateUserToken()
		good := app.MintUserToken(t, "member@acme.test", core.NewScopeSet(core.ScopeOrgRead), nil)
		badChecksum := good[:len(good)-1] + map[bool]string{true: "1", false: "0"}[strings.HasSuffix(good, "0")]
		deactivated := app.MintUserToken(t, "billing@acme.test", core.NewScopeSet(core.ScopeOrgRead), nil)
		app.DeactivateUser(t, "billing@acme.test")
		for name, token := range map[string]string{
			"empty":                     "",
			"garbage":                   "not a token",
			"bad checksum":              badChecksum,
			"unknown":                   unknown,
			"revoked":                   revoked,
			"expired":                   expired,
			"deactivated user":          deactivated,
			"another org's org token":   app.MintOrgToken(t, "globex", "CI"),
			"another org's integration": app.MintIntegrationToken(t, "globex", core.NewScopeSet(core.ScopeOrgRead)),
			"a non-member's user token": app.MintUserToken(t, "owner@globex.test", core.NewScopeSet(core.ScopeOrgRead), nil),
		} {
			res := introspect(t, app, caller, token)
			if res.Status != http.StatusOK || res.Body != "{\"active\":false}\n" {
				t.Errorf("%s: %d %q, want 200 {\"active\":false} and nothing more", name, res.Status, res.Body)
			}
		}
	})

	t.Run("OnlyIntegrationTokensMayAsk", func(t *testing.T) {
		target := app.MintOrgToken(t, "acme", "target")
		checkDetail(t, introspect(t, app, "", target), "Authentication credentials were not provided.")
		for name, c := range map[string]string{
			"user token":                   app.MintUserToken(t, "owner@acme.test", userTokenScopes, nil),
			"org token":                    app.MintOrgToken(t, "acme", "CI"),
			"integration without org:read": app.MintIntegrationToken(t, "acme", core.NewScopeSet(core.ScopeProjectRead)),
		} {
			res := introspect(t, app, c, target)
			if res.Status != http.StatusForbidden {
				t.Errorf("%s: %d %s, want 403", name, res.Status, res.Body)
			}
			checkDetail(t, res, "You do not have permission to perform this action.")
		}
		session := app.LoginAs(t, "owner@acme.test")
		res := session.PostForm("/api/0/introspect/", url.Values{"token": {target}})
		if res.Status != http.StatusForbidden {
			t.Errorf("session: %d %s, want 403", res.Status, res.Body)
		}
	})

	t.Run("IntrospectionIsNotAUse", func(t *testing.T) {
		token := app.MintOrgToken(t, "acme", "unused")
		introspect(t, app, caller, token)
		app.FlushUsage(t)
		if at, _ := app.TokenLastUsed(t, token); at != nil {
			t.Errorf("introspection marked the token used at %v", at)
		}
	})
}
