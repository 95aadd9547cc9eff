package store_test

import (
	"context"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

// TestThemeIsTheUsersOwn: the theme is "system" until chosen, kept per user, changed only by
// its user, and limited to the three choices.
func TestThemeIsTheUsersOwn(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	owner, member := s.as(t, "owner@acme.test"), s.as(t, "member@acme.test")
	ownerUser, err := core.UserFrom(owner)
	if err != nil {
		t.Fatal(err)
	}
	memberUser, _ := core.UserFrom(member)
	if got, err := s.Theme(owner, ownerUser.ID); err != nil || got != core.ThemeSystem {
		t.Fatalf("before any choice: %q, %v; want system", got, err)
	}
	for _, theme := range []string{core.ThemeDark, core.ThemeLight, core.ThemeSystem, core.ThemeDark} {
		if err := s.SetTheme(owner, theme); err != nil {
			t.Fatalf("SetTheme(%s): %v", theme, err)
		}
		if got, _ := s.Theme(owner, ownerUser.ID); got != theme {
			t.Errorf("after choosing %s: %q", theme, got)
		}
	}
	if got, _ := s.Theme(member, memberUser.ID); got != core.ThemeSystem {
		t.Errorf("the owner's choice reached the member: %q", got)
	}
	err = s.SetTheme(owner, "neon")
	if core.ErrorCode(err) != core.EINVALID || core.ErrorFields(err)["theme"] == "" {
		t.Errorf("theme neon: %v, want a field error on theme", err)
	}
	if got, _ := s.Theme(owner, ownerUser.ID); got != core.ThemeDark {
		t.Errorf("a refused choice changed the theme to %q", got)
	}
	if err := s.SetTheme(context.Background(), core.ThemeDark); core.ErrorCode(err) != core.EUNAUTHORIZED {
		t.Errorf("anonymous SetTheme: %v, want EUNAUTHORIZED", err)
	}
}
