package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/views"
)

// Browser tests of issue 12's token-screen bugs: each failed before its fix.

// liveOrgTokens counts acme's live org tokens in the database.
func liveOrgTokens(t *testing.T, app *apptest.App) int {
	t.Helper()
	var n int
	if err := app.SQL(t).QueryRow(`SELECT count(*) FROM tokens WHERE kind = 'org' AND revoked_at IS NULL`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// textOf reads the visible text of the page's main content.
func textOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, chromedp.Text(chromedp.CSS("main")))
}

// createOrgTokenInBrowser fills and submits the org token form and waits for the one-time page.
func createOrgTokenInBrowser(t *testing.T, ctx context.Context, app *apptest.App, name, expiration string) string {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(app.URL+tokensPath("acme")+"new-token/"),
		chromedp.WaitVisible(chromedp.ID("token-name")),
		chromedp.SendKeys(chromedp.ID("token-name"), name),
		chromedp.SetValue(chromedp.ID("expiration"), expiration),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create Token"]`)),
		chromedp.WaitVisible(chromedp.ID("new-token")),
	)
	return run(t, ctx, chromedp.Value(chromedp.ID("new-token")))
}

// Bug 1: the expiry cell printed `Expires @ExpiryText(t.ExpiresAt, now)`.
func TestBrowserOrgTokenListShowsWhenATokenExpires(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeManager)
	createOrgTokenInBrowser(t, ctx, app, "monthly", "30")
	do(t, ctx,
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Done"]`)),
		chromedp.WaitVisible(chromedp.Search(`//a[normalize-space()="monthly"]`)),
	)
	row := run(t, ctx, chromedp.Text(chromedp.Search(`//tr[.//a[normalize-space()="monthly"]]`)))
	if strings.Contains(row, "@") || strings.Contains(row, "ExpiryText") || !strings.Contains(row, "Expires in a month") {
		t.Errorf("the row reads %q, want \"Expires in a month\"", row)
	}
}

// Bug 2: reloading the one-time page, or going Back then Forward, posted the form again and
// minted another token. Now the repeat answers "already created" and shows no token.
func TestBrowserResubmittedCreateFormMintsNothing(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeManager)

	token := createOrgTokenInBrowser(t, ctx, app, "once only", "never")
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
	page := textOf(t, ctx)
	if !strings.Contains(page, views.MsgAlreadyCreated) || strings.Contains(page, token[len(token)-8:]) {
		t.Errorf("after reload the page reads %q", page)
	}
	if n := liveOrgTokens(t, app); n != 1 {
		t.Errorf("after reload %d live tokens, want 1", n)
	}
	if !strings.Contains(run(t, ctx, chromedp.Evaluate[string](`document.querySelector("main a[href='/settings/acme/auth-tokens/']").textContent`)), "Auth Tokens") {
		t.Errorf("the page does not link to the list")
	}

	t.Run("BackThenForward", func(t *testing.T) {
		token := createOrgTokenInBrowser(t, ctx, app, "second", "never")
		do(t, ctx, chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.ID("token-name")))
		// Forward to a POST's no-store answer stops at "Confirm Form Resubmission"
		// (ERR_CACHE_MISS); reloading is accepting it.
		if err := chromedp.Do(ctx, chromedp.NavigateForward()); err != nil && !strings.Contains(err.Error(), "ERR_CACHE_MISS") {
			t.Fatal(err)
		}
		do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
		page := textOf(t, ctx)
		if !strings.Contains(page, views.MsgAlreadyCreated) || strings.Contains(page, token[len(token)-8:]) {
			t.Errorf("after Back, Forward and resubmitting, the page reads %q", page)
		}
		if n := liveOrgTokens(t, app); n != 2 {
			t.Errorf("%d live tokens, want 2", n)
		}
	})

	t.Run("UserToken", func(t *testing.T) {
		do(t, ctx,
			chromedp.Navigate(app.URL+userTokensURL+"new-token/"),
			chromedp.WaitVisible(chromedp.ID("perm-project")),
			chromedp.SetValue(chromedp.ID("perm-project"), "read"),
			chromedp.Submit(chromedp.ID("token-name")),
			chromedp.WaitVisible(chromedp.ID("new-token")),
		)
		token := run(t, ctx, chromedp.Value(chromedp.ID("new-token")))
		do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
		page := textOf(t, ctx)
		if !strings.Contains(page, views.MsgAlreadyCreated) || strings.Contains(page, token[len(token)-8:]) {
			t.Errorf("after reload the page reads %q", page)
		}
		var n int
		app.SQL(t).QueryRow(`SELECT count(*) FROM tokens WHERE kind = 'user' AND revoked_at IS NULL`).Scan(&n)
		if n != 1 {
			t.Errorf("%d user tokens, want 1", n)
		}
	})

	t.Run("IntegrationToken", func(t *testing.T) {
		in := app.CreateIntegration(t, apptest.AcmeOwner, "acme", "Deployer")
		before := app.LiveIntegrationTokens(t, in.Slug)
		do(t, ctx,
			chromedp.Navigate(app.URL+"/settings/acme/developer-settings/"+in.Slug+"/"),
			chromedp.Click(chromedp.Search(`//button[normalize-space()="New Token"]`)),
			chromedp.WaitVisible(chromedp.ID("new-token")),
			chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")),
		)
		if page := textOf(t, ctx); !strings.Contains(page, views.MsgAlreadyCreated) {
			t.Errorf("after reload the page reads %q", page)
		}
		if n := app.LiveIntegrationTokens(t, in.Slug); n != before+1 {
			t.Errorf("%d live tokens, want %d", n, before+1)
		}
	})
}

// activeID is the id of the element that has the focus.
func activeID(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
}

// Bug 7: a create form opens with Name focused; after a validation error the first invalid
// field has the focus. Sentry's Create stays disabled until a name is typed.
func TestBrowserTokenFormsFocusTheFieldToFill(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeManager)

	do(t, ctx, chromedp.Navigate(app.URL+tokensPath("acme")+"new-token/"), chromedp.WaitVisible(chromedp.ID("token-name")))
	if id := activeID(t, ctx); id != "token-name" {
		t.Errorf("the org token form opens with %q focused, want token-name", id)
	}
	createDisabled := `document.querySelector("button[data-needs-value]").disabled`
	if !run(t, ctx, chromedp.Evaluate[bool](createDisabled)) {
		t.Errorf("Create is enabled before a name is typed")
	}
	do(t, ctx, chromedp.SendKeys(chromedp.ID("token-name"), "ci"))
	if run(t, ctx, chromedp.Evaluate[bool](createDisabled)) {
		t.Errorf("Create stays disabled once a name is typed")
	}
	// A past custom date: Name is fine, Expiration is the first invalid field.
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("expiration"), "custom"),
		chromedp.SetValue(chromedp.ID("expiration-date"), "2001-01-01"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create Token"]`)),
		chromedp.WaitVisible(chromedp.CSS(".field.has-error")),
	)
	if id := activeID(t, ctx); id != "expiration" {
		t.Errorf("after the expiry error %q has the focus, want expiration", id)
	}

	do(t, ctx, chromedp.Navigate(app.URL+userTokensURL+"new-token/"), chromedp.WaitVisible(chromedp.ID("token-name")))
	if id := activeID(t, ctx); id != "token-name" {
		t.Errorf("the user token form opens with %q focused, want token-name", id)
	}
}

// Bug 8: the pager says "of N", and revoking or renaming from page 2 returns to page 2.
func TestBrowserOrgTokenPagerKeepsThePage(t *testing.T) {
	app := apptest.Start(t)
	app.SeedOrgTokens(t, app.Org(t, "acme").ID, "seeded", 120)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeOwner)
	page2 := app.URL + tokensPath("acme") + "?page=2"

	do(t, ctx, chromedp.Navigate(page2), chromedp.WaitVisible(chromedp.CSS("nav.pagination")))
	if s := run(t, ctx, chromedp.Text(chromedp.CSS("nav.pagination .muted"))); s != "Showing 51–100 of 120" {
		t.Errorf("pager reads %q", s)
	}

	do(t, ctx,
		chromedp.Click(chromedp.CSS("tbody tr td a")),
		chromedp.WaitVisible(chromedp.ID("token-name")),
		chromedp.Clear(chromedp.ID("token-name")),
		chromedp.SendKeys(chromedp.ID("token-name"), "renamed on page two"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save Changes"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"alert-success")][contains(., "Updated auth token.")]`)),
	)
	if loc := run(t, ctx, chromedp.Location()); loc != page2 {
		t.Errorf("after renaming the browser is at %s, want %s", loc, page2)
	}

	do(t, ctx,
		chromedp.Click(chromedp.CSS("tbody tr td.actions button")),
		chromedp.WaitVisible(chromedp.CSS("dialog.confirm")),
		chromedp.Click(chromedp.Search(`//dialog//button[normalize-space()="Revoke"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"alert-success")][contains(., "Revoked auth token")]`)),
	)
	if loc := run(t, ctx, chromedp.Location()); loc != page2 {
		t.Errorf("after revoking the browser is at %s, want %s", loc, page2)
	}
	if s := run(t, ctx, chromedp.Text(chromedp.CSS("nav.pagination .muted"))); s != "Showing 51–100 of 119" {
		t.Errorf("pager reads %q after revoking", s)
	}
}

// Bug 9: without JavaScript the Copy button did nothing; now it is not there, and the field
// still holds the token to select.
func TestBrowserCopyButtonNeedsJavaScript(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeManager)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	token := createOrgTokenInBrowser(t, ctx, app, "no script", "never")
	if !apptest.OrgTokenPattern.MatchString(token) {
		t.Fatalf("the field holds %q", token)
	}
	buttons := run(t, ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll("button")).filter(b => b.offsetParent !== null && /Copy/.test(b.textContent + b.title)).length`))
	if buttons != 0 {
		t.Errorf("%d Copy buttons shown without JavaScript", buttons)
	}
	if readonly := run(t, ctx, chromedp.Evaluate[bool](`document.getElementById("new-token").readOnly`)); !readonly {
		t.Errorf("the token field is not read-only")
	}
}
