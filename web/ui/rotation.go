package ui

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// Rotate with an overlap window (issue 15): a form choosing the overlap, then the one page that
// shows the successor. Org tokens: owners and managers (the route's RequireRole, and the
// service again); user tokens: their user.

const rotateOrgTokenHeading, rotateUserTokenHeading = "Rotate Auth Token", "Rotate Token"

// OrgTokenRotatePage answers GET /settings/:org/auth-tokens/:id/rotate/.
func (s *Screens) OrgTokenRotatePage(c echo.Context) error {
	id, err := orgTokenID(c)
	if err != nil {
		return err
	}
	t, err := s.svc.OrgTokens.OrgToken(c.Request().Context(), currentOrg(c).Org.ID, id)
	if err != nil {
		return err
	}
	v := views.RotateTokenView{Heading: rotateOrgTokenHeading, Masked: core.MaskToken(core.TokenOrg, t.LastChars, true),
		Name: t.Name, Action: orgTokenPath(c, id) + "rotate/", CancelURL: orgTokensPath(c), Overlap: "24h"}
	return s.render(c, http.StatusOK, views.RotateToken(s.page(c, rotateOrgTokenHeading, views.NavAuthTokens), v))
}

// OrgTokenRotate answers POST /settings/:org/auth-tokens/:id/rotate/.
func (s *Screens) OrgTokenRotate(c echo.Context) error {
	id, err := orgTokenID(c)
	if err != nil {
		return err
	}
	ctx, orgID := c.Request().Context(), currentOrg(c).Org.ID
	overlap, err := core.ParseOverlap(c.FormValue("overlap"))
	var plaintext string
	if err == nil {
		_, plaintext, err = s.svc.Rotation.RotateOrgToken(ctx, orgID, id, overlap)
	}
	if isInvalid(err) || core.ErrorCode(err) == core.ECONFLICT {
		t, terr := s.svc.OrgTokens.OrgToken(ctx, orgID, id)
		if terr != nil {
			return terr
		}
		v := views.RotateTokenView{Heading: rotateOrgTokenHeading, Masked: core.MaskToken(core.TokenOrg, t.LastChars, true),
			Name: t.Name, Action: orgTokenPath(c, id) + "rotate/", CancelURL: orgTokensPath(c), Overlap: c.FormValue("overlap"),
			Errors: rotationErrors(err)}
		return s.render(c, http.StatusBadRequest, views.RotateToken(s.page(c, rotateOrgTokenHeading, views.NavAuthTokens), v))
	} else if err != nil {
		return err
	}
	request.NoStore(c)
	reveal := views.TokenRevealView{Token: plaintext, DoneURL: orgTokensPath(c)}
	return s.render(c, http.StatusOK, views.TokenRotated(s.page(c, rotateOrgTokenHeading, views.NavAuthTokens), rotateOrgTokenHeading, reveal))
}

// UserTokenRotatePage answers GET /settings/account/api/auth-tokens/:id/rotate/.
func (s *Screens) UserTokenRotatePage(c echo.Context) error {
	t, err := s.userTokenFromPath(c)
	if err != nil {
		return err
	}
	v := views.RotateTokenView{Heading: rotateUserTokenHeading, Masked: maskUserToken(t), Name: t.Name,
		Action: userTokenPath(t.ID) + "rotate/", CancelURL: userTokensPath, Overlap: "24h"}
	return s.render(c, http.StatusOK, views.RotateToken(s.page(c, rotateUserTokenHeading, views.NavUserTokens), v))
}

// UserTokenRotate answers POST /settings/account/api/auth-tokens/:id/rotate/.
func (s *Screens) UserTokenRotate(c echo.Context) error {
	t, err := s.userTokenFromPath(c)
	if err != nil {
		return err
	}
	overlap, err := core.ParseOverlap(c.FormValue("overlap"))
	var plain string
	if err == nil {
		_, plain, err = s.svc.Rotation.RotateUserToken(c.Request().Context(), t.ID, overlap)
	}
	if isInvalid(err) || core.ErrorCode(err) == core.ECONFLICT {
		v := views.RotateTokenView{Heading: rotateUserTokenHeading, Masked: maskUserToken(t), Name: t.Name,
			Action: userTokenPath(t.ID) + "rotate/", CancelURL: userTokensPath, Overlap: c.FormValue("overlap"),
			Errors: rotationErrors(err)}
		return s.render(c, http.StatusBadRequest, views.RotateToken(s.page(c, rotateUserTokenHeading, views.NavUserTokens), v))
	} else if err != nil {
		return err
	}
	request.NoStore(c)
	reveal := views.TokenRevealView{Token: plain, DoneURL: userTokensPath}
	return s.render(c, http.StatusOK, views.TokenRotated(s.page(c, rotateUserTokenHeading, views.NavUserTokens), rotateUserTokenHeading, reveal))
}

// rotationErrors puts a rotation's refusal on the form: by field, or at the top.
func rotationErrors(err error) views.FieldErrors {
	errs := formErrors(err)
	if len(errs) == 0 {
		errs = views.FieldErrors{"_": core.ErrorMessage(err)}
	}
	return errs
}
