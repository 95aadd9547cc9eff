package ui_test

import (
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

// repositoryID finds a repository of acme by name through the store, as its owner.
func repositoryID(t *testing.T, app *apptest.App, name string) int64 {
	t.Helper()
	repos, err := app.DB.Repositories(app.As(t, apptest.AcmeOwner), app.Org(t, "acme").ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range repos {
		if r.Name == name {
			return r.ID
		}
	}
	return 0
}

// TestRepositoriesPage: every member sees the list; owners and managers add and remove
// (re-rendering a refused form with its message and input); everyone else is refused by
// the server whatever they post; each change is audited.
func TestRepositoriesPage(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")
	// A release whose commits name acme/web: that repository can no longer be removed.
	if res := app.Bearer(t, http.MethodPost, "/api/0/organizations/acme/releases/", token,
		map[string]any{"version": "1.0", "projects": []string{"web"}}); res.Status != http.StatusCreated {
		t.Fatalf("release: %d %s", res.Status, res.Body)
	}
	if res := app.Bearer(t, http.MethodPut, "/api/0/organizations/acme/releases/1.0/", token,
		map[string]any{"commits": []map[string]any{{"id": "abc123", "repository": "acme/web", "message": "Fix"}}}); res.Status != http.StatusOK {
		t.Fatalf("commits: %d %s", res.Status, res.Body)
	}
	page := "/settings/acme/repos/"
	owner := app.LoginAs(t, apptest.AcmeOwner)

	t.Run("EveryMemberSeesTheList", func(t *testing.T) {
		for _, who := range []string{apptest.AcmeMember, apptest.AcmeAdmin, apptest.AcmeManager} {
			res := app.LoginAs(t, who).Get(page)
			if res.Status != http.StatusOK || !strings.Contains(res.Body, "acme/web") || !strings.Contains(res.Body, "Unknown Provider") ||
				!strings.Contains(res.Body, `href="/settings/acme/repos/" class="active"`) {
				t.Errorf("%s: %d %.1500s", who, res.Status, res.Body)
			}
			canAdd := strings.Contains(res.Body, "Add Repository")
			if want := who == apptest.AcmeManager; canAdd != want {
				t.Errorf("%s sees the add form: %v, want %v", who, canAdd, want)
			}
		}
		if res := app.LoginAs(t, apptest.AcmeBilling).Get(page); res.Status != http.StatusForbidden {
			t.Errorf("billing: %d, want 403", res.Status)
		}
		if res := app.LoginAs(t, apptest.GlobexOwner).Get(page); res.Status != http.StatusNotFound {
			t.Errorf("globex's owner: %d, want 404", res.Status)
		}
	})

	t.Run("RefusedInputIsShownWithTheMessageAndKept", func(t *testing.T) {
		for _, tc := range []struct {
			name, url, message string
		}{
			{"", "", "The repository name cannot be blank."},
			{"acme/web@main", "", "The repository name cannot contain @ or #"},
			{"acme/docs", "javascript:alert(1)", "Enter a valid URL starting with http:// or https://."},
			{"ACME/WEB", "", "The repository acme/web has already been added."},
		} {
			res := owner.PostForm(page, url.Values{"name": {tc.name}, "url": {tc.url}})
			body := html.UnescapeString(res.Body)
			if res.Status != http.StatusBadRequest || !strings.Contains(body, tc.message) ||
				!strings.Contains(body, `value="`+tc.name+`"`) || !strings.Contains(body, `value="`+tc.url+`"`) {
				t.Errorf("%q %q: %d, want 400 with %q and the input kept:\n%.3000s", tc.name, tc.url, res.Status, tc.message, body)
			}
		}
		if id := repositoryID(t, app, "acme/docs"); id != 0 {
			t.Errorf("a refused form added acme/docs")
		}
	})

	t.Run("OthersAreRefusedByTheServer", func(t *testing.T) {
		web := strconv.FormatInt(repositoryID(t, app, "acme/web"), 10)
		for _, who := range []string{apptest.AcmeMember, apptest.AcmeAdmin} {
			c := app.LoginAs(t, who)
			if res := c.PostForm(page, url.Values{"name": {"acme/sneaky"}}); res.Status != http.StatusForbidden {
				t.Errorf("%s adds: %d, want 403", who, res.Status)
			}
			if res := c.PostForm(page+web+"/remove/", url.Values{"confirmed": {"1"}}); res.Status != http.StatusForbidden {
				t.Errorf("%s removes: %d, want 403", who, res.Status)
			}
		}
		// Without the CSRF token (and without Sec-Fetch-Site), even the owner is refused.
		if res := owner.PostFormRaw(page, url.Values{"name": {"acme/sneaky"}}); res.Status != http.StatusForbidden && res.Status != http.StatusBadRequest {
			t.Errorf("owner without the CSRF token: %d", res.Status)
		}
		if repositoryID(t, app, "acme/sneaky") != 0 || repositoryID(t, app, "acme/web") == 0 {
			t.Errorf("a refused request changed the repositories")
		}
	})

	t.Run("OwnerAddsAndRemoves", func(t *testing.T) {
		res := owner.PostForm(page, url.Values{"name": {" acme/docs "}, "url": {"https://github.com/acme/docs"}})
		if res.Status != http.StatusSeeOther {
			t.Fatalf("add: %d %.2000s", res.Status, res.Body)
		}
		list := owner.Get(page)
		if !strings.Contains(list.Body, "Added the repository acme/docs.") || !strings.Contains(list.Body, `href="https://github.com/acme/docs"`) {
			t.Errorf("after adding: %.3000s", list.Body)
		}
		docs := strconv.FormatInt(repositoryID(t, app, "acme/docs"), 10)
		// Without JavaScript, removal asks on a page of its own first.
		if res := owner.PostForm(page+docs+"/remove/", nil); res.Status != http.StatusOK || !strings.Contains(res.Body, "Remove Repository") {
			t.Errorf("unconfirmed remove: %d", res.Status)
		}
		if repositoryID(t, app, "acme/docs") == 0 {
			t.Fatal("an unconfirmed remove removed the repository")
		}
		if res := owner.PostForm(page+docs+"/remove/", url.Values{"confirmed": {"1"}}); res.Status != http.StatusSeeOther {
			t.Errorf("remove: %d", res.Status)
		}
		if repositoryID(t, app, "acme/docs") != 0 {
			t.Error("acme/docs is still there")
		}
		// acme/web is listed by release 1.0: kept, and the flash says why.
		web := strconv.FormatInt(repositoryID(t, app, "acme/web"), 10)
		owner.PostForm(page+web+"/remove/", url.Values{"confirmed": {"1"}})
		list = owner.Get(page)
		if !strings.Contains(html.UnescapeString(list.Body), "acme/web cannot be removed: 1 release lists its commits.") || repositoryID(t, app, "acme/web") == 0 {
			t.Errorf("removing a listed repository: %.3000s", list.Body)
		}
		if !strings.Contains(html.UnescapeString(list.Body), views.RepositoryRemoveBlocked(core.Repository{ReleaseCount: 1})) {
			t.Errorf("the listed repository's Remove is not disabled with the reason")
		}
		log := owner.Get("/settings/acme/audit-log/").Body
		for _, want := range []string{"added repository acme/docs", "removed repository acme/docs"} {
			if !strings.Contains(log, want) {
				t.Errorf("the audit log lacks %q", want)
			}
		}
	})
}
