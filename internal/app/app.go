// Package wire connects the SQLite adapter to the web layer's services, in the one place that
// both the server command and the tests use.
package wire

import (
	"github.com/tokenboard/tokenboard/internal/sqlite"
	"github.com/tokenboard/tokenboard/web"
)

// Services returns the web layer's services, all implemented by the database. Token use
// ("last used") is recorded by a usage.Recorder that the caller runs and flushes: set it as
// Usage.
func Services(db *sqlite.DB) web.Services {
	return web.Services{
		Users:        db,
		Orgs:         db,
		Secrets:      db,
		Tokens:       db,
		OrgTokens:    db,
		UserTokens:   db,
		Integrations: db,
		Releases:     db,
	}
}
