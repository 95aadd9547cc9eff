package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// The org auth token endpoints of the REST API (SPEC §5), session only: SessionOnly answers
// 401 without a session and 403 to any bearer token. Permissions are the service's: non-members
// get 404, billing 403, and only owners and managers may DELETE.

// orgTokenJSON is Sentry's OrgAuthToken serializer, plus expiresAt [beyond]. Token is present
// only in the response that creates the token.
type orgTokenJSON struct {
	ID                  string     `json:"id"`
	Name                string     `json:"name"`
	Scopes              []string   `json:"scopes"`
	TokenLastCharacters string     `json:"tokenLastCharacters"`
	DateCreated         time.Time  `json:"dateCreated"`
	DateLastUsed        *time.Time `json:"dateLastUsed"`
	ProjectLastUsedID   *string    `json:"projectLastUsedId"`
	ExpiresAt           *time.Time `json:"expiresAt"`
	Token               string     `json:"token,omitempty"`
}

func serializeOrgToken(t *core.OrgToken) orgTokenJSON {
	out := orgTokenJSON{
		ID:                  strconv.FormatInt(t.ID, 10),
		Name:                t.Name,
		Scopes:              t.Scopes.Names(),
		TokenLastCharacters: t.LastChars,
		DateCreated:         t.CreatedAt,
		DateLastUsed:        t.LastUsedAt,
		ExpiresAt:           t.ExpiresAt,
	}
	if t.LastUsedProjectID != 0 {
		id := strconv.FormatInt(t.LastUsedProjectID, 10)
		out.ProjectLastUsedID = &id
	}
	return out
}

// apiOrgID resolves the :org of an API path. Membership is the service's check, inside its
// transaction; an unknown slug is the same 404 as an organization one is not a member of.
func (s *Endpoints) apiOrgID(c echo.Context) (int64, error) {
	org, err := s.svc.Orgs.OrgBySlug(c.Request().Context(), c.Param("org"))
	if err != nil {
		return 0, err
	}
	return org.ID, nil
}

// OrgTokens answers GET /api/0/organizations/:org/org-auth-tokens/: the live tokens
// in Sentry's order, 100 per page with Sentry's Link header (Sentry returns them all at once).
func (s *Endpoints) OrgTokens(c echo.Context) error {
	orgID, err := s.apiOrgID(c)
	if err != nil {
		return err
	}
	page, err := apiPage(c)
	if err != nil {
		return err
	}
	// One look-ahead row says whether a next page exists.
	tokens, err := s.svc.OrgTokens.OrgTokens(c.Request().Context(), orgID, core.Page{Offset: page.Offset, Limit: page.Limit + 1})
	if err != nil {
		return err
	}
	hasNext := len(tokens) > page.Limit
	if hasNext {
		tokens = tokens[:page.Limit]
	}
	out := make([]orgTokenJSON, len(tokens))
	for i := range tokens {
		out[i] = serializeOrgToken(&tokens[i])
	}
	s.setLinkHeader(c, page, hasNext)
	return c.JSON(http.StatusOK, out)
}

// OrgTokenCreate answers POST /api/0/organizations/:org/org-auth-tokens/: 201 with
// the token, the only response that ever carries it. Without a name the token gets a
// generated one (core.GeneratedOrgTokenName).
func (s *Endpoints) OrgTokenCreate(c echo.Context) error {
	orgID, err := s.apiOrgID(c)
	if err != nil {
		return err
	}
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	name, _ := body.str("name")
	// expiresAt [beyond Sentry]: what an organization's "Maximum lifetime" policy asks for.
	expiresAt := body.time("expiresAt").Value
	if err := body.err(); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		name = core.GeneratedOrgTokenName(s.now())
	}
	t, plaintext, err := s.svc.OrgTokens.CreateOrgToken(c.Request().Context(), orgID, core.NewOrgToken{Name: name, ExpiresAt: expiresAt})
	if err != nil {
		return renameErrorField(err, "expiration", "expiresAt")
	}
	out := serializeOrgToken(t)
	out.Token = plaintext
	request.NoStore(c)
	return c.JSON(http.StatusCreated, out)
}

// OrgToken answers GET /api/0/organizations/:org/org-auth-tokens/:id/.
func (s *Endpoints) OrgToken(c echo.Context) error {
	orgID, id, err := s.apiOrgTokenIDs(c)
	if err != nil {
		return err
	}
	t, err := s.svc.OrgTokens.OrgToken(c.Request().Context(), orgID, id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, serializeOrgToken(t))
}

// OrgTokenRename answers PUT /api/0/organizations/:org/org-auth-tokens/:id/ with
// {"name": …}: 204, as Sentry.
func (s *Endpoints) OrgTokenRename(c echo.Context) error {
	orgID, id, err := s.apiOrgTokenIDs(c)
	if err != nil {
		return err
	}
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	name, _ := body.str("name")
	if err := body.err(); err != nil {
		return err
	}
	if _, err := s.svc.OrgTokens.RenameOrgToken(c.Request().Context(), orgID, id, name); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// OrgTokenRevoke answers DELETE /api/0/organizations/:org/org-auth-tokens/:id/:
// 204, owners and managers only.
func (s *Endpoints) OrgTokenRevoke(c echo.Context) error {
	orgID, id, err := s.apiOrgTokenIDs(c)
	if err != nil {
		return err
	}
	if err := s.svc.OrgTokens.RevokeOrgToken(c.Request().Context(), orgID, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiOrgTokenIDs resolves the :org and :id of a token's API path.
func (s *Endpoints) apiOrgTokenIDs(c echo.Context) (orgID, id int64, err error) {
	if orgID, err = s.apiOrgID(c); err != nil {
		return 0, 0, err
	}
	id, err = request.PathID(c, "id", "The requested resource does not exist.")
	return orgID, id, err
}
