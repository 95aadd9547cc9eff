package web

import (
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/api"
	"github.com/tokenboard/tokenboard/web/ui"
)

// routes is the whole route table of both surfaces, in one place: the screens' handlers are
// methods of s.screens (web/ui), the API's of s.api (web/api).
func (s *Server) routes() {
	e := s.echo
	e.Pre(middleware.AddTrailingSlashWithConfig(middleware.TrailingSlashConfig{
		// Sentry's URLs end in "/"; redirect the others there rather than 404. Static files
		// and the health check keep their names.
		Skipper:      func(c echo.Context) bool { return skipTrailingSlash(c.Request().URL.Path) },
		RedirectCode: http.StatusMovedPermanently,
	}))
	e.Use(s.requestLog)
	e.Use(middleware.Recover())
	e.Use(s.securityHeaders)
	e.Use(middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit: "1M",
		// A batch of chunks is up to 32 MiB: its handler sets its own limit.
		Skipper: func(c echo.Context) bool { return api.HasOwnBodyLimit(c) },
	}))

	e.GET("/_health", s.handleHealth)
	// Forward authentication for reverse proxies (web/api/forwardauth.go). Outside the
	// session and CSRF group: a proxy forwards the client's headers, not a session of ours,
	// and the answer is the API's. No trailing-slash redirect: proxies treat a 3xx as an error.
	e.GET(forwardAuthPath, s.api.Verify)
	e.GET("/static/*", s.handleStatic)

	// Everything below reads the session and is protected against cross-site requests.
	app := e.Group("", s.sameOrigin, s.csrf(), s.sessions.LoadActor)
	app.GET("/", s.screens.Home)
	app.GET("/auth/login/", s.screens.LoginPage)
	app.POST("/auth/login/", s.screens.Login)
	app.GET("/auth/register/", s.screens.RegisterPage)
	app.POST("/auth/register/", s.screens.Register)
	app.POST("/auth/logout/", s.screens.Logout)
	app.GET("/accept-invite/:secret/", s.screens.InvitePage)

	user := app.Group("", s.screens.RequireUser)
	user.POST("/accept-invite/:secret/", s.screens.InviteAccept)
	user.GET("/organizations/new/", s.screens.OrgNewPage)
	user.POST("/organizations/new/", s.screens.OrgCreate)
	user.GET("/settings/account/details/", s.screens.AccountDetailsPage)
	user.POST("/settings/account/details/", s.screens.AccountDetailsUpdate)
	user.POST("/settings/account/details/theme/", s.screens.ThemeUpdate)
	user.GET("/settings/account/security/", s.screens.AccountSecurityPage)
	user.POST("/settings/account/security/", s.screens.PasswordChange)
	user.POST("/settings/account/security/sessions/end-others/", s.screens.OtherSessionsEnd)
	user.POST("/settings/account/security/sessions/:id/end/", s.screens.SessionEnd)

	// Account > User Auth Tokens (SPEC 3.4): the signed-in user's own tokens. Static segments
	// win over :id in Echo's router, so new-token/ is never read as an id.
	user.GET("/settings/account/api/auth-tokens/", s.screens.UserTokensPage)
	user.GET("/settings/account/api/auth-tokens/new-token/", s.screens.UserTokenNewPage)
	user.POST("/settings/account/api/auth-tokens/new-token/", s.screens.UserTokenCreate)
	user.GET("/settings/account/api/auth-tokens/:id/", s.screens.UserTokenEditPage)
	user.POST("/settings/account/api/auth-tokens/:id/", s.screens.UserTokenRename)
	user.POST("/settings/account/api/auth-tokens/:id/revoke/", s.screens.UserTokenRevoke)
	user.GET("/settings/account/api/auth-tokens/:id/rotate/", s.screens.UserTokenRotatePage)
	user.POST("/settings/account/api/auth-tokens/:id/rotate/", s.screens.UserTokenRotate)

	org := user.Group("/settings/:org", s.screens.RequireOrgSettings)
	org.GET("/", s.screens.OrgGeneralPage)
	org.POST("/", s.screens.OrgUpdate)
	org.POST("/token-policies/", s.screens.TokenPolicyUpdate, ui.RequireRole(core.RuleManageTokenPolicies.AllowsRole))
	org.GET("/members/", s.screens.MembersPage)
	org.POST("/members/", s.screens.MemberAdd)
	org.POST("/members/:user/role/", s.screens.MemberRoleChange)
	org.POST("/members/:user/remove/", s.screens.MemberRemove)
	org.GET("/projects/", s.screens.ProjectsPage)
	org.POST("/projects/", s.screens.ProjectCreate)
	org.GET("/audit-log/", s.screens.AuditLogPage)
	org.GET("/releases/", s.screens.ReleasesPage)
	org.GET("/projects/:project/source-maps/", s.screens.SourceMapsPage)
	org.POST("/projects/:project/source-maps/delete/", s.screens.SourceMapsDelete)
	// Settings > Repositories (issue 13): every member lists; owners and managers add and
	// remove, which sentry-cli's set-commits --commit REPO@SHA needs first.
	org.GET("/repos/", s.screens.RepositoriesPage)
	org.POST("/repos/", s.screens.RepositoryAdd, ui.RequireRole(core.Role.CanManageRepositories))
	org.POST("/repos/:id/remove/", s.screens.RepositoryRemove, ui.RequireRole(core.Role.CanManageRepositories))

	// Organization auth tokens (SPEC 3.1-3.3): every member with org:read lists, creates and
	// renames; only owners and managers revoke.
	org.GET("/auth-tokens/", s.screens.OrgTokensPage)
	org.GET("/auth-tokens/new-token/", s.screens.OrgTokenNewPage)
	org.POST("/auth-tokens/new-token/", s.screens.OrgTokenCreate)
	org.GET("/auth-tokens/:id/", s.screens.OrgTokenEditPage)
	org.POST("/auth-tokens/:id/", s.screens.OrgTokenRename)
	org.POST("/auth-tokens/:id/revoke/", s.screens.OrgTokenRevoke, ui.RequireRole(core.Role.CanManageOrgTokens))
	org.GET("/auth-tokens/:id/rotate/", s.screens.OrgTokenRotatePage, ui.RequireRole(core.Role.CanManageOrgTokens))
	org.POST("/auth-tokens/:id/rotate/", s.screens.OrgTokenRotate, ui.RequireRole(core.Role.CanManageOrgTokens))

	// Developer Settings > Custom Integrations (SPEC 3.5): any member sees the list and the
	// settings; owners and managers create, edit and manage tokens; owners delete.
	org.GET("/developer-settings/", s.screens.IntegrationsPage)
	org.GET("/developer-settings/new-internal/", s.screens.IntegrationNewPage, ui.RequireIntegrationManager)
	org.POST("/developer-settings/new-internal/", s.screens.IntegrationCreate, ui.RequireIntegrationManager)
	org.GET("/developer-settings/:slug/", s.screens.IntegrationPage)
	org.POST("/developer-settings/:slug/", s.screens.IntegrationUpdate, ui.RequireIntegrationManager)
	org.POST("/developer-settings/:slug/tokens/", s.screens.IntegrationTokenCreate, ui.RequireIntegrationManager)
	org.POST("/developer-settings/:slug/tokens/:id/rotate/", s.screens.IntegrationTokenRotate, ui.RequireIntegrationManager)
	org.POST("/developer-settings/:slug/tokens/:id/revoke/", s.screens.IntegrationTokenRevoke, ui.RequireIntegrationManager)
	org.GET("/developer-settings/:slug/delete/", s.screens.IntegrationDeletePage, ui.RequireIntegrationDeleter)
	org.POST("/developer-settings/:slug/delete/", s.screens.IntegrationDelete, ui.RequireIntegrationDeleter)

	// GitHub's secret-scanning reports (issue 15): no session and no CSRF, GitHub's
	// signature is the credential; a tighter body limit, and a rate limit per client IP.
	e.POST("/api/0/secret-scanning/github/", s.api.SecretScanningGitHub,
		middleware.BodyLimit(api.SecretScanningBodyLimit), s.secretScanningLimit())

	// The REST API. Bearer tokens or the session authenticate; CSRF applies to the session.
	rest := e.Group("/api/0", s.sameOrigin, s.csrf(), s.api.Authenticate)
	// Token management: session only, never a bearer token (SPEC 5).
	apiSession := rest.Group("", api.SessionOnly)

	// User auth tokens (SPEC 5): /api/0/api-tokens/.
	apiSession.GET("/api-tokens/", s.api.UserTokens)
	apiSession.POST("/api-tokens/", s.api.UserTokenCreate)
	apiSession.GET("/api-tokens/:id/", s.api.UserToken)
	apiSession.PUT("/api-tokens/:id/", s.api.UserTokenUpdate)
	apiSession.DELETE("/api-tokens/:id/", s.api.UserTokenDelete)
	apiSession.POST("/api-tokens/:id/rotate/", s.api.UserTokenRotate)

	// Organization auth tokens (SPEC 5).
	apiSession.GET("/organizations/:org/org-auth-tokens/", s.api.OrgTokens)
	apiSession.POST("/organizations/:org/org-auth-tokens/", s.api.OrgTokenCreate)
	apiSession.GET("/organizations/:org/org-auth-tokens/:id/", s.api.OrgToken)
	apiSession.PUT("/organizations/:org/org-auth-tokens/:id/", s.api.OrgTokenRename)
	apiSession.DELETE("/organizations/:org/org-auth-tokens/:id/", s.api.OrgTokenRevoke)
	apiSession.POST("/organizations/:org/org-auth-tokens/:id/rotate/", s.api.OrgTokenRotate)

	// Internal integration tokens (SPEC 5, Sentry's sentry-apps endpoints).
	apiSession.GET("/sentry-apps/:slug/api-tokens/", s.api.IntegrationTokens)
	apiSession.POST("/sentry-apps/:slug/api-tokens/", s.api.IntegrationTokenCreate)
	apiSession.DELETE("/sentry-apps/:slug/api-tokens/:id/", s.api.IntegrationTokenRevoke)

	// Sentry's public API, the part real clients (sentry-cli) use. Bearer tokens of all three
	// kinds or the session; what each route and method requires is in apiRoutes
	// (web/api/scopes.go), applied by Authorize.
	sentry := rest.Group("", s.api.Authorize)
	sentry.GET("/", s.api.Index)
	sentry.GET("/organizations/", s.api.Orgs)
	sentry.GET("/organizations/:org/", s.api.Org)
	sentry.PUT("/organizations/:org/", s.api.OrgUpdate)
	sentry.GET("/organizations/:org/projects/", s.api.OrgProjects)
	sentry.GET("/organizations/:org/teams/", s.api.Teams)
	sentry.POST("/organizations/:org/teams/", s.api.TeamCreate)
	sentry.GET("/organizations/:org/members/", s.api.Members)
	sentry.POST("/teams/:org/:team/projects/", s.api.TeamProjectCreate)
	sentry.GET("/projects/:org/:project/", s.api.Project)
	sentry.DELETE("/projects/:org/:project/", s.api.ProjectDelete)
	sentry.GET("/organizations/:org/releases/", s.api.Releases)
	sentry.POST("/organizations/:org/releases/", s.api.ReleaseCreate)
	sentry.GET("/organizations/:org/releases/:version/", s.api.Release)
	sentry.PUT("/organizations/:org/releases/:version/", s.api.ReleaseUpdate)
	sentry.DELETE("/organizations/:org/releases/:version/", s.api.ReleaseDelete)
	sentry.GET("/projects/:org/:project/releases/", s.api.ProjectReleases)
	sentry.POST("/projects/:org/:project/releases/", s.api.ProjectReleaseCreate)
	sentry.GET("/projects/:org/:project/releases/:version/", s.api.Release)
	sentry.PUT("/projects/:org/:project/releases/:version/", s.api.ReleaseUpdate)
	sentry.DELETE("/projects/:org/:project/releases/:version/", s.api.ReleaseDelete)
	sentry.GET("/teams/:org/:team/", s.api.Team)
	sentry.GET("/projects/", s.api.AllProjects)

	// What a CI job does (issue 13, docs/CI-PROTOCOL.md): chunked uploads of source maps and
	// debug files, deploys, commits and repositories.
	sentry.GET("/organizations/:org/chunk-upload/", s.api.ChunkUploadOptions)
	sentry.POST("/organizations/:org/chunk-upload/", s.api.ChunkUpload)
	sentry.POST("/organizations/:org/artifactbundle/assemble/", s.api.ArtifactBundleAssemble)
	sentry.GET("/projects/:org/:project/files/artifact-bundles/", s.api.ArtifactBundles)
	sentry.DELETE("/projects/:org/:project/files/artifact-bundles/", s.api.ArtifactBundleDelete)
	sentry.GET("/projects/:org/:project/artifact-bundles/:bundle/files/", s.api.ArtifactBundleFiles)
	sentry.POST("/projects/:org/:project/files/difs/assemble/", s.api.DifsAssemble)
	sentry.GET("/organizations/:org/releases/:version/deploys/", s.api.Deploys)
	sentry.POST("/organizations/:org/releases/:version/deploys/", s.api.DeployCreate)
	sentry.GET("/organizations/:org/repos/", s.api.Repositories)
	sentry.GET("/organizations/:org/releases/:version/commits/", s.api.ReleaseCommits)
	sentry.GET("/organizations/:org/releases/:version/previous-with-commits/", s.api.PreviousWithCommits)

	// Token introspection (RFC 7662) for services holding an internal integration token.
	// Outside the Sentry table (apiRoutes): it is not a Sentry route, and Introspect itself
	// decides who may call it. Bearer callers skip CSRF, as everywhere under /api/0.
	rest.POST("/introspect/", s.api.Introspect)

	rest.Any("/*", api.NotFound)
	// Every other path under /api/ (another API version, Sentry's ingestion endpoints
	// /api/{project}/envelope/ and /store/, which tokenboard does not serve) is a 404 in JSON:
	// without these, the screens' catch-all would redirect a client to the sign-in page and
	// it would read the redirect as success.
	e.Any("/api", api.NotFound)
	e.Any("/api/*", api.NotFound)
	e.POST("/api/:project/envelope/", api.IngestNotServed)
	e.POST("/api/:project/store/", api.IngestNotServed)
}

// forwardAuthPath is the forward-auth endpoint reverse proxies call on every request.
const forwardAuthPath = "/_auth/verify"

// secretScanningLimit rate-limits the secret-scanning endpoint per client IP: GitHub sends a
// report per finding, in bursts, while anyone can post unsigned bodies, each costing a
// signature check.
func (s *Server) secretScanningLimit() echo.MiddlewareFunc {
	return middleware.RateLimiterWithConfig(middleware.RateLimiterConfig{
		Store: middleware.NewRateLimiterMemoryStoreWithConfig(middleware.RateLimiterMemoryStoreConfig{
			Rate: rate.Limit(5), Burst: 60, ExpiresIn: 10 * time.Minute,
		}),
		DenyHandler: func(c echo.Context, _ string, _ error) error {
			return c.JSON(http.StatusTooManyRequests, map[string]string{"details": "rate limited"})
		},
	})
}

func skipTrailingSlash(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/_health" || path == forwardAuthPath ||
		strings.HasSuffix(path, "/")
}

// sameOrigin refuses unsafe requests whose Origin header names another site, for clients that
// send an Origin but no Sec-Fetch-Site; the CSRF token check still applies after it.
func (s *Server) sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		origin := req.Header.Get("Origin")
		if origin == "" || origin == s.origin || hasBearer(req) {
			return next(c)
		}
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		return echo.NewHTTPError(http.StatusForbidden, "Cross-origin request refused.")
	}
}

// hasBearer reports whether the request authenticates with a Bearer token. Only such requests
// skip the cross-site checks: they never fall back to the session cookie, so a forged one
// carries no ambient credentials. Other schemes (a browser's cached Basic credentials behind a
// proxy, say) are sent automatically and must not switch CSRF protection off.
func hasBearer(req *http.Request) bool {
	scheme, _, _ := strings.Cut(req.Header.Get("Authorization"), " ")
	return strings.EqualFold(scheme, "bearer")
}

// csrf protects every unsafe request that a browser could be tricked into sending. Echo's
// middleware accepts a request whose Sec-Fetch-Site says same-origin, and otherwise requires
// the token from the form or the X-CSRF-Token header; cross-site requests are refused.
// API requests that carry a Bearer token, or no session cookie at all (anonymous calls then get
// the API's 401), have no ambient credentials to abuse and skip it. Any other Authorization
// scheme (a browser's cached Basic credentials, say) does not: it is sent automatically.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper: func(c echo.Context) bool {
			if !strings.HasPrefix(c.Request().URL.Path, "/api/") {
				return false
			}
			if hasBearer(c.Request()) {
				return true
			}
			_, err := c.Request().Cookie(s.sessions.CookieName())
			return err != nil
		},
		TokenLookup:    "header:X-CSRF-Token,form:csrf_token",
		CookieName:     "tokenboard_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.secure,
		CookieSameSite: http.SameSiteLaxMode,
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "CSRF verification failed. Reload the page and try again.")
		},
	})
}
