package sqlite

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Organization auth tokens (SPEC §2, §3.1–3.3, §4). Every member who may read the
// organization (org:read: all roles but billing) lists, creates and renames them; only owners
// and managers (org:write) revoke them. Each check runs inside the transaction that acts.

// orgTokenPageMax bounds one page of the list, whatever the caller asks for.
const orgTokenPageMax = 500

// orgTokenColumns are the columns scanOrgToken reads, from org_tokens aliased t. The project
// slug is a scalar subquery rather than a join: SQLite computes result columns only for the
// rows it returns, so the rows an OFFSET skips cost an index step each and never a table or
// project lookup.
const orgTokenColumns = `t.id, t.org_id, t.name, t.last_chars, t.scopes, coalesce(t.created_by, 0), t.created_at,
	t.expires_at, t.last_used_at, coalesce(t.last_used_project_id, 0),
	coalesce((SELECT p.slug FROM projects p WHERE p.id = t.last_used_project_id), '')`

// orgTokenListQuery is one page of an organization's live tokens in Sentry's order. Its WHERE
// and ORDER BY match the partial index org_tokens_list term for term, so SQLite walks the
// index in order and stops after the page: no sort, and no work for the rows after it.
const orgTokenListQuery = `SELECT ` + orgTokenColumns + ` FROM org_tokens t
	WHERE t.org_id = ? AND t.deactivated_at IS NULL
	ORDER BY coalesce(t.last_used_at, -1) DESC, t.name COLLATE NOCASE, t.id DESC
	LIMIT ? OFFSET ?`

func scanOrgToken(row interface{ Scan(...any) error }) (*core.OrgToken, error) {
	var t core.OrgToken
	var scopes string
	var created int64
	var expires, lastUsed sql.NullInt64
	err := row.Scan(&t.ID, &t.OrgID, &t.Name, &t.LastChars, &scopes, &t.CreatedBy, &created,
		&expires, &lastUsed, &t.LastUsedProjectID, &t.LastUsedProject)
	if err != nil {
		return nil, err
	}
	t.Scopes = parseScopesColumn(scopes)
	t.CreatedAt = fromUnix(created)
	t.ExpiresAt, t.LastUsedAt = fromNullUnix(expires), fromNullUnix(lastUsed)
	return &t, nil
}

// orgTokenTarget names a token in the audit log: its name and masked value, never the token.
func orgTokenTarget(name, lastChars string) string {
	return name + " (" + core.MaskToken(core.TokenOrg, lastChars, true) + ")"
}

// OrgTokens returns a page of the organization's live tokens: last used first (never used
// last), then by name, then newest.
func (db *DB) OrgTokens(ctx context.Context, orgID int64, page core.Page) ([]core.OrgToken, error) {
	page = page.Normalize(50, orgTokenPageMax)
	var out []core.OrgToken
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, orgTokenListQuery, orgID, page.Limit, page.Offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanOrgToken(rows)
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return rows.Err()
	})
	return out, err
}

// OrgToken returns one live token of the organization; revoked, unknown and other
// organizations' ids are all ENOTFOUND.
func (db *DB) OrgToken(ctx context.Context, orgID, id int64) (*core.OrgToken, error) {
	var t *core.OrgToken
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		var err error
		t, err = liveOrgToken(ctx, tx, orgID, id)
		return err
	})
	return t, err
}

func liveOrgToken(ctx context.Context, tx *sql.Tx, orgID, id int64) (*core.OrgToken, error) {
	t, err := scanOrgToken(tx.QueryRowContext(ctx, `SELECT `+orgTokenColumns+` FROM org_tokens t
		WHERE t.org_id = ? AND t.id = ? AND t.deactivated_at IS NULL`, orgID, id))
	return t, notFound(err, "The requested resource does not exist.")
}

// CreateOrgToken creates a token and returns it with its plaintext, which exists nowhere else
// once the caller has shown it: the row keeps its SHA-256 and last 4 characters. The audit
// entry and one security email per owner commit with the token or not at all, so an SMTP
// outage or a crash right after the commit delays the emails but never loses them.
func (db *DB) CreateOrgToken(ctx context.Context, orgID int64, n core.NewOrgToken) (*core.OrgToken, string, error) {
	name, err := core.ValidateTokenName(n.Name, true)
	if err != nil {
		return nil, "", err
	}
	now := db.Now().UTC()
	if n.ExpiresAt != nil && !n.ExpiresAt.After(now) {
		return nil, "", core.FieldError("expiration", "The expiration date must be in the future.")
	}
	actor := core.ActorFrom(ctx)
	baseURL := strings.TrimRight(db.BaseURL, "/")
	t := core.OrgToken{OrgID: orgID, Name: name, Scopes: core.OrgTokenScopes, CreatedAt: fromUnix(unix(now)), ExpiresAt: n.ExpiresAt}
	if actor.User != nil {
		t.CreatedBy = actor.User.ID
	}
	var plaintext string
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		var org core.Org
		if err := tx.QueryRowContext(ctx, `SELECT slug, name FROM orgs WHERE id = ?`, orgID).Scan(&org.Slug, &org.Name); err != nil {
			return notFound(err, "The requested resource does not exist.")
		}
		var err error
		if plaintext, err = core.GenerateOrgToken(baseURL, org.Slug, now); err != nil {
			return err
		}
		t.LastChars = core.TokenLastChars(plaintext)
		createdBy := sql.NullInt64{Int64: t.CreatedBy, Valid: t.CreatedBy != 0}
		if err := tx.QueryRowContext(ctx, `INSERT INTO org_tokens (org_id, token_hash, last_chars, name, scopes,
			created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			orgID, core.HashToken(plaintext), t.LastChars, name, scopesColumn(t.Scopes), createdBy,
			unix(now), nullableUnix(n.ExpiresAt)).Scan(&t.ID); err != nil {
			return err
		}
		if err := db.audit(ctx, tx, orgID, core.AuditOrgTokenCreated, orgTokenTarget(name, t.LastChars)); err != nil {
			return err
		}
		owners, err := ownerEmails(ctx, tx, orgID)
		if err != nil {
			return err
		}
		mail := core.OrgTokenCreatedMail{
			ActorEmail: actor.Email(), TokenName: name, OrgName: org.Name, IP: actor.IP, Time: t.CreatedAt,
			TokenMasked: core.MaskToken(core.TokenOrg, t.LastChars, false),
			ReviewURL:   baseURL + "/settings/" + org.Slug + "/auth-tokens/" + strconv.FormatInt(t.ID, 10) + "/",
		}
		for _, to := range owners {
			if err := db.enqueueMail(ctx, tx, to, core.MailOrgTokenCreated, mail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return &t, plaintext, nil
}

// ownerEmails returns the addresses of the organization's owners within tx, so the security
// emails go to exactly the owners the token's transaction saw.
func ownerEmails(ctx context.Context, tx *sql.Tx, orgID int64) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.role = 'owner' AND u.active ORDER BY u.email COLLATE NOCASE`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var email string
		if err := rows.Scan(&email); err != nil {
			return nil, err
		}
		out = append(out, email)
	}
	return out, rows.Err()
}

// RenameOrgToken changes a live token's name. A change is audited; saving the same name is not.
func (db *DB) RenameOrgToken(ctx context.Context, orgID, id int64, name string) (*core.OrgToken, error) {
	name, err := core.ValidateTokenName(name, true)
	if err != nil {
		return nil, err
	}
	var t *core.OrgToken
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		var err error
		if t, err = liveOrgToken(ctx, tx, orgID, id); err != nil {
			return err
		}
		if t.Name == name {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE org_tokens SET name = ? WHERE id = ?`, name, t.ID); err != nil {
			return err
		}
		target := t.Name + " → " + orgTokenTarget(name, t.LastChars)
		t.Name = name
		return db.audit(ctx, tx, orgID, core.AuditOrgTokenRenamed, target)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// RevokeOrgToken deactivates a live token (owners and managers). The bearer lookup only finds
// rows without deactivated_at, so the token stops working when this transaction commits.
func (db *DB) RevokeOrgToken(ctx context.Context, orgID, id int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleRevokeOrgTokens); err != nil {
			return err
		}
		var name, lastChars string
		err := tx.QueryRowContext(ctx, `UPDATE org_tokens SET deactivated_at = ?
			WHERE org_id = ? AND id = ? AND deactivated_at IS NULL RETURNING name, last_chars`,
			unix(db.Now()), orgID, id).Scan(&name, &lastChars)
		if err != nil {
			return notFound(err, "The requested resource does not exist.")
		}
		return db.audit(ctx, tx, orgID, core.AuditOrgTokenRevoked, orgTokenTarget(name, lastChars))
	})
}
