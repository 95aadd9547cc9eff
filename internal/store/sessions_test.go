package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
)

// asSession is the context of a screen request by the user, from the browser of session id.
func asSession(t *testing.T, db *testStore, email string, sessionID int64) context.Context {
	t.Helper()
	u, err := db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return core.WithActor(context.Background(), core.Actor{User: u, IP: "192.0.2.1", SessionID: sessionID})
}

func startSession(t *testing.T, db *testStore, email string) (string, *core.Session) {
	t.Helper()
	u, err := db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	secret, s, err := db.StartSession(context.Background(), u.ID, "192.0.2.1", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
	if err != nil {
		t.Fatal(err)
	}
	return secret, s
}

func sessionLive(t *testing.T, db *testStore, secret string) bool {
	t.Helper()
	_, _, err := db.SessionBySecret(context.Background(), secret)
	if err != nil && core.ErrorCode(err) != core.EUNAUTHORIZED {
		t.Fatal(err)
	}
	return err == nil
}

func TestSessionStoresOnlyTheSecretsHash(t *testing.T) {
	db := mustOpen(t)
	secret, s := startSession(t, db, "member@acme.test")
	if len(secret) < 43 {
		t.Errorf("secret %q is shorter than 32 random bytes in base64", secret)
	}
	_, u, err := db.SessionBySecret(context.Background(), secret)
	if err != nil || u.Email != "member@acme.test" {
		t.Fatalf("SessionBySecret: %v, %v", u, err)
	}
	if s.IP != "192.0.2.1" || !strings.Contains(s.UserAgent, "Firefox") {
		t.Errorf("session %+v lacks the IP or user agent", s)
	}
	raw := db.rawDump(t, "sessions")
	if strings.Contains(raw, secret) {
		t.Error("the session secret is stored in plaintext")
	}
	if !strings.Contains(raw, core.HashSessionSecret(secret)) {
		t.Error("the session's hash is not stored")
	}
}

func TestEndedSessionFailsAtOnce(t *testing.T) {
	db := mustOpen(t)
	secret, _ := startSession(t, db, "member@acme.test")
	if err := db.EndSession(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	if sessionLive(t, db, secret) {
		t.Error("an ended session still signs in")
	}
}

func TestSessionExpiresAfterIdleTime(t *testing.T) {
	db := mustOpen(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	db.SessionIdle = 24 * time.Hour
	secret, _ := startSession(t, db, "member@acme.test")

	// Used every 20 hours, it lives on past its first day.
	for range 3 {
		now = now.Add(20 * time.Hour)
		if !sessionLive(t, db, secret) {
			t.Fatalf("a session used after 20 hours has expired (idle limit 24 hours)")
		}
	}
	now = now.Add(24*time.Hour + time.Second)
	if sessionLive(t, db, secret) {
		t.Error("a session idle for more than 24 hours still signs in")
	}
}

func TestSessionUseIsWrittenAtMostOnceAMinute(t *testing.T) {
	db := mustOpen(t)
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	now := start
	db.Now = func() time.Time { return now }
	secret, _ := startSession(t, db, "member@acme.test")
	ctx := asSession(t, db, "member@acme.test", 0)
	lastSeen := func() time.Time {
		list, err := db.Sessions(ctx)
		if err != nil || len(list) != 1 {
			t.Fatalf("sessions: %v, %v", list, err)
		}
		return list[0].LastSeenAt
	}
	now = start.Add(59 * time.Second)
	sessionLive(t, db, secret)
	if got := lastSeen(); !got.Equal(start) {
		t.Errorf("last seen %v after a use within the minute, want %v unchanged", got, start)
	}
	now = start.Add(61 * time.Second)
	sessionLive(t, db, secret)
	if got := lastSeen(); !got.Equal(now) {
		t.Errorf("last seen %v after a use past the minute, want %v", got, now)
	}
}

func TestUserEndsOnlyTheirOwnSessions(t *testing.T) {
	db := mustOpen(t)
	_, mine := startSession(t, db, "member@acme.test")
	theirSecret, theirs := startSession(t, db, "owner@acme.test")
	ctx := asSession(t, db, "member@acme.test", mine.ID)
	if err := db.EndUserSession(ctx, theirs.ID); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("ending another user's session: %v, want ENOTFOUND", err)
	}
	if !sessionLive(t, db, theirSecret) {
		t.Fatal("another user's session was ended")
	}
	list, err := db.Sessions(ctx)
	if err != nil || len(list) != 1 || list[0].ID != mine.ID {
		t.Errorf("Sessions lists %+v, want only the member's own", list)
	}
}

func TestEndOtherSessionsKeepsThisOne(t *testing.T) {
	db := mustOpen(t)
	thisSecret, this := startSession(t, db, "member@acme.test")
	otherSecret, _ := startSession(t, db, "member@acme.test")
	ownerSecret, _ := startSession(t, db, "owner@acme.test")
	n, err := db.EndOtherSessions(asSession(t, db, "member@acme.test", this.ID))
	if err != nil || n != 1 {
		t.Fatalf("EndOtherSessions = %d, %v; want 1", n, err)
	}
	if !sessionLive(t, db, thisSecret) || sessionLive(t, db, otherSecret) || !sessionLive(t, db, ownerSecret) {
		t.Error("want this session live, the other ended, another user's untouched")
	}
}

func TestPasswordAndEmailChangesEndTheOtherSessions(t *testing.T) {
	db := mustOpen(t)
	thisSecret, this := startSession(t, db, "member@acme.test")
	otherSecret, _ := startSession(t, db, "member@acme.test")
	ctx := asSession(t, db, "member@acme.test", this.ID)
	if _, err := db.ChangePassword(ctx, demo.Password, "a new password"); err != nil {
		t.Fatal(err)
	}
	if !sessionLive(t, db, thisSecret) || sessionLive(t, db, otherSecret) {
		t.Error("after a password change: want this session live and the other ended")
	}

	otherSecret, _ = startSession(t, db, "member@acme.test")
	ctx = asSession(t, db, "member@acme.test", this.ID)
	if _, err := db.UpdateUserDetails(ctx, "Mia", "mia@acme.test", "a new password"); err != nil {
		t.Fatal(err)
	}
	if !sessionLive(t, db, thisSecret) || sessionLive(t, db, otherSecret) {
		t.Error("after an email change: want this session live and the other ended")
	}
}

func TestDeactivatedUsersSessionFails(t *testing.T) {
	db := mustOpen(t)
	secret, _ := startSession(t, db, "member@acme.test")
	if err := db.fx.DeactivateUser(context.Background(), "member@acme.test"); err != nil {
		t.Fatal(err)
	}
	if sessionLive(t, db, secret) {
		t.Error("a deactivated user's session still signs in")
	}
}

// BenchmarkSessionBySecret is the lookup every screen request makes (BENCHMARKS.md).
func BenchmarkSessionBySecret(b *testing.B) {
	db := mustOpen(b)
	u, err := db.UserByEmail(context.Background(), "member@acme.test")
	if err != nil {
		b.Fatal(err)
	}
	secret, _, err := db.StartSession(context.Background(), u.ID, "192.0.2.1", "bench")
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := db.SessionBySecret(ctx, secret); err != nil {
			b.Fatal(err)
		}
	}
}
