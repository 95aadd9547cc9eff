package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// openSQLite opens a fresh SQLite store, whatever the run's backend: these tests are of the
// SQLite connection's statement cache.
func openSQLite(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// A query that runs again, with the same text, while its first result set is still being
// read (a nested query in one transaction, on one connection) must not reset the first one:
// the second run gets a statement of its own, and both read every row.
func TestNestedRunsOfOneTextEachReadTheirRows(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openSQLite(t)
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE n (v INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 3; v++ {
		if _, err := tx.ExecContext(ctx, `INSERT INTO n (v) VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT v FROM n WHERE v >= ? ORDER BY v`
	outer, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	var pairs []string
	for outer.Next() {
		var a int
		if err := outer.Scan(&a); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, q, a)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			var b int
			if err := inner.Scan(&b); err != nil {
				t.Fatal(err)
			}
			pairs = append(pairs, fmt.Sprint(a, b))
		}
		if err := inner.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	outer.Close()
	if got, want := fmt.Sprint(pairs), "[1 1 1 2 1 3 2 2 2 3 3 3]"; got != want {
		t.Fatalf("pairs %s, want %s", got, want)
	}
	// Once closed, the text runs on its kept statement again, with new arguments.
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM n WHERE v >= ?`, 2).Scan(&n); err != nil || n != 2 {
		t.Fatalf("count %d, %v; want 2", n, err)
	}
}

// A statement that failed (a constraint) is reset and runs again; past the cache's bound, new
// texts still run (unprepared); and the kept statements answer with their new arguments.
func TestKeptStatementsSurviveErrorsAndTheBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openSQLite(t)
	conn, err := db.db.Conn(ctx) // one connection, so one statement cache
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `CREATE TEMP TABLE u (k TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	const insert = `INSERT INTO u (k) VALUES (?)`
	if _, err := conn.ExecContext(ctx, insert, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, insert, "a"); err == nil {
		t.Fatal("a duplicate key was inserted")
	}
	if _, err := conn.ExecContext(ctx, insert, "b"); err != nil {
		t.Fatalf("the statement after its failure: %v", err)
	}
	for i := range maxCachedStatements + 10 {
		var got int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT %d + ?`, i), 1).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("text %d: %d, %v", i, got, err)
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM u WHERE k <> ?`, "a").Scan(&n); err != nil || n != 1 {
		t.Fatalf("count %d, %v; want 1", n, err)
	}
	// A syntax error is the driver's, as before.
	if _, err := conn.ExecContext(ctx, `INSERT INTO`); err == nil {
		t.Fatal("a syntax error ran")
	}
}
