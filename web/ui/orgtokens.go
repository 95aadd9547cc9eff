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

// Settings > Developer Settings > Auth Tokens: the organization auth tokens (SPEC §3.1–3.3).
// The routes sit behind RequireOrgSettings (non-members 404, billing 403); the service checks
// the role again inside its transaction, whatever the browser sent.

// orgTokenPageSize is how many tokens one page of the list shows.
const orgTokenPageSize = 50

// orgTokensPath is the list page of the request's organization.
func orgTokensPath(c echo.Context) string {
	return orgURL(c, "auth-tokens/")
}

// orgTokenPath is the edit page of one of the organization's tokens.
func orgTokenPath(c echo.Context, id int64) string {
	return orgTokensPath(c) + strconv.FormatInt(id, 10) + "/"
}

// orgTokenID reads the :id path parameter of an org token.
func orgTokenID(c echo.Context) (int64, error) {
	return request.PathID(c, "id", "The requested resource does not exist.")
}

// OrgTokensPage answers GET /settings/:org/auth-tokens/?page=N.
func (s *Screens) OrgTokensPage(c echo.Context) error {
	pageNo := pageNumber(c)
	// One row more than shown tells whether a next page exists without counting the tokens.
	tokens, err := s.svc.OrgTokens.OrgTokens(c.Request().Context(), currentOrg(c).Org.ID,
		core.Page{Offset: (pageNo - 1) * orgTokenPageSize, Limit: orgTokenPageSize + 1})
	if err != nil {
		return err
	}
	v := views.OrgTokensView{NewURL: orgTokensPath(c) + "new-token/", Now: s.now()}
	v.Pager, tokens = pager(c.Request().URL.Path, pageNo, orgTokenPageSize, tokens)
	for _, t := range tokens {
		row := views.OrgTokenRow{Token: t, EditURL: orgTokenPath(c, t.ID), RevokeURL: orgTokenPath(c, t.ID) + "revoke/",
			ExceedsPolicy: exceedsPolicy(currentOrg(c).Org.Policy, t.CreatedAt, t.ExpiresAt)}
		if currentOrg(c).Role.CanManageOrgTokens() {
			row.RotateURL = orgTokenPath(c, t.ID) + "rotate/"
		}
		v.Rows = append(v.Rows, row)
	}
	return s.render(c, http.StatusOK, views.OrgTokens(s.page(c, "Auth Tokens", views.NavAuthTokens), v))
}

// OrgTokenNewPage answers GET /settings/:org/auth-tokens/new-token/.
func (s *Screens) OrgTokenNewPage(c echo.Context) error {
	v := views.NewOrgTokenView{Action: c.Request().URL.Path, CancelURL: orgTokensPath(c), Expiration: core.ExpiryNever,
		MaxDays: currentOrg(c).Org.Policy.MaxTokenDays}
	return s.render(c, http.StatusOK, views.NewOrgToken(s.page(c, "Create New Auth Token", views.NavAuthTokens), v))
}

// OrgTokenCreate answers POST /settings/:org/auth-tokens/new-token/. It renders the one
// page that ever shows the new token, directly and uncached: the token never travels through
// a redirect, a flash, a cookie or a URL.
func (s *Screens) OrgTokenCreate(c echo.Context) error {
	name := c.FormValue("name")
	v := views.NewOrgTokenView{Action: c.Request().URL.Path, CancelURL: orgTokensPath(c), Name: name, Expiration: c.FormValue("expiration"), ExpirationDate: c.FormValue("expiration_date"),
		MaxDays: currentOrg(c).Org.Policy.MaxTokenDays}
	expires, err := s.expiryFromForm(c)
	var plaintext string
	if err == nil {
		_, plaintext, err = s.svc.OrgTokens.CreateOrgToken(c.Request().Context(), currentOrg(c).Org.ID,
			core.NewOrgToken{Name: name, ExpiresAt: expires})
	}
	if isInvalid(err) {
		v.Errors = formErrors(err)
		// A bad expiry stops before the name is checked: report both at once.
		if _, nameErr := core.ValidateTokenName(name, true); nameErr != nil {
			v.Errors["name"] = core.ErrorMessage(nameErr)
		}
		return s.render(c, http.StatusBadRequest, views.NewOrgToken(s.page(c, "Create New Auth Token", views.NavAuthTokens), v))
	} else if err != nil {
		return err
	}
	request.NoStore(c)
	reveal := views.TokenRevealView{Token: plaintext, DoneURL: orgTokensPath(c), DoneLabel: "I've saved it"}
	return s.render(c, http.StatusOK, views.OrgTokenCreated(s.page(c, "Create New Auth Token", views.NavAuthTokens), reveal))
}

// OrgTokenEditPage answers GET /settings/:org/auth-tokens/:id/.
func (s *Screens) OrgTokenEditPage(c echo.Context) error {
	id, err := orgTokenID(c)
	if err != nil {
		return err
	}
	t, err := s.svc.OrgTokens.OrgToken(c.Request().Context(), currentOrg(c).Org.ID, id)
	if err != nil {
		return err
	}
	v := views.EditOrgTokenView{Token: *t, Action: orgTokenPath(c, id), CancelURL: orgTokensPath(c), Name: t.Name, Now: s.now()}
	return s.render(c, http.StatusOK, views.EditOrgToken(s.page(c, "Edit Auth Token", views.NavAuthTokens), v))
}

// OrgTokenRename answers POST /settings/:org/auth-tokens/:id/: any member may rename.
func (s *Screens) OrgTokenRename(c echo.Context) error {
	id, err := orgTokenID(c)
	if err != nil {
		return err
	}
	ctx, orgID, name := c.Request().Context(), currentOrg(c).Org.ID, c.FormValue("name")
	_, err = s.svc.OrgTokens.RenameOrgToken(ctx, orgID, id, name)
	if isInvalid(err) {
		t, terr := s.svc.OrgTokens.OrgToken(ctx, orgID, id)
		if terr != nil {
			return terr
		}
		v := views.EditOrgTokenView{Token: *t, Action: orgTokenPath(c, id), CancelURL: orgTokensPath(c), Name: name, Errors: formErrors(err), Now: s.now()}
		return s.render(c, http.StatusBadRequest, views.EditOrgToken(s.page(c, "Edit Auth Token", views.NavAuthTokens), v))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, orgTokensPath(c), "Updated auth token.")
}

// OrgTokenRevoke answers POST /settings/:org/auth-tokens/:id/revoke/ (owners and
// managers; requireRole refuses the others before anything is shown). Without the dialog's
// confirmed=1 it renders the confirmation page instead of revoking.
func (s *Screens) OrgTokenRevoke(c echo.Context) error {
	id, err := orgTokenID(c)
	if err != nil {
		return err
	}
	ctx, orgID := c.Request().Context(), currentOrg(c).Org.ID
	t, err := s.svc.OrgTokens.OrgToken(ctx, orgID, id)
	if err != nil {
		return err
	}
	ok, err := s.confirmed(c, views.NavAuthTokens, views.ConfirmView{
		Heading:      "Revoke Auth Token",
		Message:      views.RevokeMessage(core.MaskToken(core.TokenOrg, t.LastChars, true)),
		ConfirmLabel: "Revoke",
		CancelURL:    orgTokensPath(c),
	})
	if !ok {
		return err
	}
	if err := s.svc.OrgTokens.RevokeOrgToken(ctx, orgID, id); err != nil {
		return err
	}
	return s.redirectWithFlash(c, orgTokensPath(c), "Revoked auth token for the organization.")
}

// exceedsPolicy reports whether a token created and expiring so would be refused by the
// organization's "Maximum lifetime" policy today: the list marks it, and leaves it working.
func exceedsPolicy(p core.TokenPolicy, createdAt time.Time, expiresAt *time.Time) bool {
	return p.CheckNewTokenLifetime(expiresAt, createdAt) != nil
}
