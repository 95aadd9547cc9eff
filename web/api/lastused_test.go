package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// TestAPILastUsed checks "last used" for the three kinds: requests write nothing themselves;
// the batched flush records when, and for an org token creating or updating a release, in
// which project.
func TestAPILastUsed(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	tokens := map[string]string{
		"org":         app.MintOrgToken(t, "acme", "CI"),
		"user":        app.MintUserToken(t, "member@acme.test", userTokenScopes, nil),
		"integration": app.MintIntegrationToken(t, "acme", integrationScopes),
	}
	start := time.Now().Add(-time.Second)
	for kind, token := range tokens {
		if res := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/releases/", token, nil); res.Status != http.StatusOK {
			t.Fatalf("%s token: status %d", kind, res.Status)
		}
	}

	t.Run("NothingIsWrittenPerRequest", func(t *testing.T) {
		for kind, token := range tokens {
			if at, _ := app.TokenLastUsed(t, token); at != nil {
				t.Errorf("%s token: last used %v before any flush", kind, at)
			}
		}
	})
	t.Run("FlushRecordsEveryKind", func(t *testing.T) {
		app.FlushUsage(t)
		for kind, token := range tokens {
			at, project := app.TokenLastUsed(t, token)
			if at == nil || at.Before(start.Truncate(time.Second)) || at.After(time.Now()) || project != "" {
				t.Errorf("%s token: last used %v in %q, want just now and no project", kind, at, project)
			}
		}
	})
	t.Run("OrgTokenReleaseRecordsTheProject", func(t *testing.T) {
		org := tokens["org"]
		res := app.Bearer(t, http.MethodPost, "/api/0/organizations/acme/releases/", org,
			json.RawMessage(`{"version":"1.0","projects":["api","web"]}`))
		if res.Status != http.StatusCreated {
			t.Fatalf("status %d, body %s", res.Status, res.Body)
		}
		app.FlushUsage(t)
		if _, project := app.TokenLastUsed(t, org); project != "api" {
			t.Errorf("last used in %q, want api (the first project named)", project)
		}
		res = app.Bearer(t, http.MethodPut, "/api/0/projects/acme/web/releases/1.0/", org,
			json.RawMessage(`{"dateReleased":"2025-01-01T00:00:00Z"}`))
		if res.Status != http.StatusOK {
			t.Fatalf("status %d, body %s", res.Status, res.Body)
		}
		app.FlushUsage(t)
		if _, project := app.TokenLastUsed(t, org); project != "web" {
			t.Errorf("last used in %q after finalizing in web, want web", project)
		}
		// A later request without a project keeps the project.
		app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/releases/", org, nil)
		app.FlushUsage(t)
		if at, project := app.TokenLastUsed(t, org); at == nil || project != "web" {
			t.Errorf("last used %v in %q after a list, want web kept", at, project)
		}
	})
	t.Run("FailedRequestsAreNotUses", func(t *testing.T) {
		token := app.MintUserToken(t, "member@acme.test", core.NewScopeSet(core.ScopeOrgRead), nil)
		app.ExpireToken(t, token)
		app.Bearer(t, http.MethodGet, "/api/0/", token, nil)
		app.FlushUsage(t)
		if at, _ := app.TokenLastUsed(t, token); at != nil {
			t.Errorf("an expired token's refused request was recorded as a use at %v", at)
		}
	})
}
