// Package session is the session cookie of the screens: the secret of the browser's
// server-side session (core.SessionService), a one-time flash message, and the draft of a form
// whose session had ended. It is the only package that imports gorilla/sessions. The API reads
// it too, for requests that carry no Authorization header.
package session

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// The cookie holds only these: the session's secret (the server keeps its hash, the user and
// everything else), a one-time flash message, and a form draft (never a password or a token:
// see SaveDraft). The cookie is signed and encrypted, so none of it can be read or forged by
// the browser.
const (
	sessionSecret = "sid"
	sessionFlash  = "flash"
	sessionDraft  = "draft"
)

// cookieMaxAge is how long the browser keeps the cookie. It is longer than any session: the
// server decides when a session ends, and a browser still holding the cookie of an ended
// session can be told "Your session has expired" rather than shown a bare sign-in page.
// Browsers cap cookie lifetimes at 400 days.
const cookieMaxAge = 400 * 24 * time.Hour

// maxDraft bounds a saved form draft, so that the cookie stays under browsers' 4 KB limit.
const maxDraft = 1024

// ctxEnded marks a request whose cookie named a session that has ended.
const ctxEnded = "tokenboard.session-ended"

// Store reads and writes the session cookie.
type Store struct {
	cookies  *sessions.CookieStore
	name     string
	sessions core.SessionService
	log      *slog.Logger
}

// New returns the session store. Secure sessions (an https base URL) use the __Host- cookie
// prefix, which makes browsers refuse the cookie unless it is Secure, host-only and for path
// /, so no subdomain can plant or read it.
func New(svc core.SessionService, hashKey, blockKey []byte, secure bool, log *slog.Logger) *Store {
	s := &Store{cookies: sessions.NewCookieStore(hashKey, blockKey), name: "tokenboard_session", sessions: svc, log: log}
	if secure {
		s.name = "__Host-tokenboard_session"
	}
	s.cookies.Options = &sessions.Options{
		Path: "/", MaxAge: int(cookieMaxAge.Seconds()),
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}
	s.cookies.MaxAge(s.cookies.Options.MaxAge)
	return s
}

// CookieName is the session cookie's name; the CSRF check skips API requests without it.
func (s *Store) CookieName() string { return s.name }

func (s *Store) session(c echo.Context) *sessions.Session {
	// A cookie that fails to decode (old keys, tampering, the stateless cookie of earlier
	// versions) yields a fresh session.
	sess, _ := s.cookies.Get(c.Request(), s.name)
	return sess
}

func (s *Store) save(c echo.Context, sess *sessions.Session) error {
	return sess.Save(c.Request(), c.Response())
}

// SignIn starts a new server-side session for the user and puts its secret in the cookie. A
// session the cookie named before is ended; the flash and a form draft are kept.
func (s *Store) SignIn(c echo.Context, u *core.User) error {
	sess := s.session(c)
	ctx := c.Request().Context()
	if old, _ := sess.Values[sessionSecret].(string); old != "" {
		if err := s.sessions.EndSession(ctx, old); err != nil {
			return err
		}
	}
	secret, started, err := s.sessions.StartSession(ctx, u.ID, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	sess.Values[sessionSecret] = secret
	// The handlers after this one (a flash, a redirect) act as the new session.
	request.SetActor(c, core.Actor{User: u, SessionID: started.ID})
	return s.save(c, sess)
}

// SignOut ends the server-side session, so that no copy of the cookie works any more. The
// cookie stays, without the secret, to carry the flash that says so.
func (s *Store) SignOut(c echo.Context) error {
	sess := s.session(c)
	if secret, _ := sess.Values[sessionSecret].(string); secret != "" {
		if err := s.sessions.EndSession(c.Request().Context(), secret); err != nil {
			return err
		}
	}
	delete(sess.Values, sessionSecret)
	delete(sess.Values, sessionDraft)
	return s.save(c, sess)
}

// LoadActor is the middleware that puts the signed-in user (if any), the session and the
// client IP into the request, for the handlers and for the services' permission checks and
// audit entries. A cookie naming a session that has ended loses the secret, and the request is
// marked (SessionEnded) so the screens can say why the user must sign in again.
func (s *Store) LoadActor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		// The IP goes in first: recording the session's use stores it.
		request.SetActor(c, core.Actor{})
		sess := s.session(c)
		secret, _ := sess.Values[sessionSecret].(string)
		if secret == "" {
			return next(c)
		}
		started, u, err := s.sessions.SessionBySecret(c.Request().Context(), secret)
		switch {
		case err == nil:
			request.SetActor(c, core.Actor{User: u, SessionID: started.ID})
		case core.ErrorCode(err) == core.EUNAUTHORIZED:
			c.Set(ctxEnded, true)
			delete(sess.Values, sessionSecret)
			if err := s.save(c, sess); err != nil {
				s.log.Warn("clearing an ended session", "err", err)
			}
		default:
			return err
		}
		return next(c)
	}
}

// SessionEnded reports whether the request's cookie named a session that has ended (signed
// out elsewhere, idle too long, or ended by a password change).
func SessionEnded(c echo.Context) bool {
	ended, _ := c.Get(ctxEnded).(bool)
	return ended
}

// Flash stores a one-time message for the next page. Never put a secret in it: it lives in a
// cookie.
func (s *Store) Flash(c echo.Context, kind, message string) {
	sess := s.session(c)
	sess.AddFlash(kind + ":" + message)
	if err := s.save(c, sess); err != nil {
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
	if err := s.save(c, sess); err != nil {
		s.log.Warn("clearing flash", "err", err)
	}
	raw, _ := flashes[len(flashes)-1].(string)
	kind, message, _ = strings.Cut(raw, ":")
	return kind, message, true
}

// SaveDraft keeps the fields of a form for the page at path, to fill it again after the user
// signs in. The caller chooses the fields: never a password, a token or anything secret, since
// the draft lives in the (encrypted) cookie. A draft too large for a cookie is not kept.
func (s *Store) SaveDraft(c echo.Context, path string, fields url.Values) {
	encoded := path + "?" + fields.Encode()
	if len(fields) == 0 || len(encoded) > maxDraft {
		return
	}
	sess := s.session(c)
	sess.Values[sessionDraft] = encoded
	if err := s.save(c, sess); err != nil {
		s.log.Warn("saving a form draft", "err", err)
	}
}

// PopDraft takes the draft saved for the page at path, if any: it is shown once.
func (s *Store) PopDraft(c echo.Context, path string) (url.Values, bool) {
	sess := s.session(c)
	raw, _ := sess.Values[sessionDraft].(string)
	draftPath, query, _ := strings.Cut(raw, "?")
	if raw == "" || draftPath != path {
		return nil, false
	}
	delete(sess.Values, sessionDraft)
	if err := s.save(c, sess); err != nil {
		s.log.Warn("clearing a form draft", "err", err)
	}
	fields, err := url.ParseQuery(query)
	return fields, err == nil
}
