package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// Token introspection (RFC 7662): a service that received a token asks whether it is live and
// what it may do. The caller authenticates with an internal integration token of an
// organization holding org:read (or org:write, org:admin), and learns only about that
// organization's tokens: its org tokens, its integration tokens, and its members' user tokens,
// with their effective scopes there. Every other answer is {"active": false} and nothing
// more, whether the token is malformed, unknown, revoked, expired, its user deactivated, or
// another organization's, so the endpoint tells an outsider nothing it could not guess.

// introspectCallerScopes admit an integration token as an introspection caller: reading the
// organization is what seeing its tokens' owners and scopes amounts to.
var introspectCallerScopes = core.NewScopeSet(core.ScopeOrgRead, core.ScopeOrgWrite, core.ScopeOrgAdmin)

// introspection is RFC 7662's answer. Only Active is sent for an inactive token.
type introspection struct {
	Active    bool   `json:"active"`
	Scope     string `json:"scope,omitempty"`
	TokenType string `json:"token_type,omitempty"`
	Exp       int64  `json:"exp,omitempty"`
	Iat       int64  `json:"iat,omitempty"`
	// Sub names who the token speaks for: "user:ID", "org:SLUG" or "integration:ID".
	Sub string `json:"sub,omitempty"`
	// Username is a user token's email.
	Username string `json:"username,omitempty"`
	// Kind and Org are tokenboard's: the token's kind ("org", "user", "integration") and the
	// organization the answer speaks about.
	Kind string `json:"kind,omitempty"`
	Org  string `json:"org,omitempty"`
}

// Introspect answers POST /api/0/introspect/ (the token in the "token" form field):
//   - 401 without credentials, with Sentry's bodies;
//   - 403 for any caller but an internal integration token holding org:read, org:write or
//     org:admin: user and org tokens and signed-in sessions included, since RFC 7662 asks that
//     the endpoint be protected and a person has the Auth Tokens screens instead;
//   - 200 {"active": false} for every token that is not a live token of the caller's
//     organization;
//   - 200 with the token's effective scopes in the caller's organization otherwise.
//
// Introspecting a token is not a use of it: its "last used" stays as it is.
func (s *Endpoints) Introspect(c echo.Context) error {
	caller := currentPrincipal(c)
	switch {
	case caller == nil && request.User(c) == nil:
		return core.Errorf(core.EUNAUTHORIZED, msgNoCredentials)
	case caller == nil || caller.Kind != core.TokenIntegration || !caller.Scopes.HasAny(introspectCallerScopes):
		return core.Errorf(core.EFORBIDDEN, msgPermissionDenied)
	}
	request.NoStore(c)
	ctx := c.Request().Context()
	inactive := func() error { return c.JSON(http.StatusOK, introspection{}) }

	parsed, err := core.ParseToken(strings.TrimSpace(c.FormValue("token")))
	if err != nil {
		return inactive()
	}
	p, err := s.svc.Tokens.AuthenticateToken(ctx, parsed)
	switch {
	case core.ErrorCode(err) == core.EUNAUTHORIZED:
		return inactive()
	case err != nil:
		return err
	}
	orgID := caller.OrgID
	role := core.NoRole
	if p.User != nil {
		var member bool
		if role, member, err = s.svc.Orgs.MemberRole(ctx, orgID, p.User.ID); err != nil {
			return err
		}
		if !member {
			return inactive()
		}
	} else if p.OrgID != orgID {
		return inactive()
	}
	org, err := s.svc.Orgs.OrgByID(ctx, orgID)
	if err != nil {
		return err
	}
	scopes := core.EffectiveScopes(core.Actor{User: p.User, Token: p}, orgID, role)
	out := introspection{
		Active:    true,
		Scope:     strings.Join(scopes.Names(), " "),
		TokenType: "bearer",
		Iat:       p.CreatedAt.Unix(),
		Kind:      kindName(p.Kind),
		Org:       org.Slug,
	}
	if p.ExpiresAt != nil {
		out.Exp = p.ExpiresAt.Unix()
	}
	switch p.Kind {
	case core.TokenUser:
		out.Sub, out.Username = "user:"+strconv.FormatInt(p.User.ID, 10), p.User.Email
	case core.TokenOrg:
		out.Sub = "org:" + org.Slug
	case core.TokenIntegration:
		out.Sub = "integration:" + strconv.FormatInt(p.IntegrationID, 10)
	}
	return c.JSON(http.StatusOK, out)
}
