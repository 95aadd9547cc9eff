package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Expiry reminders (issue 15, part 3): 7 days and 1 day before a token expires, its owners
// (the user; every owner of the organization for org and integration tokens) are emailed once
// per threshold, through the outbox.
//
// Each reminder is claimed in the database: reminded_7d_at or reminded_1d_at is set where it
// was NULL in the same transaction that queues the email, so a restart, a second run or a
// second instance on the same file never sends it again. A token whose whole lifetime is
// shorter than a threshold (created with 3 days left) never gets that threshold's reminder,
// and a 7-day reminder that comes due after the 1-day one (the server was down) is skipped.

// reminderBatch bounds the tokens one run reminds of, per threshold; the next run takes the rest.
const reminderBatch = 200

// reminderThreshold is one reminder: how long before expiry, its claim column, the next
// (shorter) threshold, and how the email says it.
type reminderThreshold struct {
	before, next time.Duration
	column, left string
}

var reminderThresholds = []reminderThreshold{
	{before: 7 * 24 * time.Hour, next: 24 * time.Hour, column: "reminded_7d_at", left: "7 days"},
	{before: 24 * time.Hour, next: 0, column: "reminded_1d_at", left: "1 day"},
}

// dueReminder is a token that has a reminder due.
type dueReminder struct {
	tokenRow
	kind                core.TokenKind
	orgName, orgSlug    string
	userEmail, intSlug  string
	integrationNameText string
}

// SendExpiryReminders queues the reminders due at the store's clock and returns how many
// tokens it reminded of. The background job (internal/app) calls it on a ticker.
func (db *DB) SendExpiryReminders(ctx context.Context) (int, error) {
	now := db.Now().UTC()
	sent := 0
	err := db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		sent = 0
		for _, th := range reminderThresholds {
			due, err := dueReminders(ctx, tx, th, now)
			if err != nil {
				return err
			}
			for _, d := range due {
				claimed, err := tx.ExecContext(ctx, `UPDATE tokens SET `+th.column+` = ? WHERE kind = ? AND id = ? AND `+
					th.column+` IS NULL`, unix(now), kindColumn(d.kind), d.ID)
				if err != nil {
					return err
				}
				if n, _ := claimed.RowsAffected(); n == 0 {
					continue
				}
				if err := db.queueReminder(ctx, tx, d, th); err != nil {
					return err
				}
				sent++
			}
		}
		return nil
	})
	return sent, err
}

// dueReminders lists the live, unreplaced tokens whose reminder th is due at now and not yet
// claimed, and which had more than th left when they were created.
func dueReminders(ctx context.Context, tx *sql.Tx, th reminderThreshold, now time.Time) ([]dueReminder, error) {
	rows, err := tx.QueryContext(ctx, `SELECT t.kind, `+tokenColumns+`, coalesce(o.name, ''), coalesce(o.slug, ''),
		coalesce(u.email, ''), coalesce(i.slug, ''), coalesce(i.name, '')
		FROM tokens t LEFT JOIN orgs o ON o.id = t.org_id LEFT JOIN users u ON u.id = t.user_id AND u.active
		LEFT JOIN integrations i ON i.id = t.integration_id
		WHERE t.revoked_at IS NULL AND t.expires_at IS NOT NULL AND t.replaced_by IS NULL
		AND t.expires_at > ? AND t.expires_at <= ? AND t.expires_at > ? AND t.expires_at - t.created_at > ?
		AND t.`+th.column+` IS NULL
		ORDER BY t.expires_at LIMIT ?`,
		unix(now), unix(now.Add(th.before)), unix(now.Add(th.next)), int64(th.before/time.Second), reminderBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []dueReminder
	for rows.Next() {
		var d dueReminder
		var kind string
		var scopes string
		var created int64
		var expires, lastUsed, exposed sql.NullInt64
		var exposedURL, exposedSource string
		t := &d.tokenRow
		if err := rows.Scan(&kind, &t.ID, &t.OrgID, &t.UserID, &t.IntegrationID, &t.Name, &t.LastChars, &scopes, &t.CreatedBy,
			&created, &expires, &lastUsed, &t.LastUsedProjectID, &t.LastUsedProject, &t.LastUsedAction,
			&exposed, &exposedURL, &exposedSource, &t.ReplacedBy, &t.LastUsedTarget, &d.orgName, &d.orgSlug, &d.userEmail, &d.intSlug, &d.integrationNameText); err != nil {
			return nil, err
		}
		t.CreatedAt, t.ExpiresAt = fromUnix(created), fromNullUnix(expires)
		switch kind {
		case "org":
			d.kind = core.TokenOrg
		case "user":
			d.kind = core.TokenUser
		default:
			d.kind = core.TokenIntegration
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// queueReminder emails a token's owners that it expires soon, with a link to rotate it.
func (db *DB) queueReminder(ctx context.Context, tx *sql.Tx, d dueReminder, th reminderThreshold) error {
	base := db.baseURL()
	id := strconv.FormatInt(d.ID, 10)
	mail := core.TokenExpiringMail{KindName: d.kind.Title(), TokenName: d.Name, OrgName: d.orgName,
		ExpiresAt: *d.ExpiresAt, Left: th.left}
	var to []string
	switch d.kind {
	case core.TokenUser:
		mail.TokenName = d.userToken().Label()
		mail.RotateURL = base + "/settings/account/api/auth-tokens/" + id + "/rotate/"
		if d.userEmail != "" {
			to = []string{d.userEmail}
		}
	case core.TokenOrg:
		mail.RotateURL = base + "/settings/" + d.orgSlug + "/auth-tokens/" + id + "/rotate/"
	case core.TokenIntegration:
		mail.TokenName = d.integrationNameText + " " + core.MaskToken(core.TokenIntegration, d.LastChars, false)
		mail.RotateURL = base + "/settings/" + d.orgSlug + "/developer-settings/" + d.intSlug + "/"
	}
	if d.kind != core.TokenUser {
		var err error
		if to, err = ownerEmails(ctx, tx, d.OrgID); err != nil {
			return err
		}
	}
	for _, addr := range to {
		if err := db.enqueueMail(ctx, tx, addr, core.MailTokenExpiring, mail); err != nil {
			return err
		}
	}
	return nil
}
