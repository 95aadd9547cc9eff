package apptest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RequireToolsEnv names the variable that makes a missing tool fail a test instead of skipping
// it. scripts/test.sh (`make test`, CI) sets it: the tests that run Chromium, sentry-cli or
// nginx are what the suite is for, so there they must never be skipped.
const RequireToolsEnv = "TOKENBOARD_REQUIRE_TOOLS"

// Tool returns the path of an external program a test runs for real (chromium, sentry-cli,
// nginx). It looks, in order, at $TOKENBOARD_<NAME> (the name upper-cased, '-' as '_', e.g.
// TOKENBOARD_SENTRY_CLI), the PATH, and the places the tool is known to be installed (the
// sbin directories, the sentry-cli npm package at the module root, Chromium's other names).
//
// A missing tool skips the test with hint (how to install it), so a plain `go test ./...` on
// a machine without it still runs everything else; with TOKENBOARD_REQUIRE_TOOLS=1 it fails
// the test instead.
func Tool(t testing.TB, name, hint string) string {
	t.Helper()
	env := "TOKENBOARD_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if p := os.Getenv(env); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("$%s: %v", env, err) // set on purpose and wrong: never a skip
			return ""
		}
		return p
	}
	if p := findTool(name); p != "" {
		return p
	}
	msg := name + " is not installed (" + hint + "; or set $" + env + " to its path)"
	if os.Getenv(RequireToolsEnv) == "1" {
		t.Fatalf("%s, and $%s=1 forbids skipping", msg, RequireToolsEnv)
		return ""
	}
	t.Skipf("skipped: %s; `make test` installs it and never skips", msg)
	return ""
}

// findTool looks for a tool on the PATH and where it is known to be installed.
func findTool(name string) string {
	names := []string{name}
	if name == "chromium" {
		names = append(names, "chromium-browser", "google-chrome")
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
		// nginx lives in /usr/sbin, which a user's PATH may lack.
		for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
			if p := filepath.Join(dir, n); isExecutable(p) {
				return p
			}
		}
	}
	if name == "sentry-cli" {
		// The npm package scripts/test.sh installs at the module root.
		if root := moduleRoot(); root != "" {
			if p := filepath.Join(root, "node_modules", "@sentry", "cli-linux-x64", "bin", "sentry-cli"); isExecutable(p) {
				return p
			}
		}
	}
	return ""
}

func isExecutable(p string) bool {
	info, err := os.Stat(p)
	return err == nil && !info.IsDir() && info.Mode().Perm()&0o111 != 0
}

// moduleRoot is the directory holding go.mod, above the test's working directory.
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
	}
	return ""
}

// SentryCLIHint says how to install sentry-cli, for Tool's skip or failure message.
const SentryCLIHint = "install the @sentry/cli-linux-x64 npm package at the module root; `make test` does"

// NginxHint says how to install nginx, for Tool's skip or failure message.
const NginxHint = "install the nginx package; `make test` does"
