package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// setPolicy saves the token policies through the settings form, as the client.
func setPolicy(t *testing.T, c *apptest.Client, revoke bool, maxDays, maxUserDays int) *apptest.Response {
	t.Helper()
	form := url.Values{"max_token_days": {itoa64(int64(maxDays))}, "max_user_token_days": {itoa64(int64(maxUserDays))}}
	if revoke {
		form.Set("revoke_exposed", "1")
	}
	return c.PostForm("/settings/acme/token-policies/", form)
}

// TestTokenPolicies: owners only; every change audited and mailed to the other owners; the
// maximum lifetime refuses what exceeds it with a message naming it and marks existing
// tokens; the user-token policy answers 403 in the organization.
func TestTokenPolicies(t *testing.T) {
	app := apptest.Start(t)
	owner := app.LoginAs(t, apptest.AcmeOwner)
	oldToken, _ := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "Never expires")
	userForever := app.MintUserToken(t, apptest.AcmeMember, core.NewScopeSet(core.ScopeOrgRead), nil)
	app.WaitOutboxDelivered(t, 5*time.Second)
	before := len(app.SMTP.Messages())

	// Managers may not change the policies; the server says so, whatever the form showed.
	manager := app.LoginAs(t, apptest.AcmeManager)
	if res := setPolicy(t, manager, false, 30, 30); res.Status != http.StatusForbidden {
		t.Errorf("a manager saving the policies: %d, want 403", res.Status)
	}
	if page := manager.Get("/settings/acme/"); !strings.Contains(page.Body, "Token Policies") || strings.Contains(page.Body, "Save Token Policies") {
		t.Error("a manager should see the policies read-only")
	}
	if res := setPolicy(t, owner, false, 30, 30); res.Status != http.StatusFound && res.Status != http.StatusSeeOther {
		t.Fatalf("the owner saving the policies: %d %.300s", res.Status, res.Body)
	}
	if res := setPolicy(t, owner, false, 45, 30); res.Status != http.StatusBadRequest {
		t.Errorf("a lifetime not offered: %d, want 400", res.Status)
	}

	// Audited, and mailed to the other owner only.
	msgs := newMail(t, app, before)
	if len(msgs) != 1 || msgs[0].To[0] != apptest.AcmeOwner2 || msgs[0].Subject != "Token policies changed" ||
		!strings.Contains(msgs[0].Text, "Revoke tokens reported as exposed\" turned off") ||
		!strings.Contains(msgs[0].Text, "No limit → 30 days") {
		t.Errorf("policy mail: %+v", msgs)
	}
	log, _ := app.DB.AuditLog(apptest.AsOperator(), app.Org(t, "acme").ID, "", core.Page{Limit: 5})
	var changes int
	for _, e := range log {
		if e.Event == core.AuditTokenPolicyChanged && e.ActorEmail == apptest.AcmeOwner {
			changes++
		}
	}
	if changes != 3 {
		t.Errorf("%d policy entries in the audit log, want 3", changes)
	}

	// New org tokens: "never" and 60 days are refused naming the policy; 30 days pass.
	for _, choice := range []string{"never", "60"} {
		res := owner.PostForm("/settings/acme/auth-tokens/new-token/", url.Values{"name": {"ci"}, "expiration": {choice}})
		if res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "Maximum lifetime") {
			t.Errorf("expiry %s under a 30-day policy: %d", choice, res.Status)
		}
	}
	form := owner.Get("/settings/acme/auth-tokens/new-token/")
	if strings.Contains(form.Body, `value="never"`) || strings.Contains(form.Body, `value="60"`) || !strings.Contains(form.Body, `value="30"`) {
		t.Error("the create form offers expiries the policy refuses")
	}
	if res := owner.PostForm("/settings/acme/auth-tokens/new-token/", url.Values{"name": {"ci"}, "expiration": {"30"}}); res.Status != http.StatusOK {
		t.Errorf("30 days under a 30-day policy: %d", res.Status)
	}
	if res := owner.JSON(http.MethodPost, apiTokens, map[string]any{"name": "api"}); res.Status != http.StatusBadRequest || !strings.Contains(res.Body, "expiresAt") {
		t.Errorf("API create without expiry under the policy: %d %s", res.Status, res.Body)
	}
	// The existing token is untouched and marked.
	list := owner.Get("/settings/acme/auth-tokens/")
	if !strings.Contains(list.Body, "Exceeds the current policy") || !strings.Contains(list.Body, oldToken.Name) {
		t.Error("the list does not mark the token that exceeds the policy")
	}
	// New integration tokens get the maximum lifetime.
	intToken := app.MintIntegrationToken(t, "acme", core.NewScopeSet(core.ScopeOrgRead))
	if p := app.Principal(t, intToken); p.ExpiresAt == nil || p.ExpiresAt.Sub(time.Now()) > 30*24*time.Hour+time.Minute {
		t.Errorf("integration token under the policy expires %v", p.ExpiresAt)
	}

	// User tokens: one that never expires gets 403 naming the policy; a 7-day one passes.
	res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", userForever, nil)
	if res.Status != http.StatusForbidden || !strings.Contains(res.Body, "Maximum lifetime of user tokens used in this organization") {
		t.Errorf("a never-expiring user token: %d %s", res.Status, res.Body)
	}
	week := time.Now().Add(7 * 24 * time.Hour)
	short := app.MintUserToken(t, apptest.AcmeMember, core.NewScopeSet(core.ScopeOrgRead), &week)
	if res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", short, nil); res.Status != http.StatusOK {
		t.Errorf("a 7-day user token: %d %s", res.Status, res.Body)
	}
	// The user-token form warns of it.
	if page := app.LoginAs(t, apptest.AcmeMember).Get("/settings/account/api/auth-tokens/new-token/"); !strings.Contains(page.Body, "Acme Corp") || !strings.Contains(page.Body, "at most 30 days") {
		t.Error("the user-token form does not warn of Acme's policy")
	}
	// Creating a token the policy refuses says so on the one-time display; one that fits does not.
	memberClient := app.LoginAs(t, apptest.AcmeMember)
	for choice, refused := range map[string]bool{"never": true, "90": true, "30": false} {
		res := memberClient.PostForm("/settings/account/api/auth-tokens/new-token/", url.Values{"name": {"f"}, "perm-org": {"read"}, "expiration": {choice}})
		if res.Status != http.StatusOK || strings.Contains(res.Body, `id="user-token-refused"`) != refused {
			t.Errorf("user token expiring %s: %d, refusal shown %v, want %v", choice, res.Status, !refused, refused)
		}
	}
	// Lifting the policy lets the token in again at once (the cache is invalidated).
	setPolicy(t, owner, false, 30, 0)
	if res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", userForever, nil); res.Status != http.StatusOK {
		t.Errorf("after lifting the policy: %d", res.Status)
	}
}

// TestExposedTokenKeptWhenPolicyIsOff: with "Revoke tokens reported as exposed" off, a
// reported token keeps working, the owners are told it is still active, and the list shows
// the Exposed badge with the URL.
func TestExposedTokenKeptWhenPolicyIsOff(t *testing.T) {
	app := apptest.Start(t)
	owner := app.LoginAs(t, apptest.AcmeOwner)
	setPolicy(t, owner, false, 0, 0)
	tok := app.MintOrgToken(t, "acme", "Kept on purpose")
	app.WaitOutboxDelivered(t, 5*time.Second)
	before := len(app.SMTP.Messages())
	const where = "https://gist.github.com/someone/abc"
	body := reportBody(t, reportEntry{tok, "sentry_org_auth_token", where, "gist"})
	if res := app.PostReport(t, body, "application/json", apptest.SecretScanningKeyID, app.SignReport(t, body)); res.Status != 200 || !strings.Contains(res.Body, "true_positive") {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	if !app.TokenWorks(t, tok) {
		t.Error("the token was revoked although the policy is off")
	}
	msgs := newMail(t, app, before)
	if len(msgs) != 2 || !strings.Contains(msgs[0].Text, "still active") {
		t.Errorf("mails: %d", len(msgs))
	}
	list := owner.Get("/settings/acme/auth-tokens/")
	if !strings.Contains(list.Body, "Exposed") || !strings.Contains(list.Body, where) {
		t.Error("the list shows no Exposed badge with the URL")
	}
}
