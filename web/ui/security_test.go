package ui_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// Findings of the security review, each pinned by a test.

func TestNextParameterCannotLeaveTheSite(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
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

// Issue 10 item 5: after delivery the invitation link is gone from the raw bytes of the
// database file and its WAL, with no checkpoint from the test: the server checkpoints once it
// has cleared the delivered message.
func TestInvitationSecretLeavesTheWALAfterDelivery(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	if r := owner.PostForm("/settings/acme/members/", url.Values{"email": {"wal@example.com"}, "role": {"member"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("invite: status %d", r.Status)
	}
	msg := app.SMTP.WaitFor(t, 1, 20*time.Second)[0]
	i := strings.Index(msg.Text, "/accept-invite/")
	secret := strings.TrimSuffix(strings.Fields(msg.Text[i+len("/accept-invite/"):])[0], "/")
	waitMailSentLogged(t, app)
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(app.DatabasePath() + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the invitation secret is in the raw bytes of tokenboard.db%s after delivery", suffix)
		}
	}
	// The link still works: only its hash is stored, and that is what it is looked up by.
	if r := app.Client(t).Get("/accept-invite/" + secret + "/"); r.Status != http.StatusOK {
		t.Errorf("the invitation page: status %d, want 200", r.Status)
	}
}

// waitMailSentLogged waits until the sender has logged a delivery, which it does once
// MarkSent has returned: the message is marked and cleared and, for an invitation, the WAL
// checkpointed. (WaitOutboxDelivered returns as soon as the mark commits, before the
// checkpoint, and a checkpoint of the test's own would be refused while the server's runs.)
func waitMailSentLogged(t *testing.T, app *apptest.App) {
	t.Helper()
	app.WaitOutboxDelivered(t, 20*time.Second)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(app.Logs.String(), `msg="mail sent"`); {
		if time.Now().After(deadline) {
			t.Fatal("the sender never logged the delivery")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInvitationSecretDoesNotOutliveDeliveryAndExpires(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	if r := owner.PostForm("/settings/acme/members/", url.Values{"email": {"late@example.com"}, "role": {"owner"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("invite: status %d", r.Status)
	}
	msg := app.SMTP.WaitFor(t, 1, 20*time.Second)[0]
	waitMailSentLogged(t, app)
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

// Issue 10 item 9: an invitation link opened by an account with another email shows the
// invited address and asks for confirmation; the server refuses to join without it.
func TestInviteForAnotherEmailNeedsConfirmation(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	if r := owner.PostForm("/settings/acme/members/", url.Values{"email": {"invitee@example.com"}, "role": {"admin"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("invite: status %d", r.Status)
	}
	msg := app.SMTP.WaitFor(t, 1, 20*time.Second)[0]
	i := strings.Index(msg.Text, "/accept-invite/")
	path := strings.Fields(msg.Text[i:])[0]

	gary := app.LoginAs(t, "owner@globex.test")
	page := gary.Get(path)
	if page.Status != http.StatusOK || !strings.Contains(page.Body, "This invitation was sent to <strong>invitee@example.com</strong>, but you are signed in as <strong>owner@globex.test</strong>.") ||
		!strings.Contains(page.Body, `name="confirm_email"`) {
		t.Fatalf("invitation page for another account: status %d\n%s", page.Status, page.Body)
	}
	acme := app.Org(t, "acme").ID
	isMember := func() bool {
		u, err := app.DB.UserByEmail(apptest.AsOperator(), "owner@globex.test")
		if err != nil {
			t.Fatal(err)
		}
		_, err = app.DB.Membership(apptest.AsOperator(), acme, u.ID)
		return err == nil
	}
	for _, form := range []url.Values{nil, {"confirm_email": {"1"}}, {"confirm_email": {"owner@globex.test"}}} {
		r := gary.PostForm(path, form)
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Confirm that you want to join with this account: the invitation was sent to invitee@example.com.") {
			t.Fatalf("joining with %v: status %d, want 400 asking for confirmation", form, r.Status)
		}
		if isMember() {
			t.Fatalf("joined without confirming (form %v)", form)
		}
	}
	if r := gary.PostForm(path, url.Values{"confirm_email": {"Invitee@Example.com"}}); r.Status != http.StatusSeeOther || r.Location != "/settings/acme/" {
		t.Fatalf("confirmed: status %d to %q", r.Status, r.Location)
	}
	if !isMember() {
		t.Error("confirmed, but not a member")
	}
}

// Issue 10 item 9: a user token cannot be created with org:ci, which no route lets a user
// token use; the API answers a field error on scopes and creates nothing.
func TestUserTokenWithOrgCIIsRefused(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	member := app.LoginAs(t, "member@acme.test")
	before := member.JSON(http.MethodGet, "/api/0/api-tokens/", nil).Body
	for _, scopes := range [][]string{{"org:ci"}, {"org:read", "org:ci"}} {
		r := member.JSON(http.MethodPost, "/api/0/api-tokens/", map[string]any{"name": "ci", "scopes": scopes})
		want := `{"scopes":["` + core.MsgUserTokenOrgCI + `"]}`
		if r.Status != http.StatusBadRequest || strings.TrimSpace(r.Body) != want {
			t.Errorf("scopes %v: status %d %s, want 400 %s", scopes, r.Status, r.Body, want)
		}
	}
	if after := member.JSON(http.MethodGet, "/api/0/api-tokens/", nil).Body; after != before {
		t.Errorf("a token was created:\nbefore %s\nafter  %s", before, after)
	}
}
