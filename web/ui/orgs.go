package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
	"github.com/tokenboard/tokenboard/web/request"
)

// OrgNewPage answers GET /organizations/new/.
func (s *Screens) OrgNewPage(c echo.Context) error {
	return s.render(c, http.StatusOK, views.NewOrg(s.page(c, "New Organization", ""), views.NewOrgView{}))
}

// OrgCreate answers POST /organizations/new/: the creator becomes owner.
func (s *Screens) OrgCreate(c echo.Context) error {
	name, slug := c.FormValue("name"), c.FormValue("slug")
	org, err := s.svc.Orgs.CreateOrg(c.Request().Context(), slug, name)
	if isInvalid(err) {
		view := views.NewOrgView{Name: name, Slug: slug, Errors: formErrors(err)}
		return s.render(c, http.StatusBadRequest, views.NewOrg(s.page(c, "New Organization", ""), view))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, "/settings/"+org.Slug+"/", "Created the organization "+org.Name+".")
}

// OrgGeneralPage answers GET /settings/:org/.
func (s *Screens) OrgGeneralPage(c echo.Context) error {
	o := currentOrg(c)
	return s.render(c, http.StatusOK, views.OrgGeneral(s.page(c, "Organization Settings", views.NavGeneral),
		views.OrgGeneralView{Action: orgURL(c, ""), Name: o.Org.Name, Policies: tokenPolicyView(c, o.Org.Policy)}))
}

// OrgUpdate answers POST /settings/:org/: renames the organization.
func (s *Screens) OrgUpdate(c echo.Context) error {
	name := c.FormValue("name")
	_, err := s.svc.Orgs.UpdateOrg(c.Request().Context(), currentOrg(c).Org.ID, name)
	if isInvalid(err) {
		view := views.OrgGeneralView{Action: orgURL(c, ""), Name: name, Errors: formErrors(err), Policies: tokenPolicyView(c, currentOrg(c).Org.Policy)}
		return s.render(c, http.StatusBadRequest, views.OrgGeneral(s.page(c, "Organization Settings", views.NavGeneral), view))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, c.Request().URL.Path, "Saved the organization's settings.")
}

// membersView loads what the Members page shows.
func (s *Screens) membersView(c echo.Context) (views.MembersView, error) {
	o := currentOrg(c)
	ctx := c.Request().Context()
	members, err := s.svc.Orgs.Members(ctx, o.Org.ID)
	if err != nil {
		return views.MembersView{}, err
	}
	v := views.MembersView{AddURL: orgURL(c, "members/"), AddRole: core.RoleMember}
	for _, m := range members {
		member := orgURL(c, "members/"+strconv.FormatInt(m.User.ID, 10)+"/")
		v.Members = append(v.Members, views.MemberRow{Member: m, RoleURL: member + "role/", RemoveURL: member + "remove/"})
	}
	if o.Role.CanManageMembers() {
		if v.Invites, err = s.svc.Orgs.PendingInvites(ctx, o.Org.ID); err != nil {
			return v, err
		}
		for _, r := range core.Roles {
			if o.Role.CanGrant(r) {
				v.Grantable = append(v.Grantable, r)
			}
		}
	}
	return v, nil
}

// MembersPage answers GET /settings/:org/members/.
func (s *Screens) MembersPage(c echo.Context) error {
	v, err := s.membersView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.Members(s.page(c, "Members", views.NavMembers), v))
}

// MemberAdd answers POST /settings/:org/members/: adds a user or invites an email.
func (s *Screens) MemberAdd(c echo.Context) error {
	email, role := c.FormValue("email"), core.Role(c.FormValue("role"))
	res, err := s.svc.Orgs.AddMember(c.Request().Context(), currentOrg(c).Org.ID, email, role)
	if isInvalid(err) {
		v, verr := s.membersView(c)
		if verr != nil {
			return verr
		}
		v.AddEmail, v.AddRole, v.Errors = email, role, formErrors(err)
		return s.render(c, http.StatusBadRequest, views.Members(s.page(c, "Members", views.NavMembers), v))
	} else if err != nil {
		return err
	}
	message := "Added " + email + " as " + role.Label() + "."
	if res.Invited {
		message = "Sent an invitation to " + email + "."
	}
	return s.redirectWithFlash(c, c.Request().URL.Path, message)
}

// memberID reads the :user path parameter.
func memberID(c echo.Context) (int64, error) {
	return request.PathID(c, "user", "The member does not exist.")
}

// MemberRoleChange answers POST /settings/:org/members/:user/role/.
func (s *Screens) MemberRoleChange(c echo.Context) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	o := currentOrg(c)
	err = s.svc.Orgs.ChangeRole(c.Request().Context(), o.Org.ID, id, core.Role(c.FormValue("role")))
	if core.ErrorCode(err) == core.EINVALID {
		s.flash(c, "error", core.ErrorMessage(err))
		return c.Redirect(http.StatusSeeOther, orgURL(c, "members/"))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, orgURL(c, "members/"), "Changed the member's role.")
}

// MemberRemove answers POST /settings/:org/members/:user/remove/.
func (s *Screens) MemberRemove(c echo.Context) error {
	id, err := memberID(c)
	if err != nil {
		return err
	}
	o := currentOrg(c)
	err = s.svc.Orgs.RemoveMember(c.Request().Context(), o.Org.ID, id)
	if core.ErrorCode(err) == core.EINVALID {
		s.flash(c, "error", core.ErrorMessage(err))
		return c.Redirect(http.StatusSeeOther, orgURL(c, "members/"))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, orgURL(c, "members/"), "Removed the member.")
}

// projectsView loads what the Projects page shows.
func (s *Screens) projectsView(c echo.Context) (views.ProjectsView, error) {
	ctx, orgID := c.Request().Context(), currentOrg(c).Org.ID
	projects, err := s.svc.Orgs.Projects(ctx, orgID)
	if err != nil {
		return views.ProjectsView{}, err
	}
	teams, err := s.svc.Orgs.Teams(ctx, orgID)
	return views.ProjectsView{Action: orgURL(c, "projects/"), Projects: projects, Teams: teams}, err
}

// ProjectsPage answers GET /settings/:org/projects/.
func (s *Screens) ProjectsPage(c echo.Context) error {
	v, err := s.projectsView(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.Projects(s.page(c, "Projects", views.NavProjects), v))
}

// ProjectCreate answers POST /settings/:org/projects/.
func (s *Screens) ProjectCreate(c echo.Context) error {
	name, slug, team := c.FormValue("name"), c.FormValue("slug"), c.FormValue("team")
	p, err := s.svc.Orgs.CreateProject(c.Request().Context(), currentOrg(c).Org.ID, team, slug, name)
	if isInvalid(err) {
		v, verr := s.projectsView(c)
		if verr != nil {
			return verr
		}
		v.Name, v.Slug, v.Team, v.Errors = name, slug, team, formErrors(err)
		return s.render(c, http.StatusBadRequest, views.Projects(s.page(c, "Projects", views.NavProjects), v))
	} else if err != nil {
		return err
	}
	return s.redirectWithFlash(c, c.Request().URL.Path, "Created the project "+p.Slug+".")
}

// auditPageSize is how many audit entries one page shows.
const auditPageSize = 50

// AuditLogPage answers GET /settings/:org/audit-log/?event=E&page=N: one page of the log,
// of every event or of one. An unknown event shows every event.
func (s *Screens) AuditLogPage(c echo.Context) error {
	pageNo := pageNumber(c)
	event := c.QueryParam("event")
	if !core.IsAuditEvent(event) {
		event = ""
	}
	// One row more than shown tells whether a next page exists without counting the table.
	entries, err := s.svc.Orgs.AuditLog(c.Request().Context(), currentOrg(c).Org.ID, event,
		core.Page{Offset: (pageNo - 1) * auditPageSize, Limit: auditPageSize + 1})
	if err != nil {
		return err
	}
	path := c.Request().URL.Path
	v := views.AuditLogView{Entries: entries, Event: event, Action: path}
	if event != "" {
		path += "?event=" + url.QueryEscape(event)
	}
	v.Pager, v.Entries = pager(path, pageNo, auditPageSize, entries)
	return s.render(c, http.StatusOK, views.AuditLog(s.page(c, "Audit Log", views.NavAuditLog), v))
}

// pageNumber reads ?page=N (1-based), defaulting to 1.
func pageNumber(c echo.Context) int {
	n, err := strconv.Atoi(c.QueryParam("page"))
	if err != nil || n < 1 || n > 1_000_000 {
		return 1
	}
	return n
}

// pager trims the extra look-ahead row fetched by the caller and builds the page links; path
// may already carry a query string.
func pager[T any](path string, pageNo, size int, rows []T) (views.Pager, []T) {
	var pg views.Pager
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	if len(rows) > size {
		rows = rows[:size]
		pg.NextURL = path + sep + "page=" + strconv.Itoa(pageNo+1)
	}
	if pageNo > 1 {
		pg.PrevURL = path + sep + "page=" + strconv.Itoa(pageNo-1)
	}
	first := (pageNo-1)*size + 1
	pg.Summary = "Showing " + strconv.Itoa(first) + "–" + strconv.Itoa(first+len(rows)-1)
	if len(rows) == 0 {
		pg.Summary = ""
	}
	return pg, rows
}
