package web

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/store"
)

// countedPings counts the pings that reach a real store.
type countedPings struct {
	db *store.DB
	n  atomic.Int64
}

func (c *countedPings) Ping(ctx context.Context) error {
	c.n.Add(1)
	return c.db.Ping(ctx)
}

// A probe hammering /_health costs the database one ping per second, and the answer follows
// the database within that second.
func TestHealthPingsAtMostOncePerSecond(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pings := &countedPings{db: db}
	h := newHealthCheck(pings, slog.New(slog.DiscardHandler))
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	h.now = func() time.Time { return now }
	for range 1000 {
		if err := h.check(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := pings.n.Load(); n != 1 {
		t.Errorf("1000 checks within a second pinged %d times", n)
	}
	db.Close()
	now = now.Add(healthCacheFor - time.Millisecond)
	if err := h.check(ctx); err != nil {
		t.Errorf("the answer changed before the second was up: %v", err)
	}
	now = now.Add(time.Millisecond)
	if err := h.check(ctx); err == nil {
		t.Error("a closed database is reported healthy")
	}
	if n := pings.n.Load(); n != 2 {
		t.Errorf("pinged %d times, want 2", n)
	}
}

// Without a database to ask, the check is the liveness probe it was.
func TestHealthWithoutDatabase(t *testing.T) {
	if err := newHealthCheck(nil, slog.New(slog.DiscardHandler)).check(context.Background()); err != nil {
		t.Fatal(err)
	}
}
