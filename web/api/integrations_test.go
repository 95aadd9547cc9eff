package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

func apiTokensPath(slug string) string { return "/api/0/sentry-apps/" + slug + "/api-tokens/" }

func apiTokenPath(slug string, id int64) string {
	return apiTokensPath(slug) + strconv.FormatInt(id, 10) + "/"
}

const msgPermissionDenied = `{"detail":"You do not have permission to perform this action."}`

func TestAPIIntegrationTokens(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	fx := app.CreateIntegration(t, "owner@acme.test", "acme", "API Bot")

	t.Run("OwnerListsTokensWithoutTheirValues", func(t *testing.T) {
		r := owner.JSON(http.MethodGet, apiTokensPath(fx.Slug), nil)
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var list []map[string]any
		r.JSON(t, &list)
		if len(list) != 1 {
			t.Fatalf("list = %v", list)
		}
		tok := list[0]
		if _, ok := tok["token"]; ok {
			t.Fatal("the list carries a token value")
		}
		want := map[string]any{
			"id": strconv.FormatInt(fx.TokenID, 10), "tokenLastCharacters": fx.Plain[67:],
			"expiresAt": nil, "application": nil, "state": nil, "dateLastUsed": nil, "name": nil, "refreshToken": nil,
		}
		for k, v := range want {
			if got, ok := tok[k]; !ok || got != v {
				t.Errorf("%s = %#v, want %#v", k, got, v)
			}
		}
		if scopes, _ := tok["scopes"].([]any); len(scopes) != 1 || scopes[0] != "event:read" {
			t.Errorf("scopes = %v", tok["scopes"])
		}
		if _, ok := tok["dateCreated"].(string); !ok {
			t.Errorf("dateCreated = %v", tok["dateCreated"])
		}
	})

	t.Run("ManagerCreatesATokenShownOnce", func(t *testing.T) {
		r := app.LoginAs(t, "manager@acme.test").JSON(http.MethodPost, apiTokensPath(fx.Slug), nil)
		if r.Status != http.StatusCreated || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("status %d, Cache-Control %q: %s", r.Status, r.Header.Get("Cache-Control"), r.Body)
		}
		var tok struct {
			ID, Token, TokenLastCharacters string
			Scopes                         []string
		}
		r.JSON(t, &tok)
		p := app.Principal(t, tok.Token)
		if strconv.FormatInt(p.TokenID, 10) != tok.ID || p.OrgID != app.Org(t, "acme").ID || tok.TokenLastCharacters != tok.Token[67:] {
			t.Fatalf("token %+v, principal %+v", tok, p)
		}
	})

	t.Run("The21stTokenGetsSentrysBareString", func(t *testing.T) {
		full := app.CreateIntegration(t, "owner@acme.test", "acme", "Full API Bot")
		for n := 2; n <= core.MaxIntegrationTokens; n++ {
			if r := owner.JSON(http.MethodPost, apiTokensPath(full.Slug), nil); r.Status != http.StatusCreated {
				t.Fatalf("token %d: status %d", n, r.Status)
			}
		}
		r := owner.JSON(http.MethodPost, apiTokensPath(full.Slug), nil)
		var body string
		if r.Status != http.StatusForbidden || json.Unmarshal([]byte(r.Body), &body) != nil || body != core.MsgIntegrationTokenLimit {
			t.Fatalf("status %d, body %s", r.Status, r.Body)
		}
		if app.LiveIntegrationTokens(t, full.Slug) != core.MaxIntegrationTokens {
			t.Fatal("a 21st token was created")
		}
	})

	t.Run("DeleteRevokesAtOnce", func(t *testing.T) {
		victim := app.CreateIntegration(t, "owner@acme.test", "acme", "Deleted Via API")
		r := owner.JSON(http.MethodDelete, apiTokenPath(victim.Slug, victim.TokenID), nil)
		if r.Status != http.StatusNoContent || app.TokenWorks(t, victim.Plain) {
			t.Fatalf("status %d, token still works: %v", r.Status, app.TokenWorks(t, victim.Plain))
		}
		if r := owner.JSON(http.MethodDelete, apiTokenPath(victim.Slug, victim.TokenID), nil); r.Status != http.StatusNotFound {
			t.Fatalf("deleting twice: status %d", r.Status)
		}
	})

	t.Run("OtherOrgsTokensAndIntegrationsAreNotFound", func(t *testing.T) {
		globex := app.CreateIntegration(t, "owner@globex.test", "globex", "Globex Bot")
		sibling := app.CreateIntegration(t, "owner@acme.test", "acme", "Sibling Bot")
		for name, r := range map[string]*apptest.Response{
			"DeleteOtherOrgsToken":         owner.JSON(http.MethodDelete, apiTokenPath(fx.Slug, globex.TokenID), nil),
			"DeleteOtherIntegrationsToken": owner.JSON(http.MethodDelete, apiTokenPath(fx.Slug, sibling.TokenID), nil),
			"ListOtherOrgsIntegration":     owner.JSON(http.MethodGet, apiTokensPath(globex.Slug), nil),
			"CreateInOtherOrgsIntegration": owner.JSON(http.MethodPost, apiTokensPath(globex.Slug), nil),
			"DeleteInOtherOrgsIntegration": owner.JSON(http.MethodDelete, apiTokenPath(globex.Slug, globex.TokenID), nil),
			"UnknownIntegration":           owner.JSON(http.MethodGet, apiTokensPath("no-such-app"), nil),
			"MalformedID":                  owner.JSON(http.MethodDelete, apiTokensPath(fx.Slug)+"abc/", nil),
		} {
			if r.Status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404: %s", name, r.Status, r.Body)
			}
		}
		if !app.TokenWorks(t, globex.Plain) || !app.TokenWorks(t, sibling.Plain) {
			t.Fatal("a foreign token was revoked")
		}
	})

	t.Run("EveryRoleEveryMethod", func(t *testing.T) {
		// Status per method for each role: GET list, POST, DELETE.
		want := map[string][3]int{
			"owner@acme.test":   {200, 201, 204},
			"manager@acme.test": {200, 201, 204},
			"admin@acme.test":   {403, 403, 403},
			"member@acme.test":  {403, 403, 403},
			"billing@acme.test": {403, 403, 403},
			"owner@globex.test": {404, 404, 404},
		}
		for _, email := range apptest.Roles {
			t.Run(email, func(t *testing.T) {
				target := app.CreateIntegration(t, "owner@acme.test", "acme", "Role Bot")
				c := app.LoginAs(t, email)
				got := [3]int{
					c.JSON(http.MethodGet, apiTokensPath(target.Slug), nil).Status,
					c.JSON(http.MethodPost, apiTokensPath(target.Slug), nil).Status,
					c.JSON(http.MethodDelete, apiTokenPath(target.Slug, target.TokenID), nil).Status,
				}
				if got != want[email] {
					t.Fatalf("statuses %v, want %v", got, want[email])
				}
				if want[email][2] != http.StatusNoContent && (!app.TokenWorks(t, target.Plain) || app.LiveIntegrationTokens(t, target.Slug) != 1) {
					t.Fatal("a refused request changed the tokens")
				}
			})
		}
	})

	t.Run("BearerTokensCannotManageTokens", func(t *testing.T) {
		before := app.LiveIntegrationTokens(t, fx.Slug)
		for _, r := range []*apptest.Response{
			app.Bearer(t, http.MethodGet, apiTokensPath(fx.Slug), fx.Plain, nil),
			app.Bearer(t, http.MethodPost, apiTokensPath(fx.Slug), fx.Plain, nil),
			app.Bearer(t, http.MethodDelete, apiTokenPath(fx.Slug, fx.TokenID), fx.Plain, nil),
		} {
			if r.Status != http.StatusForbidden || r.Body != msgPermissionDenied+"\n" {
				t.Errorf("status %d, body %q; want 403 %s", r.Status, r.Body, msgPermissionDenied)
			}
		}
		if !app.TokenWorks(t, fx.Plain) || app.LiveIntegrationTokens(t, fx.Slug) != before {
			t.Fatal("a bearer request changed the tokens")
		}
	})

	t.Run("AnonymousIs401", func(t *testing.T) {
		r := app.Client(t).JSON(http.MethodGet, apiTokensPath(fx.Slug), nil)
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("status %d", r.Status)
		}
	})

	t.Run("SessionWritesNeedTheCSRFToken", func(t *testing.T) {
		before := app.LiveIntegrationTokens(t, fx.Slug)
		for _, method := range []string{http.MethodPost, http.MethodDelete} {
			path := apiTokensPath(fx.Slug)
			if method == http.MethodDelete {
				path = apiTokenPath(fx.Slug, fx.TokenID)
			}
			req, _ := http.NewRequest(method, app.URL+path, nil)
			if r := owner.Do(req); r.Status != http.StatusForbidden {
				t.Errorf("%s without CSRF: status %d", method, r.Status)
			}
		}
		if !app.TokenWorks(t, fx.Plain) || app.LiveIntegrationTokens(t, fx.Slug) != before {
			t.Fatal("a forged request changed the tokens")
		}
	})
}
