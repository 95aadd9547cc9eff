// Command uncached-auth measures what an authenticated API request costs the database when
// the cache cannot answer it (after a write, or on an instance whose notification connection
// is down): the three lookups GET /api/0/organizations/{org}/ with a user token makes — the
// token by its hash, the organization by its slug, the user's role in it — read straight from
// the store, not through its cache. Run it on each backend (BENCHMARKS.md, "PostgreSQL and
// several instances"); it prints lookups per second and the latency of one request's three.
//
//	uncached-auth -data DIR                 the SQLite file under DIR (with the demo data)
//	uncached-auth -database-url postgres://…
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
)

func main() {
	data := flag.String("data", "./data", "folder holding tokenboard.db (with the demo data)")
	databaseURL := flag.String("database-url", "", "PostgreSQL database instead of the SQLite file")
	workers := flag.Int("c", 16, "concurrent requests")
	duration := flag.Duration("d", 10*time.Second, "how long to measure")
	flag.Parse()
	if err := run(*data, *databaseURL, *workers, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "uncached-auth:", err)
		os.Exit(1)
	}
}

func run(data, databaseURL string, workers int, duration time.Duration) error {
	ctx := context.Background()
	var db *store.DB
	var err error
	if databaseURL != "" {
		db, err = store.OpenPostgres(ctx, databaseURL)
	} else {
		db, err = store.Open(ctx, filepath.Join(data, "tokenboard.db"))
	}
	if err != nil {
		return err
	}
	defer db.Close()
	owner, err := db.UserByEmail(ctx, "owner@acme.test")
	if err != nil {
		return err
	}
	_, plain, err := db.CreateUserToken(core.WithActor(ctx, core.Actor{User: owner, IP: "console"}),
		core.NewUserToken{Name: "uncached-auth", Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		return err
	}
	parsed, err := core.ParseToken(plain)
	if err != nil {
		return err
	}
	request := func() error {
		p, err := db.AuthenticateToken(ctx, parsed)
		if err != nil {
			return err
		}
		org, err := db.OrgBySlug(ctx, "acme")
		if err != nil {
			return err
		}
		_, _, err = db.MemberRole(ctx, org.ID, p.User.ID)
		return err
	}
	for range 100 { // warm up: connections, prepared statements, pages
		if err := request(); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				start := time.Now()
				if err := request(); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	slices.Sort(all)
	q := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	backend := "sqlite"
	if databaseURL != "" {
		backend = "postgresql"
	}
	fmt.Printf("%s, %d concurrent: %.0f uncached requests/s (3 lookups each), p50 %v, p99 %v\n",
		backend, workers, float64(len(all))/duration.Seconds(), q(0.5), q(0.99))
	return nil
}
