package core

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// What a CI job stores through Sentry's API (issue 13, docs/CI-PROTOCOL.md): uploaded
// chunks, the artifact bundles and debug files assembled from them, deploys, and the
// commits and repositories of releases. The bytes themselves live in a blob store; these
// are the records.

// ETOOLARGE marks a refusal for size: a file, request or the organization's storage quota.
// The API answers it with 413 and {"detail": …}.
const ETOOLARGE = "too_large"

// UnassembledChunkLifetime is how long an uploaded chunk that no bundle or debug file uses
// is kept: long enough for a slow CI job to finish uploading and assemble, short enough that
// abandoned uploads do not eat the quota. PruneChunks removes older ones.
const UnassembledChunkLifetime = 24 * time.Hour

// Chunk is a piece of an upload an organization has sent, named by the SHA-1 of its bytes.
type Chunk struct {
	SHA1 string
	Size int64
}

// ArtifactBundle is an uploaded source-map bundle: a zip of minified files and their source
// maps, linked to projects and optionally to a release (by version, which need not exist)
// and dist.
type ArtifactBundle struct {
	ID    int64
	OrgID int64
	// Checksum is the SHA-1 of the whole bundle, as the client announced and the server
	// verified.
	Checksum string
	// BundleID is the bundle's own debug id, from its manifest (derived from the checksum
	// when the manifest has none): Sentry's URLs name bundles by it.
	BundleID  string
	Release   string
	Dist      string
	Size      int64
	FileCount int
	CreatedAt time.Time
	// Projects are the slugs of the projects the bundle belongs to, sorted.
	Projects []string
}

// ArtifactFile is one file inside an artifact bundle.
type ArtifactFile struct {
	// Path is the file's path in the bundle's zip.
	Path string
	// URL is the file's URL as stack frames name it ("~/main.js").
	URL string
	// Type is "source", "minified_source", "source_map", "indexed_ram_bundle" or "".
	Type      string
	Size      int64
	DebugID   string
	SourceMap string
}

// NewArtifactBundle is an assembled, validated bundle to record.
type NewArtifactBundle struct {
	Checksum string
	// Chunks are the SHA-1s of the bundle's chunks, in order; each must be a chunk the
	// organization uploaded.
	Chunks   []string
	Size     int64
	BundleID string
	Release  string
	Dist     string
	// Projects name the bundle's projects by slug or id; at least one.
	Projects []string
	Files    []ArtifactFile
}

// DebugFile is an uploaded debug information file of a project.
type DebugFile struct {
	ID        int64
	OrgID     int64
	ProjectID int64
	Checksum  string
	// Name is the file's name as the client gave it.
	Name string
	// DebugID is the id the client announced (normalized), empty when none.
	DebugID string
	// Kind is the detected format: elf, macho, pe, pdb, portablepdb, breakpad,
	// sourcebundle, wasm or unknown.
	Kind      string
	Size      int64
	CreatedAt time.Time
}

// NewDebugFile is an assembled debug file to record.
type NewDebugFile struct {
	Checksum string
	Chunks   []string
	Name     string
	DebugID  string
	Kind     string
	Size     int64
}

// Deploy is a release reaching an environment.
type Deploy struct {
	ID           int64
	ReleaseID    int64
	Environment  string
	Name         string
	URL          string
	DateStarted  *time.Time
	DateFinished time.Time
}

// NewDeploy is what POST …/releases/{version}/deploys/ submits.
type NewDeploy struct {
	Environment string
	Name        string
	URL         string
	DateStarted *time.Time
	// DateFinished defaults to now.
	DateFinished *time.Time
	// Projects, when given, name projects (slugs) of the release the deploy is for.
	Projects []string
}

// Validate checks a deploy as Sentry does: an environment name is required, at most 64
// characters, without slashes or line breaks, and not "none"; the URL, when given, is http(s).
func (n *NewDeploy) Validate() error {
	env := n.Environment
	switch {
	case env == "":
		return FieldError("environment", "This field is required.")
	case utf8.RuneCountInString(env) > 64 || strings.ContainsAny(env, "/\r\n\f\x00") || env == "none" || strings.TrimSpace(env) != env:
		return FieldError("environment", "Enter a valid environment name.")
	case utf8.RuneCountInString(n.Name) > 64:
		return FieldError("name", "Ensure this field has no more than 64 characters.")
	case n.URL != "" && !strings.HasPrefix(n.URL, "http://") && !strings.HasPrefix(n.URL, "https://"):
		return FieldError("url", "Enter a valid URL.")
	case len(n.URL) > 200:
		return FieldError("url", "Ensure this field has no more than 200 characters.")
	case n.DateStarted != nil && n.DateFinished != nil && n.DateFinished.Before(*n.DateStarted):
		return FieldError("dateFinished", "The deploy cannot finish before it started.")
	}
	return nil
}

// DeployStats is what a release reports about its deploys.
type DeployStats struct {
	Count int
	Last  *Deploy
}

// Repository is a code repository of the organization; commits and refs name it by Name
// ("acme/web"). Repositories are created as commits arrive (sentry-cli set-commits --auto or
// --local), or added by an owner or manager on Settings > Repositories; refs (set-commits
// --commit REPO@SHA) must name one that exists, as in Sentry.
type Repository struct {
	ID    int64
	OrgID int64
	Name  string
	URL   string
	// Provider is the integration the repository comes from; empty for one created from
	// commits or added by hand (Sentry's "unknown provider").
	Provider  string
	Status    string
	CreatedAt time.Time
	// CommitCount is how many commits of the repository are recorded, and ReleaseCount how
	// many releases list at least one of them (a repository some release lists cannot be
	// removed). Both are filled by Repositories only.
	CommitCount  int
	ReleaseCount int
}

// MaxRepositoryName and MaxRepositoryURL bound what a repository's name and URL may hold
// (Sentry's columns are 200 characters).
const (
	MaxRepositoryName = 200
	MaxRepositoryURL  = 200
)

// NewRepository is a repository an owner or manager adds on Settings > Repositories.
type NewRepository struct {
	// Name is how commits and sentry-cli's --commit REPO@SHA name it: "owner/repo".
	Name string
	// URL is optional: where people browse the repository, http(s) only.
	URL string
}

// Validate checks a repository to add. A name may not contain "@" or "#", because sentry-cli's
// --commit REPO#PATH@SHA could not name it.
func (n *NewRepository) Validate() error {
	n.Name, n.URL = strings.TrimSpace(n.Name), strings.TrimSpace(n.URL)
	switch {
	case n.Name == "":
		return FieldError("name", "The repository name cannot be blank.")
	case utf8.RuneCountInString(n.Name) > MaxRepositoryName:
		return FieldError("name", fmt.Sprintf("The repository name cannot be longer than %d characters.", MaxRepositoryName))
	case !printableLine(n.Name):
		return FieldError("name", "The repository name cannot contain control characters.")
	case strings.ContainsAny(n.Name, "@#"):
		return FieldError("name", "The repository name cannot contain @ or #: sentry-cli's --commit REPO@SHA could not name it.")
	}
	if n.URL == "" {
		return nil
	}
	u, err := url.Parse(n.URL)
	switch {
	case len(n.URL) > MaxRepositoryURL:
		return FieldError("url", fmt.Sprintf("The URL cannot be longer than %d characters.", MaxRepositoryURL))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || !printableLine(n.URL):
		return FieldError("url", "Enter a valid URL starting with http:// or https://.")
	}
	return nil
}

// RepositoriesSettingsPath is the settings page where an owner or manager adds the
// organization's repositories; error messages of the API point there.
func RepositoriesSettingsPath(orgSlug string) string { return "/settings/" + orgSlug + "/repos/" }

// MissingRepositoriesError is the answer to refs naming repositories the organization does
// not have: Sentry's 400 {"refs": ["Invalid repository names: …"]}, with where to add them.
func MissingRepositoriesError(orgSlug string, names []string) error {
	return FieldError("refs", fmt.Sprintf("Invalid repository names: %s. An owner or manager adds a repository under Settings > Repositories (%s).",
		strings.Join(names, ","), RepositoriesSettingsPath(orgSlug)))
}

// CommitAuthor is who wrote commits, by email within the organization.
type CommitAuthor struct {
	ID    int64
	Name  string
	Email string
}

// Commit is one commit of a repository.
type Commit struct {
	ID    int64
	OrgID int64
	// Key is the commit's hash.
	Key        string
	Repository Repository
	Message    string
	Author     *CommitAuthor
	// Timestamp is when it was committed; nil when only a ref named it.
	Timestamp *time.Time
	CreatedAt time.Time
}

// NewCommit is one entry of the "commits" a release PUT sends (sentry-cli's set-commits with
// --local or --auto): id, repository, message, author, timestamp.
type NewCommit struct {
	Key         string
	Repository  string
	Message     string
	AuthorName  string
	AuthorEmail string
	Timestamp   *time.Time
}

// ReleaseRef is one entry of the "refs" a release PUT sends: the head commit of a
// repository for the release, and optionally the previous release's.
type ReleaseRef struct {
	Repository     string
	Commit         string
	PreviousCommit string
}

// CommitStats is what a release reports about its commits.
type CommitStats struct {
	Count   int
	Last    *Commit
	Authors []CommitAuthor
}

// maxCommitKey bounds commit hashes: 40 hex digits for git SHA-1, 64 for SHA-256, longer
// for other systems' ids; Sentry accepts up to 64.
const maxCommitKey = 64

// ValidateCommits checks commits as Sentry's release serializer does.
func ValidateCommits(cs []NewCommit) error {
	for _, c := range cs {
		switch {
		case c.Key == "" || len(c.Key) > maxCommitKey || !printableLine(c.Key):
			return FieldError("commits", "Each commit needs an id of at most 64 characters.")
		case c.Repository == "" || len(c.Repository) > 200 || !printableLine(c.Repository):
			return FieldError("commits", "Each commit needs a repository name of at most 200 characters.")
		case len(c.AuthorEmail) > 75 || len(c.AuthorName) > 128:
			return FieldError("commits", "A commit author's name or email is too long.")
		}
	}
	return nil
}

// ValidateRefs checks refs as Sentry does.
func ValidateRefs(rs []ReleaseRef) error {
	for _, r := range rs {
		switch {
		case r.Repository == "" || len(r.Repository) > 200 || !printableLine(r.Repository):
			return FieldError("refs", "Each ref needs a repository name of at most 200 characters.")
		case r.Commit == "" || len(r.Commit) > maxCommitKey || !printableLine(r.Commit) || len(r.PreviousCommit) > maxCommitKey || !printableLine(r.PreviousCommit):
			return FieldError("refs", "Each ref needs a commit of at most 64 characters.")
		}
	}
	return nil
}

func printableLine(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// The scopes of the CI operations, in Sentry's terms: uploading and assembling is a release
// write (org:ci included); deleting an artifact bundle is a release delete (org:ci
// excluded); listing repositories is open to release readers too, because sentry-cli's
// set-commits lists them with an org token.
var (
	RepositoryReadScopes = ReleaseReadScopes.Union(NewScopeSet(ScopeOrgRead))

	RuleReadRepositories = Rule{Name: "read repositories", AnyOf: RepositoryReadScopes}
	// RuleManageRepositories adds and removes repositories on Settings > Repositories: owners
	// and managers (org:write), as issue 13 asks. Sentry lets org:integrations (admins too)
	// do it through its integrations; tokenboard has no integration, only this page, which
	// belongs to people like the other settings pages.
	RuleManageRepositories = Rule{Name: "manage repositories", AnyOf: NewScopeSet(ScopeOrgWrite), MembersOnly: true}
)

// CIService stores what CI jobs upload and report. Every method checks the actor's scopes in
// the organization, except PruneChunks, which is maintenance run by the server itself.
type CIService interface {
	// RecordChunks notes that the organization uploaded these chunks (stored in the blob
	// store); recording one again refreshes its time.
	RecordChunks(ctx context.Context, orgID int64, chunks []Chunk) error
	// MissingChunks returns those of sums the organization has not uploaded, in order. It
	// refreshes the time of held chunks older than an hour, so a prune cannot remove what
	// the client was just told it need not send.
	MissingChunks(ctx context.Context, orgID int64, sums []string) ([]string, error)
	// StorageUsed is the bytes of the chunks the organization holds, for its quota.
	StorageUsed(ctx context.Context, orgID int64) (int64, error)
	// PruneChunks forgets chunks uploaded before cutoff that no bundle or debug file uses,
	// and returns the SHA-1s no organization holds any more: the caller deletes those blobs.
	PruneChunks(ctx context.Context, cutoff time.Time) ([]string, error)

	// CreateArtifactBundle records an assembled bundle; the same checksum again returns the
	// existing bundle, linked to any new projects (created is false).
	CreateArtifactBundle(ctx context.Context, orgID int64, n NewArtifactBundle) (b *ArtifactBundle, created bool, err error)
	// ArtifactBundleByChecksum finds a bundle by its checksum (ENOTFOUND when none).
	ArtifactBundleByChecksum(ctx context.Context, orgID int64, checksum string) (*ArtifactBundle, error)
	// ArtifactBundleByBundleID finds the newest bundle with that bundle (debug) id, as
	// Sentry's URLs name bundles (ENOTFOUND when none).
	ArtifactBundleByBundleID(ctx context.Context, orgID int64, bundleID string) (*ArtifactBundle, error)
	// ArtifactBundles lists bundles newest first: a project's (projectID non-zero), a
	// release's (release non-empty), or the organization's.
	ArtifactBundles(ctx context.Context, orgID, projectID int64, release string, page Page) ([]ArtifactBundle, error)
	// ArtifactBundleFiles lists a bundle's files by path, with the bundle's chunk SHA-1s
	// (to read the files back).
	ArtifactBundleFiles(ctx context.Context, orgID, bundleID int64) ([]ArtifactFile, []string, error)
	// DeleteArtifactBundle removes a bundle and the chunks only it used; it returns the
	// SHA-1s no organization holds any more (the caller deletes those blobs).
	DeleteArtifactBundle(ctx context.Context, orgID, bundleID int64) ([]string, error)

	// CreateDebugFile records an assembled debug file of a project; the same checksum again
	// returns the existing one.
	CreateDebugFile(ctx context.Context, orgID, projectID int64, n NewDebugFile) (*DebugFile, bool, error)
	// DebugFileByChecksum finds a project's debug file by checksum (ENOTFOUND when none).
	DebugFileByChecksum(ctx context.Context, orgID, projectID int64, checksum string) (*DebugFile, error)
	// DebugFiles lists a project's debug files, newest first.
	DebugFiles(ctx context.Context, orgID, projectID int64, page Page) ([]DebugFile, error)

	// CreateDeploy records a deploy of a release (ENOTFOUND when the release does not exist).
	CreateDeploy(ctx context.Context, orgID int64, version string, n NewDeploy) (*Deploy, error)
	// Deploys lists a release's deploys, newest first.
	Deploys(ctx context.Context, orgID int64, version string) ([]Deploy, error)
	// ReleaseDeployStats returns the deploy count and last deploy of each release.
	ReleaseDeployStats(ctx context.Context, orgID int64, releaseIDs []int64) (map[int64]DeployStats, error)

	// SetReleaseCommits replaces a release's commits with these (newest first, as sent),
	// creating repositories and authors as they appear.
	SetReleaseCommits(ctx context.Context, orgID int64, version string, commits []NewCommit) error
	// SetReleaseRefs records the head commit of each repository for a release.
	SetReleaseRefs(ctx context.Context, orgID int64, version string, refs []ReleaseRef) error
	// ReleaseCommits lists a release's commits, newest first.
	ReleaseCommits(ctx context.Context, orgID int64, version string) ([]Commit, error)
	// ReleaseCommitStats returns the commit count, last commit and authors of each release.
	ReleaseCommitStats(ctx context.Context, orgID int64, releaseIDs []int64) (map[int64]CommitStats, error)
	// PreviousReleaseWithCommits returns the newest release created before this one that has
	// commits, with its last commit; nil when there is none.
	PreviousReleaseWithCommits(ctx context.Context, orgID int64, version string) (*Release, *Commit, error)
	// Repositories lists the organization's repositories by name, with their counts.
	Repositories(ctx context.Context, orgID int64) ([]Repository, error)
	// AddRepository adds a repository (an owner's or manager's settings action); a name the
	// organization already has, in any case, is ECONFLICT.
	AddRepository(ctx context.Context, orgID int64, n NewRepository) (*Repository, error)
	// RemoveRepository removes a repository and the commits recorded for it, only while no
	// release lists one of them (EINVALID otherwise: the releases keep their history).
	RemoveRepository(ctx context.Context, orgID, repoID int64) (*Repository, error)
}
