package web

import (
	"log/slog"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/web/request"
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
		if request.RequestLogSkipped(c) && c.Response().Status < 500 {
			return nil
		}
		route := c.Path()
		if route == "" || strings.Contains(route, "*") {
			route = "(unrouted)"
		}
		status := c.Response().Status
		if route == forwardAuthPath && status < 500 {
			// A proxy asks on every request it serves: a line each would be the proxy's
			// access log again. Failed authentications are counted by the failed-auth limit.
			return nil
		}
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
