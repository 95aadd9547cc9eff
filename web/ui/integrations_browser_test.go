package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// revealedToken reads the one-time token display, then leaves it with "Done" for the
// integration's page.
func revealedToken(t *testing.T, ctx context.Context) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("new-token"))); err != nil {
		t.Fatalf("no token display: %v", err)
	}
	token, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("new-token")))
	if err != nil {
		t.Fatal(err)
	}
	page, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "sntryi_") || !strings.Contains(page, "Please copy this token to a safe place — it won't be shown again!") {
		t.Fatalf("token %q, page %q", token, page)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Done"]`)),
		chromedp.WaitVisible(chromedp.ID("tokens")),
	)
	if err != nil {
		t.Fatalf("Done: %v", err)
	}
	return token
}

// tokenAction clicks Rotate or Revoke on the row of the token ending in last4 and confirms in
// the dialog.
func tokenAction(t *testing.T, ctx context.Context, last4, action string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//tr[.//code[contains(., "`+last4+`")]]//button[normalize-space()="`+action+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("dialog.confirm")),
		chromedp.Click(chromedp.Search(`//dialog//button[normalize-space()="`+action+`"]`)),
	)
	if err != nil {
		t.Fatalf("%s %s: %v", action, last4, err)
	}
}

func tokensPanel(t *testing.T, ctx context.Context) string {
	t.Helper()
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("tokens")))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestBrowserOwnerManagesAnIntegrationsTokens(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, "owner@acme.test")

	err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+devSettings),
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Create New Integration"]`)),
		chromedp.WaitVisible(chromedp.ID("integration-name")),
		chromedp.SendKeys(chromedp.ID("integration-name"), "Browser Bot"),
		chromedp.SendKeys(chromedp.ID("webhook-url"), "https://hooks.example.com/sentry"),
		chromedp.SetValue(chromedp.ID("perm-event"), "read"),
		chromedp.Click(chromedp.ID("event-issue")),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save Changes"]`)),
	)
	if err != nil {
		t.Fatalf("creating the integration: %v", err)
	}
	first := revealedToken(t, ctx)
	if !app.TokenWorks(t, first) || !strings.Contains(tokensPanel(t, ctx), "************"+first[67:]) {
		t.Fatal("the first token is not listed masked, or does not work")
	}
	if p := app.Principal(t, first); p.Scopes.String() != "event:read" {
		t.Fatalf("first token scopes = %v", p.Scopes)
	}
	html, err := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
	if err != nil || strings.Contains(html, first) {
		t.Fatalf("the token is shown again after Done (%v)", err)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.Search(`//button[normalize-space()="New Token"]`))); err != nil {
		t.Fatal(err)
	}
	second := revealedToken(t, ctx)
	if second == first || !strings.Contains(tokensPanel(t, ctx), "************"+second[67:]) {
		t.Fatalf("second token %q not listed", second)
	}

	tokenAction(t, ctx, second[67:], "Rotate")
	third := revealedToken(t, ctx)
	if app.TokenWorks(t, second) || !app.TokenWorks(t, third) {
		t.Fatal("rotation left the old token working or the new one not")
	}
	if panel := tokensPanel(t, ctx); strings.Contains(panel, second[67:]) || !strings.Contains(panel, third[67:]) {
		t.Fatalf("tokens after rotation: %q", panel)
	}

	tokenAction(t, ctx, third[67:], "Revoke")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".alert-success"))); err != nil {
		t.Fatal(err)
	}
	if app.TokenWorks(t, third) || !app.TokenWorks(t, first) {
		t.Fatal("revoking hit the wrong token")
	}
	if panel := tokensPanel(t, ctx); strings.Contains(panel, third[67:]) || !strings.Contains(panel, first[67:]) {
		t.Fatalf("tokens after revocation: %q", panel)
	}

	t.Run("MemberSeesNoTokens", func(t *testing.T) {
		mctx := apptest.Browser(t)
		app.BrowserLogin(t, mctx, "member@acme.test")
		if err := chromedp.Do(mctx, chromedp.Navigate(app.URL+devSettings+"browser-bot/"), chromedp.WaitVisible(chromedp.ID("tokens"))); err != nil {
			t.Fatal(err)
		}
		if panel := tokensPanel(t, mctx); !strings.Contains(panel, "You do not have access to view these tokens.") || strings.Contains(panel, first[67:]) {
			t.Fatalf("member's tokens panel: %q", panel)
		}
		disabled, err := chromedp.Run(mctx, chromedp.Evaluate[bool](`document.getElementById("integration-name").matches(":disabled")`))
		if err != nil || !disabled {
			t.Fatalf("the member's form is editable (%v)", err)
		}
	})
}
