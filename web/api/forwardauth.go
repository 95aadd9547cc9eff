package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Forward authentication: a reverse proxy (nginx auth_request, Traefik forwardAuth, Caddy
// forward_auth) asks GET /_auth/verify about each request it receives, forwarding the
// request's headers, and lets it through on a 2xx. The token is authenticated exactly as on
// /api/0 (authenticateBearer), the answer's errors are the API's (401 with Sentry's bodies and
// WWW-Authenticate, 403 "You do not have permission…"), and the organization check is
// core.Authorize, the function the API and the services use.

// The headers of a 200 answer, which the proxy copies onto the request it passes upstream.
const (
	HeaderTokenKind = "X-Tokenboard-Token-Kind"
	HeaderOrg       = "X-Tokenboard-Org"
	HeaderUser      = "X-Tokenboard-User"
	HeaderScopes    = "X-Tokenboard-Scopes"
	HeaderTokenID   = "X-Tokenboard-Token-Id"
	// HeaderDetail carries a 401 or 403's message, the "detail" of its body, for proxies that
	// pass on a refusal's headers but not its body (nginx).
	HeaderDetail = "X-Tokenboard-Detail"
)

// maxVerifyQuery bounds the auth URL's query: it is written by the operator, so anything
// longer is a mistake, not a configuration.
const maxVerifyQuery = 2048

// maxTargetLen bounds the forwarded host and path kept as a token's "last used" target.
const maxTargetLen = 200

// VerifyRequirement is what a proxy location requires of a token, from the auth URL's query.
type VerifyRequirement struct {
	// Scopes admit the request when the token holds any one of them in effect (empty: any
	// token, as long as the organization check passes).
	Scopes core.ScopeSet
	// Org is the slug of the organization the token must act in; "" for none.
	Org string
}

// ParseVerifyQuery reads the auth URL's query: "scope" (repeatable; the token needs any one
// of them, as with Sentry's scope maps) and "org" (at most once). Anything else — an unknown
// parameter, an unknown scope, an empty value, a bad escape — is an EINVALID error naming the
// problem: it is the operator's configuration, and failing closed is better than guessing.
func ParseVerifyQuery(raw string) (VerifyRequirement, error) {
	var req VerifyRequirement
	if len(raw) > maxVerifyQuery {
		return req, verifyConfigError("the query is longer than %d bytes", maxVerifyQuery)
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return req, verifyConfigError("the query cannot be parsed")
	}
	for key, vs := range values {
		switch key {
		case "scope":
			for _, v := range vs {
				sc, ok := core.ParseScope(v)
				if !ok {
					return req, verifyConfigError("unknown scope %q", v)
				}
				req.Scopes |= core.NewScopeSet(sc)
			}
		case "org":
			if len(vs) != 1 {
				return req, verifyConfigError("org is given %d times", len(vs))
			}
			if core.ValidateSlug(vs[0]) != "" {
				return req, verifyConfigError("org %q is not an organization slug", vs[0])
			}
			req.Org = vs[0]
		default:
			return req, verifyConfigError("unknown parameter %q (use scope and org)", key)
		}
	}
	return req, nil
}

func verifyConfigError(format string, args ...any) error {
	return core.Errorf(core.EINVALID, "Invalid forward-auth URL: %s.", fmt.Sprintf(format, args...))
}

// Verify answers GET /_auth/verify for a reverse proxy:
//   - 400 when the auth URL's query is wrong (the proxy then fails the request: a
//     misconfigured location lets nobody through);
//   - 401 with Sentry's bodies when the request has no valid bearer token, exactly as /api/0
//     (no session: a proxy forwards no cookie of ours, and one must not count);
//   - 403 when the token lacks every required scope, or cannot act in the required
//     organization (unknown, another organization's token, a non-member's user token);
//   - 200 with the X-Tokenboard-* headers otherwise.
//
// A user token with org= acts with its scopes ∩ its user's current role there
// (core.EffectiveScopes); without org= it is checked against its own scopes, and the role is
// not consulted. Org and integration tokens act only in their own organization.
func (s *Endpoints) Verify(c echo.Context) error {
	err := s.verify(c)
	if code := core.ErrorCode(err); code == core.EUNAUTHORIZED || code == core.EFORBIDDEN {
		// nginx's auth_request keeps the status and headers of a refusal but not its body;
		// the documented snippet rebuilds Sentry's body from this header.
		c.Response().Header().Set(HeaderDetail, core.ErrorMessage(err))
	}
	var limited *echo.HTTPError
	if errors.As(err, &limited) && limited.Code == http.StatusTooManyRequests {
		// The failed-authentication limit's refusal: nginx makes any status but 2xx, 401 and
		// 403 a 500, and the snippet gives this one back as a 429 with this message.
		c.Response().Header().Set(HeaderDetail, fmt.Sprint(limited.Message))
	}
	return err
}

func (s *Endpoints) verify(c echo.Context) error {
	need, err := ParseVerifyQuery(c.Request().URL.RawQuery)
	if err != nil {
		return err
	}
	header := c.Request().Header.Get("Authorization")
	if !hasBearerScheme(header) {
		return core.Errorf(core.EUNAUTHORIZED, msgNoCredentials)
	}
	ctx := c.Request().Context()
	p, err := s.limitedBearer(c, header, forwardedTarget(c.Request().Header))
	if err != nil {
		return err
	}
	actor := core.Actor{User: p.User, Token: p}
	var org *core.Org
	scopes := p.Scopes
	if need.Org != "" {
		if org, err = s.svc.Orgs.OrgBySlug(ctx, need.Org); err != nil {
			if core.ErrorCode(err) == core.ENOTFOUND {
				return core.Errorf(core.EFORBIDDEN, msgPermissionDenied)
			}
			return err
		}
		role := core.NoRole
		if p.User != nil {
			if role, _, err = s.svc.Orgs.MemberRole(ctx, org.ID, p.User.ID); err != nil {
				return err
			}
		}
		// Without required scopes, any scope at all in the organization will do: a
		// non-member's user token or another organization's token holds none there.
		rule := core.Rule{Name: "forward auth", AnyOf: need.Scopes}
		if need.Scopes == 0 {
			rule.AnyOf = core.AllScopes
		}
		if err := core.Authorize(actor, org.ID, role, rule); err != nil {
			return core.Errorf(core.EFORBIDDEN, msgPermissionDenied)
		}
		scopes = core.EffectiveScopes(actor, org.ID, role)
	} else if need.Scopes != 0 && !p.Scopes.HasAny(need.Scopes) {
		return core.Errorf(core.EFORBIDDEN, msgPermissionDenied)
	}
	if org == nil && p.User == nil {
		// An org or integration token always speaks for its own organization.
		if org, err = s.svc.Orgs.OrgByID(ctx, p.OrgID); err != nil {
			return err
		}
	}

	h := c.Response().Header()
	h.Set(HeaderTokenKind, kindName(p.Kind))
	h.Set(HeaderTokenID, strconv.FormatInt(p.TokenID, 10))
	h.Set(HeaderScopes, strings.Join(scopes.Names(), " "))
	if org != nil {
		h.Set(HeaderOrg, org.Slug)
	}
	if p.User != nil {
		h.Set(HeaderUser, strconv.FormatInt(p.User.ID, 10)+" "+p.User.Email)
	}
	h.Set("Cache-Control", "no-store")
	return c.NoContent(http.StatusOK)
}

// kindName is the name of a token kind in tokenboard's headers and introspection answers.
func kindName(k core.TokenKind) string {
	switch k {
	case core.TokenOrg:
		return "org"
	case core.TokenUser:
		return "user"
	case core.TokenIntegration:
		return "integration"
	}
	return ""
}

// forwardedTarget is the host and path of the request the proxy is asking about, from
// X-Forwarded-Host with X-Forwarded-Uri (Traefik, Caddy) or X-Original-URI (nginx, as the
// documented snippet sets it), for the token's "last used". The query string is dropped, as
// it may hold secrets, and so is anything that is not printable text; the result is at most
// maxTargetLen bytes. "" when the proxy sends neither.
func forwardedTarget(h http.Header) string {
	uri := h.Get("X-Forwarded-Uri")
	if uri == "" {
		uri = h.Get("X-Original-Uri")
	}
	uri, _, _ = strings.Cut(uri, "?")
	uri, _, _ = strings.Cut(uri, "#")
	host := h.Get("X-Forwarded-Host")
	host, _, _ = strings.Cut(host, ",") // a chain of proxies: the first is the client's
	target := strings.TrimSpace(host) + uri
	if target == "" {
		return ""
	}
	return printable(target, maxTargetLen)
}

// printable keeps at most limit bytes of s, dropping invalid UTF-8 and non-printable runes.
func printable(s string, limit int) string {
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			continue
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}
