package store_test

import (
	"context"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
)

// The organization services whose every method must authorize.
var orgServices = []reflect.Type{
	reflect.TypeFor[core.OrgService](),
	reflect.TypeFor[core.OrgTokenService](),
	reflect.TypeFor[core.IntegrationService](),
	reflect.TypeFor[core.ReleaseService](),
	reflect.TypeFor[core.TokenPolicyService](),
	reflect.TypeFor[core.RotationService](),
	reflect.TypeFor[core.CIService](),
}

// notAuthorized lists the methods of those services that do not act on an organization the
// actor must already belong to, each with the reason.
var notAuthorized = map[string]string{
	"CreateOrg":       "creates an organization: there is none to authorize against yet",
	"OrgBySlug":       "finds the organization that authorization is then asked about; the API answers an unknown slug 404 before it checks access, as Sentry does",
	"OrgByID":         "the same as OrgBySlug, by id",
	"MemberRole":      "is the membership lookup core.Authorize takes as its input",
	"UserMemberships": "lists one user's organizations, not an organization's contents; callers pass the actor's own id",
	"InviteBySecret":  "the invitation's secret is the credential: its holder is not a member yet",
	"AcceptInvite":    "the same as InviteBySecret",
	"RotateUserToken": "acts on one of the actor's own user tokens, found by the actor's id, as UserTokenService does",
	"PruneChunks":     "maintenance the server runs for itself, across organizations, with no actor (app.Maintenance)",
}

// authzFixture is acme with one of each thing the organization methods act on, made by its owner.
type authzFixture struct {
	org, other    *core.Org
	member        *core.User
	orgTokenID    int64
	integration   string
	integrationTk int64
	// What a CI job left in the probe project and release: a bundle, a debug file, a deploy,
	// a commit in acme/probe; and a repository no release lists (acme/spare).
	project     int64
	release     int64
	bundle      *core.ArtifactBundle
	debugFile   string
	spareRepoID int64
}

// The SHA-1s of the fixture's chunks and uploads (the store records sums; the bytes are the
// blob store's).
const (
	authzChunk  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	authzChunk2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	authzBundle = "cccccccccccccccccccccccccccccccccccccccc"
	authzDIF    = "dddddddddddddddddddddddddddddddddddddddd"
	authzOther  = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
)

func newAuthzFixture(t *testing.T, s *testStore) authzFixture {
	t.Helper()
	owner := s.as(t, "owner@acme.test")
	var f authzFixture
	var err error
	if f.org, err = s.OrgBySlug(owner, "acme"); err != nil {
		t.Fatal(err)
	}
	if f.other, err = s.OrgBySlug(owner, "globex"); err != nil {
		t.Fatal(err)
	}
	f.member = core.ActorFrom(s.as(t, "member@acme.test")).User
	tok, _, err := s.CreateOrgToken(owner, f.org.ID, core.NewOrgToken{Name: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	f.orgTokenID = tok.ID
	i, itok, _, err := s.CreateIntegration(owner, f.org.ID, core.IntegrationInput{Name: "Probe", Scopes: core.NewScopeSet(core.ScopeProjectRead)})
	if err != nil {
		t.Fatal(err)
	}
	f.integration, f.integrationTk = i.Slug, itok.ID
	p, err := s.CreateProject(owner, f.org.ID, "", "probe", "Probe")
	if err != nil {
		t.Fatal(err)
	}
	f.project = p.ID
	rel, _, err := s.CreateRelease(owner, f.org.ID, core.NewRelease{Version: "probe", Projects: []string{"probe"}})
	if err != nil {
		t.Fatal(err)
	}
	f.release = rel.ID
	if err := s.RecordChunks(owner, f.org.ID, []core.Chunk{{SHA1: authzChunk, Size: 10}}); err != nil {
		t.Fatal(err)
	}
	if f.bundle, _, err = s.CreateArtifactBundle(owner, f.org.ID, core.NewArtifactBundle{Checksum: authzBundle, Chunks: []string{authzChunk},
		Size: 10, BundleID: "11111111-2222-3333-4444-555555555555", Release: "probe", Projects: []string{"probe"},
		Files: []core.ArtifactFile{{Path: "files/_/_/main.js", URL: "~/main.js", Type: "minified_source", Size: 10}}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.CreateDebugFile(owner, f.org.ID, f.project, core.NewDebugFile{Checksum: authzDIF, Chunks: []string{authzChunk},
		Name: "probe.debug", Kind: "elf", Size: 10}); err != nil {
		t.Fatal(err)
	}
	f.debugFile = authzDIF
	if _, err := s.CreateDeploy(owner, f.org.ID, "probe", core.NewDeploy{Environment: "production"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetReleaseCommits(owner, f.org.ID, "probe", []core.NewCommit{{Key: "c1c1", Repository: "acme/probe", Message: "probe"}}); err != nil {
		t.Fatal(err)
	}
	spare, err := s.AddRepository(owner, f.org.ID, core.NewRepository{Name: "acme/spare"})
	if err != nil {
		t.Fatal(err)
	}
	f.spareRepoID = spare.ID
	return f
}

// authzCalls gives each organization method arguments (after the context) that its owner's
// call succeeds with, so that a refusal can only come from the authorization check.
var authzCalls = map[string]func(f authzFixture) []any{
	"UpdateOrg":      func(f authzFixture) []any { return []any{f.org.ID, "Renamed"} },
	"Membership":     func(f authzFixture) []any { return []any{f.org.ID, f.member.ID} },
	"Members":        func(f authzFixture) []any { return []any{f.org.ID} },
	"Owners":         func(f authzFixture) []any { return []any{f.org.ID} },
	"PendingInvites": func(f authzFixture) []any { return []any{f.org.ID} },
	"AddMember":      func(f authzFixture) []any { return []any{f.org.ID, "new@acme.test", core.RoleMember} },
	"ChangeRole":     func(f authzFixture) []any { return []any{f.org.ID, f.member.ID, core.RoleAdmin} },
	"RemoveMember":   func(f authzFixture) []any { return []any{f.org.ID, f.member.ID} },
	"Teams":          func(f authzFixture) []any { return []any{f.org.ID} },
	"CreateTeam":     func(f authzFixture) []any { return []any{f.org.ID, "probe-team", "Probe team"} },
	"Projects":       func(f authzFixture) []any { return []any{f.org.ID} },
	"ProjectBySlug":  func(f authzFixture) []any { return []any{f.org.ID, "probe"} },
	"CreateProject":  func(f authzFixture) []any { return []any{f.org.ID, "", "probe-2", "Probe 2"} },
	"DeleteProject":  func(f authzFixture) []any { return []any{f.org.ID, "probe"} },
	"AuditLog":       func(f authzFixture) []any { return []any{f.org.ID, "", core.Page{}} },

	"OrgTokens":      func(f authzFixture) []any { return []any{f.org.ID, core.Page{}} },
	"CountOrgTokens": func(f authzFixture) []any { return []any{f.org.ID} },
	"OrgToken":       func(f authzFixture) []any { return []any{f.org.ID, f.orgTokenID} },
	"CreateOrgToken": func(f authzFixture) []any { return []any{f.org.ID, core.NewOrgToken{Name: "probe-2"}} },
	"RenameOrgToken": func(f authzFixture) []any { return []any{f.org.ID, f.orgTokenID, "renamed"} },
	"RevokeOrgToken": func(f authzFixture) []any { return []any{f.org.ID, f.orgTokenID} },
	"RotateOrgToken": func(f authzFixture) []any { return []any{f.org.ID, f.orgTokenID, time.Hour} },
	"TokenPolicy":    func(f authzFixture) []any { return []any{f.org.ID} },
	"UpdateTokenPolicy": func(f authzFixture) []any {
		return []any{f.org.ID, core.TokenPolicy{RevokeExposed: false, MaxTokenDays: 30, MaxUserTokenDays: 90}}
	},

	"Integrations":      func(f authzFixture) []any { return []any{f.org.ID} },
	"Integration":       func(f authzFixture) []any { return []any{f.org.ID, f.integration} },
	"IntegrationBySlug": func(f authzFixture) []any { return []any{f.integration} },
	"CreateIntegration": func(f authzFixture) []any {
		return []any{f.org.ID, core.IntegrationInput{Name: "Probe 2", Scopes: core.NewScopeSet(core.ScopeProjectRead)}}
	},
	"UpdateIntegration": func(f authzFixture) []any {
		return []any{f.org.ID, f.integration, core.IntegrationInput{Name: "Probe", Scopes: core.NewScopeSet(core.ScopeTeamRead)}}
	},
	"DeleteIntegration":      func(f authzFixture) []any { return []any{f.org.ID, f.integration} },
	"IntegrationTokens":      func(f authzFixture) []any { return []any{f.org.ID, f.integration} },
	"CreateIntegrationToken": func(f authzFixture) []any { return []any{f.org.ID, f.integration} },
	"RotateIntegrationToken": func(f authzFixture) []any { return []any{f.org.ID, f.integration, f.integrationTk} },
	"RevokeIntegrationToken": func(f authzFixture) []any { return []any{f.org.ID, f.integration, f.integrationTk} },

	"Releases": func(f authzFixture) []any { return []any{f.org.ID, int64(0), core.Page{}} },
	"RenderedReleases": func(f authzFixture) []any {
		return []any{f.org.ID, int64(0), core.Page{}, "probe", func([]core.Release) ([]byte, error) { return nil, nil }}
	},
	"Release": func(f authzFixture) []any { return []any{f.org.ID, "probe"} },
	"CreateRelease": func(f authzFixture) []any {
		return []any{f.org.ID, core.NewRelease{Version: "probe-2", Projects: []string{"probe"}}}
	},
	"UpdateRelease": func(f authzFixture) []any { return []any{f.org.ID, "probe", core.ReleaseUpdate{}} },
	"DeleteRelease": func(f authzFixture) []any { return []any{f.org.ID, "probe"} },

	"RecordChunks":  func(f authzFixture) []any { return []any{f.org.ID, []core.Chunk{{SHA1: authzChunk2, Size: 10}}} },
	"MissingChunks": func(f authzFixture) []any { return []any{f.org.ID, []string{authzChunk, authzChunk2}} },
	"StorageUsed":   func(f authzFixture) []any { return []any{f.org.ID} },
	"CreateArtifactBundle": func(f authzFixture) []any {
		return []any{f.org.ID, core.NewArtifactBundle{Checksum: authzOther, Chunks: []string{authzChunk}, Size: 10,
			BundleID: "66666666-7777-8888-9999-000000000000", Projects: []string{"probe"}}}
	},
	"ArtifactBundleByChecksum": func(f authzFixture) []any { return []any{f.org.ID, authzBundle} },
	"ArtifactBundleByBundleID": func(f authzFixture) []any { return []any{f.org.ID, f.bundle.BundleID} },
	"ArtifactBundles":          func(f authzFixture) []any { return []any{f.org.ID, f.project, "probe", core.Page{}} },
	"ArtifactBundleFiles":      func(f authzFixture) []any { return []any{f.org.ID, f.bundle.ID} },
	"DeleteArtifactBundle":     func(f authzFixture) []any { return []any{f.org.ID, f.bundle.ID} },
	"CreateDebugFile": func(f authzFixture) []any {
		return []any{f.org.ID, f.project, core.NewDebugFile{Checksum: authzOther, Chunks: []string{authzChunk}, Name: "b", Kind: "elf", Size: 10}}
	},
	"DebugFileByChecksum": func(f authzFixture) []any { return []any{f.org.ID, f.project, f.debugFile} },
	"DebugFiles":          func(f authzFixture) []any { return []any{f.org.ID, f.project, core.Page{}} },
	"CreateDeploy": func(f authzFixture) []any {
		return []any{f.org.ID, "probe", core.NewDeploy{Environment: "staging"}}
	},
	"Deploys":            func(f authzFixture) []any { return []any{f.org.ID, "probe"} },
	"ReleaseDeployStats": func(f authzFixture) []any { return []any{f.org.ID, []int64{f.release}} },
	"SetReleaseCommits": func(f authzFixture) []any {
		return []any{f.org.ID, "probe", []core.NewCommit{{Key: "c2c2", Repository: "acme/probe"}}}
	},
	"SetReleaseRefs": func(f authzFixture) []any {
		return []any{f.org.ID, "probe", []core.ReleaseRef{{Repository: "acme/probe", Commit: "c3c3"}}}
	},
	"ReleaseCommits":             func(f authzFixture) []any { return []any{f.org.ID, "probe"} },
	"ReleaseCommitStats":         func(f authzFixture) []any { return []any{f.org.ID, []int64{f.release}} },
	"PreviousReleaseWithCommits": func(f authzFixture) []any { return []any{f.org.ID, "probe"} },
	"Repositories":               func(f authzFixture) []any { return []any{f.org.ID} },
	"AddRepository":              func(f authzFixture) []any { return []any{f.org.ID, core.NewRepository{Name: "acme/new"}} },
	"RemoveRepository":           func(f authzFixture) []any { return []any{f.org.ID, f.spareRepoID} },
}

// call invokes the named method of db as actor and returns its error result.
func call(t *testing.T, db *store.DB, name string, actor core.Actor, args []any) error {
	t.Helper()
	m := reflect.ValueOf(db).MethodByName(name)
	in := []reflect.Value{reflect.ValueOf(core.WithActor(context.Background(), actor))}
	for _, a := range args {
		in = append(in, reflect.ValueOf(a))
	}
	out := m.Call(in)
	err, _ := out[len(out)-1].Interface().(error)
	return err
}

// TestEveryOrgMethodAuthorizes proves that no method of the organization services skips
// core.Authorize: each is called on acme by actors with no business there, who must be refused
// with the authorization codes and leave nothing changed; then by acme's owner, who must
// succeed with the same arguments (so the refusals came from the check, not from the
// arguments). A new method fails the test until it is given arguments here or a reason in
// notAuthorized.
func TestEveryOrgMethodAuthorizes(t *testing.T) {
	t.Parallel()
	var names []string
	for _, svc := range orgServices {
		for i := range svc.NumMethod() {
			names = append(names, svc.Method(i).Name)
		}
	}
	sort.Strings(names)
	for name := range notAuthorized {
		if _, ok := reflect.TypeFor[*store.DB]().MethodByName(name); !ok {
			t.Errorf("notAuthorized lists %s, which *store.DB does not have", name)
		}
	}
	for _, name := range names {
		if _, ok := notAuthorized[name]; ok {
			continue
		}
		args, ok := authzCalls[name]
		if !ok {
			t.Errorf("%s: give it arguments in authzCalls, or a reason in notAuthorized", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each call has its own database
			s := mustOpen(t)
			f := newAuthzFixture(t, s)
			globexOwner := core.ActorFrom(s.as(t, "owner@globex.test")).User
			billing := core.ActorFrom(s.as(t, "billing@acme.test")).User
			outsiders := []struct {
				name  string
				actor core.Actor
				codes []string
			}{
				{"anonymous", core.Actor{}, []string{core.EUNAUTHORIZED}},
				{"a member of another organization", core.Actor{User: globexOwner}, []string{core.ENOTFOUND}},
				{"a user token of a member of another organization", core.Actor{User: globexOwner,
					Token: &core.Principal{Kind: core.TokenUser, User: globexOwner, Scopes: core.AllScopes}}, []string{core.ENOTFOUND}},
				{"an org token of another organization", core.Actor{
					Token: &core.Principal{Kind: core.TokenOrg, OrgID: f.other.ID, Scopes: core.AllScopes}}, []string{core.ENOTFOUND, core.EFORBIDDEN}},
				{"an integration token of another organization", core.Actor{
					Token: &core.Principal{Kind: core.TokenIntegration, OrgID: f.other.ID, Scopes: core.AllScopes}}, []string{core.ENOTFOUND, core.EFORBIDDEN}},
				{"a billing member, who holds no scope", core.Actor{User: billing}, []string{core.EFORBIDDEN}},
			}
			for _, o := range outsiders {
				err := call(t, s.DB, name, o.actor, args(f))
				if code := core.ErrorCode(err); !contains(o.codes, code) {
					t.Errorf("as %s: err = %v, want a refusal coded %v", o.name, err, o.codes)
				}
			}
			owner := core.ActorFrom(s.as(t, "owner@acme.test"))
			if err := call(t, s.DB, name, owner, args(f)); err != nil {
				t.Errorf("as acme's owner, after the refusals: %v (the arguments must work, and the refused calls must change nothing)", err)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
