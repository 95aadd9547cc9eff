package store

import (
	"context"
	"database/sql"

	"github.com/tokenboard/tokenboard/internal/core"
)

// saveTokenUse is SaveTokenUses' statement, one for the three kinds. SQLite evaluates every
// SET expression against the row as it was (so does PostgreSQL), so the project test sees the
// previous last_used_at, and the time only ever moves forward. Only org token uses name a project; for the others ProjectID is 0, which is
// no project, and the column stays as it is (NULL).
const saveTokenUse = `UPDATE tokens SET
	last_used_project_id = CASE WHEN coalesce(last_used_at, 0) <= ?1
		AND EXISTS (SELECT 1 FROM projects WHERE id = ?2) THEN ?2 ELSE last_used_project_id END,
	last_used_action = CASE WHEN coalesce(last_used_at, 0) <= ?1
		AND EXISTS (SELECT 1 FROM projects WHERE id = ?2) THEN ?5 ELSE last_used_action END,
	last_used_at = CASE WHEN coalesce(last_used_at, 0) > ?1 THEN last_used_at ELSE ?1 END
	WHERE kind = ?3 AND id = ?4`

// SaveTokenUses writes a batch of token uses as the tokens' "last used", in one transaction.
// A use older than what is stored changes nothing; a use without a project (or whose project
// has been deleted since) keeps an org token's "last used in project". No answer the API
// caches holds a last use, so this write leaves the cache as it is.
func (db *DB) SaveTokenUses(ctx context.Context, uses []core.TokenUse) error {
	if len(uses) == 0 {
		return nil
	}
	return db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, saveTokenUse)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, u := range uses {
			if _, err := st.ExecContext(ctx, unix(u.At), u.ProjectID, kindColumn(u.Kind), u.TokenID, string(u.Action)); err != nil {
				return err
			}
		}
		return saveUseTargets(ctx, tx, uses)
	})
}
