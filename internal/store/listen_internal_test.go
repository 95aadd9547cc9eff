package store

import (
	"context"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// waitFor polls cond until it holds; past the bound the test fails (a bound for a hung
// listener, not a speed target: BENCHMARKS.md measures the speed).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s", what)
		}
	}
}

// TestAnotherInstancesRevocationReachesTheCache: two stores on one PostgreSQL database, as
// two instances; a token cached by B and revoked through A is refused by B.
func TestAnotherInstancesRevocationReachesTheCache(t *testing.T) {
	if testPostgresServer() == "" {
		t.Skip("PostgreSQL only: SQLite has one process per database")
	}
	t.Parallel()
	a, _, owner, _ := openSeeded(t)
	b, err := OpenPostgres(context.Background(), testDatabaseURL(t, a))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cacheB := NewCache(b)
	cacheB.ttl = time.Hour // only the notification may end B's answer
	tok, plain, err := a.CreateUserToken(owner, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := core.ParseToken(plain)
	if _, err := cacheB.AuthenticateToken(context.Background(), parsed); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokeUserToken(owner, tok.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "B to refuse the token A revoked", func() bool {
		_, err := cacheB.AuthenticateToken(context.Background(), parsed)
		return core.ErrorCode(err) == core.EUNAUTHORIZED
	})
}

// TestCacheReadsThroughWhileTheListenerIsDown: when the notification connection drops, the
// cache stops answering from memory (a write it cannot hear about would go unseen) until the
// listener has reconnected, and what it held before is dropped.
func TestCacheReadsThroughWhileTheListenerIsDown(t *testing.T) {
	if testPostgresServer() == "" {
		t.Skip("PostgreSQL only: the listener is PostgreSQL's")
	}
	t.Parallel()
	db, raw, owner, _ := openSeeded(t)
	c := NewCache(db)
	c.ttl = time.Hour
	_, plain, err := db.CreateUserToken(owner, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := core.ParseToken(plain)
	ctx := context.Background()
	if _, err := c.AuthenticateToken(ctx, parsed); err != nil {
		t.Fatal(err)
	}
	// Cut the listener's connection from the server's side, as a restart or failover would.
	var n int
	if err := raw.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query LIKE 'LISTEN %'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("terminated %d listeners: %v", n, err)
	}
	waitFor(t, "the store to stop trusting its caches", func() bool { return !db.answersTrusted.Load() })
	// A write nobody announces (a raw UPDATE): with the listener down the cache must not hide it.
	if _, err := raw.Exec(`UPDATE tokens SET revoked_at = 1 WHERE token_hash = ?`, parsed.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthenticateToken(ctx, parsed); core.ErrorCode(err) != core.EUNAUTHORIZED {
		t.Fatalf("with the listener down: %v, want the database's answer (401)", err)
	}
	waitFor(t, "the listener to reconnect", func() bool { return db.answersTrusted.Load() })
	if _, err := c.AuthenticateToken(ctx, parsed); core.ErrorCode(err) != core.EUNAUTHORIZED {
		t.Fatalf("after reconnecting: %v, want 401", err)
	}
}
