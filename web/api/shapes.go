package api

import (
	"strconv"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The JSON shapes of Sentry's public API (its serializers), for the fields tokenboard has:
// camelCase names, ids as strings (except where Sentry itself sends numbers: releases and the
// projects inside them), dates in ISO 8601 UTC. Fields Sentry sends that tokenboard has no
// data for are left out rather than invented, except where a client needs them (sentry-cli
// requires an organization's flags and a release's newGroups).

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// isoTime is a date-time as the API writes it: ISO 8601 in UTC, as time.Time's own JSON but
// written as text, which encoding/json does not re-parse and re-compact.
type isoTime time.Time

// MarshalText writes the time in RFC 3339 with the fraction only when it has one.
func (t isoTime) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(nil, time.RFC3339Nano), nil
}

// isoPtr converts an optional time.
func isoPtr(t *time.Time) *isoTime {
	if t == nil {
		return nil
	}
	v := isoTime(*t)
	return &v
}

// nullable returns nil for "", so that an empty column is JSON null as in Sentry.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type apiIndex struct {
	Version string       `json:"version"`
	Auth    *apiAuthInfo `json:"auth"`
	User    *apiUser     `json:"user"`
}

type apiAuthInfo struct {
	Scopes []string `json:"scopes"`
}

type apiUserEmail struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	IsVerified bool   `json:"is_verified"`
}

type apiUser struct {
	ID              string         `json:"id"`
	Name            string         `json:"name"`
	Username        string         `json:"username"`
	Email           string         `json:"email"`
	IsActive        bool           `json:"isActive"`
	HasPasswordAuth bool           `json:"hasPasswordAuth"`
	IsManaged       bool           `json:"isManaged"`
	DateJoined      isoTime        `json:"dateJoined"`
	Has2FA          bool           `json:"has2fa"`
	IsSuperuser     bool           `json:"isSuperuser"`
	IsStaff         bool           `json:"isStaff"`
	Emails          []apiUserEmail `json:"emails"`
}

func userJSON(u *core.User) *apiUser {
	return &apiUser{
		ID: idString(u.ID), Name: u.DisplayName(), Username: u.Email, Email: u.Email,
		IsActive: u.Active, HasPasswordAuth: true, DateJoined: isoTime(u.CreatedAt),
		Emails: []apiUserEmail{{ID: idString(u.ID), Email: u.Email}},
	}
}

type apiStatus struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type apiOrgLinks struct {
	OrganizationURL string `json:"organizationUrl"`
	RegionURL       string `json:"regionUrl"`
}

type apiOrg struct {
	ID                       string      `json:"id"`
	Slug                     string      `json:"slug"`
	Status                   apiStatus   `json:"status"`
	Name                     string      `json:"name"`
	DateCreated              isoTime     `json:"dateCreated"`
	IsEarlyAdopter           bool        `json:"isEarlyAdopter"`
	Require2FA               bool        `json:"require2FA"`
	RequireEmailVerification bool        `json:"requireEmailVerification"`
	Features                 []string    `json:"features"`
	Links                    apiOrgLinks `json:"links"`
	HasAuthProvider          bool        `json:"hasAuthProvider"`
	Avatar                   apiAvatar   `json:"avatar"`
}

// apiAvatar is an avatar as Sentry describes it; tokenboard has no uploads, so it is the
// letter avatar.
type apiAvatar struct {
	AvatarType string  `json:"avatarType"`
	AvatarUUID *string `json:"avatarUuid"`
	AvatarURL  *string `json:"avatarUrl"`
}

// apiOrgDetail is an organization as its detail endpoint shows it, with the caller's access.
type apiOrgDetail struct {
	apiOrg
	// Access lists the caller's effective scopes in the organization.
	Access  []string `json:"access"`
	OrgRole *string  `json:"orgRole"`
	// Role is Sentry's deprecated name of orgRole, still read by API clients.
	Role *string `json:"role"`
}

func (s *Endpoints) orgJSON(o *core.Org) apiOrg {
	base := strings.TrimRight(s.cfg.BaseURL, "/")
	return apiOrg{
		ID: idString(o.ID), Slug: o.Slug, Status: apiStatus{"active", "active"}, Name: o.Name,
		DateCreated: isoTime(o.CreatedAt), Features: []string{}, Links: apiOrgLinks{base, base},
		Avatar: apiAvatar{AvatarType: "letter_avatar"},
	}
}

func (s *Endpoints) orgDetailJSON(o apiOrgAccess) apiOrgDetail {
	return apiOrgDetail{apiOrg: s.orgJSON(o.Org), Access: o.Scopes.Names(), OrgRole: nullable(string(o.Role)),
		Role: nullable(string(o.Role))}
}

type apiTeam struct {
	ID          string  `json:"id"`
	Slug        string  `json:"slug"`
	Name        string  `json:"name"`
	DateCreated isoTime `json:"dateCreated"`
	HasAccess   bool    `json:"hasAccess"`
	IsPending   bool    `json:"isPending"`
}

func teamJSON(t core.Team) apiTeam {
	return apiTeam{ID: idString(t.ID), Slug: t.Slug, Name: t.Name, DateCreated: isoTime(t.CreatedAt), HasAccess: true}
}

// apiTeamRef is a project's team as sentry-cli reads it: id, slug and name, all strings.
type apiTeamRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

type apiProject struct {
	ID           string       `json:"id"`
	Slug         string       `json:"slug"`
	Name         string       `json:"name"`
	Platform     *string      `json:"platform"`
	DateCreated  isoTime      `json:"dateCreated"`
	HasAccess    bool         `json:"hasAccess"`
	Status       string       `json:"status"`
	Features     []string     `json:"features"`
	FirstEvent   *isoTime     `json:"firstEvent"`
	Team         *apiTeamRef  `json:"team"`
	Teams        []apiTeamRef `json:"teams"`
	Organization *apiOrg      `json:"organization,omitempty"`
}

// projectJSON shapes a project; teams are the organization's, to name the project's team.
func projectJSON(p core.Project, teams []core.Team) apiProject {
	out := apiProject{
		ID: idString(p.ID), Slug: p.Slug, Name: p.Name, Platform: nullable(p.Platform), DateCreated: isoTime(p.CreatedAt),
		HasAccess: true, Status: "active", Features: []string{}, Teams: []apiTeamRef{},
	}
	for _, t := range teams {
		if t.ID == p.TeamID {
			ref := apiTeamRef{ID: idString(t.ID), Slug: t.Slug, Name: t.Name}
			out.Team, out.Teams = &ref, []apiTeamRef{ref}
		}
	}
	return out
}

type apiMember struct {
	ID           string   `json:"id"`
	Email        string   `json:"email"`
	Name         string   `json:"name"`
	User         *apiUser `json:"user"`
	OrgRole      string   `json:"orgRole"`
	Role         string   `json:"role"`
	RoleName     string   `json:"roleName"`
	Pending      bool     `json:"pending"`
	Expired      bool     `json:"expired"`
	DateCreated  isoTime  `json:"dateCreated"`
	InviteStatus string   `json:"inviteStatus"`
	Teams        []string `json:"teams"`
}

func memberJSON(m core.Membership) apiMember {
	return apiMember{
		ID: idString(m.User.ID), Email: m.User.Email, Name: m.User.DisplayName(), User: userJSON(&m.User),
		OrgRole: string(m.Role), Role: string(m.Role), RoleName: m.Role.Label(), DateCreated: isoTime(m.CreatedAt),
		InviteStatus: "approved", Teams: []string{},
	}
}

// apiReleaseProject is a project inside a release; Sentry sends its id as a number.
type apiReleaseProject struct {
	ID        int64    `json:"id"`
	Slug      string   `json:"slug"`
	Name      string   `json:"name"`
	NewGroups int      `json:"newGroups"`
	Platform  *string  `json:"platform"`
	Platforms []string `json:"platforms"`
}

// apiRelease is Sentry's release: sentry-cli requires version and dateCreated, and newGroups
// and projects, when present, never null. tokenboard tracks no events, so newGroups is zero
// and the event dates null, as in a fresh Sentry release; deploys and commits are reported.
type apiRelease struct {
	ID           int64               `json:"id"`
	Version      string              `json:"version"`
	ShortVersion string              `json:"shortVersion"`
	Status       string              `json:"status"`
	Ref          *string             `json:"ref"`
	URL          *string             `json:"url"`
	DateCreated  isoTime             `json:"dateCreated"`
	DateReleased *isoTime            `json:"dateReleased"`
	Data         struct{}            `json:"data"`
	NewGroups    int                 `json:"newGroups"`
	Owner        *struct{}           `json:"owner"`
	CommitCount  int                 `json:"commitCount"`
	LastCommit   *apiCommit          `json:"lastCommit"`
	DeployCount  int                 `json:"deployCount"`
	LastDeploy   *apiDeploy          `json:"lastDeploy"`
	Authors      []apiAuthor         `json:"authors"`
	FirstEvent   *isoTime            `json:"firstEvent"`
	LastEvent    *isoTime            `json:"lastEvent"`
	Projects     []apiReleaseProject `json:"projects"`
}

// Empty lists shared by every release: they are only ever encoded, never changed.
var (
	noAuthors   = []apiAuthor{}
	noPlatforms = []string{}
)

func releaseJSON(r core.Release) apiRelease {
	status := r.Status
	if status == "" {
		status = core.ReleaseOpen
	}
	out := apiRelease{
		ID: r.ID, Version: r.Version, ShortVersion: shortVersion(r.Version), Status: status, Ref: nullable(r.Ref),
		URL: nullable(r.URL), DateCreated: isoTime(r.CreatedAt), DateReleased: isoPtr(r.ReleasedAt), Authors: noAuthors,
		Projects:    make([]apiReleaseProject, 0, len(r.Projects)),
		CommitCount: r.Commits.Count, DeployCount: r.Deploys.Count,
	}
	if r.Commits.Last != nil {
		c := commitJSON(*r.Commits.Last)
		out.LastCommit = &c
	}
	if r.Deploys.Last != nil {
		d := deployJSON(*r.Deploys.Last)
		out.LastDeploy = &d
	}
	if len(r.Commits.Authors) > 0 {
		out.Authors = make([]apiAuthor, len(r.Commits.Authors))
		for i, a := range r.Commits.Authors {
			out.Authors[i] = authorJSON(a)
		}
	}
	for _, p := range r.Projects {
		platforms := noPlatforms
		if p.Platform != "" {
			platforms = []string{p.Platform}
		}
		out.Projects = append(out.Projects, apiReleaseProject{ID: p.ID, Slug: p.Slug, Name: p.Name,
			Platform: nullable(p.Platform), Platforms: platforms})
	}
	return out
}

// shortVersion is Sentry's short form of a version: a "package@version" loses its package, and
// a 40- or 64-digit hex version (a commit hash) is cut to 12 digits.
func shortVersion(v string) string {
	if i := strings.LastIndex(v, "@"); i > 0 && i < len(v)-1 {
		v = v[i+1:]
	}
	if (len(v) == 40 || len(v) == 64) && strings.Trim(v, "0123456789abcdef") == "" {
		return v[:12]
	}
	return v
}
