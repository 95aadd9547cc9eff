// Package wire connects the SQLite adapter to the web layer's services, in the one place that
// both the server command and the tests use.
package wire

import (
	"github.com/tokenboard/tokenboard/internal/sqlite"
	"github.com/tokenboard/tokenboard/web"
)

// Services returns the web layer's services, all implemented by the database. The answers
// every API request needs (token, organization, role, release pages) come through a
// sqlite.Cache, which the database's own writes invalidate. Token use ("last used") is
// recorded by a usage.Recorder that the caller runs and flushes: set it as Usage.
func Services(db *sqlite.DB) web.Services {
	cached := sqlite.NewCache(db)
	return web.Services{
		Users:        db,
		Orgs:         cached,
		Secrets:      db,
		Tokens:       cached,
		OrgTokens:    db,
		UserTokens:   db,
		Integrations: db,
		Releases:     cached,
	}
}
