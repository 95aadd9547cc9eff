package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// Sentry's 401 messages, byte for byte: clients such as sentry-cli print them.
const (
	msgNoCredentials    = "Authentication credentials were not provided."
	msgSchemeOnly       = "Invalid token header. No credentials provided."
	msgSpacesInToken    = "Invalid token header. Token string should not contain spaces."
	msgPermissionDenied = "You do not have permission to perform this action."
	// msgNotFound is Sentry's 404 text (ResourceDoesNotExist), without a final period.
	msgNotFound = "The requested resource does not exist"
)

// ctxPrincipal holds the bearer token's principal on /api/0 requests that carry one.
const ctxPrincipal = "tokenboard.principal"

// currentPrincipal returns the bearer token's principal, or nil for a session request.
func currentPrincipal(c echo.Context) *core.Principal {
	p, _ := c.Get(ctxPrincipal).(*core.Principal)
	return p
}

// bearerToken extracts the token from an Authorization header. ok is false when the header is
// absent or uses another scheme (Sentry then tries its other authenticators, and so do we);
// err carries the 401 for a Bearer header that is malformed.
func bearerToken(header string) (token string, ok bool, err error) {
	if header == "" {
		return "", false, nil
	}
	scheme, rest, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "bearer") {
		return "", false, nil
	}
	rest = strings.TrimLeft(rest, " ")
	switch {
	case rest == "":
		return "", true, core.Errorf(core.EUNAUTHORIZED, msgSchemeOnly)
	case strings.ContainsAny(strings.TrimRight(rest, " "), " \t"):
		return "", true, core.Errorf(core.EUNAUTHORIZED, msgSpacesInToken)
	}
	return strings.TrimRight(rest, " "), true, nil
}

// Authenticate authenticates /api/0 requests: a Bearer token when one is sent (its shape and
// checksum checked before any database work), the session cookie when no Authorization header
// is. A token that fails gets a 401 at once; it never falls back to the session.
func (s *Endpoints) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header.Get("Authorization")
		raw, ok, err := bearerToken(header)
		if err != nil {
			return err
		}
		if !ok && header != "" {
			// A scheme we do not support (a browser's cached Basic credentials, say) leaves
			// the request anonymous: it skipped the CSRF check, so the session must not
			// answer for it.
			request.SetActor(c, core.Actor{})
			return next(c)
		}
		if !ok {
			return s.sessions.LoadActor(next)(c)
		}
		p, err := s.authenticateBearer(c.Request().Context(), raw, "")
		if err != nil {
			return err
		}
		c.Set(ctxPrincipal, p)
		request.SetActor(c, core.Actor{User: p.User, Token: p})
		return next(c)
	}
}

// authenticateBearer is the one way a bearer token is authenticated, for /api/0 and for the
// forward-auth endpoint alike: the token's shape and checksum are checked by core.ParseToken
// before any database work, then one lookup by hash finds the live token, and the use is
// noted for "last used" (target is the forwarded host and path, "" for the API's own routes).
// Errors are EUNAUTHORIZED with Sentry's messages.
func (s *Endpoints) authenticateBearer(ctx context.Context, raw, target string) (*core.Principal, error) {
	parsed, err := core.ParseToken(raw)
	if err != nil {
		return nil, err
	}
	p, err := s.svc.Tokens.AuthenticateToken(ctx, parsed)
	if err != nil {
		return nil, err
	}
	s.svc.Usage.RecordTokenUse(core.TokenUse{Kind: p.Kind, TokenID: p.TokenID, Target: target, At: s.now()})
	return p, nil
}

// SessionOnly guards the token-management endpoints: a bearer token can never mint or revoke
// tokens (403), and without a signed-in session the answer is 401.
func SessionOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentPrincipal(c) != nil {
			return core.Errorf(core.EFORBIDDEN, msgPermissionDenied)
		}
		if request.User(c) == nil {
			return core.Errorf(core.EUNAUTHORIZED, msgNoCredentials)
		}
		return next(c)
	}
}

// NotFound answers unknown /api/0 routes with JSON rather than the HTML 404 page.
func NotFound(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotFound, msgNotFound)
}

// IngestNotServed answers Sentry's event ingestion endpoints (/api/{project}/envelope/ and
// /store/) with a 404 in JSON, so an SDK or "sentry-cli send-event" pointed here reports a
// failure instead of success.
func IngestNotServed(c echo.Context) error {
	return echo.NewHTTPError(http.StatusNotFound, "tokenboard does not receive events: point the DSN at a Sentry server")
}

// discardUses is the TokenUseRecorder of endpoints given none.
type discardUses struct{}

func (discardUses) RecordTokenUse(core.TokenUse) {}
