package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
)

// Secret returns the named secret, generating and storing size random bytes on first use.
func (db *DB) Secret(ctx context.Context, name string, size int) ([]byte, error) {
	var value []byte
	err := db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&value)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		value = make([]byte, size)
		rand.Read(value)
		_, err = tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES (?, ?)`, name, value)
		return err
	})
	return value, err
}
