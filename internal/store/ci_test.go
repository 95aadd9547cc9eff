package store_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// orgTokenActor mints an org token in the organization, as the dashboard does, and returns
// a context acting with it (what sentry-cli's requests carry).
func orgTokenActor(t *testing.T, app *apptest.App, orgID int64, as context.Context) context.Context {
	t.Helper()
	_, plaintext, err := app.DB.CreateOrgToken(as, orgID, core.NewOrgToken{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := core.ParseToken(plaintext)
	if err != nil {
		t.Fatal(err)
	}
	p, err := app.DB.AuthenticateToken(context.Background(), parsed)
	if err != nil {
		t.Fatal(err)
	}
	return core.WithActor(context.Background(), core.Actor{Token: p, IP: "127.0.0.1"})
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if core.ErrorCode(err) != want {
		t.Errorf("error %v, want code %q", err, want)
	}
}

const (
	sumA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	sumB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	sumC = "cccccccccccccccccccccccccccccccccccccccc"
	sumD = "dddddddddddddddddddddddddddddddddddddddd"
	sumE = "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
)

func TestCIStore(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme, globex := app.Org(t, "acme"), app.Org(t, "globex")
	member := app.As(t, "member@acme.test")
	manager := app.As(t, "manager@acme.test")
	ci := orgTokenActor(t, app, acme.ID, member)
	globexCI := orgTokenActor(t, app, globex.ID, app.As(t, "owner@globex.test"))
	if _, _, err := app.DB.CreateRelease(ci, acme.ID, core.NewRelease{Version: "1.0", Projects: []string{"web"}}); err != nil {
		t.Fatal(err)
	}

	t.Run("ChunksAreHeldPerOrganization", func(t *testing.T) {
		if err := app.DB.RecordChunks(ci, acme.ID, []core.Chunk{{SHA1: sumA, Size: 100}, {SHA1: sumB, Size: 50}}); err != nil {
			t.Fatal(err)
		}
		missing, err := app.DB.MissingChunks(ci, acme.ID, []string{sumA, sumC, sumB, sumC})
		if err != nil || !reflect.DeepEqual(missing, []string{sumC}) {
			t.Errorf("missing %v %v, want [c]", missing, err)
		}
		// Another organization holding nothing must upload the bytes itself.
		missing, err = app.DB.MissingChunks(globexCI, globex.ID, []string{sumA})
		if err != nil || !reflect.DeepEqual(missing, []string{sumA}) {
			t.Errorf("globex missing %v %v", missing, err)
		}
		if used, err := app.DB.StorageUsed(ci, acme.ID); err != nil || used != 150 {
			t.Errorf("storage used %d %v, want 150", used, err)
		}
		// Recording again does not count twice.
		app.DB.RecordChunks(ci, acme.ID, []core.Chunk{{SHA1: sumA, Size: 100}})
		if used, _ := app.DB.StorageUsed(ci, acme.ID); used != 150 {
			t.Errorf("storage used after re-upload %d", used)
		}
		_, err = app.DB.MissingChunks(globexCI, acme.ID, []string{sumA})
		code(t, err, core.ENOTFOUND)
		_, err = app.DB.StorageUsed(core.WithActor(context.Background(), core.Actor{}), acme.ID)
		code(t, err, core.EUNAUTHORIZED)
	})

	var bundle *core.ArtifactBundle
	t.Run("ArtifactBundleIsRecordedOnceWithItsFiles", func(t *testing.T) {
		n := core.NewArtifactBundle{Checksum: sumD, Chunks: []string{sumA, sumB}, Size: 150, BundleID: "11111111-2222-3333-4444-555555555555",
			Release: "1.0", Projects: []string{"web"}, Files: []core.ArtifactFile{
				{Path: "files/_/_/main.js", URL: "~/main.js", Type: "minified_source", Size: 80, DebugID: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", SourceMap: "main.js.map"},
				{Path: "files/_/_/main.js.map", URL: "~/main.js.map", Type: "source_map", Size: 70, DebugID: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
			}}
		b, created, err := app.DB.CreateArtifactBundle(ci, acme.ID, n)
		if err != nil || !created {
			t.Fatalf("create: %v %v", created, err)
		}
		if b.Checksum != sumD || b.Release != "1.0" || b.FileCount != 2 || b.Size != 150 || !reflect.DeepEqual(b.Projects, []string{"web"}) {
			t.Errorf("bundle %+v", b)
		}
		n.Projects = []string{"api"}
		again, created, err := app.DB.CreateArtifactBundle(ci, acme.ID, n)
		if err != nil || created || again.ID != b.ID || !reflect.DeepEqual(again.Projects, []string{"api", "web"}) {
			t.Errorf("again: %+v %v %v", again, created, err)
		}
		bundle = again
		files, chunks, err := app.DB.ArtifactBundleFiles(ci, acme.ID, b.ID)
		if err != nil || !reflect.DeepEqual(files, n.Files) || !reflect.DeepEqual(chunks, []string{sumA, sumB}) {
			t.Errorf("files %+v chunks %v %v", files, chunks, err)
		}
		web, _ := app.DB.ProjectBySlug(ci, acme.ID, "web")
		for _, q := range []struct {
			project int64
			release string
			want    int
		}{{web.ID, "", 1}, {0, "1.0", 1}, {0, "2.0", 0}, {0, "", 1}} {
			list, err := app.DB.ArtifactBundles(ci, acme.ID, q.project, q.release, core.Page{})
			if err != nil || len(list) != q.want {
				t.Errorf("list %+v: %d %v", q, len(list), err)
			}
		}
		if byID, err := app.DB.ArtifactBundleByBundleID(ci, acme.ID, "11111111-2222-3333-4444-555555555555"); err != nil || byID.ID != b.ID {
			t.Errorf("by bundle id: %+v %v", byID, err)
		}
		byChecksum, err := app.DB.ArtifactBundleByChecksum(ci, acme.ID, sumD)
		if err != nil || byChecksum.ID != b.ID {
			t.Errorf("by checksum: %+v %v", byChecksum, err)
		}
		_, err = app.DB.ArtifactBundleByChecksum(globexCI, globex.ID, sumD)
		code(t, err, core.ENOTFOUND)
		_, _, err = app.DB.ArtifactBundleFiles(globexCI, globex.ID, b.ID)
		code(t, err, core.ENOTFOUND)
	})
	t.Run("ArtifactBundleRefusals", func(t *testing.T) {
		_, _, err := app.DB.CreateArtifactBundle(ci, acme.ID, core.NewArtifactBundle{Checksum: sumC, Chunks: []string{sumC}, Projects: []string{"web"}})
		code(t, err, core.ENOTFOUND) // chunk c was never uploaded
		_, _, err = app.DB.CreateArtifactBundle(ci, acme.ID, core.NewArtifactBundle{Checksum: sumC, Chunks: []string{sumA}})
		code(t, err, core.EINVALID)
		_, _, err = app.DB.CreateArtifactBundle(ci, acme.ID, core.NewArtifactBundle{Checksum: sumC, Chunks: []string{sumA}, Projects: []string{"nope"}})
		code(t, err, core.EINVALID)
		_, _, err = app.DB.CreateArtifactBundle(ci, acme.ID, core.NewArtifactBundle{Checksum: sumC, Chunks: []string{sumA}, Projects: []string{"web"}, Dist: "x"})
		code(t, err, core.EINVALID)
		_, _, err = app.DB.CreateArtifactBundle(globexCI, acme.ID, core.NewArtifactBundle{Checksum: sumC, Chunks: []string{sumA}, Projects: []string{"web"}})
		code(t, err, core.ENOTFOUND)
	})
	t.Run("UnassembledChunksArePrunedAfterTheCutoff", func(t *testing.T) {
		if err := app.DB.RecordChunks(ci, acme.ID, []core.Chunk{{SHA1: sumC, Size: 10}}); err != nil {
			t.Fatal(err)
		}
		if err := app.DB.RecordChunks(globexCI, globex.ID, []core.Chunk{{SHA1: sumA, Size: 100}}); err != nil {
			t.Fatal(err)
		}
		// Nothing is old enough yet.
		orphans, err := app.DB.PruneChunks(context.Background(), time.Now().Add(-core.UnassembledChunkLifetime))
		if err != nil || len(orphans) != 0 {
			t.Errorf("early prune: %v %v", orphans, err)
		}
		// A job that asks after 23 hours which chunks it must send keeps the ones it is told it
		// need not send: asking refreshes them (e would otherwise be pruned below).
		if err := app.DB.RecordChunks(ci, acme.ID, []core.Chunk{{SHA1: sumE, Size: 5}}); err != nil {
			t.Fatal(err)
		}
		app.DB.Now = func() time.Time { return time.Now().Add(23 * time.Hour).UTC() }
		never := "ffffffffffffffffffffffffffffffffffffffff"
		missing, err := app.DB.MissingChunks(ci, acme.ID, []string{sumE, never, sumE})
		app.DB.Now = func() time.Time { return time.Now().UTC() }
		if err != nil || !reflect.DeepEqual(missing, []string{never}) {
			t.Errorf("missing %v %v, want [f…]", missing, err)
		}
		// A day later: c (unused) goes, a and b (in the bundle) stay for acme; globex's
		// unassembled a goes, but the blob stays, acme still holds it.
		orphans, err = app.DB.PruneChunks(context.Background(), time.Now().Add(time.Minute))
		if err != nil || !reflect.DeepEqual(orphans, []string{sumC}) {
			t.Errorf("prune: %v %v, want [c]", orphans, err)
		}
		missing, _ = app.DB.MissingChunks(ci, acme.ID, []string{sumA, sumB, sumC})
		if !reflect.DeepEqual(missing, []string{sumC}) {
			t.Errorf("acme missing after prune %v", missing)
		}
		if used, _ := app.DB.StorageUsed(globexCI, globex.ID); used != 0 {
			t.Errorf("globex used %d after prune", used)
		}
		// e goes a day after it was last asked about.
		orphans, err = app.DB.PruneChunks(context.Background(), time.Now().Add(24*time.Hour))
		if err != nil || !reflect.DeepEqual(orphans, []string{sumE}) {
			t.Errorf("later prune: %v %v, want [e]", orphans, err)
		}
	})
	t.Run("DeletingABundleReleasesItsChunks", func(t *testing.T) {
		// A second bundle shares chunk b.
		app.DB.RecordChunks(ci, acme.ID, []core.Chunk{{SHA1: sumC, Size: 10}})
		other, _, err := app.DB.CreateArtifactBundle(ci, acme.ID, core.NewArtifactBundle{Checksum: sumA, Chunks: []string{sumB, sumC}, Size: 60, Projects: []string{"web"}})
		if err != nil {
			t.Fatal(err)
		}
		if other.BundleID != "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa" {
			t.Errorf("derived bundle id %q", other.BundleID)
		}
		// org:ci may upload but not delete, as in Sentry.
		_, err = app.DB.DeleteArtifactBundle(ci, acme.ID, bundle.ID)
		code(t, err, core.EFORBIDDEN)
		orphans, err := app.DB.DeleteArtifactBundle(member, acme.ID, bundle.ID)
		if err != nil || !reflect.DeepEqual(orphans, []string{sumA}) {
			t.Errorf("delete: orphans %v %v, want [a]", orphans, err)
		}
		if used, _ := app.DB.StorageUsed(ci, acme.ID); used != 60 {
			t.Errorf("used after delete %d, want 60 (b and c)", used)
		}
		_, err = app.DB.DeleteArtifactBundle(member, acme.ID, bundle.ID)
		code(t, err, core.ENOTFOUND)
		orphans, err = app.DB.DeleteArtifactBundle(member, acme.ID, other.ID)
		if err != nil || !reflect.DeepEqual(orphans, []string{sumB, sumC}) {
			t.Errorf("delete other: %v %v", orphans, err)
		}
	})
	t.Run("DebugFiles", func(t *testing.T) {
		web, _ := app.DB.ProjectBySlug(ci, acme.ID, "web")
		app.DB.RecordChunks(ci, acme.ID, []core.Chunk{{SHA1: sumA, Size: 100}})
		n := core.NewDebugFile{Checksum: sumA, Chunks: []string{sumA}, Name: "app.debug", DebugID: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", Kind: "elf", Size: 100}
		f, created, err := app.DB.CreateDebugFile(ci, acme.ID, web.ID, n)
		if err != nil || !created || f.Name != "app.debug" || f.Kind != "elf" || f.ProjectID != web.ID {
			t.Fatalf("create: %+v %v %v", f, created, err)
		}
		again, created, err := app.DB.CreateDebugFile(ci, acme.ID, web.ID, n)
		if err != nil || created || again.ID != f.ID {
			t.Errorf("again: %+v %v %v", again, created, err)
		}
		if got, err := app.DB.DebugFileByChecksum(ci, acme.ID, web.ID, sumA); err != nil || got.ID != f.ID {
			t.Errorf("by checksum %v %v", got, err)
		}
		if list, err := app.DB.DebugFiles(ci, acme.ID, web.ID, core.Page{}); err != nil || len(list) != 1 {
			t.Errorf("list %v %v", list, err)
		}
		// Held by a debug file, the chunk survives pruning.
		if orphans, _ := app.DB.PruneChunks(context.Background(), time.Now().Add(time.Minute)); len(orphans) != 0 {
			t.Errorf("pruned a debug file's chunk: %v", orphans)
		}
		globexProject := int64(0)
		if ps, _ := app.DB.Projects(app.As(t, "owner@globex.test"), globex.ID); len(ps) > 0 {
			globexProject = ps[0].ID
		}
		_, _, err = app.DB.CreateDebugFile(ci, acme.ID, globexProject, n)
		code(t, err, core.ENOTFOUND)
		_, _, err = app.DB.CreateDebugFile(ci, acme.ID, web.ID, core.NewDebugFile{Checksum: sumB, Name: "a\nb"})
		code(t, err, core.EINVALID)
	})
	t.Run("Deploys", func(t *testing.T) {
		started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		d, err := app.DB.CreateDeploy(ci, acme.ID, "1.0", core.NewDeploy{Environment: "production", Name: "first", URL: "https://example.com", DateStarted: &started})
		if err != nil || d.Environment != "production" || d.DateStarted == nil || !d.DateStarted.Equal(started) || d.DateFinished.IsZero() {
			t.Fatalf("deploy %+v %v", d, err)
		}
		finished := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
		d2, err := app.DB.CreateDeploy(ci, acme.ID, "1.0", core.NewDeploy{Environment: "staging", DateFinished: &finished, Projects: []string{"web"}})
		if err != nil {
			t.Fatal(err)
		}
		list, err := app.DB.Deploys(ci, acme.ID, "1.0")
		if err != nil || len(list) != 2 || list[0].ID != d2.ID {
			t.Errorf("deploys %+v %v", list, err)
		}
		rel, _ := app.DB.Release(ci, acme.ID, "1.0")
		stats, err := app.DB.ReleaseDeployStats(ci, acme.ID, []int64{rel.ID, 999999})
		if err != nil || len(stats) != 2 || stats[rel.ID].Count != 2 || stats[rel.ID].Last.ID != d2.ID || stats[999999].Count != 0 {
			t.Errorf("stats %+v %v", stats, err)
		}
		// Another organization's token sees none of acme's deploys, even naming the release.
		if _, err := app.DB.ReleaseDeployStats(globexCI, acme.ID, []int64{rel.ID}); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("globex stats of acme: %v", err)
		}
		if stats, err := app.DB.ReleaseDeployStats(globexCI, globex.ID, []int64{rel.ID}); err != nil || stats[rel.ID].Count != 0 {
			t.Errorf("globex stats naming acme's release: %+v %v", stats, err)
		}
		for _, bad := range []core.NewDeploy{{}, {Environment: "a/b"}, {Environment: "prod", URL: "ftp://x"}, {Environment: "prod", Projects: []string{"api"}}} {
			_, err := app.DB.CreateDeploy(ci, acme.ID, "1.0", bad)
			code(t, err, core.EINVALID)
		}
		_, err = app.DB.CreateDeploy(ci, acme.ID, "9.9", core.NewDeploy{Environment: "production"})
		code(t, err, core.ENOTFOUND)
		_, err = app.DB.Deploys(globexCI, acme.ID, "1.0")
		code(t, err, core.ENOTFOUND)
	})
	t.Run("CommitsRefsAndRepositories", func(t *testing.T) {
		at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		commits := []core.NewCommit{
			{Key: "c2c2", Repository: "acme/web", Message: "second", AuthorName: "Mia", AuthorEmail: "Mia@acme.test", Timestamp: &at},
			{Key: "c1c1", Repository: "acme/web", Message: "first", AuthorName: "Olivia", AuthorEmail: "owner@acme.test"},
			{Key: "a1a1", Repository: "acme/api", Message: "api", AuthorEmail: "mia@acme.test"},
		}
		if err := app.DB.SetReleaseCommits(ci, acme.ID, "1.0", commits); err != nil {
			t.Fatal(err)
		}
		got, err := app.DB.ReleaseCommits(ci, acme.ID, "1.0")
		if err != nil || len(got) != 3 || got[0].Key != "c2c2" || got[0].Repository.Name != "acme/web" || got[0].Author.Email != "mia@acme.test" ||
			got[0].Timestamp == nil || !got[0].Timestamp.Equal(at) || got[2].Repository.Name != "acme/api" {
			t.Fatalf("commits %+v %v", got, err)
		}
		rel, _ := app.DB.Release(ci, acme.ID, "1.0")
		stats, err := app.DB.ReleaseCommitStats(ci, acme.ID, []int64{rel.ID})
		s := stats[rel.ID]
		if err != nil || s.Count != 3 || s.Last.Key != "c2c2" || len(s.Authors) != 2 {
			t.Errorf("stats %+v %v", s, err)
		}
		repos, err := app.DB.Repositories(ci, acme.ID)
		if err != nil || len(repos) != 2 || repos[0].Name != "acme/api" || repos[1].Status != "active" {
			t.Errorf("repos %+v %v", repos, err)
		}
		// A second release: the previous one with commits is 1.0, its last commit c2c2.
		app.DB.Now = func() time.Time { return time.Now().Add(time.Minute).UTC() }
		defer func() { app.DB.Now = func() time.Time { return time.Now().UTC() } }()
		if _, _, err := app.DB.CreateRelease(ci, acme.ID, core.NewRelease{Version: "1.1", Projects: []string{"web"}}); err != nil {
			t.Fatal(err)
		}
		prev, last, err := app.DB.PreviousReleaseWithCommits(ci, acme.ID, "1.1")
		if err != nil || prev == nil || prev.Version != "1.0" || last.Key != "c2c2" {
			t.Errorf("previous %+v %+v %v", prev, last, err)
		}
		if prev, _, err := app.DB.PreviousReleaseWithCommits(ci, acme.ID, "1.0"); err != nil || prev != nil {
			t.Errorf("previous of the first %+v %v", prev, err)
		}
		// refs (set-commits --commit acme/web@sha): the head becomes the release's commit.
		if err := app.DB.SetReleaseRefs(ci, acme.ID, "1.1", []core.ReleaseRef{{Repository: "acme/web", Commit: "d3d3", PreviousCommit: "c2c2"}}); err != nil {
			t.Fatal(err)
		}
		got, _ = app.DB.ReleaseCommits(ci, acme.ID, "1.1")
		if len(got) != 1 || got[0].Key != "d3d3" {
			t.Errorf("after refs %+v", got)
		}
		rel11, _ := app.DB.Release(ci, acme.ID, "1.1")
		stats, err = app.DB.ReleaseCommitStats(ci, acme.ID, []int64{rel.ID, rel11.ID})
		if err != nil || stats[rel.ID].Count != 3 || stats[rel11.ID].Count != 1 || stats[rel11.ID].Last.Key != "d3d3" ||
			len(stats[rel11.ID].Authors) != 0 || len(stats[rel.ID].Authors) != 2 {
			t.Errorf("stats of two releases %+v %v", stats, err)
		}
		if stats, err := app.DB.ReleaseCommitStats(globexCI, globex.ID, []int64{rel.ID}); err != nil || stats[rel.ID].Count != 0 {
			t.Errorf("globex stats naming acme's release: %+v %v", stats, err)
		}
		code(t, app.DB.SetReleaseCommits(ci, acme.ID, "1.0", []core.NewCommit{{Key: "", Repository: "x"}}), core.EINVALID)
		code(t, app.DB.SetReleaseRefs(ci, acme.ID, "1.0", []core.ReleaseRef{{Repository: "x"}}), core.EINVALID)
		code(t, app.DB.SetReleaseCommits(ci, acme.ID, "9.9", commits), core.ENOTFOUND)
		code(t, app.DB.SetReleaseCommits(globexCI, acme.ID, "1.0", commits), core.ENOTFOUND)

	})
	t.Run("RefsNeedAnExistingRepository", func(t *testing.T) {
		// Sentry's rule: a ref names a repository, it does not create one. The message names
		// the missing ones and the page where they are added.
		err := app.DB.SetReleaseRefs(ci, acme.ID, "1.1", []core.ReleaseRef{
			{Repository: "acme/nope", Commit: "e4e4"}, {Repository: "acme/web", Commit: "e5e5"}, {Repository: "acme/nope", Commit: "e6e6"}})
		code(t, err, core.EINVALID)
		var e *core.Error
		if !errors.As(err, &e) || e.Fields["refs"] != "Invalid repository names: acme/nope. An owner or manager adds a repository under Settings > Repositories (/settings/acme/repos/)." {
			t.Errorf("missing repository: %#v", err)
		}
		if got, _ := app.DB.ReleaseCommits(ci, acme.ID, "1.1"); len(got) != 1 || got[0].Key != "d3d3" {
			t.Errorf("a refused ref changed the release: %+v", got)
		}
		if repos, _ := app.DB.Repositories(ci, acme.ID); len(repos) != 2 {
			t.Errorf("a refused ref created a repository: %+v", repos)
		}
		// sentry-cli matches --commit REPO case-insensitively and sends REPO as typed.
		if err := app.DB.SetReleaseRefs(ci, acme.ID, "1.1", []core.ReleaseRef{{Repository: "ACME/Web", Commit: "d3d3"}}); err != nil {
			t.Errorf("ref in another case: %v", err)
		}
	})
	t.Run("OnlyOwnersAndManagersAddAndRemoveRepositories", func(t *testing.T) {
		admin, owner := app.As(t, "admin@acme.test"), app.As(t, "owner@acme.test")
		docs := core.NewRepository{Name: "acme/docs"}
		for _, ctx := range []context.Context{member, admin, ci} {
			_, err := app.DB.AddRepository(ctx, acme.ID, docs)
			code(t, err, core.EFORBIDDEN)
		}
		// A member of another organization learns nothing; a token never reaches a
		// members-only rule, in any organization.
		_, err := app.DB.AddRepository(app.As(t, "owner@globex.test"), acme.ID, docs)
		code(t, err, core.ENOTFOUND)
		_, err = app.DB.AddRepository(globexCI, acme.ID, docs)
		code(t, err, core.EFORBIDDEN)
		if repos, _ := app.DB.Repositories(member, acme.ID); len(repos) != 2 {
			t.Fatalf("refused adds left repositories: %+v", repos)
		}
		before := auditCount(t, app, core.AuditRepositoryAdded)
		r, err := app.DB.AddRepository(manager, acme.ID, core.NewRepository{Name: "  acme/docs ", URL: "https://github.com/acme/docs"})
		if err != nil || r.Name != "acme/docs" || r.URL != "https://github.com/acme/docs" || r.Status != "active" {
			t.Fatalf("add repo %+v %v", r, err)
		}
		if n := auditCount(t, app, core.AuditRepositoryAdded); n != before+1 {
			t.Errorf("%d %s entries, want %d", n, core.AuditRepositoryAdded, before+1)
		}
		for _, bad := range []struct {
			n           core.NewRepository
			field, code string
		}{
			{core.NewRepository{Name: " "}, "name", core.EINVALID},
			{core.NewRepository{Name: strings.Repeat("a", 201)}, "name", core.EINVALID},
			{core.NewRepository{Name: "acme/web@main"}, "name", core.EINVALID},
			{core.NewRepository{Name: "acme/web#src"}, "name", core.EINVALID},
			{core.NewRepository{Name: "acme/\x00"}, "name", core.EINVALID},
			{core.NewRepository{Name: "acme/x", URL: "javascript:alert(1)"}, "url", core.EINVALID},
			{core.NewRepository{Name: "acme/x", URL: "ftp://example.com/x"}, "url", core.EINVALID},
			{core.NewRepository{Name: "acme/x", URL: "https://"}, "url", core.EINVALID},
			{core.NewRepository{Name: "acme/x", URL: "https://example.com/" + strings.Repeat("a", 200)}, "url", core.EINVALID},
			{core.NewRepository{Name: "ACME/Docs"}, "name", core.ECONFLICT},
			{core.NewRepository{Name: "acme/web"}, "name", core.ECONFLICT},
		} {
			_, err := app.DB.AddRepository(owner, acme.ID, bad.n)
			var e *core.Error
			if core.ErrorCode(err) != bad.code || !errors.As(err, &e) || e.Fields[bad.field] == "" {
				t.Errorf("add %+v: %v, want %s on %s", bad.n, err, bad.code, bad.field)
			}
		}
		repos, err := app.DB.Repositories(member, acme.ID)
		if err != nil || len(repos) != 3 || repos[1].Name != "acme/docs" || repos[1].CommitCount != 0 ||
			repos[2].Name != "acme/web" || repos[2].CommitCount != 3 || repos[2].ReleaseCount != 2 {
			t.Fatalf("repositories %+v %v", repos, err)
		}
		web, docsRepo := repos[2], repos[1]

		// Removing: never by those who may not add, never what a release lists.
		for _, ctx := range []context.Context{member, admin, ci} {
			_, err := app.DB.RemoveRepository(ctx, acme.ID, docsRepo.ID)
			code(t, err, core.EFORBIDDEN)
		}
		_, err = app.DB.RemoveRepository(app.As(t, "owner@globex.test"), acme.ID, docsRepo.ID)
		code(t, err, core.ENOTFOUND)
		_, err = app.DB.RemoveRepository(owner, acme.ID, web.ID)
		code(t, err, core.EINVALID)
		if core.ErrorMessage(err) != "acme/web cannot be removed: 2 releases list its commits. Delete those releases first, or keep the repository." {
			t.Errorf("message %q", core.ErrorMessage(err))
		}
		globexOwner := app.As(t, "owner@globex.test")
		_, err = app.DB.RemoveRepository(globexOwner, globex.ID, docsRepo.ID)
		code(t, err, core.ENOTFOUND)
		before = auditCount(t, app, core.AuditRepositoryRemoved)
		if r, err := app.DB.RemoveRepository(manager, acme.ID, docsRepo.ID); err != nil || r.Name != "acme/docs" {
			t.Fatalf("remove %+v %v", r, err)
		}
		if n := auditCount(t, app, core.AuditRepositoryRemoved); n != before+1 {
			t.Errorf("%d %s entries, want %d", n, core.AuditRepositoryRemoved, before+1)
		}
		_, err = app.DB.RemoveRepository(manager, acme.ID, docsRepo.ID)
		code(t, err, core.ENOTFOUND)

		// A repository whose commits no release lists any more goes, with those commits.
		if err := app.DB.SetReleaseCommits(ci, acme.ID, "1.0", commitsOnly(t, "acme/web")); err != nil {
			t.Fatal(err)
		}
		repos, _ = app.DB.Repositories(member, acme.ID)
		if repos[0].Name != "acme/api" || repos[0].ReleaseCount != 0 || repos[0].CommitCount != 1 {
			t.Fatalf("acme/api after 1.0 dropped its commit: %+v", repos[0])
		}
		if _, err := app.DB.RemoveRepository(owner, acme.ID, repos[0].ID); err != nil {
			t.Errorf("remove acme/api, which no release lists: %v", err)
		}
		if got, _ := app.DB.ReleaseCommits(ci, acme.ID, "1.0"); len(got) != 1 {
			t.Errorf("release 1.0 after removing an unlisted repository: %+v", got)
		}
	})
}

// commitsOnly is one commit in the named repository.
func commitsOnly(t *testing.T, repo string) []core.NewCommit {
	t.Helper()
	return []core.NewCommit{{Key: "f0f0", Repository: repo, Message: "only"}}
}
