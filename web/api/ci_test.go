package api_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/core"
)

// TestCIScopes checks who reaches the CI routes: an org token uploads, assembles, lists and
// reports deploys but cannot delete a bundle; a user token needs project:releases or
// project:write to upload, and project:releases (or admin) to delete.
func TestCIScopes(t *testing.T) {
	app := apptest.Start(t)
	org := app.MintOrgToken(t, "acme", "CI")
	const bundleID = "0c9a3c4e-1f6b-4a53-9f7c-1d2e3f405060"
	sum := app.UploadSourceMaps(t, org, "acme", "web", "1.0", bundleID, []byte("console.log(1)"))
	if _, err := app.Blobs.Stat(context.Background(), sum); err != nil {
		t.Fatalf("the chunk is not in the blob store: %v", err)
	}

	reader := app.MintUserToken(t, "owner@acme.test", core.NewScopeSet(core.ScopeOrgRead, core.ScopeProjectRead), nil)
	releaser := app.MintUserToken(t, "owner@acme.test", core.NewScopeSet(core.ScopeProjectReleases), nil)

	for _, c := range []struct {
		name, method, path, token string
		body                      any
		want                      int
	}{
		{"org token reads upload options", "GET", "/api/0/organizations/acme/chunk-upload/", org, nil, 200},
		{"org token lists bundles", "GET", "/api/0/projects/acme/web/files/artifact-bundles/", org, nil, 200},
		{"org token lists repositories", "GET", "/api/0/organizations/acme/repos/", org, nil, 200},
		{"org token may not delete a bundle", "DELETE", "/api/0/projects/acme/web/files/artifact-bundles/?bundleId=" + bundleID, org, nil, 403},
		{"read-only user token may not assemble", "POST", "/api/0/organizations/acme/artifactbundle/assemble/", reader,
			map[string]any{"checksum": sum, "chunks": []string{sum}, "projects": []string{"web"}}, 403},
		{"read-only user token may not post chunks", "POST", "/api/0/organizations/acme/chunk-upload/", reader, nil, 403},
		{"read-only user token may not report deploys", "POST", "/api/0/organizations/acme/releases/1.0/deploys/", reader,
			map[string]any{"environment": "production"}, 403},
		{"read-only user token lists deploys", "GET", "/api/0/organizations/acme/releases/1.0/deploys/", reader, nil, 404},
		{"releaser lists bundles", "GET", "/api/0/projects/acme/web/files/artifact-bundles/", releaser, nil, 200},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := app.Bearer(t, c.method, c.path, c.token, c.body)
			if res.Status != c.want {
				t.Errorf("%s %s: %d %s, want %d", c.method, c.path, res.Status, res.Body, c.want)
			}
		})
	}

	// The release 1.0 does not exist (bundles name a release without creating it): deploys
	// to it are a 404 "Release not found" for the CLI; once created, they work.
	res := app.Bearer(t, "POST", "/api/0/organizations/acme/releases/1.0/deploys/", org, map[string]any{"environment": "production"})
	if res.Status != http.StatusNotFound {
		t.Errorf("deploy of a missing release: %d %s", res.Status, res.Body)
	}
	res = app.Bearer(t, "POST", "/api/0/organizations/acme/releases/1.0/deploys/", org, map[string]any{"environment": "bad/env"})
	if res.Status != http.StatusNotFound && res.Status != http.StatusBadRequest {
		t.Errorf("deploy with a bad environment: %d %s", res.Status, res.Body)
	}

	res = app.Bearer(t, "DELETE", "/api/0/projects/acme/web/files/artifact-bundles/?bundleId="+bundleID, releaser, nil)
	if res.Status != http.StatusNoContent {
		t.Fatalf("delete by a project:releases token: %d %s", res.Status, res.Body)
	}
	if _, err := app.Blobs.Stat(context.Background(), sum); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("the bundle's only chunk survived its deletion: %v", err)
	}
	res = app.Bearer(t, "GET", "/api/0/projects/acme/web/artifact-bundles/"+bundleID+"/files/", org, nil)
	if res.Status != http.StatusNotFound {
		t.Errorf("files of a deleted bundle: %d", res.Status)
	}
}

// TestAPIMissesAreJSON404s checks that no path under /api/ redirects to the sign-in page:
// unknown routes and Sentry's ingestion endpoints answer 404 with a JSON detail.
func TestAPIMissesAreJSON404s(t *testing.T) {
	app := apptest.Start(t)
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/1/envelope/"}, {"POST", "/api/1/store/"}, {"GET", "/api/0/nothing-here/"},
		{"GET", "/api/7/whatever/"}, {"GET", "/api/"},
	} {
		res := app.Bearer(t, c.method, c.path, "", nil)
		if res.Status != http.StatusNotFound || res.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%s %s: %d %q %s", c.method, c.path, res.Status, res.Header.Get("Content-Type"), res.Body)
		}
	}
}

// TestShapesClientsRead checks the fields issue 13 adds: an organization's deprecated role
// and avatar, a release's shortVersion and owner, a team's and all projects' endpoints.
func TestShapesClientsRead(t *testing.T) {
	app := apptest.Start(t)
	user := app.MintUserToken(t, "owner@acme.test", core.NewScopeSet(core.ScopeOrgRead, core.ScopeProjectRead, core.ScopeProjectReleases), nil)
	var o map[string]any
	app.Bearer(t, "GET", "/api/0/organizations/acme/", user, nil).JSON(t, &o)
	if o["role"] != "owner" || o["orgRole"] != "owner" || o["avatar"] == nil {
		t.Errorf("organization role %v, orgRole %v, avatar %v", o["role"], o["orgRole"], o["avatar"])
	}
	res := app.Bearer(t, "POST", "/api/0/organizations/acme/releases/", user, map[string]any{"version": "web@1.2.3", "projects": []string{"web"}})
	var r map[string]any
	res.JSON(t, &r)
	if _, ok := r["owner"]; !ok || r["shortVersion"] != "1.2.3" || r["deployCount"] != 0.0 || r["commitCount"] != 0.0 {
		t.Errorf("release %s", res.Body)
	}
	res = app.Bearer(t, "GET", "/api/0/teams/acme/backend/", user, nil)
	if res.Status != 200 {
		t.Errorf("team: %d %s", res.Status, res.Body)
	}
	var ps []map[string]any
	app.Bearer(t, "GET", "/api/0/projects/", user, nil).JSON(t, &ps)
	if len(ps) < 2 {
		t.Errorf("projects: %v", ps)
	}
}

// TestRefsNamingAMissingRepositoryAre400: a release PUT with refs (sentry-cli's set-commits
// --commit REPO@SHA) naming a repository the organization lacks is refused as Sentry refuses
// it, {"refs": ["Invalid repository names: …"]}, saying where to add it, and changes no
// commit; once an owner adds it, the same request works. Commits (--auto, --local) still
// create their repositories.
func TestRefsNamingAMissingRepositoryAre400(t *testing.T) {
	t.Parallel()
	// The demo has acme/web; acme/mobile is missing until the manager adds it.
	app := apptest.Start(t)
	org := app.MintOrgToken(t, "acme", "CI")
	if res := app.Bearer(t, "POST", "/api/0/organizations/acme/releases/", org, map[string]any{"version": "1.0", "projects": []string{"web"}}); res.Status != http.StatusCreated {
		t.Fatalf("release: %d %s", res.Status, res.Body)
	}
	sha := "0123456789abcdef0123456789abcdef01234567"
	refs := map[string]any{"refs": []map[string]any{{"repository": "acme/mobile", "commit": sha, "previousCommit": nil}}}
	res := app.Bearer(t, "PUT", "/api/0/organizations/acme/releases/1.0/", org, refs)
	var body map[string][]string
	res.JSON(t, &body)
	want := "Invalid repository names: acme/mobile. An owner or manager adds a repository under Settings > Repositories (/settings/acme/repos/)."
	if res.Status != http.StatusBadRequest || len(body["refs"]) != 1 || body["refs"][0] != want {
		t.Errorf("refs naming a missing repository: %d %s", res.Status, res.Body)
	}
	var commits []struct{ ID string }
	app.Bearer(t, "GET", "/api/0/organizations/acme/releases/1.0/commits/", org, nil).JSON(t, &commits)
	if len(commits) != 0 {
		t.Errorf("a refused ref left commits: %+v", commits)
	}

	if _, err := app.DB.AddRepository(app.As(t, apptest.AcmeManager), app.Org(t, "acme").ID, core.NewRepository{Name: "acme/mobile"}); err != nil {
		t.Fatal(err)
	}
	if res := app.Bearer(t, "PUT", "/api/0/organizations/acme/releases/1.0/", org, refs); res.Status != http.StatusOK {
		t.Errorf("refs once the repository exists: %d %s", res.Status, res.Body)
	}
	app.Bearer(t, "GET", "/api/0/organizations/acme/releases/1.0/commits/", org, nil).JSON(t, &commits)
	if len(commits) != 1 || commits[0].ID != sha {
		t.Errorf("commits %+v", commits)
	}

	res = app.Bearer(t, "PUT", "/api/0/organizations/acme/releases/1.0/", org, map[string]any{
		"commits": []map[string]any{{"id": "abc", "repository": "origin", "message": "local"}}})
	var repos []struct{ Name string }
	app.Bearer(t, "GET", "/api/0/organizations/acme/repos/", org, nil).JSON(t, &repos)
	if res.Status != http.StatusOK || len(repos) != 3 || repos[2].Name != "origin" {
		t.Errorf("commits naming a new repository: %d %s; repos %+v", res.Status, res.Body, repos)
	}
}
