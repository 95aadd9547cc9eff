package ui_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// TestBrowserExposedTokenShowsItsBadgeAfterRevocation is issue 15's "Done when" for a
// report: a token made on the Auth Tokens screen is reported by a signed report, the next
// API call with it gets 401, every owner gets one email, and the screen the owners look at
// shows the token under "Revoked after exposure" with the Exposed badge and where it was
// found; its page says the same instead of 404.
func TestBrowserExposedTokenShowsItsBadgeAfterRevocation(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeManager)
	token := createOrgTokenInBrowser(t, ctx, app, "deploy bot", "never")
	if res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/releases/", token, nil); res.Status != http.StatusOK {
		t.Fatalf("the new token before the report: %d", res.Status)
	}
	app.WaitOutboxDelivered(t, 10*time.Second)
	before := len(app.SMTP.Messages())

	const where = "https://github.com/acme/site/blob/main/deploy.sh"
	app.ReportExposed(t, apptest.ExposureEntry{Token: token, Type: "sentry_org_auth_token", URL: where, Source: "commit"})
	if res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/releases/", token, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("the next API call after the report: %d, want 401", res.Status)
	}
	app.WaitOutboxDelivered(t, 10*time.Second)
	got := map[string]int{}
	for _, m := range app.SMTP.Messages()[before:] {
		if m.Subject == "Action Required: Organization Auth Token Exposed" {
			for _, to := range m.To {
				got[to]++
			}
		}
	}
	if len(got) != 2 || got[apptest.AcmeOwner] != 1 || got[apptest.AcmeOwner2] != 1 {
		t.Errorf("exposure emails by recipient: %v, want one to each owner", got)
	}

	do(t, ctx,
		chromedp.Navigate(app.URL+tokensPath("acme")),
		chromedp.WaitVisible(chromedp.CSS("table.org-tokens")),
	)
	section := run(t, ctx, chromedp.Evaluate[string](`(document.getElementById("revoked-exposed") || {}).innerText || ""`))
	if section == "" {
		t.Fatal("the Auth Tokens page has no Revoked after exposure section")
	}
	for _, want := range []string{"Revoked after exposure", "deploy bot", "sntrys_************" + token[len(token)-4:], "Exposed", where, "(commit)"} {
		// The panel's header is upper case on screen (CSS): compare without case.
		if !strings.Contains(strings.ToLower(section), strings.ToLower(want)) {
			t.Errorf("the section lacks %q: %q", want, section)
		}
	}
	badge := run(t, ctx, chromedp.Evaluate[string](`(() => {
		const b = document.querySelector("#revoked-exposed .tag-expired");
		if (!b) return "";
		const r = b.getBoundingClientRect(), s = getComputedStyle(b);
		return r.width > 0 && r.height > 0 && s.visibility !== "hidden" ? b.textContent.trim() : "";
	})()`))
	if badge != "Exposed" {
		t.Errorf("the visible badge reads %q, want Exposed", badge)
	}
	if live := run(t, ctx, chromedp.Text(chromedp.CSS("table.org-tokens"))); strings.Contains(live, "deploy bot") {
		t.Errorf("the revoked token is still in the live list: %q", live)
	}

	// The token's name links to its page, which now renders read-only with the badge.
	href := run(t, ctx, chromedp.Evaluate[string](`(Array.from(document.querySelectorAll("#revoked-exposed a")).find(a => a.textContent.trim() === "deploy bot") || {}).href || ""`))
	if href == "" {
		t.Fatal("the section does not link the token to its page")
	}
	do(t, ctx, chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS("main")))
	page := textOf(t, ctx)
	for _, want := range []string{"Revoked Auth Token", "Exposed", where, "revoked", "deploy bot"} {
		if !strings.Contains(strings.ToLower(page), strings.ToLower(want)) {
			t.Errorf("the token's page lacks %q: %q", want, page)
		}
	}
}
