package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Rotation with an overlap window (issue 15, part 4), for org and user tokens. The successor
// is a new token with the same name, scopes and expiry rule (the same lifetime from now, or
// none); the old one keeps its row and works until the end of the overlap: its expires_at is
// clamped there, which the bearer lookup compares on every request, and replaced_by names its
// successor. With no overlap the old token is revoked ('rotated') in the same transaction.
// Integration tokens keep their one-step rotation (integrations.go).

// msgAlreadyRotated refuses a second rotation of the same token.
const msgAlreadyRotated = "This token has already been rotated: rotate its successor instead."

// successorExpiry is the expiry rule carried over: the same lifetime, counted from now.
func successorExpiry(old *tokenRow, now time.Time) *time.Time {
	if old.ExpiresAt == nil {
		return nil
	}
	at := now.Add(old.ExpiresAt.Sub(old.CreatedAt)).Truncate(time.Second)
	return &at
}

// checkRotatable refuses a token already replaced or already expired.
func checkRotatable(old *tokenRow, now time.Time) error {
	if old.ReplacedBy != 0 {
		return core.Errorf(core.ECONFLICT, msgAlreadyRotated)
	}
	if core.Expired(old.ExpiresAt, now) {
		return core.Errorf(core.EINVALID, "This token has expired: create a new one instead.")
	}
	return nil
}

// retire ends the old token of a rotation: revoked at once without an overlap, otherwise
// working until now+overlap (or its own earlier expiry). It returns when the old token stops.
func (db *DB) retire(ctx context.Context, tx *sql.Tx, ref tokenRef, old *tokenRow, successor int64, now time.Time, overlap time.Duration) (time.Time, error) {
	if overlap <= 0 {
		if _, err := db.revokeToken(ctx, tx, ref, revokedByRotation); err != nil {
			return now, err
		}
		where, args := tokenRef{ref.kind, ref.owner, ref.id}.anyWhere()
		_, err := tx.ExecContext(ctx, `UPDATE tokens AS t SET replaced_by = ? WHERE `+where, append([]any{successor}, args...)...)
		return now, err
	}
	stops := now.Add(overlap)
	if old.ExpiresAt != nil && old.ExpiresAt.Before(stops) {
		stops = *old.ExpiresAt
	}
	where, args := ref.liveWhere()
	_, err := tx.ExecContext(ctx, `UPDATE tokens AS t SET replaced_by = ?, expires_at = ? WHERE `+where,
		append([]any{successor, unix(stops)}, args...)...)
	return stops, err
}

// anyWhere is liveWhere without the live condition: the row whether revoked or not.
func (ref tokenRef) anyWhere() (string, []any) {
	return `t.kind = ? AND t.` + ownerColumn(ref.kind) + ` = ? AND t.id = ?`, []any{kindColumn(ref.kind), ref.owner, ref.id}
}

// RotateOrgToken creates the successor of a live org token and retires the old one after the
// overlap (owners and managers: it shortens a token's life, as revoking does). The owners get
// the creation email, naming the token it replaces and when that one stops.
func (db *DB) RotateOrgToken(ctx context.Context, orgID, id int64, overlap time.Duration) (*core.OrgToken, string, error) {
	now := db.Now().UTC()
	var t *core.OrgToken
	var plaintext string
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.authorize(ctx, tx, orgID, core.RuleRevokeOrgTokens); err != nil {
			return err
		}
		ref := tokenRef{core.TokenOrg, orgID, id}
		old, err := liveToken(ctx, tx, ref)
		if err != nil {
			return notFound(err, msgResourceNotFound)
		}
		if err := checkRotatable(old, now); err != nil {
			return err
		}
		stops := now.Add(overlap)
		if overlap > 0 && old.ExpiresAt != nil && old.ExpiresAt.Before(stops) {
			stops = *old.ExpiresAt
		}
		label := orgTokenTarget(old.Name, old.LastChars)
		t, plaintext, err = db.issueOrgToken(ctx, tx, orgID, old.Name, successorExpiry(old, now), now,
			&replacedToken{label: label, stopsAt: stops})
		if err != nil {
			return err
		}
		if stops, err = db.retire(ctx, tx, ref, old, t.ID, now, overlap); err != nil {
			return err
		}
		return db.audit(ctx, tx, orgID, core.AuditOrgTokenRotated,
			label+" → "+orgTokenTarget(t.Name, t.LastChars)+"; the old token "+stopsPhrase(stops, now))
	})
	if err != nil {
		return nil, "", err
	}
	return t, plaintext, nil
}

// RotateUserToken creates the successor of one of the actor's user tokens and retires the old
// one after the overlap. The user gets the creation email, and the security log the rotation.
func (db *DB) RotateUserToken(ctx context.Context, id int64, overlap time.Duration) (*core.UserToken, string, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, "", err
	}
	now := db.Now().UTC()
	plain, err := core.GenerateUserToken()
	if err != nil {
		return nil, "", err
	}
	var t *core.UserToken
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		ref := tokenRef{core.TokenUser, actor.ID, id}
		old, err := liveToken(ctx, tx, ref)
		if err != nil {
			return notFound(err, msgInvalidTokenID)
		}
		if err := checkRotatable(old, now); err != nil {
			return err
		}
		row, err := insertToken(ctx, tx, newToken{kind: core.TokenUser, userID: actor.ID, plaintext: plain,
			name: old.Name, scopes: old.Scopes, createdBy: actor.ID, createdAt: now, expiresAt: successorExpiry(old, now)})
		if err != nil {
			return err
		}
		t = row.userToken()
		stops, err := db.retire(ctx, tx, ref, old, t.ID, now, overlap)
		if err != nil {
			return err
		}
		oldLabel := old.userToken().Label()
		if err := db.logAccount(ctx, tx, actor.ID, core.AccountUserTokenRotated,
			oldLabel+" → "+t.Label()+"; the old token "+stopsPhrase(stops, now)); err != nil {
			return err
		}
		return db.enqueueMail(ctx, tx, actor.Email, core.MailUserTokenCreated, core.UserTokenCreatedMail{
			AccountEmail: actor.Email,
			TokenName:    t.Label() + ", replacing " + oldLabel,
			IP:           core.ActorFrom(ctx).IP,
			Time:         now,
			ReviewURL:    db.baseURL() + "/settings/account/api/auth-tokens/",
		})
	})
	if err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

// stopsPhrase says when the old token of a rotation stops, for the logs.
func stopsPhrase(stops, now time.Time) string {
	if !stops.After(now) {
		return "stopped at once"
	}
	return "works until " + stops.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// baseURL is the server's public URL without a trailing slash, for email links.
func (db *DB) baseURL() string { return strings.TrimRight(db.BaseURL, "/") }
