package views

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// TestLastUsedNamesTheProject checks the dashboards' "Last used" cell: when, and for org
// tokens in which project.
func TestLastUsedNamesTheProject(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	render := func(at *time.Time, project string) string {
		var b strings.Builder
		if err := LastUsed(at, project, now).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	at := now.Add(-5 * time.Second)
	got := render(&at, "web")
	for _, want := range []string{"a few seconds ago", "in project", "<strong>web</strong>", `datetime="2025-06-01T11:59:55Z"`} {
		if !strings.Contains(got, want) {
			t.Errorf("LastUsed = %q, lacks %q", got, want)
		}
	}
	if got := render(nil, ""); !strings.Contains(got, "never used") {
		t.Errorf("LastUsed(nil) = %q", got)
	}
}

// TestOrgTokenListRendersTheExpiry renders the list with an expiring, an expired and a
// non-expiring token: templ calls written inside text were once printed as text
// ("Expires @ExpiryText(t.ExpiresAt, now)").
func TestOrgTokenListRendersTheExpiry(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	soon, past := now.Add(30*24*time.Hour), now.Add(-time.Hour)
	v := OrgTokensView{Now: now, Rows: []OrgTokenRow{
		{Token: core.OrgToken{ID: 1, Name: "expiring", LastChars: "abcd", CreatedAt: now, ExpiresAt: &soon}},
		{Token: core.OrgToken{ID: 2, Name: "expired", LastChars: "efgh", CreatedAt: now, ExpiresAt: &past}},
		{Token: core.OrgToken{ID: 3, Name: "forever", LastChars: "ijkl", CreatedAt: now}},
	}}
	var b strings.Builder
	if err := OrgTokens(Page{}, v).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	got := b.String()
	if strings.Contains(got, "@") || strings.Contains(got, "ExpiryText") {
		t.Errorf("the list prints template code:\n%s", got)
	}
	for _, want := range []string{
		`Expires <time datetime="2025-07-01T12:00:00Z"`, ">in a month</time>",
		`<span class="tag tag-expired" title="Jun 1, 2025, 11:00:00 UTC">Expired</span>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the list lacks %q", want)
		}
	}
	if strings.Contains(got, "Expires <span") {
		t.Errorf("an expired token reads \"Expires Expired\"")
	}
}

// TestLastAccessLinksTheProject: Sentry names the project and links to it.
func TestLastAccessLinksTheProject(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := now.Add(-2 * time.Minute)
	var b strings.Builder
	if err := LastAccess(&at, ProjectLink{Name: "Web", URL: "/settings/acme/releases/?project=web"}, now).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if want := `in project <a href="/settings/acme/releases/?project=web">Web</a>`; !strings.Contains(b.String(), want) {
		t.Errorf("LastAccess = %q, lacks %q", b.String(), want)
	}
}
