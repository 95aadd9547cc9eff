package ui

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// Settings > Repositories (issue 13): everyone who reads the organization sees its
// repositories; owners and managers add and remove them (the routes' RequireRole and the
// store's core.RuleManageRepositories both say so). sentry-cli's set-commits --commit
// REPO@SHA needs the repository here first.

// repositoriesView loads the list, with each row's Remove URL.
func (s *Screens) repositoriesView(c echo.Context) (views.RepositoriesView, error) {
	o := currentOrg(c)
	repos, err := s.svc.CI.Repositories(c.Request().Context(), o.Org.ID)
	if err != nil {
		return views.RepositoriesView{}, err
	}
	v := views.RepositoriesView{Action: orgURL(c, "repos/"), CanManage: o.Role.CanManageRepositories()}
	for _, r := range repos {
		v.Rows = append(v.Rows, views.RepositoryRow{Repository: r, RemoveURL: orgURL(c, "repos/"+strconv.FormatInt(r.ID, 10)+"/remove/")})
	}
	return v, nil
}

// RepositoriesPage answers GET /settings/:org/repos/.
func (s *Screens) RepositoriesPage(c echo.Context) error {
	v, err := s.repositoriesView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.Repositories(s.page(c, "Repositories", views.NavRepositories), v))
}

// RepositoryAdd answers POST /settings/:org/repos/ (owners and managers). A refused name or
// URL re-renders the form with the message and what was typed.
func (s *Screens) RepositoryAdd(c echo.Context) error {
	n := core.NewRepository{Name: c.FormValue("name"), URL: c.FormValue("url")}
	r, err := s.svc.CI.AddRepository(c.Request().Context(), currentOrg(c).Org.ID, n)
	if isInvalid(err) {
		v, verr := s.repositoriesView(c)
		if verr != nil {
			return verr
		}
		v.Name, v.URL, v.Errors = c.FormValue("name"), c.FormValue("url"), formErrors(err)
		return s.render(c, http.StatusBadRequest, views.Repositories(s.page(c, "Repositories", views.NavRepositories), v))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, orgURL(c, "repos/"), "Added the repository "+r.Name+".")
}

// RepositoryRemove answers POST /settings/:org/repos/:id/remove/ (owners and managers), after
// confirmation. A repository a release lists stays, and the flash says why.
func (s *Screens) RepositoryRemove(c echo.Context) error {
	id, err := request.PathID(c, "id", "The repository does not exist.")
	if err != nil {
		return err
	}
	if ok, err := s.confirmed(c, views.NavRepositories, views.ConfirmView{
		Heading: "Remove Repository", Message: "Remove this repository? sentry-cli's set-commits --commit stops finding it until it is added again.",
		ConfirmLabel: "Remove", CancelURL: orgURL(c, "repos/"),
	}); !ok {
		return err
	}
	r, err := s.svc.CI.RemoveRepository(c.Request().Context(), currentOrg(c).Org.ID, id)
	if core.ErrorCode(err) == core.EINVALID {
		s.flash(c, "error", core.ErrorMessage(err))
		return c.Redirect(http.StatusSeeOther, orgURL(c, "repos/"))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, orgURL(c, "repos/"), "Removed the repository "+r.Name+".")
}
