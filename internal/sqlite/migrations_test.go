package sqlite

import (
	"context"
	"io/fs"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
)

// TestMigrationNumbering refuses gaps and duplicates in the migrations' numbers: migrations
// run in file-name order, so a gap filled later (a new 0004 after 0006 has run) would run in
// one order on old databases and another on new ones.
func TestMigrationNumbering(t *testing.T) {
	names, err := fs.Glob(migrations, "migrations/*")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	pattern := regexp.MustCompile(`^migrations/(\d{4})_[a-z0-9_]+\.sql$`)
	seen := map[int]string{}
	for i, name := range names {
		m := pattern.FindStringSubmatch(name)
		if m == nil {
			t.Errorf("%s: a migration is named NNNN_words.sql", name)
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if prev, dup := seen[n]; dup {
			t.Errorf("%s and %s share the number %04d", prev, name, n)
		}
		seen[n] = name
		if n != i+1 {
			t.Errorf("%s: expected number %04d here (no gaps)", name, i+1)
		}
	}
	for name, olds := range legacyMigrationNames {
		if _, err := fs.Stat(migrations, name); err != nil {
			t.Errorf("legacy names for %s, which does not exist", name)
		}
		for _, old := range olds {
			if _, err := fs.Stat(migrations, old); err == nil {
				t.Errorf("legacy name %s is also a file: it would run twice", old)
			}
		}
	}
}

// TestMigrationUnderLegacyName checks that a database which applied a migration under its
// old name does not run it again.
func TestMigrationUnderLegacyName(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "legacy.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Make the database look like one migrated before the renumbering.
	if _, err := db.db.Exec(`UPDATE schema_migrations SET name = 'migrations/0006_api.sql'
		WHERE name = 'migrations/0004_api.sql'`); err != nil {
		t.Fatal(err)
	}
	// 0004 creates an index without IF NOT EXISTS: running it again would fail.
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating a database that ran 0004 as 0006: %v", err)
	}
	var n int
	if err := db.db.QueryRow(`SELECT count(*) FROM schema_migrations WHERE name LIKE '%_api.sql'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("%d rows for the api migration, want 1", n)
	}
}
