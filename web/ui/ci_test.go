package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// TestReleasesShowWhatCIJobsLeft checks the Releases page (bundles, deploys, commits), the
// project's Source Maps page with its delete, and "Last access" naming the token's action.
func TestReleasesShowWhatCIJobsLeft(t *testing.T) {
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")
	const bundleID = "5e1f0c3a-9b2d-4c6e-8f70-a1b2c3d4e5f6"
	for _, step := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/api/0/organizations/acme/releases/", map[string]any{"version": "3.1", "projects": []string{"web"}}, 201},
		{"POST", "/api/0/organizations/acme/releases/3.1/deploys/", map[string]any{"environment": "staging"}, 201},
		{"PUT", "/api/0/organizations/acme/releases/3.1/", map[string]any{"commits": []map[string]any{
			{"id": "aaaaaaaaaaaabbbbbbbbbbbbccccccccccccdddd", "repository": "acme/web", "message": "Fix the login\n\nbody",
				"author_name": "Dev One", "author_email": "dev@acme.test"}}}, 200},
	} {
		if res := app.Bearer(t, step.method, step.path, token, step.body); res.Status != step.want {
			t.Fatalf("%s %s: %d %s", step.method, step.path, res.Status, res.Body)
		}
	}
	app.UploadSourceMaps(t, token, "acme", "web", "3.1", bundleID, []byte("console.log('ui')"))

	owner := app.LoginAs(t, "owner@acme.test")
	page := owner.Get("/settings/acme/releases/?project=web")
	for _, want := range []string{bundleID, "1 files", "staging", "aaaaaaaaaaaa", "Fix the login", "Dev One", "/settings/acme/projects/web/source-maps/"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the Releases page lacks %q", want)
		}
	}

	app.FlushUsage(t)
	tokens := owner.Get("/settings/acme/auth-tokens/")
	if !strings.Contains(tokens.Body, "uploaded source maps to") || !strings.Contains(tokens.Body, ">web</a>") {
		t.Errorf("Last access does not name the upload")
	}

	maps := owner.Get("/settings/acme/projects/web/source-maps/")
	if maps.Status != http.StatusOK || !strings.Contains(maps.Body, bundleID) || !strings.Contains(maps.Body, `name="bundle_id"`) {
		t.Fatalf("Source Maps page: %d", maps.Status)
	}
	res := owner.PostForm("/settings/acme/projects/web/source-maps/delete/", url.Values{"bundle_id": {bundleID}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("delete: %d %s", res.Status, res.Body)
	}
	if maps = owner.Get("/settings/acme/projects/web/source-maps/"); strings.Contains(maps.Body, bundleID) {
		t.Errorf("the bundle is still listed after its deletion")
	}
}
