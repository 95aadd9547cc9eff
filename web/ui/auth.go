package ui

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// Failed sign-ins allowed per 15 minutes, per account and per client IP.
const (
	maxLoginFailuresPerAccount = 10
	maxLoginFailuresPerIP      = 50
)

// Home answers GET /: the first organization's settings, or the sign-in page.
func (s *Screens) Home(c echo.Context) error {
	u := request.User(c)
	if u == nil {
		return c.Redirect(http.StatusSeeOther, "/auth/login/")
	}
	orgs, err := s.svc.Orgs.UserMemberships(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	var v views.HomeView
	for _, m := range orgs {
		if m.Role.CanSeeSettings() {
			return c.Redirect(http.StatusSeeOther, "/settings/"+m.Org.Slug+"/")
		}
		v.Limited = append(v.Limited, m)
	}
	return s.render(c, http.StatusOK, views.Home(s.page(c, "Welcome", ""), v))
}

// LoginPage answers GET /auth/login/.
func (s *Screens) LoginPage(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if request.User(c) != nil {
		return c.Redirect(http.StatusSeeOther, firstNonEmpty(next, "/"))
	}
	return s.render(c, http.StatusOK, views.Login(s.page(c, "Sign In", ""), views.LoginView{Next: next}))
}

// Login answers POST /auth/login/. A wrong password and an unknown email get the same
// message; repeated failures per account and per IP are refused for a while.
func (s *Screens) Login(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	next := localPath(c.FormValue("next"))
	view := views.LoginView{Email: email, Next: next}
	if len(email) > 254 {
		// No account has such an email; refusing it here also keeps the limiter's keys small.
		view.Email, view.Error = "", "Incorrect email or password."
		return s.render(c, http.StatusUnauthorized, views.Login(s.page(c, "Sign In", ""), view))
	}
	accountKey, ipKey := "account:"+strings.ToLower(email), "ip:"+c.RealIP()
	if s.logins.Blocked(accountKey, maxLoginFailuresPerAccount) || s.logins.Blocked(ipKey, maxLoginFailuresPerIP) {
		view.Error = "Too many failed sign-in attempts. Please try again in a few minutes."
		return s.render(c, http.StatusTooManyRequests, views.Login(s.page(c, "Sign In", ""), view))
	}
	// The attempt counts before the slow password check, so a burst of concurrent guesses
	// cannot all pass the Blocked check above; a success takes it back.
	s.logins.Fail(accountKey)
	s.logins.Fail(ipKey)
	u, err := s.svc.Users.Authenticate(c.Request().Context(), email, c.FormValue("password"))
	if core.ErrorCode(err) == core.EUNAUTHORIZED {
		view.Error = core.ErrorMessage(err)
		return s.render(c, http.StatusUnauthorized, views.Login(s.page(c, "Sign In", ""), view))
	} else if err != nil {
		return err
	}
	s.logins.Reset(accountKey)
	s.logins.Forgive(ipKey)
	if err := s.sessions.SignIn(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, firstNonEmpty(next, "/"))
}

// Logout answers POST /auth/logout/.
func (s *Screens) Logout(c echo.Context) error {
	if err := s.sessions.SignOut(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/auth/login/")
}

// RegisterPage answers GET /auth/register/.
func (s *Screens) RegisterPage(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if request.User(c) != nil {
		return c.Redirect(http.StatusSeeOther, firstNonEmpty(next, "/"))
	}
	return s.render(c, http.StatusOK, views.Register(s.page(c, "Create Account", ""), views.RegisterView{Next: next}))
}

// Register answers POST /auth/register/: creates the account and signs it in.
func (s *Screens) Register(c echo.Context) error {
	n := core.NewUser{Email: c.FormValue("email"), Name: c.FormValue("name"), Password: c.FormValue("password")}
	next := localPath(c.FormValue("next"))
	u, err := s.svc.Users.CreateUser(c.Request().Context(), n)
	if isInvalid(err) {
		view := views.RegisterView{Name: n.Name, Email: n.Email, Errors: formErrors(err), Next: next}
		return s.render(c, http.StatusBadRequest, views.Register(s.page(c, "Create Account", ""), view))
	} else if err != nil {
		return err
	}
	if err := s.sessions.SignIn(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, firstNonEmpty(next, "/organizations/new/"))
}

// InvitePage answers GET /accept-invite/:secret/: the invitation, or sign-up for it.
func (s *Screens) InvitePage(c echo.Context) error {
	inv, org, err := s.svc.Orgs.InviteBySecret(c.Request().Context(), c.Param("secret"))
	if err != nil {
		return err
	}
	self := c.Request().URL.Path
	if request.User(c) == nil {
		view := views.RegisterView{Email: inv.Email, InviteOrg: org.Name, Next: self}
		return s.render(c, http.StatusOK, views.Register(s.page(c, "Join "+org.Name, ""), view))
	}
	view := views.AcceptInviteView{OrgName: org.Name, Role: inv.Role.Label(), Action: self,
		InvitedEmail: inv.Email, UserEmail: request.User(c).Email}
	return s.render(c, http.StatusOK, views.AcceptInvite(s.page(c, "Join "+org.Name, ""), view))
}

// InviteAccept answers POST /accept-invite/:secret/. An invitation link works for any
// signed-in account, since people have more than one address; but when the account's email is
// not the one invited, the form must carry confirm_email set to the invited address, which
// the page asks for after showing both. A forwarded or leaked link is then not one click away
// from membership for whoever happens to be signed in.
func (s *Screens) InviteAccept(c echo.Context) error {
	ctx := c.Request().Context()
	inv, invOrg, err := s.svc.Orgs.InviteBySecret(ctx, c.Param("secret"))
	if err != nil {
		return err
	}
	if user := request.User(c); user != nil && !strings.EqualFold(inv.Email, user.Email) &&
		!strings.EqualFold(strings.TrimSpace(c.FormValue("confirm_email")), inv.Email) {
		view := views.AcceptInviteView{OrgName: invOrg.Name, Role: inv.Role.Label(), Action: c.Request().URL.Path,
			InvitedEmail: inv.Email, UserEmail: user.Email,
			Error: "Confirm that you want to join with this account: the invitation was sent to " + inv.Email + "."}
		return s.render(c, http.StatusBadRequest, views.AcceptInvite(s.page(c, "Join "+invOrg.Name, ""), view))
	}
	org, err := s.svc.Orgs.AcceptInvite(ctx, c.Param("secret"))
	if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/settings/"+org.Slug+"/", "You have joined "+org.Name+".")
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
