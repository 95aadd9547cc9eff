package apptest

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	// The same driver the app uses; registered as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/tokenboard/tokenboard/internal/core"
)

// DatabasePath is the app's SQLite file.
func (a *App) DatabasePath() string { return filepath.Join(a.DataDir, "tokenboard.db") }

// SQL opens a second connection pool to the app's database file, closed when the test ends,
// for what the services deliberately cannot do: bulk seeding and inspecting raw rows.
func (a *App) SQL(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+a.DatabasePath()+"?_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// FindInDatabase returns where s occurs in the database: "table.column" for every text or blob
// value of every table containing it (read through SQL), and the name of each database file
// (main, -wal) whose raw bytes contain it, which also catches freed pages and dropped rows.
func (a *App) FindInDatabase(t testing.TB, s string) []string {
	t.Helper()
	db := a.SQL(t)
	ctx := context.Background()
	var found []string
	tables := queryStrings(t, db, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	for _, table := range tables {
		quoted := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
		for _, col := range queryStrings(t, db, `SELECT name FROM pragma_table_info(?)`, table) {
			qc := `"` + strings.ReplaceAll(col, `"`, `""`) + `"`
			var n int
			err := db.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE typeof(%s) IN ('text', 'blob')
				AND instr(CAST(%s AS BLOB), CAST(? AS BLOB)) > 0`, quoted, qc, qc), s).Scan(&n)
			if err != nil {
				t.Fatalf("scanning %s.%s: %v", table, col, err)
			}
			if n > 0 {
				found = append(found, table+"."+col)
			}
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(a.DatabasePath() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(s)) {
			found = append(found, "file tokenboard.db"+suffix)
		}
	}
	return found
}

func queryStrings(t testing.TB, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// SeedOrgTokens inserts n org tokens into the organization in one transaction, much faster
// than creating them one by one, for tests and benchmarks of long lists. Their names are
// "<prefix> 00001"…; every third one was last used, at distinct times. The hashes are of
// made-up strings: none of these tokens authenticates.
func (a *App) SeedOrgTokens(t testing.TB, orgID int64, prefix string, n int) {
	t.Helper()
	db := a.SQL(t)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare(`INSERT INTO org_tokens (org_id, token_hash, last_chars, name, scopes, created_at, last_used_at)
		VALUES (?, ?, ?, ?, 'org:ci', ?, ?)`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	now := time.Now().Unix()
	for i := 1; i <= n; i++ {
		var lastUsed sql.NullInt64
		if i%3 == 0 {
			lastUsed = sql.NullInt64{Int64: now - int64(i), Valid: true}
		}
		key := fmt.Sprintf("seed-%d-%s-%d-%d", orgID, prefix, i, time.Now().UnixNano())
		if _, err := stmt.Exec(orgID, core.HashToken(key), fmt.Sprintf("%04d", i%10000), fmt.Sprintf("%s %05d", prefix, i),
			now-int64(n-i), lastUsed); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// Checkpoint copies the write-ahead log into the database file and empties it, as SQLite does
// on its own from time to time, so a test can check what the file holds afterwards.
func (a *App) Checkpoint(t testing.TB) {
	t.Helper()
	if _, err := a.SQL(t).Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
}
