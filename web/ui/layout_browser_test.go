package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/views"
)

// evalInto runs a script in the page and decodes its result into *into.
func evalInto[T any](t *testing.T, ctx context.Context, expr string, into *T) {
	t.Helper()
	*into = run(t, ctx, chromedp.Evaluate[T](expr))
}

// Issue 12's screen bugs 3, 5, 6, 7 and 10, each walked in Chromium as the user who met it.

// TestBrowserBillingMemberIsToldTheirOrganizationAndRole: bug 3. A billing member used to
// read "You are not a member of any organization yet."
func TestBrowserBillingMemberIsToldTheirOrganizationAndRole(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeBilling)
	do(t, ctx, chromedp.Navigate(app.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	text := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if strings.Contains(text, "You are not a member of any organization yet.") {
		t.Errorf("a billing member is told they belong to no organization:\n%s", text)
	}
	for _, want := range []string{"You are a Billing member of Acme Corp.", "need the Member, Admin, Manager or Owner role", "User Auth Tokens"} {
		if !strings.Contains(text, want) {
			t.Errorf("the landing page lacks %q:\n%s", want, text)
		}
	}
}

// TestBrowserReadOnlyIntegrationSettingsLookDisabled: bug 5. Admins and members see the
// settings visibly disabled, with a line saying why.
func TestBrowserReadOnlyIntegrationSettingsLookDisabled(t *testing.T) {
	app := apptest.Start(t)
	i := app.CreateIntegration(t, apptest.AcmeOwner, "acme", "Deploy Bot")
	page := app.URL + devSettings + i.Slug + "/"

	// The editable look, as an owner sees it, to compare with.
	owner := apptest.Browser(t)
	app.BrowserLogin(t, owner, apptest.AcmeOwner)
	do(t, owner, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("integration-name")))
	var editable string
	evalInto(t, owner, `getComputedStyle(document.getElementById("integration-name")).backgroundColor`, &editable)

	for _, who := range []string{apptest.AcmeAdmin, apptest.AcmeMember} {
		ctx := apptest.Browser(t)
		app.BrowserLogin(t, ctx, who)
		do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("integration-name")))
		notice := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
		if !strings.Contains(notice, views.MsgIntegrationReadOnly) {
			t.Errorf("%s: no line saying why the settings are read-only", who)
		}
		var look struct {
			Background, Cursor string
			Disabled           bool
		}
		evalInto(t, ctx, `(() => { const el = document.getElementById("integration-name"), s = getComputedStyle(el);
			return {Background: s.backgroundColor, Cursor: s.cursor, Disabled: el.matches(":disabled")}; })()`, &look)
		if !look.Disabled || look.Cursor != "not-allowed" || look.Background == editable {
			t.Errorf("%s: the name field looks editable: %+v (editable background %s)", who, look, editable)
		}
		// The Tokens panel: a disabled New Token with Sentry's reason, not no button at all.
		tokens := run(t, ctx, chromedp.OuterHTML(chromedp.ID("tokens")))
		if !strings.Contains(tokens, "You must be a Manager or Owner to create authentication tokens.") || !strings.Contains(tokens, "disabled") {
			t.Errorf("%s: New Token is not shown disabled with its reason:\n%s", who, tokens)
		}
	}
}

// TestBrowserWebhookOptionsNeedTheirPrerequisites: bug 6. The subscriptions need Read on
// Issue & Event and a webhook URL, the alert rule action a webhook URL; the options are
// disabled live with Sentry's reason as the tooltip, and the server still refuses.
func TestBrowserWebhookOptionsNeedTheirPrerequisites(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeOwner)
	do(t, ctx, chromedp.Navigate(app.URL+devSettings+"new-internal/"), chromedp.WaitVisible(chromedp.ID("integration-name")))

	type option struct {
		Disabled bool
		Tooltip  string
		Label    string
	}
	read := func() map[string]option {
		t.Helper()
		var out map[string]option
		evalInto(t, ctx, `(() => { const o = {};
			for (const id of ["event-issue", "event-error", "event-comment", "alert-rule-action"]) {
				const box = document.getElementById(id), row = box.closest(".field");
				o[id] = {Disabled: box.disabled, Tooltip: row.getAttribute("data-tooltip") || "", Label: row.querySelector("label").textContent.trim()};
			}
			return o; })()`, &out)
		return out
	}

	// Nothing set: every option needs the webhook URL first (Sentry's message wins).
	got := read()
	for id, o := range got {
		want := views.MsgSubscriptionNeedsURL
		if id == "alert-rule-action" {
			want = views.MsgAlertRuleActionNeedsURL
		}
		if !o.Disabled || o.Tooltip != want {
			t.Errorf("empty form: %s = %+v, want disabled with %q", id, o, want)
		}
	}
	if got["event-issue"].Label != "issue" || got["event-error"].Label != "error" || got["event-comment"].Label != "comment" {
		t.Errorf("labels are not Sentry's lower-case resources: %+v", got)
	}
	if page := run(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(page, "created, resolved, assigned, archived, unresolved") {
		t.Error("the issue subscription does not list Sentry's events")
	}

	// A webhook URL: the alert rule action is enabled; the subscriptions now lack Read on Event.
	do(t, ctx, chromedp.SendKeys(chromedp.ID("webhook-url"), "https://hooks.example.com/sentry"))
	got = read()
	if got["alert-rule-action"].Disabled || got["alert-rule-action"].Tooltip != "" {
		t.Errorf("with a URL, the alert rule action is still disabled: %+v", got["alert-rule-action"])
	}
	for _, id := range []string{"event-issue", "event-error", "event-comment"} {
		if o := got[id]; !o.Disabled || o.Tooltip != views.MsgEventNeedsRead {
			t.Errorf("no Event permission: %s = %+v, want disabled with %q", id, o, views.MsgEventNeedsRead)
		}
	}

	// Read on Issue & Event: every option is enabled.
	do(t, ctx, chromedp.SetValue(chromedp.ID("perm-event"), "read"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("perm-event").dispatchEvent(new Event("change", {bubbles: true}))`))
	for id, o := range read() {
		if o.Disabled || o.Tooltip != "" {
			t.Errorf("prerequisites met: %s = %+v, want enabled", id, o)
		}
	}

	// The server keeps its own check: a forged post (an issue subscription, no URL) fails.
	c := app.ClientAs(t, apptest.AcmeOwner)
	r := c.PostForm(devSettings+"new-internal/", map[string][]string{"name": {"Forged"}, "events": {"issue"}, "perm-event": {"read"}})
	if r.Status != 400 || !strings.Contains(r.Body, "A webhook URL is required if webhook events are enabled.") {
		t.Errorf("forged subscription without a URL: status %d", r.Status)
	}
}

// TestBrowserFocusGoesToNameThenToTheFirstInvalidField: bug 7 on the integration and
// organization forms.
func TestBrowserFocusGoesToNameThenToTheFirstInvalidField(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeOwner)
	focused := func() string {
		t.Helper()
		var id string
		evalInto(t, ctx, `document.activeElement ? document.activeElement.id : ""`, &id)
		return id
	}
	for _, form := range []struct{ path, name, submit string }{
		{devSettings + "new-internal/", "integration-name", "Save Changes"},
		{"/organizations/new/", "org-name", "Create Organization"},
	} {
		do(t, ctx, chromedp.Navigate(app.URL+form.path), chromedp.WaitVisible(chromedp.ID(form.name)))
		if got := focused(); got != form.name {
			t.Errorf("%s: focus on %q, want the Name field", form.path, got)
		}
		// Submit with a blank name: the form comes back with the error, the cursor in Name.
		do(t, ctx, chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`),
			chromedp.Click(chromedp.Search(`//button[normalize-space()="`+form.submit+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[aria-invalid="true"]`)))
		var firstInvalid string
		evalInto(t, ctx, `document.querySelector('[aria-invalid="true"]').id`, &firstInvalid)
		if got := focused(); got != firstInvalid {
			t.Errorf("%s after a validation error: focus on %q, want the first invalid field %q", form.path, got, firstInvalid)
		}
	}
}

// TestBrowserErrorPagesKeepTheShell: bug 10. A signed-in user's 403 and 404 keep the
// navigation and Sign Out; a disabled button has one tooltip, not ours and the browser's.
func TestBrowserErrorPagesKeepTheShell(t *testing.T) {
	app := apptest.Start(t)
	for _, tc := range []struct{ who, path, heading string }{
		{apptest.AcmeOwner, "/settings/no-such-org/", "Page Not Found"},
		{apptest.AcmeMember, devSettings + "no-such-integration/", "Page Not Found"},
		{apptest.AcmeMember, devSettings + "new-internal/", "Permission Denied"},
		{apptest.AcmeBilling, "/settings/acme/", "Permission Denied"},
	} {
		ctx := apptest.Browser(t)
		app.BrowserLogin(t, ctx, tc.who)
		do(t, ctx, chromedp.Navigate(app.URL+tc.path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		var shell struct {
			Heading      string
			Sidebar      bool
			SignOut      bool
			SidebarLinks int
		}
		evalInto(t, ctx, `({Heading: document.querySelector("main h1").textContent,
			Sidebar: !!document.querySelector("nav.sidebar"),
			SignOut: [...document.querySelectorAll("button")].some(b => b.textContent.trim() === "Sign Out"),
			SidebarLinks: document.querySelectorAll("nav.sidebar a").length})`, &shell)
		if shell.Heading != tc.heading || !shell.Sidebar || !shell.SignOut || shell.SidebarLinks < 3 {
			t.Errorf("%s on %s: %+v, want %q inside the shell", tc.who, tc.path, shell, tc.heading)
		}
	}

	// Anonymous visitors keep the bare error page (no sidebar to show them).
	anon := apptest.Browser(t)
	do(t, anon, chromedp.Navigate(app.URL+"/no-such-page/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	var sidebar bool
	evalInto(t, anon, `!!document.querySelector("nav.sidebar")`, &sidebar)
	if sidebar {
		t.Error("an anonymous 404 shows the settings sidebar")
	}

	// One tooltip: the disabled Create New Integration of an admin has ours, no title.
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeAdmin)
	do(t, ctx, chromedp.Navigate(app.URL+devSettings), chromedp.WaitVisible(chromedp.CSS(".tooltip-wrap")))
	var titled int
	evalInto(t, ctx, `document.querySelectorAll(".tooltip-wrap[title], .tooltip-wrap [title]").length`, &titled)
	if titled != 0 {
		t.Errorf("%d disabled buttons carry a title as well as the tooltip", titled)
	}
}
