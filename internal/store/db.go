// Package store keeps tokenboard's data and implements the core services: every query of the
// project lives here. It runs on an embedded SQLite database (modernc.org/sqlite, the default:
// one file, one process) or on PostgreSQL (github.com/jackc/pgx/v5, shared by several
// instances); backend.go says what differs between the two.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

//go:embed migrations/*.sql
var sqliteMigrations embed.FS

// maxIdleConns is how many connections the pool keeps open between queries.
const maxIdleConns = 32

// DB is the database and the implementation of the core services.
type DB struct {
	db *sql.DB
	// writer runs the write transactions (writeTx). On SQLite it is one connection of its own:
	// a connection's page cache is emptied whenever another connection has committed since
	// its last transaction, so writes taking turns on pooled connections each re-read the
	// pages they touch, while the one writer's cache stays warm across its own commits (7-8 %
	// more token creations a second under 64 writers, BENCHMARKS.md). On PostgreSQL it is db.
	writer *sql.DB
	// Now is the clock; tests replace it to test expiry.
	Now func() time.Time
	// BaseURL is the server's public URL, written into org tokens and email links.
	BaseURL string
	// PasswordCost is the bcrypt cost of new password hashes.
	PasswordCost int
	// MailQueued, when set, is called after a transaction that queued mail commits, so the
	// sender delivers it at once instead of at its next poll.
	MailQueued func()

	// SessionIdle is how long a browser session lives without a request (0:
	// core.DefaultSessionIdle).
	SessionIdle time.Duration

	// WriteWait is how long a write waits for its turn (see writeTx) before it fails with
	// core.EUNAVAILABLE, unless its context's deadline comes first.
	WriteWait time.Duration

	// writeTurn is held by the one transaction that writes: its capacity is 1.
	writeTurn chan struct{}
	// dummyOnce computes dummyHash, the unknown-email hash at a PasswordCost not the default.
	dummyOnce sync.Once
	dummyHash []byte
	// queuedMail holds the transactions (*sql.Tx) that queued mail, until they end.
	queuedMail sync.Map
	// caches are the Caches decorating this store, which its writes invalidate (authcache.go).
	caches caches
	// stmts holds the prepared statements of the per-request queries, by text.
	stmts sync.Map
	// tokenLookups counts bearer-token lookups that reached the database (TokenLookups).
	tokenLookups atomic.Int64

	// backend is what differs between SQLite and PostgreSQL.
	backend backend
	// answersTrusted says whether the Caches may answer from memory: always on SQLite; on
	// PostgreSQL only while the listener hears the other instances' writes.
	answersTrusted atomic.Bool
	// listener is PostgreSQL's notification connection (nil on SQLite).
	listener *listener
}

// newDB is a store on sqldb, not yet migrated.
func newDB(sqldb *sql.DB, b backend) *DB {
	return &DB{db: sqldb, writer: sqldb, backend: b, Now: func() time.Time { return time.Now().UTC() },
		PasswordCost: defaultPasswordCost, WriteWait: defaultWriteWait, writeTurn: make(chan struct{}, 1)}
}

// Open opens (creating if needed) the database file at path and applies pending migrations.
// The pragmas are in the DSN so that every pooled connection gets them; _txlock=immediate takes
// the write lock at BEGIN, so concurrent read-then-write transactions wait instead of failing
// with SQLITE_BUSY. secure_delete zeroes what a row held when it is updated or deleted, so
// cleared data (an invitation link) does not linger in free pages of the file or its backups.
// The larger page cache keeps an index walk's pages, so finding a token among 1,000,000 costs
// about what it costs among 1,000 (BENCHMARKS.md). mmap_size is 0 on purpose: SQLite unmaps a
// connection's whole mapping whenever another connection has committed, so under a stream of
// writes every read remapped the file and faulted its pages back in; with a read call per page
// instead, 64 writers cost half the CPU per token and the lookups above did not change
// (BENCHMARKS.md, "Writes under load").
func Open(ctx context.Context, path string) (*DB, error) {
	if err := ownerOnlyFiles(path); err != nil {
		return nil, err
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)" +
		"&_pragma=synchronous(NORMAL)&_pragma=secure_delete(ON)&_pragma=mmap_size(0)" +
		"&_pragma=cache_size(-16384)&_txlock=immediate"
	connector, err := newSQLiteConnector(dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	sqldb := sql.OpenDB(connector)
	// database/sql keeps only 2 idle connections by default: under concurrent requests every
	// other query would open a new SQLite connection (pragmas, schema parse), costing far more
	// than the query. Keep enough for the server's concurrency.
	sqldb.SetMaxIdleConns(maxIdleConns)
	db := newDB(sqldb, sqliteBackend{})
	db.writer = sql.OpenDB(connector)
	db.writer.SetMaxOpenConns(1)
	db.writer.SetMaxIdleConns(1)
	db.answersTrusted.Store(true)
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ownerOnlyFiles creates the database file readable and writable by its owner only (0600)
// before SQLite opens it, and tightens an existing one and its -wal and -shm files. The file
// holds password hashes and everything an audit log knows; SQLite would create it 0644 (less
// the umask). SQLite creates the -wal and -shm files with the database file's permissions, so
// they follow. Chmod makes the result independent of the umask.
func ownerOnlyFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restrict %s to its owner: %w", p, err)
		}
	}
	return nil
}

// Close stops listening (PostgreSQL) and closes the database.
func (db *DB) Close() error {
	if db.listener != nil {
		db.listener.stop()
	}
	if db.writer != db.db {
		db.writer.Close()
	}
	return db.db.Close()
}

// prepared returns the statement for query, prepared once: parsing and planning a query costs
// modernc's SQLite more than running a point lookup, so the queries every API request makes
// are kept prepared (database/sql prepares each on a connection the first time it runs there).
func (db *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := db.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := db.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// query runs a prepared query.
func (db *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a prepared single-row query.
func (db *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := db.prepared(ctx, query)
	if err != nil {
		// A query that does not prepare fails the same way unprepared: let the Row carry it.
		return db.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// legacyMigrationNames maps a migration's file name to the names it was applied under
// before it was renumbered, so that a database which ran it under the old name does not run it
// again. 0004_api.sql landed as 0006_api.sql, leaving a gap a later 0004 or 0005 would have run
// in a different order on old and new databases; TestMigrationNumbering keeps the numbering
// gapless from now on. Never remove an entry: old databases keep the old name forever.
var legacyMigrationNames = map[string][]string{
	"migrations/0004_api.sql": {"migrations/0006_api.sql"},
}

// Migrate applies the embedded migrations of the backend that have not run yet, each in its
// own transaction, in the order of their numbered file names. On PostgreSQL an advisory lock
// keeps two processes (instances starting, `tokenboard migrate`) from racing.
func (db *DB) Migrate(ctx context.Context) error {
	return db.withMigrationLock(ctx, func(conn *sql.Conn) error { return db.migrateAll(ctx, conn) })
}

// withMigrationLock runs fn on a connection holding the migration lock.
func (db *DB) withMigrationLock(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, err := db.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	unlock, err := db.backend.lockMigrations(ctx, conn)
	if err != nil {
		return err
	}
	defer unlock()
	return fn(conn)
}

// migrateAll applies the pending migrations on conn, which holds the migration lock.
func (db *DB) migrateAll(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	fsys, dir := db.backend.migrations()
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrate(ctx, conn, fsys, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// migrate applies one migration on conn unless it (or its legacy name) has run.
func (db *DB) migrate(ctx context.Context, conn *sql.Conn, fsys fs.FS, name string) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, applied := range append([]string{name}, legacyMigrationNames[name]...) {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, applied).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
	}
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, db.Now().Unix()); err != nil {
		return err
	}
	return tx.Commit()
}

// defaultWriteWait is DB.WriteWait unless changed: long enough to wait behind dozens of
// writers (each holds the turn for a few milliseconds), short enough to answer 503 before a
// client gives up.
const defaultWriteWait = 2 * time.Second

// inTx runs fn in a write transaction, committing when it returns nil, then invalidates the
// cached answers (Cache): every caller can change one (tokens, members and roles,
// organizations, users, releases).
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.writeTx(ctx, true, fn)
}

// inTxKeepingAnswers is inTx for writes that change no cached answer (a token's last use, an
// outbox row's delivery, a generated secret, a new token): they leave the cache warm. A new
// token changes none because the cache holds only tokens that were found: a lookup of the new
// token's hash before it existed failed, and failures are never cached. Without this, a CI
// fleet minting tokens would empty the cache the reads of every other client depend on
// (BENCHMARKS.md, "Writes under load").
func (db *DB) inTxKeepingAnswers(ctx context.Context, fn func(*sql.Tx) error) error {
	return db.writeTx(ctx, false, fn)
}

// writeTx runs fn in a write transaction.
//
// Writers take turns in the process before BEGIN IMMEDIATE: SQLite has one write lock, and
// dozens of connections polling for it through busy_timeout wait unfairly and, past the
// timeout, fail with SQLITE_BUSY. Here they queue in order on writeTurn instead; one that
// cannot get its turn within WriteWait (or its context's deadline) fails with
// core.EUNAVAILABLE, which the web layer answers with 503 and Retry-After. SQLITE_BUSY itself
// (another process holding the lock past busy_timeout) is reported the same way. On
// PostgreSQL the turn orders this instance's writers, and backend.beginWrite then orders the
// instances' (lock_timeout past WriteWait is reported the same way too); a write that can
// change a cached answer announces itself to the other instances in the same transaction.
//
// The deferred rollback ends the transaction whatever happens in fn, a panic included (Echo
// recovers it): an IMMEDIATE transaction left open would hold SQLite's write lock. After the
// commit, mail queued by this transaction (and only this one) wakes the sender.
func (db *DB) writeTx(ctx context.Context, invalidates bool, fn func(*sql.Tx) error) error {
	if err := db.waitWriteTurn(ctx); err != nil {
		return err
	}
	// The turn is given up right after the commit (or in the defer, whatever ends fn), before
	// the callbacks below, which must never wait on a write.
	giveUpTurn := sync.OnceFunc(func() { <-db.writeTurn })
	defer giveUpTurn()
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return busyAsUnavailable(err)
	}
	defer db.queuedMail.Delete(tx)
	defer tx.Rollback() // after a commit, a no-op
	if err := db.backend.beginWrite(ctx, tx, db.WriteWait); err != nil {
		return busyAsUnavailable(err)
	}
	if err := fn(tx); err != nil {
		return busyAsUnavailable(err)
	}
	if invalidates {
		if err := db.backend.announceWrite(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return busyAsUnavailable(err)
	}
	giveUpTurn()
	if invalidates {
		db.Invalidate()
	}
	if _, queued := db.queuedMail.Load(tx); queued && db.MailQueued != nil {
		db.MailQueued()
	}
	return nil
}

// waitWriteTurn takes the write turn, waiting in line at most WriteWait or until ctx ends.
func (db *DB) waitWriteTurn(ctx context.Context) error {
	select {
	case db.writeTurn <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(db.WriteWait)
	defer timer.Stop()
	select {
	case db.writeTurn <- struct{}{}:
		return nil
	case <-timer.C:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return ctx.Err() // the caller gave up (a client that went away): not a busy server
		}
	}
	return errWriteBusy()
}

// errWriteBusy is the error of a write that could not get its turn in time.
func errWriteBusy() error {
	return core.Errorf(core.EUNAVAILABLE, "The server is busy writing; try again in a moment.")
}

// busyAsUnavailable reports a write that could not get the write lock in time (isBusy) as
// the coded unavailable error.
func busyAsUnavailable(err error) error {
	if isBusy(err) {
		return errWriteBusy()
	}
	return err
}

// inReadTx runs fn in a read-only transaction: one consistent snapshot for a permission check
// and the query it guards, which never waits for the writer (backend.readOnly).
func (db *DB) inReadTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, db.backend.readOnly())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// WhileMigrationsLocked runs fn holding the lock Migrate takes, so that a one-time setup
// that follows the migrations (`serve --demo` seeding an empty database) runs once when
// several processes start together: on PostgreSQL a session advisory lock, which the others
// wait for, then find the setup done. SQLite needs none: the data folder's lock already keeps
// a second server out.
func (db *DB) WhileMigrationsLocked(ctx context.Context, fn func() error) error {
	return db.withMigrationLock(ctx, func(*sql.Conn) error { return fn() })
}

// IsEmpty reports whether the database has no users yet (a fresh install).
func (db *DB) IsEmpty(ctx context.Context) (bool, error) {
	var n int
	err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM users LIMIT 1) AS u`).Scan(&n)
	return n == 0, err
}

// conflictAs turns a uniqueness violation (isUniqueViolation) into a core validation error on
// field; other errors pass through.
func conflictAs(err error, field, message string) error {
	if isUniqueViolation(err) {
		e := core.FieldError(field, message)
		e.Code = core.ECONFLICT
		return e
	}
	return err
}

// notFound turns sql.ErrNoRows into a core ENOTFOUND error with the given message.
func notFound(err error, message string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.Errorf(core.ENOTFOUND, "%s", message)
	}
	return err
}

// unix converts a time to the stored form.
func unix(t time.Time) int64 { return t.Unix() }

// fromUnix converts a stored time back.
func fromUnix(s int64) time.Time { return time.Unix(s, 0).UTC() }

// nullableUnix converts an optional time to the stored form.
func nullableUnix(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.Unix(), Valid: true}
}

// fromNullUnix converts an optional stored time back.
func fromNullUnix(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromUnix(n.Int64)
	return &t
}

// scopesColumn is the stored form of a scope set: sorted names joined by spaces.
func scopesColumn(s core.ScopeSet) string { return strings.Join(s.Names(), " ") }

// parseScopesColumn reads a stored scope set back.
func parseScopesColumn(s string) core.ScopeSet {
	set, _ := core.ParseScopeSet(strings.Fields(s))
	return set
}

// Ping reports whether the database answers: on PostgreSQL a round trip to the server (a
// pooled connection it dropped is replaced first), on SQLite whether the file is open.
func (db *DB) Ping(ctx context.Context) error {
	return db.db.PingContext(ctx)
}
