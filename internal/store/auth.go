package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/tokenboard/tokenboard/internal/core"
)

// AuthenticateToken returns the principal of a live token: one indexed lookup by hash (user
// tokens join their user). A revoked token is gone from the lookup the moment its transaction
// commits. Cache answers it from memory between writes.
func (db *DB) AuthenticateToken(ctx context.Context, t core.ParsedToken) (*core.Principal, error) {
	p, err := db.lookupToken(ctx, t)
	if err != nil {
		return nil, err
	}
	return db.livePrincipal(p)
}

// livePrincipal checks a looked-up (or cached) principal's expiry against the clock, and
// hands out a copy, user included, so that no caller can change what a cache keeps.
func (db *DB) livePrincipal(p core.Principal) (*core.Principal, error) {
	if core.Expired(p.ExpiresAt, db.Now()) {
		return nil, core.Errorf(core.EUNAUTHORIZED, "Token expired")
	}
	if p.User != nil {
		u := *p.User
		p.User = &u
	}
	return &p, nil
}

// tokenByHash is the bearer lookup, one for the three kinds: one indexed search of the live
// tokens by hash. A user token brings its user (the columns are NULL for other kinds).
const tokenByHash = `SELECT t.id, coalesce(t.org_id, 0), coalesce(t.integration_id, 0), t.scopes, t.expires_at, t.created_at,
	coalesce(u.id, 0), coalesce(u.email, ''), coalesce(u.name, ''), coalesce(u.active, false),
	coalesce(u.session_version, 0), coalesce(u.created_at, 0)
	FROM tokens t LEFT JOIN users u ON u.id = t.user_id
	WHERE t.token_hash = ? AND t.kind = ? AND t.revoked_at IS NULL`

// lookupToken reads a token's principal from the database.
func (db *DB) lookupToken(ctx context.Context, t core.ParsedToken) (core.Principal, error) {
	p := core.Principal{Kind: t.Kind}
	var u core.User
	var scopes string
	var expires sql.NullInt64
	var created, issued int64
	db.tokenLookups.Add(1)
	err := db.queryRow(ctx, tokenByHash, t.Hash, kindColumn(t.Kind)).Scan(&p.TokenID, &p.OrgID, &p.IntegrationID,
		&scopes, &expires, &issued, &u.ID, &u.Email, &u.Name, &u.Active, &u.SessionVersion, &created)
	switch {
	case errors.Is(err, sql.ErrNoRows) && t.Kind == core.TokenOrg:
		return p, core.Errorf(core.EUNAUTHORIZED, "Invalid org token")
	case errors.Is(err, sql.ErrNoRows):
		return p, core.Errorf(core.EUNAUTHORIZED, "Invalid token")
	case err != nil:
		return p, err
	}
	if t.Kind == core.TokenUser {
		if !u.Active {
			return p, core.Errorf(core.EUNAUTHORIZED, "User inactive or deleted")
		}
		u.CreatedAt = fromUnix(created)
		p.User = &u
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
// member. Cache answers it from memory between writes.
func (db *DB) MemberRole(ctx context.Context, orgID, userID int64) (core.Role, bool, error) {
	var role core.Role
	err := db.queryRow(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`,
		orgID, userID).Scan(&role)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return role, true, nil
}

// roleReader reads a user's role in an organization: MemberRole, Cache.MemberRole, or a
// transaction's own read (txRoles).
type roleReader func(ctx context.Context, orgID, userID int64) (core.Role, bool, error)

// txRoles reads roles within tx, so a write's check sees what the write will change.
func txRoles(tx *sql.Tx) roleReader {
	return func(ctx context.Context, orgID, userID int64) (core.Role, bool, error) {
		var role core.Role
		err := tx.QueryRowContext(ctx, `SELECT role FROM memberships WHERE org_id = ? AND user_id = ?`,
			orgID, userID).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return "", false, nil
		}
		return role, err == nil, err
	}
}

// authorize checks the request's actor against rule in the organization with core.Authorize,
// the one authorization function of tokenboard, and returns the actor's role there:
// core.RoleOwner for the console operator, core.NoRole for a non-member and for an org or
// integration token. Every service method that reads or changes an organization calls it
// first (TestEveryOrgMethodAuthorizes checks), reads included.
//
// Inside a transaction (tx non-nil) the role is read in it, so the check and the write see
// the same membership; reads pass nil and read the role with MemberRole.
func (db *DB) authorize(ctx context.Context, tx *sql.Tx, orgID int64, rule core.Rule) (core.Role, error) {
	roles := roleReader(db.MemberRole)
	if tx != nil {
		roles = txRoles(tx)
	}
	return db.authorizeWith(ctx, roles, orgID, rule)
}

// authorizeWith is authorize with the roles read by roles (Cache passes its own).
func (db *DB) authorizeWith(ctx context.Context, roles roleReader, orgID int64, rule core.Rule) (core.Role, error) {
	actor := core.ActorFrom(ctx)
	role := core.NoRole
	switch {
	case actor.Operator:
		role = core.RoleOwner
	case actor.User != nil:
		var err error
		if role, _, err = roles(ctx, orgID, actor.User.ID); err != nil {
			return core.NoRole, err
		}
	}
	return role, core.Authorize(actor, orgID, role, rule)
}
