package store

import (
	"context"
	"database/sql"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Forward-auth targets: the host and path a reverse proxy last asked about for a token, kept
// in token_use_targets (migration 0009) beside the token tables and saved with the rest of a
// batch of token uses.

// saveUseTarget keeps the target of the latest use: an older use changes nothing.
const saveUseTarget = `INSERT INTO token_use_targets (kind, token_id, target, used_at) VALUES (?1, ?2, ?3, ?4)
	ON CONFLICT (kind, token_id) DO UPDATE SET target = excluded.target, used_at = excluded.used_at
	WHERE excluded.used_at >= token_use_targets.used_at`

// tokenLastTarget is a result column of tokenColumns: the last forward-auth target of the
// token row aliased t, "" when none.
const tokenLastTarget = `coalesce((SELECT u.target FROM token_use_targets u
	WHERE u.kind = t.kind AND u.token_id = t.id AND u.used_at >= t.created_at), '')`

// saveUseTargets writes the targets of the uses that name one, in the batch's transaction.
func saveUseTargets(ctx context.Context, tx *sql.Tx, uses []core.TokenUse) error {
	var st *sql.Stmt
	for _, u := range uses {
		if u.Target == "" {
			continue
		}
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, saveUseTarget); err != nil {
				return err
			}
			defer st.Close()
		}
		if _, err := st.ExecContext(ctx, kindColumn(u.Kind), u.TokenID, u.Target, unix(u.At)); err != nil {
			return err
		}
	}
	return nil
}
