package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// Session is a signed-in browser: what the server keeps of it. The browser holds only the
// session's secret (in its cookie); the store keeps the secret's SHA-256, never the secret, so
// a copy of the database cannot be turned into a signed-in browser.
type Session struct {
	// ID names the session in URLs (ending one from the session list); it is not a credential.
	ID        int64
	UserID    int64
	CreatedAt time.Time
	// LastSeenAt is the last request made with the session, to the minute: the store writes it
	// at most once a minute per session.
	LastSeenAt time.Time
	// ExpiresAt is when the session ends unless it is used again: LastSeenAt plus the idle
	// timeout.
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

// SessionSecretBytes is the size of a session secret's random part.
const SessionSecretBytes = 32

// DefaultSessionIdle is how long a session lives without a request, unless configured.
const DefaultSessionIdle = 14 * 24 * time.Hour

// NewSessionSecret returns a new random session secret, URL-safe base64 of
// SessionSecretBytes random bytes.
func NewSessionSecret() (string, error) {
	b := make([]byte, SessionSecretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSessionSecret is the stored form of a session secret: its SHA-256, in hex.
func HashSessionSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// SessionService keeps browser sessions on the server, so that signing out ends a session for
// every copy of its cookie. It is implemented by the store (SQLite today, PostgreSQL later),
// so sessions are shared by every instance that shares the data.
type SessionService interface {
	// StartSession creates a session for the user, seen from ip with userAgent, and returns
	// the secret the browser keeps (shown nowhere else) and the session.
	StartSession(ctx context.Context, userID int64, ip, userAgent string) (secret string, s *Session, err error)
	// SessionBySecret returns the live session a secret names and its active user. An unknown,
	// ended or idle-expired secret, or a deactivated user, fails with EUNAUTHORIZED. It
	// records the use, writing at most once a minute per session.
	SessionBySecret(ctx context.Context, secret string) (*Session, *User, error)
	// EndSession ends the session a secret names (signing out); an unknown secret is no error.
	EndSession(ctx context.Context, secret string) error
	// Sessions returns the actor's own live sessions, most recently seen first.
	Sessions(ctx context.Context) ([]Session, error)
	// EndUserSession ends one of the actor's own sessions by id; another user's session, or
	// one that does not exist, is ENOTFOUND.
	EndUserSession(ctx context.Context, id int64) error
	// EndOtherSessions ends every session of the actor but the one the request came with
	// (Actor.SessionID), and returns how many it ended.
	EndOtherSessions(ctx context.Context) (int, error)
}
