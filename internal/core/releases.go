package core

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Release is a version of an organization's code, shipped in one or more of its projects
// (Sentry's Release). sentry-cli creates releases and finalizes them (sets ReleasedAt).
type Release struct {
	ID      int64
	OrgID   int64
	Version string
	Ref     string
	URL     string
	// CreatedAt is when the release was first reported; ReleasedAt, when set, is when it was
	// finalized (deployed).
	CreatedAt  time.Time
	ReleasedAt *time.Time
	// Projects are the projects the release belongs to, by slug.
	Projects []Project
	// Status is ReleaseOpen or ReleaseArchived (sentry-cli's "releases archive").
	Status string
	// Deploys and Commits summarize the release's deploys and commits (the counts, the
	// latest, the authors), as the API's release JSON reports them.
	Deploys DeployStats
	Commits CommitStats
}

// Release statuses.
const (
	ReleaseOpen     = "open"
	ReleaseArchived = "archived"
)

// HasProject reports whether the release belongs to the project.
func (r *Release) HasProject(projectID int64) bool {
	for _, p := range r.Projects {
		if p.ID == projectID {
			return true
		}
	}
	return false
}

// NewRelease is what the API's create endpoints submit.
type NewRelease struct {
	Version    string
	Ref        string
	URL        string
	ReleasedAt *time.Time
	// Projects names the release's projects by slug or by id (all digits), as Sentry accepts;
	// at least one is required.
	Projects []string
}

// OptionalTime is a time field of an update: Set says whether the request carried it at all,
// and a nil Value clears it.
type OptionalTime struct {
	Set   bool
	Value *time.Time
}

// ReleaseUpdate changes a release; nil and unset fields are left as they are.
type ReleaseUpdate struct {
	Ref        *string
	URL        *string
	ReleasedAt OptionalTime
	// AddProjects adds projects (slugs or ids) to the release; none are ever removed.
	AddProjects []string
	// Status, when set, archives (ReleaseArchived) or restores (ReleaseOpen) the release.
	Status *string
}

// The scopes that admit each release operation (Sentry's OrganizationReleasePermission and
// ProjectReleasePermission): a principal needs any one of them. org:ci is how org auth tokens
// reach releases, and releases are all they reach.
var (
	ReleaseReadScopes   = NewScopeSet(ScopeProjectRead, ScopeProjectWrite, ScopeProjectAdmin, ScopeProjectReleases, ScopeOrgCI)
	ReleaseWriteScopes  = NewScopeSet(ScopeProjectWrite, ScopeProjectAdmin, ScopeProjectReleases, ScopeOrgCI)
	ReleaseDeleteScopes = NewScopeSet(ScopeProjectAdmin, ScopeProjectReleases)
)

// ReleaseService manages an organization's releases. Every method checks the actor's scopes
// in the organization (a session user's role, a token's scopes within it).
type ReleaseService interface {
	// Releases returns a page of the organization's releases, newest first; with projectID,
	// only that project's.
	Releases(ctx context.Context, orgID, projectID int64, page Page) ([]Release, error)
	// RenderedReleases is Releases rendered by render, which sees the page's releases (and
	// must not modify them) and returns, say, the page's JSON; count is how many releases
	// render saw. An implementation may keep the rendering with the page and answer it again,
	// without calling render, while the page is unchanged: a rendering must depend only on the
	// releases, and view names it (one view, one render function).
	RenderedReleases(ctx context.Context, orgID, projectID int64, page Page, view string,
		render func([]Release) ([]byte, error)) (body []byte, count int, err error)
	// Release returns one release by version.
	Release(ctx context.Context, orgID int64, version string) (*Release, error)
	// CreateRelease creates a release, or, when the version exists, adds the projects to it.
	// created says which happened (Sentry answers 201 or 208).
	CreateRelease(ctx context.Context, orgID int64, n NewRelease) (r *Release, created bool, err error)
	// UpdateRelease changes a release; setting ReleasedAt is how sentry-cli finalizes one.
	UpdateRelease(ctx context.Context, orgID int64, version string, u ReleaseUpdate) (*Release, error)
	// DeleteRelease removes a release.
	DeleteRelease(ctx context.Context, orgID int64, version string) error
}

// MaxReleaseVersionLength is Sentry's limit on a release version.
const MaxReleaseVersionLength = 200

// maxReleaseFieldLength bounds the free-text fields (ref, url).
const maxReleaseFieldLength = 200

// Validate checks a new release's fields as Sentry's release serializer does.
func (n *NewRelease) Validate() error {
	fields := map[string]string{}
	if msg := ValidateReleaseVersion(n.Version); msg != "" {
		fields["version"] = msg
	}
	if msg := validateReleaseRef(n.Ref); msg != "" {
		fields["ref"] = msg
	}
	if msg := validateReleaseURL(n.URL); msg != "" {
		fields["url"] = msg
	}
	if len(n.Projects) == 0 {
		fields["projects"] = "This field is required."
	}
	return fieldsError(fields)
}

// Validate checks an update's fields.
func (u *ReleaseUpdate) Validate() error {
	fields := map[string]string{}
	if u.Ref != nil {
		if msg := validateReleaseRef(*u.Ref); msg != "" {
			fields["ref"] = msg
		}
	}
	if u.URL != nil {
		if msg := validateReleaseURL(*u.URL); msg != "" {
			fields["url"] = msg
		}
	}
	if u.Status != nil && *u.Status != ReleaseOpen && *u.Status != ReleaseArchived {
		fields["status"] = "Invalid status " + *u.Status
	}
	return fieldsError(fields)
}

func fieldsError(fields map[string]string) error {
	if len(fields) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "Please correct the errors below.", Fields: fields}
}

// ValidateReleaseVersion returns Sentry's message for an unacceptable version, or "". Sentry
// refuses versions with line breaks, tabs or slashes (they break URLs and log lines), and the
// names ".", ".." and "latest", which mean something else in its URLs.
func ValidateReleaseVersion(v string) string {
	switch {
	case v == "":
		return "This field may not be blank."
	case utf8.RuneCountInString(v) > MaxReleaseVersionLength:
		return fmt.Sprintf("Ensure this field has no more than %d characters.", MaxReleaseVersionLength)
	}
	trimmed := strings.TrimSpace(v)
	if strings.ContainsAny(v, "\r\n\f\t/\\") || trimmed == "" || trimmed == "." || trimmed == ".." ||
		strings.EqualFold(trimmed, "latest") || !utf8.ValidString(v) {
		return "Release with name " + v + " is not allowed"
	}
	return ""
}

func validateReleaseRef(ref string) string {
	if utf8.RuneCountInString(ref) > maxReleaseFieldLength {
		return fmt.Sprintf("Ensure this field has no more than %d characters.", maxReleaseFieldLength)
	}
	return ""
}

func validateReleaseURL(raw string) string {
	if raw == "" {
		return ""
	}
	if utf8.RuneCountInString(raw) > maxReleaseFieldLength {
		return fmt.Sprintf("Ensure this field has no more than %d characters.", maxReleaseFieldLength)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "Enter a valid URL."
	}
	return ""
}
