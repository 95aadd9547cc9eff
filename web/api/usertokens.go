package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// The /api/0/api-tokens/ endpoints (SPEC 5): the signed-in user's own tokens, in the shapes of
// Sentry's ApiToken serializer. They sit behind SessionOnly, so a bearer token can never list,
// mint, rename or revoke tokens.

// msgOnlyNameEditable is Sentry's 403 for a PUT that tries to change anything but the name.
const msgOnlyNameEditable = "Only auth token name can be edited after creation"

// apiUserToken is Sentry's ApiToken serializer output for a personal token (application and
// state are always null), plus dateLastUsed, which Sentry does not track for these tokens.
type apiUserToken struct {
	ID                  string     `json:"id"`
	Scopes              []string   `json:"scopes"`
	Name                string     `json:"name"`
	Application         any        `json:"application"`
	ExpiresAt           *time.Time `json:"expiresAt"`
	DateCreated         time.Time  `json:"dateCreated"`
	State               any        `json:"state"`
	TokenLastCharacters string     `json:"tokenLastCharacters"`
	DateLastUsed        *time.Time `json:"dateLastUsed"`
}

// apiNewUserToken is the creation response: the only one that carries the token, with
// Sentry's refreshToken, which personal tokens never have.
type apiNewUserToken struct {
	apiUserToken
	Token        string  `json:"token"`
	RefreshToken *string `json:"refreshToken"`
}

func userTokenJSON(t *core.UserToken) apiUserToken {
	return apiUserToken{
		ID:                  strconv.FormatInt(t.ID, 10),
		Scopes:              t.Scopes.Names(),
		Name:                t.Name,
		ExpiresAt:           t.ExpiresAt,
		DateCreated:         t.CreatedAt,
		TokenLastCharacters: t.LastChars,
		DateLastUsed:        t.LastUsedAt,
	}
}

// UserTokens answers GET /api/0/api-tokens/: the user's tokens, newest first.
func (s *Endpoints) UserTokens(c echo.Context) error {
	tokens, err := s.svc.UserTokens.UserTokens(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiUserToken, 0, len(tokens))
	for i := range tokens {
		out = append(out, userTokenJSON(&tokens[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// UserTokenCreate answers POST /api/0/api-tokens/ with {"name"?, "scopes",
// "expiresAt"?}: 201 with the token, this once. Every invalid field is reported at once, as
// {"field": ["message"]}.
func (s *Endpoints) UserTokenCreate(c echo.Context) error {
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	var n core.NewUserToken
	n.Name, _ = body.str("name")
	n.Scopes = body.scopes("scopes")
	n.ExpiresAt = body.time("expiresAt").Value
	if err := body.err(); err != nil {
		return err
	}
	t, plain, err := s.svc.UserTokens.CreateUserToken(c.Request().Context(), n)
	if err != nil {
		// The service names the expiry after the form's field; the API's is expiresAt.
		return renameErrorField(err, "expiration", "expiresAt")
	}
	request.NoStore(c)
	return c.JSON(http.StatusCreated, apiNewUserToken{apiUserToken: userTokenJSON(t), Token: plain})
}

// UserToken answers GET /api/0/api-tokens/:id/.
func (s *Endpoints) UserToken(c echo.Context) error {
	id, err := userTokenID(c)
	if err != nil {
		return err
	}
	t, err := s.svc.UserTokens.UserToken(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userTokenJSON(t))
}

// UserTokenUpdate answers PUT /api/0/api-tokens/:id/ with {"name": "..."}: 200 with
// the renamed token (never its value). Any other key is Sentry's 403: scopes are immutable.
func (s *Endpoints) UserTokenUpdate(c echo.Context) error {
	id, err := userTokenID(c)
	if err != nil {
		return err
	}
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	for key := range body.fields {
		if key != "name" {
			return c.JSON(http.StatusForbidden, map[string]string{"error": msgOnlyNameEditable})
		}
	}
	name := body.required("name")
	if err := body.err(); err != nil {
		return err
	}
	t, err := s.svc.UserTokens.RenameUserToken(c.Request().Context(), id, name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userTokenJSON(t))
}

// UserTokenDelete answers DELETE /api/0/api-tokens/:id/: 204, and the token stops
// working at once.
func (s *Endpoints) UserTokenDelete(c echo.Context) error {
	id, err := userTokenID(c)
	if err != nil {
		return err
	}
	if err := s.svc.UserTokens.RevokeUserToken(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// renameErrorField moves a validation message from one field name to another.
func renameErrorField(err error, from, to string) error {
	msg, ok := core.ErrorFields(err)[from]
	if !ok {
		return err
	}
	fields := map[string]string{to: msg}
	for k, v := range core.ErrorFields(err) {
		if k != from {
			fields[k] = v
		}
	}
	return &core.Error{Code: core.ErrorCode(err), Message: core.ErrorMessage(err), Fields: fields}
}

// userTokenID reads the :id path parameter of a user token, with the screens' message.
func userTokenID(c echo.Context) (int64, error) {
	return request.PathID(c, "id", "Invalid token ID")
}
