package ui_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// chooseExpiry sets the user-token form's Expiration (and, for "custom", its date) as a
// user's choice does, change events included.
func chooseExpiry(t *testing.T, ctx context.Context, choice, date string) {
	t.Helper()
	actions := []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.ID("expiration"), choice),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("expiration").dispatchEvent(new Event("change", {bubbles: true}))`)}
	if date != "" {
		actions = append(actions, chromedp.SetValue(chromedp.ID("expiration-date"), date),
			chromedp.Evaluate[chromedp.Void](`document.getElementById("expiration-date").dispatchEvent(new Event("change", {bubbles: true}))`))
	}
	do(t, ctx, actions...)
}

// visibleRefusals is the text of the refusal warning as the user sees it, "" when hidden.
func visibleRefusals(t *testing.T, ctx context.Context) string {
	t.Helper()
	return run(t, ctx, chromedp.Evaluate[string](`(() => {
		const w = document.getElementById("user-token-refusals");
		return w && !w.hidden && w.offsetParent !== null ? w.innerText : "";
	})()`))
}

// TestBrowserUserTokenFormWarnsOfPolicyBeforeCreation is issue 15's "the user-token create
// form warns, before creation, which of the user's organizations would refuse the chosen
// expiry": with Acme's user tokens limited to 30 days, choosing a longer expiry names Acme in
// a warning before anything is submitted, and a compliant one makes it go away.
func TestBrowserUserTokenFormWarnsOfPolicyBeforeCreation(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	setUserTokenPolicy(t, app, 30)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, apptest.AcmeMember)
	do(t, ctx,
		chromedp.Navigate(app.URL+userTokensPagePath+"new-token/"),
		chromedp.WaitVisible(chromedp.ID("expiration")),
	)
	for _, step := range []struct {
		choice, date string
		refused      bool
	}{
		{"30", "", false},
		{"90", "", true},
		{"60", "", true},
		{"30", "", false},
		{"never", "", true},
		{"custom", daysFromToday(t, 10), false},
		{"custom", daysFromToday(t, 45), true},
		{"30", "", false},
	} {
		chooseExpiry(t, ctx, step.choice, step.date)
		w := visibleRefusals(t, ctx)
		if step.refused && (!strings.Contains(w, "Acme Corp") || !strings.Contains(w, "at most 30 days")) {
			t.Errorf("expiry %s %s: the warning reads %q, want Acme Corp named", step.choice, step.date, w)
		}
		if !step.refused && w != "" {
			t.Errorf("expiry %s %s: a compliant expiry still warns %q", step.choice, step.date, w)
		}
	}
	var n int
	if err := app.SQL(t).QueryRow(`SELECT count(*) FROM tokens WHERE kind = 'user'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d user tokens (%v): the warning must come before anything is created", n, err)
	}
}
