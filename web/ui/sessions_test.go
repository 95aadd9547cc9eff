package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// Issue 10 item 1: sessions live on the server, so signing out ends every copy of the cookie.

// withCookiesOf sends a GET carrying exactly the cookies another client holds: a copy of its
// session cookie.
func withCookiesOf(t *testing.T, app *apptest.App, from *apptest.Client, path string) *apptest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+path, nil)
	req.Header.Set("Cookie", strings.Join(from.Cookies(), "; "))
	return app.Client(t).Do(req)
}

func TestCopiedSessionCookieStopsWorkingAfterSignOut(t *testing.T) {
	app := apptest.Start(t)
	c := app.LoginAs(t, "member@acme.test")
	copyOfCookies := c.Cookies()
	if r := withCookiesOf(t, app, c, "/settings/account/details/"); r.Status != http.StatusOK {
		t.Fatalf("the copied cookie before sign-out: status %d, want 200", r.Status)
	}
	if r := c.PostForm("/auth/logout/", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out: status %d", r.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/settings/account/details/", nil)
	req.Header.Set("Cookie", strings.Join(copyOfCookies, "; "))
	r := app.Client(t).Do(req)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/auth/login/") {
		t.Fatalf("the copied cookie after sign-out: status %d to %q, want the sign-in page", r.Status, r.Location)
	}
	// Nor can the copy mint a token through the API.
	req, _ = http.NewRequest(http.MethodGet, app.URL+"/api/0/api-tokens/", nil)
	req.Header.Set("Cookie", strings.Join(copyOfCookies, "; "))
	if r := app.Client(t).Do(req); r.Status != http.StatusUnauthorized {
		t.Errorf("the copied cookie on the API after sign-out: status %d, want 401", r.Status)
	}
	// Signing out says so.
	if page := c.Get("/auth/login/"); !strings.Contains(page.Body, "You have been signed out.") {
		t.Error("the sign-in page after signing out does not say \"You have been signed out.\"")
	}
}

var sessionRow = regexp.MustCompile(`(?s)<tr>(.*?)</tr>`)
var endURL = regexp.MustCompile(`/settings/account/security/sessions/(\d+)/end/`)

// sessionIDs reads the security page's session list: the id of the viewer's own session and
// those of the others.
func sessionIDs(t *testing.T, c *apptest.Client) (current string, others []string) {
	t.Helper()
	page := c.Get("/settings/account/security/")
	if page.Status != http.StatusOK {
		t.Fatalf("security page: status %d", page.Status)
	}
	for _, row := range sessionRow.FindAllStringSubmatch(page.Body, -1) {
		m := endURL.FindStringSubmatch(row[1])
		if m == nil {
			continue
		}
		if strings.Contains(row[1], "This browser") {
			current = m[1]
		} else {
			others = append(others, m[1])
		}
	}
	return current, others
}

func TestSecurityPageListsAndEndsSessions(t *testing.T) {
	app := apptest.Start(t)
	laptop := app.LoginAs(t, "member@acme.test")
	phone := app.LoginAs(t, "member@acme.test")
	tablet := app.LoginAs(t, "member@acme.test")

	current, others := sessionIDs(t, laptop)
	if current == "" || len(others) != 2 {
		t.Fatalf("the laptop sees current %q and others %v, want its own and two others", current, others)
	}
	page := laptop.Get("/settings/account/security/").Body
	for _, want := range []string{"Active Sessions", "127.0.0.1", "Go HTTP client", "Sign out all other sessions"} {
		if !strings.Contains(page, want) {
			t.Errorf("the session list lacks %q", want)
		}
	}

	// Sign out the phone's session only.
	phoneID, _ := sessionIDs(t, phone)
	r := laptop.PostForm("/settings/account/security/sessions/"+phoneID+"/end/", nil)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("ending the phone's session: status %d", r.Status)
	}
	if r := phone.Get("/settings/account/details/"); r.Status != http.StatusSeeOther {
		t.Errorf("the phone after its session was ended: status %d, want a redirect to sign in", r.Status)
	}
	if r := tablet.Get("/settings/account/details/"); r.Status != http.StatusOK {
		t.Errorf("the tablet after the phone's session was ended: status %d, want 200", r.Status)
	}

	// Then every other one.
	if r := laptop.PostForm("/settings/account/security/sessions/end-others/", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out all other sessions: status %d", r.Status)
	}
	if r := tablet.Get("/settings/account/details/"); r.Status != http.StatusSeeOther {
		t.Errorf("the tablet after \"Sign out all other sessions\": status %d, want a redirect", r.Status)
	}
	if r := laptop.Get("/settings/account/details/"); r.Status != http.StatusOK {
		t.Errorf("the laptop after signing out the others: status %d, want 200", r.Status)
	}
	if _, others := sessionIDs(t, laptop); len(others) != 0 {
		t.Errorf("sessions left besides the laptop's: %v", others)
	}
}

func TestNobodyEndsAnotherUsersSession(t *testing.T) {
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	ownerID, _ := sessionIDs(t, owner)
	member := app.LoginAs(t, "member@acme.test")
	if r := member.PostForm("/settings/account/security/sessions/"+ownerID+"/end/", nil); r.Status != http.StatusNotFound {
		t.Errorf("ending another user's session: status %d, want 404", r.Status)
	}
	if r := owner.Get("/settings/account/details/"); r.Status != http.StatusOK {
		t.Errorf("the owner after the member's attempt: status %d, want 200", r.Status)
	}
	// Without the CSRF token the form is refused.
	if r := member.PostFormRaw("/settings/account/security/sessions/end-others/", url.Values{}); r.Status != http.StatusForbidden {
		t.Errorf("sign out others without CSRF: status %d, want 403", r.Status)
	}
}

func TestPasswordChangeEndsOtherSessionsAndRenewsThisOne(t *testing.T) {
	app := apptest.Start(t)
	this := app.LoginAs(t, "member@acme.test")
	other := app.LoginAs(t, "member@acme.test")
	before := this.Cookies()
	r := this.PostForm("/settings/account/security/", url.Values{"current_password": {"tokenboard-demo"},
		"new_password": {"another password"}, "verify_password": {"another password"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("password change: status %d", r.Status)
	}
	if r := this.Get("/settings/account/details/"); r.Status != http.StatusOK {
		t.Errorf("this browser after the change: status %d, want 200", r.Status)
	}
	if r := other.Get("/settings/account/details/"); r.Status != http.StatusSeeOther {
		t.Errorf("another session after the change: status %d, want a redirect to sign in", r.Status)
	}
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/settings/account/details/", nil)
	req.Header.Set("Cookie", strings.Join(before, "; "))
	if r := app.Client(t).Do(req); r.Status != http.StatusSeeOther {
		t.Errorf("a copy of this browser's cookie from before the change: status %d, want a redirect", r.Status)
	}
}
