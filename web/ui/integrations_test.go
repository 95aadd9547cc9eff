package ui_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

func integrationExists(t *testing.T, app *apptest.App, slug string) bool {
	t.Helper()
	_, err := app.DB.Integration(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID, slug)
	return err == nil
}

const devSettings = "/settings/acme/developer-settings/"

func TestIntegrationScreensEveryRoleEveryAction(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	clients := map[string]*apptest.Client{}
	for _, email := range apptest.Roles {
		clients[email] = app.LoginAs(t, email)
	}
	eventRead := url.Values{"name": {"Made Over HTTP"}, "perm-event": {"read"}}

	actions := []struct {
		name string
		// want is the status per role, in the order of roles.
		want [6]int
		do   func(c *apptest.Client, fx apptest.Integration) *apptest.Response
		// done checks the effect of an allowed action; refused ones must leave fx untouched.
		done func(t *testing.T, fx apptest.Integration, r *apptest.Response)
	}{
		{"List", [6]int{200, 200, 200, 200, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response { return c.Get(devSettings) },
			func(t *testing.T, fx apptest.Integration, r *apptest.Response) {
				if !strings.Contains(r.Body, fx.Slug) {
					t.Error("the list lacks the integration")
				}
			}},
		{"NewPage", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.Get(devSettings + "new-internal/")
			},
			nil},
		{"Create", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.PostForm(devSettings+"new-internal/", eventRead)
			},
			func(t *testing.T, fx apptest.Integration, r *apptest.Response) {
				if !strings.Contains(r.Body, "sntryi_") || r.Header.Get("Cache-Control") != "no-store" {
					t.Errorf("the first token is not shown once with no-store: %q", r.Header.Get("Cache-Control"))
				}
			}},
		{"View", [6]int{200, 200, 200, 200, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.Get(devSettings + fx.Slug + "/")
			},
			nil},
		{"Edit", [6]int{303, 303, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.PostForm(devSettings+fx.Slug+"/", url.Values{"name": {"Renamed"}, "perm-event": {"read"}})
			},
			func(t *testing.T, fx apptest.Integration, r *apptest.Response) {
				i, err := app.DB.Integration(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID, fx.Slug)
				if err != nil || i.Name != "Renamed" {
					t.Errorf("not renamed: %+v, %v", i, err)
				}
			}},
		{"NewToken", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.PostForm(devSettings+fx.Slug+"/tokens/", nil)
			},
			func(t *testing.T, fx apptest.Integration, r *apptest.Response) {
				if app.LiveIntegrationTokens(t, fx.Slug) != 2 || !strings.Contains(r.Body, "sntryi_") {
					t.Error("no second token shown")
				}
			}},
		{"Rotate", [6]int{200, 200, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.PostForm(devSettings+fx.Slug+"/tokens/"+strconv.FormatInt(fx.TokenID, 10)+"/rotate/", url.Values{"confirmed": {"1"}})
			},
			func(t *testing.T, fx apptest.Integration, r *apptest.Response) {
				if app.TokenWorks(t, fx.Plain) || app.LiveIntegrationTokens(t, fx.Slug) != 1 || !strings.Contains(r.Body, "sntryi_") {
					t.Error("the old token still works, or no replacement was shown")
				}
			}},
		{"Revoke", [6]int{303, 303, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.PostForm(devSettings+fx.Slug+"/tokens/"+strconv.FormatInt(fx.TokenID, 10)+"/revoke/", url.Values{"confirmed": {"1"}})
			},
			func(t *testing.T, fx apptest.Integration, r *apptest.Response) {
				if app.TokenWorks(t, fx.Plain) {
					t.Error("the revoked token still works")
				}
			}},
		{"DeletePage", [6]int{200, 403, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.Get(devSettings + fx.Slug + "/delete/")
			},
			nil},
		{"Delete", [6]int{303, 403, 403, 403, 403, 404},
			func(c *apptest.Client, fx apptest.Integration) *apptest.Response {
				return c.PostForm(devSettings+fx.Slug+"/delete/", url.Values{"confirm": {fx.Slug}})
			},
			func(t *testing.T, fx apptest.Integration, r *apptest.Response) {
				if integrationExists(t, app, fx.Slug) || app.TokenWorks(t, fx.Plain) {
					t.Error("the integration or its token survived")
				}
			}},
	}
	n := 0
	for _, a := range actions {
		for r, email := range apptest.Roles {
			t.Run(a.name+"/"+email, func(t *testing.T) {
				n++
				fx := app.CreateIntegration(t, "owner@acme.test", "acme", "Fixture "+strconv.Itoa(n))
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
				if !integrationExists(t, app, fx.Slug) || !app.TokenWorks(t, fx.Plain) || app.LiveIntegrationTokens(t, fx.Slug) != 1 {
					t.Fatal("a refused request changed something")
				}
			})
		}
	}
}

func TestIntegrationScreensRefuseForgedRequests(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	fx := app.CreateIntegration(t, "owner@acme.test", "acme", "Target")
	globex := app.CreateIntegration(t, "owner@globex.test", "globex", "Elsewhere")
	sibling := app.CreateIntegration(t, "owner@acme.test", "acme", "Sibling")
	tokenPath := func(slug string, id int64, action string) string {
		return devSettings + slug + "/tokens/" + strconv.FormatInt(id, 10) + "/" + action + "/"
	}
	posts := []struct {
		name, path string
		form       url.Values
	}{
		{"Create", devSettings + "new-internal/", url.Values{"name": {"Forged"}}},
		{"Edit", devSettings + fx.Slug + "/", url.Values{"name": {"Forged"}}},
		{"NewToken", devSettings + fx.Slug + "/tokens/", nil},
		{"Rotate", tokenPath(fx.Slug, fx.TokenID, "rotate"), url.Values{"confirmed": {"1"}}},
		{"Revoke", tokenPath(fx.Slug, fx.TokenID, "revoke"), url.Values{"confirmed": {"1"}}},
		{"Delete", devSettings + fx.Slug + "/delete/", url.Values{"confirm": {fx.Slug}}},
	}
	unchanged := func(t *testing.T) {
		t.Helper()
		list, err := app.DB.Integrations(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID)
		if err != nil || len(list) != 2 || !app.TokenWorks(t, fx.Plain) || app.LiveIntegrationTokens(t, fx.Slug) != 1 {
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
			owner.Get(devSettings + globex.Slug + "/"),
			owner.PostForm(devSettings+globex.Slug+"/tokens/", nil),
			owner.PostForm(tokenPath(globex.Slug, globex.TokenID, "revoke"), url.Values{"confirmed": {"1"}}),
			owner.PostForm(devSettings+globex.Slug+"/delete/", url.Values{"confirm": {globex.Slug}}),
			globexOwner.PostForm("/settings/globex/developer-settings/"+fx.Slug+"/delete/", url.Values{"confirm": {fx.Slug}}),
		} {
			if r.Status != http.StatusNotFound {
				t.Errorf("status %d, want 404", r.Status)
			}
		}
		if !app.TokenWorks(t, globex.Plain) {
			t.Fatal("globex's token was revoked")
		}
		unchanged(t)
	})
	t.Run("AnotherIntegrationsTokenIsNotFound", func(t *testing.T) {
		for _, action := range []string{"rotate", "revoke"} {
			if r := owner.PostForm(tokenPath(fx.Slug, sibling.TokenID, action), url.Values{"confirmed": {"1"}}); r.Status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", action, r.Status)
			}
			if r := owner.PostForm(tokenPath(fx.Slug, globex.TokenID, action), url.Values{"confirmed": {"1"}}); r.Status != http.StatusNotFound {
				t.Errorf("%s other org: status %d, want 404", action, r.Status)
			}
		}
		if !app.TokenWorks(t, sibling.Plain) || !app.TokenWorks(t, globex.Plain) {
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
			r := owner.PostForm(tokenPath(fx.Slug, fx.TokenID, action), nil)
			if r.Status != http.StatusOK || !strings.Contains(r.Body, `name="confirmed" value="1"`) {
				t.Fatalf("%s: status %d, want the confirmation page", action, r.Status)
			}
		}
		unchanged(t)
	})
	t.Run("DeleteNeedsTheSlugTyped", func(t *testing.T) {
		r := owner.PostForm(devSettings+fx.Slug+"/delete/", url.Values{"confirm": {"target-typo"}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "Type target to confirm the deletion.") {
			t.Fatalf("status %d, body %.300s", r.Status, r.Body)
		}
		unchanged(t)
	})
}

func TestIntegrationFormRules(t *testing.T) {
	t.Parallel()
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
		r := manager.JSON(http.MethodPost, "/api/0/sentry-apps/escalator/api-tokens/", nil)
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
		fx := app.CreateIntegration(t, "owner@acme.test", "acme", "Raised")
		form := url.Values{"name": {"Raised"}, "perm-event": {"read"}, "perm-project": {"write"}}
		r := manager.PostForm(devSettings+fx.Slug+"/", form)
		if r.Status != http.StatusOK || !strings.Contains(r.Body, "You are going to increase privileges for this integration (project:read, project:write).") {
			t.Fatalf("status %d, body %.500s", r.Status, r.Body)
		}
		if p := app.Principal(t, fx.Plain); p.Scopes.Has(core.ScopeProjectRead) {
			t.Fatal("saved before the confirmation")
		}
		form.Set("confirm_raise", "project:read, project:write")
		if r := manager.PostForm(devSettings+fx.Slug+"/", form); r.Status != http.StatusSeeOther {
			t.Fatalf("confirmed: status %d, body %.500s", r.Status, r.Body)
		}
		if p := app.Principal(t, fx.Plain); !p.Scopes.Has(core.ScopeProjectWrite) {
			t.Fatalf("token scopes = %v, want the raised ones", p.Scopes)
		}
		t.Run("AConfirmationOfAnotherRaiseDoesNotCount", func(t *testing.T) {
			form.Set("perm-team", "read")
			if r := manager.PostForm(devSettings+fx.Slug+"/", form); r.Status != http.StatusOK || !strings.Contains(r.Body, "(team:read)") {
				t.Fatalf("status %d, body %.500s", r.Status, r.Body)
			}
		})
		t.Run("LoweringSavesAtOnce", func(t *testing.T) {
			if r := manager.PostForm(devSettings+fx.Slug+"/", url.Values{"name": {"Raised"}}); r.Status != http.StatusSeeOther {
				t.Fatalf("status %d", r.Status)
			}
			if p := app.Principal(t, fx.Plain); p.Scopes != 0 {
				t.Fatalf("token scopes = %v, want none", p.Scopes)
			}
		})
		t.Run("AWarningNeverHidesARefusal", func(t *testing.T) {
			r := manager.PostForm(devSettings+fx.Slug+"/", url.Values{"name": {"Raised"}, "perm-org": {"admin"}})
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, refusal) || strings.Contains(r.Body, "increase privileges") {
				t.Fatalf("status %d, body %.500s", r.Status, r.Body)
			}
		})
	})
	t.Run("MembersSeeNoTokens", func(t *testing.T) {
		fx := app.CreateIntegration(t, "owner@acme.test", "acme", "Hidden")
		for _, email := range []string{"member@acme.test", "admin@acme.test"} {
			r := app.LoginAs(t, email).Get(devSettings + fx.Slug + "/")
			if !strings.Contains(r.Body, "You do not have access to view these tokens.") || strings.Contains(r.Body, fx.Plain[67:]) ||
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
		fx := app.CreateIntegration(t, "owner@acme.test", "acme", "Full")
		for n := 2; n <= core.MaxIntegrationTokens; n++ {
			if r := owner.PostForm(devSettings+fx.Slug+"/tokens/", nil); r.Status != http.StatusOK {
				t.Fatalf("token %d: status %d", n, r.Status)
			}
		}
		r := owner.PostForm(devSettings+fx.Slug+"/tokens/", nil)
		if r.Status != http.StatusSeeOther || app.LiveIntegrationTokens(t, fx.Slug) != core.MaxIntegrationTokens {
			t.Fatalf("21st: status %d, %d tokens", r.Status, app.LiveIntegrationTokens(t, fx.Slug))
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
