package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Keys of the values middleware puts into Echo's context; only accessors below read them.
const (
	ctxUser = "tokenboard.user"
	ctxOrg  = "tokenboard.org"
)

// orgScope is the organization a settings request is about and the viewer's role in it.
type orgScope struct {
	Org  *core.Org
	Role core.Role
}

// currentUser returns the signed-in user, or nil.
func currentUser(c echo.Context) *core.User {
	u, _ := c.Get(ctxUser).(*core.User)
	return u
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

// csrfToken returns the request's CSRF token for forms.
func csrfToken(c echo.Context) string {
	t, _ := c.Get("csrf").(string)
	return t
}

// pathID reads a numeric id from the path parameter name. Anything but a positive number is a
// 404 with the given message, the same answer as an id that does not exist.
func pathID(c echo.Context, name, notFound string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.Errorf(core.ENOTFOUND, "%s", notFound)
	}
	return id, nil
}
