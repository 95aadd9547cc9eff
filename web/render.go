package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/api"
)

// The error mapping of both surfaces: a core error code becomes an HTTP status here, and only
// the body differs, written by web/api (JSON) or web/ui (a styled page).

// statusOf maps core error codes to HTTP statuses: the one table of the project.
var statusOf = map[string]int{
	core.EINVALID:      http.StatusBadRequest,
	core.ENOTFOUND:     http.StatusNotFound,
	core.EFORBIDDEN:    http.StatusForbidden,
	core.EUNAUTHORIZED: http.StatusUnauthorized,
	core.ECONFLICT:     http.StatusConflict,
	core.EUNAVAILABLE:  http.StatusServiceUnavailable,
	core.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	core.EINTERNAL:     http.StatusInternalServerError,
}

// statusClientClosedRequest is nginx's status for a request whose client closed the connection
// before the answer: not an HTTP status anyone receives, only a line in the request log.
const statusClientClosedRequest = 499

// handleError is Echo's error handler: JSON {"detail": …} under /api/, a styled page elsewhere.
// Unexpected errors are logged with their cause and shown as "Internal error.".
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if errors.Is(err, context.Canceled) && c.Request().Context().Err() != nil {
		// The client went away (closed the connection, gave up): no error of the server's,
		// and no one to answer. The request log records it as nginx does, 499.
		c.Response().WriteHeader(statusClientClosedRequest)
		return
	}
	status, message := http.StatusInternalServerError, "Internal error."
	var fields map[string]string
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		message = http.StatusText(status)
		if m, ok := he.Message.(string); ok && status < 500 {
			message = m
		}
	case core.ErrorCode(err) != core.EINTERNAL:
		status, message, fields = statusOf[core.ErrorCode(err)], core.ErrorMessage(err), core.ErrorFields(err)
	}
	if status == http.StatusServiceUnavailable {
		// A write that could not get its turn in time (core.EUNAVAILABLE): retrying soon works.
		c.Response().Header().Set("Retry-After", "1")
	}
	if status >= 500 {
		s.log.Error("request failed", "route", c.Path(), "err", err)
	}
	if strings.HasPrefix(c.Request().URL.Path, "/api/") || c.Request().URL.Path == forwardAuthPath {
		if err := api.WriteError(c, status, message, fields); err != nil {
			s.log.Error("writing API error", "err", err)
		}
		return
	}
	if err := s.screens.RenderError(c, status, message); err != nil {
		s.log.Error("rendering error page", "err", err)
	}
}
