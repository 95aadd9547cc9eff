package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// Issue 10 item 6: every human-readable name goes through one validator, and a screen and
// the API say the same thing about the same input. Before, integration names took NUL and
// CR/LF, org and display names took CR/LF, and U+202E passed everywhere.
func TestNamesRefuseControlAndBidiCharactersEverywhere(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	owner := app.LoginAs(t, "owner@acme.test")
	const (
		msgControl = "The name cannot contain control characters such as line breaks."
		msgBidi    = "The name cannot contain characters that change the text direction."
	)

	screens := []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"org name CR/LF", "/settings/acme/", url.Values{"name": {"Acme\r\nCorp"}}, msgControl},
		{"org name RLO", "/settings/acme/", url.Values{"name": {"\u202eproC emcA"}}, msgBidi},
		{"integration name NUL", "/settings/acme/developer-settings/new-internal/", url.Values{"name": {"Bot\x00"}}, msgControl},
		{"integration name NEL", "/settings/acme/developer-settings/new-internal/", url.Values{"name": {"Bot\u0085x"}}, msgControl},
		{"integration name isolate", "/settings/acme/developer-settings/new-internal/", url.Values{"name": {"Bot\u2066x\u2069"}}, msgBidi},
		{"display name CR/LF", "/settings/account/details/", url.Values{"name": {"Olivia\r\nOwner"}, "email": {"owner@acme.test"}}, msgControl},
		{"display name RLO", "/settings/account/details/", url.Values{"name": {"Olivia\u202e"}, "email": {"owner@acme.test"}}, msgBidi},
		{"org token name RLO", "/settings/acme/auth-tokens/new-token/", url.Values{"name": {"ci\u202eupload"}, "expiration": {"never"}}, msgBidi},
		{"user token name RLO", "/settings/account/api/auth-tokens/new-token/", url.Values{"name": {"ci\u202eupload"}, "scopes": {"org:read"}, "expiration": {"never"}}, msgBidi},
	}
	for _, tc := range screens {
		t.Run("Screen/"+tc.name, func(t *testing.T) {
			r := owner.PostForm(tc.path, tc.form)
			if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, tc.want) {
				t.Fatalf("POST %s: status %d, want 400 with %q:\n%s", tc.path, r.Status, tc.want, r.Body)
			}
		})
	}

	api := []struct {
		name, method, path string
		body               map[string]any
		want               string
	}{
		{"org name CR/LF", http.MethodPut, "/api/0/organizations/acme/", map[string]any{"name": "Acme\r\nCorp"}, msgControl},
		{"org name RLO", http.MethodPut, "/api/0/organizations/acme/", map[string]any{"name": "\u202eproC emcA"}, msgBidi},
		{"team name NEL", http.MethodPost, "/api/0/organizations/acme/teams/", map[string]any{"name": "Te\u0085am", "slug": "t1"}, msgControl},
		{"org token name RLO", http.MethodPost, "/api/0/organizations/acme/org-auth-tokens/", map[string]any{"name": "ci\u202eupload"}, msgBidi},
		{"user token name isolate", http.MethodPost, "/api/0/api-tokens/", map[string]any{"name": "a\u2067b", "scopes": []string{"org:read"}}, msgBidi},
	}
	for _, tc := range api {
		t.Run("API/"+tc.name, func(t *testing.T) {
			r := owner.JSON(tc.method, tc.path, tc.body)
			var got map[string][]string
			if r.Status != http.StatusBadRequest || json.Unmarshal([]byte(r.Body), &got) != nil ||
				len(got["name"]) != 1 || got["name"][0] != tc.want {
				t.Fatalf("%s %s: status %d %s, want 400 {\"name\": [%q]}", tc.method, tc.path, r.Status, r.Body, tc.want)
			}
		})
	}

	// Nothing was stored: the organization keeps its name.
	if org := app.Org(t, "acme"); org.Name != "Acme Corp" {
		t.Errorf("org name is now %q", org.Name)
	}
}
