package ui

import (
	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// ctxOrg is the key of the settings request's organization in Echo's context; only
// currentOrg reads it.
const ctxOrg = "tokenboard.org"

// orgScope is the organization a settings request is about and the viewer's role in it.
type orgScope struct {
	Org  *core.Org
	Role core.Role
}

// currentOrg returns the organization of a /settings/:org/ request. The route group's
// middleware guarantees it is set; the zero value only appears on a wiring mistake.
func currentOrg(c echo.Context) orgScope {
	o, _ := c.Get(ctxOrg).(orgScope)
	if o.Org == nil {
		o.Org = &core.Org{}
	}
	return o
}

// orgURL returns the settings URL of the request's organization, followed by path.
func orgURL(c echo.Context, path string) string {
	return "/settings/" + currentOrg(c).Org.Slug + "/" + path
}

// csrfToken returns the request's CSRF token for forms.
func csrfToken(c echo.Context) string {
	t, _ := c.Get("csrf").(string)
	return t
}
