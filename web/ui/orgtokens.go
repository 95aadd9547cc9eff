package ui

import (
	"net/http"
	"net/url"
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

// listPage is the page of the list a request came from (?page=N on the edit page, the rename
// and the revocation), so that the redirect afterwards returns there. 1 when absent.
func listPage(c echo.Context) int { return pageNumber(c) }

// withPage appends ?page=N to url for pages after the first.
func withPage(url string, pageNo int) string {
	if pageNo <= 1 {
		return url
	}
	return url + "?page=" + strconv.Itoa(pageNo)
}

// OrgTokensPage answers GET /settings/:org/auth-tokens/?page=N.
func (s *Screens) OrgTokensPage(c echo.Context) error {
	ctx, orgID, pageNo := c.Request().Context(), currentOrg(c).Org.ID, pageNumber(c)
	// One row more than shown tells whether a next page exists.
	tokens, err := s.svc.OrgTokens.OrgTokens(ctx, orgID,
		core.Page{Offset: (pageNo - 1) * orgTokenPageSize, Limit: orgTokenPageSize + 1})
	if err != nil {
		return err
	}
	total, err := s.svc.OrgTokens.CountOrgTokens(ctx, orgID)
	if err != nil {
		return err
	}
	if len(tokens) == 0 && pageNo > 1 && total > 0 {
		// The last token of the last page was revoked (or renamed away): show the new last page.
		return c.Redirect(http.StatusSeeOther, withPage(orgTokensPath(c), (total+orgTokenPageSize-1)/orgTokenPageSize))
	}
	projects, err := s.projectLinks(c, tokens)
	if err != nil {
		return err
	}
	v := views.OrgTokensView{NewURL: orgTokensPath(c) + "new-token/", Now: s.now()}
	v.Pager, tokens = pager(c.Request().URL.Path, pageNo, orgTokenPageSize, tokens)
	v.Pager.Summary = pagerSummary(pageNo, orgTokenPageSize, len(tokens), total)
	for _, t := range tokens {
		edit := orgTokenPath(c, t.ID)
		row := views.OrgTokenRow{
			Token: t, EditURL: withPage(edit, pageNo), RevokeURL: withPage(edit+"revoke/", pageNo),
			Project:       projects[t.LastUsedProjectID],
			ExceedsPolicy: exceedsPolicy(currentOrg(c).Org.Policy, t.CreatedAt, t.ExpiresAt),
		}
		if currentOrg(c).Role.CanManageOrgTokens() {
			row.RotateURL = edit + "rotate/"
		}
		v.Rows = append(v.Rows, row)
	}
	if pageNo == 1 {
		exposed, err := s.svc.ExposedTokens.RevokedExposedOrgTokens(ctx, orgID)
		if err != nil {
			return err
		}
		for _, t := range exposed {
			v.RevokedExposed = append(v.RevokedExposed, revokedExposedRow(t.Name, orgTokenPath(c, t.ID), orgTokenMask(t), t.Exposure, t.RevokedAt))
		}
	}
	return s.render(c, http.StatusOK, views.OrgTokens(s.page(c, "Auth Tokens", views.NavAuthTokens), v))
}

// orgTokenMask is an org token's mask as its list shows it, with the sntrys_ prefix.
func orgTokenMask(t core.OrgToken) string { return core.MaskToken(core.TokenOrg, t.LastChars, true) }

// revokedExposedRow is a row of a "Revoked after exposure" section. The readers of revoked
// tokens always set the exposure and the revocation time; a row missing either says so
// rather than failing the list.
func revokedExposedRow(name, url, masked string, exposure *core.TokenExposure, revokedAt *time.Time) views.RevokedExposedRow {
	r := views.RevokedExposedRow{Name: name, URL: url, Masked: masked}
	if exposure != nil {
		r.Exposure = *exposure
	}
	if revokedAt != nil {
		r.RevokedAt = *revokedAt
	}
	return r
}

// projectLinks names the projects the tokens were last used in, each linked to its releases,
// the project's page in tokenboard. Only when some token has such a project are the
// organization's projects read.
func (s *Screens) projectLinks(c echo.Context, tokens []core.OrgToken) (map[int64]views.ProjectLink, error) {
	links := map[int64]views.ProjectLink{}
	need := false
	for _, t := range tokens {
		need = need || t.LastUsedProjectID != 0
	}
	if !need {
		return links, nil
	}
	projects, err := s.svc.Orgs.Projects(c.Request().Context(), currentOrg(c).Org.ID)
	if err != nil {
		return nil, err
	}
	for _, pr := range projects {
		links[pr.ID] = views.ProjectLink{Name: pr.Name, URL: orgURL(c, "releases/?project="+url.QueryEscape(pr.Slug))}
	}
	return links, nil
}

// pagerSummary is "Showing 51–100 of 10,000"; "" for an empty page.
func pagerSummary(pageNo, size, shown, total int) string {
	if shown == 0 {
		return ""
	}
	first := (pageNo-1)*size + 1
	return "Showing " + thousands(first) + "–" + thousands(first+shown-1) + " of " + thousands(total)
}

// thousands writes n with comma separators, as Sentry's counts are.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// newOrgTokenView is the create form with a fresh one-time key.
func newOrgTokenView(c echo.Context) views.NewOrgTokenView {
	return views.NewOrgTokenView{Action: c.Request().URL.Path, CancelURL: orgTokensPath(c), Expiration: core.ExpiryNever, Once: newOnceKey(),
		MaxDays: currentOrg(c).Org.Policy.MaxTokenDays}
}

// OrgTokenNewPage answers GET /settings/:org/auth-tokens/new-token/.
func (s *Screens) OrgTokenNewPage(c echo.Context) error {
	v := newOrgTokenView(c)
	if draft, ok := s.restoreDraft(c); ok {
		v.Name = draft.Get("name")
		v.Expiration, v.ExpirationDate = firstNonEmpty(draft.Get("expiration"), v.Expiration), draft.Get("expiration_date")
	}
	return s.render(c, http.StatusOK, views.NewOrgToken(s.page(c, "Create New Auth Token", views.NavAuthTokens), v))
}

// OrgTokenCreate answers POST /settings/:org/auth-tokens/new-token/. It renders the one
// page that ever shows the new token, directly and uncached: the token never travels through
// a redirect, a flash, a cookie or a URL. The form's one-time key makes a resubmission (a
// reload of that page) answer "already created" instead of minting a second token.
func (s *Screens) OrgTokenCreate(c echo.Context) error {
	name := c.FormValue("name")
	v := newOrgTokenView(c)
	v.Name, v.Expiration, v.ExpirationDate = name, c.FormValue("expiration"), c.FormValue("expiration_date")
	expires, err := s.expiryFromForm(c)
	var plaintext string
	if err == nil {
		var sub *submission
		var first bool
		sub, first, err = s.claimSubmission(c)
		if err != nil {
			return err
		}
		if !first {
			return s.renderAlreadyCreated(c, "Create New Auth Token", views.NavAuthTokens,
				views.AlreadyCreatedView{ListURL: orgTokensPath(c), ListLabel: "Auth Tokens"})
		}
		_, plaintext, err = s.svc.OrgTokens.CreateOrgToken(c.Request().Context(), currentOrg(c).Org.ID,
			core.NewOrgToken{Name: name, ExpiresAt: expires})
		if err != nil {
			sub.release(s, c)
		}
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
	p := s.page(c, "Create New Auth Token", views.NavAuthTokens)
	p.Flash = &views.Flash{Kind: "success", Message: "Created auth token."}
	reveal := views.TokenRevealView{Token: plaintext, DoneURL: orgTokensPath(c), Heading: "Create New Auth Token"}
	return s.render(c, http.StatusOK, views.OrgTokenCreated(p, reveal))
}

// OrgTokenEditPage answers GET /settings/:org/auth-tokens/:id/.
func (s *Screens) OrgTokenEditPage(c echo.Context) error {
	id, err := orgTokenID(c)
	if err != nil {
		return err
	}
	t, err := s.svc.OrgTokens.OrgToken(c.Request().Context(), currentOrg(c).Org.ID, id)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return s.revokedExposedOrgTokenPage(c, id, err)
	}
	if err != nil {
		return err
	}
	back := listPage(c)
	v := views.EditOrgTokenView{Token: *t, Action: withPage(orgTokenPath(c, id), back), CancelURL: withPage(orgTokensPath(c), back), Name: t.Name, Now: s.now()}
	return s.render(c, http.StatusOK, views.EditOrgToken(s.page(c, "Edit Auth Token", views.NavAuthTokens), v))
}

// revokedExposedOrgTokenPage renders, read-only, an org token revoked because it was reported
// exposed: its page keeps the Exposed badge instead of answering 404. Any other token the
// live lookup did not find answers notFound, as before.
func (s *Screens) revokedExposedOrgTokenPage(c echo.Context, id int64, notFound error) error {
	t, err := s.svc.ExposedTokens.RevokedExposedOrgToken(c.Request().Context(), currentOrg(c).Org.ID, id)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return notFound
	} else if err != nil {
		return err
	}
	row := revokedExposedRow(t.Name, "", orgTokenMask(*t), t.Exposure, t.RevokedAt)
	v := views.RevokedExposedTokenView{Heading: "Revoked Auth Token", Name: t.Name, Masked: row.Masked, Scopes: t.Scopes,
		Exposure: row.Exposure, RevokedAt: row.RevokedAt, BackURL: withPage(orgTokensPath(c), listPage(c)), BackLabel: "Auth Tokens"}
	return s.render(c, http.StatusOK, views.RevokedExposedToken(s.page(c, "Revoked Auth Token", views.NavAuthTokens), v))
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
		back := listPage(c)
		v := views.EditOrgTokenView{Token: *t, Action: withPage(orgTokenPath(c, id), back), CancelURL: withPage(orgTokensPath(c), back), Name: name, Errors: formErrors(err), Now: s.now()}
		return s.render(c, http.StatusBadRequest, views.EditOrgToken(s.page(c, "Edit Auth Token", views.NavAuthTokens), v))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, withPage(orgTokensPath(c), listPage(c)), "Updated auth token.")
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
		CancelURL:    withPage(orgTokensPath(c), listPage(c)),
	})
	if !ok {
		return err
	}
	if err := s.svc.OrgTokens.RevokeOrgToken(ctx, orgID, id); err != nil {
		return err
	}
	return s.redirectWithFlash(c, withPage(orgTokensPath(c), listPage(c)), "Revoked auth token for the organization.")
}

// exceedsPolicy reports whether a token created and expiring so would be refused by the
// organization's "Maximum lifetime" policy today: the list marks it, and leaves it working.
func exceedsPolicy(p core.TokenPolicy, createdAt time.Time, expiresAt *time.Time) bool {
	return p.CheckNewTokenLifetime(expiresAt, createdAt) != nil
}
