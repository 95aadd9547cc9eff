package core

import (
	"context"
	"time"
)

// TokenUse is the mark one authenticated API request leaves on its token: when it was used
// and, for an org token creating or updating a release, in which project.
type TokenUse struct {
	Kind    TokenKind
	TokenID int64
	// ProjectID is 0 when the request concerned no single project.
	ProjectID int64
	// Target is the host and path a reverse proxy asked about through forward
	// authentication ("files.example.com/symbols/app.pdb"), "" for other uses.
	Target string
	// Action is what the token did in the project (one of the Action constants); "" when
	// the request named no project.
	Action TokenAction
	At     time.Time
}

// TokenAction is what an org token last did in a project, for the "Last access" column of
// the Auth Tokens list.
type TokenAction string

// The actions recorded: what a CI job does with an org token.
const (
	ActionRelease          TokenAction = "release"
	ActionUploadSourceMaps TokenAction = "sourcemaps"
	ActionUploadDebugFiles TokenAction = "debugfiles"
	ActionDeploy           TokenAction = "deploy"
	ActionSetCommits       TokenAction = "commits"
)

// Describe names the action done in the project, as the Auth Tokens list shows it
// ("uploaded source maps to web"); "" for no action.
func (a TokenAction) Describe(project string) string {
	if v := a.Verb(); v != "" {
		return v + " " + project
	}
	return ""
}

// Verb is the action's words before the project's name ("uploaded source maps to"); "" for
// no action.
func (a TokenAction) Verb() string {
	switch a {
	case ActionRelease:
		return "created or updated a release of"
	case ActionUploadSourceMaps:
		return "uploaded source maps to"
	case ActionUploadDebugFiles:
		return "uploaded debug files to"
	case ActionDeploy:
		return "reported a deploy of"
	case ActionSetCommits:
		return "set commits for a release of"
	}
	return ""
}

// TokenUseRecorder takes note of token uses. The API calls it on every authenticated request,
// so it must return at once and never write to the database itself.
type TokenUseRecorder interface {
	RecordTokenUse(TokenUse)
}

// TokenUseStore saves token uses as each token's "last used" (and, for org tokens, "last used
// in project"; for every kind, the last forward-auth target): one batch, one transaction. A
// use older than the stored one changes nothing, and a use without a project or target keeps
// the stored one.
type TokenUseStore interface {
	SaveTokenUses(ctx context.Context, uses []TokenUse) error
}
