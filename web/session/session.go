package web

import (
	"net/http"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

// The session cookie holds only these: who is signed in, the session version that signs out
// every other session on a password change, and a one-time flash message.
const (
	sessionUserID  = "uid"
	sessionVersion = "sv"
	sessionFlash   = "flash"
)

func (s *Server) session(c echo.Context) *sessions.Session {
	// A cookie that fails to decode (old keys, tampering) yields a fresh session.
	sess, _ := s.sessions.Get(c.Request(), s.cookieName)
	return sess
}

// signIn starts a fresh session for the user.
func (s *Server) signIn(c echo.Context, u *core.User) error {
	sess := s.session(c)
	sess.Values = map[any]any{sessionUserID: u.ID, sessionVersion: u.SessionVersion}
	return sess.Save(c.Request(), c.Response())
}

// signOut clears the session cookie.
func (s *Server) signOut(c echo.Context) error {
	sess := s.session(c)
	sess.Values = map[any]any{}
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}

// sessionUser returns the signed-in user, or nil. A session whose version is stale (the
// password changed since) or whose user was deactivated is treated as signed out.
func (s *Server) sessionUser(c echo.Context) *core.User {
	sess := s.session(c)
	id, ok := sess.Values[sessionUserID].(int64)
	if !ok {
		return nil
	}
	version, _ := sess.Values[sessionVersion].(int64)
	u, err := s.svc.Users.UserByID(c.Request().Context(), id)
	if err != nil || !u.Active || u.SessionVersion != version {
		return nil
	}
	return u
}

// flash stores a one-time message for the next page. Never put a secret in it: it lives in a
// cookie.
func (s *Server) flash(c echo.Context, kind, message string) {
	sess := s.session(c)
	sess.AddFlash(kind + ":" + message)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		s.log.Warn("saving flash", "err", err)
	}
}

// popFlash takes the pending flash message, if any.
func (s *Server) popFlash(c echo.Context) *views.Flash {
	sess := s.session(c)
	flashes := sess.Flashes()
	if len(flashes) == 0 {
		return nil
	}
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		s.log.Warn("clearing flash", "err", err)
	}
	raw, _ := flashes[len(flashes)-1].(string)
	kind, message, _ := strings.Cut(raw, ":")
	return &views.Flash{Kind: kind, Message: message}
}

// redirectWithFlash is the end of every successful form POST: 303 to a page, with a message.
func (s *Server) redirectWithFlash(c echo.Context, to, message string) error {
	s.flash(c, "success", message)
	return c.Redirect(http.StatusSeeOther, to)
}
