package web

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleHealth answers GET /_health: 200 "ok" when the database answers (pinged at most once
// a second, healthCheck), else 503 "database unreachable", so a proxy in front of several
// instances sends no request to one that cannot reach the database. The driver's error
// (which names the database host and user) goes to the server log, not to an anonymous
// caller.
func (s *Server) handleHealth(c echo.Context) error {
	if err := s.health.check(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, healthUnreachable)
	}
	return c.String(http.StatusOK, "ok")
}

// healthUnreachable is /_health's answer when the database does not answer.
const healthUnreachable = "database unreachable (the server log says why)"

// handleStatic answers GET /static/*: the embedded assets. URLs carry the asset version, so
// browsers may keep them for a year.
func (s *Server) handleStatic(c echo.Context) error {
	name := c.Param("*")
	if _, err := fs.Stat(s.cfg.Static, name); err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	if c.QueryParam("v") == s.assetVersion {
		c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeFileFS(c.Response(), c.Request(), s.cfg.Static, name)
	return nil
}
