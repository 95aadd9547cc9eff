package api_test

import (
	"bytes"
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// These tests run the real sentry-cli (the @sentry/cli npm package, which ships the binary)
// against a running tokenboard: the tokens minted here must work with Sentry's own client.

// sentryCLI finds the sentry-cli binary (apptest.Tool: $TOKENBOARD_SENTRY_CLI, set by `make test`,
// or the npm package at the module root); without it the test is skipped, or fails under `make test`.
func sentryCLI(t *testing.T) string {
	t.Helper()
	return apptest.Tool(t, "sentry-cli", apptest.SentryCLIHint)
}

// cliResult is one sentry-cli run.
type cliResult struct {
	code           int
	stdout, stderr string
}

// runCLI runs sentry-cli with only the given token and a clean home: no ~/.sentryclirc, no
// .env, no SENTRY_* variables from the environment, no update check.
func runCLI(t *testing.T, token string, args ...string) cliResult {
	t.Helper()
	return runCLIIn(t, t.TempDir(), token, nil, args...)
}

// runCLIIn is runCLI in a directory, with extra environment variables.
func runCLIIn(t *testing.T, dir, token string, env []string, args ...string) cliResult {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(sentryCLI(t), args...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"HOME=" + home, "PATH=/usr/bin:/bin", "SENTRY_LOAD_DOTENV=0", "SENTRY_DISABLE_UPDATE_CHECK=1",
		"SENTRY_AUTH_TOKEN=" + token,
	}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("running sentry-cli: %v", err)
	}
	return res
}

// mustCLI runs sentry-cli and fails the test unless it succeeds; on failure it runs the
// command again with --log-level=debug to show the requests.
func mustCLI(t *testing.T, token string, args ...string) string {
	t.Helper()
	res := runCLI(t, token, args...)
	if res.code != 0 {
		debug := runCLI(t, token, append([]string{"--log-level=debug"}, args...)...)
		t.Fatalf("sentry-cli %s: exit %d\nstdout:\n%s\nstderr:\n%s\ndebug run:\n%s", strings.Join(args, " "),
			res.code, res.stdout, res.stderr, debug.stderr)
	}
	return res.stdout
}

func TestSentryCLIWithOrgToken(t *testing.T) {
	t.Parallel()
	sentryCLI(t) // skip (or fail under make test) here, not subtest by subtest: later ones need the earlier
	app := apptest.Start(t)
	// The token alone: its payload carries the server's URL and the organization.
	token := app.MintOrgToken(t, "acme", "CI")

	t.Run("InfoShowsTheTokensScopes", func(t *testing.T) {
		out := mustCLI(t, token, "info")
		for _, want := range []string{"Sentry Server: " + app.URL, "Method: Auth Token", "- org:ci"} {
			if !strings.Contains(out, want) {
				t.Errorf("info output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ProjectsListShowsAcmesProjects", func(t *testing.T) {
		out := mustCLI(t, token, "projects", "list")
		for _, want := range []string{"| web ", "| Web ", "| api ", "| Backend | API "} {
			if !strings.Contains(out, want) {
				t.Errorf("projects list lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ReleasesNewCreatesTheRelease", func(t *testing.T) {
		out := mustCLI(t, token, "releases", "new", "-p", "web", "1.0.0")
		if !strings.Contains(out, "Created release 1.0.0") {
			t.Errorf("releases new printed:\n%s", out)
		}
	})
	t.Run("ReleasesListShowsItUnreleased", func(t *testing.T) {
		out := mustCLI(t, token, "releases", "list")
		if !strings.Contains(out, "1.0.0") || !strings.Contains(out, "(unreleased)") {
			t.Errorf("releases list:\n%s", out)
		}
	})
	t.Run("ReleasesFinalizeReleasesIt", func(t *testing.T) {
		out := mustCLI(t, token, "releases", "finalize", "1.0.0")
		if !strings.Contains(out, "Finalized release 1.0.0") {
			t.Errorf("releases finalize printed:\n%s", out)
		}
		out = mustCLI(t, token, "releases", "list", "-p", "web")
		if !strings.Contains(out, "1.0.0") || strings.Contains(out, "(unreleased)") {
			t.Errorf("after finalize, releases list -p web:\n%s", out)
		}
	})
	t.Run("TokenIsLastUsedInProjectWeb", func(t *testing.T) {
		app.FlushUsage(t)
		at, project := app.TokenLastUsed(t, token)
		if at == nil || project != "web" {
			t.Errorf("last used = %v in project %q, want a time in project web", at, project)
		}
	})

	app.RevokeToken(t, token)
	t.Run("RevokedTokenFailsEveryCommandWith401", func(t *testing.T) {
		for _, args := range [][]string{
			{"projects", "list"}, {"releases", "new", "-p", "web", "2.0.0"}, {"releases", "list"},
			{"releases", "finalize", "1.0.0"},
		} {
			res := runCLI(t, token, args...)
			want := "sentry reported an error: Invalid org token (http status: 401)"
			if res.code != 1 || !strings.Contains(res.stderr, want) {
				t.Errorf("sentry-cli %s: exit %d, stderr:\n%s\nwant exit 1 and %q", strings.Join(args, " "), res.code, res.stderr, want)
			}
		}
		checkInfoFails(t, token, "Invalid org token")
	})
}

// checkInfoFails checks that "sentry-cli info" fails with the token's 401.
func checkInfoFails(t *testing.T, token string, detail string, args ...string) {
	t.Helper()
	res := runCLI(t, token, append(args, "info")...)
	want := "sentry reported an error: " + detail + " (http status: 401)"
	if res.code != 1 || !strings.Contains(res.stderr, want) {
		t.Errorf("info: exit %d, stderr:\n%s\nwant exit 1 and %q", res.code, res.stderr, want)
	}
}

func TestSentryCLIWithUserToken(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	token := app.MintUserToken(t, "member@acme.test",
		core.NewScopeSet(core.ScopeOrgRead, core.ScopeProjectRead, core.ScopeProjectReleases), nil)

	t.Run("OrganizationsListShowsAcme", func(t *testing.T) {
		out := mustCLI(t, token, "--url", app.URL, "organizations", "list")
		if !strings.Contains(out, "acme") || !strings.Contains(out, "Acme Corp") || strings.Contains(out, "globex") {
			t.Errorf("organizations list:\n%s", out)
		}
	})
	t.Run("InfoShowsTheUserAndScopes", func(t *testing.T) {
		out := mustCLI(t, token, "--url", app.URL, "info")
		for _, want := range []string{"Sentry Server: " + app.URL, "User: member@acme.test", "- org:read", "- project:releases"} {
			if !strings.Contains(out, want) {
				t.Errorf("info output lacks %q:\n%s", want, out)
			}
		}
	})

	app.RevokeToken(t, token)
	t.Run("RevokedTokenFailsWith401", func(t *testing.T) {
		res := runCLI(t, token, "--url", app.URL, "organizations", "list")
		want := "sentry reported an error: Invalid token (http status: 401)"
		if res.code != 1 || !strings.Contains(res.stderr, want) {
			t.Errorf("organizations list: exit %d, stderr:\n%s\nwant exit 1 and %q", res.code, res.stderr, want)
		}
		checkInfoFails(t, token, "Invalid token", "--url", app.URL)
	})
}
