package store

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Cache is the store with the API's per-request answers kept in memory: a decorator around a
// *DB that answers AuthenticateToken, MemberRole, OrgBySlug, Releases and RenderedReleases
// from memory while nothing that could change them has been written, and passes every other
// method through.
//
// The API authenticates every request and checks the caller's role in the organization the
// URL names, and org tokens mostly read release lists. Each answer is one indexed query, but a
// query through modernc's SQLite costs about as much CPU as the whole rest of a small request.
//
//   - The cache has its own epoch. An answer is stored with the epoch read before it was
//     queried, and served only while the epoch is unchanged.
//   - Invalidate advances the epoch: it is the one way to drop every answer. The store calls
//     it (through DB.Invalidate) after each of its own transactions that can change an answer
//     — tokens, members and roles, organizations, users, releases — once the commit has
//     returned, so a revoked token, a removed or demoted member or a deactivated user fails on
//     the very next request. Saving token uses ("last used") and marking mail sent change no
//     answer and leave the cache alone.
//   - A write made by another process on the same file (an operator command run next to the
//     server) is announced through the data folder's control socket (internal/datadir), which
//     calls DB.Invalidate; cacheTTL bounds how long such a write can go unseen when nobody
//     announces it (a tool other than tokenboard, or a server with no control socket).
//   - If Invalidate runs while an answer is being read, that answer is not kept (put compares
//     the epoch again), so an answer read before a commit never outlives the commit's
//     Invalidate.
//
// On PostgreSQL the other instances' writes arrive as notifications (listen.go), which call
// DB.Invalidate; while the notification connection is down, no answer is served from memory.
//
// Token expiry is compared with the clock on every request, cached answer or not. Failed
// lookups are never cached: only live tokens and existing organizations take space.
type Cache struct {
	*DB
	epoch atomic.Uint64
	// ttl is cacheTTL; tests that must not depend on the clock lengthen it.
	ttl      time.Duration
	tokens   readCache[string, core.Principal] // by token hash
	orgs     readCache[string, core.Org]       // by slug
	roles    readCache[[2]int64, memberRoleEntry]
	releases readCache[releaseListKey, *cachedReleasePage]
}

// NewCache returns the cache decorating db; db's own writes invalidate it from then on.
func NewCache(db *DB) *Cache {
	c := &Cache{DB: db, ttl: cacheTTL}
	c.tokens.owner, c.orgs.owner, c.roles.owner, c.releases.owner = c, c, c, c
	db.addCache(c)
	return c
}

// Invalidate drops every cached answer. The store calls it after its own writes; call it when
// learning of a write made elsewhere (another process, another backend).
func (c *Cache) Invalidate() { c.epoch.Add(1) }

// AuthenticateToken is DB.AuthenticateToken, answered from memory while nothing has been
// written since. Expiry is checked on every call.
func (c *Cache) AuthenticateToken(ctx context.Context, t core.ParsedToken) (*core.Principal, error) {
	p, ok := c.tokens.get(t.Hash)
	if !ok {
		epoch := c.epoch.Load()
		var err error
		if p, err = c.DB.lookupToken(ctx, t); err != nil {
			return nil, err
		}
		c.tokens.put(t.Hash, p, epoch)
	}
	return c.DB.livePrincipal(p)
}

// MemberRole is DB.MemberRole, answered from memory while nothing has been written since.
func (c *Cache) MemberRole(ctx context.Context, orgID, userID int64) (core.Role, bool, error) {
	key := [2]int64{orgID, userID}
	if e, ok := c.roles.get(key); ok {
		return e.role, e.member, nil
	}
	epoch := c.epoch.Load()
	role, member, err := c.DB.MemberRole(ctx, orgID, userID)
	if err != nil {
		return "", false, err
	}
	c.roles.put(key, memberRoleEntry{role, member}, epoch)
	return role, member, nil
}

// OrgBySlug is DB.OrgBySlug, answered from memory while nothing has been written since.
func (c *Cache) OrgBySlug(ctx context.Context, slug string) (*core.Org, error) {
	if org, ok := c.orgs.get(slug); ok {
		return &org, nil
	}
	epoch := c.epoch.Load()
	org, err := c.DB.OrgBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	c.orgs.put(slug, *org, epoch)
	return org, nil
}

// Releases is DB.Releases with the pages (and the role the check reads) answered from memory
// while nothing has been written since.
func (c *Cache) Releases(ctx context.Context, orgID, projectID int64, page core.Page) ([]core.Release, error) {
	p, err := c.releasePage(ctx, orgID, projectID, page)
	if err != nil {
		return nil, err
	}
	return copyReleases(p.releases), nil
}

// RenderedReleases is DB.RenderedReleases with each page's renderings kept with the page: a
// page read from memory is answered with its rendering, rendered once. For the API's release
// list, encoding the JSON was most of the request's own work once the page itself came from
// memory (BENCHMARKS.md, "API load").
func (c *Cache) RenderedReleases(ctx context.Context, orgID, projectID int64, page core.Page, view string,
	render func([]core.Release) ([]byte, error)) ([]byte, int, error) {
	p, err := c.releasePage(ctx, orgID, projectID, page)
	if err != nil {
		return nil, 0, err
	}
	body, err := p.rendered(view, render)
	return body, len(p.releases), err
}

// releasePage checks the caller may read the organization's releases and returns the page,
// from memory while nothing has been written since.
func (c *Cache) releasePage(ctx context.Context, orgID, projectID int64, page core.Page) (*cachedReleasePage, error) {
	if _, err := c.DB.authorizeWith(ctx, c.MemberRole, orgID, core.RuleReadReleases); err != nil {
		return nil, err
	}
	page = page.Normalize(releasePageDefault, releasePageMax)
	key := releaseListKey{orgID, projectID, page}
	if p, ok := c.releases.get(key); ok {
		return p, nil
	}
	epoch := c.epoch.Load()
	rs, err := c.DB.releasePage(ctx, orgID, projectID, page)
	if err != nil {
		return nil, err
	}
	p := &cachedReleasePage{releases: rs}
	c.releases.put(key, p, epoch)
	return p, nil
}

// cachedReleasePage is a page of releases, never modified once cached, and its renderings by
// view, made on first use.
type cachedReleasePage struct {
	releases []core.Release
	mu       sync.RWMutex
	views    map[string][]byte
}

// rendered returns the page's rendering for view, calling render the first time. A failed
// rendering is not kept.
func (p *cachedReleasePage) rendered(view string, render func([]core.Release) ([]byte, error)) ([]byte, error) {
	p.mu.RLock()
	body, ok := p.views[view]
	p.mu.RUnlock()
	if ok {
		return body, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if body, ok := p.views[view]; ok {
		return body, nil
	}
	body, err := render(p.releases)
	if err != nil {
		return nil, err
	}
	if p.views == nil {
		p.views = make(map[string][]byte, 1)
	}
	p.views[view] = body
	return body, nil
}

const (
	// cacheTTL bounds how long a write by another process, which nothing has reported with
	// Invalidate, can go unseen.
	cacheTTL = time.Second
	// cacheMaxEntries bounds each cache; a full cache is simply emptied.
	cacheMaxEntries = 20000
)

type cacheEntry[V any] struct {
	value V
	epoch uint64
	until time.Time
}

// readCache is a map of answers valid while their cache's epoch is unchanged.
type readCache[K comparable, V any] struct {
	owner *Cache // whose epoch and lifetime apply
	mu    sync.RWMutex
	m     map[K]cacheEntry[V]
}

// get returns the cached answer for k if nothing has been invalidated since it was read, and
// the store can hear about every write (DB.answersTrusted: on PostgreSQL, while its listener
// is connected).
func (c *readCache[K, V]) get(k K) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || e.epoch != c.owner.epoch.Load() || time.Now().After(e.until) || !c.owner.DB.answersTrusted.Load() {
		var zero V
		return zero, false
	}
	return e.value, true
}

// put caches v, read from the database after the epoch was epoch; if anything was
// invalidated meanwhile, v may already be stale and is not kept.
func (c *readCache[K, V]) put(k K, v V, epoch uint64) {
	if c.owner.epoch.Load() != epoch {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= cacheMaxEntries {
		c.m = make(map[K]cacheEntry[V])
	}
	c.m[k] = cacheEntry[V]{value: v, epoch: epoch, until: time.Now().Add(c.owner.ttl)}
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

// caches are the Caches decorating one DB, which its writes invalidate.
type caches struct {
	mu   sync.Mutex
	list []*Cache
}

// addCache makes the store's writes invalidate c.
func (db *DB) addCache(c *Cache) {
	db.caches.mu.Lock()
	db.caches.list = append(db.caches.list, c)
	db.caches.mu.Unlock()
}

// Invalidate drops every answer the Caches decorating this store hold. The store calls it
// after each of its own writes that can change an answer; a signal from another process (or
// a second backend) that wrote to the same data calls it too.
func (db *DB) Invalidate() {
	db.caches.mu.Lock()
	defer db.caches.mu.Unlock()
	for _, c := range db.caches.list {
		c.Invalidate()
	}
}
