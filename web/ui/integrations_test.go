package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// integrationFixture is an integration made by an owner, with its first token.
type integrationFixture struct {
	slug    string
	tokenID int64
	plain   string
}

// mustIntegration creates an integration in org as email, with Issue & Event Read.
func mustIntegration(t *testing.T, app *apptest.App, email, org, name string) integrationFixture {
	t.Helper()
	i, tok, plain, err := app.DB.CreateIntegration(app.As(t, email), app.Org(t, org).ID,
		core.IntegrationInput{Name: name, Scopes: core.NewScopeSet(core.ScopeEventRead)})
	if err != nil {
		t.Fatalf("create integration %q: %v", name, err)
	}
	return integrationFixture{slug: i.Slug, tokenID: tok.ID, plain: plain}
}

// tokenWorks reports whether a token still authenticates.
func tokenWorks(t *testing.T, app *apptest.App, plain string) bool {
	t.Helper()
	parsed, err := core.ParseToken(plain)
	if err != nil {
		t.Fatal(err)
	}
	_, err = app.DB.AuthenticateToken(context.Background(), parsed)
	return err == nil
}

// liveTokens counts an acme integration's live tokens, as its owner sees them.
func liveTokens(t *testing.T, app *apptest.App, slug string) int {
	t.Helper()
	tokens, err := app.DB.IntegrationTokens(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID, slug)
	if err != nil {
		t.Fatalf("tokens of %s: %v", slug, err)
	}
	return len(tokens)
}

func integrationExists(t *testing.T, app *apptest.App, slug string) bool {
	t.Helper()
	_, err := app.DB.Integration(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID, slug)
	return err == nil
}

const devSettings = "/settings/acme/developer-settings/"

// roles are the acme roles in table order, then an outsider (a member of globex only).
var roles = []string{"owner@acme.test", "manager@acme.test", "admin@acme.test", "member@acme.test", "billing@acme.test", "owner@globex.test"}

func TestIntegrationScreensEveryRoleEveryAction(t *testing.T) {
	app := apptest.Start(t)
	clients := map[string]*apptest.Client{}
	for _, email := range roles {
		clients[email] = app.LoginAs(t, email)
	}
	eventRead := url.Values{"name": {"Made Over HTTP"}, "perm-event": {"read"}}

	actions := []struct {
		name string
		// want is the status per role, in the order of roles.
		want [6]int
		do   func(c *apptest.Client, fx integrationFixture) *apptest.Response
		// done checks the effect of an allowed action; refused ones must leave fx untouched.
		done func(t *testing.T, fx integrationFixture, r *apptest.Response)
	}{
		{"List", [6]int{200, 200, 200, 200, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response { return c.Get(devSettings) },
			func(t *testing.T, fx integrationFixture, r *apptest.Response) {
				if !strings.Contains(r.Body, fx.slug) {
					t.Error("the list lacks the integration")
				}
			}},
		{"NewPage", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.Get(devSettings + "new-internal/")
			},
			nil},
		{"Create", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.PostForm(devSettings+"new-internal/", eventRead)
			},
			func(t *testing.T, fx integrationFixture, r *apptest.Response) {
				if !strings.Contains(r.Body, "sntryi_") || r.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("the first token is not shown once with no-store: %q", r.Header.Get("Cache-Control"))
				}
			}},
		{"View", [6]int{200, 200, 200, 200, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.Get(devSettings + fx.slug + "/")
			},
			nil},
		{"Edit", [6]int{303, 303, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.PostForm(devSettings+fx.slug+"/", url.Values{"name": {"Renamed"}, "perm-event": {"read"}})
			},
			func(t *testing.T, fx integrationFixture, r *apptest.Response) {
				i, err := app.DB.Integration(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID, fx.slug)
				if err != nil || i.Name != "Renamed" {
					t.Errorf("not renamed: %+v, %v", i, err)
				}
			}},
		{"NewToken", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.PostForm(devSettings+fx.slug+"/tokens/", nil)
			},
			func(t *testing.T, fx integrationFixture, r *apptest.Response) {
				if liveTokens(t, app, fx.slug) != 2 || !strings.Contains(r.Body, "sntryi_") {
					t.Error("no second token shown")
				}
			}},
		{"Rotate", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.PostForm(devSettings+fx.slug+"/tokens/"+strconv.FormatInt(fx.tokenID, 10)+"/rotate/", url.Values{"confirmed": {"1"}})
			},
			func(t *testing.T, fx integrationFixture, r *apptest.Response) {
				if tokenWorks(t, app, fx.plain) || liveTokens(t, app, fx.slug) != 1 || !strings.Contains(r.Body, "sntryi_") {
					t.Error("the old token still works, or no replacement was shown")
				}
			}},
		{"Revoke", [6]int{303, 303, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.PostForm(devSettings+fx.slug+"/tokens/"+strconv.FormatInt(fx.tokenID, 10)+"/revoke/", url.Values{"confirmed": {"1"}})
			},
			func(t *testing.T, fx integrationFixture, r *apptest.Response) {
				if tokenWorks(t, app, fx.plain) {
					t.Error("the revoked token still works")
				}
			}},
		{"DeletePage", [6]int{200, 403, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.Get(devSettings + fx.slug + "/delete/")
			},
			nil},
		{"Delete", [6]int{303, 403, 403, 403, 403, 404},
			func(c *apptest.Client, fx integrationFixture) *apptest.Response {
				return c.PostForm(devSettings+fx.slug+"/delete/", url.Values{"confirm": {fx.slug}})
			},
			func(t *testing.T, fx integrationFixture, r *apptest.Response) {
				if integrationExists(t, app, fx.slug) || tokenWorks(t, app, fx.plain) {
					t.Error("the integration or its token survived")
				}
			}},
	}
	n := 0
	for _, a := range actions {
		for r, email := range roles {
			t.Run(a.name+"/"+email, func(t *testing.T) {
				n++
				fx := mustIntegration(t, app, "owner@acme.test", "acme", "Fixture "+strconv.Itoa(n))
				resp := a.do(clients[email], fx)
				if resp.Status != a.want[r] {
					t.Fatalf("status %d, want %d; body %.300s", resp.Status, a.want[r], resp.Body)
				}
				if resp.Status < 400 {
					if a.done != nil {
						a.done(t, fx, resp)
					}
					return
				}
				if !integrationExists(t, app, fx.slug) || !tokenWorks(t, app, fx.plain) || liveTokens(t, app, fx.slug) != 1 {
					t.Fatal("a refused request changed something")
				}
			})
		}
	}
}

func TestIntegrationScreensRefuseForgedRequests(t *testing.T) {
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	fx := mustIntegration(t, app, "owner@acme.test", "acme", "Target")
	globex := mustIntegration(t, app, "owner@globex.test", "globex", "Elsewhere")
	sibling := mustIntegration(t, app, "owner@acme.test", "acme", "Sibling")
	tokenPath := func(slug string, id int64, action string) string {
		return devSettings + slug + "/tokens/" + strconv.FormatInt(id, 10) + "/" + action + "/"
	}
	posts := []struct {
		name, path string
		form       url.Values
	}{
		{"Create", devSettings + "new-internal/", url.Values{"name": {"Forged"}}},
		{"Edit", devSettings + fx.slug + "/", url.Values{"name": {"Forged"}}},
		{"NewToken", devSettings + fx.slug + "/tokens/", nil},
		{"Rotate", tokenPath(fx.slug, fx.tokenID, "rotate"), url.Values{"confirmed": {"1"}}},
		{"Revoke", tokenPath(fx.slug, fx.tokenID, "revoke"), url.Values{"confirmed": {"1"}}},
		{"Delete", devSettings + fx.slug + "/delete/", url.Values{"confirm": {fx.slug}}},
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		list, err := app.DB.Integrations(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID)
		if err != nil || len(list) != 2 || !tokenWorks(t, app, fx.plain) || liveTokens(t, app, fx.slug) != 1 {
			t.Fatalf("a forged request changed something: %+v, %v", list, err)
		}
		for _, i := range list {
			if i.Name == "Forged" {
				t.Fatalf("a forged request saved %+v", i)
			}
		}
	}
	for _, post := range posts {
		t.Run(post.name+"WithoutCSRFToken", func(t *testing.T) {
			if r := owner.PostFormRaw(post.path, post.form); r.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", r.Status)
			}
			unchanged(t)
		})
		t.Run(post.name+"CrossSite", func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, app.URL+post.path, strings.NewReader(post.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			if r := owner.Do(req); r.Status != http.StatusForbidden {
				t.Fatalf("status %d, want 403", r.Status)
			}
			unchanged(t)
		})
	}
	t.Run("AnotherOrgsIntegrationUnderThisOrgIsNotFound", func(t *testing.T) {
		globexOwner := app.LoginAs(t, "owner@globex.test")
		for _, r := range []*apptest.Response{
			owner.Get(devSettings + globex.slug + "/"),
			owner.PostForm(devSettings+globex.slug+"/tokens/", nil),
			owner.PostForm(tokenPath(globex.slug, globex.tokenID, "revoke"), url.Values{"confirmed": {"1"}}),
			owner.PostForm(devSettings+globex.slug+"/delete/", url.Values{"confirm": {globex.slug}}),
			globexOwner.PostForm("/settings/globex/developer-settings/"+fx.slug+"/delete/", url.Values{"confirm": {fx.slug}}),
		} {
			if r.Status != http.StatusNotFound {
				t.Errorf("status %d, want 404", r.Status)
			}
		}
		if !tokenWorks(t, app, globex.plain) {
			t.Fatal("globex's token was revoked")
		}
		unchanged(t)
	})
	t.Run("AnotherIntegrationsTokenIsNotFound", func(t *testing.T) {
		for _, action := range []string{"rotate", "revoke"} {
			if r := owner.PostForm(tokenPath(fx.slug, sibling.tokenID, action), url.Values{"confirmed": {"1"}}); r.Status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", action, r.Status)
			}
			if r := owner.PostForm(tokenPath(fx.slug, globex.tokenID, action), url.Values{"confirmed": {"1"}}); r.Status != http.StatusNotFound {
				t.Errorf("%s other org: status %d, want 404", action, r.Status)
			}
		}
		if !tokenWorks(t, app, sibling.plain) || !tokenWorks(t, app, globex.plain) {
			t.Fatal("a foreign token was touched")
		}
	})
	t.Run("ALevelTheResourceDoesNotOfferIsRefused", func(t *testing.T) {
		r := owner.PostForm(devSettings+"new-internal/", url.Values{"name": {"Forged"}, "perm-release": {"read"}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Select a valid choice.") {
			t.Fatalf("status %d, body %.300s", r.Status, r.Body)
		}
	})
	t.Run("UnconfirmedRevokeAndRotateOnlyAsk", func(t *testing.T) {
		for _, action := range []string{"rotate", "revoke"} {
			r := owner.PostForm(tokenPath(fx.slug, fx.tokenID, action), nil)
			if r.Status != http.StatusOK || !strings.Contains(r.Body, `name="confirmed" value="1"`) {
				t.Fatalf("%s: status %d, want the confirmation page", action, r.Status)
			}
		}
		unchanged(t)
	})
	t.Run("DeleteNeedsTheSlugTyped", func(t *testing.T) {
		r := owner.PostForm(devSettings+fx.slug+"/delete/", url.Values{"confirm": {"target-typo"}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Type target to confirm the deletion.") {
			t.Fatalf("status %d, body %.300s", r.Status, r.Body)
		}
		unchanged(t)
	})
}

func TestIntegrationFormRules(t *testing.T) {
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	manager := app.LoginAs(t, "manager@acme.test")
	const refusal = "Requested permission of org:admin exceeds requester&#39;s permission. Please contact an administrator to make the requested change."

	t.Run("ManagerCannotGiveOrgAdmin", func(t *testing.T) {
		r := manager.PostForm(devSettings+"new-internal/", url.Values{"name": {"Escalator"}, "perm-org": {"admin"}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, refusal) {
			t.Fatalf("status %d, body %.500s", r.Status, r.Body)
		}
		if integrationExists(t, app, "escalator") {
			t.Fatal("the integration was created")
		}
	})
	t.Run("OwnerCanGiveOrgAdmin", func(t *testing.T) {
		r := owner.PostForm(devSettings+"new-internal/", url.Values{"name": {"Escalator"}, "perm-org": {"admin"}})
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "sntryi_") {
			t.Fatalf("status %d, body %.500s", r.Status, r.Body)
		}
	})
	t.Run("ManagerCannotMintTokensOfAnOrgAdminIntegration", func(t *testing.T) {
		page := manager.Get(devSettings + "escalator/")
		if !strings.Contains(page.Body, refusal) || strings.Contains(page.Body, `<button type="submit" class="btn btn-small btn-primary">New Token</button>`) {
			t.Fatalf("New Token is not disabled with the reason: %.3000s", page.Body)
		}
		if r := manager.PostForm(devSettings+"escalator/tokens/", nil); r.Status != http.StatusForbidden || strings.Contains(r.Body, "sntryi_") {
			t.Fatalf("status %d", r.Status)
		}
		r := manager.JSON(http.MethodPost, apiTokensPath("escalator"), nil)
		if r.Status != http.StatusForbidden || strings.Contains(r.Body, "sntryi_") {
			t.Fatalf("API: status %d, body %s", r.Status, r.Body)
		}
	})
	t.Run("WebhooksNeedIssueAndEventReadAndAURL", func(t *testing.T) {
		r := owner.PostForm(devSettings+"new-internal/", url.Values{"name": {"Hooked"}, "events": {"issue"}, "webhook_url": {"ftp://x"}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "issue webhooks require the event:read permission.") ||
			!strings.Contains(r.Body, "URL must start with http[s]://") || !strings.Contains(r.Body, `value="ftp://x"`) {
			t.Fatalf("status %d, body %.2000s", r.Status, r.Body)
		}
	})
	t.Run("RaisingPermissionsWarnsFirst", func(t *testing.T) {
		fx := mustIntegration(t, app, "owner@acme.test", "acme", "Raised")
		form := url.Values{"name": {"Raised"}, "perm-event": {"read"}, "perm-project": {"write"}}
		r := manager.PostForm(devSettings+fx.slug+"/", form)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "You are going to increase privileges for this integration (project:read, project:write).") {
			t.Fatalf("status %d, body %.500s", r.Status, r.Body)
		}
		if p := mustPrincipal(t, app, fx.plain); p.Scopes.Has(core.ScopeProjectRead) {
			t.Fatal("saved before the confirmation")
		}
		form.Set("confirm_raise", "project:read, project:write")
		if r := manager.PostForm(devSettings+fx.slug+"/", form); r.Status != http.StatusSeeOther {
			t.Fatalf("confirmed: status %d, body %.500s", r.Status, r.Body)
		}
		if p := mustPrincipal(t, app, fx.plain); !p.Scopes.Has(core.ScopeProjectWrite) {
			t.Fatalf("token scopes = %v, want the raised ones", p.Scopes)
		}
		t.Run("AConfirmationOfAnotherRaiseDoesNotCount", func(t *testing.T) {
			form.Set("perm-team", "read")
			if r := manager.PostForm(devSettings+fx.slug+"/", form); r.Status != http.StatusOK || !strings.Contains(r.Body, "(team:read)") {
				t.Fatalf("status %d, body %.500s", r.Status, r.Body)
			}
		})
		t.Run("LoweringSavesAtOnce", func(t *testing.T) {
			if r := manager.PostForm(devSettings+fx.slug+"/", url.Values{"name": {"Raised"}}); r.Status != http.StatusSeeOther {
				t.Fatalf("status %d", r.Status)
			}
			if p := mustPrincipal(t, app, fx.plain); p.Scopes != 0 {
				t.Fatalf("token scopes = %v, want none", p.Scopes)
			}
		})
		t.Run("AWarningNeverHidesARefusal", func(t *testing.T) {
			r := manager.PostForm(devSettings+fx.slug+"/", url.Values{"name": {"Raised"}, "perm-org": {"admin"}})
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, refusal) || strings.Contains(r.Body, "increase privileges") {
				t.Fatalf("status %d, body %.500s", r.Status, r.Body)
			}
		})
	})
	t.Run("MembersSeeNoTokens", func(t *testing.T) {
		fx := mustIntegration(t, app, "owner@acme.test", "acme", "Hidden")
		for _, email := range []string{"member@acme.test", "admin@acme.test"} {
			r := app.LoginAs(t, email).Get(devSettings + fx.slug + "/")
			if !strings.Contains(r.Body, "You do not have access to view these tokens.") || strings.Contains(r.Body, fx.plain[67:]) ||
				strings.Contains(r.Body, "Save Changes") {
				t.Fatalf("%s sees tokens or may save: %.500s", email, r.Body)
			}
		}
		list := app.LoginAs(t, "member@acme.test").Get(devSettings)
		if !strings.Contains(list.Body, "Manager or Owner permissions are required to create a new integration") ||
			!strings.Contains(list.Body, "Organization owner permissions are required for this action.") {
			t.Fatalf("member's list: %.1000s", list.Body)
		}
	})
	t.Run("The21stTokenIsRefused", func(t *testing.T) {
		fx := mustIntegration(t, app, "owner@acme.test", "acme", "Full")
		for n := 2; n <= core.MaxIntegrationTokens; n++ {
			if r := owner.PostForm(devSettings+fx.slug+"/tokens/", nil); r.Status != http.StatusOK {
				t.Fatalf("token %d: status %d", n, r.Status)
			}
		}
		r := owner.PostForm(devSettings+fx.slug+"/tokens/", nil)
		if r.Status != http.StatusSeeOther || liveTokens(t, app, fx.slug) != core.MaxIntegrationTokens {
			t.Fatalf("21st: status %d, %d tokens", r.Status, liveTokens(t, app, fx.slug))
		}
		page := owner.Get(r.Location)
		if !strings.Contains(page.Body, core.MsgIntegrationTokenLimit) {
			t.Fatalf("no refusal shown: %.500s", page.Body)
		}
	})
	t.Run("TokensNeverReachLogsOrCookies", func(t *testing.T) {
		r := owner.PostForm(devSettings+"new-internal/", url.Values{"name": {"Secretive"}})
		start := strings.Index(r.Body, "sntryi_")
		if start < 0 {
			t.Fatal("no token shown")
		}
		plain := r.Body[start : start+71]
		if strings.Contains(app.Logs.String(), plain) || strings.Contains(strings.Join(owner.Cookies(), ";"), plain) {
			t.Fatal("the token leaked into the logs or a cookie")
		}
	})
}

func mustPrincipal(t *testing.T, app *apptest.App, plain string) *core.Principal {
	t.Helper()
	parsed, err := core.ParseToken(plain)
	if err != nil {
		t.Fatal(err)
	}
	p, err := app.DB.AuthenticateToken(context.Background(), parsed)
	if err != nil {
		t.Fatalf("token does not authenticate: %v", err)
	}
	return p
}
