package store_test

import (
	"context"
	"database/sql"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
)

// `tokenboard migrate` and instances starting at the same time on a fresh PostgreSQL database
// all succeed, and each migration is applied once: the advisory lock makes the others wait
// and then find it applied (without it, the second CREATE TABLE fails).
func TestConcurrentPostgresMigrations(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	const processes = 4
	var wg sync.WaitGroup
	errs := make([]error, processes)
	dbs := make([]*store.DB, processes)
	start := make(chan struct{})
	for i := range processes {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = store.OpenPostgres(ctx, url)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migration %d: %v", i, err)
		} else {
			defer dbs[i].Close()
		}
	}
	// A migrate run while they serve applies nothing and fails nothing.
	if dbs[0] != nil {
		if err := dbs[0].Migrate(ctx); err != nil {
			t.Errorf("migrate again: %v", err)
		}
	}

	entries, err := os.ReadDir("pgmigrations")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			want = append(want, "pgmigrations/"+e.Name())
		}
	}
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(ctx, `SELECT name, count(*) FROM schema_migrations GROUP BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%s recorded %d times", name, n)
		}
		got = append(got, name)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("applied %v, want %v", got, want)
	}
}
