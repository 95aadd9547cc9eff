package core

import (
	"strings"
	"testing"
)

// The role table of SPEC section 1 (Sentry's SENTRY_ROLES), written out in full so that a
// change to role.go has to agree with it.
func TestRoleScopesMatchSentryRoles(t *testing.T) {
	member := "org:read project:read project:releases team:read member:read member:invite " +
		"event:read event:write event:admin alerts:read alerts:write"
	tests := []struct {
		role Role
		want string
	}{
		{RoleMember, member},
		{RoleAdmin, member + " project:write project:admin team:write team:admin org:integrations"},
		{RoleManager, "org:read org:write org:integrations member:read member:invite member:write member:admin " +
			"team:read team:write team:admin project:read project:write project:admin project:releases " +
			"event:read event:write event:admin alerts:read alerts:write"},
		{RoleOwner, "org:read org:write org:admin org:integrations member:read member:invite member:write member:admin " +
			"team:read team:write team:admin project:read project:write project:admin project:releases " +
			"event:read event:write event:admin alerts:read alerts:write"},
		{RoleBilling, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			want, err := ParseScopeSet(strings.Fields(tt.want))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.role.Scopes(); got != want {
				t.Errorf("scopes = %v\nwant     %v\nextra    %v\nmissing  %v", got, want, got.Minus(want), want.Minus(got))
			}
			if tt.role.Scopes().Has(ScopeOrgCI) {
				t.Error("no role grants org:ci: it is a token-only scope")
			}
		})
	}
}

func TestRolePermissions(t *testing.T) {
	tests := []struct {
		role                                                          Role
		settings, manageMembers, manageOrgTokens, audit, integrations bool
	}{
		{RoleOwner, true, true, true, true, true},
		{RoleManager, true, true, true, true, true},
		{RoleAdmin, true, false, false, false, false},
		{RoleMember, true, false, false, false, false},
		{RoleBilling, false, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			if got := tt.role.CanSeeSettings(); got != tt.settings {
				t.Errorf("CanSeeSettings = %v", got)
			}
			if got := tt.role.CanManageMembers(); got != tt.manageMembers {
				t.Errorf("CanManageMembers = %v", got)
			}
			if got := tt.role.CanManageOrgTokens(); got != tt.manageOrgTokens {
				t.Errorf("CanManageOrgTokens = %v", got)
			}
			if got := tt.role.CanSeeAuditLog(); got != tt.audit {
				t.Errorf("CanSeeAuditLog = %v", got)
			}
			if got := tt.role.CanManageIntegrations(); got != tt.integrations {
				t.Errorf("CanManageIntegrations = %v", got)
			}
		})
	}
}

func TestManagerCannotGrantOwner(t *testing.T) {
	for _, r := range Roles {
		if got, want := RoleOwner.CanGrant(r), true; got != want {
			t.Errorf("owner grants %s = %v", r, got)
		}
		if got, want := RoleManager.CanGrant(r), r != RoleOwner; got != want {
			t.Errorf("manager grants %s = %v, want %v", r, got, want)
		}
		for _, weak := range []Role{RoleAdmin, RoleMember, RoleBilling} {
			if weak.CanGrant(r) {
				t.Errorf("%s grants %s", weak, r)
			}
		}
	}
}
