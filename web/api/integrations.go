package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// The internal-integration token endpoints of Sentry's API (SPEC 5), session only like
// Sentry's SentryInternalAppTokensEndpoint: a bearer token never mints or revokes tokens.

// integrationTokenJSON is Sentry's ApiToken serializer as /sentry-apps/{slug}/api-tokens/
// returns it for an internal integration: application, expiry, state and refresh token are
// always null, Token is present only in the response that created it, and DateLastUsed is
// tokenboard's addition.
type integrationTokenJSON struct {
	ID                  string     `json:"id"`
	Name                *string    `json:"name"`
	Scopes              []string   `json:"scopes"`
	Application         *struct{}  `json:"application"`
	ExpiresAt           *time.Time `json:"expiresAt"`
	DateCreated         time.Time  `json:"dateCreated"`
	DateLastUsed        *time.Time `json:"dateLastUsed"`
	State               *string    `json:"state"`
	TokenLastCharacters string     `json:"tokenLastCharacters"`
	RefreshToken        *string    `json:"refreshToken"`
	Token               string     `json:"token,omitempty"`
}

func newIntegrationTokenJSON(t core.IntegrationToken, plain string) integrationTokenJSON {
	return integrationTokenJSON{
		ID: strconv.FormatInt(t.ID, 10), Scopes: t.Scopes.Names(), DateCreated: t.CreatedAt,
		DateLastUsed: t.LastUsedAt, TokenLastCharacters: t.LastChars, Token: plain,
	}
}

// apiIntegration finds the integration named by :slug for a member of its organization.
func (s *Endpoints) apiIntegration(c echo.Context) (*core.Integration, error) {
	return s.svc.Integrations.IntegrationBySlug(c.Request().Context(), c.Param("slug"))
}

// IntegrationTokens answers GET /api/0/sentry-apps/:slug/api-tokens/ (owners and
// managers): the live tokens, without their values.
func (s *Endpoints) IntegrationTokens(c echo.Context) error {
	i, err := s.apiIntegration(c)
	if err != nil {
		return err
	}
	tokens, err := s.svc.Integrations.IntegrationTokens(c.Request().Context(), i.OrgID, i.Slug)
	if err != nil {
		return err
	}
	out := make([]integrationTokenJSON, len(tokens))
	for n, t := range tokens {
		out[n] = newIntegrationTokenJSON(t, "")
	}
	return c.JSON(http.StatusOK, out)
}

// IntegrationTokenCreate answers POST /api/0/sentry-apps/:slug/api-tokens/: 201 with
// the token, once. A 21st live token is refused as Sentry does: 403 whose body is the bare
// JSON string "Cannot generate more than 20 tokens for a single integration".
func (s *Endpoints) IntegrationTokenCreate(c echo.Context) error {
	i, err := s.apiIntegration(c)
	if err != nil {
		return err
	}
	t, plain, err := s.svc.Integrations.CreateIntegrationToken(c.Request().Context(), i.OrgID, i.Slug)
	if core.IsIntegrationTokenLimit(err) {
		return c.JSON(http.StatusForbidden, core.MsgIntegrationTokenLimit)
	} else if err != nil {
		return err
	}
	request.NoStore(c)
	return c.JSON(http.StatusCreated, newIntegrationTokenJSON(*t, plain))
}

// IntegrationTokenRevoke answers DELETE /api/0/sentry-apps/:slug/api-tokens/:id/: 204.
// A token of another integration, in this organization or another, is 404.
func (s *Endpoints) IntegrationTokenRevoke(c echo.Context) error {
	i, err := s.apiIntegration(c)
	if err != nil {
		return err
	}
	id, err := request.PathID(c, "id", "The token does not exist.")
	if err != nil {
		return err
	}
	if err := s.svc.Integrations.RevokeIntegrationToken(c.Request().Context(), i.OrgID, i.Slug, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
