package ui

import (
	"context"
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

// releasesPageSize is how many releases one page of the Releases screen shows.
const releasesPageSize = 50

// ReleasesPage answers GET /settings/:org/releases/?project=slug&page=N: the releases of
// one project (unless chosen, the newest release's: newestReleaseProject), newest first.
func (s *Screens) ReleasesPage(c echo.Context) error {
	ctx, org := c.Request().Context(), currentOrg(c).Org
	projects, err := s.svc.Orgs.Projects(ctx, org.ID)
	if err != nil {
		return err
	}
	v := views.ReleasesView{Now: s.now()}
	for _, pr := range projects {
		v.Projects = append(v.Projects, views.ProjectTab{Project: pr, URL: orgURL(c, "releases/?project="+url.QueryEscape(pr.Slug))})
	}
	if len(projects) > 0 {
		if slug := c.QueryParam("project"); slug != "" {
			for i := range projects {
				if projects[i].Slug == slug {
					v.Project = &projects[i]
				}
			}
			if v.Project == nil {
				return core.Errorf(core.ENOTFOUND, "The project does not exist.")
			}
		} else if v.Project, err = s.newestReleaseProject(ctx, org.ID, projects); err != nil {
			return err
		}
		pageNo := pageNumber(c)
		releases, err := s.svc.Releases.Releases(ctx, org.ID, v.Project.ID,
			core.Page{Offset: (pageNo - 1) * releasesPageSize, Limit: releasesPageSize + 1})
		if err != nil {
			return err
		}
		base := c.Request().URL.Path + "?project=" + url.QueryEscape(v.Project.Slug)
		v.Pager, v.Releases = pager(base, pageNo, releasesPageSize, releases)
		v.SourceMapsURL = sourceMapsURL(c, v.Project)
		if v.Details, err = s.releaseDetails(c, org.ID, v.Project.ID, v.Releases); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, views.Releases(s.page(c, "Releases", views.NavReleases), v))
}

// newestReleaseProject is the project the Releases screen opens on: the one of the newest
// release, so that what a CI job just made (sentry-cli releases new -p web) is what the page
// shows; the first project while the organization has no release.
func (s *Screens) newestReleaseProject(ctx context.Context, orgID int64, projects []core.Project) (*core.Project, error) {
	newest, err := s.svc.Releases.Releases(ctx, orgID, 0, core.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(newest) == 0 {
		return &projects[0], nil
	}
	for _, rp := range newest[0].Projects {
		for i := range projects {
			if projects[i].ID == rp.ID {
				return &projects[i], nil
			}
		}
	}
	return &projects[0], nil
}

// releaseDetailLimit is how many bundles, deploys and commits the screen lists per release;
// the counts say how many there are in all.
const releaseDetailLimit = 5

// releaseDetails reads what a CI job left on each release of the page: the project's artifact
// bundles for it, its deploys and its commits. Deploys and commits are read only for releases
// whose counts say they have some.
func (s *Screens) releaseDetails(c echo.Context, orgID, projectID int64, releases []core.Release) (map[int64]views.ReleaseDetail, error) {
	ctx := c.Request().Context()
	out := make(map[int64]views.ReleaseDetail, len(releases))
	for _, r := range releases {
		var d views.ReleaseDetail
		var err error
		if d.Bundles, err = s.svc.CI.ArtifactBundles(ctx, orgID, projectID, r.Version, core.Page{Limit: releaseDetailLimit}); err != nil {
			return nil, err
		}
		if r.Deploys.Count > 0 {
			if d.Deploys, err = s.svc.CI.Deploys(ctx, orgID, r.Version); err != nil {
				return nil, err
			}
			d.Deploys = d.Deploys[:min(len(d.Deploys), releaseDetailLimit)]
		}
		if r.Commits.Count > 0 {
			if d.Commits, err = s.svc.CI.ReleaseCommits(ctx, orgID, r.Version); err != nil {
				return nil, err
			}
			d.Commits = d.Commits[:min(len(d.Commits), releaseDetailLimit)]
		}
		out[r.ID] = d
	}
	return out, nil
}
