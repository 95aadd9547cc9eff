package store

import (
	"context"
	"database/sql"

	"github.com/tokenboard/tokenboard/internal/core"
)

// CountOrgTokens counts the organization's live tokens, for the list's "Showing 51–100 of N".
func (db *DB) CountOrgTokens(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx,
			`SELECT count(*) FROM tokens WHERE kind = 'org' AND org_id = ? AND revoked_at IS NULL`, orgID).Scan(&n)
	})
	return n, err
}
