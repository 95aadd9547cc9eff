package store_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/smtptest"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// TestExpiryReminders drives the store's clock through two tokens' lives: the 7-day and
// 1-day reminders go out once each, to the right people, however often and from however many
// instances the job runs; a token created with 3 days left gets only the 1-day reminder.
func TestExpiryReminders(t *testing.T) {
	app := apptest.Start(t)
	start := time.Now().UTC().Truncate(time.Second)
	at := func(d time.Duration) { app.DB.Now = func() time.Time { return start.Add(d) } }
	at(0)
	defer func() { app.DB.Now = func() time.Time { return time.Now().UTC() } }()

	acme := app.Org(t, "acme")
	ten := start.Add(10 * 24 * time.Hour)
	org, _, err := app.DB.CreateOrgToken(app.As(t, apptest.AcmeOwner), acme.ID, core.NewOrgToken{Name: "Nightly", ExpiresAt: &ten})
	if err != nil {
		t.Fatal(err)
	}
	user, _, err := app.DB.CreateUserToken(app.As(t, apptest.AcmeMember), core.NewUserToken{Name: "laptop", Scopes: core.NewScopeSet(core.ScopeOrgRead), ExpiresAt: &ten})
	if err != nil {
		t.Fatal(err)
	}
	three := start.Add(3 * 24 * time.Hour)
	if _, _, err := app.DB.CreateUserToken(app.As(t, apptest.AcmeAdmin), core.NewUserToken{Name: "short", Scopes: core.NewScopeSet(core.ScopeOrgRead), ExpiresAt: &three}); err != nil {
		t.Fatal(err)
	}
	app.WaitOutboxDelivered(t, 5*time.Second)
	seen := len(app.SMTP.Messages())

	// A second instance on the same database, with the same clock.
	other, err := storetest.OpenAnother(context.Background(), app.DB, app.DatabasePath())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.Now = func() time.Time { return app.DB.Now() }
	other.BaseURL = app.DB.BaseURL

	run := func(want int) []smtptest.Message {
		t.Helper()
		// Both instances at once, twice: each reminder is claimed once.
		var wg sync.WaitGroup
		counts := make([]int, 4)
		for i, db := range []*store.DB{app.DB, other, app.DB, other} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := db.SendExpiryReminders(context.Background())
				if err != nil {
					t.Error(err)
				}
				counts[i] = n
			}()
		}
		wg.Wait()
		total := counts[0] + counts[1] + counts[2] + counts[3]
		if total != want {
			t.Errorf("reminded of %d tokens, want %d", total, want)
		}
		app.WaitOutboxDelivered(t, 5*time.Second)
		msgs := app.SMTP.Messages()[seen:]
		seen += len(msgs)
		return msgs
	}
	subjects := func(msgs []smtptest.Message, to string) []string {
		var out []string
		for _, m := range msgs {
			if slices.Contains(m.To, to) {
				out = append(out, m.Subject)
			}
		}
		return out
	}

	at(time.Hour)
	if msgs := run(0); len(msgs) != 0 {
		t.Errorf("%d messages with nothing due", len(msgs))
	}
	// Day 2: the short token has a day left; it never had 7.
	at(2*24*time.Hour + time.Minute)
	msgs := run(1)
	if got := subjects(msgs, apptest.AcmeAdmin); len(msgs) != 1 || !slices.Equal(got, []string{"Your User Auth Token expires in 1 day"}) {
		t.Errorf("day 2: %d messages, admin got %q", len(msgs), got)
	}
	// Day 3: 7 days left for the two long tokens.
	at(3*24*time.Hour + time.Minute)
	msgs = run(2)
	for _, owner := range []string{apptest.AcmeOwner, apptest.AcmeOwner2} {
		got := subjects(msgs, owner)
		if !slices.Equal(got, []string{"Your Organization Auth Token expires in 7 days"}) {
			t.Errorf("day 3: %s got %q", owner, got)
		}
	}
	member := subjects(msgs, apptest.AcmeMember)
	if !slices.Equal(member, []string{"Your User Auth Token expires in 7 days"}) {
		t.Errorf("day 3: member got %q", member)
	}
	for _, m := range msgs {
		if slices.Contains(m.To, apptest.AcmeOwner) && !strings.Contains(m.Text, app.URL+"/settings/acme/auth-tokens/"+itoa(org.ID)+"/rotate/") {
			t.Errorf("the org reminder has no rotate link:\n%s", m.Text)
		}
		if slices.Contains(m.To, apptest.AcmeMember) && !strings.Contains(m.Text, "/settings/account/api/auth-tokens/"+itoa(user.ID)+"/rotate/") {
			t.Errorf("the user reminder has no rotate link:\n%s", m.Text)
		}
	}
	if len(msgs) != 3 {
		t.Errorf("day 3: %d messages, want 3", len(msgs))
	}
	// Later the same day: nothing more.
	at(4 * 24 * time.Hour)
	if msgs := run(0); len(msgs) != 0 {
		t.Errorf("day 4: %d messages", len(msgs))
	}
	// Day 9: one day left for both long tokens.
	at(9*24*time.Hour + time.Minute)
	if msgs := run(2); len(msgs) != 3 || len(subjects(msgs, apptest.AcmeMember)) != 1 {
		t.Errorf("day 9: %d messages", len(msgs))
	}
	// After expiry, nothing.
	at(20 * 24 * time.Hour)
	if msgs := run(0); len(msgs) != 0 {
		t.Errorf("day 20: %d messages", len(msgs))
	}
}

// TestRotatedTokenGetsNoReminder: a token replaced by a rotation is not reminded of; its
// successor is.
func TestRotatedTokenGetsNoReminder(t *testing.T) {
	app := apptest.Start(t)
	start := time.Now().UTC().Truncate(time.Second)
	app.DB.Now = func() time.Time { return start }
	defer func() { app.DB.Now = func() time.Time { return time.Now().UTC() } }()
	ten := start.Add(10 * 24 * time.Hour)
	ctx := app.As(t, apptest.AcmeMember)
	tok, _, err := app.DB.CreateUserToken(ctx, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead), ExpiresAt: &ten})
	if err != nil {
		t.Fatal(err)
	}
	// Rotated on day 2: the successor lives 10 days from then, the old one until day 9.
	app.DB.Now = func() time.Time { return start.Add(2 * 24 * time.Hour) }
	if _, _, err := app.DB.RotateUserToken(ctx, tok.ID, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	app.DB.Now = func() time.Time { return start.Add(3*24*time.Hour + time.Minute) }
	if n, err := app.DB.SendExpiryReminders(context.Background()); err != nil || n != 0 {
		t.Errorf("day 3: %d reminders (%v), want 0: the old one is replaced, the new one has 9 days", n, err)
	}
	app.DB.Now = func() time.Time { return start.Add(5*24*time.Hour + time.Minute) }
	if n, err := app.DB.SendExpiryReminders(context.Background()); err != nil || n != 1 {
		t.Errorf("day 5: %d reminders (%v), want 1 (the successor)", n, err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
