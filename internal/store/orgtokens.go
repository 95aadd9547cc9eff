package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Organization auth tokens (SPEC §2, §3.1–3.3, §4). Every member who may read the
// organization (org:read: all roles but billing) lists, creates and renames them; only owners
// and managers (org:write) revoke them. Each check runs inside the transaction that acts.

// orgTokenPageMax bounds one page of the list, whatever the caller asks for.
const orgTokenPageMax = 500

// orgTokenListQuery is one page of an organization's live tokens in Sentry's order. Its WHERE
// and ORDER BY match the partial index org_tokens_list term for term, so SQLite walks the
// index in order and stops after the page: no sort, and no work for the rows after it.
const orgTokenListQuery = `SELECT ` + tokenColumns + ` FROM tokens t
	WHERE t.kind = 'org' AND t.org_id = ? AND t.revoked_at IS NULL
	ORDER BY coalesce(t.last_used_at, -1) DESC, t.name COLLATE NOCASE, t.id DESC
	LIMIT ? OFFSET ?`

// orgToken is the org token a stored row holds.
func (t *tokenRow) orgToken() *core.OrgToken {
	return &core.OrgToken{ID: t.ID, OrgID: t.OrgID, Name: t.Name, LastChars: t.LastChars, Scopes: t.Scopes,
		CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt,
		LastUsedProjectID: t.LastUsedProjectID, LastUsedProject: t.LastUsedProject, LastUsedTarget: t.LastUsedTarget,
		LastUsedAction: t.LastUsedAction, Exposure: t.Exposure, ReplacedByID: t.ReplacedBy}
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
		rows, err := queryTokens(ctx, tx, orgTokenListQuery, orgID, page.Limit, page.Offset)
		for _, t := range rows {
			out = append(out, *t.orgToken())
		}
		return err
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
	t, err := liveToken(ctx, tx, tokenRef{core.TokenOrg, orgID, id})
	if err != nil {
		return nil, notFound(err, msgResourceNotFound)
	}
	return t.orgToken(), nil
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
	var t *core.OrgToken
	var plaintext string
	// A new token changes no cached answer (inTxKeepingAnswers).
	err = db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleUseOrgTokens); err != nil {
			return err
		}
		var err error
		t, plaintext, err = db.issueOrgToken(ctx, tx, orgID, name, n.ExpiresAt, now, nil)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return t, plaintext, nil
}

// replacedToken is what the creation email of a rotation says of the token it replaces.
type replacedToken struct {
	label   string
	stopsAt time.Time
}

// issueOrgToken creates an org token within tx, after the caller's authorization: the row,
// the audit entry, and one security email per owner, naming the token it replaces for a
// rotation. The organization's "Maximum lifetime" policy applies.
func (db *DB) issueOrgToken(ctx context.Context, tx *sql.Tx, orgID int64, name string, expiresAt *time.Time, now time.Time, replaces *replacedToken) (*core.OrgToken, string, error) {
	actor := core.ActorFrom(ctx)
	baseURL := strings.TrimRight(db.BaseURL, "/")
	var org core.Org
	if err := tx.QueryRowContext(ctx, `SELECT slug, name FROM orgs WHERE id = ?`, orgID).Scan(&org.Slug, &org.Name); err != nil {
		return nil, "", notFound(err, "The requested resource does not exist.")
	}
	policy, err := tokenPolicy(ctx, tx, orgID)
	if err != nil {
		return nil, "", err
	}
	if err := policy.CheckNewTokenLifetime(expiresAt, now); err != nil {
		return nil, "", err
	}
	plaintext, err := core.GenerateOrgToken(baseURL, org.Slug, now)
	if err != nil {
		return nil, "", err
	}
	row, err := insertToken(ctx, tx, newToken{kind: core.TokenOrg, orgID: orgID, plaintext: plaintext, name: name,
		scopes: core.OrgTokenScopes, createdBy: actorID(ctx).Int64, createdAt: now, expiresAt: expiresAt})
	if err != nil {
		return nil, "", err
	}
	t := row.orgToken()
	if replaces == nil {
		if err := db.audit(ctx, tx, orgID, core.AuditOrgTokenCreated, orgTokenTarget(name, t.LastChars)); err != nil {
			return nil, "", err
		}
	}
	owners, err := ownerEmails(ctx, tx, orgID)
	if err != nil {
		return nil, "", err
	}
	mail := core.OrgTokenCreatedMail{
		ActorEmail: actor.Email(), TokenName: name, OrgName: org.Name, IP: actor.IP, Time: t.CreatedAt,
		TokenMasked: core.MaskToken(core.TokenOrg, t.LastChars, false),
		ReviewURL:   baseURL + "/settings/" + org.Slug + "/auth-tokens/" + strconv.FormatInt(t.ID, 10) + "/",
	}
	if replaces != nil {
		stops := replaces.stopsAt
		mail.Replaces, mail.StopsAt = replaces.label, &stops
	}
	for _, to := range owners {
		if err := db.enqueueMail(ctx, tx, to, core.MailOrgTokenCreated, mail); err != nil {
			return nil, "", err
		}
	}
	return t, plaintext, nil
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
		old, row, err := renameToken(ctx, tx, tokenRef{core.TokenOrg, orgID, id}, name)
		if err != nil {
			return notFound(err, msgResourceNotFound)
		}
		t = row.orgToken()
		if old == name {
			return nil
		}
		return db.audit(ctx, tx, orgID, core.AuditOrgTokenRenamed, old+" → "+orgTokenTarget(name, t.LastChars))
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// RevokeOrgToken revokes a live token (owners and managers); it fails from the next request.
func (db *DB) RevokeOrgToken(ctx context.Context, orgID, id int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleRevokeOrgTokens); err != nil {
			return err
		}
		t, err := db.revokeToken(ctx, tx, tokenRef{core.TokenOrg, orgID, id}, revokedByPerson)
		if err != nil {
			return notFound(err, msgResourceNotFound)
		}
		return db.audit(ctx, tx, orgID, core.AuditOrgTokenRevoked, orgTokenTarget(t.Name, t.LastChars))
	})
}
