package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// setUserTokenPolicy gives acme a "Maximum lifetime of user tokens used in this organization"
// of days, as its owner.
func setUserTokenPolicy(t *testing.T, app *apptest.App, days int) {
	t.Helper()
	if _, err := app.DB.UpdateTokenPolicy(app.As(t, apptest.AcmeOwner), app.Org(t, "acme").ID,
		core.TokenPolicy{RevokeExposed: true, MaxUserTokenDays: days}); err != nil {
		t.Fatal(err)
	}
}

// refusalWarning is the create form's warning of the organizations that would refuse the
// chosen expiry, as the server rendered it: "" when absent or hidden.
func refusalWarning(body string) string {
	i := strings.Index(body, `id="user-token-refusals"`)
	if i < 0 {
		return ""
	}
	tag := body[strings.LastIndex(body[:i], "<"):]
	tag = tag[:strings.Index(tag, ">")]
	if strings.Contains(tag, " hidden") {
		return ""
	}
	end := strings.Index(body[i:], "</div>")
	return body[i : i+end]
}

// TestUserTokenFormWarnsBeforeCreation: without JavaScript, the user-token create form
// already names, before anything is created, the organizations whose user-token policy
// would refuse the expiry it holds (never, on a fresh form), and carries each policy for the
// script to use; a form sent back with an error warns for the expiry submitted.
func TestUserTokenFormWarnsBeforeCreation(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	setUserTokenPolicy(t, app, 30)
	member := app.LoginAs(t, apptest.AcmeMember)

	form := member.Get(userTokensPagePath + "new-token/")
	if w := refusalWarning(form.Body); form.Status != http.StatusOK || !strings.Contains(w, "Acme Corp") || !strings.Contains(w, "at most 30 days") {
		t.Errorf("a fresh form (expiry never): %d, warning %q", form.Status, w)
	}
	if !strings.Contains(form.Body, `data-org-name="Acme Corp" data-max-days="30" data-max-label="30 days"`) {
		t.Error("the form does not carry Acme's policy for the script")
	}

	// No permission chosen: the form comes back, warning for the expiry that was sent.
	in := daysFromToday(t, 45)
	for choice, refused := range map[string]bool{"never": true, "90": true, "60": true, "30": false, "custom:" + in: true, "custom:" + daysFromToday(t, 10): false, "custom:": false} {
		values := url.Values{"name": {"x"}, "expiration": {choice}}
		if date, ok := strings.CutPrefix(choice, "custom:"); ok {
			values.Set("expiration", "custom")
			values.Set("expiration_date", date)
		}
		res := member.PostForm(userTokensPagePath+"new-token/", values)
		if res.Status != http.StatusBadRequest {
			t.Fatalf("%s: %d, want the form back", choice, res.Status)
		}
		if w := refusalWarning(res.Body); strings.Contains(w, "Acme Corp") != refused {
			t.Errorf("expiry %s: warning %q, want Acme named: %v", choice, w, refused)
		}
	}
	var n int
	if err := app.SQL(t).QueryRow(`SELECT count(*) FROM tokens WHERE kind = 'user'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d user tokens exist (%v): the form created one", n, err)
	}

	// An organization without the policy is neither listed nor named.
	setUserTokenPolicy(t, app, 0)
	if body := member.Get(userTokensPagePath + "new-token/").Body; strings.Contains(body, `id="user-token-refusals"`) || strings.Contains(body, "data-user-token-policy") {
		t.Error("the form warns although no organization has the policy")
	}
}

// daysFromToday is the custom expiry date (YYYY-MM-DD, UTC) days from today.
func daysFromToday(t *testing.T, days int) string {
	t.Helper()
	return time.Now().UTC().AddDate(0, 0, days).Format("2006-01-02")
}
