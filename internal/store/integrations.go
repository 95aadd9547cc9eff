package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Internal integrations and their tokens (SPEC 3.5). Every integration query names the
// organization in its WHERE clause; token queries name an integration loaded that way in the
// same transaction. Every method checks the actor's role inside its own transaction.

// integrationColumns are unqualified so that INSERT and UPDATE … RETURNING can use them too.
const integrationColumns = `id, org_id, slug, name, webhook_url, alert_rule_action, events,
	overview, scopes, coalesce(created_by, 0), created_at, updated_at`

// liveTokenCount counts an integration's live tokens; integration_tokens_live serves it.
const liveTokenCount = `(SELECT count(*) FROM tokens t WHERE t.kind = 'integration'
	AND t.integration_id = integrations.id AND t.revoked_at IS NULL)`

// reservedIntegrationSlugs are path segments of the Custom Integrations screens that an
// integration's slug must not shadow.
var reservedIntegrationSlugs = map[string]bool{"new-internal": true}

// scanIntegration reads integrationColumns, then into extra any columns selected after them.
func scanIntegration(row interface{ Scan(...any) error }, extra ...any) (*core.Integration, error) {
	var i core.Integration
	var events, scopes string
	var created, updated int64
	dest := append([]any{&i.ID, &i.OrgID, &i.Slug, &i.Name, &i.WebhookURL, &i.AlertRuleAction, &events,
		&i.Overview, &scopes, &i.CreatedBy, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	i.Events = strings.Fields(events)
	i.Scopes = parseScopesColumn(scopes)
	i.CreatedAt, i.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &i, nil
}

const msgIntegrationNotFound = "The integration does not exist."

// integrationInTx loads one integration of the organization within tx.
func integrationInTx(ctx context.Context, tx *sql.Tx, orgID int64, slug string) (*core.Integration, error) {
	var count int
	i, err := scanIntegration(tx.QueryRowContext(ctx, `SELECT `+integrationColumns+`, `+liveTokenCount+`
		FROM integrations WHERE org_id = ? AND slug = ?`, orgID, slug), &count)
	if err != nil {
		return nil, notFound(err, msgIntegrationNotFound)
	}
	i.TokenCount = count
	return i, nil
}

// Integrations returns the organization's integrations by name, with their live token counts.
func (db *DB) Integrations(ctx context.Context, orgID int64) ([]core.Integration, error) {
	var out []core.Integration
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleReadIntegrations); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+integrationColumns+`, `+liveTokenCount+`
			FROM integrations WHERE org_id = ? ORDER BY name COLLATE NOCASE, id`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var count int
			i, err := scanIntegration(rows, &count)
			if err != nil {
				return err
			}
			i.TokenCount = count
			out = append(out, *i)
		}
		return rows.Err()
	})
	return out, err
}

// Integration returns one integration of the organization (any member).
func (db *DB) Integration(ctx context.Context, orgID int64, slug string) (*core.Integration, error) {
	var i *core.Integration
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleReadIntegrations); err != nil {
			return err
		}
		var err error
		i, err = integrationInTx(ctx, tx, orgID, slug)
		return err
	})
	return i, err
}

// IntegrationBySlug finds an integration by slug for a member of its organization. To anyone
// else it does not exist, so the API does not reveal other organizations' integrations.
func (db *DB) IntegrationBySlug(ctx context.Context, slug string) (*core.Integration, error) {
	var i *core.Integration
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		var orgID int64
		err := tx.QueryRowContext(ctx, `SELECT org_id FROM integrations WHERE slug = ?`, slug).Scan(&orgID)
		if err != nil {
			return notFound(err, msgIntegrationNotFound)
		}
		if _, err := db.authorize(ctx, tx, orgID, core.RuleReadIntegrations); err != nil {
			return err
		}
		i, err = integrationInTx(ctx, tx, orgID, slug)
		return err
	})
	return i, err
}

// CreateIntegration creates an integration (owners and managers) and its first token. The
// requester cannot give it a scope their own role lacks.
func (db *DB) CreateIntegration(ctx context.Context, orgID int64, in core.IntegrationInput) (*core.Integration, *core.IntegrationToken, string, error) {
	var (
		i     *core.Integration
		tok   *core.IntegrationToken
		plain string
	)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		role, err := db.authorize(ctx, tx, orgID, core.RuleManageIntegrations)
		if err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if err := core.CheckIntegrationScopes(role, 0, in.Scopes); err != nil {
			return err
		}
		slug, err := uniqueIntegrationSlug(ctx, tx, in.Name)
		if err != nil {
			return err
		}
		now := unix(db.Now())
		i, err = scanIntegration(tx.QueryRowContext(ctx, `INSERT INTO integrations (org_id, slug, name,
			webhook_url, alert_rule_action, events, overview, scopes, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+integrationColumns,
			orgID, slug, in.Name, in.WebhookURL, in.AlertRuleAction, strings.Join(in.Events, " "), in.Overview,
			scopesColumn(in.Scopes), actorID(ctx), now, now))
		if err != nil {
			return conflictAs(err, "name", "An integration with this slug already exists.")
		}
		if err := db.audit(ctx, tx, orgID, core.AuditIntegrationCreated, integrationTarget(i)+" "+scopeList(i.Scopes)); err != nil {
			return err
		}
		tok, plain, err = db.issueIntegrationToken(ctx, tx, i)
		if err != nil {
			return err
		}
		i.TokenCount = 1
		return db.audit(ctx, tx, orgID, core.AuditIntegrationTokenCreated, tokenTarget(i, tok.LastChars))
	})
	if err != nil {
		return nil, nil, "", err
	}
	return i, tok, plain, nil
}

// uniqueIntegrationSlug derives a slug from the name that no integration uses yet, in any
// organization (the API finds integrations by slug alone): "deploy-bot", then "deploy-bot-2"…
// The transaction holds the write lock from BEGIN, so no other transaction can take the slug
// between this check and the insert.
func uniqueIntegrationSlug(ctx context.Context, tx *sql.Tx, name string) (string, error) {
	base := core.Slugify(name)
	if base == "" {
		base = "integration"
	}
	for n := 1; ; n++ {
		slug := base
		if n > 1 {
			slug = base + "-" + strconv.Itoa(n)
		}
		if reservedIntegrationSlugs[slug] {
			continue
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM integrations WHERE slug = ?`, slug).Scan(&taken); err != nil {
			return "", err
		}
		if taken == 0 {
			return slug, nil
		}
	}
}

// UpdateIntegration saves the edit form (owners and managers). Scopes the integration already
// holds may stay even when the requester's role lacks them; new ones may not exceed it.
//
// The live tokens take the new scopes in the same transaction. Each token row keeps its own
// copy of the scopes (written at creation, SPEC 2), and Sentry's SentryAppUpdater rewrites the
// scope_list of every active token of the app when its scopes change; so do we. The other
// choice, tokens keeping the scopes they were born with, would leave a token its old powers
// after an owner lowered the integration's permissions, which is the opposite of what the
// owner asked for; it would also contradict SPEC 5 (an integration token acts with "the
// integration's scopes"). This is also why raising permissions warns first: every existing
// token gains them.
func (db *DB) UpdateIntegration(ctx context.Context, orgID int64, slug string, in core.IntegrationInput) (*core.Integration, error) {
	var i *core.Integration
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		role, err := db.authorize(ctx, tx, orgID, core.RuleManageIntegrations)
		if err != nil {
			return err
		}
		old, err := integrationInTx(ctx, tx, orgID, slug)
		if err != nil {
			return err
		}
		if err := in.Validate(); err != nil {
			return err
		}
		if err := core.CheckIntegrationScopes(role, old.Scopes, in.Scopes); err != nil {
			return err
		}
		// The slug stays: tokens' users and the API know the integration by it.
		i, err = scanIntegration(tx.QueryRowContext(ctx, `UPDATE integrations SET name = ?, webhook_url = ?,
			alert_rule_action = ?, events = ?, overview = ?, scopes = ?, updated_at = ?
			WHERE id = ? AND org_id = ? RETURNING `+integrationColumns,
			in.Name, in.WebhookURL, in.AlertRuleAction, strings.Join(in.Events, " "), in.Overview,
			scopesColumn(in.Scopes), unix(db.Now()), old.ID, orgID))
		if err != nil {
			return err
		}
		i.TokenCount = old.TokenCount
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET scopes = ?
			WHERE kind = 'integration' AND integration_id = ? AND revoked_at IS NULL`, scopesColumn(i.Scopes), i.ID); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditIntegrationEdited, integrationTarget(i)+scopeChange(old.Scopes, i.Scopes))
	})
	return i, err
}

// DeleteIntegration deletes an integration (owners only). Its live tokens are revoked first,
// so every one of them fails from the next request on; their rows stay, revoked, for the
// record (their integration_id becomes NULL with the integration).
func (db *DB) DeleteIntegration(ctx context.Context, orgID int64, slug string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleDeleteIntegrations); err != nil {
			return err
		}
		i, err := integrationInTx(ctx, tx, orgID, slug)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = ?, revoked_by = ?, revoked_reason = ?
			WHERE kind = 'integration' AND integration_id = ? AND revoked_at IS NULL`,
			unix(db.Now()), actorID(ctx), revokedWithIntegration, i.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM integrations WHERE id = ? AND org_id = ?`, i.ID, orgID); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditIntegrationDeleted,
			integrationTarget(i)+", "+strconv.Itoa(i.TokenCount)+" token(s) revoked")
	})
}

// IntegrationTokens returns the integration's live tokens, oldest first (owners and managers).
func (db *DB) IntegrationTokens(ctx context.Context, orgID int64, slug string) ([]core.IntegrationToken, error) {
	var out []core.IntegrationToken
	err := db.inReadTx(ctx, func(tx *sql.Tx) error {
		i, _, err := db.authorizeIntegration(ctx, tx, orgID, slug)
		if err != nil {
			return err
		}
		rows, err := queryTokens(ctx, tx, `SELECT `+tokenColumns+` FROM tokens t
			WHERE t.kind = 'integration' AND t.integration_id = ? AND t.revoked_at IS NULL ORDER BY t.id`, i.ID)
		for _, t := range rows {
			out = append(out, *t.integrationToken())
		}
		return err
	})
	return out, err
}

// integrationToken is the integration token a stored row holds.
func (t *tokenRow) integrationToken() *core.IntegrationToken {
	return &core.IntegrationToken{ID: t.ID, IntegrationID: t.IntegrationID, LastChars: t.LastChars, Scopes: t.Scopes,
		CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, ExpiresAt: t.ExpiresAt, Exposure: t.Exposure}
}

// authorizeTokenIssue loads the integration for issuing a token: the actor must manage it and
// hold every scope the token will carry, so that a token never exceeds its requester's role.
func (db *DB) authorizeTokenIssue(ctx context.Context, tx *sql.Tx, orgID int64, slug string) (*core.Integration, error) {
	i, role, err := db.authorizeIntegration(ctx, tx, orgID, slug)
	if err != nil {
		return nil, err
	}
	return i, core.CheckIntegrationTokenScopes(role, i.Scopes)
}

// CreateIntegrationToken adds a token to the integration (owners and managers).
func (db *DB) CreateIntegrationToken(ctx context.Context, orgID int64, slug string) (*core.IntegrationToken, string, error) {
	var (
		tok   *core.IntegrationToken
		plain string
	)
	// A new token changes no cached answer (inTxKeepingAnswers).
	err := db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		i, err := db.authorizeTokenIssue(ctx, tx, orgID, slug)
		if err != nil {
			return err
		}
		if tok, plain, err = db.issueIntegrationToken(ctx, tx, i); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditIntegrationTokenCreated, tokenTarget(i, tok.LastChars))
	})
	if err != nil {
		return nil, "", err
	}
	return tok, plain, nil
}

// RotateIntegrationToken revokes a token and issues its replacement in one transaction: there
// is no moment with neither, and no way to end up with both.
func (db *DB) RotateIntegrationToken(ctx context.Context, orgID int64, slug string, id int64) (*core.IntegrationToken, string, error) {
	var (
		tok   *core.IntegrationToken
		plain string
	)
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		i, err := db.authorizeTokenIssue(ctx, tx, orgID, slug)
		if err != nil {
			return err
		}
		old, err := db.revokeIntegrationToken(ctx, tx, i, id, revokedByRotation)
		if err != nil {
			return err
		}
		if tok, plain, err = db.issueIntegrationToken(ctx, tx, i); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditIntegrationTokenRotated,
			tokenTarget(i, old)+" → "+core.MaskToken(core.TokenIntegration, tok.LastChars, false))
	})
	if err != nil {
		return nil, "", err
	}
	return tok, plain, nil
}

// RevokeIntegrationToken revokes a token (owners and managers).
func (db *DB) RevokeIntegrationToken(ctx context.Context, orgID int64, slug string, id int64) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		i, _, err := db.authorizeIntegration(ctx, tx, orgID, slug)
		if err != nil {
			return err
		}
		last, err := db.revokeIntegrationToken(ctx, tx, i, id, revokedByPerson)
		if err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditIntegrationTokenRevoked, tokenTarget(i, last))
	})
}

// authorizeIntegration checks that the actor may manage the integration's tokens
// and loads the integration, with the actor's role.
func (db *DB) authorizeIntegration(ctx context.Context, tx *sql.Tx, orgID int64, slug string) (*core.Integration, core.Role, error) {
	role, err := db.authorize(ctx, tx, orgID, core.RuleManageIntegrations)
	if err != nil {
		return nil, role, err
	}
	i, err := integrationInTx(ctx, tx, orgID, slug)
	return i, role, err
}

// issueIntegrationToken inserts a new token with a copy of the integration's scopes. The cap
// is counted inside the same transaction, which holds the write lock, so two concurrent
// requests cannot both take the 20th place.
func (db *DB) issueIntegrationToken(ctx context.Context, tx *sql.Tx, i *core.Integration) (*core.IntegrationToken, string, error) {
	var live int
	if err := tx.QueryRowContext(ctx, `SELECT `+liveTokenCount+` FROM integrations WHERE id = ?`, i.ID).Scan(&live); err != nil {
		return nil, "", err
	}
	if live >= core.MaxIntegrationTokens {
		return nil, "", core.ErrIntegrationTokenLimit()
	}
	plain, err := core.GenerateIntegrationToken()
	if err != nil {
		return nil, "", err
	}
	// Integration tokens have no expiry of their own; under a "Maximum lifetime" policy they
	// get that lifetime.
	now := db.Now()
	policy, err := tokenPolicy(ctx, tx, i.OrgID)
	if err != nil {
		return nil, "", err
	}
	var expiresAt *time.Time
	if policy.MaxTokenDays > 0 {
		at := now.Add(time.Duration(policy.MaxTokenDays) * 24 * time.Hour).Truncate(time.Second)
		expiresAt = &at
	}
	row, err := insertToken(ctx, tx, newToken{kind: core.TokenIntegration, orgID: i.OrgID, integrationID: i.ID,
		plaintext: plain, scopes: i.Scopes, createdBy: actorID(ctx).Int64, createdAt: now, expiresAt: expiresAt})
	if err != nil {
		return nil, "", err
	}
	return row.integrationToken(), plain, nil
}

// revokeIntegrationToken revokes one live token of the integration and returns its last
// characters. Another integration's token, or one already revoked, does not exist here.
func (db *DB) revokeIntegrationToken(ctx context.Context, tx *sql.Tx, i *core.Integration, id int64, reason string) (string, error) {
	row, err := db.revokeToken(ctx, tx, tokenRef{core.TokenIntegration, i.ID, id}, reason)
	if err != nil {
		return "", notFound(err, "The token does not exist.")
	}
	return row.LastChars, nil
}

// actorID is the signed-in actor's user id for created_by columns, NULL for the operator.
func actorID(ctx context.Context) sql.NullInt64 {
	if u := core.ActorFrom(ctx).User; u != nil {
		return sql.NullInt64{Int64: u.ID, Valid: true}
	}
	return sql.NullInt64{}
}

// integrationTarget names an integration in the audit log.
func integrationTarget(i *core.Integration) string { return i.Name + " (" + i.Slug + ")" }

// tokenTarget names an integration token in the audit log by its mask, never more.
func tokenTarget(i *core.Integration, last4 string) string {
	return i.Slug + " " + core.MaskToken(core.TokenIntegration, last4, false)
}

// scopeList renders a scope set for the audit log.
func scopeList(s core.ScopeSet) string {
	if s == 0 {
		return "[no permissions]"
	}
	return "[" + s.String() + "]"
}

// scopeChange describes a change of scopes for the audit log: " +org:admin −team:read", or ""
// when the scopes did not change.
func scopeChange(from, to core.ScopeSet) string {
	var b strings.Builder
	for _, n := range to.Minus(from).Names() {
		b.WriteString(" +" + n)
	}
	for _, n := range from.Minus(to).Names() {
		b.WriteString(" −" + n)
	}
	return b.String()
}
