package api

import (
	"fmt"
	"maps"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// apiAccess is what one method of one API route admits.
type apiAccess struct {
	// Anonymous routes also answer requests without credentials.
	Anonymous bool
	// Scopes admit the route: a principal needs any one of them, as with Sentry's
	// ScopedPermission. An org token holds only org:ci, so it reaches exactly the routes that
	// list org:ci.
	Scopes core.ScopeSet
}

// Scope sets shared by several routes, from Sentry's permission classes.
var (
	orgReadScopes    = core.NewScopeSet(core.ScopeOrgRead, core.ScopeOrgWrite, core.ScopeOrgAdmin)
	orgWriteScopes   = core.NewScopeSet(core.ScopeOrgWrite, core.ScopeOrgAdmin)
	projectRead      = core.NewScopeSet(core.ScopeProjectRead, core.ScopeProjectWrite, core.ScopeProjectAdmin)
	projectWrite     = core.NewScopeSet(core.ScopeProjectWrite, core.ScopeProjectAdmin)
	projectAdmin     = core.NewScopeSet(core.ScopeProjectAdmin)
	teamReadScopes   = orgReadScopes.Union(core.NewScopeSet(core.ScopeTeamRead, core.ScopeTeamWrite, core.ScopeTeamAdmin))
	teamWriteScopes  = orgWriteScopes.Union(core.NewScopeSet(core.ScopeTeamWrite, core.ScopeTeamAdmin))
	memberReadScopes = core.NewScopeSet(core.ScopeMemberRead, core.ScopeMemberWrite, core.ScopeMemberAdmin)
)

// apiRoutes is the one table of what each Sentry API route and method requires, keyed by
// method and Echo route pattern. Authorize applies it to every route of the group; a route
// missing from it fails closed (500), and TestAPIScopeTableCoversEveryRoute keeps the two in
// step. The session-only token-management routes are not in this group.
var apiRoutes = map[string]apiAccess{
	// Auth info: anyone, as Sentry's index answers "auth": null, "user": null without credentials.
	"GET /api/0/": {Anonymous: true},
	// GitHub's exposed-token reports: anonymous, GitHub's signature is the credential. The
	// route is mounted outside Authorize (no session, no CSRF); it is listed so that the table
	// names every public route.
	"POST /api/0/secret-scanning/github/": {Anonymous: true},

	"GET /api/0/organizations/":      {Scopes: orgReadScopes},
	"GET /api/0/organizations/:org/": {Scopes: orgReadScopes},
	"PUT /api/0/organizations/:org/": {Scopes: orgWriteScopes},
	// sentry-cli's "projects list" runs with an org token alone, so org:ci is admitted here.
	"GET /api/0/organizations/:org/projects/": {Scopes: orgReadScopes.Union(projectRead).Union(core.NewScopeSet(core.ScopeOrgCI))},
	"GET /api/0/organizations/:org/teams/":    {Scopes: teamReadScopes},
	"POST /api/0/organizations/:org/teams/":   {Scopes: teamWriteScopes},
	"GET /api/0/organizations/:org/members/":  {Scopes: memberReadScopes},
	"POST /api/0/teams/:org/:team/projects/":  {Scopes: projectWrite},
	"GET /api/0/projects/:org/:project/":      {Scopes: projectRead},
	"DELETE /api/0/projects/:org/:project/":   {Scopes: projectAdmin},

	"GET /api/0/organizations/:org/releases/":              {Scopes: core.ReleaseReadScopes},
	"POST /api/0/organizations/:org/releases/":             {Scopes: core.ReleaseWriteScopes},
	"GET /api/0/organizations/:org/releases/:version/":     {Scopes: core.ReleaseReadScopes},
	"PUT /api/0/organizations/:org/releases/:version/":     {Scopes: core.ReleaseWriteScopes},
	"DELETE /api/0/organizations/:org/releases/:version/":  {Scopes: core.ReleaseDeleteScopes},
	"GET /api/0/projects/:org/:project/releases/":          {Scopes: core.ReleaseReadScopes},
	"POST /api/0/projects/:org/:project/releases/":         {Scopes: core.ReleaseWriteScopes},
	"GET /api/0/projects/:org/:project/releases/:version/": {Scopes: core.ReleaseReadScopes},
	"PUT /api/0/projects/:org/:project/releases/:version/": {Scopes: core.ReleaseWriteScopes},
	"DELETE /api/0/projects/:org/:project/releases/:version/": {
		Scopes: core.ReleaseDeleteScopes,
	},
	"GET /api/0/teams/:org/:team/": {Scopes: teamReadScopes},
	"GET /api/0/projects/":         {Scopes: orgReadScopes.Union(projectRead)},

	// CI (issue 13): uploading, assembling, deploys and commits are release writes, which
	// org:ci reaches (Sentry's OrganizationReleasePermission and ProjectReleasePermission);
	// deleting an artifact bundle is a release delete, which it does not.
	"GET /api/0/organizations/:org/chunk-upload/":                            {Scopes: core.ReleaseReadScopes},
	"POST /api/0/organizations/:org/chunk-upload/":                           {Scopes: core.ReleaseWriteScopes},
	"POST /api/0/organizations/:org/artifactbundle/assemble/":                {Scopes: core.ReleaseWriteScopes},
	"GET /api/0/projects/:org/:project/files/artifact-bundles/":              {Scopes: core.ReleaseReadScopes},
	"DELETE /api/0/projects/:org/:project/files/artifact-bundles/":           {Scopes: core.ReleaseDeleteScopes},
	"GET /api/0/projects/:org/:project/artifact-bundles/:bundle/files/":      {Scopes: core.ReleaseReadScopes},
	"POST /api/0/projects/:org/:project/files/difs/assemble/":                {Scopes: core.ReleaseWriteScopes},
	"GET /api/0/organizations/:org/releases/:version/deploys/":               {Scopes: core.ReleaseReadScopes},
	"POST /api/0/organizations/:org/releases/:version/deploys/":              {Scopes: core.ReleaseWriteScopes},
	"GET /api/0/organizations/:org/repos/":                                   {Scopes: core.RepositoryReadScopes},
	"GET /api/0/organizations/:org/releases/:version/commits/":               {Scopes: core.ReleaseReadScopes},
	"GET /api/0/organizations/:org/releases/:version/previous-with-commits/": {Scopes: core.ReleaseReadScopes},
}

// ctxAPIOrg holds the organization an /api/0 route names, with the caller's access to it.
const ctxAPIOrg = "tokenboard.api-org"

// apiOrgAccess is the organization of an /api/0 request and what the caller may do there.
type apiOrgAccess struct {
	Org *core.Org
	// Scopes are the caller's effective scopes in the organization.
	Scopes core.ScopeSet
	// Role is the member's role; "" for org and integration tokens.
	Role core.Role
}

// currentAPIOrg returns the organization Authorize loaded for a route with :org.
func currentAPIOrg(c echo.Context) apiOrgAccess {
	o, _ := c.Get(ctxAPIOrg).(apiOrgAccess)
	if o.Org == nil {
		o.Org = &core.Org{}
	}
	return o
}

// Authorize applies apiRoutes, in Sentry's order:
//
//  1. no credentials: 401 "Authentication credentials were not provided." (anonymous routes pass);
//  2. a token lacking every scope the route admits: 403, before anything is looked up;
//  3. a route naming an organization: unknown slug 404; then core.Authorize, the same function
//     the services call, with the route's scopes as the rule (a session user's role; a user
//     token's scopes ∩ its user's current role; an org or integration token's own scopes in
//     its own organization only), or 403.
func (s *Endpoints) Authorize(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		access, ok := apiRoutes[c.Request().Method+" "+c.Path()]
		if !ok {
			return fmt.Errorf("route %s %s is missing from apiRoutes", c.Request().Method, c.Path())
		}
		p, user := currentPrincipal(c), request.User(c)
		if access.Anonymous {
			return next(c)
		}
		if p == nil && user == nil {
			return core.Errorf(core.EUNAUTHORIZED, msgNoCredentials)
		}
		if p != nil && !p.Scopes.HasAny(access.Scopes) {
			return core.Errorf(core.EFORBIDDEN, msgPermissionDenied)
		}
		if !slices.Contains(c.ParamNames(), "org") {
			return next(c)
		}
		ctx := c.Request().Context()
		org, err := s.svc.Orgs.OrgBySlug(ctx, c.Param("org"))
		if err != nil {
			return apiErr(err)
		}
		actor := core.Actor{User: user, Token: p}
		role := core.NoRole
		if user != nil {
			if role, _, err = s.svc.Orgs.MemberRole(ctx, org.ID, user.ID); err != nil {
				return err
			}
		}
		rule := core.Rule{Name: c.Request().Method + " " + c.Path(), AnyOf: access.Scopes}
		if err := core.Authorize(actor, org.ID, role, rule); err != nil {
			// The 404 for an unknown slug has already been given, so, as in Sentry, a
			// non-member or another organization's token is refused with 403 here, where the
			// services answer ENOTFOUND to keep an organization's contents unrevealed.
			return core.Errorf(core.EFORBIDDEN, msgPermissionDenied)
		}
		// The organization's user-token policy, from the cached organization and principal:
		// no query of its own.
		if err := core.CheckUserTokenPolicy(actor, org); err != nil {
			return err
		}
		c.Set(ctxAPIOrg, apiOrgAccess{Org: org, Role: role, Scopes: core.EffectiveScopes(actor, org.ID, role)})
		return next(c)
	}
}

// apiErr gives a service's not-found error Sentry's 404 text; other errors pass unchanged.
func apiErr(err error) error {
	if core.ErrorCode(err) == core.ENOTFOUND {
		return core.Errorf(core.ENOTFOUND, msgNotFound)
	}
	return err
}

// ScopedRoutes returns the keys of apiRoutes ("METHOD /pattern/"), sorted, for web's test that
// every entry of the table is a registered route.
func ScopedRoutes() []string {
	return slices.Sorted(maps.Keys(apiRoutes))
}
