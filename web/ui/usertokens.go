package ui

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// The Account > User Auth Tokens screens (SPEC 3.4). The service scopes every query to the
// signed-in user, so another user's token id answers 404 like one that never existed.

const userTokensPath = "/settings/account/api/auth-tokens/"

func userTokenPath(id int64) string { return userTokensPath + strconv.FormatInt(id, 10) + "/" }

// maskUserToken is how a user token shows everywhere after creation: no prefix (SPEC 2).
func maskUserToken(t *core.UserToken) string {
	return core.MaskToken(core.TokenUser, t.LastChars, false)
}

// userTokenID reads the :id path parameter of a user token.
func userTokenID(c echo.Context) (int64, error) {
	return request.PathID(c, "id", "Invalid token ID")
}

// UserTokensPage answers GET /settings/account/api/auth-tokens/.
func (s *Screens) UserTokensPage(c echo.Context) error {
	tokens, err := s.svc.UserTokens.UserTokens(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.UserTokensView{NewURL: userTokensPath + "new-token/", Now: s.now()}
	for _, t := range tokens {
		v.Rows = append(v.Rows, views.UserTokenRow{
			Token: t, Masked: maskUserToken(&t),
			EditURL: userTokenPath(t.ID), RevokeURL: userTokenPath(t.ID) + "revoke/", RotateURL: userTokenPath(t.ID) + "rotate/",
		})
	}
	exposed, err := s.svc.ExposedTokens.RevokedExposedUserTokens(c.Request().Context())
	if err != nil {
		return err
	}
	for _, t := range exposed {
		v.RevokedExposed = append(v.RevokedExposed, revokedExposedRow(t.Name, userTokenPath(t.ID), maskUserToken(&t), t.Exposure, t.RevokedAt))
	}
	return s.render(c, http.StatusOK, views.UserTokens(s.page(c, "User Auth Tokens", views.NavUserTokens), v))
}

// newUserTokenView is the empty create form.
func newUserTokenView() views.NewUserTokenView {
	return views.NewUserTokenView{
		Action: userTokensPath + "new-token/", CancelURL: userTokensPath,
		Permissions: core.Permissions{}, Expiration: core.ExpiryNever, Once: newOnceKey(),
	}
}

// UserTokenNewPage answers GET /settings/account/api/auth-tokens/new-token/.
func (s *Screens) UserTokenNewPage(c echo.Context) error {
	v := newUserTokenView()
	if draft, ok := s.restoreDraft(c); ok {
		v.Name = draft.Get("name")
		v.Expiration, v.ExpirationDate = firstNonEmpty(draft.Get("expiration"), v.Expiration), draft.Get("expiration_date")
		for _, res := range core.Resources {
			if level := draft.Get("perm-" + res.Key); level != "" {
				v.Permissions[res.Key] = core.AccessLevel(level)
			}
		}
	}
	s.withUserTokenPolicies(c, &v)
	return s.render(c, http.StatusOK, views.NewUserToken(s.page(c, "Create New Token", views.NavUserTokens), v))
}

// UserTokenCreate answers POST /settings/account/api/auth-tokens/new-token/. On success
// it renders the one-time display itself, with no-store: the token is in this response and
// nowhere else, never in a redirect, a flash or a cookie. On a validation error the form comes
// back with everything that was entered.
func (s *Screens) UserTokenCreate(c echo.Context) error {
	v := newUserTokenView()
	v.Name = c.FormValue("name")
	v.Permissions = permissionsFromForm(c)
	v.Expiration, v.ExpirationDate = c.FormValue("expiration"), c.FormValue("expiration_date")

	fields := views.FieldErrors{}
	scopes, err := v.Permissions.Scopes()
	mergeFieldErrors(fields, err)
	expiresAt, err := s.expiryFromForm(c)
	mergeFieldErrors(fields, err)
	if len(fields) == 0 {
		sub, first, err := s.claimSubmission(c)
		if err != nil {
			return err
		}
		if !first {
			return s.renderAlreadyCreated(c, "Create New Token", views.NavUserTokens,
				views.AlreadyCreatedView{ListURL: userTokensPath, ListLabel: "User Auth Tokens"})
		}
		t, plain, err := s.svc.UserTokens.CreateUserToken(c.Request().Context(),
			core.NewUserToken{Name: v.Name, Scopes: scopes, ExpiresAt: expiresAt})
		if err != nil {
			sub.release(s, c)
		}
		if err == nil {
			request.NoStore(c)
			reveal := views.TokenRevealView{Token: plain, DoneURL: userTokensPath}
			refusing := refusingOrgs(s.userTokenPolicyOrgs(c), t.CreatedAt, t.ExpiresAt)
			return s.render(c, http.StatusOK, views.UserTokenCreatedRefused(s.page(c, "Create New Token", views.NavUserTokens), reveal, refusing))
		}
		if !isInvalid(err) {
			return err
		}
		fields = formErrors(err)
	}
	v.Errors = fields
	s.withUserTokenPolicies(c, &v)
	return s.render(c, http.StatusBadRequest, views.NewUserToken(s.page(c, "Create New Token", views.NavUserTokens), v))
}

// mergeFieldErrors adds the messages of a validation error to fields; nil adds nothing.
func mergeFieldErrors(fields views.FieldErrors, err error) {
	if err == nil {
		return
	}
	for k, msg := range formErrors(err) {
		if _, ok := fields[k]; !ok {
			fields[k] = msg
		}
	}
}

// userTokenFromPath loads the signed-in user's token named by :id.
func (s *Screens) userTokenFromPath(c echo.Context) (*core.UserToken, error) {
	id, err := userTokenID(c)
	if err != nil {
		return nil, err
	}
	return s.svc.UserTokens.UserToken(c.Request().Context(), id)
}

func (s *Screens) renderEditUserToken(c echo.Context, status int, t *core.UserToken, name string, errs views.FieldErrors) error {
	v := views.EditUserTokenView{
		Token: *t, Masked: maskUserToken(t), Action: userTokenPath(t.ID), CancelURL: userTokensPath,
		Name: name, Errors: errs, Now: s.now(),
	}
	return s.render(c, status, views.EditUserToken(s.page(c, "Edit User Auth Token", views.NavUserTokens), v))
}

// UserTokenEditPage answers GET /settings/account/api/auth-tokens/:id/.
func (s *Screens) UserTokenEditPage(c echo.Context) error {
	t, err := s.userTokenFromPath(c)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return s.revokedExposedUserTokenPage(c, err)
	}
	if err != nil {
		return err
	}
	return s.renderEditUserToken(c, http.StatusOK, t, t.Name, nil)
}

// revokedExposedUserTokenPage renders, read-only, one of the user's tokens revoked because it
// was reported exposed, instead of 404; any other token the live lookup did not find answers
// notFound, as before.
func (s *Screens) revokedExposedUserTokenPage(c echo.Context, notFound error) error {
	id, err := userTokenID(c)
	if err != nil {
		return err
	}
	t, err := s.svc.ExposedTokens.RevokedExposedUserToken(c.Request().Context(), id)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return notFound
	} else if err != nil {
		return err
	}
	row := revokedExposedRow(t.Name, "", maskUserToken(t), t.Exposure, t.RevokedAt)
	v := views.RevokedExposedTokenView{Heading: "Revoked User Auth Token", Name: t.Name, Masked: row.Masked, Scopes: t.Scopes,
		Exposure: row.Exposure, RevokedAt: row.RevokedAt, BackURL: userTokensPath, BackLabel: "User Auth Tokens"}
	return s.render(c, http.StatusOK, views.RevokedExposedToken(s.page(c, "Revoked User Auth Token", views.NavUserTokens), v))
}

// UserTokenRename answers POST /settings/account/api/auth-tokens/:id/: only the name
// changes, and it may be cleared.
func (s *Screens) UserTokenRename(c echo.Context) error {
	t, err := s.userTokenFromPath(c)
	if err != nil {
		return err
	}
	name := c.FormValue("name")
	_, err = s.svc.UserTokens.RenameUserToken(c.Request().Context(), t.ID, name)
	if isInvalid(err) {
		return s.renderEditUserToken(c, http.StatusBadRequest, t, name, formErrors(err))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, userTokensPath, "Updated user auth token.")
}

// UserTokenRevoke answers POST /settings/account/api/auth-tokens/:id/revoke/, after the
// confirmation (the dialog, or the server's page without JavaScript).
func (s *Screens) UserTokenRevoke(c echo.Context) error {
	t, err := s.userTokenFromPath(c)
	if err != nil {
		return err
	}
	masked := maskUserToken(t)
	ok, err := s.confirmed(c, views.NavUserTokens, views.ConfirmView{
		Heading: "Remove Token", Message: views.RevokeMessage(masked),
		ConfirmLabel: "Remove", CancelURL: userTokensPath,
	})
	if !ok || err != nil {
		return err
	}
	if err := s.svc.UserTokens.RevokeUserToken(c.Request().Context(), t.ID); err != nil {
		return err
	}
	return s.redirectWithFlash(c, userTokensPath, "Removed token")
}
