package core_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// intersect returns the words of a that are also in b, sorted: the SPEC's rule computed on
// scope names, independently of ScopeSet's bit operations.
func intersect(a, b string) string {
	var out []string
	for _, s := range strings.Fields(a) {
		if slices.Contains(strings.Fields(b), s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func mustScopes(t *testing.T, names string) core.ScopeSet {
	t.Helper()
	set, err := core.ParseScopeSet(strings.Fields(names))
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// TestEffectiveUserTokenScopesForEveryRoleAndLevel: a token made with any one choice of the
// permission selects acts, in an organization, with exactly its scopes ∩ the role's scopes,
// and with nothing where its user is not a member. The roles' scopes are checked against
// SPEC's table by TestRoleScopesMatchSentryRoles.
func TestEffectiveUserTokenScopesForEveryRoleAndLevel(t *testing.T) {
	for _, role := range core.Roles {
		for _, c := range everyLevel() {
			t.Run(string(role)+"/"+c.Resource+"/"+string(c.Level), func(t *testing.T) {
				token := specLevelScopes[c.Resource][c.Level]
				got := core.EffectiveUserTokenScopes(mustScopes(t, token), role, true)
				if want := intersect(token, strings.Join(role.Scopes().Names(), " ")); strings.Join(got.Names(), " ") != want {
					t.Errorf("as %s: %v, want %q", role, got.Names(), want)
				}
				if none := core.EffectiveUserTokenScopes(mustScopes(t, token), role, false); none != 0 {
					t.Errorf("as a non-member: %v, want nothing", none.Names())
				}
			})
		}
	}
}

func TestEffectiveUserTokenScopes(t *testing.T) {
	all := core.AllScopes
	cases := []struct {
		name     string
		token    string
		role     core.Role
		isMember bool
		want     string
	}{
		{"member's org admin token acts with org:read only", "org:admin org:integrations org:read org:write", core.RoleMember, true, "org:read"},
		{"admin's org admin token keeps integrations but not write", "org:admin org:integrations org:read org:write", core.RoleAdmin, true, "org:integrations org:read"},
		{"owner's org admin token keeps all of it", "org:admin org:integrations org:read org:write", core.RoleOwner, true, "org:admin org:integrations org:read org:write"},
		{"member's project admin token reads projects", "project:admin project:read project:write", core.RoleMember, true, "project:read"},
		{"billing gets nothing whatever the token says", strings.Join(all.Names(), " "), core.RoleBilling, true, ""},
		{"removed from the organization: nothing", "org:read", core.RoleOwner, false, ""},
		{"org:ci is never granted by a role", "org:ci project:releases", core.RoleOwner, true, "project:releases"},
		{"unexpanded scopes are expanded first", "member:write", core.RoleMember, true, "member:invite member:read"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := core.EffectiveUserTokenScopes(mustScopes(t, c.token), c.role, c.isMember)
			if strings.Join(got.Names(), " ") != c.want {
				t.Errorf("effective scopes = %v, want %q", got.Names(), c.want)
			}
		})
	}
}

func TestNewUserTokenValidate(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	past, soon, farAway := now.Add(-time.Second), now.Add(time.Hour), now.Add(400*24*time.Hour)
	cases := []struct {
		name       string
		in         core.NewUserToken
		wantFields []string // sorted; nil when valid
		wantName   string
		wantScopes string
	}{
		{"valid without a name", core.NewUserToken{Scopes: mustScopes(t, "project:write")}, nil, "", "project:read project:write"},
		{"name is trimmed", core.NewUserToken{Name: "  CI  ", Scopes: mustScopes(t, "org:read")}, nil, "CI", "org:read"},
		{"expiry in the future", core.NewUserToken{Scopes: mustScopes(t, "org:read"), ExpiresAt: &soon}, nil, "", "org:read"},
		{"no scopes", core.NewUserToken{Name: "x"}, []string{"scopes"}, "", ""},
		{"name too long", core.NewUserToken{Name: strings.Repeat("n", 256), Scopes: mustScopes(t, "org:read")}, []string{"name"}, "", ""},
		{"255 characters are fine", core.NewUserToken{Name: strings.Repeat("é", 255), Scopes: mustScopes(t, "org:read")}, nil, strings.Repeat("é", 255), "org:read"},
		{"expiry in the past", core.NewUserToken{Scopes: mustScopes(t, "org:read"), ExpiresAt: &past}, []string{"expiration"}, "", ""},
		{"expiry beyond a year", core.NewUserToken{Scopes: mustScopes(t, "org:read"), ExpiresAt: &farAway}, []string{"expiration"}, "", ""},
		{"every problem at once", core.NewUserToken{Name: strings.Repeat("n", 256), ExpiresAt: &past}, []string{"expiration", "name", "scopes"}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := c.in
			err := n.Validate(now)
			if c.wantFields == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if n.Name != c.wantName || strings.Join(n.Scopes.Names(), " ") != c.wantScopes {
					t.Errorf("validated to name %q scopes %v, want %q %q", n.Name, n.Scopes.Names(), c.wantName, c.wantScopes)
				}
				return
			}
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("err = %v, want a validation error", err)
			}
			var fields []string
			for f := range core.ErrorFields(err) {
				fields = append(fields, f)
			}
			slices.Sort(fields)
			if !slices.Equal(fields, c.wantFields) {
				t.Errorf("fields = %v, want %v", fields, c.wantFields)
			}
		})
	}
}

func TestUserTokenLabelNeverHoldsMoreThanTheLastFour(t *testing.T) {
	cases := []struct {
		token core.UserToken
		want  string
	}{
		{core.UserToken{Name: "deploy", LastChars: "a1b2"}, "deploy (************a1b2)"},
		{core.UserToken{LastChars: "a1b2"}, "************a1b2"},
	}
	for _, c := range cases {
		if got := c.token.Label(); got != c.want {
			t.Errorf("Label() = %q, want %q", got, c.want)
		}
	}
}

func TestTokenNamesRefuseControlCharacters(t *testing.T) {
	for _, name := range []string{"CI\nUser ops@evil.example has", "tab\there", "bell\a", "c1\u0085x"} {
		if _, err := core.ValidateTokenName(name, true); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("core.ValidateTokenName(%q) = %v, want EINVALID", name, err)
		}
	}
	if got, err := core.ValidateTokenName("  Déploiement — prod ✓  ", true); err != nil || got != "Déploiement — prod ✓" {
		t.Errorf("a printable name: %q, %v", got, err)
	}
}

// Issue 10 item 9: no route lets a user token use org:ci, so a user token may not hold it,
// alone or with other scopes; the message is on the scopes field.
func TestUserTokenRefusesOrgCI(t *testing.T) {
	now := time.Now()
	for _, scopes := range []core.ScopeSet{core.NewScopeSet(core.ScopeOrgCI), core.NewScopeSet(core.ScopeOrgCI, core.ScopeOrgRead, core.ScopeProjectReleases)} {
		n := core.NewUserToken{Name: "ci", Scopes: scopes}
		err := n.Validate(now)
		if core.ErrorCode(err) != core.EINVALID || core.ErrorFields(err)["scopes"] != core.MsgUserTokenOrgCI {
			t.Errorf("Validate(%v) = %v, want scopes: %q", scopes.Names(), err, core.MsgUserTokenOrgCI)
		}
	}
	n := core.NewUserToken{Name: "ci", Scopes: core.NewScopeSet(core.ScopeProjectReleases, core.ScopeOrgRead)}
	if err := n.Validate(now); err != nil {
		t.Errorf("Validate(project:releases org:read) = %v", err)
	}
}
