package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// TestBrowserAuditLogReadsAsSentencesInLocalTime: each entry is a sentence ("added org auth
// token ci-upload"), the log filters by event (the select applies at once), and times show in
// the viewer's time zone with UTC as the tooltip.
func TestBrowserAuditLogReadsAsSentencesInLocalTime(t *testing.T) {
	app := apptest.Start(t)
	app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "ci-upload")
	app.CreateIntegration(t, apptest.AcmeOwner, "acme", "Deploy Bot")
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeOwner)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.Navigate(app.URL+"/settings/acme/audit-log/"), chromedp.WaitVisible(chromedp.CSS("table.audit-log")))
	text := run(t, ctx, chromedp.Text(chromedp.CSS("table.audit-log")))
	for _, want := range []string{"owner@acme.test added org auth token ci-upload", "owner@acme.test added integration Deploy Bot"} {
		if !strings.Contains(text, want) {
			t.Errorf("the log lacks the sentence %q:\n%s", want, text)
		}
	}

	var when struct{ Text, Title, Datetime string }
	evalInto(t, ctx, `(() => { const el = document.querySelector("table.audit-log time");
		return {Text: el.textContent, Title: el.title, Datetime: el.getAttribute("datetime")}; })()`, &when)
	if !strings.Contains(when.Text, "GMT+9") || strings.Contains(when.Text, "UTC") || !strings.HasSuffix(when.Title, "UTC") || when.Datetime == "" {
		t.Errorf("time in Tokyo: %+v, want local time (GMT+9) with UTC as the tooltip", when)
	}

	// The filter: choosing an event reloads the log with only that event.
	// (SetValue fires the change event a user's choice fires.)
	do(t, ctx, chromedp.SetValue(chromedp.ID("audit-event"), core.AuditOrgTokenCreated))
	// The server marks the filtered page's choice as selected; a query waits across the reload.
	do(t, ctx, chromedp.WaitReady(chromedp.CSS(`#audit-event option[value="`+core.AuditOrgTokenCreated+`"][selected]`)))
	var events []string
	evalInto(t, ctx, `[...document.querySelectorAll("tr[data-event]")].map(r => r.dataset.event)`, &events)
	if len(events) == 0 {
		t.Fatal("filtered by org-auth-token.create: no entries")
	}
	for _, e := range events {
		if e != core.AuditOrgTokenCreated {
			t.Errorf("filtered by %s, the log shows %s", core.AuditOrgTokenCreated, e)
		}
	}
}
