package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// Rotation with an overlap window (issue 15), session only like the other token endpoints:
//
//	POST /api/0/organizations/:org/org-auth-tokens/:id/rotate/  {"overlap": "none"|"1h"|"24h"|"7d"}
//	POST /api/0/api-tokens/:id/rotate/                          {"overlap": …}
//
// Both answer 201 with the successor, its token (this once), and replacesId and
// replacedTokenStopsAt naming the old token and when it stops working. Without an overlap
// the old token stops at once.

// rotationJSON is what a rotation adds to the successor's shape.
type rotationJSON struct {
	ReplacesID           string    `json:"replacesId"`
	ReplacedTokenStopsAt time.Time `json:"replacedTokenStopsAt"`
}

// readOverlap reads {"overlap": …} ("none" when absent).
func readOverlap(c echo.Context) (time.Duration, error) {
	body, err := readJSON(c)
	if err != nil {
		return 0, err
	}
	v, ok := body.str("overlap")
	if err := body.err(); err != nil {
		return 0, err
	}
	if !ok || v == "" {
		v = "none"
	}
	return core.ParseOverlap(v)
}

// OrgTokenRotate answers POST /api/0/organizations/:org/org-auth-tokens/:id/rotate/: owners
// and managers, as for revoking.
func (s *Endpoints) OrgTokenRotate(c echo.Context) error {
	orgID, id, err := s.apiOrgTokenIDs(c)
	if err != nil {
		return err
	}
	overlap, err := readOverlap(c)
	if err != nil {
		return err
	}
	now := s.now()
	t, plaintext, err := s.svc.Rotation.RotateOrgToken(c.Request().Context(), orgID, id, overlap)
	if err != nil {
		return err
	}
	out := serializeOrgToken(t)
	out.Token = plaintext
	request.NoStore(c)
	return c.JSON(http.StatusCreated, struct {
		orgTokenJSON
		rotationJSON
	}{out, rotationJSON{strconv.FormatInt(id, 10), now.Add(overlap).UTC().Truncate(time.Second)}})
}

// UserTokenRotate answers POST /api/0/api-tokens/:id/rotate/.
func (s *Endpoints) UserTokenRotate(c echo.Context) error {
	id, err := userTokenID(c)
	if err != nil {
		return err
	}
	overlap, err := readOverlap(c)
	if err != nil {
		return err
	}
	now := s.now()
	t, plain, err := s.svc.Rotation.RotateUserToken(c.Request().Context(), id, overlap)
	if err != nil {
		return err
	}
	request.NoStore(c)
	return c.JSON(http.StatusCreated, struct {
		apiNewUserToken
		rotationJSON
	}{apiNewUserToken{apiUserToken: userTokenJSON(t), Token: plain}, rotationJSON{strconv.FormatInt(id, 10), now.Add(overlap).UTC().Truncate(time.Second)}})
}
