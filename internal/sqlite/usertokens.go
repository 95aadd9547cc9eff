package sqlite

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

const userTokenColumns = `id, user_id, name, last_chars, scopes, created_at, expires_at, last_used_at`

func scanUserToken(row interface{ Scan(...any) error }) (*core.UserToken, error) {
	var t core.UserToken
	var scopes string
	var created int64
	var expires, lastUsed sql.NullInt64
	if err := row.Scan(&t.ID, &t.UserID, &t.Name, &t.LastChars, &scopes, &created, &expires, &lastUsed); err != nil {
		return nil, err
	}
	t.Scopes = parseScopesColumn(scopes)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt = fromUnix(created), fromNullUnix(expires), fromNullUnix(lastUsed)
	return &t, nil
}

// UserTokens returns the actor's tokens, newest first, expired ones included (the list marks
// them) so that the user can see and delete them.
func (db *DB) UserTokens(ctx context.Context) ([]core.UserToken, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+userTokenColumns+` FROM user_tokens
		WHERE user_id = ? ORDER BY id DESC`, actor.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.UserToken
	for rows.Next() {
		t, err := scanUserToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// UserToken returns one of the actor's tokens; any other id is ENOTFOUND.
func (db *DB) UserToken(ctx context.Context, id int64) (*core.UserToken, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	t, err := scanUserToken(db.db.QueryRowContext(ctx, `SELECT `+userTokenColumns+` FROM user_tokens
		WHERE id = ? AND user_id = ?`, id, actor.ID))
	return t, notFound(err, msgInvalidTokenID)
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
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		t, err = scanUserToken(tx.QueryRowContext(ctx, `INSERT INTO user_tokens
			(user_id, token_hash, last_chars, name, scopes, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING `+userTokenColumns,
			actor.ID, core.HashToken(plain), core.TokenLastChars(plain), n.Name, scopesColumn(n.Scopes),
			unix(now), nullableUnix(n.ExpiresAt)))
		if err != nil {
			return err
		}
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
		var old string
		err := tx.QueryRowContext(ctx, `SELECT name FROM user_tokens WHERE id = ? AND user_id = ?`,
			id, actor.ID).Scan(&old)
		if err != nil {
			return notFound(err, msgInvalidTokenID)
		}
		t, err = scanUserToken(tx.QueryRowContext(ctx, `UPDATE user_tokens SET name = ?
			WHERE id = ? AND user_id = ? RETURNING `+userTokenColumns, name, id, actor.ID))
		if err != nil {
			return err
		}
		before := core.UserToken{Name: old, LastChars: t.LastChars}
		return db.logAccount(ctx, tx, actor.ID, core.AccountUserTokenRenamed, before.Label()+" → "+nameOrNone(t.Name))
	})
	return t, err
}

// RevokeUserToken deletes one of the actor's tokens, as Sentry deletes ApiTokens: the row
// that AuthenticateToken looks up is gone when the transaction commits, so the next request
// with the token fails. No email; the user's security log keeps the line.
func (db *DB) RevokeUserToken(ctx context.Context, id int64) error {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var t core.UserToken
		err := tx.QueryRowContext(ctx, `DELETE FROM user_tokens WHERE id = ? AND user_id = ?
			RETURNING name, last_chars`, id, actor.ID).Scan(&t.Name, &t.LastChars)
		if err != nil {
			return notFound(err, msgInvalidTokenID)
		}
		return db.logAccount(ctx, tx, actor.ID, core.AccountUserTokenRevoked, t.Label())
	})
}

// nameOrNone is how the security log shows a cleared name.
func nameOrNone(name string) string {
	if name == "" {
		return "(no name)"
	}
	return name
}
