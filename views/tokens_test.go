package views

import (
	"context"
	"strings"
	"testing"
	"time"
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
