package sqlite

import (
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The API authenticates every request and checks the caller's role in the organization the
// URL names, and org tokens mostly read release lists. Each answer is one indexed query, but a
// query through modernc's SQLite costs about as much CPU as the whole rest of a small request,
// so these answers are kept in memory and dropped the moment anything is written:
//
//   - writeEpoch counts the commits of every SQLite connection in this process: a commit hook
//     registered on each new connection increments it, and inTx increments it once more after
//     its commit has returned. (The hook runs just before a commit becomes visible; the second
//     increment closes that window for every write the services make. A write made outside
//     them, through another handle, leaves that window of a few microseconds open to a read
//     running at the same moment, bounded by cacheTTL.)
//   - An answer is cached together with the epoch read before it was queried, and served only
//     while the epoch is unchanged: a revoked token, a removed or demoted member, a deactivated
//     user fail on the very next request.
//   - cacheTTL bounds how long a write made by another process on the same file (an operator
//     command run next to the server) can go unseen.
//
// Token expiry is compared with the clock on every request, cached answer or not. Failed
// lookups are never cached: only live tokens and existing organizations take space.
var writeEpoch atomic.Uint64

// bumpWriteEpoch invalidates every cached answer.
func bumpWriteEpoch() { writeEpoch.Add(1) }

var registerCommitHook sync.Once

// installCommitHook makes every SQLite connection this process opens from now on bump the
// write epoch on each commit, whoever opened it (the test fixtures open a second handle).
func installCommitHook() {
	registerCommitHook.Do(func() {
		sqlite.RegisterConnectionHook(func(conn sqlite.ExecQuerierContext, _ string) error {
			if h, ok := conn.(sqlite.HookRegisterer); ok {
				h.RegisterCommitHook(func() int32 { bumpWriteEpoch(); return 0 })
			}
			return nil
		})
	})
}

const (
	cacheTTL = time.Second
	// cacheMaxEntries bounds each cache; a full cache is simply emptied.
	cacheMaxEntries = 20000
)

type cacheEntry[V any] struct {
	value V
	epoch uint64
	until time.Time
}

// readCache is a map of answers valid while nothing has been written.
type readCache[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]cacheEntry[V]
}

// get returns the cached answer for k if no write has happened since it was read.
func (c *readCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || e.epoch != writeEpoch.Load() || time.Now().After(e.until) {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put caches v, read from the database after the epoch was epoch; if anything was committed
// meanwhile, v may already be stale and is not kept.
func (c *readCache[K, V]) put(k K, v V, epoch uint64) {
	if writeEpoch.Load() != epoch {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= cacheMaxEntries {
		c.m = make(map[K]cacheEntry[V])
	}
	c.m[k] = cacheEntry[V]{value: v, epoch: epoch, until: time.Now().Add(cacheTTL)}
	c.mu.Unlock()
}

// memberRoleEntry is a cached answer of MemberRole.
type memberRoleEntry struct {
	role   core.Role
	member bool
}

// releaseListKey identifies one page of a release list.
type releaseListKey struct {
	orgID, projectID int64
	page             core.Page
}

// caches holds the database's per-request answers: the authentication's, and the release
// lists, which CI polls and sentry-cli reads.
type caches struct {
	tokens   readCache[string, core.Principal] // by token hash
	orgs     readCache[string, core.Org]       // by slug
	roles    readCache[[2]int64, memberRoleEntry]
	releases readCache[releaseListKey, []core.Release]
}

// Invalidate drops every cached answer.
func (db *DB) Invalidate() { bumpWriteEpoch() }
