package apptest

import (
	"os"
	"path/filepath"
	"testing"
)

// recordingTB records how Tool ended a test instead of ending it.
type recordingTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordingTB) Helper()                           {}
func (r *recordingTB) Skipf(format string, args ...any)  { r.skipped = format }
func (r *recordingTB) Fatalf(format string, args ...any) { r.failed = format }

// A missing tool skips under a plain `go test` and fails under `make test`; an override wins.
// Not parallel: it sets environment variables, which are the process's.
func TestTool(t *testing.T) {
	const name = "tokenboard-no-such-tool"
	t.Setenv("TOKENBOARD_TOKENBOARD_NO_SUCH_TOOL", "")

	t.Setenv(RequireToolsEnv, "")
	r := &recordingTB{TB: t}
	if p := Tool(r, name, "install it"); p != "" || r.skipped == "" || r.failed != "" {
		t.Errorf("missing tool: path %q, skipped %q, failed %q; want a skip", p, r.skipped, r.failed)
	}

	t.Setenv(RequireToolsEnv, "1")
	r = &recordingTB{TB: t}
	if Tool(r, name, "install it"); r.failed == "" || r.skipped != "" {
		t.Errorf("missing tool under %s=1: skipped %q, failed %q; want a failure", RequireToolsEnv, r.skipped, r.failed)
	}

	bin := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TOKENBOARD_TOKENBOARD_NO_SUCH_TOOL", bin)
	r = &recordingTB{TB: t}
	if p := Tool(r, name, "install it"); p != bin || r.failed != "" || r.skipped != "" {
		t.Errorf("override: path %q, skipped %q, failed %q", p, r.skipped, r.failed)
	}
}
