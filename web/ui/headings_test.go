package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// TestScreensHaveOneH1ThenH2s checks the heading outline of every settings screen: the main
// content opens with its one h1, and panel titles are h2s after it, never bare divs.
func TestScreensHaveOneH1ThenH2s(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, apptest.AcmeOwner)
	fx := app.CreateIntegration(t, apptest.AcmeOwner, "acme", "Outline")
	tok, _ := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "Outline")
	for _, path := range []string{
		"/settings/acme/", "/settings/acme/members/", "/settings/acme/projects/", "/settings/acme/audit-log/",
		"/settings/acme/releases/", "/settings/acme/repos/", "/settings/acme/auth-tokens/", "/settings/acme/auth-tokens/new-token/",
		"/settings/acme/auth-tokens/" + itoa(tok.ID) + "/", "/settings/acme/developer-settings/",
		"/settings/acme/developer-settings/new-internal/", "/settings/acme/developer-settings/" + fx.Slug + "/",
		"/settings/acme/developer-settings/" + fx.Slug + "/delete/", "/settings/account/details/",
		"/settings/account/security/", "/settings/account/api/auth-tokens/", "/organizations/new/",
	} {
		r := owner.Get(path)
		if r.Status != http.StatusOK {
			t.Errorf("%s: status %d", path, r.Status)
			continue
		}
		main := r.Body[strings.Index(r.Body, `<main`):]
		h1 := strings.Index(main, "<h1")
		if strings.Count(main, "<h1") != 1 || (strings.Contains(main, "<h2") && strings.Index(main, "<h2") < h1) {
			t.Errorf("%s: want one h1 before any h2 in main", path)
		}
		if strings.Contains(main, `<div class="panel-header">`) && !strings.Contains(main, `<h2 class="panel-title">`) {
			t.Errorf("%s: a panel title is not a heading", path)
		}
	}
}

// TestWebhookEventsAreAGroupWithTheirError checks that the event checkboxes are one fieldset,
// named by a legend, that points screen readers at its help and at the error when there is one.
func TestWebhookEventsAreAGroupWithTheirError(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, apptest.AcmeOwner)
	page := owner.Get("/settings/acme/developer-settings/new-internal/")
	if !strings.Contains(page.Body, `<fieldset class="plain events" aria-describedby="events-help"><legend>Webhook events</legend>`) {
		t.Errorf("no events fieldset with a legend: %.4000s", page.Body)
	}
	r := owner.PostForm("/settings/acme/developer-settings/new-internal/", url.Values{"name": {"Hooked"}, "events": {"issue"}})
	if r.Status != http.StatusBadRequest ||
		!strings.Contains(r.Body, `<fieldset class="plain events" aria-describedby="events-help events-error">`) ||
		!strings.Contains(r.Body, `id="events-error"`) {
		t.Errorf("status %d; the events error is not linked to the fieldset: %.6000s", r.Status, r.Body)
	}
}
