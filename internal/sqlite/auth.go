package sqlite

import (
	"context"
	"database/sql"

	"github.com/tokenboard/tokenboard/internal/core"
)

// AuthenticateToken returns the principal of a live token: one indexed lookup by hash (user
// tokens join their user), answered from memory while nothing has been written since (see
// authcache.go). A revoked token is gone from the lookup the moment its transaction commits,
// and that commit empties the cache, so the very next request with it fails.
func (db *DB) AuthenticateToken(ctx context.Context, t core.ParsedToken) (*core.Principal, error) {
	p, ok := db.cache.tokens.get(t.Hash)
	if !ok {
		epoch := writeEpoch.Load()
		var err error
		if p, err = db.lookupToken(ctx, t); err != nil {
			return nil, err
		}
		db.cache.tokens.put(t.Hash, p, epoch)
	}
	if core.Expired(p.ExpiresAt, db.Now()) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "Token expired")
	}
	// The cached principal is shared: hand out a copy, user included.
	if p.User != nil {
		u := *p.User
		p.User = &u
	}
	return &p, nil
}

// lookupToken reads a token's principal from the database.
func (db *DB) lookupToken(ctx context.Context, t core.ParsedToken) (core.Principal, error) {
	p := core.Principal{Kind: t.Kind}
	var scopes string
	var expires sql.NullInt64
	var err error
	switch t.Kind {
	case core.TokenOrg:
		err = db.queryRow(ctx, `SELECT id, org_id, scopes, expires_at FROM org_tokens
			WHERE token_hash = ? AND deactivated_at IS NULL`, t.Hash).Scan(&p.TokenID, &p.OrgID, &scopes, &expires)
		if err == sql.ErrNoRows {
			return p, core.Errorf(core.EUNAUTHORIZED, "Invalid org token")
		}
	case core.TokenUser:
		var u core.User
		var created int64
		err = db.queryRow(ctx, `SELECT t.id, t.scopes, t.expires_at, `+userColumnsU+` FROM user_tokens t
			JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, t.Hash).Scan(&p.TokenID, &scopes, &expires,
			&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Active, &u.SessionVersion, &created)
		if err == nil {
			if !u.Active {
				return p, core.Errorf(core.EUNAUTHORIZED, "User inactive or deleted")
			}
			u.CreatedAt = fromUnix(created)
			p.User = &u
		}
	case core.TokenIntegration:
		err = db.queryRow(ctx, `SELECT t.id, t.integration_id, i.org_id, t.scopes FROM integration_tokens t
			JOIN integrations i ON i.id = t.integration_id
			WHERE t.token_hash = ? AND t.revoked_at IS NULL`, t.Hash).Scan(&p.TokenID, &p.IntegrationID, &p.OrgID, &scopes)
	default:
		return p, core.Errorf(core.EUNAUTHORIZED, "Invalid token")
	}
	if err == sql.ErrNoRows {
		return p, core.Errorf(core.EUNAUTHORIZED, "Invalid token")
	} else if err != nil {
		return p, err
	}
	p.Scopes = parseScopesColumn(scopes).Expand()
	p.ExpiresAt = fromNullUnix(expires)
	return p, nil
}

// MemberRole returns the user's role in the organization, and false when they are not a
// member; answered from memory while nothing has been written since it was read.
func (db *DB) MemberRole(ctx context.Context, orgID, userID int64) (core.Role, bool, error) {
	key := [2]int64{orgID, userID}
	if e, ok := db.cache.roles.get(key); ok {
		return e.role, e.member, nil
	}
	epoch := writeEpoch.Load()
	var e memberRoleEntry
	err := db.queryRow(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`,
		orgID, userID).Scan(&e.role)
	switch {
	case err == nil:
		e.member = true
	case err != sql.ErrNoRows:
		return "", false, err
	}
	db.cache.roles.put(key, e, epoch)
	return e.role, e.member, nil
}

// authorizeScopes checks that the request's actor may act in the organization with any one
// of the scopes in anyOf, as Sentry's API permissions do:
//
//   - a session user holds their role's scopes; a user token, its own scopes intersected with
//     its user's current role;
//   - an org or integration token holds its own scopes, in its own organization only;
//   - non-members (and tokens of another organization) get ENOTFOUND, others lacking the
//     scopes EFORBIDDEN; the console operator passes.
//
// Inside a transaction (tx non-nil) the role is read in it; reads pass nil and use the
// cached answer, which no write has changed.
func (db *DB) authorizeScopes(ctx context.Context, tx *sql.Tx, orgID int64, anyOf core.ScopeSet) error {
	actor := core.ActorFrom(ctx)
	switch {
	case actor.Operator:
		return nil
	case actor.User == nil && actor.Token != nil:
		if actor.Token.OrgID != orgID {
			return core.Errorf(core.ENOTFOUND, "The requested resource does not exist.")
		}
		if !actor.Token.Scopes.HasAny(anyOf) {
			return core.Errorf(core.EFORBIDDEN, "You do not have permission to perform this action.")
		}
		return nil
	case actor.User == nil:
		return core.Errorf(core.EUNAUTHORIZED, "Authentication credentials were not provided.")
	}
	var role core.Role
	var member bool
	var err error
	if tx == nil {
		role, member, err = db.MemberRole(ctx, orgID, actor.User.ID)
	} else {
		err = tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`,
			orgID, actor.User.ID).Scan(&role)
		member = err == nil
		if err == sql.ErrNoRows {
			err = nil
		}
	}
	if err != nil {
		return err
	}
	if !member {
		return core.Errorf(core.ENOTFOUND, "The requested resource does not exist.")
	}
	scopes := role.Scopes()
	if actor.Token != nil {
		scopes = core.EffectiveUserTokenScopes(actor.Token.Scopes, role, true)
	}
	if !scopes.HasAny(anyOf) {
		return core.Errorf(core.EFORBIDDEN, "You do not have permission to perform this action.")
	}
	return nil
}
