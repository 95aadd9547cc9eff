package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Browser sessions (core.SessionService). The cookie carries a random secret; the sessions
// table keeps its SHA-256 with the user, the times, the IP and the user agent. A session ends
// when its row is deleted (sign-out, "Sign out" in the session list, a password or email
// change for the others) or when it has not been used for SessionIdle.

const (
	// sessionTouchEvery is how stale last_seen_at may get before a request writes it: a
	// session lookup happens on every screen request, and a write on each would make every
	// page view wait for the write turn.
	sessionTouchEvery = time.Minute
	// sessionTouchWait is how long a request waits for the write turn to record its session's
	// use. Past it the write is skipped (a later request records it): reading a page must not
	// wait behind writers.
	sessionTouchWait = 100 * time.Millisecond
	// maxUserAgent bounds the stored user agent; only a short label of it is ever shown.
	maxUserAgent = 512
)

var _ core.SessionService = (*DB)(nil)

// sessionColumns are the columns of a core.Session, for scanSession.
const sessionColumns = `s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent`

// sessionReturning is sessionColumns for the RETURNING clause of a write, which names the
// table's columns unqualified.
const sessionReturning = `id, user_id, created_at, last_seen_at, expires_at, ip, user_agent`

func scanSession(row interface{ Scan(...any) error }, extra ...any) (*core.Session, error) {
	var s core.Session
	var created, seen, expires int64
	if err := row.Scan(append([]any{&s.ID, &s.UserID, &created, &seen, &expires, &s.IP, &s.UserAgent}, extra...)...); err != nil {
		return nil, err
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = fromUnix(created), fromUnix(seen), fromUnix(expires)
	return &s, nil
}

// sessionIdle is the idle timeout in force.
func (db *DB) sessionIdle() time.Duration {
	if db.SessionIdle > 0 {
		return db.SessionIdle
	}
	return core.DefaultSessionIdle
}

// StartSession creates a session for the user and returns its secret. Expired sessions of
// every user are deleted in the same transaction (by the expiry index), so the table holds
// only what could still sign someone in.
func (db *DB) StartSession(ctx context.Context, userID int64, ip, userAgent string) (string, *core.Session, error) {
	secret, err := core.NewSessionSecret()
	if err != nil {
		return "", nil, err
	}
	if len(userAgent) > maxUserAgent {
		userAgent = userAgent[:maxUserAgent]
	}
	now := db.Now()
	var s *core.Session
	err = db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, unix(now)); err != nil {
			return err
		}
		row := tx.QueryRowContext(ctx, `INSERT INTO sessions (user_id, secret_hash, session_version,
			created_at, last_seen_at, expires_at, ip, user_agent)
			SELECT id, ?, session_version, ?, ?, ?, ?, ? FROM users WHERE id = ? AND active
			RETURNING `+sessionReturning, core.HashSessionSecret(secret), unix(now), unix(now),
			unix(now.Add(db.sessionIdle())), ip, userAgent, userID)
		s, err = scanSession(row)
		return notFound(err, "User not found.")
	})
	if err != nil {
		return "", nil, err
	}
	return secret, s, nil
}

// errSessionEnded is the answer for a secret that names no live session.
func errSessionEnded() error {
	return core.Errorf(core.EUNAUTHORIZED, "Your session has expired. Sign in again.")
}

// SessionBySecret returns the live session of a secret and its user, in one indexed query
// (prepared: it runs on every screen request). It records the use at most once every
// sessionTouchEvery, and never makes the request wait long for it.
func (db *DB) SessionBySecret(ctx context.Context, secret string) (*core.Session, *core.User, error) {
	if secret == "" {
		return nil, nil, errSessionEnded()
	}
	now := db.Now()
	var u core.User
	var userCreated int64
	s, err := scanSession(db.queryRow(ctx, `SELECT `+sessionColumns+`,
		u.id, u.email, u.name, u.active, u.session_version, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.secret_hash = ? AND s.expires_at > ? AND u.active AND u.session_version = s.session_version`,
		core.HashSessionSecret(secret), unix(now)),
		&u.ID, &u.Email, &u.Name, &u.Active, &u.SessionVersion, &userCreated)
	if err == sql.ErrNoRows {
		return nil, nil, errSessionEnded()
	} else if err != nil {
		return nil, nil, err
	}
	u.CreatedAt = fromUnix(userCreated)
	if now.Sub(s.LastSeenAt) >= sessionTouchEvery {
		db.touchSession(ctx, s, now)
	}
	return s, &u, nil
}

// touchSession records a session's use: last seen, a new expiry, the IP of the request. It is
// best effort: if the write turn is not free within sessionTouchWait, a later request of the
// session records it. Its write changes no cached answer.
func (db *DB) touchSession(ctx context.Context, s *core.Session, now time.Time) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sessionTouchWait)
	defer cancel()
	ip := core.ActorFrom(ctx).IP
	err := db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ?,
			ip = CASE WHEN ? = '' THEN ip ELSE ? END WHERE id = ? AND last_seen_at <= ?`,
			unix(now), unix(now.Add(db.sessionIdle())), ip, ip, s.ID, unix(now.Add(-sessionTouchEvery)))
		return err
	})
	if err == nil {
		s.LastSeenAt, s.ExpiresAt = now, now.Add(db.sessionIdle())
		if ip != "" {
			s.IP = ip
		}
	}
}

// EndSession deletes the session a secret names.
func (db *DB) EndSession(ctx context.Context, secret string) error {
	if secret == "" {
		return nil
	}
	return db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE secret_hash = ?`, core.HashSessionSecret(secret))
		return err
	})
}

// Sessions returns the actor's live sessions, most recently seen first.
func (db *DB) Sessions(ctx context.Context) ([]core.Session, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = ? AND s.expires_at > ? ORDER BY s.last_seen_at DESC, s.id DESC`, actor.ID, unix(db.Now()))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *s)
	}
	return out, rows.Err()
}

// EndUserSession ends one of the actor's own sessions. The user id is part of the statement,
// so a session of anyone else is not found, whatever id the browser sends.
func (db *DB) EndUserSession(ctx context.Context, id int64) error {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return err
	}
	return db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, id, actor.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return core.Errorf(core.ENOTFOUND, "Session not found.")
		}
		return db.logAccount(ctx, tx, actor.ID, core.AccountSessionEnded, "")
	})
}

// EndOtherSessions ends every session of the actor but the request's own.
func (db *DB) EndOtherSessions(ctx context.Context) (int, error) {
	actor, err := core.UserFrom(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = db.inTxKeepingAnswers(ctx, func(tx *sql.Tx) error {
		if n, err = endOtherSessions(ctx, tx, actor.ID, core.ActorFrom(ctx).SessionID); err != nil || n == 0 {
			return err
		}
		return db.logAccount(ctx, tx, actor.ID, core.AccountOtherSessionsEnded, "")
	})
	return int(n), err
}

// endOtherSessions deletes the user's sessions but keep (0: all of them) within tx.
func endOtherSessions(ctx context.Context, tx *sql.Tx, userID, keep int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id != ?`, userID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
