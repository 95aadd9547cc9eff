package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/request"
)

// The organization, team, member and project endpoints of Sentry's API. Authorize has
// checked the caller's scopes (apiRoutes) and loaded the organization before any runs.

// Index answers GET /api/0/: who the credentials speak for. Sentry answers 200 even
// without credentials ("auth": null, "user": null); a session has a user but no token, so
// "auth" is null for it too. sentry-cli's "info" reads this.
func (s *Endpoints) Index(c echo.Context) error {
	body := apiIndex{Version: "0"}
	if p := currentPrincipal(c); p != nil {
		body.Auth = &apiAuthInfo{Scopes: p.Scopes.Names()}
	}
	if u := request.User(c); u != nil {
		body.User = userJSON(u)
	}
	return c.JSON(http.StatusOK, body)
}

// callerOrgs returns the organizations the caller belongs to: a user's (session or user
// token) memberships, or an org or integration token's own organization.
func (s *Endpoints) callerOrgs(c echo.Context) ([]core.Org, error) {
	ctx := c.Request().Context()
	if p := currentPrincipal(c); p != nil && p.User == nil {
		org, err := s.svc.Orgs.OrgByID(ctx, p.OrgID)
		if err != nil {
			return nil, err
		}
		return []core.Org{*org}, nil
	}
	ms, err := s.svc.Orgs.UserMemberships(ctx, request.User(c).ID)
	if err != nil {
		return nil, err
	}
	orgs := make([]core.Org, 0, len(ms))
	for _, m := range ms {
		orgs = append(orgs, m.Org)
	}
	return orgs, nil
}

// Orgs answers GET /api/0/organizations/: the caller's organizations (an
// integration token's own).
func (s *Endpoints) Orgs(c echo.Context) error {
	orgs, err := s.callerOrgs(c)
	if err != nil {
		return err
	}
	return paginate(s, c, orgs, func(o core.Org) apiOrg { return s.orgJSON(&o) })
}

// Org answers GET /api/0/organizations/:org/.
func (s *Endpoints) Org(c echo.Context) error {
	o := currentAPIOrg(c)
	key := orgDetailKey{*o.Org, o.Scopes, o.Role}
	body, ok := s.orgDetails.Get(key)
	if !ok {
		var err error
		if body, err = jsonLine(s.orgDetailJSON(o)); err != nil {
			return err
		}
		s.orgDetails.Put(key, body, maxOrgDetails)
	}
	return c.JSONBlob(http.StatusOK, body)
}

// maxOrgDetails bounds the organization details kept: one per organization, role and scope
// set in use.
const maxOrgDetails = 1024

// orgDetailKey is everything the organization's detail reads: the organization as loaded,
// and the caller's scopes and role in it. Equal keys give equal answers, and a rename or a
// demotion is a new key, so a kept detail is never stale.
type orgDetailKey struct {
	org    core.Org
	scopes core.ScopeSet
	role   core.Role
}

// OrgUpdate answers PUT /api/0/organizations/:org/: renames the organization.
// tokenboard's slugs never change, so a different slug is refused rather than ignored.
func (s *Endpoints) OrgUpdate(c echo.Context) error {
	o := currentAPIOrg(c)
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	name, hasName := body.str("name")
	if slug, ok := body.str("slug"); ok && slug != o.Org.Slug {
		body.errs["slug"] = "The slug cannot be changed."
	}
	if err := body.err(); err != nil {
		return err
	}
	if hasName {
		org, err := s.svc.Orgs.UpdateOrg(c.Request().Context(), o.Org.ID, name)
		if err != nil {
			return apiErr(err)
		}
		o.Org = org
	}
	return c.JSON(http.StatusOK, s.orgDetailJSON(o))
}

// Members answers GET /api/0/organizations/:org/members/.
func (s *Endpoints) Members(c echo.Context) error {
	members, err := s.svc.Orgs.Members(c.Request().Context(), currentAPIOrg(c).Org.ID)
	if err != nil {
		return err
	}
	return paginate(s, c, members, memberJSON)
}

// Teams answers GET /api/0/organizations/:org/teams/.
func (s *Endpoints) Teams(c echo.Context) error {
	teams, err := s.svc.Orgs.Teams(c.Request().Context(), currentAPIOrg(c).Org.ID)
	if err != nil {
		return err
	}
	return paginate(s, c, teams, teamJSON)
}

// TeamCreate answers POST /api/0/organizations/:org/teams/ with the new team (201).
func (s *Endpoints) TeamCreate(c echo.Context) error {
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	name, _ := body.str("name")
	slug, _ := body.str("slug")
	if name == "" && slug == "" {
		body.errs["name"] = "This field is required."
	}
	if name == "" {
		name = slug
	}
	if err := body.err(); err != nil {
		return err
	}
	team, err := s.svc.Orgs.CreateTeam(c.Request().Context(), currentAPIOrg(c).Org.ID, slug, name)
	if err != nil {
		return apiErr(err)
	}
	return c.JSON(http.StatusCreated, teamJSON(*team))
}

// OrgProjects answers GET /api/0/organizations/:org/projects/ (sentry-cli's
// "projects list"), by slug.
func (s *Endpoints) OrgProjects(c echo.Context) error {
	ctx, orgID := c.Request().Context(), currentAPIOrg(c).Org.ID
	projects, err := s.svc.Orgs.Projects(ctx, orgID)
	if err != nil {
		return err
	}
	teams, err := s.svc.Orgs.Teams(ctx, orgID)
	if err != nil {
		return err
	}
	return paginate(s, c, projects, func(p core.Project) apiProject { return projectJSON(p, teams) })
}

// TeamProjectCreate answers POST /api/0/teams/:org/:team/projects/ with the new
// project (201).
func (s *Endpoints) TeamProjectCreate(c echo.Context) error {
	ctx, orgID := c.Request().Context(), currentAPIOrg(c).Org.ID
	teams, err := s.svc.Orgs.Teams(ctx, orgID)
	if err != nil {
		return err
	}
	team := pathParam(c, "team")
	found := false
	for _, t := range teams {
		found = found || t.Slug == team
	}
	if !found {
		return core.Errorf(core.ENOTFOUND, msgNotFound)
	}
	body, err := readJSON(c)
	if err != nil {
		return err
	}
	name := body.required("name")
	slug, _ := body.str("slug")
	if err := body.err(); err != nil {
		return err
	}
	p, err := s.svc.Orgs.CreateProject(ctx, orgID, team, slug, name)
	if err != nil {
		return apiErr(err)
	}
	return c.JSON(http.StatusCreated, projectJSON(*p, teams))
}

// apiProjectParam loads the project a /projects/:org/:project/ route names.
func (s *Endpoints) apiProjectParam(c echo.Context) (*core.Project, error) {
	p, err := s.svc.Orgs.ProjectBySlug(c.Request().Context(), currentAPIOrg(c).Org.ID, pathParam(c, "project"))
	return p, apiErr(err)
}

// Project answers GET /api/0/projects/:org/:project/.
func (s *Endpoints) Project(c echo.Context) error {
	p, err := s.apiProjectParam(c)
	if err != nil {
		return err
	}
	o := currentAPIOrg(c)
	teams, err := s.svc.Orgs.Teams(c.Request().Context(), o.Org.ID)
	if err != nil {
		return err
	}
	out := projectJSON(*p, teams)
	org := s.orgJSON(o.Org)
	out.Organization = &org
	return c.JSON(http.StatusOK, out)
}

// ProjectDelete answers DELETE /api/0/projects/:org/:project/ with 204.
func (s *Endpoints) ProjectDelete(c echo.Context) error {
	err := s.svc.Orgs.DeleteProject(c.Request().Context(), currentAPIOrg(c).Org.ID, pathParam(c, "project"))
	if err != nil {
		return apiErr(err)
	}
	return c.NoContent(http.StatusNoContent)
}

// Team answers GET /api/0/teams/:org/:team/.
func (s *Endpoints) Team(c echo.Context) error {
	teams, err := s.svc.Orgs.Teams(c.Request().Context(), currentAPIOrg(c).Org.ID)
	if err != nil {
		return apiErr(err)
	}
	slug := pathParam(c, "team")
	for _, t := range teams {
		if t.Slug == slug {
			return c.JSON(http.StatusOK, teamJSON(t))
		}
	}
	return core.Errorf(core.ENOTFOUND, msgNotFound)
}

// AllProjects answers GET /api/0/projects/: the projects of every organization the caller
// may read projects in (an org or integration token: its own organization's), each with its
// organization.
func (s *Endpoints) AllProjects(c echo.Context) error {
	ctx := c.Request().Context()
	orgs, err := s.callerOrgs(c)
	if err != nil {
		return err
	}
	var all []apiProject
	for i := range orgs {
		o := &orgs[i]
		projects, err := s.svc.Orgs.Projects(ctx, o.ID)
		if code := core.ErrorCode(err); code == core.EFORBIDDEN || code == core.ENOTFOUND {
			continue // a token whose scopes do not reach this organization's projects
		} else if err != nil {
			return err
		}
		teams, err := s.svc.Orgs.Teams(ctx, o.ID)
		if err != nil {
			teams = nil
		}
		org := s.orgJSON(o)
		for _, p := range projects {
			pj := projectJSON(p, teams)
			pj.Organization = &org
			all = append(all, pj)
		}
	}
	return paginate(s, c, all, func(p apiProject) apiProject { return p })
}
