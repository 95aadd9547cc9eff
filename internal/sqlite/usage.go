package sqlite

import (
	"context"
	"database/sql"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The statements of SaveTokenUses. SQLite evaluates every SET expression against the row as
// it was, so the project test sees the previous last_used_at.
const (
	saveOrgTokenUse = `UPDATE org_tokens SET
		last_used_project_id = CASE WHEN coalesce(last_used_at, 0) <= ?1
			AND EXISTS (SELECT 1 FROM projects WHERE id = ?2) THEN ?2 ELSE last_used_project_id END,
		last_used_at = max(coalesce(last_used_at, 0), ?1)
		WHERE id = ?3`
	saveUserTokenUse        = `UPDATE user_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`
	saveIntegrationTokenUse = `UPDATE integration_tokens SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?`
)

// SaveTokenUses writes a batch of token uses as the tokens' "last used", in one transaction.
// A use older than what is stored changes nothing; a use without a project (or whose project
// has been deleted since) keeps an org token's "last used in project".
func (db *DB) SaveTokenUses(ctx context.Context, uses []core.TokenUse) error {
	if len(uses) == 0 {
		return nil
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		stmts := map[core.TokenKind]*sql.Stmt{}
		for kind, query := range map[core.TokenKind]string{
			core.TokenOrg: saveOrgTokenUse, core.TokenUser: saveUserTokenUse, core.TokenIntegration: saveIntegrationTokenUse,
		} {
			st, err := tx.PrepareContext(ctx, query)
			if err != nil {
				return err
			}
			defer st.Close()
			stmts[kind] = st
		}
		for _, u := range uses {
			var err error
			switch u.Kind {
			case core.TokenOrg:
				_, err = stmts[u.Kind].ExecContext(ctx, unix(u.At), u.ProjectID, u.TokenID)
			case core.TokenUser, core.TokenIntegration:
				_, err = stmts[u.Kind].ExecContext(ctx, unix(u.At), u.TokenID)
			}
			if err != nil {
				return err
			}
		}
		return saveUseTargets(ctx, tx, uses)
	})
}
