package ui

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

// sourceMapsPageSize is how many bundles one page of the Source Maps screen shows.
const sourceMapsPageSize = 50

// sourceMapsProject loads the project a /projects/:project/ settings route names.
func (s *Screens) sourceMapsProject(c echo.Context) (*core.Project, error) {
	return s.svc.Orgs.ProjectBySlug(c.Request().Context(), currentOrg(c).Org.ID, c.Param("project"))
}

func sourceMapsURL(c echo.Context, p *core.Project) string {
	return orgURL(c, "projects/"+url.PathEscape(p.Slug)+"/source-maps/")
}

// SourceMapsPage answers GET /settings/:org/projects/:project/source-maps/: the project's
// artifact bundles, with delete for members whose role has Sentry's release-delete scopes.
func (s *Screens) SourceMapsPage(c echo.Context) error {
	p, err := s.sourceMapsProject(c)
	if err != nil {
		return err
	}
	o := currentOrg(c)
	pageNo := pageNumber(c)
	bundles, err := s.svc.CI.ArtifactBundles(c.Request().Context(), o.Org.ID, p.ID, "",
		core.Page{Offset: (pageNo - 1) * sourceMapsPageSize, Limit: sourceMapsPageSize + 1})
	if err != nil {
		return err
	}
	v := views.SourceMapsView{Project: *p, DeleteURL: sourceMapsURL(c, p) + "delete/",
		CanDelete: o.Role.Scopes().HasAny(core.ReleaseDeleteScopes), Now: s.now(),
		ReleasesURL: orgURL(c, "releases/?project="+url.QueryEscape(p.Slug))}
	v.Pager, v.Bundles = pager(sourceMapsURL(c, p), pageNo, sourceMapsPageSize, bundles)
	return s.render(c, http.StatusOK, views.SourceMaps(s.page(c, p.Name+" source maps", views.NavReleases), v))
}

// SourceMapsDelete answers POST /settings/:org/projects/:project/source-maps/delete/: deletes
// one bundle (form field bundle_id) of the project. The store checks the role (Sentry's
// rule: project:releases or project:admin); the blobs no organization holds any more are
// deleted after the commit.
func (s *Screens) SourceMapsDelete(c echo.Context) error {
	p, err := s.sourceMapsProject(c)
	if err != nil {
		return err
	}
	ctx, orgID := c.Request().Context(), currentOrg(c).Org.ID
	b, err := s.svc.CI.ArtifactBundleByBundleID(ctx, orgID, c.FormValue("bundle_id"))
	if err != nil {
		return err
	}
	inProject := false
	for _, slug := range b.Projects {
		inProject = inProject || slug == p.Slug
	}
	if !inProject {
		return core.Errorf(core.ENOTFOUND, "The artifact bundle does not exist.")
	}
	started := s.now()
	orphans, err := s.svc.CI.DeleteArtifactBundle(ctx, orgID, b.ID)
	if err != nil {
		return err
	}
	for _, sum := range orphans {
		if _, err := s.svc.Blobs.DeleteIfIdleSince(ctx, sum, started); err != nil {
			s.log.Warn("deleting an unheld blob", "err", err)
		}
	}
	return s.redirectWithFlash(c, sourceMapsURL(c, p), "Deleted the artifact bundle.")
}
