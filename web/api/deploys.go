package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Deploys (docs/CI-PROTOCOL.md, section 4): "sentry-cli deploys new" (or "releases deploys
// VERSION new") reports a release reaching an environment; "deploys list" lists them.

// apiDeploy is Sentry's deploy.
type apiDeploy struct {
	ID           string   `json:"id"`
	Environment  string   `json:"environment"`
	DateStarted  *isoTime `json:"dateStarted"`
	DateFinished isoTime  `json:"dateFinished"`
	Name         *string  `json:"name"`
	URL          *string  `json:"url"`
}

func deployJSON(d core.Deploy) apiDeploy {
	return apiDeploy{ID: idString(d.ID), Environment: d.Environment, DateStarted: isoPtr(d.DateStarted),
		DateFinished: isoTime(d.DateFinished), Name: nullable(d.Name), URL: nullable(d.URL)}
}

// Deploys answers GET /api/0/organizations/:org/releases/:version/deploys/, newest first.
func (s *Endpoints) Deploys(c echo.Context) error {
	ds, err := s.svc.CI.Deploys(c.Request().Context(), currentAPIOrg(c).Org.ID, pathParam(c, "version"))
	if err != nil {
		return apiErr(err)
	}
	out := make([]apiDeploy, len(ds))
	for i, d := range ds {
		out[i] = deployJSON(d)
	}
	return c.JSON(http.StatusOK, out)
}

// DeployCreate answers POST /api/0/organizations/:org/releases/:version/deploys/ with the new
// deploy (201); JSON nulls are absent fields, as sentry-cli sends them.
func (s *Endpoints) DeployCreate(c echo.Context) error {
	ctx, org := c.Request().Context(), currentAPIOrg(c).Org
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	n := core.NewDeploy{Environment: body.required("environment")}
	n.Name, _ = body.str("name")
	n.URL, _ = body.str("url")
	n.DateStarted = body.time("dateStarted").Value
	n.DateFinished = body.time("dateFinished").Value
	n.Projects = body.slugsOrIDs("projects")
	if err := body.err(); err != nil {
		return err
	}
	version := pathParam(c, "version")
	d, err := s.svc.CI.CreateDeploy(ctx, org.ID, version, n)
	if err != nil {
		return apiErr(err)
	}
	if r, err := s.svc.Releases.Release(ctx, org.ID, version); err == nil {
		s.recordReleaseProjectUse(c, r, n.Projects, core.ActionDeploy)
	}
	return c.JSON(http.StatusCreated, deployJSON(*d))
}
