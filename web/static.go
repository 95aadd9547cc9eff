package web

import (
	"io/fs"
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleHealth answers GET /_health: a liveness probe that touches nothing.
func (s *Server) handleHealth(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

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
