package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/demo"
)

// Issue 12 bug 4: a form submitted after the session ended lands on the sign-in page with a
// message, and after signing in the user is back on the form with what they typed (never a
// password or a token), and nothing was created.
func TestBrowserExpiredSessionKeepsTheForm(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeMember)
	form := app.URL + "/settings/acme/auth-tokens/new-token/"
	do(t, ctx,
		chromedp.Navigate(form),
		chromedp.WaitVisible(chromedp.ID("token-name")),
		chromedp.SendKeys(chromedp.ID("token-name"), "ci upload after lunch"),
	)
	// The session ends while the form is open (signed out from another browser, or idle).
	if _, err := app.DB.EndOtherSessions(app.As(t, apptest.AcmeMember)); err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create Token"]`)),
		chromedp.WaitVisible(chromedp.ID("password")),
	)
	if msg := run(t, ctx, chromedp.Text(chromedp.CSS(".alert"))); msg != "Your session has expired. Sign in again." {
		t.Errorf("the sign-in page says %q", msg)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("email"), apptest.AcmeMember),
		chromedp.SendKeys(chromedp.ID("password"), demo.Password),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign In"]`)),
		chromedp.WaitVisible(chromedp.ID("token-name")),
	)
	if loc := run(t, ctx, chromedp.Location()); loc != form {
		t.Errorf("after signing in the browser is on %s, want the form %s", loc, form)
	}
	if name := run(t, ctx, chromedp.Value(chromedp.ID("token-name"))); name != "ci upload after lunch" {
		t.Errorf("the name field holds %q, want what was typed", name)
	}
	list := run(t, ctx, chromedp.Evaluate[string](`fetch("/settings/acme/auth-tokens/").then(r => r.text())`, chromedp.EvalAwaitPromise))
	if strings.Contains(list, "ci upload after lunch") {
		t.Error("the post made after the session ended created a token")
	}

	// Signing out says so.
	do(t, ctx,
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Sign Out"]`)),
		chromedp.WaitVisible(chromedp.ID("password")),
	)
	if msg := run(t, ctx, chromedp.Text(chromedp.CSS(".alert"))); msg != "You have been signed out." {
		t.Errorf("after signing out the page says %q", msg)
	}
}
