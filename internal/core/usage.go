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
	At     time.Time
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
