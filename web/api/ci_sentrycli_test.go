package api_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/bundle"
	"github.com/tokenboard/tokenboard/internal/core"
)

// TestSentryCLICIJob runs, with the real sentry-cli 3.8.0 and an org token minted through the
// org-token service, every command of issue 13's table as a CI job would, and checks each
// result through the API and the blob store.
func TestSentryCLICIJob(t *testing.T) {
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")
	work := t.TempDir()
	cli := func(t *testing.T, dir string, env []string, args ...string) cliResult {
		t.Helper()
		return runCLIIn(t, dir, token, env, args...)
	}
	must := func(t *testing.T, dir string, args ...string) string {
		t.Helper()
		res := cli(t, dir, nil, args...)
		if res.code != 0 {
			debug := cli(t, dir, nil, append([]string{"--log-level=debug"}, args...)...)
			t.Fatalf("sentry-cli %s: exit %d\nstdout:\n%s\nstderr:\n%s\ndebug:\n%s", strings.Join(args, " "), res.code,
				res.stdout, res.stderr, debug.stderr)
		}
		return res.stdout + res.stderr
	}
	get := func(t *testing.T, path string, v any) {
		t.Helper()
		res := app.Bearer(t, http.MethodGet, path, token, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
		}
		res.JSON(t, v)
	}
	chunkPosts := func() int {
		return strings.Count(app.Logs.String(), `method=POST route=/api/0/organizations/:org/chunk-upload/ status=200`)
	}
	must(t, work, "releases", "new", "-p", "web", "1.0")

	dist := filepath.Join(work, "dist")
	os.MkdirAll(dist, 0o755)
	os.WriteFile(filepath.Join(dist, "main.js"), []byte("function a(){console.log('x')}\n//# sourceMappingURL=main.js.map\n"), 0o644)
	os.WriteFile(filepath.Join(dist, "main.js.map"), []byte(`{"version":3,"sources":["main.ts"],"names":[],"mappings":"AAAA","file":"main.js"}`), 0o644)

	t.Run("SourcemapsUpload", func(t *testing.T) {
		must(t, work, "sourcemaps", "inject", dist)
		out := must(t, work, "sourcemaps", "upload", "-p", "web", "--release", "1.0", dist)
		if posts := chunkPosts(); posts != 1 {
			t.Errorf("%d chunk POSTs, want 1:\n%s", posts, out)
		}
		var bundles []struct {
			BundleID     string `json:"bundleId"`
			FileCount    int    `json:"fileCount"`
			Associations []struct {
				Release string `json:"release"`
			} `json:"associations"`
		}
		get(t, "/api/0/projects/acme/web/files/artifact-bundles/", &bundles)
		if len(bundles) != 1 || bundles[0].FileCount != 2 || len(bundles[0].Associations) != 1 || bundles[0].Associations[0].Release != "1.0" {
			t.Fatalf("bundles %+v", bundles)
		}
		var files struct {
			Files []struct {
				ID       string `json:"id"`
				FilePath string `json:"filePath"`
				FileSize int64  `json:"fileSize"`
				FileType int    `json:"fileType"`
			} `json:"files"`
		}
		get(t, "/api/0/projects/acme/web/artifact-bundles/"+bundles[0].BundleID+"/files/", &files)
		if len(files.Files) != 2 || files.Files[0].FilePath != "~/main.js" || files.Files[0].FileType != 2 ||
			files.Files[1].FilePath != "~/main.js.map" || files.Files[1].FileType != 3 {
			t.Fatalf("files %+v", files)
		}
		// Each file reads back from the blob store byte for byte as sentry-cli left it on disk.
		ctx := apptest.AsOperator()
		org := app.Org(t, "acme")
		b, err := app.DB.ArtifactBundleByBundleID(ctx, org.ID, bundles[0].BundleID)
		if err != nil {
			t.Fatal(err)
		}
		stored, chunks, err := app.DB.ArtifactBundleFiles(ctx, org.ID, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		c, err := bundle.OpenChunks(ctx, app.Blobs, chunks)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		zr, err := zip.NewReader(c, c.Size())
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range stored {
			rc, err := zr.Open(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			want, _ := os.ReadFile(filepath.Join(dist, strings.TrimPrefix(f.URL, "~/")))
			if !bytes.Equal(got, want) || int64(len(got)) != files.Files[i].FileSize {
				t.Errorf("%s in the bundle (%d bytes) differs from the file on disk (%d bytes)", f.URL, len(got), len(want))
			}
		}

		// The same upload again sends no chunk.
		out = must(t, work, "sourcemaps", "upload", "-p", "web", "--release", "1.0", dist)
		if posts := chunkPosts(); posts != 1 || !strings.Contains(out, "Nothing to upload") {
			t.Errorf("the second upload made %d chunk POSTs in all:\n%s", posts, out)
		}
		app.FlushUsage(t)
		if tok := app.OrgToken(t, app.Principal(t, token).TokenID); tok.LastUsedAction.Describe(tok.LastUsedProject) != "uploaded source maps to web" {
			t.Errorf("last access %q in %q", tok.LastUsedAction, tok.LastUsedProject)
		}
	})

	t.Run("DebugFilesUpload", func(t *testing.T) {
		elf, err := os.ReadFile("/bin/true")
		if err != nil {
			t.Skip("no /bin/true to upload as a debug file")
		}
		bin := filepath.Join(work, "bin")
		os.MkdirAll(bin, 0o755)
		os.WriteFile(filepath.Join(bin, "true"), elf, 0o755)
		before := chunkPosts()
		out := must(t, work, "debug-files", "upload", "-p", "web", bin)
		if !strings.Contains(out, "OK") || chunkPosts() != before+1 {
			t.Fatalf("debug-files upload (%d chunk POSTs):\n%s", chunkPosts()-before, out)
		}
		ctx := apptest.AsOperator()
		org := app.Org(t, "acme")
		web := projectBySlug(t, app, "web")
		difs, err := app.DB.DebugFiles(ctx, org.ID, web.ID, core.Page{Limit: 10})
		if err != nil || len(difs) != 1 || difs[0].Kind != bundle.KindELF || difs[0].Size != int64(len(elf)) || difs[0].Name != "true" {
			t.Fatalf("debug files %+v, %v", difs, err)
		}
		// Again: nothing is uploaded.
		must(t, work, "debug-files", "upload", "-p", "web", bin)
		if chunkPosts() != before+1 {
			t.Errorf("the second debug-files upload posted chunks")
		}
	})

	t.Run("DeploysNew", func(t *testing.T) {
		out := must(t, work, "releases", "deploys", "1.0", "new", "-e", "production")
		if !strings.Contains(out, "production") {
			t.Errorf("deploys new printed:\n%s", out)
		}
		var rel struct {
			DeployCount int `json:"deployCount"`
			LastDeploy  *struct {
				Environment string `json:"environment"`
			} `json:"lastDeploy"`
		}
		get(t, "/api/0/organizations/acme/releases/1.0/", &rel)
		if rel.DeployCount != 1 || rel.LastDeploy == nil || rel.LastDeploy.Environment != "production" {
			t.Errorf("release %+v", rel)
		}
	})

	t.Run("DeploysList", func(t *testing.T) {
		out := must(t, work, "deploys", "list", "-r", "1.0")
		if !strings.Contains(out, "production") {
			t.Errorf("deploys list:\n%s", out)
		}
	})

	sha := "0123456789abcdef0123456789abcdef01234567"
	t.Run("SetCommitsWithRef", func(t *testing.T) {
		// The demo's acme has the repository acme/web (Settings > Repositories), so the
		// command of issue 13's table works on a fresh "make run" as it is.
		must(t, work, "releases", "set-commits", "1.0", "--commit", "acme/web@"+sha)
		var commits []struct {
			ID         string `json:"id"`
			Repository struct {
				Name string `json:"name"`
			} `json:"repository"`
		}
		get(t, "/api/0/organizations/acme/releases/1.0/commits/", &commits)
		if len(commits) != 1 || commits[0].ID != sha || commits[0].Repository.Name != "acme/web" {
			t.Errorf("commits %+v", commits)
		}
		var repos []struct {
			Name string `json:"name"`
		}
		get(t, "/api/0/organizations/acme/repos/", &repos)
		if len(repos) != 1 || repos[0].Name != "acme/web" {
			t.Errorf("repos %+v", repos)
		}
		// The CLI itself refuses a repository missing from the list, and the refs themselves
		// are refused as Sentry refuses them, saying where to add it.
		unknown := cli(t, work, nil, "releases", "set-commits", "1.0", "--commit", "acme/api@"+sha)
		if unknown.code == 0 || !strings.Contains(unknown.stderr, "Unknown repo 'acme/api'") {
			t.Errorf("set-commits naming a repository not added: exit %d\n%s%s", unknown.code, unknown.stdout, unknown.stderr)
		}
		res := app.Bearer(t, http.MethodPut, "/api/0/organizations/acme/releases/1.0/", token,
			map[string]any{"refs": []map[string]any{{"repository": "acme/api", "commit": sha, "previousCommit": nil}}})
		var refused map[string][]string
		res.JSON(t, &refused)
		if res.Status != http.StatusBadRequest || len(refused["refs"]) != 1 || !strings.Contains(refused["refs"][0], "Invalid repository names: acme/api.") ||
			!strings.Contains(refused["refs"][0], "/settings/acme/repos/") {
			t.Errorf("refs naming a missing repository: %d %s", res.Status, res.Body)
		}
	})

	t.Run("SetCommitsAuto", func(t *testing.T) {
		repo := filepath.Join(work, "checkout")
		gitRun := func(args ...string) {
			cmd := exec.Command("git", args...)
			cmd.Dir = repo
			cmd.Env = []string{"HOME=" + work, "PATH=/usr/bin:/bin", "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@acme.test",
				"GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@acme.test"}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
		}
		os.MkdirAll(repo, 0o755)
		gitRun("init", "-q", "-b", "main")
		gitRun("remote", "add", "origin", "https://github.com/acme/web.git")
		for _, msg := range []string{"first", "second"} {
			os.WriteFile(filepath.Join(repo, msg+".txt"), []byte(msg), 0o644)
			gitRun("add", ".")
			gitRun("commit", "-q", "-m", msg)
		}
		must(t, work, "releases", "new", "-p", "web", "2.0")
		must(t, repo, "releases", "set-commits", "2.0", "--auto", "--ignore-missing")
		var rel struct {
			CommitCount int `json:"commitCount"`
			Authors     []struct {
				Email string `json:"email"`
			} `json:"authors"`
			LastCommit *struct {
				Message string `json:"message"`
			} `json:"lastCommit"`
		}
		get(t, "/api/0/organizations/acme/releases/2.0/", &rel)
		if rel.CommitCount != 2 || len(rel.Authors) != 1 || rel.Authors[0].Email != "dev@acme.test" ||
			rel.LastCommit == nil || strings.TrimSpace(rel.LastCommit.Message) != "second" {
			t.Errorf("release 2.0 after set-commits --auto: %+v %+v", rel, rel.LastCommit)
		}
	})

	t.Run("InfoShowCommits", func(t *testing.T) {
		out := must(t, work, "releases", "info", "1.0", "--show-commits")
		if !strings.Contains(out, sha[:12]) && !strings.Contains(out, sha) {
			t.Errorf("releases info --show-commits:\n%s", out)
		}
	})

	t.Run("ArchiveAndRestore", func(t *testing.T) {
		must(t, work, "releases", "archive", "1.0")
		var rel struct {
			Status string `json:"status"`
		}
		get(t, "/api/0/organizations/acme/releases/1.0/", &rel)
		if rel.Status != "archived" {
			t.Errorf("after archive, status %q", rel.Status)
		}
		must(t, work, "releases", "restore", "1.0")
		get(t, "/api/0/organizations/acme/releases/1.0/", &rel)
		if rel.Status != "open" {
			t.Errorf("after restore, status %q", rel.Status)
		}
		if res := cli(t, work, nil, "releases", "archive", "nope"); res.code == 0 {
			t.Errorf("archiving an unknown release succeeded:\n%s", res.stdout)
		}
	})

	t.Run("SendEventFails", func(t *testing.T) {
		dsn := strings.Replace(app.URL, "http://", "http://0123456789abcdef0123456789abcdef@", 1) + "/1"
		res := cli(t, work, []string{"SENTRY_DSN=" + dsn}, "send-event", "-m", "hello")
		if res.code == 0 {
			t.Errorf("send-event reported success:\n%s\n%s", res.stdout, res.stderr)
		}
	})
}

// projectBySlug reads one of acme's projects as the operator.
func projectBySlug(t *testing.T, app *apptest.App, slug string) *core.Project {
	t.Helper()
	p, err := app.DB.ProjectBySlug(apptest.AsOperator(), app.Org(t, "acme").ID, slug)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
