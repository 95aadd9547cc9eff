package web

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
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
	app := e.Group("", s.csrf(), s.loadActor)
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

	// The REST API. Bearer tokens or the session authenticate; CSRF applies to the session.
	api := e.Group("/api/0", s.csrf(), s.apiAuthenticate)
	// Token management: session only, never a bearer token (SPEC 5).
	apiSession := api.Group("", sessionOnly)
	_ = apiSession

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

// csrf protects every unsafe request that a browser could be tricked into sending. Echo's
// middleware accepts a request whose Sec-Fetch-Site says same-origin, and otherwise requires
// the token from the form or the X-CSRF-Token header; cross-site requests are refused.
// API requests that carry no session cookie (bearer tokens, or no credentials at all, which
// then get the API's 401) have no ambient credentials to abuse and skip it.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper: func(c echo.Context) bool {
			if !strings.HasPrefix(c.Request().URL.Path, "/api/") {
				return false
			}
			if _, bearer, _ := bearerToken(c.Request().Header.Get("Authorization")); bearer {
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
