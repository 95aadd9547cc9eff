package ui

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// Account > Security > Active Sessions: the signed-in user's own browser sessions. The store
// deletes only sessions of the actor (EndUserSession names the user in its statement), so an
// id of someone else's session is a 404 whatever the browser sends.

const securityPath = "/settings/account/security/"

// sessionsView lists the actor's live sessions, marking the request's own.
func (s *Screens) sessionsView(c echo.Context) (views.SessionsView, error) {
	ctx := c.Request().Context()
	list, err := s.svc.Sessions.Sessions(ctx)
	if err != nil {
		return views.SessionsView{}, err
	}
	current := core.ActorFrom(ctx).SessionID
	v := views.SessionsView{EndOthersURL: securityPath + "sessions/end-others/", Now: s.now()}
	for _, ss := range list {
		v.Rows = append(v.Rows, views.SessionRow{
			CreatedAt: ss.CreatedAt, LastSeenAt: ss.LastSeenAt, IP: ss.IP, Browser: browserLabel(ss.UserAgent),
			Current: ss.ID == current, EndURL: securityPath + "sessions/" + strconv.FormatInt(ss.ID, 10) + "/end/",
		})
	}
	return v, nil
}

// SessionEnd answers POST /settings/account/security/sessions/:id/end/: signs out one of the
// user's sessions. Ending the browser's own session is signing out.
func (s *Screens) SessionEnd(c echo.Context) error {
	id, err := request.PathID(c, "id", "Session not found.")
	if err != nil {
		return err
	}
	if id == core.ActorFrom(c.Request().Context()).SessionID {
		return s.Logout(c)
	}
	if err := s.svc.Sessions.EndUserSession(c.Request().Context(), id); err != nil {
		return err
	}
	return s.redirectWithFlash(c, securityPath+"#sessions", "Signed out the session.")
}

// OtherSessionsEnd answers POST /settings/account/security/sessions/end-others/.
func (s *Screens) OtherSessionsEnd(c echo.Context) error {
	n, err := s.svc.Sessions.EndOtherSessions(c.Request().Context())
	if err != nil {
		return err
	}
	message := "Signed out all other sessions."
	if n == 0 {
		message = "There were no other sessions to sign out."
	}
	return s.redirectWithFlash(c, securityPath+"#sessions", message)
}

// renderSessionsInto fills the security page's session list.
func (s *Screens) renderSessionsInto(c echo.Context, v *views.AccountSecurityView) error {
	sv, err := s.sessionsView(c)
	v.Sessions = sv
	return err
}
