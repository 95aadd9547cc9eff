package ui

import (
	"net/http"
	"strings"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// page builds the chrome of a screen: the viewer, their organizations, the current one, the
// CSRF token and the pending flash message.
func (s *Screens) page(c echo.Context, title, nav string) views.Page {
	p := views.Page{
		Title: title, Nav: nav, CSRF: csrfToken(c), User: request.User(c),
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
		if p.Theme, err = s.svc.Users.Theme(c.Request().Context(), p.User.ID); err != nil {
			s.log.Warn("loading the theme", "err", err)
		}
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
func (s *Screens) render(c echo.Context, status int, component templ.Component) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(status)
	return component.Render(c.Request().Context(), c.Response())
}

// RenderError writes the styled error page for a status and message that web's error handler
// has mapped; a HEAD request gets the status alone.
func (s *Screens) RenderError(c echo.Context, status int, message string) error {
	if c.Request().Method == http.MethodHead {
		return c.NoContent(status)
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
	p := views.Page{Title: heading, AssetVersion: s.assetVersion}
	if request.User(c) != nil {
		// Signed in: the full chrome, so the navigation and Sign Out stay.
		p = s.page(c, heading, "")
	}
	return s.render(c, status, views.ErrorPage(p, views.ErrorView{Status: status, Heading: heading, Message: message}))
}

// flash stores a one-time message for the next page. Never put a secret in it: it lives in a
// cookie.
func (s *Screens) flash(c echo.Context, kind, message string) {
	s.sessions.Flash(c, kind, message)
}

// popFlash takes the pending flash message, if any.
func (s *Screens) popFlash(c echo.Context) *views.Flash {
	kind, message, ok := s.sessions.PopFlash(c)
	if !ok {
		return nil
	}
	return &views.Flash{Kind: kind, Message: message}
}

// redirectWithFlash is the end of every successful form POST: 303 to a page, with a message.
func (s *Screens) redirectWithFlash(c echo.Context, to, message string) error {
	s.flash(c, "success", message)
	return c.Redirect(http.StatusSeeOther, to)
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
