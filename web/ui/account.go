package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// AccountDetailsPage answers GET /settings/account/details/.
func (s *Screens) AccountDetailsPage(c echo.Context) error {
	u := request.User(c)
	p := s.page(c, "Account Details", views.NavDetails)
	return s.render(c, http.StatusOK, views.AccountDetails(p,
		views.AccountDetailsView{Name: u.Name, Email: u.Email, Theme: p.Theme}))
}

// ThemeUpdate answers POST /settings/account/details/theme/: the color theme, stored per
// user; every page after it renders in that theme.
func (s *Screens) ThemeUpdate(c echo.Context) error {
	theme := c.FormValue("theme")
	err := s.svc.Users.SetTheme(c.Request().Context(), theme)
	if isInvalid(err) {
		u := request.User(c)
		p := s.page(c, "Account Details", views.NavDetails)
		view := views.AccountDetailsView{Name: u.Name, Email: u.Email, Theme: p.Theme, ThemeErrors: formErrors(err)}
		return s.render(c, http.StatusBadRequest, views.AccountDetails(p, view))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/settings/account/details/", "Saved your theme.")
}

// AccountDetailsUpdate answers POST /settings/account/details/.
func (s *Screens) AccountDetailsUpdate(c echo.Context) error {
	name, email := c.FormValue("name"), c.FormValue("email")
	_, err := s.svc.Users.UpdateUserDetails(c.Request().Context(), name, email, c.FormValue("password"))
	if isInvalid(err) {
		p := s.page(c, "Account Details", views.NavDetails)
		view := views.AccountDetailsView{Name: name, Email: email, Theme: p.Theme, Errors: formErrors(err)}
		return s.render(c, http.StatusBadRequest, views.AccountDetails(p, view))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/settings/account/details/", "Saved your account details.")
}

// AccountSecurityPage answers GET /settings/account/security/.
func (s *Screens) AccountSecurityPage(c echo.Context) error {
	return s.renderSecurity(c, http.StatusOK, nil)
}

func (s *Screens) renderSecurity(c echo.Context, status int, errs views.FieldErrors) error {
	log, err := s.svc.Users.AccountLog(c.Request().Context(), core.Page{Limit: 50})
	if err != nil {
		return err
	}
	view := views.AccountSecurityView{Errors: errs, Log: log}
	return s.render(c, status, views.AccountSecurity(s.page(c, "Security", views.NavSecurity), view))
}

// PasswordChange answers POST /settings/account/security/. The session version moves
// on, so every other session is signed out; this one is renewed.
func (s *Screens) PasswordChange(c echo.Context) error {
	next := c.FormValue("new_password")
	if next != c.FormValue("verify_password") {
		return s.renderSecurity(c, http.StatusBadRequest, views.FieldErrors{"verify_password": "The passwords do not match."})
	}
	u, err := s.svc.Users.ChangePassword(c.Request().Context(), c.FormValue("current_password"), next)
	if isInvalid(err) {
		return s.renderSecurity(c, http.StatusBadRequest, formErrors(err))
	} else if err != nil {
		return err
	}
	if err := s.sessions.SignIn(c, u); err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/settings/account/security/", "Changed your password. Your other sessions are signed out.")
}
