package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Commits and repositories (docs/CI-PROTOCOL.md, section 5): "sentry-cli releases set-commits"
// lists the repositories, asks for the previous release's last commit, then PUTs the
// release with "commits" (--auto, --local) or "refs" (--commit repo@sha).

// apiProvider is a repository's provider; repositories created from commits have none, and
// the CLI requires both strings.
type apiProvider struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// apiRepository is Sentry's repository.
type apiRepository struct {
	ID            string      `json:"id"`
	Name          string      `json:"name"`
	URL           *string     `json:"url"`
	Provider      apiProvider `json:"provider"`
	Status        string      `json:"status"`
	DateCreated   isoTime     `json:"dateCreated"`
	IntegrationID *string     `json:"integrationId"`
	ExternalSlug  *string     `json:"externalSlug"`
	ExternalID    *string     `json:"externalId"`
}

func repositoryJSON(r core.Repository) apiRepository {
	p := apiProvider{ID: "unknown", Name: "Unknown Provider"}
	if r.Provider != "" {
		p = apiProvider{ID: r.Provider, Name: r.Provider}
	}
	status := r.Status
	if status == "" {
		status = "active"
	}
	return apiRepository{ID: idString(r.ID), Name: r.Name, URL: nullable(r.URL), Provider: p, Status: status,
		DateCreated: isoTime(r.CreatedAt)}
}

// apiAuthor is a commit's author.
type apiAuthor struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

func authorJSON(a core.CommitAuthor) apiAuthor { return apiAuthor{Name: a.Name, Email: a.Email} }

// apiCommit is Sentry's commit.
type apiCommit struct {
	ID                string        `json:"id"`
	Message           *string       `json:"message"`
	DateCreated       isoTime       `json:"dateCreated"`
	Author            *apiAuthor    `json:"author"`
	Repository        apiRepository `json:"repository"`
	PullRequest       *struct{}     `json:"pullRequest"`
	SuspectCommitType string        `json:"suspectCommitType"`
}

func commitJSON(c core.Commit) apiCommit {
	out := apiCommit{ID: c.Key, Message: nullable(c.Message), DateCreated: isoTime(c.CreatedAt),
		Repository: repositoryJSON(c.Repository)}
	if c.Timestamp != nil {
		out.DateCreated = isoTime(*c.Timestamp)
	}
	if c.Author != nil {
		a := authorJSON(*c.Author)
		out.Author = &a
	}
	return out
}

// Repositories answers GET /api/0/organizations/:org/repos/.
func (s *Endpoints) Repositories(c echo.Context) error {
	rs, err := s.svc.CI.Repositories(c.Request().Context(), currentAPIOrg(c).Org.ID)
	if err != nil {
		return apiErr(err)
	}
	return paginate(s, c, rs, repositoryJSON)
}

// ReleaseCommits answers GET /api/0/organizations/:org/releases/:version/commits/, newest first.
func (s *Endpoints) ReleaseCommits(c echo.Context) error {
	cs, err := s.svc.CI.ReleaseCommits(c.Request().Context(), currentAPIOrg(c).Org.ID, pathParam(c, "version"))
	if err != nil {
		return apiErr(err)
	}
	return paginate(s, c, cs, commitJSON)
}

// PreviousWithCommits answers GET /api/0/organizations/:org/releases/:version/previous-with-commits/:
// the newest earlier release with commits, with its last commit, or exactly {} when there is
// none (the CLI matches that with a struct that denies every other field).
func (s *Endpoints) PreviousWithCommits(c echo.Context) error {
	r, last, err := s.svc.CI.PreviousReleaseWithCommits(c.Request().Context(), currentAPIOrg(c).Org.ID, pathParam(c, "version"))
	if err != nil {
		return apiErr(err)
	}
	if r == nil {
		return c.JSON(http.StatusOK, struct{}{})
	}
	out := releaseJSON(*r)
	if last != nil {
		lc := commitJSON(*last)
		out.LastCommit = &lc
	}
	return c.JSON(http.StatusOK, out)
}

// commits reads the "commits" of a release PUT: a list of {id, repository, message,
// author_name, author_email, timestamp, patch_set}. ok is false when the field is absent.
func (b *jsonBody) commits(field string) (out []core.NewCommit, ok bool) {
	raw, present := b.fields[field]
	if !present || b.isNull(field) {
		return nil, false
	}
	var items []struct {
		ID          *string `json:"id"`
		Repository  *string `json:"repository"`
		Message     *string `json:"message"`
		AuthorName  *string `json:"author_name"`
		AuthorEmail *string `json:"author_email"`
		Timestamp   *string `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		b.errs[field] = "Expected a list of commits."
		return nil, false
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	out = make([]core.NewCommit, 0, len(items))
	for _, it := range items {
		n := core.NewCommit{Key: str(it.ID), Repository: str(it.Repository), Message: str(it.Message),
			AuthorName: str(it.AuthorName), AuthorEmail: str(it.AuthorEmail)}
		if n.Repository == "" {
			// Sentry files commits without a repository under the organization's own name.
			n.Repository = "unknown"
		}
		if it.Timestamp != nil && *it.Timestamp != "" {
			t, err := time.Parse(time.RFC3339Nano, *it.Timestamp)
			if err != nil {
				b.errs[field] = "A commit's timestamp has the wrong format."
				return nil, false
			}
			t = t.UTC()
			n.Timestamp = &t
		}
		out = append(out, n)
	}
	return out, true
}

// refs reads the "refs" of a release PUT: a list of {repository, commit, previousCommit}.
func (b *jsonBody) refs(field string) (out []core.ReleaseRef, ok bool) {
	raw, present := b.fields[field]
	if !present || b.isNull(field) {
		return nil, false
	}
	var items []struct {
		Repository     *string `json:"repository"`
		Commit         *string `json:"commit"`
		PreviousCommit *string `json:"previousCommit"`
	}
	if err := json.Unmarshal(raw, &items); err != nil {
		b.errs[field] = "Expected a list of refs."
		return nil, false
	}
	for _, it := range items {
		r := core.ReleaseRef{}
		if it.Repository != nil {
			r.Repository = *it.Repository
		}
		if it.Commit != nil {
			r.Commit = *it.Commit
		}
		if it.PreviousCommit != nil {
			r.PreviousCommit = *it.PreviousCommit
		}
		out = append(out, r)
	}
	return out, true
}
