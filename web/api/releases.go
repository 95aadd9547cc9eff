package api

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The release endpoints sentry-cli calls: "releases new" POSTs to the organization's list,
// "releases finalize" PUTs the release with a dateReleased, "releases list" GETs the
// organization's list, or the project's with -p. The project-scoped routes of older clients
// work the same, limited to their project.

// Releases answers GET /api/0/organizations/:org/releases/.
func (s *Endpoints) Releases(c echo.Context) error {
	return s.listReleases(c, 0)
}

// ProjectReleases answers GET /api/0/projects/:org/:project/releases/.
func (s *Endpoints) ProjectReleases(c echo.Context) error {
	p, err := s.apiProjectParam(c)
	if err != nil {
		return err
	}
	return s.listReleases(c, p.ID)
}

// listReleases answers a page of releases, newest first, with Sentry's Link header. The
// page's JSON is rendered once per cached page (core.ReleaseService.RenderedReleases): CI
// jobs list releases far more often than releases change.
func (s *Endpoints) listReleases(c echo.Context, projectID int64) error {
	page, err := apiPage(c)
	if err != nil {
		return err
	}
	// One row more than the page tells whether there is a next page.
	body, count, err := s.svc.Releases.RenderedReleases(c.Request().Context(), currentAPIOrg(c).Org.ID, projectID,
		core.Page{Offset: page.Offset, Limit: page.Limit + 1}, "api-json", func(rs []core.Release) ([]byte, error) {
			return releasesJSON(rs[:min(len(rs), page.Limit)])
		})
	if err != nil {
		return apiErr(err)
	}
	s.setLinkHeader(c, page, count > page.Limit)
	return c.JSONBlob(http.StatusOK, body)
}

// releasesJSON is the list's JSON, as Echo's c.JSON writes it.
func releasesJSON(rs []core.Release) ([]byte, error) {
	out := make([]apiRelease, len(rs))
	for i, r := range rs {
		out[i] = releaseJSON(r)
	}
	return jsonLine(out)
}

// ReleaseCreate answers POST /api/0/organizations/:org/releases/.
func (s *Endpoints) ReleaseCreate(c echo.Context) error {
	return s.createRelease(c, nil)
}

// ProjectReleaseCreate answers POST /api/0/projects/:org/:project/releases/: the
// release belongs to the URL's project (a "projects" field is ignored, as Sentry does).
func (s *Endpoints) ProjectReleaseCreate(c echo.Context) error {
	p, err := s.apiProjectParam(c)
	if err != nil {
		return err
	}
	return s.createRelease(c, p)
}

// createRelease creates a release, or adds projects to an existing one: 201 when created,
// 208 (Already Reported) when the version existed, as Sentry answers.
func (s *Endpoints) createRelease(c echo.Context, project *core.Project) error {
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	n := core.NewRelease{Version: body.required("version")}
	n.Ref, _ = body.str("ref")
	n.URL, _ = body.str("url")
	n.ReleasedAt = body.time("dateReleased").Value
	body.time("dateStarted") // accepted and checked, not kept: tokenboard has no sessions to start
	if project != nil {
		n.Projects = []string{project.Slug}
	} else {
		n.Projects = body.slugsOrIDs("projects")
	}
	relStatus, hasStatus := body.str("status")
	if err := body.err(); err != nil {
		return err
	}
	if hasStatus {
		return s.setReleaseStatus(c, n, relStatus)
	}
	r, created, err := s.svc.Releases.CreateRelease(c.Request().Context(), currentAPIOrg(c).Org.ID, n)
	if err != nil {
		return apiErr(err)
	}
	s.recordReleaseUse(c, r, n.Projects)
	status := http.StatusCreated
	if !created {
		status = http.StatusAlreadyReported
	}
	return c.JSON(status, releaseJSON(*r))
}

// setReleaseStatus archives or restores a release as sentry-cli does it: a POST to the list
// with the version, "status" and usually no projects. An existing release gets the status
// (and any projects named) and 208; an unknown one with no projects is a 404 ("Release not
// found"), with projects it is created with the status (201).
func (s *Endpoints) setReleaseStatus(c echo.Context, n core.NewRelease, status string) error {
	ctx, orgID := c.Request().Context(), currentAPIOrg(c).Org.ID
	u := core.ReleaseUpdate{Status: &status, AddProjects: n.Projects}
	created := false
	if _, err := s.svc.Releases.Release(ctx, orgID, n.Version); core.ErrorCode(err) == core.ENOTFOUND && len(n.Projects) > 0 {
		if _, created, err = s.svc.Releases.CreateRelease(ctx, orgID, n); err != nil {
			return apiErr(err)
		}
	} else if err != nil {
		return apiErr(err)
	}
	r, err := s.svc.Releases.UpdateRelease(ctx, orgID, n.Version, u)
	if err != nil {
		return apiErr(err)
	}
	s.recordReleaseUse(c, r, n.Projects)
	code := http.StatusAlreadyReported
	if created {
		code = http.StatusCreated
	}
	return c.JSON(code, releaseJSON(*r))
}

// apiReleaseParam loads the release a :version route names; on a project route it must
// belong to that project.
func (s *Endpoints) apiReleaseParam(c echo.Context) (*core.Release, *core.Project, error) {
	var project *core.Project
	if c.Param("project") != "" {
		var err error
		if project, err = s.apiProjectParam(c); err != nil {
			return nil, nil, err
		}
	}
	r, err := s.svc.Releases.Release(c.Request().Context(), currentAPIOrg(c).Org.ID, pathParam(c, "version"))
	if err != nil {
		return nil, nil, apiErr(err)
	}
	if project != nil && !r.HasProject(project.ID) {
		return nil, nil, core.Errorf(core.ENOTFOUND, msgNotFound)
	}
	return r, project, nil
}

// Release answers GET /api/0/organizations/:org/releases/:version/ and
// GET /api/0/projects/:org/:project/releases/:version/.
func (s *Endpoints) Release(c echo.Context) error {
	r, _, err := s.apiReleaseParam(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, releaseJSON(*r))
}

// ReleaseUpdate answers PUT /api/0/organizations/:org/releases/:version/ and its
// project-scoped twin: ref, url, dateReleased (how sentry-cli finalizes), and projects to add.
func (s *Endpoints) ReleaseUpdate(c echo.Context) error {
	r, project, err := s.apiReleaseParam(c)
	if err != nil {
		return err
	}
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	var u core.ReleaseUpdate
	if ref, ok := body.str("ref"); ok || body.has("ref") {
		u.Ref = &ref
	}
	if url, ok := body.str("url"); ok || body.has("url") {
		u.URL = &url
	}
	u.ReleasedAt = body.time("dateReleased")
	u.AddProjects = body.slugsOrIDs("projects")
	if status, ok := body.str("status"); ok {
		u.Status = &status
	}
	commits, hasCommits := body.commits("commits")
	refs, hasRefs := body.refs("refs")
	if err := body.err(); err != nil {
		return err
	}
	if hasCommits {
		if err := core.ValidateCommits(commits); err != nil {
			return err
		}
	}
	if hasRefs {
		if err := core.ValidateRefs(refs); err != nil {
			return err
		}
	}
	ctx := c.Request().Context()
	updated, err := s.svc.Releases.UpdateRelease(ctx, r.OrgID, r.Version, u)
	if err != nil {
		return apiErr(err)
	}
	action := core.ActionRelease
	// Commits replace the release's list; refs then name each repository's head commit, as
	// Sentry applies them (commits win when both are sent, refs only add heads).
	if hasCommits {
		if err := s.svc.CI.SetReleaseCommits(ctx, r.OrgID, r.Version, commits); err != nil {
			return apiErr(err)
		}
		action = core.ActionSetCommits
	}
	if hasRefs && len(refs) > 0 {
		if err := s.svc.CI.SetReleaseRefs(ctx, r.OrgID, r.Version, refs); err != nil {
			return apiErr(err)
		}
		action = core.ActionSetCommits
	}
	if hasCommits || hasRefs {
		if updated, err = s.svc.Releases.Release(ctx, r.OrgID, r.Version); err != nil {
			return apiErr(err)
		}
	}
	named := u.AddProjects
	if project != nil {
		named = []string{project.Slug}
	}
	s.recordReleaseProjectUse(c, updated, named, action)
	return c.JSON(http.StatusOK, releaseJSON(*updated))
}

// ReleaseDelete answers DELETE /api/0/organizations/:org/releases/:version/ and its
// project-scoped twin with 204.
func (s *Endpoints) ReleaseDelete(c echo.Context) error {
	r, _, err := s.apiReleaseParam(c)
	if err != nil {
		return err
	}
	if err := s.svc.Releases.DeleteRelease(c.Request().Context(), r.OrgID, r.Version); err != nil {
		return apiErr(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// recordReleaseUse notes, for an org token, the project it just created or updated a release
// in: its "last used in project". That is the first project the request named, or else the
// release's first.
func (s *Endpoints) recordReleaseUse(c echo.Context, r *core.Release, named []string) {
	s.recordReleaseProjectUse(c, r, named, core.ActionRelease)
}

// recordReleaseProjectUse notes, for an org token, an action on a release in the first
// project the request named, or else the release's first.
func (s *Endpoints) recordReleaseProjectUse(c echo.Context, r *core.Release, named []string, action core.TokenAction) {
	p := currentPrincipal(c)
	if p == nil || p.Kind != core.TokenOrg || len(r.Projects) == 0 {
		return
	}
	projectID := r.Projects[0].ID
	if len(named) > 0 {
		for _, rp := range r.Projects {
			if rp.Slug == named[0] || strconv.FormatInt(rp.ID, 10) == named[0] {
				projectID = rp.ID
				break
			}
		}
	}
	s.svc.Usage.RecordTokenUse(core.TokenUse{Kind: p.Kind, TokenID: p.TokenID, ProjectID: projectID,
		Action: action, At: s.now()})
}

// recordCIUse notes, for an org token, what it just did in a project ("last used in project"
// and the action the Auth Tokens list names).
func (s *Endpoints) recordCIUse(c echo.Context, projectID int64, action core.TokenAction) {
	p := currentPrincipal(c)
	if p == nil || p.Kind != core.TokenOrg || projectID == 0 {
		return
	}
	s.svc.Usage.RecordTokenUse(core.TokenUse{Kind: p.Kind, TokenID: p.TokenID, ProjectID: projectID, Action: action, At: s.now()})
}
