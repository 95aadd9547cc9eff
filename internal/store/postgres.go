package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"time"

	"github.com/jackc/pgx/v5"
)

//go:embed pgmigrations/*.sql
var postgresMigrations embed.FS

// Advisory lock keys: arbitrary, fixed numbers no other application on the database is
// expected to use ("tokenboard" in ASCII, then which lock).
const (
	writeLockKey     = 0x746f6b656e01
	migrationLockKey = 0x746f6b656e02
)

// invalidateChannel is the LISTEN/NOTIFY channel on which each write that can change a cached
// answer announces itself to every instance.
const invalidateChannel = "tokenboard_invalidate"

// maxPostgresConns bounds one instance's connections: PostgreSQL allows 100 by default, to be
// shared by every instance (and the operator's psql).
const maxPostgresConns = 32

// postgresBackend runs the store on PostgreSQL, shared by any number of instances.
type postgresBackend struct {
	// instance names this store in its notifications, so that its listener skips its own
	// writes: writeTx has invalidated this store's caches already, at the commit.
	instance string
}

func (postgresBackend) migrations() (fs.FS, string) { return postgresMigrations, "pgmigrations" }

// lockMigrations takes a session advisory lock on conn, so that `tokenboard migrate` and
// starting instances never apply the same migration twice; the others wait, then find it
// applied.
func (postgresBackend) lockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, int64(migrationLockKey)); err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, int64(migrationLockKey))
	}, nil
}

// beginWrite takes the transaction-scoped write lock every instance's writers share, so that
// writes are serialized across instances exactly as SQLite serializes them within one: the
// checks a write makes before it writes (the 20-token cap, the last owner, a free slug) hold
// when it commits, whichever instance races it. A write holds the lock for a few
// milliseconds; lock_timeout turns a longer wait into 55P03, which isBusy reports as
// unavailable (503 with Retry-After), as SQLite's busy timeout does.
func (postgresBackend) beginWrite(ctx context.Context, tx *sql.Tx, wait time.Duration) error {
	_, err := tx.ExecContext(ctx, `SELECT set_config('lock_timeout', ?, true), pg_advisory_xact_lock(?)`,
		millis(wait), int64(writeLockKey))
	return err
}

// announceWrite queues a notification that PostgreSQL delivers to every listening instance
// when (and only if) tx commits.
func (b postgresBackend) announceWrite(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, invalidateChannel, b.instance)
	return err
}

// readOnly reads one snapshot, as SQLite's read transactions do.
func (postgresBackend) readOnly() *sql.TxOptions {
	return &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead}
}

// claimDueQuery claims the due messages ?2 (now), at most ?3 of them, by moving their next
// attempt to ?1 (the end of the lease), and returns them with their next attempt as it was.
// FOR UPDATE SKIP LOCKED makes concurrent claims by other instances pass over the rows this
// one is claiming instead of waiting for them and then claiming them too.
const claimDueQuery = `WITH due AS (
		SELECT id, next_attempt_at FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?2
		ORDER BY next_attempt_at, id LIMIT ?3 FOR UPDATE SKIP LOCKED)
	UPDATE outbox SET next_attempt_at = ?1 FROM due WHERE outbox.id = due.id
	RETURNING outbox.id, outbox.to_addr, outbox.template, outbox.data, outbox.attempts,
		due.next_attempt_at, outbox.last_error, outbox.created_at`

// claimDue claims the due messages for lease in one statement (its own transaction, outside
// the write lock: SKIP LOCKED already keeps two claims apart). Until the lease ends no other
// instance takes them; the sender records each attempt (MarkSent, MarkFailed), which ends the
// claim; if this instance dies first, the messages are due again when the lease ends.
func (postgresBackend) claimDue(ctx context.Context, db *sql.DB, now time.Time, lease time.Duration, limit int) (*sql.Rows, time.Time, error) {
	until := now.Add(lease).Truncate(time.Second) // next_attempt_at holds whole seconds
	rows, err := db.QueryContext(ctx, claimDueQuery, unix(until), unix(now), limit)
	return rows, until, err
}

// markOutbox records a delivery's outcome without the write lock and without waiting for the
// WAL to reach the disk. The lock orders writes whose checks must hold at commit; a mark checks
// nothing, and the row is this instance's by its claim, so PostgreSQL's row lock is all it
// needs. Waiting its turn would put every mark (two per token created, one per owner) in the
// queue of the writes it does not conflict with, each holding the lock through its commit's
// fsync. synchronous_commit=off returns from the commit before the flush: every instance sees
// the mark at once, and it is lost only if PostgreSQL itself (not tokenboard) crashes within
// a few hundred milliseconds (3 × wal_writer_delay); the message is then sent again with the
// same Message-ID, the guarantee the outbox gives anyway (README, "Mail").
func (postgresBackend) markOutbox(ctx context.Context, db *DB, fn func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after a commit, a no-op
	if _, err := tx.ExecContext(ctx, `SET LOCAL synchronous_commit = off`); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// OpenPostgres connects to the PostgreSQL database at url (postgres://…), applies pending
// migrations, and listens for the other instances' writes. Its caches answer from memory only
// while that notification connection is up (listen.go).
func OpenPostgres(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	sqldb := sql.OpenDB(newPGConnector(cfg))
	sqldb.SetMaxOpenConns(maxPostgresConns)
	sqldb.SetMaxIdleConns(maxPostgresConns)
	// Idle connections are let go after a while; one PostgreSQL dropped meanwhile (a restart,
	// a failover) fails pgx's ping when it is next taken from the pool and is replaced.
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
	instance := make([]byte, 8)
	rand.Read(instance)
	backend := postgresBackend{instance: hex.EncodeToString(instance)}
	db := newDB(sqldb, backend)
	if err := sqldb.PingContext(ctx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	if err := db.Migrate(ctx); err != nil {
		sqldb.Close()
		return nil, err
	}
	db.listener = startListener(cfg, db, backend.instance)
	db.listener.waitReady(5 * time.Second)
	return db, nil
}

// OpenPostgresHandle is a plain database/sql handle on the PostgreSQL database at url, taking
// the store's queries (placeholders rewritten), for the test fixtures that write next to the
// store (storetest) as another instance would.
func OpenPostgresHandle(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	return sql.OpenDB(newPGConnector(cfg)), nil
}
