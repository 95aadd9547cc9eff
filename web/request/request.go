// Package request holds what both HTTP surfaces (the screens of web/ui and the /api/0 of
// web/api) read from a request: the signed-in user that authentication put there, numeric
// path ids, and the no-store header of responses that carry a secret. It sits below both so
// that neither imports the other.
package request

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// ctxUser is the key of the signed-in user in Echo's context; only User and SetActor use it.
const ctxUser = "tokenboard.user"

// User returns the signed-in user (by session or by a user token), or nil.
func User(c echo.Context) *core.User {
	u, _ := c.Get(ctxUser).(*core.User)
	return u
}

// SetActor records the user the request acts as, and puts the actor (the user, the client IP
// and the token, if any) into the request's context.Context, where the services read it for
// their permission checks and audit entries.
func SetActor(c echo.Context, actor core.Actor) {
	if actor.User != nil {
		c.Set(ctxUser, actor.User)
	}
	actor.IP = c.RealIP()
	req := c.Request()
	c.SetRequest(req.WithContext(core.WithActor(req.Context(), actor)))
}

// PathID reads a numeric id from the path parameter name. Anything but a positive number is a
// 404 with the given message, the same answer as an id that does not exist.
func PathID(c echo.Context, name, notFound string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.Errorf(core.ENOTFOUND, "%s", notFound)
	}
	return id, nil
}

// NoStore marks the response as never to be cached: it carries a new token.
func NoStore(c echo.Context) {
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("Pragma", "no-cache")
}

// ctxSkipLog marks a request whose line the request log leaves out (see SkipRequestLog).
const ctxSkipLog = "tokenboard.skip-request-log"

// SkipRequestLog leaves the request out of the per-request log: it is counted elsewhere
// instead (failed bearer authentications are logged as one line per IP per interval, so a
// flood of bad tokens cannot fill the disk with log lines).
func SkipRequestLog(c echo.Context) { c.Set(ctxSkipLog, true) }

// RequestLogSkipped reports whether SkipRequestLog was called for the request.
func RequestLogSkipped(c echo.Context) bool {
	skip, _ := c.Get(ctxSkipLog).(bool)
	return skip
}
