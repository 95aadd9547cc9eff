package core_test

import (
	"fmt"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

const (
	targetOrg = int64(7)
	otherOrg  = int64(8)
)

// allRules lists every named rule of the services.
var allRules = []core.Rule{
	core.RuleUpdateOrg, core.RuleReadMembers, core.RuleManageMembers, core.RuleReadProjects,
	core.RuleReadTeams, core.RuleCreateTeam, core.RuleCreateProject, core.RuleDeleteProject,
	core.RuleReadAuditLog, core.RuleUseOrgTokens, core.RuleRevokeOrgTokens,
	core.RuleReadIntegrations, core.RuleManageIntegrations, core.RuleDeleteIntegrations,
	core.RuleReadReleases, core.RuleWriteReleases, core.RuleDeleteReleases,
	core.RuleReadRepositories, core.RuleManageRepositories,
}

// everyScope lists each scope alone, the scope sets single-scope tokens are made with.
func everyScope() []core.Scope { return core.AllScopes.Scopes() }

// implies reports whether a token made with scope s holds x, through the hierarchy, written
// out without ScopeSet arithmetic so the table does not restate the code under test.
func implies(s, x core.Scope) bool {
	if s == x {
		return true
	}
	for _, sub := range core.NewScopeSet(s).Expand().Scopes() {
		if sub == x {
			return true
		}
	}
	return false
}

// roleHas reports whether the role lists x, by name, scope by scope.
func roleHas(r core.Role, x core.Scope) bool {
	for _, n := range r.Scopes().Names() {
		if n == x.String() {
			return true
		}
	}
	return false
}

func code(err error) string {
	if err == nil {
		return "allowed"
	}
	return core.ErrorCode(err)
}

// TestAuthorizeTable runs Authorize over every actor kind (session user, user token, org
// token, integration token) × role (every role and none) × token scope (each alone) × same or
// other organization × every rule, against the rules as SPEC states them.
func TestAuthorizeTable(t *testing.T) {
	roles := append([]core.Role{core.NoRole}, core.Roles...)
	cases := 0
	check := func(name string, a core.Actor, role core.Role, rule core.Rule, want string) {
		t.Helper()
		cases++
		if got := code(core.Authorize(a, targetOrg, role, rule)); got != want {
			t.Errorf("%s, rule %q: got %s, want %s", name, rule.Name, got, want)
		}
	}
	for _, rule := range allRules {
		// A session user acts with their role's scopes; a non-member does not see the org.
		for _, role := range roles {
			a := core.Actor{User: &core.User{ID: 1}}
			want := "allowed"
			if role == core.NoRole {
				want = core.ENOTFOUND
			} else if !anyScope(rule, func(x core.Scope) bool { return roleHas(role, x) }) {
				want = core.EFORBIDDEN
			}
			check(fmt.Sprintf("session user, role %q", role), a, role, rule, want)
		}
		for _, s := range everyScope() {
			scopes := core.NewScopeSet(s).Expand()
			// A user token acts with its scopes ∩ its user's current role in the target org;
			// a user who is a member only of another org arrives here with NoRole.
			for _, role := range roles {
				a := core.Actor{User: &core.User{ID: 1}, Token: &core.Principal{Kind: core.TokenUser, Scopes: scopes}}
				want := "allowed"
				if role == core.NoRole {
					want = core.ENOTFOUND
				} else if !anyScope(rule, func(x core.Scope) bool { return implies(s, x) && roleHas(role, x) }) {
					want = core.EFORBIDDEN
				}
				check(fmt.Sprintf("user token %s, role %q", s, role), a, role, rule, want)
			}
			// An org or integration token acts with its own scopes, in its own org only, and
			// never on a members-only rule.
			for _, kind := range []core.TokenKind{core.TokenOrg, core.TokenIntegration} {
				for _, org := range []int64{targetOrg, otherOrg} {
					a := core.Actor{Token: &core.Principal{Kind: kind, OrgID: org, Scopes: scopes}}
					want := "allowed"
					switch {
					case rule.MembersOnly:
						want = core.EFORBIDDEN
					case org != targetOrg:
						want = core.ENOTFOUND
					case !anyScope(rule, func(x core.Scope) bool { return implies(s, x) }):
						want = core.EFORBIDDEN
					}
					// Whatever role is passed in (a token has none), the outcome is the same.
					for _, role := range roles {
						check(fmt.Sprintf("%v token %s, org %d, role %q", kind, s, org, role), a, role, rule, want)
					}
				}
			}
		}
		check("anonymous", core.Actor{}, core.RoleOwner, rule, core.EUNAUTHORIZED)
		check("operator", core.Actor{Operator: true}, core.NoRole, rule, "allowed")
	}
	if want := len(allRules) * (len(roles) + len(everyScope())*(len(roles)+2*2*len(roles)) + 2); cases != want {
		t.Fatalf("ran %d cases, want %d", cases, want)
	}
}

func anyScope(rule core.Rule, holds func(core.Scope) bool) bool {
	for _, x := range rule.AnyOf.Scopes() {
		if holds(x) {
			return true
		}
	}
	return false
}

// TestAuthorizeCases pins outcomes SPEC names, with their messages.
func TestAuthorizeCases(t *testing.T) {
	user := &core.User{ID: 1}
	userToken := func(names ...string) core.Actor {
		s, err := core.ParseScopeSet(names)
		if err != nil {
			t.Fatal(err)
		}
		return core.Actor{User: user, Token: &core.Principal{Kind: core.TokenUser, Scopes: s.Expand()}}
	}
	orgToken := func(org int64) core.Actor {
		return core.Actor{Token: &core.Principal{Kind: core.TokenOrg, OrgID: org, Scopes: core.OrgTokenScopes}}
	}
	integration := func(org int64, names ...string) core.Actor {
		s, _ := core.ParseScopeSet(names)
		return core.Actor{Token: &core.Principal{Kind: core.TokenIntegration, OrgID: org, Scopes: s.Expand()}}
	}
	session := core.Actor{User: user}
	tests := []struct {
		name     string
		actor    core.Actor
		role     core.Role
		rule     core.Rule
		code     string
		message  string
		evidence string
	}{
		{"admin cannot manage integrations", session, core.RoleAdmin, core.RuleManageIntegrations, core.EFORBIDDEN,
			"You do not have permission to perform this action.", "SPEC 3.5: owners/managers create"},
		{"manager manages integrations", session, core.RoleManager, core.RuleManageIntegrations, "", "", "SPEC 3.5"},
		{"manager cannot delete integrations", session, core.RoleManager, core.RuleDeleteIntegrations, core.EFORBIDDEN,
			"You do not have permission to perform this action.", "SPEC 3.5: owners only"},
		{"owner's user token without org:write cannot revoke org tokens", userToken("org:read"), core.RoleOwner,
			core.RuleRevokeOrgTokens, core.EFORBIDDEN, "You do not have permission to perform this action.", "scopes ∩ role"},
		{"member's user token with org:admin cannot revoke org tokens", userToken("org:admin"), core.RoleMember,
			core.RuleRevokeOrgTokens, core.EFORBIDDEN, "You do not have permission to perform this action.", "scopes ∩ role"},
		{"user token of a non-member", userToken("org:admin"), core.NoRole, core.RuleReadProjects, core.ENOTFOUND,
			"The requested resource does not exist.", "non-members are refused"},
		{"org token lists its org's projects", orgToken(targetOrg), core.NoRole, core.RuleReadProjects, "", "", "sentry-cli projects list"},
		{"org token cannot list members", orgToken(targetOrg), core.NoRole, core.RuleReadMembers, core.EFORBIDDEN,
			"You do not have permission to perform this action.", "org:ci only"},
		{"org token of another org", orgToken(otherOrg), core.NoRole, core.RuleWriteReleases, core.ENOTFOUND,
			"The requested resource does not exist.", "own org only"},
		{"integration token with member:admin cannot manage members", integration(targetOrg, "member:admin"), core.NoRole,
			core.RuleManageMembers, core.EFORBIDDEN, "You do not have permission to perform this action.", "members only"},
		{"integration token reads members with member:read", integration(targetOrg, "member:read"), core.NoRole,
			core.RuleReadMembers, "", "", "own scopes"},
		{"integration token of another org", integration(otherOrg, "org:admin"), core.RoleOwner, core.RuleUpdateOrg,
			core.ENOTFOUND, "The requested resource does not exist.", "own org only, whatever role is passed"},
		{"billing sees nothing", session, core.RoleBilling, core.RuleReadMembers, core.EFORBIDDEN,
			"You do not have permission to perform this action.", "billing holds no scope"},
		{"anonymous", core.Actor{}, core.RoleOwner, core.RuleReadReleases, core.EUNAUTHORIZED,
			"Authentication credentials were not provided.", ""},
		{"manager adds repositories", session, core.RoleManager, core.RuleManageRepositories, "", "", "issue 13: owner/manager settings page"},
		{"admin cannot add repositories", session, core.RoleAdmin, core.RuleManageRepositories, core.EFORBIDDEN,
			"You do not have permission to perform this action.", "issue 13: owners and managers only"},
		{"member lists repositories", session, core.RoleMember, core.RuleReadRepositories, "", "", "everyone who reads the org"},
		{"org token lists repositories", orgToken(targetOrg), core.NoRole, core.RuleReadRepositories, "", "", "sentry-cli set-commits"},
		{"integration token with org:admin cannot add repositories", integration(targetOrg, "org:admin"), core.NoRole,
			core.RuleManageRepositories, core.EFORBIDDEN, "You do not have permission to perform this action.", "members only"},
		{"empty rule fails closed", session, core.RoleOwner, core.Rule{Name: "empty"}, core.EFORBIDDEN,
			"You do not have permission to perform this action.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := core.Authorize(tt.actor, targetOrg, tt.role, tt.rule)
			if core.ErrorCode(err) != tt.code {
				t.Fatalf("got %v, want code %q (%s)", err, tt.code, tt.evidence)
			}
			if err != nil && core.ErrorMessage(err) != tt.message {
				t.Errorf("message %q, want %q", core.ErrorMessage(err), tt.message)
			}
		})
	}
}

// TestEffectiveScopes checks what the API hands its handlers as the caller's scopes.
func TestEffectiveScopes(t *testing.T) {
	user := &core.User{ID: 1}
	all := core.AllScopes
	tests := []struct {
		name  string
		actor core.Actor
		role  core.Role
		want  core.ScopeSet
	}{
		{"operator", core.Actor{Operator: true}, core.NoRole, all},
		{"session admin", core.Actor{User: user}, core.RoleAdmin, core.RoleAdmin.Scopes()},
		{"session non-member", core.Actor{User: user}, core.NoRole, 0},
		{"user token", core.Actor{User: user, Token: &core.Principal{Kind: core.TokenUser, Scopes: all}}, core.RoleMember, core.RoleMember.Scopes()},
		{"user token, non-member", core.Actor{User: user, Token: &core.Principal{Kind: core.TokenUser, Scopes: all}}, core.NoRole, 0},
		{"org token, own org", core.Actor{Token: &core.Principal{Kind: core.TokenOrg, OrgID: targetOrg, Scopes: core.OrgTokenScopes}}, core.NoRole, core.OrgTokenScopes},
		{"org token, other org", core.Actor{Token: &core.Principal{Kind: core.TokenOrg, OrgID: otherOrg, Scopes: core.OrgTokenScopes}}, core.RoleOwner, 0},
		{"anonymous", core.Actor{}, core.RoleOwner, 0},
	}
	for _, tt := range tests {
		if got := core.EffectiveScopes(tt.actor, targetOrg, tt.role); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
