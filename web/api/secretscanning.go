package api

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// GitHub's secret-scanning partner protocol (issue 15): GitHub POSTs a JSON array of the
// tokens it found in public, signed with one of its published keys, and expects an array
// saying which were ours. No session and no CSRF apply (web mounts the route outside both);
// the signature is the credential. Errors answer {"details": …}, as Sentry's handler does.

// SecretScanningBodyLimit bounds a report's body; web mounts the route with this limit.
const SecretScanningBodyLimit = "256K"

// secretScanningActor names the reporter in the audit log.
const secretScanningActor = "GitHub secret scanning"

// exposureReportJSON is one entry of GitHub's report.
type exposureReportJSON struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

// SecretScanningGitHub answers POST /api/0/secret-scanning/github/: 400 for a wrong content
// type, a missing or wrong signature or a body that is not the expected array; otherwise 200
// with one {"token_hash", "token_type", "label"} per reported token.
func (s *Endpoints) SecretScanningGitHub(c echo.Context) error {
	mediaType, _, _ := mime.ParseMediaType(c.Request().Header.Get("Content-Type"))
	if mediaType != "application/json" {
		return c.JSON(http.StatusBadRequest, map[string]string{"details": "invalid content type"})
	}
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		// The body limit's error (413) passes through as it is.
		return err
	}
	keyID := c.Request().Header.Get("Github-Public-Key-Identifier")
	signature := c.Request().Header.Get("Github-Public-Key-Signature")
	if err := s.cfg.SecretScanningKeys.Verify(keyID, signature, body); err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"details": "invalid signature"})
	}
	var entries []exposureReportJSON
	if err := json.Unmarshal(body, &entries); err != nil {
		return c.JSON(http.StatusBadRequest, map[string]string{"details": "invalid payload"})
	}
	reports := make([]core.ExposureReport, len(entries))
	for i, e := range entries {
		reports[i] = core.ExposureReport{Token: e.Token, Type: e.Type, URL: e.URL, Source: e.Source}
	}
	ctx := core.WithActor(c.Request().Context(), core.Actor{System: secretScanningActor, IP: c.RealIP()})
	results, err := s.svc.Exposures.ReportExposedTokens(ctx, reports)
	if err != nil {
		return err
	}
	request.NoStore(c)
	return c.JSON(http.StatusOK, results)
}
