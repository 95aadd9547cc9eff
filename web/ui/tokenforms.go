package ui

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

// permissionsFromForm reads the permission selects (fields "perm-<resource>").
func permissionsFromForm(c echo.Context) core.Permissions {
	p := core.Permissions{}
	for _, res := range core.Resources {
		if v := c.FormValue("perm-" + res.Key); v != "" {
			p[res.Key] = core.AccessLevel(v)
		}
	}
	return p
}

// confirmed reports whether a destructive POST was confirmed. The dialog adds confirmed=1;
// a browser without JavaScript posts without it and gets this confirmation page instead, so
// nothing is revoked by a single unconfirmed click.
func (s *Screens) confirmed(c echo.Context, nav string, v views.ConfirmView) (bool, error) {
	if c.FormValue("confirmed") == "1" {
		return true, nil
	}
	// The query (?page=N) comes along, so the confirmed action still returns to that page.
	v.Action = c.Request().URL.RequestURI()
	return false, s.render(c, http.StatusOK, views.Confirm(s.page(c, v.Heading, nav), v))
}

// expiryFromForm reads the Expiration select and its date field.
func (s *Screens) expiryFromForm(c echo.Context) (*time.Time, error) {
	return core.ParseExpiry(c.FormValue("expiration"), c.FormValue("expiration_date"), s.now())
}
