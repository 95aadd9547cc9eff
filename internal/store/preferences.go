package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Theme returns a user's color theme, core.ThemeSystem when they never chose one.
func (db *DB) Theme(ctx context.Context, userID int64) (string, error) {
	var theme string
	err := db.db.QueryRowContext(ctx, `SELECT theme FROM user_preferences WHERE user_id = ?`, userID).Scan(&theme)
	if errors.Is(err, sql.ErrNoRows) {
		return core.ThemeSystem, nil
	}
	return theme, err
}

// SetTheme stores the actor's own color theme.
func (db *DB) SetTheme(ctx context.Context, theme string) error {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return err
	}
	if err := core.ValidateTheme(theme); err != nil {
		return err
	}
	// Like every write, it takes the write turn (writeTx); no cached answer holds a theme.
	return db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO user_preferences (user_id, theme) VALUES (?, ?)
			ON CONFLICT (user_id) DO UPDATE SET theme = excluded.theme`, actor.ID, theme)
		return err
	})
}
