package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// principal is one column of the access table: a way of calling the API.
type principal struct {
	name string
	// call sends a request as this principal.
	call func(t *testing.T, method, path string, body any) *apptest.Response
}

// userTokenScopes is "every scope" for a user token: all a user can choose (org:ci is for org
// tokens only).
var userTokenScopes = core.AllScopes.Minus(core.NewScopeSet(core.ScopeOrgCI))

// integrationScopes are those of the integration in the table: Project Admin, Team Read &
// Write, Release Admin, Organization Read, Member Read.
var integrationScopes = core.NewScopeSet(core.ScopeProjectAdmin, core.ScopeTeamWrite, core.ScopeProjectReleases,
	core.ScopeOrgRead, core.ScopeMemberRead)

// accessPrincipals are the table's columns, in order.
func accessPrincipals(t *testing.T, app *apptest.App) []principal {
	session := func(email string) func(*testing.T, string, string, any) *apptest.Response {
		c := app.LoginAs(t, email)
		return func(t *testing.T, method, path string, body any) *apptest.Response { return c.JSON(method, path, body) }
	}
	bearer := func(token string) func(*testing.T, string, string, any) *apptest.Response {
		return func(t *testing.T, method, path string, body any) *apptest.Response {
			return app.Bearer(t, method, path, token, body)
		}
	}
	return []principal{
		{"anonymous", bearer("")},
		{"session owner", session("owner@acme.test")},
		{"session member", session("member@acme.test")},
		{"session billing", session("billing@acme.test")},
		{"user token owner (all scopes)", bearer(app.MintUserToken(t, "owner@acme.test", userTokenScopes, nil))},
		{"user token member (all scopes)", bearer(app.MintUserToken(t, "member@acme.test", userTokenScopes, nil))},
		{"user token member (project:releases)", bearer(app.MintUserToken(t, "member@acme.test",
			core.NewScopeSet(core.ScopeProjectReleases), nil))},
		{"user token billing (all scopes)", bearer(app.MintUserToken(t, "billing@acme.test", userTokenScopes, nil))},
		{"user token non-member (all scopes)", bearer(app.MintUserToken(t, "owner@globex.test", userTokenScopes, nil))},
		{"org token acme", bearer(app.MintOrgToken(t, "acme", "CI"))},
		{"org token globex", bearer(app.MintOrgToken(t, "globex", "CI"))},
		{"integration token acme", bearer(app.MintIntegrationToken(t, "acme", integrationScopes))},
	}
}

// Expected statuses, one per principal column. Each row names its columns' outcomes in the
// order of accessPrincipals; the shorthand keeps the table readable.
const (
	ok   = http.StatusOK
	made = http.StatusCreated
	gone = http.StatusNoContent
	n401 = http.StatusUnauthorized
	n403 = http.StatusForbidden
)

// TestAPIAccessTable calls every endpoint and method as every kind of principal and checks
// the status and body: Sentry's scope lists per route, a user token's scopes intersected with
// its user's role, org tokens on org:ci routes of their own organization only, integration
// tokens with their integration's scopes in their own organization.
func TestAPIAccessTable(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	principals := accessPrincipals(t, app)
	setupAccessFixtures(t, app, len(principals))

	// Paths and bodies may hold "%d", replaced by the column's number, so that each column
	// creates or deletes its own things.
	rows := []struct {
		method, path, body string
		want               [12]int
		// okBody is a fragment every successful answer contains.
		okBody string
	}{
		{"GET", "/api/0/", "", [12]int{ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok, ok}, `"version":"0"`},
		{"GET", "/api/0/organizations/", "",
			[12]int{n401, ok, ok, ok, ok, ok, n403, ok, ok, n403, n403, ok}, `"slug":"`},
		{"GET", "/api/0/organizations/acme/", "",
			[12]int{n401, ok, ok, n403, ok, ok, n403, n403, n403, n403, n403, ok}, `"slug":"acme"`},
		{"PUT", "/api/0/organizations/acme/", `{"name":"Acme Corp"}`,
			[12]int{n401, ok, n403, n403, ok, n403, n403, n403, n403, n403, n403, n403}, `"name":"Acme Corp"`},
		{"GET", "/api/0/organizations/acme/projects/", "",
			[12]int{n401, ok, ok, n403, ok, ok, n403, n403, n403, ok, n403, ok}, `"slug":"web"`},
		{"GET", "/api/0/organizations/acme/teams/", "",
			[12]int{n401, ok, ok, n403, ok, ok, n403, n403, n403, n403, n403, ok}, `"slug":"backend"`},
		{"POST", "/api/0/organizations/acme/teams/", `{"slug":"team-%d"}`,
			[12]int{n401, made, n403, n403, made, n403, n403, n403, n403, n403, n403, made}, `"slug":"team-`},
		{"GET", "/api/0/organizations/acme/members/", "",
			[12]int{n401, ok, ok, n403, ok, ok, n403, n403, n403, n403, n403, ok}, `"email":"owner@acme.test"`},
		{"POST", "/api/0/teams/acme/backend/projects/", `{"name":"New %d","slug":"new-%d"}`,
			[12]int{n401, made, n403, n403, made, n403, n403, n403, n403, n403, n403, made}, `"slug":"backend"`},
		{"GET", "/api/0/projects/acme/web/", "",
			[12]int{n401, ok, ok, n403, ok, ok, n403, n403, n403, n403, n403, ok}, `"slug":"web"`},
		{"DELETE", "/api/0/projects/acme/del-%d/", "",
			[12]int{n401, gone, n403, n403, gone, n403, n403, n403, n403, n403, n403, gone}, ""},

		{"GET", "/api/0/organizations/acme/releases/", "",
			[12]int{n401, ok, ok, n403, ok, ok, ok, n403, n403, ok, n403, ok}, `"version":"base"`},
		{"POST", "/api/0/organizations/acme/releases/", `{"version":"new-%d","projects":["web"]}`,
			[12]int{n401, made, made, n403, made, made, made, n403, n403, made, n403, made}, `"version":"new-`},
		{"GET", "/api/0/organizations/acme/releases/base/", "",
			[12]int{n401, ok, ok, n403, ok, ok, ok, n403, n403, ok, n403, ok}, `"version":"base"`},
		{"PUT", "/api/0/organizations/acme/releases/base/", `{"dateReleased":"2025-01-02T03:04:05Z"}`,
			[12]int{n401, ok, ok, n403, ok, ok, ok, n403, n403, ok, n403, ok}, `"dateReleased":"2025-01-02T03:04:05Z"`},
		{"DELETE", "/api/0/organizations/acme/releases/del-%d/", "",
			[12]int{n401, gone, gone, n403, gone, gone, gone, n403, n403, n403, n403, gone}, ""},
		{"GET", "/api/0/projects/acme/web/releases/", "",
			[12]int{n401, ok, ok, n403, ok, ok, ok, n403, n403, ok, n403, ok}, `"version":"base"`},
		{"POST", "/api/0/projects/acme/web/releases/", `{"version":"pnew-%d"}`,
			[12]int{n401, made, made, n403, made, made, made, n403, n403, made, n403, made}, `"slug":"web"`},
		{"GET", "/api/0/projects/acme/web/releases/base/", "",
			[12]int{n401, ok, ok, n403, ok, ok, ok, n403, n403, ok, n403, ok}, `"version":"base"`},
		{"PUT", "/api/0/projects/acme/web/releases/base/", `{"ref":"abc"}`,
			[12]int{n401, ok, ok, n403, ok, ok, ok, n403, n403, ok, n403, ok}, `"ref":"abc"`},
		{"DELETE", "/api/0/projects/acme/web/releases/pdel-%d/", "",
			[12]int{n401, gone, gone, n403, gone, gone, gone, n403, n403, n403, n403, gone}, ""},
	}
	for _, row := range rows {
		for i, p := range principals {
			path, body := numbered(row.path, i), numbered(row.body, i)
			t.Run(row.method+" "+path+" as "+p.name, func(t *testing.T) {
				var payload any
				if body != "" {
					payload = json.RawMessage(body)
				}
				res := p.call(t, row.method, path, payload)
				want := row.want[i]
				if res.Status != want {
					t.Fatalf("status %d, want %d; body %.300s", res.Status, want, res.Body)
				}
				switch want {
				case n401:
					checkDetail(t, res, "Authentication credentials were not provided.")
				case n403:
					checkDetail(t, res, "You do not have permission to perform this action.")
				case gone:
					if res.Body != "" {
						t.Errorf("204 with a body: %q", res.Body)
					}
				default:
					if !strings.Contains(res.Body, row.okBody) {
						t.Errorf("body lacks %s: %.500s", row.okBody, res.Body)
					}
				}
			})
		}
	}
}

// setupAccessFixtures creates what the table's deleting rows delete: per column, a project
// del-N and releases del-N and pdel-N, plus the release "base" of project web.
func setupAccessFixtures(t *testing.T, app *apptest.App, columns int) {
	t.Helper()
	ctx := core.WithActor(context.Background(), core.Actor{Operator: true, IP: "test"})
	acme := app.Org(t, "acme")
	versions := []string{"base"}
	for i := range columns {
		if _, err := app.DB.CreateProject(ctx, acme.ID, "", numbered("del-%d", i), numbered("Del %d", i)); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, numbered("del-%d", i), numbered("pdel-%d", i))
	}
	for _, v := range versions {
		if _, _, err := app.DB.CreateRelease(ctx, acme.ID, core.NewRelease{Version: v, Projects: []string{"web"}}); err != nil {
			t.Fatal(err)
		}
	}
}

// numbered replaces each "%d" in s with the column number.
func numbered(s string, i int) string {
	return strings.ReplaceAll(s, "%d", strconv.Itoa(i))
}
