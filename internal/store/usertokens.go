package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/tokenboard/tokenboard/internal/core"
)

// User auth tokens belong to one user and nobody else reaches them: every query below has
// user_id = the actor's id in its WHERE clause, so another user's token id is simply not found.

// msgInvalidTokenID is Sentry's 404 text for a token id the actor does not own.
const msgInvalidTokenID = "Invalid token ID"

// userToken is the user token a stored row holds.
func (t *tokenRow) userToken() *core.UserToken {
	return &core.UserToken{ID: t.ID, UserID: t.UserID, Name: t.Name, LastChars: t.LastChars, Scopes: t.Scopes,
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, LastUsedAt: t.LastUsedAt, Exposure: t.Exposure,
		ReplacedByID: t.ReplacedBy}
}

// UserTokens returns the actor's tokens, newest first, expired ones included (the list marks
// them) so that the user can see and delete them.
func (db *DB) UserTokens(ctx context.Context) ([]core.UserToken, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	var out []core.UserToken
	err = db.inReadTx(ctx, func(tx *sql.Tx) error {
		rows, err := queryTokens(ctx, tx, `SELECT `+tokenColumns+` FROM tokens t
			WHERE t.kind = 'user' AND t.user_id = ? AND t.revoked_at IS NULL ORDER BY t.id DESC`, actor.ID)
		for _, t := range rows {
			out = append(out, *t.userToken())
		}
		return err
	})
	return out, err
}

// UserToken returns one of the actor's tokens; any other id is ENOTFOUND.
func (db *DB) UserToken(ctx context.Context, id int64) (*core.UserToken, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	var t *core.UserToken
	err = db.inReadTx(ctx, func(tx *sql.Tx) error {
		row, err := liveToken(ctx, tx, tokenRef{core.TokenUser, actor.ID, id})
		if err != nil {
			return notFound(err, msgInvalidTokenID)
		}
		t = row.userToken()
		return nil
	})
	return t, err
}

// CreateUserToken creates a token for the actor and returns its plaintext, the only time it
// exists outside the client. The security log line and the security email to the user are
// written in the same transaction, so a token never exists without its notice.
func (db *DB) CreateUserToken(ctx context.Context, n core.NewUserToken) (*core.UserToken, string, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, "", err
	}
	now := db.Now()
	if err := n.Validate(now); err != nil {
		return nil, "", err
	}
	plain, err := core.GenerateUserToken()
	if err != nil {
		return nil, "", err
	}
	var t *core.UserToken
	// A new token changes no cached answer (inTxKeepingAnswers).
	err = db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		row, err := insertToken(ctx, tx, newToken{kind: core.TokenUser, userID: actor.ID, plaintext: plain,
			name: n.Name, scopes: n.Scopes, createdBy: actor.ID, createdAt: now, expiresAt: n.ExpiresAt})
		if err != nil {
			return err
		}
		t = row.userToken()
		if err := db.logAccount(ctx, tx, actor.ID, core.AccountUserTokenCreated, t.Label()); err != nil {
			return err
		}
		// The email names the token by its label: its plaintext never reaches the outbox.
		return db.enqueueMail(ctx, tx, actor.Email, core.MailUserTokenCreated, core.UserTokenCreatedMail{
			AccountEmail: actor.Email,
			TokenName:    t.Label(),
			IP:           core.ActorFrom(ctx).IP,
			Time:         now,
			ReviewURL:    strings.TrimRight(db.BaseURL, "/") + "/settings/account/api/auth-tokens/",
		})
	})
	if err != nil {
		return nil, "", err
	}
	return t, plain, nil
}

// RenameUserToken changes (or clears) the name of one of the actor's tokens. No email: a
// rename grants nothing, but it goes into the user's security log.
func (db *DB) RenameUserToken(ctx context.Context, id int64, name string) (*core.UserToken, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	name, err = core.ValidateTokenName(name, false)
	if err != nil {
		return nil, err
	}
	var t *core.UserToken
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		old, row, err := renameToken(ctx, tx, tokenRef{core.TokenUser, actor.ID, id}, name)
		if err != nil {
			return notFound(err, msgInvalidTokenID)
		}
		t = row.userToken()
		before := core.UserToken{Name: old, LastChars: t.LastChars}
		return db.logAccount(ctx, tx, actor.ID, core.AccountUserTokenRenamed, before.Label()+" → "+nameOrNone(t.Name))
	})
	return t, err
}

// RevokeUserToken revokes one of the actor's tokens. Sentry deletes an ApiToken; tokenboard
// keeps the row, revoked, as it does for every kind (tokens.go), and lists, reads and the
// bearer lookup see live rows only, so the token is gone for its user and fails from the
// next request. No email; the user's security log keeps the line.
func (db *DB) RevokeUserToken(ctx context.Context, id int64) error {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		row, err := db.revokeToken(ctx, tx, tokenRef{core.TokenUser, actor.ID, id}, revokedByPerson)
		if err != nil {
			return notFound(err, msgInvalidTokenID)
		}
		return db.logAccount(ctx, tx, actor.ID, core.AccountUserTokenRevoked, row.userToken().Label())
	})
}

// nameOrNone is how the security log shows a cleared name.
func nameOrNone(name string) string {
	if name == "" {
		return "(no name)"
	}
	return name
}
