package store_test

import (
	"fmt"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// BenchmarkReleaseStats measures what the release list adds per request for issue 13's
// fields (deployCount, lastDeploy, commitCount, lastCommit, authors): both stats queries for
// a page of 100 releases, each with 2 deploys and 3 commits.
func BenchmarkReleaseStats(b *testing.B) {
	app := apptest.Start(b)
	acme := app.Org(b, "acme")
	ctx := app.As(b, "member@acme.test")
	ids := make([]int64, 0, 100)
	for i := 0; i < 100; i++ {
		v := fmt.Sprintf("bench-%d", i)
		r, _, err := app.DB.CreateRelease(ctx, acme.ID, core.NewRelease{Version: v, Projects: []string{"web"}})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, r.ID)
		for _, env := range []string{"staging", "production"} {
			if _, err := app.DB.CreateDeploy(ctx, acme.ID, v, core.NewDeploy{Environment: env}); err != nil {
				b.Fatal(err)
			}
		}
		var cs []core.NewCommit
		for j := 0; j < 3; j++ {
			cs = append(cs, core.NewCommit{Key: fmt.Sprintf("%040d", i*10+j), Repository: "acme/web", AuthorEmail: fmt.Sprintf("dev%d@acme.test", j)})
		}
		if err := app.DB.SetReleaseCommits(ctx, acme.ID, v, cs); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("Deploys", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			d, err := app.DB.ReleaseDeployStats(ctx, acme.ID, ids)
			if err != nil || d[ids[0]].Count != 2 {
				b.Fatal(err)
			}
		}
	})
	b.Run("Commits", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c, err := app.DB.ReleaseCommitStats(ctx, acme.ID, ids)
			if err != nil || c[ids[0]].Count != 3 {
				b.Fatal(err)
			}
		}
	})
}
