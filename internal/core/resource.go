package core

// Resource is one row of the permission selects on the user-token and integration forms.
type Resource struct {
	Key    string // form field name
	Label  string
	Levels []AccessLevel // the levels this resource offers, No Access first
	// Help is Sentry's line under the select: what the resource covers.
	Help string
}

// AccessLevel is one option of a resource's select.
type AccessLevel string

// The access levels of the permission selects.
const (
	NoAccess  AccessLevel = "no-access"
	Read      AccessLevel = "read"
	ReadWrite AccessLevel = "write"
	Admin     AccessLevel = "admin"
)

// Label returns the level's display text.
func (l AccessLevel) Label() string {
	switch l {
	case Read:
		return "Read"
	case ReadWrite:
		return "Read & Write"
	case Admin:
		return "Admin"
	}
	return "No Access"
}

// Resources lists the permission selects in Sentry's order, each with only the levels it allows
// and Sentry's help text (SENTRY_APP_PERMISSIONS in its static/app/constants).
var Resources = []Resource{
	{"project", "Project", []AccessLevel{NoAccess, Read, ReadWrite, Admin}, "Projects, Tags, Debug Files, and Feedback"},
	{"team", "Team", []AccessLevel{NoAccess, Read, ReadWrite, Admin}, "Teams of members"},
	{"release", "Release", []AccessLevel{NoAccess, Admin}, "Releases, Commits, and related Files"},
	{"event", "Issue & Event", []AccessLevel{NoAccess, Read, ReadWrite, Admin}, "Issues, Events, and workflow statuses"},
	{"org", "Organization", []AccessLevel{NoAccess, Read, ReadWrite, Admin}, "Manage Organizations, resolve IDs, retrieve Repositories and Commits"},
	{"member", "Member", []AccessLevel{NoAccess, Read, ReadWrite, Admin}, "Manage Members within Teams"},
	{"alerts", "Alerts", []AccessLevel{NoAccess, Read, ReadWrite}, "Manage Alerts"},
}

// levelScopes gives, per resource and level, the scopes the level grants (already expanded).
var levelScopes = map[string]map[AccessLevel]ScopeSet{
	"project": {
		Read:      NewScopeSet(ScopeProjectRead),
		ReadWrite: NewScopeSet(ScopeProjectRead, ScopeProjectWrite),
		Admin:     NewScopeSet(ScopeProjectRead, ScopeProjectWrite, ScopeProjectAdmin),
	},
	"team": {
		Read:      NewScopeSet(ScopeTeamRead),
		ReadWrite: NewScopeSet(ScopeTeamRead, ScopeTeamWrite),
		Admin:     NewScopeSet(ScopeTeamRead, ScopeTeamWrite, ScopeTeamAdmin),
	},
	"release": {
		Admin: NewScopeSet(ScopeProjectReleases),
	},
	"event": {
		Read:      NewScopeSet(ScopeEventRead),
		ReadWrite: NewScopeSet(ScopeEventRead, ScopeEventWrite),
		Admin:     NewScopeSet(ScopeEventRead, ScopeEventWrite, ScopeEventAdmin),
	},
	"org": {
		Read:      NewScopeSet(ScopeOrgRead),
		ReadWrite: NewScopeSet(ScopeOrgRead, ScopeOrgWrite),
		Admin:     NewScopeSet(ScopeOrgRead, ScopeOrgWrite, ScopeOrgAdmin, ScopeOrgIntegrations),
	},
	"member": {
		Read:      NewScopeSet(ScopeMemberRead),
		ReadWrite: NewScopeSet(ScopeMemberRead, ScopeMemberWrite),
		Admin:     NewScopeSet(ScopeMemberRead, ScopeMemberWrite, ScopeMemberAdmin),
	},
	"alerts": {
		Read:      NewScopeSet(ScopeAlertsRead),
		ReadWrite: NewScopeSet(ScopeAlertsRead, ScopeAlertsWrite),
	},
}

// Permissions is a choice of level per resource key, as submitted by the permission selects.
type Permissions map[string]AccessLevel

// Scopes flattens the choice into a hierarchy-expanded scope set. A level that the resource
// does not offer, or an unknown resource, is a validation error naming that field.
func (p Permissions) Scopes() (ScopeSet, error) {
	var set ScopeSet
	for key, level := range p {
		res, ok := resourceByKey(key)
		if !ok {
			return 0, FieldError(key, "Unknown resource.")
		}
		if !res.offers(level) {
			return 0, FieldError(key, "Select a valid choice. "+string(level)+" is not one of the available choices.")
		}
		set |= levelScopes[key][level]
	}
	return set.Expand(), nil
}

// PermissionsFor returns, per resource, the highest level whose scopes the set holds: the
// inverse of Scopes, used to fill the selects of an existing integration.
func PermissionsFor(set ScopeSet) Permissions {
	p := Permissions{}
	for _, res := range Resources {
		p[res.Key] = NoAccess
		for _, level := range res.Levels {
			if level != NoAccess && set.Contains(levelScopes[res.Key][level]) {
				p[res.Key] = level
			}
		}
	}
	return p
}

func resourceByKey(key string) (Resource, bool) {
	for _, r := range Resources {
		if r.Key == key {
			return r, true
		}
	}
	return Resource{}, false
}

func (r Resource) offers(level AccessLevel) bool {
	for _, l := range r.Levels {
		if l == level {
			return true
		}
	}
	return false
}
