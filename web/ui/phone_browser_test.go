package ui_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// phoneWidth is the narrowest phone the screens are checked at (an iPhone mini / SE class).
const phoneWidth = 375

// atPhoneWidth makes the tab a 375 px wide phone.
func atPhoneWidth(t *testing.T, ctx context.Context) {
	t.Helper()
	do(t, ctx, chromedp.EmulateViewport(phoneWidth, 812, chromedp.EmulateMobile))
}

// sidewaysOverflow returns how wide the page is and the elements that stick out past the
// right edge (for the failure message), after loading path.
func sidewaysOverflow(t *testing.T, ctx context.Context, url string) (int, string) {
	t.Helper()
	do(t, ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
	var got struct {
		Width    int
		Culprits []string
	}
	evalInto(t, ctx, `(() => {
		const w = document.documentElement.clientWidth, out = [];
		for (const el of document.querySelectorAll("body *")) {
			const r = el.getBoundingClientRect();
			if (r.right > w + 0.5 && r.width > 0) out.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.split(" ").join(".") : "") + " right=" + Math.round(r.right));
		}
		return {Width: document.documentElement.scrollWidth, Culprits: out.slice(0, 6)};
	})()`, &got)
	return got.Width, strings.Join(got.Culprits, ", ")
}

// phoneFixtures fills acme with what makes rows long: an integration, org and user tokens
// with long names, a repository with a long name and URL, and the audit entries they write.
func phoneFixtures(t *testing.T, app *apptest.App) (integration string, orgTokenID int64) {
	t.Helper()
	integration = app.CreateIntegration(t, apptest.AcmeOwner, "acme", "Deploy Bot For Production Releases").Slug
	tok, _ := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "ci-upload-for-the-production-release-pipeline")
	// A repository with a long name and URL, for Settings > Repositories.
	if _, err := app.DB.AddRepository(app.As(t, apptest.AcmeOwner), app.Org(t, "acme").ID, core.NewRepository{
		Name: "acme/the-production-release-pipeline-of-the-web-frontend",
		URL:  "https://github.com/acme/the-production-release-pipeline-of-the-web-frontend"}); err != nil {
		t.Fatal(err)
	}
	expires := time.Now().Add(20 * 24 * time.Hour)
	for _, who := range []string{apptest.AcmeOwner, apptest.AcmeManager, apptest.AcmeAdmin, apptest.AcmeMember, apptest.AcmeBilling} {
		app.MintUserToken(t, who, core.NewScopeSet(core.ScopeProjectRead, core.ScopeOrgRead, core.ScopeEventRead, core.ScopeProjectReleases, core.ScopeTeamRead, core.ScopeMemberRead), &expires)
	}
	return integration, tok.ID
}

// TestBrowserNoScreenScrollsSidewaysOnAPhone: at 375 px no page is wider than the screen,
// for every screen as every demo role (their 403 and 404 pages included), and for the
// signed-out screens.
func TestBrowserNoScreenScrollsSidewaysOnAPhone(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	integration, orgTokenID := phoneFixtures(t, app)
	org := "/settings/acme/"
	screens := []string{
		"/",
		org, org + "projects/", org + "releases/", org + "repos/", org + "members/", org + "audit-log/",
		org + "audit-log/?event=" + core.AuditOrgTokenCreated,
		org + "auth-tokens/", org + "auth-tokens/new-token/", org + "auth-tokens/" + strconv.FormatInt(orgTokenID, 10) + "/",
		org + "auth-tokens/" + strconv.FormatInt(orgTokenID, 10) + "/rotate/", org + "projects/web/source-maps/",
		org + "developer-settings/", org + "developer-settings/new-internal/",
		org + "developer-settings/" + integration + "/", org + "developer-settings/" + integration + "/delete/",
		"/settings/account/details/", "/settings/account/security/",
		"/settings/account/api/auth-tokens/", "/settings/account/api/auth-tokens/new-token/",
		"/organizations/new/", "/settings/no-such-org/",
	}
	for _, who := range []string{apptest.AcmeOwner, apptest.AcmeManager, apptest.AcmeAdmin, apptest.AcmeMember, apptest.AcmeBilling} {
		ctx := apptest.Browser(t)
		app.BrowserLogin(t, ctx, who)
		atPhoneWidth(t, ctx)
		for _, path := range screens {
			if width, culprits := sidewaysOverflow(t, ctx, app.URL+path); width > phoneWidth {
				t.Errorf("%s %s: %d px wide at %d px (%s)", who, path, width, phoneWidth, culprits)
			}
		}
	}
	anon := apptest.Browser(t)
	atPhoneWidth(t, anon)
	for _, path := range []string{"/auth/login/", "/auth/register/", "/no-such-page/"} {
		if width, culprits := sidewaysOverflow(t, anon, app.URL+path); width > phoneWidth {
			t.Errorf("signed out %s: %d px wide (%s)", path, width, culprits)
		}
	}
}

// TestBrowserSidebarCollapsesBehindTheMenuButtonOnAPhone: the sidebar no longer takes the
// top of every page on a phone; Menu opens and closes it, and the plain link to #sidebar
// (what works without JavaScript) shows it too. On a desktop it stays in place.
func TestBrowserSidebarCollapsesBehindTheMenuButtonOnAPhone(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeOwner)
	visible := func() bool {
		t.Helper()
		var v bool
		evalInto(t, ctx, `(() => { const r = document.getElementById("sidebar").getBoundingClientRect(); return r.width > 0 && r.height > 0; })()`, &v)
		return v
	}
	do(t, ctx, chromedp.Navigate(app.URL+"/settings/acme/auth-tokens/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if !visible() {
		t.Fatal("the desktop sidebar is hidden")
	}
	atPhoneWidth(t, ctx)
	do(t, ctx, chromedp.Navigate(app.URL+"/settings/acme/auth-tokens/"), chromedp.WaitVisible(chromedp.CSS("main h1")))
	var mainTop float64
	evalInto(t, ctx, `document.querySelector("main h1").getBoundingClientRect().top`, &mainTop)
	if visible() || mainTop > 200 {
		t.Fatalf("on a phone the sidebar shows (%v) or pushes the page down (h1 at %v px)", visible(), mainTop)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-menu-toggle]")))
	var expanded string
	evalInto(t, ctx, `document.querySelector("[data-menu-toggle]").getAttribute("aria-expanded")`, &expanded)
	if !visible() || expanded != "true" {
		t.Errorf("Menu did not open the sidebar (aria-expanded %q)", expanded)
	}
	do(t, ctx, chromedp.Click(chromedp.CSS("[data-menu-close]")))
	if visible() {
		t.Error("Close menu left the sidebar open")
	}
	// Without JavaScript the button is a link to #sidebar, shown by :target.
	do(t, ctx, chromedp.Navigate(app.URL+"/settings/acme/auth-tokens/#sidebar"), chromedp.WaitReady(chromedp.CSS("body")))
	if !visible() {
		t.Error("#sidebar does not show the sidebar: the menu needs JavaScript")
	}
}

// TestBrowserOrgTokenListDropsCreatedAndLastAccessOnAPhone: as Sentry does below its small
// breakpoint, the org token list keeps the token and its actions.
func TestBrowserOrgTokenListDropsCreatedAndLastAccessOnAPhone(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "ci-upload")
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeOwner)
	headers := func() string {
		t.Helper()
		do(t, ctx, chromedp.Navigate(app.URL+"/settings/acme/auth-tokens/"), chromedp.WaitReady(chromedp.CSS("table")))
		var shown string
		evalInto(t, ctx, `[...document.querySelectorAll("table th")].filter(th => th.getBoundingClientRect().width > 0).map(th => th.textContent.trim()).join("|")`, &shown)
		return shown
	}
	if got := headers(); !strings.Contains(got, "Created") || !strings.Contains(got, "Last access") {
		t.Errorf("desktop columns: %q", got)
	}
	atPhoneWidth(t, ctx)
	if got := headers(); strings.Contains(got, "Created") || strings.Contains(got, "Last access") || !strings.Contains(got, "Token") {
		t.Errorf("phone columns: %q, want Token without Created and Last access", got)
	}
}
