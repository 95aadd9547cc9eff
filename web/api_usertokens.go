package web

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The /api/0/api-tokens/ endpoints (SPEC 5): the signed-in user's own tokens, in the shapes of
// Sentry's ApiToken serializer. They sit behind sessionOnly, so a bearer token can never list,
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

// handleAPIUserTokens answers GET /api/0/api-tokens/: the user's tokens, newest first.
func (s *Server) handleAPIUserTokens(c echo.Context) error {
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

// handleAPIUserTokenCreate answers POST /api/0/api-tokens/ with {"name"?, "scopes",
// "expiresAt"?}: 201 with the token, this once. Every invalid field is reported at once, as
// {"field": ["message"]}.
func (s *Server) handleAPIUserTokenCreate(c echo.Context) error {
	body, err := readJSONObject(c)
	if err != nil {
		return err
	}
	fields := map[string]string{}
	var n core.NewUserToken
	if raw, ok := body["name"]; ok && !isJSONNull(raw) {
		if json.Unmarshal(raw, &n.Name) != nil {
			fields["name"] = "Not a valid string."
		}
	}
	raw, ok := body["scopes"]
	if n.Scopes, err = scopesFromJSON(raw, ok); err != nil {
		fields["scopes"] = core.ErrorMessage(err)
	}
	if raw, ok := body["expiresAt"]; ok && !isJSONNull(raw) {
		var at time.Time
		if json.Unmarshal(raw, &at) != nil {
			fields["expiresAt"] = "Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
		} else {
			at = at.UTC()
			n.ExpiresAt = &at
		}
	}
	if len(fields) > 0 {
		return &core.Error{Code: core.EINVALID, Message: "Invalid request.", Fields: fields}
	}
	t, plain, err := s.svc.UserTokens.CreateUserToken(c.Request().Context(), n)
	if err != nil {
		// The service names the expiry after the form's field; the API's is expiresAt.
		return renameErrorField(err, "expiration", "expiresAt")
	}
	noStore(c)
	return c.JSON(http.StatusCreated, apiNewUserToken{apiUserToken: userTokenJSON(t), Token: plain})
}

// handleAPIUserToken answers GET /api/0/api-tokens/:id/.
func (s *Server) handleAPIUserToken(c echo.Context) error {
	t, err := s.userTokenFromPath(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userTokenJSON(t))
}

// handleAPIUserTokenUpdate answers PUT /api/0/api-tokens/:id/ with {"name": "..."}: 200 with
// the renamed token (never its value). Any other key is Sentry's 403: scopes are immutable.
func (s *Server) handleAPIUserTokenUpdate(c echo.Context) error {
	id, err := userTokenID(c)
	if err != nil {
		return err
	}
	body, err := readJSONObject(c)
	if err != nil {
		return err
	}
	for key := range body {
		if key != "name" {
			return c.JSON(http.StatusForbidden, map[string]string{"error": msgOnlyNameEditable})
		}
	}
	var name string
	raw, ok := body["name"]
	switch {
	case !ok:
		return core.FieldError("name", "This field is required.")
	case isJSONNull(raw):
		return core.FieldError("name", "This field may not be null.")
	case json.Unmarshal(raw, &name) != nil:
		return core.FieldError("name", "Not a valid string.")
	}
	t, err := s.svc.UserTokens.RenameUserToken(c.Request().Context(), id, name)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userTokenJSON(t))
}

// handleAPIUserTokenDelete answers DELETE /api/0/api-tokens/:id/: 204, and the token stops
// working at once.
func (s *Server) handleAPIUserTokenDelete(c echo.Context) error {
	id, err := userTokenID(c)
	if err != nil {
		return err
	}
	if err := s.svc.UserTokens.RevokeUserToken(c.Request().Context(), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// scopesFromJSON reads a "scopes" list with the messages of Django REST framework's
// MultipleChoiceField, which Sentry uses, except that an empty list is refused too: a token
// without scopes can do nothing.
func scopesFromJSON(raw json.RawMessage, present bool) (core.ScopeSet, error) {
	if !present {
		return 0, core.FieldError("scopes", "This field is required.")
	}
	if isJSONNull(raw) {
		return 0, core.FieldError("scopes", "This field may not be null.")
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return 0, core.FieldError("scopes", `Expected a list of items but got type "`+jsonType(raw)+`".`)
	}
	if len(items) == 0 {
		return 0, core.FieldError("scopes", "This list may not be empty.")
	}
	var set core.ScopeSet
	for _, item := range items {
		var name string
		if json.Unmarshal(item, &name) != nil {
			return 0, core.FieldError("scopes", `"`+string(item)+`" is not a valid choice.`)
		}
		sc, ok := core.ParseScope(name)
		if !ok {
			return 0, core.FieldError("scopes", `"`+name+`" is not a valid choice.`)
		}
		set = set.Union(core.NewScopeSet(sc))
	}
	return set, nil
}

// readJSONObject reads a request body that must be a JSON object, keeping each value raw so
// that handlers can tell a missing key from null and check types field by field.
func readJSONObject(c echo.Context) (map[string]json.RawMessage, error) {
	b, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return nil, err
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(b, &body); err != nil || body == nil {
		return nil, core.Errorf(core.EINVALID, "JSON parse error - the request body must be a JSON object.")
	}
	return body, nil
}

func isJSONNull(raw json.RawMessage) bool { return string(raw) == "null" }

// jsonType names a JSON value's type the way Python would for DRF's messages.
func jsonType(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "NoneType"
	}
	switch raw[0] {
	case '"':
		return "str"
	case '{':
		return "dict"
	case 't', 'f':
		return "bool"
	}
	return "int"
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
