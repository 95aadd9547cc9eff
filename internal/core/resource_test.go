package core_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

// specLevelScopes is SPEC 3.4's permission table, written out as the scopes each choice stores
// (hierarchy-expanded and sorted). A dash in the SPEC is a level the select does not offer.
var specLevelScopes = map[string]map[core.AccessLevel]string{
	"project": {
		core.Read:      "project:read",
		core.ReadWrite: "project:read project:write",
		core.Admin:     "project:admin project:read project:write",
	},
	"team": {
		core.Read:      "team:read",
		core.ReadWrite: "team:read team:write",
		core.Admin:     "team:admin team:read team:write",
	},
	"release": {
		core.Admin: "project:releases",
	},
	"event": {
		core.Read:      "event:read",
		core.ReadWrite: "event:read event:write",
		core.Admin:     "event:admin event:read event:write",
	},
	"org": {
		core.Read:      "org:read",
		core.ReadWrite: "org:read org:write",
		core.Admin:     "org:admin org:integrations org:read org:write",
	},
	"member": {
		// member:write implies member:invite (SPEC 1), so Read & Write stores it too.
		core.Read:      "member:read",
		core.ReadWrite: "member:invite member:read member:write",
		core.Admin:     "member:admin member:invite member:read member:write",
	},
	"alerts": {
		core.Read:      "alerts:read",
		core.ReadWrite: "alerts:read alerts:write",
	},
}

// specResources is the order and the labels of SPEC 3.4's selects.
var specResources = []struct{ key, label string }{
	{"project", "Project"}, {"team", "Team"}, {"release", "Release"}, {"event", "Issue & Event"},
	{"org", "Organization"}, {"member", "Member"}, {"alerts", "Alerts"},
}

// everyLevel lists each resource with each level it offers, No Access included.
func everyLevel() (out []struct {
	Resource string
	Level    core.AccessLevel
}) {
	for _, res := range core.Resources {
		for _, level := range res.Levels {
			out = append(out, struct {
				Resource string
				Level    core.AccessLevel
			}{res.Key, level})
		}
	}
	return out
}

func TestResourcesAreSpecsSelectsInOrder(t *testing.T) {
	if len(core.Resources) != len(specResources) {
		t.Fatalf("%d resources, SPEC has %d", len(core.Resources), len(specResources))
	}
	for i, want := range specResources {
		res := core.Resources[i]
		if res.Key != want.key || res.Label != want.label {
			t.Errorf("resource %d = %s %q, want %s %q", i, res.Key, res.Label, want.key, want.label)
		}
		// The select offers No Access first, then exactly the levels the SPEC's row fills in.
		wantLevels := []core.AccessLevel{core.NoAccess}
		for _, l := range []core.AccessLevel{core.Read, core.ReadWrite, core.Admin} {
			if _, ok := specLevelScopes[want.key][l]; ok {
				wantLevels = append(wantLevels, l)
			}
		}
		if !slices.Equal(res.Levels, wantLevels) {
			t.Errorf("%s offers %v, want %v", want.key, res.Levels, wantLevels)
		}
	}
}

func TestEveryResourceLevelStoresSpecsScopes(t *testing.T) {
	for _, c := range everyLevel() {
		t.Run(c.Resource+"/"+string(c.Level), func(t *testing.T) {
			set, err := core.Permissions{c.Resource: c.Level}.Scopes()
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.Join(set.Names(), " "), specLevelScopes[c.Resource][c.Level]; got != want {
				t.Errorf("scopes = %q, want %q", got, want)
			}
		})
	}
}

func TestPermissionsAddUpSortedAndExpanded(t *testing.T) {
	cases := []struct {
		name  string
		perms core.Permissions
		want  string
	}{
		{"nothing chosen", core.Permissions{}, ""},
		{"all no access", core.Permissions{"project": core.NoAccess, "org": core.NoAccess, "alerts": core.NoAccess}, ""},
		{"project read & write and release admin", core.Permissions{"project": core.ReadWrite, "release": core.Admin},
			"project:read project:releases project:write"},
		{"organization admin and member read", core.Permissions{"org": core.Admin, "member": core.Read},
			"member:read org:admin org:integrations org:read org:write"},
		{"everything at its highest", core.Permissions{"project": core.Admin, "team": core.Admin, "release": core.Admin,
			"event": core.Admin, "org": core.Admin, "member": core.Admin, "alerts": core.ReadWrite},
			"alerts:read alerts:write event:admin event:read event:write member:admin member:invite member:read member:write " +
				"org:admin org:integrations org:read org:write project:admin project:read project:releases project:write " +
				"team:admin team:read team:write"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set, err := c.perms.Scopes()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(set.Names(), " "); got != c.want {
				t.Errorf("scopes = %q, want %q", got, c.want)
			}
		})
	}
}

func TestPermissionsRefuseLevelsTheSelectDoesNotOffer(t *testing.T) {
	cases := []struct {
		resource string
		level    core.AccessLevel
	}{
		{"release", core.Read},
		{"release", core.ReadWrite},
		{"alerts", core.Admin},
		{"project", "owner"},
		{"project", ""},
		{"billing", core.Read},
	}
	for _, c := range cases {
		t.Run(c.resource+"/"+string(c.level), func(t *testing.T) {
			_, err := core.Permissions{c.resource: c.level}.Scopes()
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("err = %v, want a validation error", err)
			}
			if core.ErrorFields(err)[c.resource] == "" {
				t.Errorf("the error names no field %q: %v", c.resource, core.ErrorFields(err))
			}
		})
	}
}

func TestPermissionsForInvertsEveryLevel(t *testing.T) {
	for _, c := range everyLevel() {
		t.Run(c.Resource+"/"+string(c.Level), func(t *testing.T) {
			set, err := core.Permissions{c.Resource: c.Level}.Scopes()
			if err != nil {
				t.Fatal(err)
			}
			got := core.PermissionsFor(set)
			if got[c.Resource] != c.Level {
				t.Errorf("PermissionsFor(%v)[%s] = %s, want %s", set, c.Resource, got[c.Resource], c.Level)
			}
		})
	}
}
