package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestMigrationNumbering refuses gaps and duplicates in the migrations' numbers: migrations
// run in file-name order, so a gap filled later (a new 0004 after 0006 has run) would run in
// one order on old databases and another on new ones.
func TestMigrationNumbering(t *testing.T) {
	t.Parallel()
	for _, b := range []backend{sqliteBackend{}, postgresBackend{}} {
		fsys, dir := b.migrations()
		checkMigrationNumbering(t, fsys, dir)
	}
	for name, olds := range legacyMigrationNames {
		if _, err := fs.Stat(sqliteMigrations, name); err != nil {
			t.Errorf("legacy names for %s, which does not exist", name)
		}
		for _, old := range olds {
			if _, err := fs.Stat(sqliteMigrations, old); err == nil {
				t.Errorf("legacy name %s is also a file: it would run twice", old)
			}
		}
	}
}

func checkMigrationNumbering(t *testing.T, fsys fs.FS, dir string) {
	names, err := fs.Glob(fsys, dir+"/*")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	pattern := regexp.MustCompile(`^` + dir + `/(\d{4})_[a-z0-9_]+\.sql$`)
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
}

// TestMigrationUnderLegacyName checks that a database which applied a migration under its
// old name does not run it again.
func TestMigrationUnderLegacyName(t *testing.T) {
	skipOnPostgres(t, "a renumbering in SQLite's migration history")
	t.Parallel()
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

// TestTokensMigrationKeepsIdsAndRevocations builds a database as it was before 0005, with a
// token of each kind (and revoked ones), and checks that one table holds them after it: the
// same ids per kind, the same live or revoked state.
func TestTokensMigrationKeepsIdsAndRevocations(t *testing.T) {
	skipOnPostgres(t, "a migration of SQLite's history (PostgreSQL starts at the merged schema)")
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// Rebuild the schema of 0001–0004 alone: drop what 0005 and every later migration made.
	if _, err := db.db.Exec(`DROP TABLE tokens; DROP TABLE schema_migrations`); err != nil {
		t.Fatal(err)
	}
	for _, table := range slices.Backward(tablesCreatedAfter(t, "0005_tokens.sql")) {
		if _, err := db.db.Exec(`DROP TABLE ` + table); err != nil {
			t.Fatal(err)
		}
	}
	// And the columns later migrations added to the tables kept (the token tables are gone).
	for _, col := range columnsAddedAfter(t, "0005_tokens.sql") {
		if col[0] == "tokens" {
			continue
		}
		if _, err := db.db.Exec(`ALTER TABLE ` + col[0] + ` DROP COLUMN ` + col[1]); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"0002_tokens.sql", "0003_token_name_order.sql"} {
		body, err := sqliteMigrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "0002_tokens.sql" {
			// Keep 0001's and 0004's tables; only the token tables are recreated.
			body = []byte(strings.Split(string(body), "CREATE TABLE releases")[0])
			body = []byte(strings.Replace(string(body), "CREATE TABLE integrations", "CREATE TABLE IF NOT EXISTS integrations", 1))
			body = []byte(strings.Replace(string(body), "CREATE INDEX integrations_org", "CREATE INDEX IF NOT EXISTS integrations_org", 1))
		}
		if _, err := db.db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := db.db.Exec(`
		CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL);
		INSERT INTO schema_migrations VALUES ('migrations/0001_foundation.sql', 0), ('migrations/0002_tokens.sql', 0),
			('migrations/0003_token_name_order.sql', 0), ('migrations/0006_api.sql', 0);
		INSERT INTO orgs (id, slug, name, created_at) VALUES (7, 'acme', 'Acme', 0);
		INSERT INTO users (id, email, password_hash, created_at) VALUES (3, 'a@example.com', '', 0);
		INSERT INTO integrations (id, org_id, slug, name, scopes, created_at, updated_at) VALUES (5, 7, 'bot', 'Bot', 'org:read', 0, 0);
		INSERT INTO org_tokens (id, org_id, token_hash, last_chars, name, scopes, created_at, deactivated_at)
			VALUES (11, 7, 'h-org-live', 'aaaa', 'live', 'org:ci', 0, NULL), (12, 7, 'h-org-gone', 'bbbb', 'gone', 'org:ci', 0, 99);
		INSERT INTO user_tokens (id, user_id, token_hash, last_chars, scopes, created_at) VALUES (11, 3, 'h-user', 'cccc', 'org:read', 0);
		INSERT INTO integration_tokens (id, integration_id, token_hash, last_chars, scopes, created_at, revoked_at)
			VALUES (11, 5, 'h-int-live', 'dddd', 'org:read', 0, NULL), (13, 5, 'h-int-gone', 'eeee', 'org:read', 0, 98);
	`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrating: %v", err)
	}
	rows, err := db.db.Query(`SELECT kind, id, coalesce(org_id, 0), coalesce(user_id, 0), coalesce(integration_id, 0),
		coalesce(revoked_at, 0), revoked_reason FROM tokens ORDER BY token_hash`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var kind, reason string
		var id, org, user, integration, revoked int64
		if err := rows.Scan(&kind, &id, &org, &user, &integration, &revoked, &reason); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %d org=%d user=%d int=%d revoked=%d %q", kind, id, org, user, integration, revoked, reason))
	}
	want := []string{
		`integration 13 org=7 user=0 int=5 revoked=98 "revoked"`,
		`integration 11 org=7 user=0 int=5 revoked=0 ""`,
		`org 12 org=7 user=0 int=0 revoked=99 "revoked"`,
		`org 11 org=7 user=0 int=0 revoked=0 ""`,
		`user 11 org=0 user=3 int=0 revoked=0 ""`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the migration:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// tablesCreatedAfter lists, in creation order, the tables that the migrations numbered after
// the named one create.
func tablesCreatedAfter(t *testing.T, after string) []string {
	t.Helper()
	names, err := fs.Glob(sqliteMigrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	create := regexp.MustCompile(`(?i)CREATE TABLE (?:IF NOT EXISTS )?(\w+)`)
	var tables []string
	for _, name := range names {
		if path.Base(name) <= after {
			continue
		}
		body, err := sqliteMigrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range create.FindAllStringSubmatch(string(body), -1) {
			tables = append(tables, m[1])
		}
	}
	return tables
}

// columnsAddedAfter lists the [table, column] pairs that migrations after the named one add
// with ALTER TABLE … ADD COLUMN.
func columnsAddedAfter(t *testing.T, after string) [][2]string {
	t.Helper()
	names, err := fs.Glob(sqliteMigrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	add := regexp.MustCompile(`(?i)ALTER TABLE (\w+) ADD COLUMN (\w+)`)
	var cols [][2]string
	for _, name := range names {
		if path.Base(name) <= after {
			continue
		}
		body, err := sqliteMigrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range add.FindAllStringSubmatch(string(body), -1) {
			cols = append(cols, [2]string{m[1], m[2]})
		}
	}
	return cols
}
