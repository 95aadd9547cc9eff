package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tokenboard/tokenboard/internal/pgtest"
)

// The package's own tests run on the backend of the test run, like storetest's: SQLite files,
// or fresh PostgreSQL databases (pgtest) when TOKENBOARD_TEST_BACKEND=postgres and
// TOKENBOARD_TEST_POSTGRES names a server, as storetest does for the external tests (which
// this package's own tests cannot import).

// testPostgresServer is the server the run's databases are made on, "" on SQLite.
func testPostgresServer() string {
	if os.Getenv("TOKENBOARD_TEST_BACKEND") != "postgres" {
		return ""
	}
	return os.Getenv(pgtest.ServerEnv)
}

// testURLs maps the stores openEmpty opened on PostgreSQL to their databases' URLs.
var testURLs sync.Map

// testDatabaseURL is the URL of the PostgreSQL database openEmpty made for db.
func testDatabaseURL(t testing.TB, db *DB) string {
	u, ok := testURLs.Load(db)
	if !ok {
		t.Fatal("not a PostgreSQL store of openEmpty")
	}
	return u.(string)
}

// openEmpty opens a new, migrated, empty database on the run's backend, and a second handle
// on it that never waits for the write lock (SQLite) or takes no lock (PostgreSQL).
func openEmpty(t testing.TB) (*DB, *sql.DB) {
	t.Helper()
	ctx := context.Background()
	var db *DB
	var raw *sql.DB
	var err error
	if server := testPostgresServer(); server != "" {
		u := pgtest.NewDatabaseOn(t, &pgtest.Server{URL: server})
		if db, err = OpenPostgres(ctx, u); err == nil {
			raw, err = OpenPostgresHandle(u)
			testURLs.Store(db, u)
		}
	} else {
		path := filepath.Join(t.TempDir(), "tokenboard.db")
		if db, err = Open(ctx, path); err == nil {
			raw, err = sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=busy_timeout(0)&_txlock=immediate")
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(); db.Close() })
	return db, raw
}

// skipOnPostgres skips a test of SQLite itself when the run is on PostgreSQL.
func skipOnPostgres(t testing.TB, why string) {
	if testPostgresServer() != "" {
		t.Skip("SQLite only: " + why)
	}
}

// takeWriteLock takes the database's write lock in tx, as the store's writers do, without
// waiting: it fails if another transaction holds it.
func takeWriteLock(tx *sql.Tx) error {
	if testPostgresServer() == "" {
		return nil // SQLite: BEGIN IMMEDIATE took it, or failed
	}
	var ok bool
	if err := tx.QueryRow(`SELECT pg_try_advisory_xact_lock(?)`, int64(writeLockKey)).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the write lock is held")
	}
	return nil
}
