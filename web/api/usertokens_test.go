package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

var userTokenPattern = regexp.MustCompile(`sntryu_[0-9a-f]{64}`)

// apiError is a Sentry error body: {"detail": "..."}, {"error": "..."} or {"field": ["..."]}.
type apiError map[string]any

func TestUserTokensAPI(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	member := app.LoginAs(t, "member@acme.test")

	var created map[string]any
	t.Run("CreateReturnsTheTokenOnce", func(t *testing.T) {
		r := member.JSON(http.MethodPost, "/api/0/api-tokens/", map[string]any{"name": "cli", "scopes": []string{"project:write", "org:read"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
		if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control %q", cc)
		}
		r.JSON(t, &created)
		token, _ := created["token"].(string)
		if !userTokenPattern.MatchString(token) {
			t.Fatalf("token = %v", created["token"])
		}
		want := map[string]any{
			"name": "cli", "application": nil, "expiresAt": nil, "state": nil, "dateLastUsed": nil,
			"refreshToken": nil, "tokenLastCharacters": token[len(token)-4:],
		}
		for k, v := range want {
			if got, ok := created[k]; !ok || got != v {
				t.Errorf("%s = %v (present %v), want %v", k, got, ok, v)
			}
		}
		if id, ok := created["id"].(string); !ok || id == "" {
			t.Errorf("id = %#v, want a string", created["id"])
		}
		if _, err := time.Parse(time.RFC3339, created["dateCreated"].(string)); err != nil {
			t.Errorf("dateCreated: %v", err)
		}
		if got := created["scopes"]; strings.Join(toStrings(got), " ") != "org:read project:read project:write" {
			t.Errorf("scopes = %v, want expanded and sorted", got)
		}
	})
	if created == nil {
		t.FailNow()
	}
	id := created["id"].(string)
	token := created["token"].(string)
	path := "/api/0/api-tokens/" + id + "/"

	t.Run("ListAndDetailNeverCarryTheToken", func(t *testing.T) {
		var list []map[string]any
		r := member.JSON(http.MethodGet, "/api/0/api-tokens/", nil)
		r.JSON(t, &list)
		if r.Status != http.StatusOK || len(list) != 1 || list[0]["id"] != id {
			t.Fatalf("status %d, list %v", r.Status, list)
		}
		var one map[string]any
		d := member.JSON(http.MethodGet, path, nil)
		d.JSON(t, &one)
		for where, obj := range map[string]map[string]any{"list": list[0], "detail": one} {
			if _, ok := obj["token"]; ok {
				t.Errorf("the %s carries a token key", where)
			}
			if _, ok := obj["refreshToken"]; ok {
				t.Errorf("the %s carries a refreshToken key", where)
			}
		}
		if strings.Contains(r.Body+d.Body, token) {
			t.Error("the token is in a later response")
		}
	})

	t.Run("PutChangesOnlyTheName", func(t *testing.T) {
		cases := []struct {
			name   string
			body   any
			status int
			want   apiError
		}{
			{"scopes are immutable", map[string]any{"name": "x", "scopes": []string{"org:admin"}}, http.StatusForbidden,
				apiError{"error": "Only auth token name can be edited after creation"}},
			{"so is the expiry", map[string]any{"expiresAt": nil}, http.StatusForbidden,
				apiError{"error": "Only auth token name can be edited after creation"}},
			{"name is required", map[string]any{}, http.StatusBadRequest, apiError{"name": []any{"This field is required."}}},
			{"name is a string", map[string]any{"name": 5}, http.StatusBadRequest, apiError{"name": []any{"Not a valid string."}}},
			{"name is at most 255", map[string]any{"name": strings.Repeat("n", 256)}, http.StatusBadRequest,
				apiError{"name": []any{"The name cannot be longer than 255 characters."}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := member.JSON(http.MethodPut, path, c.body)
				assertAPIError(t, r, c.status, c.want)
			})
		}
		var renamed map[string]any
		r := member.JSON(http.MethodPut, path, map[string]any{"name": "renamed"})
		r.JSON(t, &renamed)
		if r.Status != http.StatusOK || renamed["name"] != "renamed" || renamed["id"] != id {
			t.Errorf("status %d %v", r.Status, renamed)
		}
		if _, ok := renamed["token"]; ok {
			t.Error("the rename response carries the token")
		}
		if strings.Join(toStrings(renamed["scopes"]), " ") != "org:read project:read project:write" {
			t.Errorf("the scopes changed: %v", renamed["scopes"])
		}
	})

	t.Run("CreateValidatesScopesAndExpiry", func(t *testing.T) {
		cases := []struct {
			name string
			body any
			want apiError
		}{
			{"scopes missing", map[string]any{"name": "x"}, apiError{"scopes": []any{"This field is required."}}},
			{"scopes empty", map[string]any{"scopes": []string{}}, apiError{"scopes": []any{"This list may not be empty."}}},
			{"unknown scope", map[string]any{"scopes": []string{"org:read", "org:own"}}, apiError{"scopes": []any{`"org:own" is not a valid choice.`}}},
			{"scopes not a list", map[string]any{"scopes": "org:read"}, apiError{"scopes": []any{`Expected a list of items but got type "str".`}}},
			{"expiry in the past", map[string]any{"scopes": []string{"org:read"}, "expiresAt": time.Now().Add(-time.Hour).Format(time.RFC3339)},
				apiError{"expiresAt": []any{"The expiration date must be in the future."}}},
			{"expiry not a date", map[string]any{"scopes": []string{"org:read"}, "expiresAt": "tomorrow"},
				apiError{"expiresAt": []any{"Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."}}},
			{"everything at once", map[string]any{"name": 1, "scopes": []string{}}, apiError{"name": []any{"Not a valid string."}, "scopes": []any{"This list may not be empty."}}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				assertAPIError(t, member.JSON(http.MethodPost, "/api/0/api-tokens/", c.body), http.StatusBadRequest, c.want)
			})
		}
		if r := member.JSON(http.MethodPost, "/api/0/api-tokens/", nil); r.Status != http.StatusBadRequest {
			t.Errorf("no body: %d", r.Status)
		}
		at := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
		var withExpiry map[string]any
		r := member.JSON(http.MethodPost, "/api/0/api-tokens/", map[string]any{"scopes": []string{"event:read"}, "expiresAt": at.Format(time.RFC3339)})
		r.JSON(t, &withExpiry)
		if r.Status != http.StatusCreated || withExpiry["expiresAt"] != at.Format(time.RFC3339) || withExpiry["name"] != "" {
			t.Errorf("status %d %v", r.Status, withExpiry)
		}
	})

	t.Run("AnotherUsersTokenIsNotFound", func(t *testing.T) {
		owner := app.LoginAs(t, "owner@acme.test")
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			assertAPIError(t, owner.JSON(method, path, map[string]any{"name": "stolen"}), http.StatusNotFound, apiError{"detail": "Invalid token ID"})
		}
		var list []any
		owner.JSON(http.MethodGet, "/api/0/api-tokens/", nil).JSON(t, &list)
		if len(list) != 0 {
			t.Errorf("the owner lists %d tokens", len(list))
		}
	})

	t.Run("BearerTokensCannotManageTokens", func(t *testing.T) {
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/0/api-tokens/", nil},
			{http.MethodPost, "/api/0/api-tokens/", map[string]any{"scopes": []string{"org:read"}}},
			{http.MethodGet, path, nil},
			{http.MethodPut, path, map[string]any{"name": "x"}},
			{http.MethodDelete, path, nil},
		} {
			r := app.Bearer(t, c.method, c.path, token, c.body)
			assertAPIError(t, r, http.StatusForbidden, apiError{"detail": "You do not have permission to perform this action."})
		}
	})

	t.Run("ASessionRequestWithoutTheCSRFTokenMintsNothing", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, app.URL+"/api/0/api-tokens/", strings.NewReader(`{"scopes": ["org:read"]}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if r := member.Do(req); r.Status != http.StatusForbidden || userTokenPattern.MatchString(r.Body) {
			t.Errorf("status %d %s, want 403", r.Status, r.Body)
		}
	})

	t.Run("WithoutASessionIs401", func(t *testing.T) {
		r := app.Client(t).JSON(http.MethodGet, "/api/0/api-tokens/", nil)
		assertAPIError(t, r, http.StatusUnauthorized, apiError{"detail": "Authentication credentials were not provided."})
	})

	t.Run("DeleteRevokesAtOnce", func(t *testing.T) {
		r := member.JSON(http.MethodDelete, path, nil)
		if r.Status != http.StatusNoContent {
			t.Fatalf("status %d %s", r.Status, r.Body)
		}
		assertAPIError(t, app.Bearer(t, http.MethodGet, "/api/0/api-tokens/", token, nil), http.StatusUnauthorized, apiError{"detail": "Invalid token"})
		assertAPIError(t, member.JSON(http.MethodGet, path, nil), http.StatusNotFound, apiError{"detail": "Invalid token ID"})
	})
}

func assertAPIError(t *testing.T, r *apptest.Response, status int, want apiError) {
	t.Helper()
	var got apiError
	r.JSON(t, &got)
	if r.Status != status || !equalJSON(got, want) {
		t.Errorf("got %d %s, want %d %v", r.Status, r.Body, status, want)
	}
}

func equalJSON(a, b apiError) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if strings.Join(toStrings(a[k]), "\x00") != strings.Join(toStrings(v), "\x00") {
			return false
		}
	}
	return true
}

// toStrings flattens a decoded JSON string or list of strings.
func toStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, s := range v {
			str, _ := s.(string)
			out = append(out, str)
		}
		return out
	}
	return nil
}
