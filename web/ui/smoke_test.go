package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

func TestBrowserOwnerSeesAcmeSettings(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, "owner@acme.test")
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil {
		t.Fatal(err)
	}
	if heading != "Organization Settings" {
		t.Fatalf("heading = %q, want Organization Settings", heading)
	}
	sidebar, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("nav.sidebar")))
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range []string{"General Settings", "Members", "Audit Log", "Auth Tokens", "User Auth Tokens"} {
		if !strings.Contains(sidebar, entry) {
			t.Errorf("sidebar lacks %q: %q", entry, sidebar)
		}
	}
	apptest.Screenshot(t, ctx, "/tmp/tb-general.png")
}
