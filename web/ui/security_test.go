package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// Findings of the security review, each pinned by a test.

func TestNextParameterCannotLeaveTheSite(t *testing.T) {
	app := apptest.Start(t)
	signedIn := app.LoginAs(t, "member@acme.test")
	for _, next := range []string{"/\t/evil.example/", "//evil.example/", "/\\evil.example", "https://evil.example/", "/\n/evil.example"} {
		r := signedIn.Get("/auth/login/?next=" + url.QueryEscape(next))
		if r.Status != http.StatusSeeOther || r.Location != "/" {
			t.Errorf("GET next=%q: redirect to %q, want /", next, r.Location)
		}
		r = app.Client(t).PostForm("/auth/login/", url.Values{"email": {"admin@acme.test"}, "password": {"tokenboard-demo"}, "next": {next}})
		if r.Status != http.StatusSeeOther || r.Location != "/" {
			t.Errorf("POST next=%q: redirect to %q, want /", next, r.Location)
		}
	}
	if r := signedIn.Get("/auth/login/?next=" + url.QueryEscape("/settings/acme/members/")); r.Location != "/settings/acme/members/" {
		t.Errorf("a local next was not honoured: %q", r.Location)
	}
}

func TestChangingEmailNeedsThePassword(t *testing.T) {
	app := apptest.Start(t)
	c := app.LoginAs(t, "member@acme.test")
	r := c.PostForm("/settings/account/details/", url.Values{"name": {"Mia"}, "email": {"attacker@evil.example"}})
	if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Enter your current password to change your email.") {
		t.Fatalf("without the password: status %d", r.Status)
	}
	if u, _ := app.DB.UserByEmail(context.Background(), "member@acme.test"); u == nil {
		t.Fatal("the email changed without the password")
	}
	if r := c.PostForm("/settings/account/details/", url.Values{"name": {"Mia M."}, "email": {"member@acme.test"}}); r.Status != http.StatusSeeOther {
		t.Errorf("renaming alone: status %d, want 303 without a password", r.Status)
	}
	r = c.PostForm("/settings/account/details/", url.Values{"name": {"Mia"}, "email": {"mia@acme.test"}, "password": {"tokenboard-demo"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("with the password: status %d", r.Status)
	}
	if page := c.Get("/settings/account/security/"); !strings.Contains(page.Body, "Email changed") {
		t.Error("the security log does not show the email change")
	}
}

func TestInvitationSecretDoesNotOutliveDeliveryAndExpires(t *testing.T) {
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	if r := owner.PostForm("/settings/acme/members/", url.Values{"email": {"late@example.com"}, "role": {"owner"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("invite: status %d", r.Status)
	}
	msg := app.SMTP.WaitFor(t, 1, 20*time.Second)[0]
	app.WaitOutboxDelivered(t, 20*time.Second)
	i := strings.Index(msg.Text, "/accept-invite/")
	secret := strings.TrimSuffix(strings.Fields(msg.Text[i+len("/accept-invite/"):])[0], "/")
	app.Checkpoint(t)
	if found := app.FindInDatabase(t, secret); len(found) > 0 {
		t.Errorf("the invitation secret is still stored after delivery: %v", found)
	}

	// Thirty days later the link no longer works, and the address can be invited again.
	later := time.Now().Add(31 * 24 * time.Hour)
	app.DB.Now = func() time.Time { return later }
	if r := app.Client(t).Get("/accept-invite/" + secret + "/"); r.Status != http.StatusNotFound {
		t.Errorf("an expired invitation: status %d, want 404", r.Status)
	}
	if _, err := app.DB.AddMember(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID, "late@example.com", core.RoleMember); err != nil {
		t.Errorf("re-inviting after expiry: %v", err)
	}
}
