package sqlite

import (
	"context"
	"database/sql"
	"errors"

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
	var issued int64
	var err error
	db.tokenLookups.Add(1)
	switch t.Kind {
	case core.TokenOrg:
		err = db.queryRow(ctx, `SELECT id, org_id, scopes, expires_at, created_at FROM org_tokens
			WHERE token_hash = ? AND deactivated_at IS NULL`, t.Hash).Scan(&p.TokenID, &p.OrgID, &scopes, &expires, &issued)
		if err == sql.ErrNoRows {
			return p, core.Errorf(core.EUNAUTHORIZED, "Invalid org token")
		}
	case core.TokenUser:
		var u core.User
		var created int64
		err = db.queryRow(ctx, `SELECT t.id, t.scopes, t.expires_at, t.created_at, `+userColumnsU+` FROM user_tokens t
			JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, t.Hash).Scan(&p.TokenID, &scopes, &expires, &issued,
			&u.ID, &u.Email, &u.Name, &u.Active, &u.SessionVersion, &created)
		if err == nil {
			if !u.Active {
				return p, core.Errorf(core.EUNAUTHORIZED, "User inactive or deleted")
			}
			u.CreatedAt = fromUnix(created)
			p.User = &u
		}
	case core.TokenIntegration:
		err = db.queryRow(ctx, `SELECT t.id, t.integration_id, i.org_id, t.scopes, t.created_at FROM integration_tokens t
			JOIN integrations i ON i.id = t.integration_id
			WHERE t.token_hash = ? AND t.revoked_at IS NULL`, t.Hash).Scan(&p.TokenID, &p.IntegrationID, &p.OrgID, &scopes, &issued)
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
	p.CreatedAt = fromUnix(issued)
	return p, nil
}

// TokenLookups returns how many bearer-token lookups have reached the database since it was
// opened (answers from memory are not counted). Tests use it to show that a malformed token
// never costs a query.
func (db *DB) TokenLookups() int64 { return db.tokenLookups.Load() }

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

// authorize checks the request's actor against rule in the organization with core.Authorize,
// the one authorization function of tokenboard, and returns the actor's role there:
// core.RoleOwner for the console operator, core.NoRole for a non-member and for an org or
// integration token. Every service method that reads or changes an organization calls it
// first (TestEveryOrgMethodAuthorizes checks), reads included.
//
// Inside a transaction (tx non-nil) the role is read in it, so the check and the write see
// the same membership; reads pass nil and use the cached MemberRole, which no write has
// changed.
func (db *DB) authorize(ctx context.Context, tx *sql.Tx, orgID int64, rule core.Rule) (core.Role, error) {
	actor := core.ActorFrom(ctx)
	role := core.NoRole
	switch {
	case actor.Operator:
		role = core.RoleOwner
	case actor.User != nil:
		var err error
		if role, err = db.roleIn(ctx, tx, orgID, actor.User.ID); err != nil {
			return core.NoRole, err
		}
	}
	return role, core.Authorize(actor, orgID, role, rule)
}

// roleIn returns the user's role in the organization, core.NoRole for a non-member: read in
// tx when there is one, else answered by MemberRole.
func (db *DB) roleIn(ctx context.Context, tx *sql.Tx, orgID, userID int64) (core.Role, error) {
	if tx == nil {
		role, _, err := db.MemberRole(ctx, orgID, userID)
		return role, err
	}
	var role core.Role
	err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`,
		orgID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return core.NoRole, nil
	}
	return role, err
}
