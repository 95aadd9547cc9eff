// Package session is the signed cookie session of the screens: who is signed in and a
// one-time flash message. It is the only package that imports gorilla/sessions. The API reads
// it too, for requests that carry no Authorization header.
package session

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// The session cookie holds only these: who is signed in, the session version that signs out
// every other session on a password change, and a one-time flash message.
const (
	sessionUserID  = "uid"
	sessionVersion = "sv"
	sessionFlash   = "flash"
)

// Users is what the store needs to turn a session into a user.
type Users interface {
	UserByID(ctx context.Context, id int64) (*core.User, error)
}

// Store reads and writes the session cookie.
type Store struct {
	cookies *sessions.CookieStore
	name    string
	users   Users
	log     *slog.Logger
}

// New returns the session store. Secure sessions (an https base URL) use the __Host- cookie
// prefix, which makes browsers refuse the cookie unless it is Secure, host-only and for path
// /, so no subdomain can plant or read it.
func New(users Users, hashKey, blockKey []byte, secure bool, log *slog.Logger) *Store {
	s := &Store{cookies: sessions.NewCookieStore(hashKey, blockKey), name: "tokenboard_session", users: users, log: log}
	if secure {
		s.name = "__Host-tokenboard_session"
	}
	s.cookies.Options = &sessions.Options{
		Path: "/", MaxAge: int((14 * 24 * time.Hour).Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
	s.cookies.MaxAge(s.cookies.Options.MaxAge)
	return s
}

// CookieName is the session cookie's name; the CSRF check skips API requests without it.
func (s *Store) CookieName() string { return s.name }

func (s *Store) session(c echo.Context) *sessions.Session {
	// A cookie that fails to decode (old keys, tampering) yields a fresh session.
	sess, _ := s.cookies.Get(c.Request(), s.name)
	return sess
}

// SignIn starts a fresh session for the user.
func (s *Store) SignIn(c echo.Context, u *core.User) error {
	sess := s.session(c)
	sess.Values = map[any]any{sessionUserID: u.ID, sessionVersion: u.SessionVersion}
	return sess.Save(c.Request(), c.Response())
}

// SignOut clears the session cookie.
func (s *Store) SignOut(c echo.Context) error {
	sess := s.session(c)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// user returns the signed-in user, or nil. A session whose version is stale (the password
// changed since) or whose user was deactivated is treated as signed out.
func (s *Store) user(c echo.Context) *core.User {
	sess := s.session(c)
	id, ok := sess.Values[sessionUserID].(int64)
	if !ok {
		return nil
	}
	version, _ := sess.Values[sessionVersion].(int64)
	u, err := s.users.UserByID(c.Request().Context(), id)
	if err != nil || !u.Active || u.SessionVersion != version {
		return nil
	}
	return u
}

// LoadActor is the middleware that puts the signed-in user (if any) and the client IP into the
// request, for the handlers and for the services' permission checks and audit entries.
func (s *Store) LoadActor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		request.SetActor(c, core.Actor{User: s.user(c)})
		return next(c)
	}
}

// Flash stores a one-time message for the next page. Never put a secret in it: it lives in a
// cookie.
func (s *Store) Flash(c echo.Context, kind, message string) {
	sess := s.session(c)
	sess.AddFlash(kind + ":" + message)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		s.log.Warn("saving flash", "err", err)
	}
}

// PopFlash takes the pending flash message, if any; ok is false when there is none.
func (s *Store) PopFlash(c echo.Context) (kind, message string, ok bool) {
	sess := s.session(c)
	flashes := sess.Flashes()
	if len(flashes) == 0 {
		return "", "", false
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		s.log.Warn("clearing flash", "err", err)
	}
	raw, _ := flashes[len(flashes)-1].(string)
	kind, message, _ = strings.Cut(raw, ":")
	return kind, message, true
}
