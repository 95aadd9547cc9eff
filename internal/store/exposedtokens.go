package store

import (
	"context"
	"database/sql"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Tokens revoked because GitHub reported them exposed (core.ExposedTokenService). Revoking
// takes a token out of every live read, so without these its owners would never see the
// Exposed badge: the screens list the recent ones apart ("Revoked after exposure") and keep
// such a token's page readable. Each query names revoked_reason = 'exposed' literally, so
// that SQLite uses the partial indexes of migration 0013, which hold only those rows, and
// each is scoped by its owner like every other token query. Who may read them is who may
// read the live list of the same kind.

// revokedExposedColumns are tokenColumns and the revocation time, which scanRevoked reads.
const revokedExposedColumns = tokenColumns + `, t.revoked_at`

// The sections' queries: an owner's tokens revoked for an exposure since a time, latest first.
// Each walks its partial index (org_id or user_id, revoked_at DESC) in order: no sort, and no
// row that was not revoked for an exposure (TestRevokedExposedQueriesUseTheirIndexes).
const (
	revokedExposedOrgQuery = `SELECT ` + revokedExposedColumns + ` FROM tokens t
		WHERE t.org_id = ? AND t.revoked_reason = 'exposed' AND t.kind = 'org' AND t.revoked_at >= ?
		ORDER BY t.revoked_at DESC`
	revokedExposedUserQuery = `SELECT ` + revokedExposedColumns + ` FROM tokens t
		WHERE t.user_id = ? AND t.revoked_reason = 'exposed' AND t.kind = 'user' AND t.revoked_at >= ?
		ORDER BY t.revoked_at DESC`
	revokedExposedIntegrationQuery = `SELECT ` + revokedExposedColumns + ` FROM tokens t
		WHERE t.org_id = ? AND t.revoked_reason = 'exposed' AND t.kind = 'integration' AND t.integration_id = ?
			AND t.revoked_at >= ?
		ORDER BY t.revoked_at DESC`
)

// revokedRow scans a row of revokedExposedColumns: scanToken's columns, then revoked_at.
type revokedRow struct {
	row       interface{ Scan(...any) error }
	revokedAt *sql.NullInt64
}

func (r revokedRow) Scan(dest ...any) error { return r.row.Scan(append(dest, r.revokedAt)...) }

// scanRevoked reads one token of revokedExposedColumns, with its RevokedAt.
func scanRevoked(row interface{ Scan(...any) error }) (*tokenRow, *sql.NullInt64, error) {
	var at sql.NullInt64
	t, err := scanToken(revokedRow{row, &at})
	return t, &at, err
}

// queryRevoked runs a query selecting revokedExposedColumns and hands each token to add.
func queryRevoked(ctx context.Context, tx *sql.Tx, add func(*tokenRow, *sql.NullInt64), query string, args ...any) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		t, at, err := scanRevoked(rows)
		if err != nil {
			return err
		}
		add(t, at)
	}
	return rows.Err()
}

// shownSince is the earliest revocation the lists' sections still show.
func (db *DB) shownSince() int64 { return unix(db.Now().Add(-core.ExposedRevocationShown)) }

// RevokedExposedOrgTokens returns the organization's org tokens revoked for an exposure in
// the last core.ExposedRevocationShown, latest revocation first, to whoever may list its
// live tokens.
func (db *DB) RevokedExposedOrgTokens(ctx context.Context, orgID int64) ([]core.OrgToken, error) {
	var out []core.OrgToken
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		return queryRevoked(ctx, tx, func(t *tokenRow, at *sql.NullInt64) {
			o := t.orgToken()
			o.RevokedAt = fromNullUnix(*at)
			out = append(out, *o)
		}, revokedExposedOrgQuery, orgID, db.shownSince())
	})
	return out, err
}

// RevokedExposedOrgToken returns one org token of the organization revoked for an exposure,
// however long ago; a live, otherwise revoked, unknown or foreign id is ENOTFOUND.
func (db *DB) RevokedExposedOrgToken(ctx context.Context, orgID, id int64) (*core.OrgToken, error) {
	var out *core.OrgToken
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		t, at, err := scanRevoked(tx.QueryRowContext(ctx, `SELECT `+revokedExposedColumns+` FROM tokens t
			WHERE t.org_id = ? AND t.revoked_reason = 'exposed' AND t.kind = 'org' AND t.id = ?`, orgID, id))
		if err != nil {
			return notFound(err, msgResourceNotFound)
		}
		out = t.orgToken()
		out.RevokedAt = fromNullUnix(*at)
		return nil
	})
	return out, err
}

// RevokedExposedUserTokens returns the actor's user tokens revoked for an exposure in the
// last core.ExposedRevocationShown, latest revocation first.
func (db *DB) RevokedExposedUserTokens(ctx context.Context) ([]core.UserToken, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out []core.UserToken
	err = db.inReadTx(ctx, func(tx *sql.Tx) error {
		return queryRevoked(ctx, tx, func(t *tokenRow, at *sql.NullInt64) {
			u := t.userToken()
			u.RevokedAt = fromNullUnix(*at)
			out = append(out, *u)
		}, revokedExposedUserQuery, actor.ID, db.shownSince())
	})
	return out, err
}

// RevokedExposedUserToken returns one of the actor's user tokens revoked for an exposure;
// any other id is ENOTFOUND, with the live readers' message.
func (db *DB) RevokedExposedUserToken(ctx context.Context, id int64) (*core.UserToken, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out *core.UserToken
	err = db.inReadTx(ctx, func(tx *sql.Tx) error {
		t, at, err := scanRevoked(tx.QueryRowContext(ctx, `SELECT `+revokedExposedColumns+` FROM tokens t
			WHERE t.user_id = ? AND t.revoked_reason = 'exposed' AND t.kind = 'user' AND t.id = ?`, actor.ID, id))
		if err != nil {
			return notFound(err, msgInvalidTokenID)
		}
		out = t.userToken()
		out.RevokedAt = fromNullUnix(*at)
		return nil
	})
	return out, err
}

// RevokedExposedIntegrationTokens returns the integration's tokens revoked for an exposure
// in the last core.ExposedRevocationShown, latest revocation first, to whoever may see its
// live tokens (owners and managers).
func (db *DB) RevokedExposedIntegrationTokens(ctx context.Context, orgID int64, slug string) ([]core.IntegrationToken, error) {
	var out []core.IntegrationToken
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		i, _, err := db.authorizeIntegration(ctx, tx, orgID, slug)
		if err != nil {
			return err
		}
		return queryRevoked(ctx, tx, func(t *tokenRow, at *sql.NullInt64) {
			it := t.integrationToken()
			it.RevokedAt = fromNullUnix(*at)
			out = append(out, *it)
		}, revokedExposedIntegrationQuery, orgID, i.ID, db.shownSince())
	})
	return out, err
}
