package core

import (
	"slices"
	"testing"
)

func TestScopeNamesRoundTrip(t *testing.T) {
	if got := AllScopes.Len(); got != 21 {
		t.Fatalf("there are %d scopes, SPEC lists 21", got)
	}
	for _, s := range AllScopes.Scopes() {
		back, ok := ParseScope(s.String())
		if !ok || back != s {
			t.Errorf("%v does not round-trip", s)
		}
	}
	if _, err := ParseScopeSet([]string{"org:read", "org:bogus"}); ErrorCode(err) != EINVALID {
		t.Errorf("unknown scope: err = %v, want EINVALID", err)
	}
}

func TestScopeExpansionFollowsTheHierarchy(t *testing.T) {
	tests := []struct {
		scope string
		want  []string
	}{
		{"org:admin", []string{"org:admin", "org:integrations", "org:read", "org:write"}},
		{"org:write", []string{"org:read", "org:write"}},
		{"org:read", []string{"org:read"}},
		{"org:integrations", []string{"org:integrations"}},
		{"org:ci", []string{"org:ci"}},
		{"member:admin", []string{"member:admin", "member:invite", "member:read", "member:write"}},
		{"member:write", []string{"member:invite", "member:read", "member:write"}},
		{"member:invite", []string{"member:invite", "member:read"}},
		{"member:read", []string{"member:read"}},
		{"team:admin", []string{"team:admin", "team:read", "team:write"}},
		{"team:write", []string{"team:read", "team:write"}},
		{"team:read", []string{"team:read"}},
		{"project:admin", []string{"project:admin", "project:read", "project:write"}},
		{"project:write", []string{"project:read", "project:write"}},
		{"project:read", []string{"project:read"}},
		{"project:releases", []string{"project:releases"}},
		{"event:admin", []string{"event:admin", "event:read", "event:write"}},
		{"event:write", []string{"event:read", "event:write"}},
		{"event:read", []string{"event:read"}},
		{"alerts:write", []string{"alerts:read", "alerts:write"}},
		{"alerts:read", []string{"alerts:read"}},
	}
	if len(tests) != AllScopes.Len() {
		t.Fatalf("the table covers %d scopes of %d", len(tests), AllScopes.Len())
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			set, err := ParseScopeSet([]string{tt.scope})
			if err != nil {
				t.Fatal(err)
			}
			if got := set.Expand().Names(); !slices.Equal(got, tt.want) {
				t.Errorf("Expand(%s) = %v, want %v", tt.scope, got, tt.want)
			}
		})
	}
}

func TestScopeNamesAreSorted(t *testing.T) {
	names := AllScopes.Names()
	if !slices.IsSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
}
