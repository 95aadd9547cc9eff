package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/views"
)

// grantClipboard lets the page under test write and read the clipboard, as a user's click on
// Copy and a later paste would.
func grantClipboard(t *testing.T, ctx context.Context, origin string) {
	t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission:       &browser.PermissionDescriptor{Name: name},
			Setting:          "granted",
			Origin:           origin,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		if err != nil {
			t.Fatalf("grant %s: %v", name, err)
		}
	}
}

func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserOrgTokenIsShownOnceAndOnlyAnOwnerRevokes(t *testing.T) {
	app := apptest.Start(t)
	list := app.URL + tokensPath("acme")

	member := apptest.Browser(t)
	grantClipboard(t, member, app.URL)
	app.BrowserLogin(t, member, apptest.AcmeMember)
	do(t, member,
		chromedp.Navigate(list),
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Create New Token"]`)),
		chromedp.WaitVisible(chromedp.ID("token-name")),
		chromedp.SendKeys(chromedp.ID("token-name"), "browser token"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create Token"]`)),
		chromedp.WaitVisible(chromedp.ID("new-token")),
	)
	token := run(t, member, chromedp.Value(chromedp.ID("new-token")))
	if !apptest.OrgTokenPattern.MatchString(token) {
		t.Fatalf("shown token %q is not an org token", token)
	}
	masked := "sntrys_************" + token[len(token)-4:]
	if w := run(t, member, chromedp.Text(chromedp.CSS(".token-panel .alert-warning"))); w != "Please copy this token to a safe place — it won't be shown again!" {
		t.Errorf("warning %q", w)
	}

	t.Run("CopyPutsTheTokenOnTheClipboard", func(t *testing.T) {
		do(t, member,
			chromedp.Click(chromedp.Search(`//button[normalize-space()="Copy"]`)),
			chromedp.WaitVisible(chromedp.Search(`//button[normalize-space()="Copied"]`)),
		)
		if clip := run(t, member, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise)); clip != token {
			t.Errorf("clipboard holds %q, want the token", clip)
		}
		if loc := run(t, member, chromedp.Location()); strings.Contains(loc, token[len(token)-10:]) {
			t.Errorf("the URL holds the token: %s", loc)
		}
	})
	t.Run("AfterwardsOnlyTheMaskIsShown", func(t *testing.T) {
		do(t, member,
			chromedp.Click(chromedp.Search(`//a[normalize-space()="Done"]`)),
			chromedp.WaitVisible(chromedp.Search(`//a[normalize-space()="browser token"]`)),
		)
		for _, when := range []string{"after Done", "after reload"} {
			// The DOM, and the page source as the server sends it.
			dom := run(t, member, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
			source := run(t, member, chromedp.Evaluate[string](`fetch(location.href).then(r => r.text())`, chromedp.EvalAwaitPromise))
			for what, page := range map[string]string{"DOM": dom, "source": source} {
				if strings.Contains(page, token) || !strings.Contains(page, masked) {
					t.Errorf("%s, the %s shows the token or lacks %s", when, what, masked)
				}
			}
			do(t, member, chromedp.Reload(), chromedp.WaitVisible(chromedp.Search(`//a[normalize-space()="browser token"]`)))
		}
		cookies := run(t, member, chromedp.Evaluate[string](`document.cookie`))
		if strings.Contains(cookies, token[len(token)-20:]) {
			t.Errorf("a cookie holds the token")
		}
	})
	t.Run("MemberSeesRevokeDisabledWithTheReason", func(t *testing.T) {
		attrs := run(t, member, chromedp.Attributes(chromedp.CSS("td.actions .tooltip-wrap")))
		if attrs["title"] != views.OrgTokenRevokeDenied || attrs["data-tooltip"] != views.OrgTokenRevokeDenied || attrs["tabindex"] != "0" {
			t.Errorf("tooltip attributes %v", attrs)
		}
		disabled := run(t, member, chromedp.Evaluate[bool](`document.querySelector("td.actions button").disabled`))
		if !disabled {
			t.Errorf("Revoke is enabled for a member")
		}
	})

	t.Run("OwnerRevokesThroughTheConfirmationByKeyboard", func(t *testing.T) {
		owner := apptest.Browser(t)
		app.BrowserLogin(t, owner, apptest.AcmeOwner)
		do(t, owner,
			chromedp.Navigate(list),
			chromedp.Focus(chromedp.Search(`//button[@aria-label="Revoke `+masked+`"]`)),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS("dialog.confirm")),
		)
		if msg := run(t, owner, chromedp.Text(chromedp.CSS("dialog.confirm p"))); msg != views.RevokeMessage(masked) {
			t.Errorf("confirmation %q", msg)
		}
		if focused := run(t, owner, chromedp.Evaluate[string](`document.activeElement.textContent`)); focused != "Cancel" {
			t.Errorf("focus on %q, want Cancel", focused)
		}
		do(t, owner,
			chromedp.KeyEvent("\t"),
			chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS(".alert-success")),
		)
		if flash := run(t, owner, chromedp.Text(chromedp.CSS(".alert-success"))); flash != "Revoked auth token for the organization." {
			t.Errorf("flash %q", flash)
		}
		if err := app.Authenticate(t, token); err == nil || err.Error() != "unauthorized: Invalid org token" {
			t.Errorf("revoked token: %v", err)
		}
	})
}
