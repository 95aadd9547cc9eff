package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// testDB opens a fresh database with the demo data, seen through its Cache as the API sees
// it, fixtures that write through a second
// handle on the same file (as another writer would), and a clock the test moves.
type testDB struct {
	*store.Cache
	fx    *storetest.Fixtures
	clock *testClock
	op    context.Context
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func openTestDB(t *testing.T) *testDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokenboard.db")
	db, err := storetest.OpenDemo(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{now: time.Now().UTC()}
	db.Now = clock.Now
	db.BaseURL = "http://x"
	op := core.WithActor(context.Background(), core.Actor{Operator: true, IP: "test"})
	fx, err := storetest.New(db, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.Close() })
	return &testDB{Cache: store.NewCache(db), fx: fx, clock: clock, op: op}
}

func (d *testDB) authenticate(t *testing.T, token string) (*core.Principal, error) {
	t.Helper()
	parsed, err := core.ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	return d.AuthenticateToken(context.Background(), parsed)
}

// mustAuthenticate authenticates twice, so the second answer comes from the cache.
func (d *testDB) mustAuthenticate(t *testing.T, token string) *core.Principal {
	t.Helper()
	var p *core.Principal
	for range 2 {
		var err error
		if p, err = d.authenticate(t, token); err != nil {
			t.Fatalf("authenticating: %v", err)
		}
	}
	return p
}

func (d *testDB) user(t *testing.T, email string) *core.User {
	t.Helper()
	u, err := d.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (d *testDB) org(t *testing.T, slug string) *core.Org {
	t.Helper()
	o, err := d.OrgBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestAuthenticateToken(t *testing.T) {
	t.Parallel()
	d := openTestDB(t)
	ctx := context.Background()

	t.Run("PrincipalOfEachKind", func(t *testing.T) {
		orgToken, _ := d.fx.MintOrgToken(ctx, "acme", "CI")
		p := d.mustAuthenticate(t, orgToken)
		if p.Kind != core.TokenOrg || p.OrgID != d.org(t, "acme").ID || p.Scopes != core.OrgTokenScopes || p.User != nil {
			t.Errorf("org token principal %+v", p)
		}
		userToken, _ := d.fx.MintUserToken(ctx, "member@acme.test", core.NewScopeSet(core.ScopeProjectAdmin), nil)
		p = d.mustAuthenticate(t, userToken)
		want := core.NewScopeSet(core.ScopeProjectAdmin).Expand()
		if p.Kind != core.TokenUser || p.User == nil || p.User.Email != "member@acme.test" || p.Scopes != want {
			t.Errorf("user token principal %+v", p)
		}
		// The cached principal is not shared with callers.
		p.User.Email = "changed"
		if again := d.mustAuthenticate(t, userToken); again.User.Email != "member@acme.test" {
			t.Errorf("a caller changed the cached user")
		}
		integrationToken, _ := d.fx.MintIntegrationToken(ctx, "acme", core.NewScopeSet(core.ScopeOrgRead))
		p = d.mustAuthenticate(t, integrationToken)
		if p.Kind != core.TokenIntegration || p.IntegrationID == 0 || p.OrgID != d.org(t, "acme").ID {
			t.Errorf("integration token principal %+v", p)
		}
	})
	t.Run("RevokedByAnotherHandleWhileCached", func(t *testing.T) {
		for _, mint := range []func() string{
			func() string {
				tok, _ := d.fx.MintOrgToken(ctx, "acme", "CI")
				return tok
			},
			func() string {
				tok, _ := d.fx.MintUserToken(ctx, "member@acme.test", core.NewScopeSet(core.ScopeOrgRead), nil)
				return tok
			},
			func() string {
				tok, _ := d.fx.MintIntegrationToken(ctx, "acme", core.NewScopeSet(core.ScopeOrgRead))
				return tok
			},
		} {
			token := mint()
			d.mustAuthenticate(t, token)
			if err := d.fx.RevokeToken(ctx, token); err != nil {
				t.Fatal(err)
			}
			if _, err := d.authenticate(t, token); core.ErrorCode(err) != core.EUNAUTHORIZED {
				t.Errorf("revoked token: err %v, want 401", err)
			}
		}
	})
	t.Run("ExpiresWhileCachedWithoutAnyWrite", func(t *testing.T) {
		in := d.clock.Now().Add(time.Hour)
		token, _ := d.fx.MintUserToken(ctx, "member@acme.test", core.NewScopeSet(core.ScopeOrgRead), &in)
		d.mustAuthenticate(t, token)
		d.clock.Advance(2 * time.Hour)
		if _, err := d.authenticate(t, token); core.ErrorMessage(err) != "Token expired" {
			t.Errorf("err %v, want Token expired", err)
		}
	})
	t.Run("MalformedKindIsInvalid", func(t *testing.T) {
		if _, err := d.AuthenticateToken(ctx, core.ParsedToken{Hash: "x"}); core.ErrorMessage(err) != "Invalid token" {
			t.Errorf("err %v", err)
		}
	})
}

func TestMemberRoleFollowsEveryChange(t *testing.T) {
	t.Parallel()
	d := openTestDB(t)
	ctx := context.Background()
	acme, member := d.org(t, "acme"), d.user(t, "member@acme.test")
	owner := core.WithActor(ctx, core.Actor{User: d.user(t, "owner@acme.test"), IP: "test"})
	check := func(wantRole core.Role, wantMember bool) {
		t.Helper()
		for range 2 {
			role, isMember, err := d.MemberRole(ctx, acme.ID, member.ID)
			if err != nil || role != wantRole || isMember != wantMember {
				t.Fatalf("MemberRole = %q, %v, %v; want %q, %v", role, isMember, err, wantRole, wantMember)
			}
		}
	}
	check(core.RoleMember, true)
	if err := d.ChangeRole(owner, acme.ID, member.ID, core.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	check(core.RoleAdmin, true)
	if err := d.RemoveMember(owner, acme.ID, member.ID); err != nil {
		t.Fatal(err)
	}
	check("", false)
	// A change by another writer on the same file too.
	if err := d.fx.AddMember(ctx, acme.ID, member.ID, core.RoleManager); err != nil {
		t.Fatal(err)
	}
	check(core.RoleManager, true)

	t.Run("OrgBySlugSeesARename", func(t *testing.T) {
		d.org(t, "acme")
		if _, err := d.UpdateOrg(owner, acme.ID, "Acme Renamed"); err != nil {
			t.Fatal(err)
		}
		if o := d.org(t, "acme"); o.Name != "Acme Renamed" {
			t.Errorf("name %q after the rename", o.Name)
		}
	})
}

// TestAuthorizeTokenActors checks what the services let tokens do, whatever the API layer
// checked before: an org or integration token acts only in its own organization and within
// its scopes; a user token within its scopes and its user's role.
func TestAuthorizeTokenActors(t *testing.T) {
	t.Parallel()
	d := openTestDB(t)
	acme, globex := d.org(t, "acme"), d.org(t, "globex")
	web := core.NewRelease{Version: "1.0", Projects: []string{"web"}}
	as := func(user *core.User, p *core.Principal) context.Context {
		return core.WithActor(context.Background(), core.Actor{User: user, Token: p, IP: "test"})
	}
	orgToken := &core.Principal{Kind: core.TokenOrg, OrgID: acme.ID, Scopes: core.OrgTokenScopes}
	if _, _, err := d.CreateRelease(as(nil, orgToken), acme.ID, web); err != nil {
		t.Errorf("org token in its organization: %v", err)
	}
	if _, _, err := d.CreateRelease(as(nil, orgToken), globex.ID, web); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("org token in another organization: %v, want not found", err)
	}
	if err := d.DeleteRelease(as(nil, orgToken), acme.ID, "1.0"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("org token deleting a release: %v, want forbidden", err)
	}
	if _, err := d.CreateTeam(as(nil, orgToken), acme.ID, "t", "T"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("org token creating a team: %v, want forbidden", err)
	}
	if _, err := d.AddMember(as(nil, orgToken), acme.ID, "x@example.com", core.RoleMember); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("org token adding a member: %v, want forbidden", err)
	}
	integration := &core.Principal{Kind: core.TokenIntegration, OrgID: acme.ID,
		Scopes: core.NewScopeSet(core.ScopeProjectRead).Expand()}
	if _, _, err := d.CreateRelease(as(nil, integration), acme.ID, web); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("integration token without release scopes: %v, want forbidden", err)
	}
	member := d.user(t, "member@acme.test")
	userToken := &core.Principal{Kind: core.TokenUser, User: member, Scopes: core.AllScopes}
	if _, err := d.UpdateOrg(as(member, userToken), acme.ID, "Acme"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("a member's all-scopes token renaming: %v, want forbidden (the role lacks org:write)", err)
	}
	readOnly := &core.Principal{Kind: core.TokenUser, User: d.user(t, "owner@acme.test"), Scopes: core.NewScopeSet(core.ScopeOrgRead)}
	if _, err := d.UpdateOrg(as(readOnly.User, readOnly), acme.ID, "Acme"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("an owner's org:read token renaming: %v, want forbidden (the token lacks org:write)", err)
	}
}

func TestReleases(t *testing.T) {
	t.Parallel()
	d := openTestDB(t)
	acme := d.org(t, "acme")
	ctx := core.WithActor(context.Background(), core.Actor{User: d.user(t, "member@acme.test"), IP: "test"})

	r, created, err := d.CreateRelease(ctx, acme.ID, core.NewRelease{Version: "1.0", Ref: "abc", Projects: []string{"web"}})
	if err != nil || !created || r.Version != "1.0" || r.Ref != "abc" || len(r.Projects) != 1 {
		t.Fatalf("create: %+v %v %v", r, created, err)
	}
	list := func(projectID int64) []core.Release {
		t.Helper()
		rs, err := d.Releases(ctx, acme.ID, projectID, core.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	api, _ := d.ProjectBySlug(ctx, acme.ID, "api")
	if n := len(list(api.ID)); n != 0 {
		t.Errorf("api has %d releases, want 0", n)
	}
	// The cached page follows the next write.
	if _, created, err := d.CreateRelease(ctx, acme.ID, core.NewRelease{Version: "1.0", Projects: []string{"api"}}); err != nil || created {
		t.Fatalf("adding api: created %v, %v", created, err)
	}
	if rs := list(api.ID); len(rs) != 1 || len(rs[0].Projects) != 2 {
		t.Errorf("api's releases %+v", rs)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	r, err = d.UpdateRelease(ctx, acme.ID, "1.0", core.ReleaseUpdate{ReleasedAt: core.OptionalTime{Set: true, Value: &at}})
	if err != nil || r.ReleasedAt == nil || !r.ReleasedAt.Equal(at) || r.Ref != "abc" {
		t.Errorf("finalize: %+v %v", r, err)
	}
	if rs := list(0); len(rs) != 1 || rs[0].ReleasedAt == nil {
		t.Errorf("list after finalize %+v", rs)
	}
	if err := d.DeleteRelease(ctx, acme.ID, "1.0"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Release(ctx, acme.ID, "1.0"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("deleted release: %v", err)
	}
	billing := core.WithActor(context.Background(), core.Actor{User: d.user(t, "billing@acme.test"), IP: "test"})
	if _, err := d.Releases(billing, acme.ID, 0, core.Page{}); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("billing listing releases: %v, want forbidden", err)
	}
	outsider := core.WithActor(context.Background(), core.Actor{User: d.user(t, "owner@globex.test"), IP: "test"})
	if _, err := d.Releases(outsider, acme.ID, 0, core.Page{}); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("non-member listing releases: %v, want not found", err)
	}
}

func TestSaveTokenUses(t *testing.T) {
	t.Parallel()
	d := openTestDB(t)
	ctx := context.Background()
	acme := d.org(t, "acme")
	web, _ := d.ProjectBySlug(d.op, acme.ID, "web")
	orgToken, _ := d.fx.MintOrgToken(ctx, "acme", "CI")
	p := d.mustAuthenticate(t, orgToken)
	lastUsed := func() (at int64, project sql.NullInt64) {
		t.Helper()
		var unix sql.NullInt64
		parsed, _ := core.ParseToken(orgToken)
		if err := d.fx.Raw().QueryRow(`SELECT last_used_at, last_used_project_id FROM tokens WHERE token_hash = ?`,
			parsed.Hash).Scan(&unix, &project); err != nil {
			t.Fatal(err)
		}
		return unix.Int64, project
	}
	save := func(at time.Time, projectID int64) {
		t.Helper()
		if err := d.SaveTokenUses(ctx, []core.TokenUse{{Kind: core.TokenOrg, TokenID: p.TokenID, ProjectID: projectID, At: at}}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Unix(1_700_000_000, 0)
	save(t0, web.ID)
	if at, project := lastUsed(); at != t0.Unix() || project.Int64 != web.ID {
		t.Errorf("first use: %d in %v", at, project)
	}
	save(t0.Add(time.Minute), 0)
	if at, project := lastUsed(); at != t0.Add(time.Minute).Unix() || project.Int64 != web.ID {
		t.Errorf("a later use without a project: %d in %v, want the project kept", at, project)
	}
	save(t0, 999999)
	if at, project := lastUsed(); at != t0.Add(time.Minute).Unix() || project.Int64 != web.ID {
		t.Errorf("an older use: %d in %v, want nothing changed", at, project)
	}
	save(t0.Add(time.Hour), 999999)
	if at, project := lastUsed(); at != t0.Add(time.Hour).Unix() || project.Int64 != web.ID {
		t.Errorf("a use in a deleted project: %d in %v, want the time only", at, project)
	}
	if err := d.SaveTokenUses(ctx, nil); err != nil {
		t.Errorf("an empty batch: %v", err)
	}
}

// A page's rendering is made once while the page is unchanged, made again after a write, and
// checked like the page itself.
func TestRenderedReleasesFollowWrites(t *testing.T) {
	t.Parallel()
	d := openTestDB(t)
	acme := d.org(t, "acme")
	ctx := core.WithActor(context.Background(), core.Actor{User: d.user(t, "member@acme.test"), IP: "test"})
	renders := 0
	render := func(rs []core.Release) ([]byte, error) {
		renders++
		var versions []string
		for _, r := range rs {
			versions = append(versions, r.Version)
		}
		return []byte(strings.Join(versions, ",")), nil
	}
	list := func(c context.Context, view string) (string, int, error) {
		t.Helper()
		body, n, err := d.RenderedReleases(c, acme.ID, 0, core.Page{Limit: 10}, view, render)
		return string(body), n, err
	}
	for _, v := range []string{"1.0", "2.0"} {
		if _, _, err := d.CreateRelease(ctx, acme.ID, core.NewRelease{Version: v, Projects: []string{"web"}}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if body, n, err := list(ctx, "v"); err != nil || body != "2.0,1.0" || n != 2 {
			t.Fatalf("rendered %q (%d), %v", body, n, err)
		}
	}
	if renders != 1 {
		t.Fatalf("rendered %d times for an unchanged page, want 1", renders)
	}
	if body, _, _ := list(ctx, "other"); body != "2.0,1.0" || renders != 2 {
		t.Fatalf("a second view: %q after %d renders", body, renders)
	}
	if _, _, err := d.CreateRelease(ctx, acme.ID, core.NewRelease{Version: "3.0", Projects: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	if body, n, err := list(ctx, "v"); err != nil || body != "3.0,2.0,1.0" || n != 3 || renders != 3 {
		t.Fatalf("after a write: %q (%d), %v after %d renders", body, n, err, renders)
	}
	billing := core.WithActor(context.Background(), core.Actor{User: d.user(t, "billing@acme.test"), IP: "test"})
	if _, _, err := list(billing, "v"); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Errorf("billing reading a cached rendering: %v, want forbidden", err)
	}
}
