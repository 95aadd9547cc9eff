package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// enqueueMail writes an outbox message within tx, so that it commits or rolls back with the
// change that causes it.
func (db *DB) enqueueMail(ctx context.Context, tx *sql.Tx, to, template string, data any) error {
	body, err := json.Marshal(data)
	if err != nil {
		return err
	}
	now := db.Now()
	// The sender decides what is due by the wall clock, so a message is due from the earlier of
	// the two: a store clock moved ahead (tests driving expiry and reminders) must not hold
	// mail back. In production the two are the same clock.
	due := now
	if wall := time.Now(); wall.Before(due) {
		due = wall
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO outbox (to_addr, template, data, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?)`, to, template, body, unix(due), unix(now))
	// writeTx wakes the sender after this transaction commits.
	db.queuedMail.Store(tx, struct{}{})
	return err
}

// outboxColumns are the columns scanOutbox reads, in its order.
const outboxColumns = `id, to_addr, template, data, attempts, next_attempt_at, last_error, created_at`

// selectDue reads unsent messages due at ?1, oldest first, at most ?2 of them.
const selectDue = `SELECT ` + outboxColumns + ` FROM outbox WHERE sent_at IS NULL AND next_attempt_at <= ?1
	ORDER BY next_attempt_at, id LIMIT ?2`

// DueMessages returns unsent messages whose next attempt is due, oldest first, and claims
// nothing: it is for looking (tests, operators); the sender uses ClaimDue.
func (db *DB) DueMessages(ctx context.Context, now time.Time, limit int) ([]core.OutboxMessage, error) {
	rows, err := db.db.QueryContext(ctx, selectDue, unix(now), limit)
	if err != nil {
		return nil, err
	}
	return scanOutbox(rows)
}

// ClaimDue returns the messages due for the sender to attempt, oldest first. On SQLite it is
// DueMessages: one process sends, and a message whose attempt a crash interrupted is due again
// the moment the server restarts. On PostgreSQL several instances send from the one outbox,
// so the messages are claimed until now+lease (backend.claimDue): each goes to one instance,
// and a message claimed by an instance that died goes to another once the lease ends.
func (db *DB) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]core.OutboxMessage, error) {
	rows, claimedUntil, err := db.backend.claimDue(ctx, db.db, now, lease, limit)
	if err != nil {
		return nil, err
	}
	msgs, err := scanOutbox(rows)
	if err != nil {
		return nil, err
	}
	for i := range msgs {
		msgs[i].ClaimedUntil = claimedUntil
	}
	// A claim (UPDATE … RETURNING) returns its rows in no particular order.
	slices.SortFunc(msgs, func(a, b core.OutboxMessage) int {
		return cmp.Or(a.NextAttemptAt.Compare(b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	return msgs, nil
}

// scanOutbox reads rows of outboxColumns and closes them.
func scanOutbox(rows *sql.Rows) ([]core.OutboxMessage, error) {
	defer rows.Close()
	var out []core.OutboxMessage
	for rows.Next() {
		var m core.OutboxMessage
		var next, created int64
		if err := rows.Scan(&m.ID, &m.To, &m.Template, &m.Data, &m.Attempts, &next, &m.LastError, &created); err != nil {
			return nil, err
		}
		m.NextAttemptAt, m.CreatedAt = fromUnix(next), fromUnix(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// MarkSent records delivery; a message already marked sent stays as it was. The message's data
// is cleared: it may hold an invitation's secret link, which must not outlive the delivery in
// the database (or its backups). Recipient, template and times stay, for the record.
//
// Clearing is not enough on its own: secure_delete zeroes the row's old bytes in the database
// file, but the WAL still holds the page as it was before, until a checkpoint copies the WAL
// back and it is reset. So after an invitation is delivered, MarkSent checkpoints with
// TRUNCATE, which empties the WAL file. Only invitations carry a secret, and a TRUNCATE
// checkpoint holds writers back while it waits for readers, so other mail does not pay for it.
func (db *DB) MarkSent(ctx context.Context, id int64, at time.Time) error {
	var template string
	err := db.backend.markOutbox(ctx, db, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, data = '{}'
			WHERE id = ? AND sent_at IS NULL RETURNING template`, unix(at), id).Scan(&template)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return err
	}
	// After the commit, outside the write turn: the checkpoint waits for other writers.
	if template == core.MailInvite {
		db.checkpointWAL(ctx)
	}
	return nil
}

// checkpointWAL copies the WAL into the database file and truncates it, so that data cleared
// since is gone from the WAL too. It is best effort: if readers or writers keep it from
// finishing within the busy timeout, the WAL is emptied by a later checkpoint, and the caller's
// write has already committed either way.
func (db *DB) checkpointWAL(ctx context.Context) {
	var busy, logFrames, checkpointed int
	_ = db.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &checkpointed)
}

// MarkFailed records a failed attempt and when to try again.
func (db *DB) MarkFailed(ctx context.Context, id int64, reason string, next time.Time) error {
	return db.backend.markOutbox(ctx, db, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ?,
			next_attempt_at = ? WHERE id = ? AND sent_at IS NULL`, reason, unix(next), id)
		return err
	})
}
