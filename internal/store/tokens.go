package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The three kinds of tokens share one table, tokens (migration 0005), and the code in this
// file: one row shape, one insert, one lookup of a live token, one rename, one revocation and
// one last-used save (usage.go) and one bearer lookup by hash (auth.go). What differs by kind
// is only who owns a token (an organization, a user, an integration) and who may act on it,
// which the kind's own file decides before calling in here.
//
// Ids are per kind: the primary key is (kind, id), so every id that existed when the three
// tables became one kept its value, and the URLs and API responses that show ids did not
// change. A revoked token keeps its row with revoked_at, revoked_by and revoked_reason set;
// every read of live tokens says revoked_at IS NULL, and the partial indexes cover exactly
// the live rows.

// Why a token was revoked, in revoked_reason.
const (
	revokedByPerson        = "revoked"
	revokedByRotation      = "rotated"
	revokedWithIntegration = "integration deleted"
	// revokedAsExposed is a token revoked because GitHub reported it exposed, as its
	// organization's policy asks (exposure.go).
	revokedAsExposed = "exposed"
)

// kindColumn is the stored name of a token kind; "" for what is not a kind, which no row has.
func kindColumn(k core.TokenKind) string { return tokenKindColumns(k)[0] }

// ownerColumn is the column that names a token's owner, by kind: what every query about one
// token has in its WHERE clause, so that another owner's token id is simply not found.
func ownerColumn(k core.TokenKind) string { return tokenKindColumns(k)[1] }

// tokenKindColumns is, by kind, the stored name and the owner column.
func tokenKindColumns(k core.TokenKind) [2]string {
	switch k {
	case core.TokenOrg:
		return [2]string{"org", "org_id"}
	case core.TokenUser:
		return [2]string{"user", "user_id"}
	case core.TokenIntegration:
		return [2]string{"integration", "integration_id"}
	}
	return [2]string{"", "org_id"}
}

// tokenColumns are the columns scanToken reads, from tokens aliased t. The project slug is a
// scalar subquery rather than a join: SQLite computes result columns only for the rows it
// returns, so the rows an OFFSET skips cost an index step each and never a project lookup.
const tokenColumns = `t.id, coalesce(t.org_id, 0), coalesce(t.user_id, 0), coalesce(t.integration_id, 0),
	t.name, t.last_chars, t.scopes, coalesce(t.created_by, 0), t.created_at, t.expires_at, t.last_used_at,
	coalesce(t.last_used_project_id, 0), coalesce((SELECT p.slug FROM projects p WHERE p.id = t.last_used_project_id), ''),
	t.last_used_action, t.exposed_at, t.exposed_url, t.exposed_source, coalesce(t.replaced_by, 0), ` + tokenLastTarget

// tokenRow is a stored token of any kind; each kind's file turns it into its core type.
type tokenRow struct {
	ID, OrgID, UserID, IntegrationID int64
	Name, LastChars                  string
	Scopes                           core.ScopeSet
	CreatedBy                        int64
	CreatedAt                        time.Time
	ExpiresAt, LastUsedAt            *time.Time
	LastUsedProjectID                int64
	LastUsedProject                  string
	// LastUsedTarget is the host and path of the last forward-auth use (usetargets.go).
	LastUsedTarget string
	LastUsedAction core.TokenAction
	Exposure       *core.TokenExposure
	ReplacedBy     int64
}

func scanToken(row interface{ Scan(...any) error }) (*tokenRow, error) {
	var t tokenRow
	var scopes string
	var created int64
	var expires, lastUsed, exposed sql.NullInt64
	var exposedURL, exposedSource string
	err := row.Scan(&t.ID, &t.OrgID, &t.UserID, &t.IntegrationID, &t.Name, &t.LastChars, &scopes, &t.CreatedBy,
		&created, &expires, &lastUsed, &t.LastUsedProjectID, &t.LastUsedProject, &t.LastUsedAction,
		&exposed, &exposedURL, &exposedSource, &t.ReplacedBy, &t.LastUsedTarget)
	if err != nil {
		return nil, err
	}
	if exposed.Valid {
		t.Exposure = &core.TokenExposure{At: fromUnix(exposed.Int64), URL: exposedURL, Source: exposedSource}
	}
	t.Scopes = parseScopesColumn(scopes)
	t.CreatedAt = fromUnix(created)
	t.ExpiresAt, t.LastUsedAt = fromNullUnix(expires), fromNullUnix(lastUsed)
	return &t, nil
}

// queryTokens runs a query that selects tokenColumns.
func queryTokens(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]tokenRow, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []tokenRow
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// tokenRef names one token: its kind, its owner (an organization, user or integration id, as
// ownerColumn says) and its id.
type tokenRef struct {
	kind      core.TokenKind
	owner, id int64
}

// liveWhere is the WHERE clause of a live token named by ref, with its arguments.
func (ref tokenRef) liveWhere() (string, []any) {
	return `t.kind = ? AND t.` + ownerColumn(ref.kind) + ` = ? AND t.id = ? AND t.revoked_at IS NULL`,
		[]any{kindColumn(ref.kind), ref.owner, ref.id}
}

// liveToken returns a live token; a revoked one, another owner's or an unknown id is
// sql.ErrNoRows, which each caller turns into its own not-found message.
func liveToken(ctx context.Context, tx *sql.Tx, ref tokenRef) (*tokenRow, error) {
	where, args := ref.liveWhere()
	return scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens t WHERE `+where, args...))
}

// newToken is what insertToken stores: the owner columns that apply to the kind (the others
// zero), the plaintext's hash and last characters, never the plaintext.
type newToken struct {
	kind                         core.TokenKind
	orgID, userID, integrationID int64
	plaintext, name              string
	scopes                       core.ScopeSet
	createdBy                    int64
	createdAt                    time.Time
	expiresAt                    *time.Time
}

// insertToken stores a new live token and returns it. Its id is the next of its kind: the
// transaction holds the write lock from BEGIN, so no other one can take the same id.
//
// The kind is written into the id's subquery as its literal (one of three fixed words, so one
// text per kind) rather than bound: bound there, SQLite expired the prepared statement at every
// bind and parsed it again on every run (sqlite3Reprepare was half of this insert's
// CPU in a profile); with the literal, each text is parsed once per connection.
func insertToken(ctx context.Context, tx *sql.Tx, n newToken) (*tokenRow, error) {
	var id int64
	kind := kindColumn(n.kind)
	err := tx.QueryRowContext(ctx, `INSERT INTO tokens (kind, id, org_id, user_id, integration_id, token_hash,
		last_chars, name, scopes, created_by, created_at, expires_at)
		VALUES (?1, (SELECT coalesce(max(id), 0) + 1 FROM tokens WHERE kind = '`+kind+`'),
		?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
		RETURNING id`, kind, nullID(n.orgID), nullID(n.userID), nullID(n.integrationID),
		core.HashToken(n.plaintext), core.TokenLastChars(n.plaintext), n.name, scopesColumn(n.scopes),
		nullID(n.createdBy), unix(n.createdAt), nullableUnix(n.expiresAt)).Scan(&id)
	if err != nil {
		return nil, err
	}
	return liveToken(ctx, tx, tokenRef{n.kind, n.owner(), id})
}

// owner is the id liveWhere looks the new token up by: its ownerColumn's value.
func (n newToken) owner() int64 {
	return map[string]int64{"org_id": n.orgID, "user_id": n.userID, "integration_id": n.integrationID}[ownerColumn(n.kind)]
}

// renameToken changes a live token's name and returns its name before and the token after.
func renameToken(ctx context.Context, tx *sql.Tx, ref tokenRef, name string) (string, *tokenRow, error) {
	old, err := liveToken(ctx, tx, ref)
	if err != nil {
		return "", nil, err
	}
	if old.Name == name {
		return name, old, nil
	}
	where, args := ref.liveWhere()
	if _, err := tx.ExecContext(ctx, `UPDATE tokens AS t SET name = ? WHERE `+where, append([]any{name}, args...)...); err != nil {
		return "", nil, err
	}
	renamed := *old
	renamed.Name = name
	return old.Name, &renamed, nil
}

// revokeToken revokes a live token and returns it as it was. The bearer lookup finds only
// rows without revoked_at, so the token fails from the moment this transaction commits.
func (db *DB) revokeToken(ctx context.Context, tx *sql.Tx, ref tokenRef, reason string) (*tokenRow, error) {
	t, err := liveToken(ctx, tx, ref)
	if err != nil {
		return nil, err
	}
	where, args := ref.liveWhere()
	_, err = tx.ExecContext(ctx, `UPDATE tokens AS t SET revoked_at = ?, revoked_by = ?, revoked_reason = ? WHERE `+where,
		append([]any{unix(db.Now()), actorID(ctx), reason}, args...)...)
	return t, err
}

// nullID stores an id of 0 (none) as NULL.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }
