package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"time"
)

// submissionRetention is how long a used form key is remembered. The form that carries it is
// rendered fresh for each visit, so only a resubmission of the same page can repeat a key,
// and browsers keep such pages for a session at most.
const submissionRetention = 24 * time.Hour

// ClaimSubmission records a create form's key as used (core.SubmissionLedger) and reports
// whether it was unused until now. Concurrent claims of one key are serialized by the write
// transaction: exactly one of them wins.
func (db *DB) ClaimSubmission(ctx context.Context, key string) (bool, error) {
	hash := sha256.Sum256([]byte(key))
	now := db.Now()
	var first bool
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM submissions WHERE created_at < ?`,
			now.Add(-submissionRetention).Unix()); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO submissions (key_hash, created_at) VALUES (?, ?)
			ON CONFLICT (key_hash) DO NOTHING`, hash[:], now.Unix())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		first = n == 1
		return err
	})
	return first, err
}

// ReleaseSubmission forgets a key whose submission created nothing.
func (db *DB) ReleaseSubmission(ctx context.Context, key string) error {
	hash := sha256.Sum256([]byte(key))
	return db.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM submissions WHERE key_hash = ?`, hash[:])
		return err
	})
}
