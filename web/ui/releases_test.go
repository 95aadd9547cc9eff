package ui_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// TestReleasesPage checks the dashboard's Releases screen: per project, each release's
// version, creation and release dates.
func TestReleasesPage(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	token := app.MintOrgToken(t, "acme", "CI")
	for _, body := range []string{
		`{"version":"web-1.0","projects":["web"],"dateReleased":"2025-01-01T00:00:00Z"}`,
		`{"version":"web-2.0","projects":["web"]}`,
		`{"version":"api-1.0","projects":["api"]}`,
	} {
		if res := app.Bearer(t, http.MethodPost, "/api/0/organizations/acme/releases/", token, json.RawMessage(body)); res.Status != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.Status, res.Body)
		}
	}
	member := app.LoginAs(t, "member@acme.test")

	t.Run("TheNewestReleasesProjectByDefault", func(t *testing.T) {
		res := member.Get("/settings/acme/releases/")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "api-1.0") || strings.Contains(res.Body, "web-1.0") {
			t.Errorf("status %d, body %.2000s", res.Status, res.Body)
		}
		// A CI job makes a release of web: the page opens on web, not on the first project.
		if res := app.Bearer(t, http.MethodPost, "/api/0/organizations/acme/releases/", token,
			json.RawMessage(`{"version":"web-3.0","projects":["web"]}`)); res.Status != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.Status, res.Body)
		}
		res = member.Get("/settings/acme/releases/")
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "web-3.0") || strings.Contains(res.Body, "api-1.0") ||
			!strings.Contains(res.Body, `aria-current="page">Web<`) {
			t.Errorf("after a release of web: status %d, body %.2000s", res.Status, res.Body)
		}
	})
	t.Run("ChosenProject", func(t *testing.T) {
		res := member.Get("/settings/acme/releases/?project=web")
		body := res.Body
		if res.Status != http.StatusOK || strings.Contains(body, "api-1.0") {
			t.Fatalf("status %d, body %.2000s", res.Status, body)
		}
		// Newest first; web-2.0 is not released yet, web-1.0 was released on 2025-01-01.
		i2, i1 := strings.Index(body, "web-2.0"), strings.Index(body, "web-1.0")
		if i2 < 0 || i1 < 0 || i2 > i1 {
			t.Errorf("versions missing or out of order")
		}
		for _, want := range []string{"Version", "Created", "Date Released", "Unreleased", `datetime="2025-01-01T00:00:00Z"`, `aria-current="page">Web<`} {
			if !strings.Contains(body, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("UnknownProject", func(t *testing.T) {
		if res := member.Get("/settings/acme/releases/?project=nope"); res.Status != http.StatusNotFound {
			t.Errorf("status %d, want 404", res.Status)
		}
	})
	t.Run("BillingCannotSeeIt", func(t *testing.T) {
		if res := app.LoginAs(t, "billing@acme.test").Get("/settings/acme/releases/"); res.Status != http.StatusForbidden {
			t.Errorf("status %d, want 403", res.Status)
		}
	})
}
