package web

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// securityHeaders sets the headers every response carries. The CSP allows only this origin's
// own files: every asset is embedded, and no inline script or style is used.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; "+
			"script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if s.secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// requestLog logs one line per request. It logs the route pattern, not the path, and never
// the query string or headers: an invitation secret in a path, or a token sent in the wrong
// place, must not end up in the logs.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if route == "" || strings.Contains(route, "*") {
			route = "(unrouted)"
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(c.Request().Context(), level, "request",
			"method", c.Request().Method, "route", route, "status", status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "ip", c.RealIP())
		return nil
	}
}

// loadActor puts the signed-in user (if any) and the client IP into the request's context, for
// the handlers and for the services' permission checks and audit entries.
func (s *Server) loadActor(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := s.sessionUser(c)
		if u != nil {
			c.Set(ctxUser, u)
		}
		req := c.Request()
		c.SetRequest(req.WithContext(core.WithActor(req.Context(), core.Actor{User: u, IP: c.RealIP()})))
		return next(c)
	}
}

// requireUser sends anonymous visitors to the sign-in page, remembering where they were going.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) == nil {
			target := "/auth/login/"
			if c.Request().Method == http.MethodGet {
				target += "?next=" + urlQueryEscape(c.Request().URL.Path)
			}
			return c.Redirect(http.StatusSeeOther, target)
		}
		return next(c)
	}
}

// requireOrgSettings loads the organization named by :org and the viewer's role in it.
// Non-members get 404 (an organization's existence is not revealed); billing members, who
// cannot see settings, get 403.
func (s *Server) requireOrgSettings(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		org, err := s.svc.Orgs.OrgBySlug(ctx, c.Param("org"))
		if err != nil {
			return err
		}
		m, err := s.svc.Orgs.Membership(ctx, org.ID, currentUser(c).ID)
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

// requireRole refuses the request with 403 unless the viewer's role passes allowed. The
// services check again inside their transactions; this gate gives pages a clean 403.
func requireRole(allowed func(core.Role) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !allowed(currentOrg(c).Role) {
				return core.Errorf(core.EFORBIDDEN, "You do not have permission to perform this action.")
			}
			return next(c)
		}
	}
}
