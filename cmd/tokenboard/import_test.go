package main

import (
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/datadir"
	"github.com/tokenboard/tokenboard/internal/pgtest"
)

// `tokenboard import` moves a SQLite installation into an empty PostgreSQL database once; it
// refuses a database that is not empty, a data folder a server is serving, and missing flags.
func TestImportFromSQLite(t *testing.T) {
	data := demoDataFolder(t)
	url := pgtest.NewDatabase(t)

	if _, err := run(t, "", "import", "--database-url", url); err == nil || !strings.Contains(err.Error(), "--from-sqlite") {
		t.Errorf("import without --from-sqlite: %v", err)
	}
	if _, err := run(t, "", "import", "--from-sqlite", data); err == nil || !strings.Contains(err.Error(), "--database-url") {
		t.Errorf("import without --database-url: %v", err)
	}
	if _, err := run(t, "", "import", "--from-sqlite", t.TempDir(), "--database-url", url); err == nil || !strings.Contains(err.Error(), "no SQLite installation") {
		t.Errorf("import of an empty folder: %v", err)
	}
	lock, err := datadir.Acquire(data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "", "import", "--from-sqlite", data, "--database-url", url); err == nil || !strings.Contains(err.Error(), "stop the server") {
		t.Errorf("import of a folder being served: %v", err)
	}
	lock.Release()

	out, err := run(t, "", "import", "--from-sqlite", data, "--database-url", url)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Imported ") || !strings.Contains(out, "users ") {
		t.Errorf("import output:\n%s", out)
	}
	out, err = run(t, "", "import", "--from-sqlite", data, "--database-url", url)
	if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("second import: %v\n%s", err, out)
	}
	// The imported database serves: the operator commands find the demo users on it.
	if out, err := run(t, "", "member", "add", "--database-url", url, "--data", t.TempDir(),
		"--org", "acme", "--email", "owner@globex.test", "--role", "member"); err != nil {
		t.Errorf("operator command on the imported database: %v\n%s", err, out)
	}
}
