package api

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

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
//
// An IP that keeps failing is refused with 429 before any of that (limitedBearer).
func (s *Endpoints) Authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		header := c.Request().Header.Get("Authorization")
		if hasBearerScheme(header) {
			p, err := s.limitedBearer(c, header, "")
			if err != nil {
				return err
			}
			c.Set(ctxPrincipal, p)
			request.SetActor(c, core.Actor{User: p.User, Token: p})
			return next(c)
		}
		if header != "" {
			// A scheme we do not support (a browser's cached Basic credentials, say) leaves
			// the request anonymous: it skipped the CSRF check, so the session must not
			// answer for it.
			request.SetActor(c, core.Actor{})
			return next(c)
		}
		return s.sessions.LoadActor(next)(c)
	}
}

// hasBearerScheme reports whether an Authorization header uses the Bearer scheme.
func hasBearerScheme(header string) bool {
	scheme, _, _ := strings.Cut(header, " ")
	return strings.EqualFold(scheme, "bearer")
}

// limitedBearer authenticates a Bearer header behind the per-IP limit of failures, for /api/0
// and the forward-auth endpoint alike: an IP that keeps failing is refused with 429 before any
// token work (authlimit.go), and its failures are logged as one line per interval, not one
// request line each. target is the forwarded host and path, "" for the API's own routes.
func (s *Endpoints) limitedBearer(c echo.Context, header, target string) (*core.Principal, error) {
	ip := c.RealIP()
	if ok, wait := s.failures.begin(ip); !ok {
		request.SkipRequestLog(c)
		// The refusal itself is slowed down (refusedAnswerDelay): a client that retries at
		// once, ignoring Retry-After, gets one answer per connection per delay, and waiting
		// costs the server a parked goroutine rather than CPU.
		tarpit := time.NewTimer(min(wait, refusedAnswerDelay))
		select {
		case <-tarpit.C:
		case <-c.Request().Context().Done():
			tarpit.Stop()
		}
		seconds := int(math.Ceil(wait.Seconds()))
		c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
		return nil, echo.NewHTTPError(http.StatusTooManyRequests,
			fmt.Sprintf("Too many failed authentication attempts from your address. Try again in %d seconds.", seconds))
	}
	p, err := s.authenticateBearer(c.Request().Context(), header, target)
	if core.ErrorCode(err) == core.EUNAUTHORIZED {
		s.failures.failed(ip)
		request.SkipRequestLog(c)
	} else {
		s.failures.succeeded(ip)
	}
	return p, err
}

// authenticateBearer is the one way a bearer token is authenticated: the header's shape, then
// the token's shape and checksum (core.TokenParser) before any database work, then one lookup
// by hash finds the live token, and the use is noted for "last used". Errors are
// EUNAUTHORIZED with Sentry's messages.
func (s *Endpoints) authenticateBearer(ctx context.Context, header, target string) (*core.Principal, error) {
	raw, ok, err := bearerToken(header)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, core.Errorf(core.EUNAUTHORIZED, msgSchemeOnly)
	}
	parsed, err := s.tokens.Parse(raw)
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
