package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"
)

// run runs the program with args against dataDir and returns what it printed.
func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := NewMain(strings.NewReader(stdin), &out, &errOut)
	m.PasswordCost = bcrypt.MinCost // the real cost takes seconds per password under -race
	err := m.Run(context.Background(), args)
	return out.String() + errOut.String(), err
}

// dump returns every row of every table, in a stable order, as text.
func dump(t *testing.T, dataDir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tables, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for tables.Next() {
		var n string
		tables.Scan(&n)
		names = append(names, n)
	}
	tables.Close()
	var b strings.Builder
	for _, name := range names {
		rows, err := db.Query(`SELECT * FROM "` + name + `" ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintf(&b, "%s %v\n", name, vals)
		}
		rows.Close()
	}
	return b.String()
}

func TestDemoTwiceLeavesTheSameData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, err := run(t, "", "demo", "--data", dir)
	if err != nil {
		t.Fatalf("first demo: %v\n%s", err, out)
	}
	for _, want := range []string{"owner@acme.test", "billing@acme.test", "owner@globex.test", `"tokenboard-demo"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the demo's output lacks %q:\n%s", want, out)
		}
	}
	first := dump(t, dir)
	if out, err := run(t, "", "demo", "--data", dir); err != nil {
		t.Fatalf("second demo: %v\n%s", err, out)
	}
	if second := dump(t, dir); second != first {
		t.Errorf("the second run changed the data:\nbefore:\n%s\nafter:\n%s", first, second)
	}
	for _, want := range []string{"orgs [1 acme Acme Corp", "orgs [2 globex Globex", "projects [1 1 <nil> web Web", "teams [1 1 backend Backend"} {
		if !strings.Contains(first, want) {
			t.Errorf("the demo data lacks %q", want)
		}
	}
}

func TestOperatorCommands(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	steps := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"s3cret-password\n", []string{"user", "create", "--data", dir, "--email", "ops@example.com", "--name", "Ops", "--password-stdin"}, "Created user ops@example.com"},
		{"another-password\n", []string{"user", "create", "--data", dir, "--email", "dev@example.com", "--password-stdin"}, "Created user dev@example.com"},
		{"", []string{"org", "create", "--data", dir, "--slug", "ops", "--name", "Ops Inc", "--owner", "ops@example.com"}, "Created organization ops owned by ops@example.com"},
		{"", []string{"member", "add", "--data", dir, "--org", "ops", "--email", "dev@example.com", "--role", "manager"}, "Added dev@example.com to ops as manager"},
	}
	for _, s := range steps {
		out, err := run(t, s.stdin, s.args...)
		if err != nil || !strings.Contains(out, s.want) {
			t.Fatalf("%v: %v\n%s", s.args, err, out)
		}
	}
	if strings.Contains(dump(t, dir), "s3cret-password") {
		t.Error("a password is stored in plain text")
	}

	failures := []struct {
		stdin string
		args  []string
		want  string
	}{
		{"short\n", []string{"user", "create", "--data", dir, "--email", "x@example.com", "--password-stdin"}, "at least 8 characters"},
		{"", []string{"user", "create", "--data", dir, "--email", "x@example.com"}, "--password-stdin"},
		{"", []string{"org", "create", "--data", dir, "--slug", "ops", "--name", "Again", "--owner", "ops@example.com"}, "already exists"},
		{"", []string{"member", "add", "--data", dir, "--org", "ops", "--email", "dev@example.com", "--role", "wizard"}, "valid role"},
		{"", []string{"frobnicate", "--data", dir}, "unknown command"},
	}
	for _, f := range failures {
		out, err := run(t, f.stdin, f.args...)
		if err == nil || !strings.Contains(err.Error()+out, f.want) {
			t.Errorf("%v: err %v, output %q; want an error mentioning %q", f.args, err, out, f.want)
		}
	}
}

func TestHelpDocumentsEverySetting(t *testing.T) {
	t.Parallel()
	out, err := run(t, "", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--addr", "TOKENBOARD_ADDR", "--data", "TOKENBOARD_DATA", "--base-url", "TOKENBOARD_BASE_URL",
		"--smtp-url", "TOKENBOARD_SMTP_URL", "--mail-from", "TOKENBOARD_MAIL_FROM", "--demo", "user create", "org create", "member add"} {
		if !strings.Contains(strings.ReplaceAll(out, "  -", "  --"), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
