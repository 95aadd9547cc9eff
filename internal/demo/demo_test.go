package demo_test

import (
	"context"
	"io"
	"sync"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
)

// Four instances started together with --demo on one empty PostgreSQL database: one seeds it,
// the others wait and find it seeded; none fails on the others' rows.
func TestInstancesStartingTogetherSeedOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := core.WithActor(context.Background(), core.Actor{Operator: true, IP: "console"})
	const instances = 4
	dbs := make([]*store.DB, instances)
	for i := range dbs {
		db, err := store.OpenPostgres(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs[i] = db
	}
	seeded := make([]bool, instances)
	errs := make([]error, instances)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Go(func() { seeded[i], errs[i] = demo.SeedIfEmpty(ctx, db, demo.Password, io.Discard) })
	}
	wg.Wait()
	n := 0
	for i := range dbs {
		if errs[i] != nil {
			t.Errorf("instance %d: %v", i, errs[i])
		}
		if seeded[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d instances seeded, want 1", n)
	}
	if _, err := dbs[0].OrgBySlug(ctx, "acme"); err != nil {
		t.Errorf("acme after seeding: %v", err)
	}
	// Started again, nothing is seeded twice.
	if again, err := demo.SeedIfEmpty(ctx, dbs[1], demo.Password, io.Discard); err != nil || again {
		t.Errorf("seeding a seeded database: %v, %v", again, err)
	}
}
