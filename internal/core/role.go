package core

// Role is a member's role in an organization.
type Role string

// The roles of Sentry's SENTRY_ROLES, from least to most privileged (billing stands aside).
const (
	RoleBilling Role = "billing"
	RoleMember  Role = "member"
	RoleAdmin   Role = "admin"
	RoleManager Role = "manager"
	RoleOwner   Role = "owner"
)

// Roles lists the roles in the order the Members page offers them.
var Roles = []Role{RoleMember, RoleAdmin, RoleManager, RoleOwner, RoleBilling}

var memberScopes = NewScopeSet(
	ScopeOrgRead, ScopeProjectRead, ScopeProjectReleases, ScopeTeamRead,
	ScopeMemberRead, ScopeMemberInvite, ScopeEventRead, ScopeEventWrite, ScopeEventAdmin,
	ScopeAlertsRead, ScopeAlertsWrite,
)

var adminScopes = memberScopes | NewScopeSet(
	ScopeProjectWrite, ScopeProjectAdmin, ScopeTeamWrite, ScopeTeamAdmin, ScopeOrgIntegrations,
)

var managerScopes = NewScopeSet(
	ScopeOrgRead, ScopeOrgWrite, ScopeOrgIntegrations,
	ScopeMemberRead, ScopeMemberInvite, ScopeMemberWrite, ScopeMemberAdmin,
	ScopeTeamRead, ScopeTeamWrite, ScopeTeamAdmin,
	ScopeProjectRead, ScopeProjectWrite, ScopeProjectAdmin, ScopeProjectReleases,
	ScopeEventRead, ScopeEventWrite, ScopeEventAdmin,
	ScopeAlertsRead, ScopeAlertsWrite,
)

var ownerScopes = managerScopes | NewScopeSet(ScopeOrgAdmin)

// ParseRole returns the role with the given name.
func ParseRole(name string) (Role, bool) {
	for _, r := range Roles {
		if string(r) == name {
			return r, true
		}
	}
	return "", false
}

// Scopes returns the scopes the role grants. They are listed explicitly, as Sentry does, not
// derived through the hierarchy: an admin has team:admin but not org:write.
func (r Role) Scopes() ScopeSet {
	switch r {
	case RoleMember:
		return memberScopes
	case RoleAdmin:
		return adminScopes
	case RoleManager:
		return managerScopes
	case RoleOwner:
		return ownerScopes
	}
	return 0
}

// Label returns the role's display name.
func (r Role) Label() string {
	switch r {
	case RoleMember:
		return "Member"
	case RoleAdmin:
		return "Admin"
	case RoleManager:
		return "Manager"
	case RoleOwner:
		return "Owner"
	case RoleBilling:
		return "Billing"
	}
	return string(r)
}

// Rank orders roles for "may grant" checks: a member may only grant roles of rank ≤ its own.
func (r Role) Rank() int {
	switch r {
	case RoleBilling, RoleMember:
		return 1
	case RoleAdmin:
		return 2
	case RoleManager:
		return 3
	case RoleOwner:
		return 4
	}
	return 0
}

// CanSeeSettings reports whether the role may see the organization's settings screens.
func (r Role) CanSeeSettings() bool { return r.Scopes().Has(ScopeOrgRead) }

// CanManageMembers reports whether the role may add, change and remove members
// (RuleManageMembers).
func (r Role) CanManageMembers() bool { return RuleManageMembers.AllowsRole(r) }

// CanManageOrgTokens reports whether the role may revoke organization tokens: owners and
// managers, who hold org:write (RuleRevokeOrgTokens).
func (r Role) CanManageOrgTokens() bool { return RuleRevokeOrgTokens.AllowsRole(r) }

// CanManageIntegrations reports whether the role may create and edit internal integrations
// and manage their tokens: owners and managers (RuleManageIntegrations).
func (r Role) CanManageIntegrations() bool { return RuleManageIntegrations.AllowsRole(r) }

// CanManageRepositories reports whether the role may add and remove the organization's
// repositories: owners and managers (RuleManageRepositories).
func (r Role) CanManageRepositories() bool { return RuleManageRepositories.AllowsRole(r) }

// CanSeeAuditLog reports whether the role may read the audit log (RuleReadAuditLog).
func (r Role) CanSeeAuditLog() bool { return RuleReadAuditLog.AllowsRole(r) }

// CanGrant reports whether a member holding r may give (or take away) the role other.
// A manager cannot grant or remove owner.
func (r Role) CanGrant(other Role) bool {
	return r.CanManageMembers() && other.Rank() <= r.Rank()
}
