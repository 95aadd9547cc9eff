package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

// page builds the chrome of a screen: the viewer, their organizations, the current one, the
// CSRF token and the pending flash message.
func (s *Server) page(c echo.Context, title, nav string) views.Page {
	p := views.Page{
		Title: title, Nav: nav, CSRF: csrfToken(c), User: currentUser(c),
		Flash: s.popFlash(c), AssetVersion: s.assetVersion,
	}
	if o := currentOrg(c); o.Org.ID != 0 {
		p.Org, p.Role = o.Org, o.Role
	}
	if p.User != nil {
		orgs, err := s.svc.Orgs.UserMemberships(c.Request().Context(), p.User.ID)
		if err != nil {
			s.log.Warn("loading memberships", "err", err)
		}
		p.Orgs = orgs
		// Account pages belong to no organization; the sidebar keeps showing the first one
		// whose settings the user may see, as Sentry keeps the last organization.
		for i := range orgs {
			if p.Org == nil && orgs[i].Role.CanSeeSettings() {
				p.Org, p.Role = &orgs[i].Org, orgs[i].Role
			}
		}
	}
	return p
}

// render writes a component as the response. HTML is never cached: pages carry CSRF tokens,
// and the token-creation page carries the only copy of a new token.
func (s *Server) render(c echo.Context, status int, component templ.Component) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return component.Render(c.Request().Context(), c.Response())
}

// statusOf maps core error codes to HTTP statuses: the one table of the project.
var statusOf = map[string]int{
	core.EINVALID:      http.StatusBadRequest,
	core.ENOTFOUND:     http.StatusNotFound,
	core.EFORBIDDEN:    http.StatusForbidden,
	core.EUNAUTHORIZED: http.StatusUnauthorized,
	core.ECONFLICT:     http.StatusConflict,
	core.EUNAVAILABLE:  http.StatusServiceUnavailable,
	core.EINTERNAL:     http.StatusInternalServerError,
}

// handleError is Echo's error handler: JSON {"detail": …} under /api/, a styled page elsewhere.
// Unexpected errors are logged with their cause and shown as "Internal error.".
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
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
	if strings.HasPrefix(c.Request().URL.Path, "/api/") {
		s.writeAPIError(c, status, message, fields)
		return
	}
	if c.Request().Method == http.MethodHead {
		c.NoContent(status)
		return
	}
	heading := map[int]string{
		http.StatusForbidden: "Permission Denied", http.StatusNotFound: "Page Not Found",
		http.StatusUnauthorized: "Sign In Required", http.StatusTooManyRequests: "Too Many Requests",
	}[status]
	if heading == "" {
		heading = http.StatusText(status)
	}
	if status == http.StatusNotFound {
		message = "The page you are looking for was not found."
	}
	p := views.Page{Title: heading, User: currentUser(c), AssetVersion: s.assetVersion}
	if err := s.render(c, status, views.ErrorPage(p, views.ErrorView{Status: status, Heading: heading, Message: message})); err != nil {
		s.log.Error("rendering error page", "err", err)
	}
}

// writeAPIError writes Sentry's error bodies: {"field": ["message"]} for validation errors,
// {"detail": "message"} otherwise.
func (s *Server) writeAPIError(c echo.Context, status int, message string, fields map[string]string) {
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `xBasic realm="api"`)
	}
	if len(fields) > 0 && status == http.StatusBadRequest {
		body := map[string][]string{}
		for f, m := range fields {
			body[f] = []string{m}
		}
		c.JSON(status, body)
		return
	}
	c.JSON(status, map[string]string{"detail": message})
}

// isInvalid reports whether err is a validation error that the form should show in place.
func isInvalid(err error) bool {
	code := core.ErrorCode(err)
	return code == core.EINVALID || code == core.ECONFLICT
}

// formErrors returns the field messages of a validation error; a message without a field is
// shown under "_" (the form's top).
func formErrors(err error) views.FieldErrors {
	fields := views.FieldErrors{}
	for k, v := range core.ErrorFields(err) {
		fields[k] = v
	}
	if len(fields) == 0 {
		fields["_"] = core.ErrorMessage(err)
	}
	return fields
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localPath returns next when it is a path on this server, "" otherwise, so that a crafted
// link cannot send people elsewhere after signing in.
func localPath(next string) string {
	// Browsers drop tabs and newlines from URLs, so "/\t/evil.example" would become
	// "//evil.example": refuse every control character before the other checks.
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	return next
}
