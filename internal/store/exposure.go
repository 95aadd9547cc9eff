package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Exposed-token reports (issue 15, part 1): GitHub's secret scanning reports tokens it found
// in public; web/api verifies the report's signature, and ReportExposedTokens acts on it.
//
// The first report of a token is the one that counts: recording it sets exposed_at where it
// was NULL, in the same transaction as the audit entry, the emails and the revocation, so a
// repeated report (GitHub retries, or finds the token again elsewhere) changes nothing and
// sends nothing. The token is found by hash among all rows, revoked ones included: a token
// already revoked is still ours (a true positive), and its owners still learn it leaked.

// maxExposureReports bounds one report; the endpoint's body limit bounds it first.
const maxExposureReports = 1000

// exposedRow is what a report needs of the token it names.
type exposedRow struct {
	tokenRow
	kind          core.TokenKind
	revoked       bool
	orgName       string
	orgSlug       string
	policy        core.TokenPolicy
	userEmail     string
	integration   string
	alreadyExposd bool
}

// ReportExposedTokens records, audits, emails and (as the policy says) revokes each known
// token of the report, and labels each entry true or false positive. It runs as the system
// actor the caller put in ctx (no person: the audit names it).
func (db *DB) ReportExposedTokens(ctx context.Context, reports []core.ExposureReport) ([]core.ExposureResult, error) {
	if len(reports) > maxExposureReports {
		return nil, core.Errorf(core.EINVALID, "A report may hold at most %d tokens.", maxExposureReports)
	}
	out := make([]core.ExposureResult, len(reports))
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		for i, r := range reports {
			hash := core.HashToken(r.Token)
			out[i] = core.ExposureResult{TokenHash: hash, TokenType: r.Type, Label: core.ExposureFalsePositive}
			parsed, err := core.ParseToken(r.Token)
			if err != nil {
				continue // not one of our formats: nothing to look up
			}
			row, err := exposedToken(ctx, tx, parsed)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			out[i].Label = core.ExposureTruePositive
			if row.alreadyExposd {
				continue
			}
			if err := db.recordExposure(ctx, tx, row, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// exposedToken finds a token of any state by its hash, with its organization's policy and
// whatever names it in an email.
func exposedToken(ctx context.Context, tx *sql.Tx, parsed core.ParsedToken) (*exposedRow, error) {
	r := &exposedRow{kind: parsed.Kind}
	var revokedAt, exposedAt sql.NullInt64
	var orgID int64
	err := tx.QueryRowContext(ctx, `SELECT t.revoked_at, t.exposed_at, coalesce(t.org_id, 0),
		coalesce(o.name, ''), coalesce(o.slug, ''), coalesce(p.revoke_exposed, true),
		coalesce(u.email, ''), coalesce(i.slug, '')
		FROM tokens t LEFT JOIN orgs o ON o.id = t.org_id LEFT JOIN org_token_policies p ON p.org_id = t.org_id
		LEFT JOIN users u ON u.id = t.user_id LEFT JOIN integrations i ON i.id = t.integration_id
		WHERE t.token_hash = ? AND t.kind = ?`, parsed.Hash, kindColumn(parsed.Kind)).
		Scan(&revokedAt, &exposedAt, &orgID, &r.orgName, &r.orgSlug, &r.policy.RevokeExposed, &r.userEmail, &r.integration)
	if err != nil {
		return nil, err
	}
	row, err := scanToken(tx.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens t WHERE t.token_hash = ?`, parsed.Hash))
	if err != nil {
		return nil, err
	}
	r.tokenRow = *row
	r.revoked, r.alreadyExposd = revokedAt.Valid, exposedAt.Valid
	return r, nil
}

// recordExposure records the first report of a live or revoked token, and does what it calls
// for, within tx.
func (db *DB) recordExposure(ctx context.Context, tx *sql.Tx, row *exposedRow, r core.ExposureReport) error {
	now := db.Now()
	url, source := core.OneLine(r.URL), core.OneLine(r.Source)
	if len(url) > 2000 {
		url = url[:2000]
	}
	if len(source) > 200 {
		source = source[:200]
	}
	res, err := tx.ExecContext(ctx, `UPDATE tokens SET exposed_at = ?, exposed_url = ?, exposed_source = ?
		WHERE kind = ? AND id = ? AND exposed_at IS NULL`, unix(now), url, source, kindColumn(row.kind), row.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil // claimed by an earlier report
	}
	// A user token belongs to no organization: revoke it always (no policy can speak for
	// it, and its user can make another); org and integration tokens follow their policy.
	revoke := !row.revoked && (row.kind == core.TokenUser || row.policy.RevokeExposed)
	ref := tokenRef{row.kind, row.owner(row.kind), row.ID}
	if revoke {
		if _, err := db.revokeToken(ctx, tx, ref, revokedAsExposed); err != nil {
			return err
		}
	}
	status := "This token is still active. Revoke it now, and replace it wherever it is used."
	switch {
	case revoke:
		status = "This token has been revoked: requests made with it now fail. Create a new one to replace it."
	case row.revoked:
		status = "This token had already been revoked: it no longer works."
	}
	label := row.label(row.kind)
	found := url
	if source != "" {
		found += " (" + source + ")"
	}
	auditTarget := label + " found at " + found
	if revoke {
		auditTarget += "; revoked because it was reported exposed"
	}
	base := strings.TrimRight(db.BaseURL, "/")
	mail := core.TokenExposedMail{KindName: row.kind.Title(), TokenName: row.Name, MaskedToken: core.MaskToken(row.kind, row.LastChars, true),
		OrgName: row.orgName, URL: url, Source: source, Time: now, Status: status}
	var to []string
	switch row.kind {
	case core.TokenUser:
		if err := db.logAccount(ctx, tx, row.UserID, core.AccountUserTokenExposed, auditTarget); err != nil {
			return err
		}
		mail.ReviewURL = base + "/settings/account/api/auth-tokens/"
		to = []string{row.userEmail}
	default:
		if err := db.audit(ctx, tx, row.OrgID, core.AuditTokenExposed, auditTarget); err != nil {
			return err
		}
		if revoke {
			event := core.AuditOrgTokenRevoked
			if row.kind == core.TokenIntegration {
				event = core.AuditIntegrationTokenRevoked
			}
			if err := db.audit(ctx, tx, row.OrgID, event, label+" (reported exposed)"); err != nil {
				return err
			}
		}
		mail.ReviewURL = base + "/settings/" + row.orgSlug + "/auth-tokens/"
		if row.kind == core.TokenIntegration && row.integration != "" {
			mail.ReviewURL = base + "/settings/" + row.orgSlug + "/developer-settings/" + row.integration + "/"
		}
		var err error
		if to, err = ownerEmails(ctx, tx, row.OrgID); err != nil {
			return err
		}
	}
	for _, addr := range to {
		if addr == "" {
			continue
		}
		if err := db.enqueueMail(ctx, tx, addr, core.MailTokenExposed, mail); err != nil {
			return err
		}
	}
	return nil
}

// owner is the value of the token's ownerColumn.
func (t *tokenRow) owner(kind core.TokenKind) int64 {
	switch kind {
	case core.TokenUser:
		return t.UserID
	case core.TokenIntegration:
		return t.IntegrationID
	}
	return t.OrgID
}

// label names a token of any kind in an audit entry: its name (or integration) and mask.
func (t *tokenRow) label(kind core.TokenKind) string {
	masked := core.MaskToken(kind, t.LastChars, true)
	if t.Name == "" {
		return kind.Title() + " " + masked
	}
	return kind.Title() + " " + t.Name + " (" + masked + ")"
}
