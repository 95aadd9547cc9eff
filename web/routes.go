package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/tokenboard/tokenboard/internal/core"
)

// routes is the whole route table, in one place.
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
	e.Use(middleware.BodyLimit("1M"))

	e.GET("/_health", s.handleHealth)
	e.GET("/static/*", s.handleStatic)

	// Everything below reads the session and is protected against cross-site requests.
	app := e.Group("", s.sameOrigin, s.csrf(), s.loadActor)
	app.GET("/", s.handleHome)
	app.GET("/auth/login/", s.handleLoginPage)
	app.POST("/auth/login/", s.handleLogin)
	app.GET("/auth/register/", s.handleRegisterPage)
	app.POST("/auth/register/", s.handleRegister)
	app.POST("/auth/logout/", s.handleLogout)
	app.GET("/accept-invite/:secret/", s.handleInvitePage)

	user := app.Group("", s.requireUser)
	user.POST("/accept-invite/:secret/", s.handleInviteAccept)
	user.GET("/organizations/new/", s.handleOrgNewPage)
	user.POST("/organizations/new/", s.handleOrgCreate)
	user.GET("/settings/account/details/", s.handleAccountDetailsPage)
	user.POST("/settings/account/details/", s.handleAccountDetailsUpdate)
	user.GET("/settings/account/security/", s.handleAccountSecurityPage)
	user.POST("/settings/account/security/", s.handlePasswordChange)

	// Account > User Auth Tokens (SPEC 3.4): the signed-in user's own tokens. Static segments
	// win over :id in Echo's router, so new-token/ is never read as an id.
	user.GET("/settings/account/api/auth-tokens/", s.handleUserTokensPage)
	user.GET("/settings/account/api/auth-tokens/new-token/", s.handleUserTokenNewPage)
	user.POST("/settings/account/api/auth-tokens/new-token/", s.handleUserTokenCreate)
	user.GET("/settings/account/api/auth-tokens/:id/", s.handleUserTokenEditPage)
	user.POST("/settings/account/api/auth-tokens/:id/", s.handleUserTokenRename)
	user.POST("/settings/account/api/auth-tokens/:id/revoke/", s.handleUserTokenRevoke)

	org := user.Group("/settings/:org", s.requireOrgSettings)
	org.GET("/", s.handleOrgGeneralPage)
	org.POST("/", s.handleOrgUpdate)
	org.GET("/members/", s.handleMembersPage)
	org.POST("/members/", s.handleMemberAdd)
	org.POST("/members/:user/role/", s.handleMemberRoleChange)
	org.POST("/members/:user/remove/", s.handleMemberRemove)
	org.GET("/projects/", s.handleProjectsPage)
	org.POST("/projects/", s.handleProjectCreate)
	org.GET("/audit-log/", s.handleAuditLogPage)
	org.GET("/releases/", s.handleReleasesPage)

	// Organization auth tokens (SPEC 3.1-3.3): every member with org:read lists, creates and
	// renames; only owners and managers revoke.
	org.GET("/auth-tokens/", s.handleOrgTokensPage)
	org.GET("/auth-tokens/new-token/", s.handleOrgTokenNewPage)
	org.POST("/auth-tokens/new-token/", s.handleOrgTokenCreate)
	org.GET("/auth-tokens/:id/", s.handleOrgTokenEditPage)
	org.POST("/auth-tokens/:id/", s.handleOrgTokenRename)
	org.POST("/auth-tokens/:id/revoke/", s.handleOrgTokenRevoke, requireRole(core.Role.CanManageOrgTokens))

	// Developer Settings > Custom Integrations (SPEC 3.5): any member sees the list and the
	// settings; owners and managers create, edit and manage tokens; owners delete.
	org.GET("/developer-settings/", s.handleIntegrationsPage)
	org.GET("/developer-settings/new-internal/", s.handleIntegrationNewPage, requireIntegrationManager)
	org.POST("/developer-settings/new-internal/", s.handleIntegrationCreate, requireIntegrationManager)
	org.GET("/developer-settings/:slug/", s.handleIntegrationPage)
	org.POST("/developer-settings/:slug/", s.handleIntegrationUpdate, requireIntegrationManager)
	org.POST("/developer-settings/:slug/tokens/", s.handleIntegrationTokenCreate, requireIntegrationManager)
	org.POST("/developer-settings/:slug/tokens/:id/rotate/", s.handleIntegrationTokenRotate, requireIntegrationManager)
	org.POST("/developer-settings/:slug/tokens/:id/revoke/", s.handleIntegrationTokenRevoke, requireIntegrationManager)
	org.GET("/developer-settings/:slug/delete/", s.handleIntegrationDeletePage, requireIntegrationDeleter)
	org.POST("/developer-settings/:slug/delete/", s.handleIntegrationDelete, requireIntegrationDeleter)

	// The REST API. Bearer tokens or the session authenticate; CSRF applies to the session.
	api := e.Group("/api/0", s.sameOrigin, s.csrf(), s.apiAuthenticate)
	// Token management: session only, never a bearer token (SPEC 5).
	apiSession := api.Group("", sessionOnly)

	// User auth tokens (SPEC 5): /api/0/api-tokens/.
	apiSession.GET("/api-tokens/", s.handleAPIUserTokens)
	apiSession.POST("/api-tokens/", s.handleAPIUserTokenCreate)
	apiSession.GET("/api-tokens/:id/", s.handleAPIUserToken)
	apiSession.PUT("/api-tokens/:id/", s.handleAPIUserTokenUpdate)
	apiSession.DELETE("/api-tokens/:id/", s.handleAPIUserTokenDelete)

	// Organization auth tokens (SPEC 5).
	apiSession.GET("/organizations/:org/org-auth-tokens/", s.handleAPIOrgTokens)
	apiSession.POST("/organizations/:org/org-auth-tokens/", s.handleAPIOrgTokenCreate)
	apiSession.GET("/organizations/:org/org-auth-tokens/:id/", s.handleAPIOrgToken)
	apiSession.PUT("/organizations/:org/org-auth-tokens/:id/", s.handleAPIOrgTokenRename)
	apiSession.DELETE("/organizations/:org/org-auth-tokens/:id/", s.handleAPIOrgTokenRevoke)

	// Internal integration tokens (SPEC 5, Sentry's sentry-apps endpoints).
	apiSession.GET("/sentry-apps/:slug/api-tokens/", s.handleAPIIntegrationTokens)
	apiSession.POST("/sentry-apps/:slug/api-tokens/", s.handleAPIIntegrationTokenCreate)
	apiSession.DELETE("/sentry-apps/:slug/api-tokens/:id/", s.handleAPIIntegrationTokenRevoke)

	// Sentry's public API, the part real clients (sentry-cli) use. Bearer tokens of all three
	// kinds or the session; what each route and method requires is in apiRoutes
	// (api_scopes.go), applied by apiAuthorize.
	sentry := api.Group("", s.apiAuthorize)
	sentry.GET("/", s.handleAPIIndex)
	sentry.GET("/organizations/", s.handleAPIOrgs)
	sentry.GET("/organizations/:org/", s.handleAPIOrg)
	sentry.PUT("/organizations/:org/", s.handleAPIOrgUpdate)
	sentry.GET("/organizations/:org/projects/", s.handleAPIOrgProjects)
	sentry.GET("/organizations/:org/teams/", s.handleAPITeams)
	sentry.POST("/organizations/:org/teams/", s.handleAPITeamCreate)
	sentry.GET("/organizations/:org/members/", s.handleAPIMembers)
	sentry.POST("/teams/:org/:team/projects/", s.handleAPITeamProjectCreate)
	sentry.GET("/projects/:org/:project/", s.handleAPIProject)
	sentry.DELETE("/projects/:org/:project/", s.handleAPIProjectDelete)
	sentry.GET("/organizations/:org/releases/", s.handleAPIReleases)
	sentry.POST("/organizations/:org/releases/", s.handleAPIReleaseCreate)
	sentry.GET("/organizations/:org/releases/:version/", s.handleAPIRelease)
	sentry.PUT("/organizations/:org/releases/:version/", s.handleAPIReleaseUpdate)
	sentry.DELETE("/organizations/:org/releases/:version/", s.handleAPIReleaseDelete)
	sentry.GET("/projects/:org/:project/releases/", s.handleAPIProjectReleases)
	sentry.POST("/projects/:org/:project/releases/", s.handleAPIProjectReleaseCreate)
	sentry.GET("/projects/:org/:project/releases/:version/", s.handleAPIRelease)
	sentry.PUT("/projects/:org/:project/releases/:version/", s.handleAPIReleaseUpdate)
	sentry.DELETE("/projects/:org/:project/releases/:version/", s.handleAPIReleaseDelete)

	api.Any("/*", apiNotFound)
}

func skipTrailingSlash(path string) bool {
	return strings.HasPrefix(path, "/static/") || path == "/_health" || strings.HasSuffix(path, "/")
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
			_, err := c.Request().Cookie(s.cookieName)
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
