package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// prefersColorScheme makes the tab's system report a light or dark preference.
func prefersColorScheme(t *testing.T, ctx context.Context, scheme string) {
	t.Helper()
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	if err != nil {
		t.Fatalf("emulating prefers-color-scheme %s: %v", scheme, err)
	}
}

// lowContrastJS lists the visible text on the page whose color contrasts less than 4.5:1
// with the background it is drawn on (the first opaque background up its ancestors). Disabled
// controls are exempt, as in WCAG 1.4.3.
const lowContrastJS = `(() => {
	const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
	const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
		.reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
	const background = el => {
		for (; el; el = el.parentElement) {
			const c = rgb(getComputedStyle(el).backgroundColor);
			if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c;
		}
		return [255, 255, 255];
	};
	const out = [];
	for (const el of document.querySelectorAll("body *")) {
		if (!el.childNodes.length || ![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0 || el.closest(".visually-hidden, :disabled, [aria-disabled=true], .field[data-tooltip]")) continue;
		const s = getComputedStyle(el);
		if (s.visibility === "hidden") continue;
		const fg = rgb(s.color), bg = background(el);
		const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
		const ratio = (a + 0.05) / (b + 0.05);
		if (ratio < 4.5) out.push(el.tagName.toLowerCase() + "." + el.className + " '" + el.textContent.trim().slice(0, 30) + "' " + s.color + " on rgb(" + bg.join(",") + ") " + ratio.toFixed(2));
	}
	return out.slice(0, 8);
})()`

// pageColors returns the page's background and text colors.
func pageColors(t *testing.T, ctx context.Context) (bg, fg string) {
	t.Helper()
	var c struct{ Bg, Fg string }
	evalInto(t, ctx, `({Bg: getComputedStyle(document.body).backgroundColor, Fg: getComputedStyle(document.body).color})`, &c)
	return c.Bg, c.Fg
}

const darkBackground = "rgb(27, 21, 35)" // --bg of the dark theme

// TestBrowserEveryScreenIsReadableInBothThemes: the system's dark mode switches the page to
// the dark theme, and every screen's text contrasts at least 4.5:1 with its background in
// both themes, as an owner (who sees every screen) and a member.
func TestBrowserEveryScreenIsReadableInBothThemes(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	integration, _ := phoneFixtures(t, app)
	org := "/settings/acme/"
	screens := []string{
		org, org + "projects/", org + "releases/", org + "repos/", org + "members/", org + "audit-log/",
		org + "auth-tokens/", org + "auth-tokens/new-token/",
		org + "developer-settings/", org + "developer-settings/" + integration + "/",
		"/settings/account/details/", "/settings/account/security/",
		"/settings/account/api/auth-tokens/", "/settings/account/api/auth-tokens/new-token/",
		"/settings/no-such-org/",
	}
	for _, who := range []string{apptest.AcmeOwner, apptest.AcmeMember} {
		ctx := apptest.Browser(t)
		app.BrowserLogin(t, ctx, who)
		for _, scheme := range []string{"light", "dark"} {
			prefersColorScheme(t, ctx, scheme)
			for _, path := range screens {
				do(t, ctx, chromedp.Navigate(app.URL+path), chromedp.WaitReady(chromedp.CSS("main")))
				if bg, _ := pageColors(t, ctx); (bg == darkBackground) != (scheme == "dark") {
					t.Errorf("%s %s with a %s system: page background %s", who, path, scheme, bg)
				}
				var low []string
				evalInto(t, ctx, lowContrastJS, &low)
				if len(low) > 0 {
					t.Errorf("%s %s, %s: text below 4.5:1:\n  %s", who, path, scheme, strings.Join(low, "\n  "))
				}
			}
		}
	}
	anon := apptest.Browser(t)
	prefersColorScheme(t, anon, "dark")
	do(t, anon, chromedp.Navigate(app.URL+"/auth/login/"), chromedp.WaitReady(chromedp.CSS("main")))
	var low []string
	evalInto(t, anon, lowContrastJS, &low)
	if bg, _ := pageColors(t, anon); bg != darkBackground || len(low) > 0 {
		t.Errorf("sign-in page in dark mode: background %s, low contrast %v", bg, low)
	}
}

// TestBrowserThemeChoiceIsKeptPerUser: Account > Details > Theme overrides the system: Dark
// on a light system, Light on a dark one; "Default to system" follows it again. The choice
// belongs to the user, not the browser.
func TestBrowserThemeChoiceIsKeptPerUser(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	app.CreateIntegration(t, apptest.AcmeOwner, "acme", "Deploy Bot")
	app.CreateIntegration(t, apptest.AcmeManager, "acme", "Release Notifier")
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeOwner)
	choose := func(theme string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(app.URL+"/settings/account/details/"), chromedp.WaitVisible(chromedp.ID("theme")),
			chromedp.SetValue(chromedp.ID("theme"), theme),
			chromedp.Click(chromedp.Search(`//button[normalize-space()="Save Theme"]`)),
			chromedp.WaitVisible(chromedp.CSS(".alert-success")))
	}
	prefersColorScheme(t, ctx, "light")
	choose(core.ThemeDark)
	do(t, ctx, chromedp.Navigate(app.URL+"/settings/acme/auth-tokens/"), chromedp.WaitReady(chromedp.CSS("main")))
	if bg, _ := pageColors(t, ctx); bg != darkBackground {
		t.Errorf("Dark chosen on a light system: background %s", bg)
	}
	shot(t, ctx, app, "theme-dark.png")

	// Another user on the same browser keeps the system's theme.
	other := apptest.Browser(t)
	app.BrowserLogin(t, other, apptest.AcmeMember)
	prefersColorScheme(t, other, "light")
	do(t, other, chromedp.Navigate(app.URL+"/settings/acme/auth-tokens/"), chromedp.WaitReady(chromedp.CSS("main")))
	if bg, _ := pageColors(t, other); bg == darkBackground {
		t.Error("one user's dark theme reached another user")
	}

	prefersColorScheme(t, ctx, "dark")
	choose(core.ThemeLight)
	if bg, _ := pageColors(t, ctx); bg == darkBackground {
		t.Error("Light chosen on a dark system: still dark")
	}
	shot(t, ctx, app, "theme-light.png")
	choose(core.ThemeSystem)
	if bg, _ := pageColors(t, ctx); bg != darkBackground {
		t.Errorf("Default to system on a dark system: background %s", bg)
	}

	// A value outside the three is refused with the form shown again.
	r := app.ClientAs(t, apptest.AcmeOwner).PostForm("/settings/account/details/theme/", map[string][]string{"theme": {"neon"}})
	if r.Status != 400 || !strings.Contains(r.Body, "Choose Light, Dark or Default to system.") {
		t.Errorf("theme neon: status %d", r.Status)
	}
}

// shot saves the org tokens screen into docs/ when TOKENBOARD_SCREENSHOTS is set (the
// README's theme screenshots are made this way); otherwise it does nothing.
func shot(t *testing.T, ctx context.Context, app *apptest.App, name string) {
	t.Helper()
	if os.Getenv("TOKENBOARD_SCREENSHOTS") == "" {
		return
	}
	do(t, ctx, chromedp.EmulateViewport(1200, 760),
		chromedp.Navigate(app.URL+"/settings/acme/developer-settings/"), chromedp.WaitReady(chromedp.CSS("main")))
	time.Sleep(200 * time.Millisecond) // let the web font fallback settle before the capture
	png := run(t, ctx, chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, chromedp.ResetViewport())
}
