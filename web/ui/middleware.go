package ui

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
	"github.com/tokenboard/tokenboard/web/session"
)

// RequireUser sends anonymous visitors to the sign-in page, remembering where they were going.
// A browser whose session has ended (signed out elsewhere, idle too long) is told so. A form it
// posted is not lost: after signing in it returns to the page the form was on (the Referer, a
// page of this site), with the fields draftFields keeps filled in again. The post itself is
// never replayed.
func (s *Screens) RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if request.User(c) != nil {
			return next(c)
		}
		req := c.Request()
		var back string
		if req.Method == http.MethodGet || req.Method == http.MethodHead {
			back = req.URL.Path
		} else if back = sameSitePage(req); back != "" {
			if fields := draftFields(c); len(fields) > 0 {
				s.sessions.SaveDraft(c, back, fields)
			}
		}
		if session.SessionEnded(c) {
			s.flash(c, "error", msgSessionExpired)
		}
		target := "/auth/login/"
		if back != "" {
			target += "?next=" + url.QueryEscape(back)
		}
		return c.Redirect(http.StatusSeeOther, target)
	}
}

// msgSessionExpired is what a browser whose session ended is told on the sign-in page.
const msgSessionExpired = "Your session has expired. Sign in again."

// sameSitePage returns the local path of the page a form was posted from (its Referer, which
// browsers send to the same origin under the Referrer-Policy "same-origin"), or "".
func sameSitePage(req *http.Request) string {
	ref, err := url.Parse(req.Referer())
	if err != nil || ref.Host != req.Host {
		return ""
	}
	return localPath(ref.Path)
}

// draftFields are the fields of a posted form worth filling in again after signing in: the
// names, expiry choices and permission selects of the create and edit forms. Nothing else is
// kept: never a password, a token, a secret or the CSRF token.
func draftFields(c echo.Context) url.Values {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	kept := url.Values{}
	for name, values := range form {
		if len(values) == 0 {
			continue
		}
		switch {
		case name == "name" || name == "expiration" || name == "expiration_date" || strings.HasPrefix(name, "perm-"):
			if v := values[0]; len(v) <= 255 {
				kept.Set(name, v)
			}
		}
	}
	return kept
}

// restoreDraft returns the fields saved when this page's form was posted after the session
// ended, and tells the user the form is as they left it; ok is false when there is none.
func (s *Screens) restoreDraft(c echo.Context) (url.Values, bool) {
	fields, ok := s.sessions.PopDraft(c, c.Request().URL.Path)
	if ok {
		s.flash(c, "success", "You are signed in again. The form is filled in as you left it: check it and submit it again.")
	}
	return fields, ok
}

// RequireOrgSettings loads the organization named by :org and the viewer's role in it.
// Non-members get 404 (an organization's existence is not revealed); billing members, who
// cannot see settings, get 403.
func (s *Screens) RequireOrgSettings(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		org, err := s.svc.Orgs.OrgBySlug(ctx, c.Param("org"))
		if err != nil {
			return err
		}
		m, err := s.svc.Orgs.Membership(ctx, org.ID, request.User(c).ID)
		if err != nil {
			return err
		}
		if !m.Role.CanSeeSettings() {
			return core.Errorf(core.EFORBIDDEN, "You do not have permission to view this organization's settings.")
		}
		c.Set(ctxOrg, orgScope{Org: org, Role: m.Role})
		return next(c)
	}
}

// RequireRole refuses the request with 403 unless the viewer's role passes allowed. The
// services check again inside their transactions; this gate gives pages a clean 403.
func RequireRole(allowed func(core.Role) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !allowed(currentOrg(c).Role) {
				return core.Errorf(core.EFORBIDDEN, "You do not have permission to perform this action.")
			}
			return next(c)
		}
	}
}
