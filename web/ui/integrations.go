package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// Developer Settings > Custom Integrations (SPEC 3.5). Any member sees the list and an
// integration's settings (read-only); owners and managers create and edit integrations and
// manage their tokens; only owners delete one. These gates give pages a clean 403; the
// service checks the same rules again inside its transactions.
var (
	RequireIntegrationManager = RequireRole(core.Role.CanManageIntegrations)
	RequireIntegrationDeleter = RequireRole(core.Role.CanDeleteIntegrations)
)

// integrationPage builds the chrome of a Custom Integrations screen.
func (s *Screens) integrationPage(c echo.Context, title string) views.Page {
	return s.page(c, title, views.NavIntegrations)
}

// IntegrationsPage answers GET /settings/:org/developer-settings/.
func (s *Screens) IntegrationsPage(c echo.Context) error {
	list, err := s.svc.Integrations.Integrations(c.Request().Context(), currentOrg(c).Org.ID)
	if err != nil {
		return err
	}
	v := views.IntegrationsView{NewURL: integrationsURL(c) + "new-internal/", Now: s.now()}
	for _, i := range list {
		v.Rows = append(v.Rows, views.IntegrationRow{Integration: i, URL: integrationURL(c, i.Slug), DeleteURL: integrationURL(c, i.Slug) + "delete/"})
	}
	return s.render(c, http.StatusOK, views.Integrations(s.integrationPage(c, "Custom Integrations"), v))
}

// integrationInputFromForm reads the create and edit form field by field. An error means a
// permission select sent a level its resource does not offer (only a forged form does).
func integrationInputFromForm(c echo.Context) (core.IntegrationInput, core.Permissions, error) {
	perms := permissionsFromForm(c)
	scopes, err := perms.Scopes()
	form, _ := c.FormParams()
	in := core.IntegrationInput{
		Name:            c.FormValue("name"),
		WebhookURL:      c.FormValue("webhook_url"),
		AlertRuleAction: c.FormValue("alert_rule_action") == "1",
		Events:          form["events"],
		Overview:        c.FormValue("overview"),
		Scopes:          scopes,
	}
	return in, perms, err
}

// IntegrationNewPage answers GET /settings/:org/developer-settings/new-internal/.
func (s *Screens) IntegrationNewPage(c echo.Context) error {
	v := integrationFormView(c, nil)
	v.Permissions = core.PermissionsFor(0)
	return s.render(c, http.StatusOK, views.IntegrationForm(s.integrationPage(c, "Create Internal Integration"), v))
}

// IntegrationCreate answers POST /settings/:org/developer-settings/new-internal/. The
// integration comes with its first token, shown once on the page this handler renders.
func (s *Screens) IntegrationCreate(c echo.Context) error {
	in, perms, err := integrationInputFromForm(c)
	if err == nil {
		// A resubmitted form (once.go) creates nothing: neither a second integration nor token.
		sub, first, cerr := s.claimSubmission(c)
		if cerr != nil || !first {
			return s.alreadyCreatedIntegration(c, cerr, integrationsURL(c), "Custom Integrations")
		}
		var i *core.Integration
		var plain string
		i, _, plain, err = s.svc.Integrations.CreateIntegration(c.Request().Context(), currentOrg(c).Org.ID, in)
		if err != nil {
			sub.release(s, c)
		}
		if err == nil {
			return s.renderIntegrationToken(c, i, plain, i.Name+" successfully created.")
		}
	}
	if !isInvalid(err) {
		return err
	}
	v := integrationFormView(c, nil)
	v.Input, v.Permissions, v.Errors = in, perms, formErrors(err)
	return s.render(c, http.StatusBadRequest, views.IntegrationForm(s.integrationPage(c, "Create Internal Integration"), v))
}

// renderIntegrationToken renders the one page that ever shows a new token's plaintext,
// directly from the POST that created it, never cached.
func (s *Screens) renderIntegrationToken(c echo.Context, i *core.Integration, plain, message string) error {
	request.NoStore(c)
	return s.render(c, http.StatusOK, views.IntegrationTokenCreated(s.integrationPage(c, i.Name),
		views.IntegrationTokenView{Integration: i, DoneURL: integrationURL(c, i.Slug), Message: message, Token: plain}))
}

// integrationView loads an integration's settings screen as stored: the form prefilled, and
// the tokens for those who may see them.
func (s *Screens) integrationView(c echo.Context) (views.IntegrationFormView, error) {
	ctx, o := c.Request().Context(), currentOrg(c)
	i, err := s.svc.Integrations.Integration(ctx, o.Org.ID, c.Param("slug"))
	if err != nil {
		return views.IntegrationFormView{}, err
	}
	v := integrationFormView(c, i)
	v.Input, v.Permissions, v.Now = i.Input(), core.PermissionsFor(i.Scopes), s.now()
	if o.Role.CanManageIntegrations() {
		var tokens []core.IntegrationToken
		tokens, err = s.svc.Integrations.IntegrationTokens(ctx, o.Org.ID, i.Slug)
		for _, t := range tokens {
			token := v.NewTokenURL + strconv.FormatInt(t.ID, 10) + "/"
			v.Tokens = append(v.Tokens, views.IntegrationTokenRow{Token: t, RotateURL: token + "rotate/", RevokeURL: token + "revoke/"})
		}
		if err != nil {
			return v, err
		}
		var exposed []core.IntegrationToken
		exposed, err = s.svc.ExposedTokens.RevokedExposedIntegrationTokens(ctx, o.Org.ID, i.Slug)
		for _, t := range exposed {
			masked := core.MaskToken(core.TokenIntegration, t.LastChars, false)
			v.RevokedExposed = append(v.RevokedExposed, revokedExposedRow("", "", masked, t.Exposure, t.RevokedAt))
		}
	}
	if refusal := core.CheckIntegrationTokenScopes(o.Role, i.Scopes); refusal != nil {
		v.TokenRefusal = core.ErrorMessage(refusal)
	}
	return v, err
}

// IntegrationPage answers GET /settings/:org/developer-settings/:slug/.
func (s *Screens) IntegrationPage(c echo.Context) error {
	v, err := s.integrationView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.IntegrationForm(s.integrationPage(c, v.Integration.Name), v))
}

// IntegrationUpdate answers POST /settings/:org/developer-settings/:slug/. A change that
// adds scopes is not saved at once: the form comes back with a warning naming them (every
// existing token would gain them) and saves when submitted again with that confirmation.
func (s *Screens) IntegrationUpdate(c echo.Context) error {
	v, err := s.integrationView(c)
	if err != nil {
		return err
	}
	current := v.Integration
	in, perms, err := integrationInputFromForm(c)
	v.Input, v.Permissions = in, perms
	if err == nil {
		added := in.Scopes.Expand().Minus(current.Scopes)
		if added != 0 && c.FormValue("confirm_raise") != views.RaiseConfirmation(added) {
			// Refuse now what saving would refuse, so that nobody confirms a change that fails.
			if err = v.Input.Validate(); err == nil {
				err = core.CheckIntegrationScopes(currentOrg(c).Role, current.Scopes, in.Scopes)
			}
			if err == nil {
				v.Raise = added
				return s.render(c, http.StatusOK, views.IntegrationForm(s.integrationPage(c, current.Name), v))
			}
		} else {
			var saved *core.Integration
			saved, err = s.svc.Integrations.UpdateIntegration(c.Request().Context(), currentOrg(c).Org.ID, current.Slug, in)
			if err == nil {
				return s.redirectWithFlash(c, c.Request().URL.Path, saved.Name+" successfully saved.")
			}
		}
	}
	if !isInvalid(err) {
		return err
	}
	v.Errors = formErrors(err)
	return s.render(c, http.StatusBadRequest, views.IntegrationForm(s.integrationPage(c, current.Name), v))
}

// IntegrationTokenCreate answers POST /settings/:org/developer-settings/:slug/tokens/:
// a new token, shown once with "Done".
func (s *Screens) IntegrationTokenCreate(c echo.Context) error {
	ctx, orgID := c.Request().Context(), currentOrg(c).Org.ID
	i, err := s.svc.Integrations.Integration(ctx, orgID, c.Param("slug"))
	if err != nil {
		return err
	}
	sub, first, err := s.claimSubmission(c) // a resubmitted New Token mints nothing (once.go)
	if err != nil || !first {
		return s.alreadyCreatedIntegration(c, err, integrationURL(c, i.Slug), i.Name)
	}
	_, plain, err := s.svc.Integrations.CreateIntegrationToken(ctx, orgID, i.Slug)
	if err != nil {
		sub.release(s, c)
	}
	if core.IsIntegrationTokenLimit(err) {
		s.flash(c, "error", core.MsgIntegrationTokenLimit)
		return c.Redirect(http.StatusSeeOther, integrationURL(c, i.Slug))
	} else if err != nil {
		return err
	}
	return s.renderIntegrationToken(c, i, plain, "Token successfully added.")
}

// integrationToken loads the integration of the path and its live token :id.
func (s *Screens) integrationToken(c echo.Context) (*core.Integration, *core.IntegrationToken, error) {
	id, err := request.PathID(c, "id", "The token does not exist.")
	if err != nil {
		return nil, nil, err
	}
	ctx, orgID := c.Request().Context(), currentOrg(c).Org.ID
	i, err := s.svc.Integrations.Integration(ctx, orgID, c.Param("slug"))
	if err != nil {
		return nil, nil, err
	}
	tokens, err := s.svc.Integrations.IntegrationTokens(ctx, orgID, i.Slug)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range tokens {
		if t.ID == id {
			return i, &t, nil
		}
	}
	return nil, nil, core.Errorf(core.ENOTFOUND, "The token does not exist.")
}

// IntegrationTokenRotate answers POST /settings/:org/developer-settings/:slug/tokens/:id/rotate/:
// after confirmation, the old token is revoked and its replacement shown once.
func (s *Screens) IntegrationTokenRotate(c echo.Context) error {
	i, t, err := s.integrationToken(c)
	if err != nil {
		return err
	}
	masked := core.MaskToken(core.TokenIntegration, t.LastChars, false)
	if ok, err := s.confirmed(c, views.NavIntegrations, views.ConfirmView{
		Heading: "Rotate Token", Message: views.RotateMessage(masked), ConfirmLabel: "Rotate", CancelURL: integrationURL(c, i.Slug),
	}); !ok {
		return err
	}
	_, plain, err := s.svc.Integrations.RotateIntegrationToken(c.Request().Context(), currentOrg(c).Org.ID, i.Slug, t.ID)
	if err != nil {
		return err
	}
	return s.renderIntegrationToken(c, i, plain, "Rotated "+masked+": it no longer works. Here is its replacement.")
}

// IntegrationTokenRevoke answers POST /settings/:org/developer-settings/:slug/tokens/:id/revoke/.
func (s *Screens) IntegrationTokenRevoke(c echo.Context) error {
	i, t, err := s.integrationToken(c)
	if err != nil {
		return err
	}
	masked := core.MaskToken(core.TokenIntegration, t.LastChars, false)
	if ok, err := s.confirmed(c, views.NavIntegrations, views.ConfirmView{
		Heading: "Revoke Token", Message: views.RevokeMessage(masked), ConfirmLabel: "Revoke", CancelURL: integrationURL(c, i.Slug),
	}); !ok {
		return err
	}
	if err := s.svc.Integrations.RevokeIntegrationToken(c.Request().Context(), currentOrg(c).Org.ID, i.Slug, t.ID); err != nil {
		return err
	}
	return s.redirectWithFlash(c, integrationURL(c, i.Slug), "Token successfully deleted.")
}

// IntegrationDeletePage answers GET /settings/:org/developer-settings/:slug/delete/.
func (s *Screens) IntegrationDeletePage(c echo.Context) error {
	i, err := s.svc.Integrations.Integration(c.Request().Context(), currentOrg(c).Org.ID, c.Param("slug"))
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.IntegrationDelete(s.integrationPage(c, "Delete Integration"),
		integrationDeleteView(c, i)))
}

// IntegrationDelete answers POST /settings/:org/developer-settings/:slug/delete/: the
// owner must have typed the slug, as in Sentry.
func (s *Screens) IntegrationDelete(c echo.Context) error {
	ctx, orgID := c.Request().Context(), currentOrg(c).Org.ID
	i, err := s.svc.Integrations.Integration(ctx, orgID, c.Param("slug"))
	if err != nil {
		return err
	}
	typed := c.FormValue("confirm")
	if strings.TrimSpace(typed) != i.Slug {
		v := integrationDeleteView(c, i)
		v.Confirm, v.Errors = typed, views.FieldErrors{"confirm": "Type " + i.Slug + " to confirm the deletion."}
		return s.render(c, http.StatusBadRequest, views.IntegrationDelete(s.integrationPage(c, "Delete Integration"), v))
	}
	if err := s.svc.Integrations.DeleteIntegration(ctx, orgID, i.Slug); err != nil {
		return err
	}
	return s.redirectWithFlash(c, integrationsURL(c),
		i.Slug+" successfully removed.")
}

// integrationsURL returns the Custom Integrations list of the request's organization.
func integrationsURL(c echo.Context) string {
	return orgURL(c, "developer-settings/")
}

// integrationURL returns the settings page of an integration of the request's organization.
func integrationURL(c echo.Context, slug string) string {
	return integrationsURL(c) + slug + "/"
}

// integrationFormView returns the settings form's view with its URLs: the create form's when
// i is nil.
func integrationFormView(c echo.Context, i *core.Integration) views.IntegrationFormView {
	v := views.IntegrationFormView{Integration: i, Action: integrationsURL(c) + "new-internal/", CancelURL: integrationsURL(c)}
	if i != nil {
		v.Action = integrationURL(c, i.Slug)
		v.NewTokenURL = v.Action + "tokens/"
	}
	v.Once = newOnceKey() // the create form's and New Token's one-time key (once.go)
	return v
}

// integrationDeleteView returns the delete confirmation's view with its URLs.
func integrationDeleteView(c echo.Context, i *core.Integration) views.IntegrationDeleteView {
	return views.IntegrationDeleteView{Integration: i, Action: integrationURL(c, i.Slug) + "delete/", CancelURL: integrationsURL(c)}
}
