package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

var onceField = regexp.MustCompile(`name="once" value="([A-Za-z0-9_-]+)"`)

// onceKey reads the one-time key of the create form at path.
func onceKey(t *testing.T, c *apptest.Client, path string) string {
	t.Helper()
	m := onceField.FindStringSubmatch(c.Get(path).Body)
	if m == nil {
		t.Fatalf("the form at %s carries no one-time key", path)
	}
	return m[1]
}

// TestCreateFormsAreSingleUse checks the one-time key of the create forms over HTTP: the
// second POST of one form mints nothing, a failed one does not use the key up, and every
// rendering gets a new key.
func TestCreateFormsAreSingleUse(t *testing.T) {
	app := apptest.Start(t)
	c := app.LoginAs(t, apptest.AcmeManager)
	newToken := tokensPath("acme") + "new-token/"

	key := onceKey(t, c, newToken)
	if other := onceKey(t, c, newToken); other == key {
		t.Fatalf("two renderings share the key %q", key)
	}
	bad := c.PostForm(newToken, url.Values{"name": {" "}, "once": {key}})
	if bad.Status != http.StatusBadRequest || onceField.FindStringSubmatch(bad.Body) == nil {
		t.Fatalf("invalid form: status %d, or re-rendered without a key", bad.Status)
	}
	first := c.PostForm(newToken, url.Values{"name": {"after a fix"}, "once": {key}})
	if first.Status != http.StatusOK || !apptest.OrgTokenPattern.MatchString(first.Body) {
		t.Fatalf("the corrected form was refused: status %d", first.Status)
	}
	again := c.PostForm(newToken, url.Values{"name": {"after a fix"}, "once": {key}})
	if again.Status != http.StatusConflict || !hasText(again.Body, views.MsgAlreadyCreated) ||
		apptest.OrgTokenPattern.MatchString(again.Body) || !strings.Contains(again.Body, `href="/settings/acme/auth-tokens/"`) {
		t.Errorf("the repeat: status %d, body %.400s", again.Status, again.Body)
	}
	if n := liveOrgTokens(t, app); n != 1 {
		t.Errorf("%d live tokens, want 1", n)
	}
	var mails int
	app.SQL(t).QueryRow(`SELECT count(*) FROM outbox WHERE template = ?`, core.MailOrgTokenCreated).Scan(&mails)
	if mails != 2 {
		t.Errorf("%d org-token emails queued, want 2 (one per owner, for one token)", mails)
	}
	// The store keeps only the key's hash.
	if found := app.FindInDatabase(t, key); len(found) != 0 {
		t.Errorf("the key is stored in clear: %v", found)
	}
}

// TestTokenScreensUseSentrysTexts checks the texts issue 12 took from Sentry's frontend.
func TestTokenScreensUseSentrysTexts(t *testing.T) {
	app := apptest.Start(t)
	c := app.LoginAs(t, apptest.AcmeOwner)
	tok, _ := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "ci")

	check := func(what, body string, wants ...string) {
		t.Helper()
		for _, want := range wants {
			if !hasText(body, want) {
				t.Errorf("%s lacks %q", what, want)
			}
		}
	}
	check("the org token form", c.Get(tokensPath("acme")+"new-token/").Body,
		`<h2 class="panel-header">Create New Auth Token</h2>`,
		"Organization Auth Tokens can be used in many places to interact with Sentry programatically.",
		`see our <a href="https://docs.sentry.io/api/"`, `data-needs-value="token-name"`, "autofocus")
	check("the org token edit page", c.Get(tokensPath("acme")+itoa(tok.ID)+"/").Body,
		"Authentication tokens allow you to perform actions against the Sentry API on behalf of your organization.",
		`<h2 class="panel-header">Auth Token Details</h2>`, `>org:ci</div>`)

	c.PostForm(userTokensURL+"new-token/", url.Values{"perm-project": {"read"}})
	list := c.Get(userTokensURL).Body
	check("the user token list", list, "Token created on", ">Remove</button>", " UTC</time>")
	if !regexp.MustCompile(`<a href="/settings/account/api/auth-tokens/\d+/">\s*<em>Token created on`).MatchString(list) {
		t.Errorf("the unnamed token's label is not the link to edit it")
	}
	check("the user token form", c.Get(userTokensURL+"new-token/").Body,
		"A name to help you identify this token.", "Your token will have the following scopes.")
}
