package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// decodeAs decodes a response body into a generic JSON value.
func decodeAs[T any](t *testing.T, res *apptest.Response) T {
	t.Helper()
	var v T
	res.JSON(t, &v)
	return v
}

// checkISODate checks that v is an ISO 8601 date-time in UTC, as Sentry writes them.
func checkISODate(t *testing.T, field string, v any) {
	t.Helper()
	s, ok := v.(string)
	if _, err := time.Parse(time.RFC3339, s); !ok || err != nil || !strings.HasSuffix(s, "Z") {
		t.Errorf("%s = %#v, want an ISO 8601 UTC date", field, v)
	}
}

func checkIDString(t *testing.T, field string, v any) {
	t.Helper()
	if s, ok := v.(string); !ok || s == "" || strings.Trim(s, "0123456789") != "" {
		t.Errorf("%s = %#v, want a numeric id as a string", field, v)
	}
}

// TestAPIShapesAreSentrys checks the fields clients rely on: ids as strings, ISO dates, the
// organization flags sentry-cli requires, a project's team, a member's user.
func TestAPIShapesAreSentrys(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.MintUserToken(t, "owner@acme.test", userTokenScopes, nil)

	t.Run("Organization", func(t *testing.T) {
		org := decodeAs[map[string]any](t, app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", owner, nil))
		checkIDString(t, "id", org["id"])
		checkISODate(t, "dateCreated", org["dateCreated"])
		for _, flag := range []string{"isEarlyAdopter", "require2FA", "requireEmailVerification"} {
			if org[flag] != false {
				t.Errorf("%s = %#v, want false", flag, org[flag])
			}
		}
		if org["slug"] != "acme" || org["name"] != "Acme Corp" || org["orgRole"] != "owner" {
			t.Errorf("organization %v", org)
		}
		if _, ok := org["features"].([]any); !ok {
			t.Errorf("features = %#v, want a list", org["features"])
		}
		access, _ := org["access"].([]any)
		if len(access) != core.RoleOwner.Scopes().Len() {
			t.Errorf("access = %v, want the owner's %d scopes", access, core.RoleOwner.Scopes().Len())
		}
	})
	t.Run("Projects", func(t *testing.T) {
		projects := decodeAs[[]map[string]any](t, app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/projects/", owner, nil))
		if len(projects) != 2 || projects[0]["slug"] != "api" || projects[1]["slug"] != "web" {
			t.Fatalf("projects %v", projects)
		}
		checkIDString(t, "id", projects[0]["id"])
		checkISODate(t, "dateCreated", projects[0]["dateCreated"])
		team, _ := projects[0]["team"].(map[string]any)
		checkIDString(t, "team.id", team["id"])
		if team["slug"] != "backend" || team["name"] != "Backend" {
			t.Errorf("api's team = %v", team)
		}
		if projects[1]["team"] != nil {
			t.Errorf("web's team = %v, want null", projects[1]["team"])
		}
	})
	t.Run("Members", func(t *testing.T) {
		members := decodeAs[[]map[string]any](t, app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/members/", owner, nil))
		if len(members) != 6 || members[0]["role"] != "owner" {
			t.Fatalf("members %v", members)
		}
		user, _ := members[0]["user"].(map[string]any)
		checkIDString(t, "user.id", user["id"])
		checkISODate(t, "dateCreated", members[0]["dateCreated"])
	})
	t.Run("AuthInfoOfUserToken", func(t *testing.T) {
		info := decodeAs[map[string]any](t, app.Bearer(t, http.MethodGet, "/api/0/", owner, nil))
		user, _ := info["user"].(map[string]any)
		checkIDString(t, "user.id", user["id"])
		if user["email"] != "owner@acme.test" {
			t.Errorf("user = %v", user)
		}
		auth, _ := info["auth"].(map[string]any)
		if scopes, _ := auth["scopes"].([]any); len(scopes) != userTokenScopes.Len() {
			t.Errorf("auth = %v", auth)
		}
	})
	t.Run("AuthInfoOfOrgToken", func(t *testing.T) {
		res := app.Bearer(t, http.MethodGet, "/api/0/", app.MintOrgToken(t, "acme", "CI"), nil)
		if res.Body != `{"version":"0","auth":{"scopes":["org:ci"]},"user":null}`+"\n" {
			t.Errorf("body %s", res.Body)
		}
	})
	t.Run("AuthInfoOfSession", func(t *testing.T) {
		info := decodeAs[map[string]any](t, app.LoginAs(t, "member@acme.test").Get("/api/0/"))
		if info["auth"] != nil || info["user"] == nil {
			t.Errorf("session auth info %v, want no auth and the user", info)
		}
	})
}

// TestAPIPaginationIsSentrys walks a list one item per page through the Link header, as
// sentry-cli does.
func TestAPIPaginationIsSentrys(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")
	base := app.URL + "/api/0/organizations/acme/projects/"

	res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/projects/?per_page=1&cursor=", token, nil)
	want := `<` + base + `?per_page=1&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", ` +
		`<` + base + `?per_page=1&cursor=0:1:0>; rel="next"; results="true"; cursor="0:1:0"`
	if got := res.Header.Get("Link"); got != want {
		t.Errorf("first page Link:\n%s\nwant\n%s", got, want)
	}
	var slugs []string
	for cursor := ""; ; {
		res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/projects/?per_page=1&cursor="+cursor, token, nil)
		for _, p := range decodeAs[[]map[string]any](t, res) {
			slugs = append(slugs, p["slug"].(string))
		}
		link := res.Header.Get("Link")
		next := link[strings.Index(link, `rel="next"`):]
		if !strings.Contains(next, `results="true"`) {
			break
		}
		cursor = strings.TrimSuffix(next[strings.Index(next, `cursor="`)+8:], `"`)
		if len(slugs) > 5 {
			t.Fatal("pagination does not end")
		}
	}
	if strings.Join(slugs, ",") != "api,web" {
		t.Errorf("pages gave %v, want api, web", slugs)
	}

	for _, q := range []string{"cursor=abc", "cursor=0:x:0", "cursor=1:2", "per_page=0", "per_page=101"} {
		res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/projects/?"+q, token, nil)
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, `"detail":"Invalid `) {
			t.Errorf("?%s: status %d, body %s; want 400", q, res.Status, res.Body)
		}
	}
}

// TestAPIReleases checks the release endpoints beyond access: Sentry's get-or-create, the
// version rules, projects by slug or id, finalizing, versions that need escaping in URLs.
func TestAPIReleases(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")
	// The body is sent as it is, malformed JSON included.
	post := func(body string) *apptest.Response {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/api/0/organizations/acme/releases/", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		return app.Client(t).Do(req)
	}

	t.Run("CreateThenAlreadyReported", func(t *testing.T) {
		res := post(`{"version":"2.0.0","projects":["web"],"ref":"6ba09a7c","url":"https://example.com/2.0.0","dateStarted":"2025-01-01T00:00:00Z"}`)
		if res.Status != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.Status, res.Body)
		}
		r := decodeAs[map[string]any](t, res)
		if r["version"] != "2.0.0" || r["ref"] != "6ba09a7c" || r["url"] != "https://example.com/2.0.0" ||
			r["dateReleased"] != nil || r["newGroups"] != float64(0) || r["lastEvent"] != nil {
			t.Errorf("release %v", r)
		}
		checkISODate(t, "dateCreated", r["dateCreated"])
		// The same version again adds the project: 208 Already Reported, as Sentry answers.
		api := mustProject(t, app, "api")
		res = post(`{"version":"2.0.0","projects":[` + itoa64(api.ID) + `]}`)
		if res.Status != http.StatusAlreadyReported {
			t.Fatalf("again: status %d, body %s", res.Status, res.Body)
		}
		projects, _ := decodeAs[map[string]any](t, res)["projects"].([]any)
		if len(projects) != 2 {
			t.Errorf("projects after adding api: %v", projects)
		}
	})
	t.Run("FinalizeSetsDateReleased", func(t *testing.T) {
		// Times are kept to the second.
		res := app.Bearer(t, http.MethodPut, "/api/0/organizations/acme/releases/2.0.0/", token,
			json.RawMessage(`{"projects":["web"],"dateReleased":"2025-03-04T05:06:07.123+01:00"}`))
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `"dateReleased":"2025-03-04T04:06:07Z"`) {
			t.Errorf("status %d, body %s", res.Status, res.Body)
		}
	})
	t.Run("VersionNeedingEscapes", func(t *testing.T) {
		version := "my app@1.0+build.7"
		if res := post(`{"version":"` + version + `","projects":["web"]}`); res.Status != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.Status, res.Body)
		}
		res := app.Bearer(t, http.MethodGet, "/api/0/projects/acme/web/releases/my%20app@1.0%2Bbuild.7/", token, nil)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, `"version":"`+version+`"`) {
			t.Errorf("status %d, body %s", res.Status, res.Body)
		}
	})
	t.Run("InvalidInput", func(t *testing.T) {
		for _, tc := range []struct{ body, want string }{
			{`{"version":"latest","projects":["web"]}`, `{"version":["Release with name latest is not allowed"]}`},
			{`{"version":"a/b","projects":["web"]}`, `{"version":["Release with name a/b is not allowed"]}`},
			{`{"version":"..","projects":["web"]}`, `{"version":["Release with name .. is not allowed"]}`},
			{`{"version":"` + strings.Repeat("v", 201) + `","projects":["web"]}`, `{"version":["Ensure this field has no more than 200 characters."]}`},
			{`{"projects":["web"]}`, `{"version":["This field is required."]}`},
			{`{"version":7,"projects":["web"]}`, `{"version":["Not a valid string."]}`},
			{`{"version":"3.0"}`, `{"projects":["This field is required."]}`},
			{`{"version":"3.0","projects":"web"}`, `{"projects":["Expected a list of items but got type \"str\"."]}`},
			{`{"version":"3.0","projects":["nope"]}`, `{"projects":["Invalid project ids or slugs"]}`},
			{`{"version":"3.0","projects":["web"],"url":"javascript:alert(1)"}`, `{"url":["Enter a valid URL."]}`},
			{`{"version":"3.0","projects":["web"],"dateReleased":"yesterday"}`, `{"dateReleased":["Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."]}`},
			{`[1]`, `{"detail":"Invalid data. Expected a dictionary, but got list."}`},
			{`{"version":`, `{"detail":"JSON parse error - unexpected end of JSON input"}`},
		} {
			res := post(tc.body)
			if res.Status != http.StatusBadRequest || strings.TrimSpace(res.Body) != tc.want {
				t.Errorf("%s: status %d, body %s; want 400 %s", tc.body, res.Status, res.Body, tc.want)
			}
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		for _, path := range []string{
			"/api/0/organizations/acme/releases/nope/",
			"/api/0/projects/acme/api/releases/my%20app@1.0%2Bbuild.7/", // a release of web only
			"/api/0/projects/acme/nope/releases/",
			"/api/0/organizations/nope/releases/",
			"/api/0/organizations/acme/nothing-here/",
		} {
			res := app.Bearer(t, http.MethodGet, path, token, nil)
			checkStatusDetail(t, res, http.StatusNotFound, "The requested resource does not exist")
		}
	})
	t.Run("OtherOrganizationsProjectsAreInvalid", func(t *testing.T) {
		globex := app.MintOrgToken(t, "globex", "CI")
		res := app.Bearer(t, http.MethodPost, "/api/0/organizations/globex/releases/", globex,
			json.RawMessage(`{"version":"1.0","projects":["web"]}`))
		if res.Status != http.StatusBadRequest {
			t.Errorf("status %d, body %s", res.Status, res.Body)
		}
	})
}

// TestAPIErrorsAreJSON checks that refusals the router or the body limit make are JSON too.
func TestAPIErrorsAreJSON(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")

	t.Run("BodyTooLarge", func(t *testing.T) {
		body := json.RawMessage(`{"version":"` + strings.Repeat("x", 2<<20) + `"}`)
		res := app.Bearer(t, http.MethodPost, "/api/0/organizations/acme/releases/", token, body)
		checkStatusDetail(t, res, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	})
	t.Run("HeadersTooLarge", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, app.URL+"/api/0/", nil)
		req.Header.Set("X-Padding", strings.Repeat("x", 64<<10))
		if res := app.Client(t).Do(req); res.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", res.Status)
		}
	})
	t.Run("UnknownRoute", func(t *testing.T) {
		res := app.Bearer(t, http.MethodGet, "/api/0/does-not-exist/", token, nil)
		checkStatusDetail(t, res, http.StatusNotFound, "The requested resource does not exist")
	})
	t.Run("HugeTokenIsInvalid", func(t *testing.T) {
		res := app.Bearer(t, http.MethodGet, "/api/0/", "sntrys_"+strings.Repeat("A", 20000), nil)
		checkStatusDetail(t, res, http.StatusUnauthorized, "Invalid org token")
	})
}

func mustProject(t *testing.T, app *apptest.App, slug string) *core.Project {
	t.Helper()
	p, err := app.DB.ProjectBySlug(apptest.AsOperator(), app.Org(t, "acme").ID, slug)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestAPIChunkedBodyTooLarge sends an oversized body without a Content-Length: the body limit
// still answers 413 in JSON.
func TestAPIChunkedBodyTooLarge(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")
	body := io.MultiReader(strings.NewReader(`{"version":"`), strings.NewReader(strings.Repeat("x", 2<<20)), strings.NewReader(`"}`))
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/api/0/organizations/acme/releases/", body)
	req.Header.Set("Authorization", "Bearer "+token)
	req.ContentLength = -1
	checkStatusDetail(t, app.Client(t).Do(req), http.StatusRequestEntityTooLarge, "Request Entity Too Large")
}
