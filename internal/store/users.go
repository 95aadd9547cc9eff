package store

import (
	"context"
	"database/sql"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/tokenboard/tokenboard/internal/core"
)

const defaultPasswordCost = 11

// dummyPassword's hash is compared against when the email is unknown, so that a wrong email
// and a wrong password take about the same time and cannot be told apart.
const dummyPassword = "tokenboard-timing-equalizer"

// dummyHash is dummyPassword's bcrypt hash at defaultPasswordCost (TestDummyHashCost checks
// both), written out rather than computed at start-up: computing it cost every program and test
// binary that links this package a bcrypt run at the real cost, seconds under the race detector.
var dummyHash = []byte("$2a$11$0sayeqkaFoxU/k56EfhVuuC2DFK8Lsj9lm6Koy7YVbXuY2ZGAkhca")

// unknownEmailHash is the hash an unknown email's password is compared against: dummyPassword
// at the cost this store hashes passwords with, so both answers cost the same here too when
// PasswordCost is not the default (tests use the cheapest).
func (db *DB) unknownEmailHash() []byte {
	if db.PasswordCost == defaultPasswordCost {
		return dummyHash
	}
	db.dummyOnce.Do(func() {
		db.dummyHash, _ = bcrypt.GenerateFromPassword([]byte(dummyPassword), db.PasswordCost)
	})
	return db.dummyHash
}

// userColumns are the columns of a core.User. The password hash is not among them: it stays
// in this package, read only by passwordHash and credentialsByEmail for the three methods that
// check a password, so no User, cached principal or page ever carries it.
const userColumns = `id, email, name, active, session_version, created_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (*core.User, error) {
	var u core.User
	var created int64
	if err := row.Scan(append([]any{&u.ID, &u.Email, &u.Name, &u.Active, &u.SessionVersion, &created}, extra...)...); err != nil {
		return nil, err
	}
	u.CreatedAt = fromUnix(created)
	return &u, nil
}

// credentialsByEmail returns the user with that email, case-insensitively, and their
// password hash: for Authenticate only.
func (db *DB) credentialsByEmail(ctx context.Context, email string) (*core.User, []byte, error) {
	var hash string
	u, err := scanUser(db.db.QueryRowContext(ctx,
		`SELECT `+userColumns+`, password_hash FROM users WHERE email = ? COLLATE NOCASE`, email), &hash)
	if err != nil {
		return nil, nil, notFound(err, "User not found.")
	}
	return u, []byte(hash), nil
}

// passwordHash returns the user's password hash: for ChangePassword and UpdateUserDetails,
// which check the current password.
func (db *DB) passwordHash(ctx context.Context, userID int64) ([]byte, error) {
	var hash string
	err := db.db.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash)
	if err != nil {
		return nil, notFound(err, "User not found.")
	}
	return []byte(hash), nil
}

// CreateUser validates and stores a new active user.
func (db *DB) CreateUser(ctx context.Context, n core.NewUser) (*core.User, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(n.Password), db.PasswordCost)
	if err != nil {
		return nil, err
	}
	var u *core.User
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		u, err = insertUser(ctx, tx, db, n, string(hash))
		return err
	})
	return u, err
}

func insertUser(ctx context.Context, tx *sql.Tx, db *DB, n core.NewUser, hash string) (*core.User, error) {
	row := tx.QueryRowContext(ctx, `INSERT INTO users (email, name, password_hash, created_at)
		VALUES (?, ?, ?, ?) RETURNING `+userColumns, n.Email, n.Name, hash, unix(db.Now()))
	u, err := scanUser(row)
	if err != nil {
		return nil, conflictAs(err, "email", "An account with this email already exists.")
	}
	return u, nil
}

// Authenticate returns the active user with that email and password.
func (db *DB) Authenticate(ctx context.Context, email, password string) (*core.User, error) {
	invalid := core.Errorf(core.EUNAUTHORIZED, "Incorrect email or password.")
	u, hash, err := db.credentialsByEmail(ctx, strings.TrimSpace(email))
	if core.ErrorCode(err) == core.ENOTFOUND {
		bcrypt.CompareHashAndPassword(db.unknownEmailHash(), []byte(password))
		return nil, invalid
	} else if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !u.Active {
		return nil, invalid
	}
	return u, nil
}

// UserByID returns a user.
func (db *DB) UserByID(ctx context.Context, id int64) (*core.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	return u, notFound(err, "User not found.")
}

// UserByEmail returns a user by email, case-insensitively.
func (db *DB) UserByEmail(ctx context.Context, email string) (*core.User, error) {
	u, err := scanUser(db.db.QueryRowContext(ctx,
		`SELECT `+userColumns+` FROM users WHERE email = ? COLLATE NOCASE`, email))
	return u, notFound(err, "User not found.")
}

// UpdateUserDetails changes the actor's own name and email; a new email needs the password.
func (db *DB) UpdateUserDetails(ctx context.Context, name, email, password string) (*core.User, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	email = strings.TrimSpace(email)
	fields := map[string]string{}
	if msg := core.ValidateEmail(email); msg != "" {
		fields["email"] = msg
	}
	var msg string
	if name, msg = core.UserNameField.Check(name); msg != "" {
		fields["name"] = msg
	}
	if len(fields) > 0 {
		return nil, &core.Error{Code: core.EINVALID, Message: "Please correct the errors below.", Fields: fields}
	}
	current, err := db.UserByID(ctx, actor.ID)
	if err != nil {
		return nil, err
	}
	emailChanged := !strings.EqualFold(email, current.Email)
	if emailChanged {
		hash, err := db.passwordHash(ctx, actor.ID)
		if err != nil {
			return nil, err
		}
		if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
			return nil, core.FieldError("password", "Enter your current password to change your email.")
		}
	}
	var u *core.User
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET name = ?, email = ? WHERE id = ?
			RETURNING `+userColumns, name, email, actor.ID))
		if err != nil {
			return conflictAs(err, "email", "An account with this email already exists.")
		}
		if emailChanged {
			// Whoever else holds a session of this account must sign in again with the new
			// address.
			if _, err := endOtherSessions(ctx, tx, u.ID, core.ActorFrom(ctx).SessionID); err != nil {
				return err
			}
			return db.logAccount(ctx, tx, u.ID, core.AccountEmailChanged, current.Email+" → "+u.Email)
		}
		return nil
	})
	return u, err
}

// ChangePassword changes the actor's password and signs out every other session.
func (db *DB) ChangePassword(ctx context.Context, current, next string) (*core.User, error) {
	actor := core.ActorFrom(ctx)
	if actor.User == nil {
		return nil, core.Errorf(core.EUNAUTHORIZED, "Authentication credentials were not provided.")
	}
	hash, err := db.passwordHash(ctx, actor.User.ID)
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(current)) != nil {
		return nil, core.FieldError("current_password", "The password you entered is not correct.")
	}
	if msg := core.ValidatePassword(next); msg != "" {
		return nil, core.FieldError("new_password", msg)
	}
	newHash, err := bcrypt.GenerateFromPassword([]byte(next), db.PasswordCost)
	if err != nil {
		return nil, err
	}
	var u *core.User
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		u, err = scanUser(tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ?,
			session_version = session_version + 1 WHERE id = ? RETURNING `+userColumns, string(newHash), actor.User.ID))
		if err != nil {
			return err
		}
		// The new version ends every session still holding the old one; the request's own
		// session moves on with it, and the others' rows go.
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET session_version = ? WHERE id = ? AND user_id = ?`,
			u.SessionVersion, actor.SessionID, u.ID); err != nil {
			return err
		}
		if _, err := endOtherSessions(ctx, tx, u.ID, actor.SessionID); err != nil {
			return err
		}
		return db.logAccount(ctx, tx, u.ID, core.AccountPasswordChanged, "")
	})
	return u, err
}

// logAccount writes a line of the user's own security log within tx.
func (db *DB) logAccount(ctx context.Context, tx *sql.Tx, userID int64, event, target string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO account_log (user_id, event, target, ip, created_at)
		VALUES (?, ?, ?, ?, ?)`, userID, event, target, core.ActorFrom(ctx).IP, unix(db.Now()))
	return err
}

// AccountLog returns the actor's own security log, newest first.
func (db *DB) AccountLog(ctx context.Context, page core.Page) ([]core.AccountLogEntry, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	page = page.Normalize(50, 200)
	rows, err := db.db.QueryContext(ctx, `SELECT event, target, ip, created_at FROM account_log
		WHERE user_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, actor.ID, page.Limit, page.Offset)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.AccountLogEntry
	for rows.Next() {
		var e core.AccountLogEntry
		var at int64
		if err := rows.Scan(&e.Event, &e.Target, &e.IP, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = fromUnix(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
