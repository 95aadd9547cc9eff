package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// openSeeded opens a fresh database with one organization, its owner and a member, returning
// the store, its file and the owner's and the member's contexts.
func openSeeded(t *testing.T) (*DB, *sql.DB, context.Context, context.Context) {
	t.Helper()
	ctx := context.Background()
	db, raw := openEmpty(t)
	db.PasswordCost, db.BaseURL = 4, "http://tokenboard.test"
	op := core.WithActor(ctx, core.Actor{Operator: true, IP: "test"})
	user := func(email string) context.Context {
		u, err := db.CreateUser(ctx, core.NewUser{Email: email, Name: email, Password: "password-1234"})
		if err != nil {
			t.Fatal(err)
		}
		return core.WithActor(ctx, core.Actor{User: u, IP: "test"})
	}
	owner, member := user("owner@acme.test"), user("member@acme.test")
	org, err := db.CreateOrg(owner, "acme", "Acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddMember(op, org.ID, "member@acme.test", core.RoleMember); err != nil {
		t.Fatal(err)
	}
	return db, raw, owner, member
}

// TestCacheKeptByLastUseAndMailWrites checks that the writes which change no cached answer
// (saving token uses, marking mail sent or failed, creating tokens) leave the cache as it was, and that
// Invalidate, and the store's own writes, drop it. A row changed behind the store's back (and
// not reported) shows which: the cache keeps answering with what it read before.
func TestCacheKeptByLastUseAndMailWrites(t *testing.T) {
	t.Parallel()
	db, raw, owner, _ := openSeeded(t)
	ctx := context.Background()
	c := NewCache(db)
	c.ttl = time.Hour // only invalidation may end an answer here, never the clock
	_, plain, err := db.CreateUserToken(owner, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	parsed, _ := core.ParseToken(plain)
	p, err := c.AuthenticateToken(ctx, parsed)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`UPDATE tokens SET revoked_at = 1 WHERE token_hash = ?`, parsed.Hash); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveTokenUses(ctx, []core.TokenUse{{Kind: core.TokenUser, TokenID: p.TokenID, At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	due, err := db.DueMessages(ctx, time.Now().Add(time.Hour), 10)
	if err != nil || len(due) == 0 {
		t.Fatalf("due mail %v %v", due, err)
	}
	if err := db.MarkFailed(ctx, due[0].ID, "test", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.MarkSent(ctx, due[0].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// New tokens of every kind: none can be a cached answer.
	acmeOrg, err := db.OrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateOrgToken(owner, acmeOrg.ID, core.NewOrgToken{Name: "ci"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateUserToken(owner, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AuthenticateToken(ctx, parsed); err != nil {
		t.Fatalf("after saving uses and marking mail: %v, want the cached answer", err)
	}
	c.Invalidate()
	if _, err := c.AuthenticateToken(ctx, parsed); core.ErrorCode(err) != core.EUNAUTHORIZED {
		t.Fatalf("after Invalidate: %v, want 401", err)
	}

	// The store's own writes invalidate: a member's role, cached, follows a demotion.
	acme, _ := db.OrgBySlug(ctx, "acme")
	member, _ := db.UserByEmail(ctx, "member@acme.test")
	if role, _, _ := c.MemberRole(ctx, acme.ID, member.ID); role != core.RoleMember {
		t.Fatalf("role %q", role)
	}
	if err := db.ChangeRole(owner, acme.ID, member.ID, core.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if role, _, _ := c.MemberRole(ctx, acme.ID, member.ID); role != core.RoleAdmin {
		t.Errorf("role %q after the change, want admin", role)
	}
	// DB.Invalidate reaches every cache of the store, and only those.
	other, _ := openEmpty(t)
	otherCache := NewCache(other)
	before := otherCache.epoch.Load()
	db.Invalidate()
	if otherCache.epoch.Load() != before {
		t.Error("one store's Invalidate reached another store's cache")
	}
}

// TestPanicInTransactionReleasesTheWriteLock checks that a panic inside a write transaction
// (which Echo's Recover would catch) leaves neither SQLite's write lock nor the write turn
// held.
func TestPanicInTransactionReleasesTheWriteLock(t *testing.T) {
	t.Parallel()
	db, raw, _, _ := openSeeded(t)
	ctx := context.Background()
	db.WriteWait = 50 * time.Millisecond
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		db.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `UPDATE orgs SET name = 'half-done'`); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	tx, err := raw.Begin()
	if err == nil {
		err = takeWriteLock(tx)
		tx.Rollback()
	}
	if err != nil {
		t.Fatalf("another handle cannot take the write lock after the panic: %v", err)
	}
	if err := db.inTx(ctx, func(tx *sql.Tx) error { return nil }); err != nil {
		t.Fatalf("the next write after the panic: %v", err)
	}
	var name string
	if err := raw.QueryRow(`SELECT name FROM orgs`).Scan(&name); err != nil || name == "half-done" {
		t.Errorf("org name %q (%v): the panicking transaction was committed", name, err)
	}
}

// TestMailWakeUpIsPerTransaction runs transactions that queue mail concurrently with ones that
// do not: the sender is woken once per transaction that queued mail, after that transaction's
// mail can be read, and never by one that queued none.
func TestMailWakeUpIsPerTransaction(t *testing.T) {
	t.Parallel()
	db, _, _, member := openSeeded(t)
	db.WriteWait = time.Hour // whatever the machine's load, every write waits its turn
	ctx := context.Background()
	tok, _, err := db.CreateUserToken(member, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	// Each transaction that queues mail queues one message. By the k-th wake-up, k of them
	// have committed, so at least k new messages can be read: a wake-up taken by another
	// transaction before this one's commit (the shared flag's bug) sees fewer.
	initial := len(must(db.DueMessages(ctx, time.Now().Add(time.Hour), 1000)))
	var wakes, early atomic.Int64
	db.MailQueued = func() {
		k := wakes.Add(1)
		due, err := db.DueMessages(ctx, time.Now().Add(time.Hour), 1000)
		if err != nil {
			t.Error(err)
		}
		if int64(len(due)-initial) < k {
			early.Add(1)
		}
	}
	const n = 16
	var wg sync.WaitGroup
	for i := range 2 * n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if i%2 == 0 {
				_, _, err = db.CreateUserToken(member, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
			} else {
				_, err = db.RenameUserToken(member, tok.ID, fmt.Sprint("name ", i))
			}
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if wakes.Load() != n || early.Load() != 0 {
		t.Errorf("%d wake-ups (%d before their mail could be read) for %d transactions that queued mail", wakes.Load(), early.Load(), n)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestConcurrentWritersTakeTurns is issue 10's write load in process: 64 writers creating
// tokens at once through the store, on a real file. None may fail with SQLITE_BUSY ("database
// is locked"); with a write deadline too short to wait behind the others, the only error is
// the coded unavailable one (the API's 503), never a raw SQLite error. Behind a writer that
// holds the lock past the deadline (the old failure: busy_timeout ran out and the API
// answered 500 "database is locked"), a write is unavailable.
func TestConcurrentWritersTakeTurns(t *testing.T) {
	t.Parallel()
	const writers, each = 64, 5
	run := func(t *testing.T, db *DB, as context.Context) (ok, unavailable int) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range each {
					_, _, err := db.CreateUserToken(as, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
					mu.Lock()
					switch {
					case err == nil:
						ok++
					case core.ErrorCode(err) == core.EUNAVAILABLE:
						unavailable++
					default:
						t.Errorf("a write failed with %v", err)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return ok, unavailable
	}
	t.Run("AllSucceedWhenTheyMayWait", func(t *testing.T) {
		db, _, _, member := openSeeded(t)
		db.WriteWait = time.Hour // no deadline: whatever the machine's speed, every write waits its turn
		if ok, unavailable := run(t, db, member); ok != writers*each {
			t.Errorf("%d of %d writes succeeded (%d unavailable)", ok, writers*each, unavailable)
		}
	})
	t.Run("PastTheDeadlineOnlyUnavailable", func(t *testing.T) {
		db, _, _, member := openSeeded(t)
		db.WriteWait = time.Microsecond
		ok, unavailable := run(t, db, member)
		if ok+unavailable != writers*each {
			t.Errorf("%d succeeded and %d unavailable of %d", ok, unavailable, writers*each)
		}
	})
	t.Run("AWriteThatCannotGetItsTurnIsUnavailable", func(t *testing.T) {
		db, _, _, member := openSeeded(t)
		db.WriteWait = 10 * time.Millisecond
		holding, release := make(chan struct{}), make(chan struct{})
		done := make(chan error)
		go func() {
			done <- db.inTx(context.Background(), func(*sql.Tx) error { close(holding); <-release; return nil })
		}()
		<-holding
		_, _, err := db.CreateUserToken(member, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
		if core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("a write behind a held turn: %v, want unavailable", err)
		}
		// A request deadline that comes first ends the wait too, as unavailable; a caller that
		// gave up (cancelled) gets its own context.Canceled (TestWriteGivenUpByItsCallerIsNotBusy).
		ctx, cancel := context.WithDeadline(member, time.Now())
		defer cancel()
		db.WriteWait = time.Hour
		if _, _, err := db.CreateUserToken(ctx, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)}); core.ErrorCode(err) != core.EUNAVAILABLE {
			t.Errorf("a write whose deadline passed while waiting: %v, want unavailable", err)
		}
		ctx, cancel = context.WithCancel(member)
		cancel()
		if _, _, err := db.CreateUserToken(ctx, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)}); !errors.Is(err, context.Canceled) {
			t.Errorf("a write whose caller gave up while waiting: %v, want context.Canceled", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

// TestWriteGivenUpByItsCallerIsNotBusy: a write waiting for its turn whose caller goes away
// ends with the caller's context.Canceled (the web layer's 499), not the busy server's
// EUNAVAILABLE (503), which stays the answer to a wait that ran out.
func TestWriteGivenUpByItsCallerIsNotBusy(t *testing.T) {
	t.Parallel()
	db, _ := openEmpty(t)
	db.writeTurn <- struct{}{} // another write holds the turn
	defer func() { <-db.writeTurn }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.waitWriteTurn(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("caller gone: %v, want context.Canceled", err)
	}
	db.WriteWait = time.Millisecond
	if err := db.waitWriteTurn(context.Background()); core.ErrorCode(err) != core.EUNAVAILABLE {
		t.Errorf("wait ran out: %v, want EUNAVAILABLE", err)
	}
}
