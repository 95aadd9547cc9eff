package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

const userTokensURL = "/settings/account/api/auth-tokens/"

var userTokenPattern = regexp.MustCompile(`sntryu_[0-9a-f]{64}`)

// mustCreateUserTokenForm creates a token through the create form and returns it, read from
// the one-time display.
func mustCreateUserTokenForm(t *testing.T, c *apptest.Client, form url.Values) string {
	t.Helper()
	r := c.PostForm(userTokensURL+"new-token/", form)
	if r.Status != http.StatusOK {
		t.Fatalf("create: status %d, body %.500s", r.Status, r.Body)
	}
	token := userTokenPattern.FindString(r.Body)
	if token == "" {
		t.Fatalf("the create response shows no token: %.500s", r.Body)
	}
	return token
}

// onlyUserToken returns the one token of the user behind ctx.
func onlyUserToken(t *testing.T, app *apptest.App, ctx context.Context) core.UserToken {
	t.Helper()
	toks, err := app.DB.UserTokens(ctx)
	if err != nil || len(toks) != 1 {
		t.Fatalf("the user has %d tokens (err %v), want 1", len(toks), err)
	}
	return toks[0]
}

// hasText reports whether a page shows text, whether templ wrote it as a literal or escaped it
// as an expression.
func hasText(body, text string) bool {
	return strings.Contains(body, text) || strings.Contains(body, html.EscapeString(text))
}

func masked(token string) string { return "************" + token[len(token)-4:] }

// selectHTML returns the markup of the select with that id.
func selectHTML(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<select id="` + id + `".*?</select>`).FindString(body)
	if m == "" {
		t.Fatalf("no select #%s", id)
	}
	return m
}

func TestUserTokenScreens(t *testing.T) {
	app := apptest.Start(t)
	member := app.LoginAs(t, "member@acme.test")
	memberCtx := app.As(t, "member@acme.test")

	t.Run("ListStartsEmpty", func(t *testing.T) {
		r := member.Get(userTokensURL)
		if r.Status != http.StatusOK || !hasText(r.Body, "You haven't created any authentication tokens yet.") ||
			!strings.Contains(r.Body, "Create New Token") {
			t.Errorf("status %d, body %.500s", r.Status, r.Body)
		}
	})

	t.Run("FormOffersOnlyTheLevelsSpecAllows", func(t *testing.T) {
		r := member.Get(userTokensURL + "new-token/")
		if r.Status != http.StatusOK {
			t.Fatalf("status %d", r.Status)
		}
		for _, res := range core.Resources {
			sel := selectHTML(t, r.Body, "perm-"+res.Key)
			options := regexp.MustCompile(`<option value="([^"]*)"`).FindAllStringSubmatch(sel, -1)
			var got []string
			for _, o := range options {
				got = append(got, o[1])
			}
			var want []string
			for _, l := range res.Levels {
				want = append(want, string(l))
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s offers %v, want %v", res.Key, got, want)
			}
		}
		if !regexp.MustCompile(`<button type="submit" class="btn btn-primary" data-needs-scopes>Create Token</button>`).MatchString(r.Body) {
			t.Error("Create Token is not marked data-needs-scopes")
		}
	})

	t.Run("NoPermissionIsRefusedAndTheFormKeepsTheInput", func(t *testing.T) {
		r := member.PostForm(userTokensURL+"new-token/", url.Values{
			"name": {"keep me"}, "perm-project": {"no-access"}, "perm-org": {"no-access"},
			"expiration": {"custom"}, "expiration_date": {time.Now().AddDate(0, 1, 0).Format("2006-01-02")},
		})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Select at least one permission.") {
			t.Fatalf("status %d, body %.800s", r.Status, r.Body)
		}
		if !strings.Contains(r.Body, `value="keep me"`) || !strings.Contains(r.Body, `<option value="custom" selected>`) {
			t.Error("the form lost what was entered")
		}
		if userTokenPattern.MatchString(r.Body) {
			t.Error("a token was shown")
		}
		if toks, _ := app.DB.UserTokens(memberCtx); len(toks) != 0 {
			t.Errorf("%d tokens were created", len(toks))
		}
	})

	t.Run("InvalidFieldsComeBackWithTheirChoices", func(t *testing.T) {
		r := member.PostForm(userTokensURL+"new-token/", url.Values{
			"name": {strings.Repeat("n", 256)}, "perm-project": {"write"}, "perm-release": {"admin"}, "expiration": {"60"},
		})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "The name cannot be longer than 255 characters.") {
			t.Fatalf("status %d, body %.800s", r.Status, r.Body)
		}
		if !strings.Contains(selectHTML(t, r.Body, "perm-project"), `<option value="write" selected`) ||
			!strings.Contains(selectHTML(t, r.Body, "perm-release"), `<option value="admin" selected`) ||
			!strings.Contains(r.Body, `<option value="60" selected>`) {
			t.Error("the selects lost their choices")
		}
	})

	t.Run("ALevelTheSelectDoesNotOfferIsRefused", func(t *testing.T) {
		r := member.PostForm(userTokensURL+"new-token/", url.Values{"perm-release": {"read"}})
		if r.Status != http.StatusBadRequest || userTokenPattern.MatchString(r.Body) {
			t.Errorf("status %d, body %.500s", r.Status, r.Body)
		}
	})

	var token string
	t.Run("CreateShowsTheTokenOnceWithNoStore", func(t *testing.T) {
		r := member.PostForm(userTokensURL+"new-token/", url.Values{
			"name": {"laptop"}, "perm-project": {"write"}, "perm-release": {"admin"}, "perm-team": {"no-access"}, "expiration": {"never"},
		})
		token = r.TokenShownOnce(t, userTokenPattern)
		tok := onlyUserToken(t, app, memberCtx)
		if got := strings.Join(tok.Scopes.Names(), " "); got != "project:read project:releases project:write" || tok.Name != "laptop" {
			t.Errorf("stored %q with scopes %q", tok.Name, got)
		}
	})
	if token == "" {
		t.FailNow()
	}
	tok := onlyUserToken(t, app, memberCtx)
	editURL := userTokensURL + strconv.FormatInt(tok.ID, 10) + "/"

	t.Run("AfterwardsOnlyTheMaskedFormShows", func(t *testing.T) {
		list := member.Get(userTokensURL)
		for _, want := range []string{"laptop", masked(token), "project:read, project:releases, project:write", "never used", "Never"} {
			if !strings.Contains(list.Body, want) {
				t.Errorf("the list lacks %q", want)
			}
		}
		edit := member.Get(editURL)
		for _, want := range []string{masked(token), "You can only view the token once after creation.", "You cannot change the scopes of an existing token."} {
			if !strings.Contains(edit.Body, want) {
				t.Errorf("the edit page lacks %q", want)
			}
		}
		for where, text := range map[string]string{
			"list": list.Body, "edit page": edit.Body, "cookies": strings.Join(member.Cookies(), " "), "logs": app.Logs.String(),
		} {
			if strings.Contains(text, token) || strings.Contains(text, token[7:]) {
				t.Errorf("the %s show the token", where)
			}
		}
	})

	t.Run("RenameThenClearTheName", func(t *testing.T) {
		r := member.PostForm(editURL, url.Values{"name": {"desktop"}})
		if r.Status != http.StatusSeeOther || r.Location != userTokensURL {
			t.Fatalf("status %d to %q", r.Status, r.Location)
		}
		if list := member.Get(userTokensURL); !strings.Contains(list.Body, "desktop") || strings.Contains(list.Body, "laptop") {
			t.Error("the list does not show the new name")
		}
		if r := member.PostForm(editURL, url.Values{"name": {""}}); r.Status != http.StatusSeeOther {
			t.Fatalf("clearing: status %d", r.Status)
		}
		if got := onlyUserToken(t, app, memberCtx); got.Name != "" || got.Scopes != tok.Scopes {
			t.Errorf("after clearing: %+v", got)
		}
		r = member.PostForm(editURL, url.Values{"name": {strings.Repeat("n", 256)}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "The name cannot be longer than 255 characters.") {
			t.Errorf("a long name: status %d", r.Status)
		}
	})

	t.Run("AnotherUsersTokenIsNotFound", func(t *testing.T) {
		owner := app.LoginAs(t, "owner@acme.test")
		for _, r := range []*apptest.Response{
			owner.Get(editURL),
			owner.PostForm(editURL, url.Values{"name": {"stolen"}}),
			owner.PostForm(editURL+"revoke/", url.Values{"confirmed": {"1"}}),
		} {
			if r.Status != http.StatusNotFound {
				t.Errorf("status %d, want 404", r.Status)
			}
		}
		if r := owner.Get(userTokensURL + "not-a-number/"); r.Status != http.StatusNotFound {
			t.Errorf("a non-numeric id: status %d", r.Status)
		}
		onlyUserToken(t, app, memberCtx)
	})

	t.Run("RevokeAsksFirstWithoutJavaScript", func(t *testing.T) {
		r := member.PostForm(editURL+"revoke/", nil)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "Are you sure you want to revoke "+masked(token)+" token?") {
			t.Fatalf("status %d, body %.500s", r.Status, r.Body)
		}
		onlyUserToken(t, app, memberCtx)
	})

	t.Run("RevokeDeletesTheTokenAndItStopsWorking", func(t *testing.T) {
		if r := app.Bearer(t, http.MethodGet, "/api/0/api-tokens/", token, nil); r.Status != http.StatusForbidden {
			t.Fatalf("before revoking, a bearer call got %d, want 403 (valid token, session-only endpoint)", r.Status)
		}
		r := member.PostForm(editURL+"revoke/", url.Values{"confirmed": {"1"}})
		if r.Status != http.StatusSeeOther || r.Location != userTokensURL {
			t.Fatalf("status %d to %q", r.Status, r.Location)
		}
		list := member.Get(userTokensURL)
		if !strings.Contains(list.Body, "Removed token") || !hasText(list.Body, "You haven't created any authentication tokens yet.") {
			t.Errorf("list after revoking: %.800s", list.Body)
		}
		if r := app.Bearer(t, http.MethodGet, "/api/0/api-tokens/", token, nil); r.Status != http.StatusUnauthorized ||
			!strings.Contains(r.Body, `"Invalid token"`) {
			t.Errorf("after revoking: %d %s, want 401 Invalid token", r.Status, r.Body)
		}
		if r := member.Get(editURL); r.Status != http.StatusNotFound {
			t.Errorf("its page answers %d, want 404", r.Status)
		}
	})

	t.Run("SecurityLogShowsTheTokenEvents", func(t *testing.T) {
		r := member.Get("/settings/account/security/")
		for _, want := range []string{"API token created", "API token renamed", "API token revoked", "laptop (" + masked(token) + ")", "127.0.0.1"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("the security log lacks %q", want)
			}
		}
	})

	t.Run("AnonymousVisitorsSignInFirst", func(t *testing.T) {
		r := app.Client(t).Get(userTokensURL)
		if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/auth/login/") {
			t.Errorf("status %d to %q", r.Status, r.Location)
		}
	})
}

// TestUserTokenListMarksExpiredTokens creates a token whose expiry has passed by creating it
// in the past, before any request runs, so moving the store's clock races with nothing.
func TestUserTokenListMarksExpiredTokens(t *testing.T) {
	app := apptest.Start(t)
	ctx := app.As(t, "member@acme.test")
	now := time.Now().UTC()
	app.DB.Now = func() time.Time { return now.AddDate(0, 0, -40) }
	expires := now.AddDate(0, 0, -10)
	_, token, err := app.DB.CreateUserToken(ctx, core.NewUserToken{Name: "old", Scopes: core.NewScopeSet(core.ScopeOrgRead), ExpiresAt: &expires})
	app.DB.Now = func() time.Time { return now }
	if err != nil {
		t.Fatal(err)
	}
	list := app.LoginAs(t, "member@acme.test").Get(userTokensURL)
	if !regexp.MustCompile(`<span class="tag tag-expired"[^>]*>Expired</span>`).MatchString(list.Body) {
		t.Errorf("the list does not mark the token expired: %.1500s", list.Body)
	}
	r := app.Bearer(t, http.MethodGet, "/api/0/api-tokens/", token, nil)
	if r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, `"Token expired"`) {
		t.Errorf("an expired token got %d %s, want 401 Token expired", r.Status, r.Body)
	}
}

// TestUserTokenEmail checks the security email through a real SMTP server: sent to the user on
// creation, never carrying the token, and not sent on rename or revoke.
func TestUserTokenEmail(t *testing.T) {
	app := apptest.Start(t)
	member := app.LoginAs(t, "member@acme.test")
	before := len(app.SMTP.Messages())
	token := mustCreateUserTokenForm(t, member, url.Values{"name": {"laptop"}, "perm-org": {"read"}})

	msgs := app.SMTP.WaitFor(t, before+1, 10*time.Second)
	m := msgs[before]
	if len(m.To) != 1 || m.To[0] != "member@acme.test" || m.Subject != "Security settings changed" {
		t.Errorf("sent %q to %v", m.Subject, m.To)
	}
	for _, part := range []struct{ name, body string }{{"text", m.Text}, {"html", m.HTML}} {
		for _, want := range []string{
			"A new API token was created for your account", "member@acme.test", "127.0.0.1", "UTC",
			app.URL + userTokensURL, "laptop (" + masked(token) + ")",
		} {
			if !strings.Contains(part.body, want) {
				t.Errorf("the %s part lacks %q:\n%s", part.name, want, part.body)
			}
		}
	}
	if strings.Contains(m.Data, token) || strings.Contains(m.Data, token[7:]) {
		t.Error("the email holds the token")
	}

	// Rename and revoke, then create a second token: if either had sent mail, it would arrive
	// before the second creation's (the outbox delivers in order).
	tok := onlyUserToken(t, app, app.As(t, "member@acme.test"))
	edit := userTokensURL + strconv.FormatInt(tok.ID, 10) + "/"
	if r := member.PostForm(edit, url.Values{"name": {"renamed"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("rename: %d", r.Status)
	}
	if r := member.PostForm(edit+"revoke/", url.Values{"confirmed": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.Status)
	}
	second := mustCreateUserTokenForm(t, member, url.Values{"name": {"second"}, "perm-org": {"read"}})
	msgs = app.SMTP.WaitFor(t, before+2, 10*time.Second)
	if !strings.Contains(msgs[before+1].Text, "second ("+masked(second)+")") {
		t.Errorf("the next email is not the second creation's, so rename or revoke sent one:\n%s", msgs[before+1].Text)
	}
}

// TestBrowserUserTokenCreateRenameRevoke walks the screens as a user would: the preview and
// the disabled button before creating, the token once, then only its masked form; rename;
// revoke through the confirmation dialog.
func TestBrowserUserTokenCreateRenameRevoke(t *testing.T) {
	app := apptest.Start(t)
	ctx := apptest.Browser(t)
	app.BrowserLogin(t, ctx, "member@acme.test")

	// choose picks an option as a person would, firing the change event the preview listens to.
	choose := func(id, value string) chromedp.Action[chromedp.Void] {
		js := fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q;
			s.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, id, value)
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](js)(ctx, tg)
			return err
		})
	}
	// mainText runs the steps, then reads the page's main content.
	mainText := func(steps ...chromedp.Action[chromedp.Void]) string {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatal(err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	createDisabled := func() bool {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("button[data-needs-scopes]").disabled`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	preview := func() string {
		t.Helper()
		// The preview's tags sit side by side without spaces between them: read them one by one.
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
			const p = document.getElementById("scope-preview"), tags = p.querySelectorAll(".tag");
			return tags.length ? Array.from(tags, e => e.textContent).join(" ") : p.textContent.trim(); })()`))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.URL+userTokensURL),
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Create New Token"]`)),
		chromedp.WaitVisible(chromedp.ID("perm-project")),
	); err != nil {
		t.Fatal(err)
	}
	if !createDisabled() || preview() != "No permissions selected." {
		t.Errorf("with nothing chosen: disabled %v, preview %q", createDisabled(), preview())
	}
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("token-name"), "laptop"),
		choose("perm-project", "write"),
		choose("perm-release", "admin"),
	); err != nil {
		t.Fatal(err)
	}
	if createDisabled() || preview() != "project:read project:releases project:write" {
		t.Errorf("after choosing: disabled %v, preview %q", createDisabled(), preview())
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Create Token"]`)),
		chromedp.WaitVisible(chromedp.ID("new-token")),
	); err != nil {
		t.Fatal(err)
	}
	token, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("new-token")))
	if err != nil {
		t.Fatal(err)
	}
	if !userTokenPattern.MatchString(token) {
		t.Fatalf("shown token %q", token)
	}

	list := mainText(
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Done"]`)),
		chromedp.WaitVisible(chromedp.CSS("table.table")),
	)
	if strings.Contains(list, token) || !strings.Contains(list, masked(token)) || !strings.Contains(list, "laptop") {
		t.Errorf("the list after creating: %q", list)
	}

	list = mainText(
		chromedp.Click(chromedp.Search(`//a[normalize-space()="Edit"]`)),
		chromedp.WaitVisible(chromedp.ID("token-name")),
		chromedp.Clear(chromedp.ID("token-name")),
		chromedp.SendKeys(chromedp.ID("token-name"), "desktop"),
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Save Changes"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"alert-success")]`)),
	)
	if !strings.Contains(list, "desktop") || strings.Contains(list, "laptop") {
		t.Errorf("the list after renaming: %q", list)
	}

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//button[normalize-space()="Remove"]`)),
		chromedp.WaitVisible(chromedp.CSS("dialog.confirm")),
	); err != nil {
		t.Fatal(err)
	}
	dialog, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("dialog.confirm")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dialog, views.RevokeMessage(masked(token))) {
		t.Errorf("the dialog says %q", dialog)
	}
	list = mainText(
		chromedp.Click(chromedp.Search(`//dialog//button[normalize-space()="Remove"]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[contains(@class,"alert-success")][contains(., "Removed token")]`)),
	)
	if !strings.Contains(list, "You haven't created any authentication tokens yet.") {
		t.Errorf("the list after revoking: %q", list)
	}
}
