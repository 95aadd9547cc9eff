package api_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

const apiTokens = "/api/0/organizations/acme/org-auth-tokens/"

func apiToken(id string) string { return apiTokens + id + "/" }

func TestOrgTokenAPIEnforcesEveryRole(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	type want struct{ list, create, get, rename, revoke int }
	cases := []struct {
		who  string
		want want
	}{
		{apptest.AcmeOwner, want{200, 201, 200, 204, 204}},
		{apptest.AcmeManager, want{200, 201, 200, 204, 204}},
		{apptest.AcmeAdmin, want{200, 201, 200, 204, 403}},
		{apptest.AcmeMember, want{200, 201, 200, 204, 403}},
		{apptest.AcmeBilling, want{403, 403, 403, 403, 403}},
		{apptest.GlobexOwner, want{404, 404, 404, 404, 404}},
		{apptest.Anonymous, want{401, 401, 401, 401, 401}},
	}
	for _, tc := range cases {
		name := tc.who
		if name == apptest.Anonymous {
			name = "anonymous"
		}
		t.Run(name, func(t *testing.T) {
			target, plaintext := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "api target of "+name)
			id := itoa64(target.ID)
			c := app.ClientAs(t, tc.who)
			check := func(action string, r *apptest.Response, want int) {
				t.Helper()
				if r.Status != want {
					t.Errorf("%s: status %d, want %d (%s)", action, r.Status, want, r.Body)
				}
				if want == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != `xBasic realm="api"` {
					t.Errorf("%s: 401 without Sentry's WWW-Authenticate", action)
				}
				if want >= 400 && !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s: error is not JSON", action)
				}
			}
			check("list", c.JSON(http.MethodGet, apiTokens, nil), tc.want.list)
			check("create", c.JSON(http.MethodPost, apiTokens, map[string]string{"name": "api by " + name}), tc.want.create)
			check("get", c.JSON(http.MethodGet, apiToken(id), nil), tc.want.get)
			check("rename", c.JSON(http.MethodPut, apiToken(id), map[string]string{"name": "api renamed by " + name}), tc.want.rename)
			if renamed := app.OrgToken(t, target.ID).Name == "api renamed by "+name; renamed != (tc.want.rename == 204) {
				t.Errorf("rename: renamed = %v, want %v", renamed, tc.want.rename == 204)
			}
			check("revoke", c.JSON(http.MethodDelete, apiToken(id), nil), tc.want.revoke)
			if revoked := app.Authenticate(t, plaintext) != nil; revoked != (tc.want.revoke == 204) {
				t.Errorf("revoke: revoked = %v, want %v", revoked, tc.want.revoke == 204)
			}
		})
	}
	t.Run("BearerTokenIsRefusedEverywhere", func(t *testing.T) {
		target, plaintext := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "bearer")
		id := itoa64(target.ID)
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, apiTokens, nil},
			{http.MethodPost, apiTokens, map[string]string{"name": "minted by a token"}},
			{http.MethodGet, apiToken(id), nil},
			{http.MethodPut, apiToken(id), map[string]string{"name": "renamed by a token"}},
			{http.MethodDelete, apiToken(id), nil},
		} {
			r := app.Bearer(t, req.method, req.path, plaintext, req.body)
			if r.Status != http.StatusForbidden || !strings.Contains(r.Body, `"You do not have permission to perform this action."`) {
				t.Errorf("%s %s with a bearer token: status %d %s, want 403", req.method, req.path, r.Status, r.Body)
			}
		}
		if err := app.Authenticate(t, plaintext); err != nil || app.OrgToken(t, target.ID).Name != "bearer" {
			t.Errorf("a bearer token changed the token (%v)", err)
		}
	})
	t.Run("SessionWithoutCSRFHeaderIsRefused", func(t *testing.T) {
		target, plaintext := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "csrf")
		c := app.LoginAs(t, apptest.AcmeOwner)
		req, _ := http.NewRequest(http.MethodDelete, app.URL+apiToken(itoa64(target.ID)), nil)
		if r := c.Do(req); r.Status != http.StatusForbidden {
			t.Errorf("DELETE without CSRF header: status %d, want 403", r.Status)
		}
		if err := app.Authenticate(t, plaintext); err != nil {
			t.Errorf("token revoked by a forged request: %v", err)
		}
	})
}

func TestOrgTokenAPI(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	c := app.LoginAs(t, apptest.AcmeMember)
	owner := app.LoginAs(t, apptest.AcmeOwner)

	var created map[string]any
	t.Run("CreateAnswers201WithTheTokenOnce", func(t *testing.T) {
		r := c.JSON(http.MethodPost, apiTokens, map[string]string{"name": "from the API"})
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q, want no-store", cc)
		}
		r.JSON(t, &created)
		wantKeys := []string{"dateCreated", "dateLastUsed", "expiresAt", "id", "name", "projectLastUsedId", "scopes", "token", "tokenLastCharacters"}
		if keys := slices.Sorted(maps.Keys(created)); !slices.Equal(keys, wantKeys) {
			t.Errorf("keys %v, want %v", keys, wantKeys)
		}
		token, _ := created["token"].(string)
		if !apptest.OrgTokenPattern.MatchString(token) || created["tokenLastCharacters"] != token[len(token)-4:] {
			t.Errorf("token %q, tokenLastCharacters %v", token, created["tokenLastCharacters"])
		}
		if _, ok := created["id"].(string); !ok {
			t.Errorf("id %#v is not a string", created["id"])
		}
		if created["name"] != "from the API" || created["dateLastUsed"] != nil || created["projectLastUsedId"] != nil || created["expiresAt"] != nil {
			t.Errorf("body %s", r.Body)
		}
		if scopes, _ := created["scopes"].([]any); len(scopes) != 1 || scopes[0] != "org:ci" {
			t.Errorf("scopes %v, want [org:ci]", created["scopes"])
		}
		if err := app.Authenticate(t, token); err != nil {
			t.Errorf("token does not authenticate: %v", err)
		}
		app.AssertNowhere(t, token, c)
	})
	t.Run("ReadsNeverCarryTheToken", func(t *testing.T) {
		for _, path := range []string{apiTokens, apiToken(created["id"].(string))} {
			r := c.JSON(http.MethodGet, path, nil)
			if r.Status != http.StatusOK || strings.Contains(r.Body, `"token"`) || strings.Contains(r.Body, created["token"].(string)) {
				t.Errorf("GET %s: status %d, body %s", path, r.Status, r.Body)
			}
		}
		var one map[string]any
		c.JSON(http.MethodGet, apiToken(created["id"].(string)), nil).JSON(t, &one)
		if one["name"] != "from the API" || one["id"] != created["id"] {
			t.Errorf("detail %v", one)
		}
	})
	t.Run("NamelessTokensGetAGeneratedName", func(t *testing.T) {
		for _, body := range []any{nil, map[string]any{}, map[string]any{"name": "   "}} {
			r := c.JSON(http.MethodPost, apiTokens, body)
			var got map[string]any
			r.JSON(t, &got)
			if name, _ := got["name"].(string); r.Status != http.StatusCreated || !strings.HasPrefix(name, "Auth Token 20") || !strings.HasSuffix(name, " UTC") {
				t.Errorf("body %v: status %d, name %q", body, r.Status, got["name"])
			}
		}
	})
	t.Run("NameErrorsAre400", func(t *testing.T) {
		id := created["id"].(string)
		cases := []struct {
			method, path string
			body         any
			want         string
		}{
			{http.MethodPost, apiTokens, map[string]any{"name": strings.Repeat("x", 256)}, `{"name":["The name cannot be longer than 255 characters."]}`},
			{http.MethodPost, apiTokens, map[string]any{"name": 42}, `{"name":["Not a valid string."]}`},
			{http.MethodPut, apiToken(id), map[string]any{"name": ""}, `{"name":["The name cannot be blank."]}`},
			{http.MethodPut, apiToken(id), map[string]any{}, `{"name":["The name cannot be blank."]}`},
			{http.MethodPut, apiToken(id), map[string]any{"name": strings.Repeat("x", 256)}, `{"name":["The name cannot be longer than 255 characters."]}`},
			{http.MethodPost, apiTokens, []string{"not", "an", "object"}, `{"detail":"Invalid data. Expected a dictionary, but got list."}`},
		}
		for _, tc := range cases {
			r := c.JSON(tc.method, tc.path, tc.body)
			if r.Status != http.StatusBadRequest || strings.TrimSpace(r.Body) != tc.want {
				t.Errorf("%s %v: status %d %s, want 400 %s", tc.method, tc.body, r.Status, r.Body, tc.want)
			}
		}
	})
	t.Run("RenameAnswers204", func(t *testing.T) {
		id := created["id"].(string)
		if r := c.JSON(http.MethodPut, apiToken(id), map[string]string{"name": "renamed via API"}); r.Status != http.StatusNoContent || r.Body != "" {
			t.Fatalf("status %d %q, want 204", r.Status, r.Body)
		}
		var one map[string]any
		c.JSON(http.MethodGet, apiToken(id), nil).JSON(t, &one)
		if one["name"] != "renamed via API" {
			t.Errorf("name %v after rename", one["name"])
		}
	})
	t.Run("RevocationIsImmediate", func(t *testing.T) {
		id, token := created["id"].(string), created["token"].(string)
		// Authenticated but refused (session-only endpoint): the token is live.
		if r := app.Bearer(t, http.MethodGet, apiTokens, token, nil); r.Status != http.StatusForbidden {
			t.Fatalf("live token: status %d, want 403", r.Status)
		}
		if r := owner.JSON(http.MethodDelete, apiToken(id), nil); r.Status != http.StatusNoContent {
			t.Fatalf("revoke: status %d %s", r.Status, r.Body)
		}
		r := app.Bearer(t, http.MethodGet, apiTokens, token, nil)
		if r.Status != http.StatusUnauthorized || strings.TrimSpace(r.Body) != `{"detail":"Invalid org token"}` {
			t.Errorf("revoked token: status %d %s, want 401 Invalid org token", r.Status, r.Body)
		}
	})
	t.Run("RevokedUnknownAndForeignIdsAre404", func(t *testing.T) {
		foreign, _ := app.CreateOrgToken(t, apptest.GlobexOwner, "globex", "globex only")
		for _, id := range []string{created["id"].(string), itoa64(foreign.ID), "999999", "abc"} {
			for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
				r := owner.JSON(method, apiToken(id), map[string]string{"name": "x"})
				if r.Status != http.StatusNotFound {
					t.Errorf("%s id %s: status %d, want 404", method, id, r.Status)
				}
			}
		}
		if mustListNames(t, c, apiTokens)["renamed via API"] {
			t.Errorf("the revoked token is still listed")
		}
	})
	t.Run("LastUseIsSerialized", func(t *testing.T) {
		tok, plain := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "used")
		api, err := app.DB.ProjectBySlug(app.As(t, apptest.AcmeOwner), tok.OrgID, "api")
		if err != nil {
			t.Fatal(err)
		}
		if err := app.Fixtures(t).SetTokenLastUsed(context.Background(), plain, time.Unix(1700000000, 0), api.ID); err != nil {
			t.Fatal(err)
		}
		var one map[string]any
		c.JSON(http.MethodGet, apiToken(itoa64(tok.ID)), nil).JSON(t, &one)
		if one["dateLastUsed"] != "2023-11-14T22:13:20Z" {
			t.Errorf("dateLastUsed %v", one["dateLastUsed"])
		}
		if _, ok := one["projectLastUsedId"].(string); !ok {
			t.Errorf("projectLastUsedId %#v is not a string", one["projectLastUsedId"])
		}
	})
	t.Run("ListIsPagedWithSentrysLinkHeader", func(t *testing.T) {
		app.SeedOrgTokens(t, app.Org(t, "acme").ID, "paged", 150)
		first := c.JSON(http.MethodGet, apiTokens, nil)
		var page []map[string]any
		first.JSON(t, &page)
		link := first.Header.Get("Link")
		if len(page) != 100 || !strings.Contains(link, `rel="next"; results="true"; cursor="0:100:0"`) ||
			!strings.Contains(link, `rel="previous"; results="false"`) || !strings.HasPrefix(link, "<"+app.URL+apiTokens+"?") {
			t.Fatalf("first page: %d tokens, Link %q", len(page), link)
		}
		second := c.JSON(http.MethodGet, apiTokens+"?cursor=0:100:0", nil)
		second.JSON(t, &page)
		if total := 100 + len(page); total < 150 || !strings.Contains(second.Header.Get("Link"), `rel="next"; results="false"`) {
			t.Errorf("second page: %d tokens in all, Link %q", total, second.Header.Get("Link"))
		}
		if r := c.JSON(http.MethodGet, apiTokens+"?cursor=nonsense", nil); r.Status != http.StatusBadRequest {
			t.Errorf("bad cursor: status %d, want 400", r.Status)
		}
	})
}

// mustListNames returns the names on the first page of an org token list.
func mustListNames(t *testing.T, c *apptest.Client, path string) map[string]bool {
	t.Helper()
	var page []map[string]any
	r := c.JSON(http.MethodGet, path, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET %s: status %d", path, r.Status)
	}
	r.JSON(t, &page)
	names := map[string]bool{}
	for _, tok := range page {
		names[tok["name"].(string)] = true
	}
	return names
}
