package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)

	t.Run("WrongPasswordAndUnknownEmailGetTheSameMessage", func(t *testing.T) {
		c := app.Client(t)
		wrong := c.PostForm("/auth/login/", url.Values{"email": {"owner@acme.test"}, "password": {"nope-nope"}})
		unknown := c.PostForm("/auth/login/", url.Values{"email": {"nobody@acme.test"}, "password": {"nope-nope"}})
		for _, r := range []*apptest.Response{wrong, unknown} {
			if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "Incorrect email or password.") {
				t.Errorf("status %d, body lacks the message", r.Status)
			}
		}
	})

	t.Run("RepeatedFailuresSlowDownThatAccountFromThatIP", func(t *testing.T) {
		// More in login_throttle_test.go: other IPs are never refused the right password.
		c := app.Client(t)
		var last *apptest.Response
		for range loginFreeFailures + 1 {
			last = c.PostForm("/auth/login/", url.Values{"email": {"admin@acme.test"}, "password": {"guess-guess"}})
		}
		if last.Status != http.StatusUnauthorized || !strings.Contains(last.Body, "Too many failed attempts. Try again in 1 second.") {
			t.Fatalf("failure past the free ones: status %d, want 401 saying the user is slowed down", last.Status)
		}
		r := c.PostForm("/auth/login/", url.Values{"email": {"admin@acme.test"}, "password": {"tokenboard-demo"}})
		if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Errorf("right password before the next allowed time: status %d, want 429 with Retry-After", r.Status)
		}
	})

	t.Run("SessionCookieIsHttpOnlyAndHoldsNoPassword", func(t *testing.T) {
		c := app.Client(t)
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/auth/login/", strings.NewReader(url.Values{
			"email": {"member@acme.test"}, "password": {"tokenboard-demo"}, "csrf_token": {c.CSRF()},
		}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r := c.Do(req)
		cookie := strings.Join(r.Header.Values("Set-Cookie"), "\n")
		if !strings.Contains(cookie, "tokenboard_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
			t.Errorf("session cookie attributes: %s", cookie)
		}
		if strings.Contains(cookie, "tokenboard-demo") || strings.Contains(app.Logs.String(), "tokenboard-demo") {
			t.Error("the password leaked into a cookie or a log line")
		}
	})

	t.Run("PasswordChangeSignsOutOtherSessions", func(t *testing.T) {
		first := app.LoginAs(t, "owner2@acme.test")
		second := app.LoginAs(t, "owner2@acme.test")
		r := first.PostForm("/settings/account/security/", url.Values{
			"current_password": {"tokenboard-demo"}, "new_password": {"a-new-password"}, "verify_password": {"a-new-password"},
		})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("password change: status %d", r.Status)
		}
		if got := first.Get("/settings/account/details/"); got.Status != http.StatusOK {
			t.Errorf("the session that changed the password: status %d, want 200", got.Status)
		}
		if got := second.Get("/settings/account/details/"); got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/auth/login/") {
			t.Errorf("the other session: status %d to %q, want a redirect to sign in", got.Status, got.Location)
		}
		log := first.Get("/settings/account/security/")
		if !strings.Contains(log.Body, "Password changed") {
			t.Error("the security log does not show the password change")
		}
	})
}

func TestSignUpValidatesAndKeepsInput(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	c := app.Client(t)
	r := c.PostForm("/auth/register/", url.Values{"name": {"Nina"}, "email": {"not-an-email"}, "password": {"short"}})
	if r.Status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", r.Status)
	}
	for _, want := range []string{"Enter a valid email address.", "at least 8 characters", `value="Nina"`, `value="not-an-email"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	r = c.PostForm("/auth/register/", url.Values{"name": {"Nina"}, "email": {"OWNER@acme.test"}, "password": {"long-enough"}})
	if !strings.Contains(r.Body, "An account with this email already exists.") {
		t.Error("an email differing only in case was accepted")
	}
}

func TestCSRF(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	c := app.LoginAs(t, "owner@acme.test")
	create := url.Values{"name": {"Evil Corp"}, "slug": {"evil"}}
	post := func(form url.Values, headers map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, app.URL+"/organizations/new/", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		return c.Do(req).Status
	}
	withToken := url.Values{"csrf_token": {c.CSRF()}}
	for k, v := range create {
		withToken[k] = v
	}

	tests := []struct {
		name    string
		form    url.Values
		headers map[string]string
	}{
		{"WithoutToken", create, nil},
		{"WithWrongToken", url.Values{"name": {"Evil Corp"}, "slug": {"evil"}, "csrf_token": {"forged"}}, nil},
		{"CrossSiteFetchMetadata", withToken, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"ForeignOrigin", withToken, map[string]string{"Origin": "https://evil.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+"IsRefused", func(t *testing.T) {
			if got := post(tt.form, tt.headers); got != http.StatusForbidden {
				t.Errorf("status %d, want 403", got)
			}
			if _, err := app.DB.OrgBySlug(context.Background(), "evil"); core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatal("the forged request created the organization")
			}
		})
	}
	t.Run("SameOriginFetchMetadataNeedsNoToken", func(t *testing.T) {
		// What a real browser sends for its own form: Echo trusts Sec-Fetch-Site.
		if got := post(create, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": app.URL}); got != http.StatusSeeOther {
			t.Errorf("status %d, want 303", got)
		}
	})
}

func TestMemberRules(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	ctx := context.Background()
	acme := app.Org(t, "acme")
	roleOf := func(email string) core.Role {
		u, err := app.DB.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		m, err := app.DB.Membership(apptest.AsOperator(), acme.ID, u.ID)
		if core.ErrorCode(err) == core.ENOTFOUND {
			return ""
		} else if err != nil {
			t.Fatal(err)
		}
		return m.Role
	}
	userID := func(email string) string { return itoa(mustUserID(t, app, email)) }

	t.Run("MembersAndAdminsCannotChangeRolesOrRemove", func(t *testing.T) {
		for _, actor := range []string{"member@acme.test", "admin@acme.test"} {
			c := app.LoginAs(t, actor)
			r := c.PostForm("/settings/acme/members/"+userID("billing@acme.test")+"/role/", url.Values{"role": {"owner"}})
			if r.Status != http.StatusForbidden {
				t.Errorf("%s changing a role: status %d, want 403", actor, r.Status)
			}
			r = c.PostForm("/settings/acme/members/"+userID("billing@acme.test")+"/remove/", nil)
			if r.Status != http.StatusForbidden {
				t.Errorf("%s removing a member: status %d, want 403", actor, r.Status)
			}
			r = c.PostForm("/settings/acme/members/", url.Values{"email": {"x@acme.test"}, "role": {"member"}})
			if r.Status != http.StatusForbidden {
				t.Errorf("%s adding a member: status %d, want 403", actor, r.Status)
			}
			if page := c.Get("/settings/acme/members/"); page.Status != http.StatusOK || strings.Contains(page.Body, "Save Role") {
				t.Errorf("%s sees the members page with role controls (status %d)", actor, page.Status)
			}
		}
		if got := roleOf("billing@acme.test"); got != core.RoleBilling {
			t.Errorf("billing's role changed to %s", got)
		}
	})

	t.Run("ManagerCannotGrantOrRemoveOwner", func(t *testing.T) {
		c := app.LoginAs(t, "manager@acme.test")
		if r := c.PostForm("/settings/acme/members/"+userID("admin@acme.test")+"/role/", url.Values{"role": {"owner"}}); r.Status != http.StatusForbidden {
			t.Errorf("granting owner: status %d, want 403", r.Status)
		}
		if r := c.PostForm("/settings/acme/members/"+userID("owner2@acme.test")+"/remove/", nil); r.Status != http.StatusForbidden {
			t.Errorf("removing an owner: status %d, want 403", r.Status)
		}
		if r := c.PostForm("/settings/acme/members/"+userID("admin@acme.test")+"/role/", url.Values{"role": {"manager"}}); r.Status != http.StatusSeeOther {
			t.Errorf("granting manager: status %d, want 303", r.Status)
		}
		if got := roleOf("admin@acme.test"); got != core.RoleManager {
			t.Errorf("admin's role = %s, want manager", got)
		}
	})

	t.Run("LastOwnerCannotBeDemotedOrRemoved", func(t *testing.T) {
		owner := app.LoginAs(t, "owner@acme.test")
		if r := owner.PostForm("/settings/acme/members/"+userID("owner2@acme.test")+"/remove/", url.Values{"confirmed": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("removing the second owner: status %d", r.Status)
		}
		err := app.DB.ChangeRole(app.As(t, "owner@acme.test"), acme.ID, mustUserID(t, app, "owner@acme.test"), core.RoleMember)
		if err == nil || !strings.Contains(core.ErrorMessage(err), "last owner") {
			t.Errorf("demoting the last owner: err = %v", err)
		}
		if got := roleOf("owner@acme.test"); got != core.RoleOwner {
			t.Errorf("the last owner is now %s", got)
		}
	})

	t.Run("BillingSeesNoSettings", func(t *testing.T) {
		c := app.LoginAs(t, "billing@acme.test")
		for _, path := range []string{"/settings/acme/", "/settings/acme/members/", "/settings/acme/audit-log/"} {
			if r := c.Get(path); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "Permission Denied") {
				t.Errorf("%s: status %d, want the styled 403", path, r.Status)
			}
		}
		if r := c.Get("/settings/account/details/"); r.Status != http.StatusOK {
			t.Errorf("own account: status %d, want 200", r.Status)
		}
	})

	t.Run("NonMembersGetNotFound", func(t *testing.T) {
		c := app.LoginAs(t, "owner@globex.test")
		if r := c.Get("/settings/acme/members/"); r.Status != http.StatusNotFound {
			t.Errorf("status %d, want 404", r.Status)
		}
	})
}

func TestInvitationSurvivesSMTPOutage(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	app.SMTP.Stop()
	owner := app.LoginAs(t, "owner@acme.test")
	r := owner.PostForm("/settings/acme/members/", url.Values{"email": {"newcomer@example.com"}, "role": {"admin"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("inviting while SMTP is down: status %d, want 303", r.Status)
	}
	if page := owner.Get("/settings/acme/members/"); !strings.Contains(page.Body, "Sent an invitation to newcomer@example.com.") ||
		!strings.Contains(page.Body, "Pending Invitations") {
		t.Error("the members page shows neither the flash nor the pending invitation")
	}

	app.SMTP.Restart()
	msgs := app.SMTP.WaitFor(t, 1, 20*time.Second)
	m := msgs[0]
	if m.Subject != "Join Acme Corp on tokenboard" || len(m.To) != 1 || m.To[0] != "newcomer@example.com" {
		t.Fatalf("message: subject %q to %v", m.Subject, m.To)
	}
	// Delivered exactly once: the outbox is drained and the server saw one message.
	app.WaitOutboxDelivered(t, 20*time.Second)
	if n := len(app.SMTP.Messages()); n != 1 {
		t.Errorf("the SMTP server received %d messages, want 1", n)
	}

	// The link signs the newcomer up and into the organization with the invited role.
	i := strings.Index(m.Text, app.URL+"/accept-invite/")
	if i < 0 {
		t.Fatalf("no accept link in %q", m.Text)
	}
	link := strings.Fields(m.Text[i:])[0]
	path := strings.TrimPrefix(link, app.URL)
	newcomer := app.Client(t)
	if page := newcomer.Get(path); page.Status != http.StatusOK || !strings.Contains(page.Body, "Acme Corp") {
		t.Fatalf("invitation page: status %d", page.Status)
	}
	r = newcomer.PostForm("/auth/register/", url.Values{"name": {"Newcomer"}, "email": {"newcomer@example.com"}, "password": {"newcomer-pass"}, "next": {path}})
	if r.Status != http.StatusSeeOther || r.Location != path {
		t.Fatalf("sign-up: status %d to %q", r.Status, r.Location)
	}
	if r = newcomer.PostForm(path, nil); r.Status != http.StatusSeeOther || r.Location != "/settings/acme/" {
		t.Fatalf("accepting: status %d to %q", r.Status, r.Location)
	}
	u, _ := app.DB.UserByEmail(context.Background(), "newcomer@example.com")
	if m, err := app.DB.Membership(apptest.AsOperator(), app.Org(t, "acme").ID, u.ID); err != nil || m.Role != core.RoleAdmin {
		t.Errorf("membership after accepting: %+v, %v", m, err)
	}
	if again := newcomer.PostForm(path, nil); again.Status != http.StatusNotFound {
		t.Errorf("reusing the invitation: status %d, want 404", again.Status)
	}
	if strings.Contains(app.Logs.String(), strings.TrimSuffix(strings.TrimPrefix(path, "/accept-invite/"), "/")) {
		t.Error("the invitation secret is in the logs")
	}
}

// The flow of the foundation issue in a real browser: sign up, create an organization, add a
// member, sign in as that member, who cannot change roles (and whose forged POST is refused),
// and sign out.
func TestBrowserSignUpCreateOrgAddMember(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+"/auth/register/"),
		chromedp.SendKeys(chromedp.ID("name"), "Fay Founder"),
		chromedp.SendKeys(chromedp.ID("email"), "fay@initech.test"),
		chromedp.SendKeys(chromedp.ID("password"), "fay-password"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create Account"]`)),
		chromedp.WaitVisible(chromedp.ID("org-name")),
		chromedp.SendKeys(chromedp.ID("org-name"), "Initech"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create Organization"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"alert-success")][contains(.,"Created the organization Initech.")]`)),
		chromedp.Navigate(app.URL+"/settings/initech/members/"),
		chromedp.SendKeys(chromedp.ID("member-email"), "member@acme.test"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Add Member"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"alert-success")][contains(.,"Added member@acme.test as Member.")]`)),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign Out"]`)),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	if err != nil {
		t.Fatalf("founder's flow: %v", err)
	}

	app.BrowserLogin(t, ctx, "member@acme.test")
	if err := chromedp.Do(ctx, chromedp.Navigate(app.URL+"/settings/initech/members/"),
		chromedp.WaitVisible(chromedp.Search(`//td[contains(.,"fay@initech.test")]`))); err != nil {
		t.Fatal(err)
	}
	controls, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("select[name=role], form[action$='/remove/']").length`))
	if err != nil || controls != 0 {
		t.Fatalf("the member sees %d role controls (err %v)", controls, err)
	}
	// A forged POST from the member's own browser session, with a valid CSRF token.
	forged := `fetch("/settings/initech/members/` + itoa(mustUserID(t, app, "fay@initech.test")) + `/role/", {method: "POST",
		headers: {"Content-Type": "application/x-www-form-urlencoded"},
		body: "role=member&csrf_token=" + encodeURIComponent(document.querySelector("meta[name=csrf-token]").content)}).then(r => r.status)`
	status, err := chromedp.Run(ctx, chromedp.Evaluate[int](forged, chromedp.EvalAwaitPromise))
	if err != nil || status != http.StatusForbidden {
		t.Fatalf("forged role change: status %d (err %v), want 403", status, err)
	}
	org := app.Org(t, "initech")
	if m, _ := app.DB.Membership(apptest.AsOperator(), org.ID, mustUserID(t, app, "fay@initech.test")); m == nil || m.Role != core.RoleOwner {
		t.Fatal("the forged request changed the founder's role")
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign Out"]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[normalize-space()="Sign in to tokenboard"]`)),
	); err != nil {
		t.Fatalf("signing out: %v", err)
	}
}

func mustUserID(t *testing.T, app *apptest.App, email string) int64 {
	t.Helper()
	u, err := app.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
