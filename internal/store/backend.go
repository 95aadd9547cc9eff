package store

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlitelib "modernc.org/sqlite/lib"
)

// backend is what differs between the two databases the store runs on. Everything else — every
// query, every transaction's logic — is shared: the queries are written in the SQL both engines
// understand (pgdriver.go rewrites the placeholders for PostgreSQL).
type backend interface {
	// migrations are the backend's numbered schema files, under dir.
	migrations() (fsys fs.FS, dir string)
	// lockMigrations keeps other processes from migrating the database until unlock.
	lockMigrations(ctx context.Context, conn *sql.Conn) (unlock func(), err error)
	// beginWrite makes tx the database's one writer, waiting at most wait (see writeTx).
	beginWrite(ctx context.Context, tx *sql.Tx, wait time.Duration) error
	// announceWrite tells the other instances, within tx, that cached answers are stale
	// once tx commits.
	announceWrite(ctx context.Context, tx *sql.Tx) error
	// readOnly are the options of a read transaction: one consistent snapshot.
	readOnly() *sql.TxOptions
}

// sqliteBackend is the embedded default: one file, one process (the data folder's lock).
type sqliteBackend struct{}

func (sqliteBackend) migrations() (fs.FS, string) { return sqliteMigrations, "migrations" }

// lockMigrations needs no lock: the migrating transaction holds SQLite's write lock.
func (sqliteBackend) lockMigrations(context.Context, *sql.Conn) (func(), error) {
	return func() {}, nil
}

// beginWrite has nothing to do: _txlock=immediate took SQLite's write lock at BEGIN.
func (sqliteBackend) beginWrite(context.Context, *sql.Tx, time.Duration) error { return nil }

// announceWrite has no one to tell: only this process serves the file (operator commands
// announce their writes through the data folder's control socket).
func (sqliteBackend) announceWrite(context.Context, *sql.Tx) error { return nil }

// readOnly begins DEFERRED (the driver ignores _txlock=immediate for read-only transactions),
// so in WAL mode readers neither wait for nor block the writer.
func (sqliteBackend) readOnly() *sql.TxOptions { return &sql.TxOptions{ReadOnly: true} }

// isBusy reports an error that means the write could not get the database's write lock in
// time: SQLite's "database is locked", PostgreSQL's lock_timeout.
func isBusy(err error) bool {
	var serr *sqlite.Error
	if errors.As(err, &serr) && serr.Code()&0xff == sqlitelib.SQLITE_BUSY {
		return true
	}
	var perr *pgconn.PgError
	return errors.As(err, &perr) && perr.Code == pgLockNotAvailable
}

// isUniqueViolation reports a uniqueness violation, by the engine's error code (never by
// matching the message).
func isUniqueViolation(err error) bool {
	var serr *sqlite.Error
	if errors.As(err, &serr) {
		return serr.Code() == sqlitelib.SQLITE_CONSTRAINT_UNIQUE || serr.Code() == sqlitelib.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var perr *pgconn.PgError
	return errors.As(err, &perr) && perr.Code == pgUniqueViolation
}

// PostgreSQL's error codes the store tells apart (Appendix A of its manual).
const (
	pgUniqueViolation  = "23505"
	pgLockNotAvailable = "55P03"
)

// millis is d as PostgreSQL's duration setting text, at least 1 ms (0 would mean "no limit").
func millis(d time.Duration) string {
	ms := d.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	return strconv.FormatInt(ms, 10) + "ms"
}
