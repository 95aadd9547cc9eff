package ui

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// Token policies (issue 15): a panel on the organization's settings page, editable by owners
// (the route's RequireRole and the service's rule both say so), read-only for the others.

// tokenPolicyView is the panel for the request's organization.
func tokenPolicyView(c echo.Context, p core.TokenPolicy) *views.TokenPolicyView {
	return &views.TokenPolicyView{Action: orgURL(c, "token-policies/"), Policy: p,
		Editable: core.RuleManageTokenPolicies.AllowsRole(currentOrg(c).Role)}
}

// TokenPolicyUpdate answers POST /settings/:org/token-policies/ (owners).
func (s *Screens) TokenPolicyUpdate(c echo.Context) error {
	p := core.TokenPolicy{RevokeExposed: c.FormValue("revoke_exposed") == "1"}
	// A value that is no number becomes -1, which Validate refuses with the others.
	var err error
	if p.MaxTokenDays, err = strconv.Atoi(c.FormValue("max_token_days")); err != nil {
		p.MaxTokenDays = -1
	}
	if p.MaxUserTokenDays, err = strconv.Atoi(c.FormValue("max_user_token_days")); err != nil {
		p.MaxUserTokenDays = -1
	}
	_, err = s.svc.Policies.UpdateTokenPolicy(c.Request().Context(), currentOrg(c).Org.ID, p)
	if isInvalid(err) {
		o := currentOrg(c)
		pv := tokenPolicyView(c, p)
		pv.Errors = formErrors(err)
		view := views.OrgGeneralView{Action: orgURL(c, ""), Name: o.Org.Name, Policies: pv}
		return s.render(c, http.StatusBadRequest, views.OrgGeneral(s.page(c, "Organization Settings", views.NavGeneral), view))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, orgURL(c, ""), "Saved the token policies.")
}

// userTokenPolicyOrgs returns the signed-in user's organizations whose policy bounds user
// tokens' lifetime, for the create form's warning.
func (s *Screens) userTokenPolicyOrgs(c echo.Context) []core.Org {
	u := request.User(c)
	if u == nil {
		return nil
	}
	ctx := c.Request().Context()
	ms, err := s.svc.Orgs.UserMemberships(ctx, u.ID)
	if err != nil {
		return nil // a warning, not the form: leave it out rather than fail the page
	}
	var out []core.Org
	for _, m := range ms {
		org, err := s.svc.Orgs.OrgByID(ctx, m.Org.ID)
		if err == nil && org.Policy.MaxUserTokenDays > 0 {
			out = append(out, *org)
		}
	}
	return out
}

// refusingOrgs are the organizations of orgs whose "Maximum lifetime of user tokens used in
// this organization" refuses a user token created at createdAt and expiring at expiresAt
// (nil: never).
func refusingOrgs(orgs []core.Org, createdAt time.Time, expiresAt *time.Time) []core.Org {
	var out []core.Org
	for _, o := range orgs {
		if o.Policy.UserTokenRefused(createdAt, expiresAt) {
			out = append(out, o)
		}
	}
	return out
}

// withUserTokenPolicies fills the create form's policy warning: the organizations that bound
// user tokens' lifetime, and those that would refuse the expiry the form holds. An expiry the
// form cannot parse yet (a custom date not filled in) warns of nothing: the form's own error
// says what is wrong with it.
func (s *Screens) withUserTokenPolicies(c echo.Context, v *views.NewUserTokenView) {
	v.PolicyOrgs = s.userTokenPolicyOrgs(c)
	now := s.now()
	if expiresAt, err := core.ParseExpiry(v.Expiration, v.ExpirationDate, now); err == nil {
		v.Refusing = refusingOrgs(v.PolicyOrgs, now, expiresAt)
	}
}
