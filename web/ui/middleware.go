package ui

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// RequireUser sends anonymous visitors to the sign-in page, remembering where they were going.
func (s *Screens) RequireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if request.User(c) == nil {
			target := "/auth/login/"
			if c.Request().Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(c.Request().URL.Path)
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
		return next(c)
	}
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
