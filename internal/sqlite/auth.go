package sqlite

import (
	"context"
	"database/sql"

	"github.com/tokenboard/tokenboard/internal/core"
)

// AuthenticateToken returns the principal of a live token: one indexed lookup by hash. A
// revoked token is gone from the lookup the moment its transaction commits, so the very next
// request with it fails.
func (db *DB) AuthenticateToken(ctx context.Context, t core.ParsedToken) (*core.Principal, error) {
	p := &core.Principal{Kind: t.Kind}
	var scopes string
	var expires sql.NullInt64
	var err error
	switch t.Kind {
	case core.TokenOrg:
		err = db.db.QueryRowContext(ctx, `SELECT id, org_id, scopes, expires_at FROM org_tokens
			WHERE token_hash = ? AND deactivated_at IS NULL`, t.Hash).Scan(&p.TokenID, &p.OrgID, &scopes, &expires)
		if err == sql.ErrNoRows {
			return nil, core.Errorf(core.EUNAUTHORIZED, "Invalid org token")
		}
	case core.TokenUser:
		var userID int64
		err = db.db.QueryRowContext(ctx, `SELECT id, user_id, scopes, expires_at FROM user_tokens
			WHERE token_hash = ?`, t.Hash).Scan(&p.TokenID, &userID, &scopes, &expires)
		if err == nil {
			p.User, err = db.UserByID(ctx, userID)
			if err == nil && !p.User.Active {
				return nil, core.Errorf(core.EUNAUTHORIZED, "User inactive or deleted")
			}
		}
	case core.TokenIntegration:
		err = db.db.QueryRowContext(ctx, `SELECT t.id, t.integration_id, i.org_id, t.scopes FROM integration_tokens t
			JOIN integrations i ON i.id = t.integration_id
			WHERE t.token_hash = ? AND t.revoked_at IS NULL`, t.Hash).Scan(&p.TokenID, &p.IntegrationID, &p.OrgID, &scopes)
	default:
		return nil, core.Errorf(core.EUNAUTHORIZED, "Invalid token")
	}
	if err == sql.ErrNoRows || core.ErrorCode(err) == core.ENOTFOUND {
		return nil, core.Errorf(core.EUNAUTHORIZED, "Invalid token")
	} else if err != nil {
		return nil, err
	}
	p.Scopes = parseScopesColumn(scopes).Expand()
	p.ExpiresAt = fromNullUnix(expires)
	if core.Expired(p.ExpiresAt, db.Now()) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "Token expired")
	}
	return p, nil
}
