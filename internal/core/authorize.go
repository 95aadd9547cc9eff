package core

// Authorization is decided in one place: Authorize, below. The store calls it at the top of
// every service method that reads or changes an organization, and the API layer calls it
// before a handler runs, so that the rules cannot drift apart between the two.

// NoRole is the role of an actor who is not a member of the organization.
const NoRole Role = ""

// Rule is what one action requires in an organization: any one of its scopes, as with Sentry's
// ScopedPermission maps.
type Rule struct {
	// Name says what the rule guards, for tests and error reports; it is never shown.
	Name string
	// AnyOf admits an actor holding at least one of these scopes in the organization. An empty
	// set admits nobody but the console operator: a rule fails closed.
	AnyOf ScopeSet
	// MembersOnly refuses org and integration tokens, which hold no role, whatever their
	// scopes: the settings screens (members, organization tokens, integrations, the audit log)
	// belong to people, as in Sentry, where a token cannot reach these endpoints.
	MembersOnly bool
}

// The rules of the services. Each names the scopes a role must hold for it; Role's Can…
// predicates are these rules applied to a role, so the screens and the services agree.
var (
	// RuleUpdateOrg renames the organization.
	RuleUpdateOrg = Rule{Name: "update organization", AnyOf: NewScopeSet(ScopeOrgWrite)}
	// RuleReadMembers lists members and reads another member's membership (Sentry's
	// OrganizationMemberPermission GET).
	RuleReadMembers = Rule{Name: "read members",
		AnyOf: NewScopeSet(ScopeMemberRead, ScopeMemberWrite, ScopeMemberAdmin)}
	// RuleManageMembers lists invitations, adds, changes and removes members.
	RuleManageMembers = Rule{Name: "manage members", AnyOf: NewScopeSet(ScopeMemberAdmin), MembersOnly: true}
	// RuleReadProjects lists and finds projects: everyone who may read the organization or its
	// projects, and everyone who may act on a project's releases, which names the project.
	RuleReadProjects = Rule{Name: "read projects", AnyOf: NewScopeSet(
		ScopeOrgRead, ScopeOrgWrite, ScopeOrgAdmin,
		ScopeProjectRead, ScopeProjectWrite, ScopeProjectAdmin, ScopeProjectReleases, ScopeOrgCI)}
	// RuleReadTeams lists teams: team readers, and project readers, since a project is shown
	// with its teams (sentry-cli's "projects list" runs with an org token's org:ci).
	RuleReadTeams = Rule{Name: "read teams",
		AnyOf: RuleReadProjects.AnyOf | NewScopeSet(ScopeTeamRead, ScopeTeamWrite, ScopeTeamAdmin)}
	// RuleCreateTeam adds a team.
	RuleCreateTeam = Rule{Name: "create team", AnyOf: NewScopeSet(ScopeTeamWrite)}
	// RuleCreateProject adds a project.
	RuleCreateProject = Rule{Name: "create project", AnyOf: NewScopeSet(ScopeProjectWrite)}
	// RuleDeleteProject removes a project.
	RuleDeleteProject = Rule{Name: "delete project", AnyOf: NewScopeSet(ScopeProjectAdmin)}
	// RuleReadAuditLog reads the audit log (owners and managers).
	RuleReadAuditLog = Rule{Name: "read audit log", AnyOf: NewScopeSet(ScopeOrgWrite), MembersOnly: true}
	// RuleUseOrgTokens lists, creates and renames organization tokens: every role but billing.
	RuleUseOrgTokens = Rule{Name: "use org tokens", AnyOf: NewScopeSet(ScopeOrgRead), MembersOnly: true}
	// RuleRevokeOrgTokens revokes organization tokens (owners and managers).
	RuleRevokeOrgTokens = Rule{Name: "revoke org tokens", AnyOf: NewScopeSet(ScopeOrgWrite), MembersOnly: true}
	// RuleReadIntegrations lists and shows internal integrations: every role but billing.
	RuleReadIntegrations = Rule{Name: "read integrations", AnyOf: NewScopeSet(ScopeOrgRead), MembersOnly: true}
	// RuleManageIntegrations creates and edits internal integrations and lists, issues,
	// rotates and revokes their tokens: owners and managers (SPEC 3.5, "Manager or Owner
	// permissions are required"). Admins hold org:integrations but not this rule.
	RuleManageIntegrations = Rule{Name: "manage integrations", AnyOf: NewScopeSet(ScopeOrgWrite), MembersOnly: true}
	// RuleDeleteIntegrations deletes internal integrations: owners only (org:admin), as in Sentry.
	RuleDeleteIntegrations = Rule{Name: "delete integrations", AnyOf: NewScopeSet(ScopeOrgAdmin), MembersOnly: true}
	// RuleManageTokenPolicies changes the organization's token policies: owners only.
	RuleManageTokenPolicies = Rule{Name: "manage token policies", AnyOf: NewScopeSet(ScopeOrgAdmin), MembersOnly: true}
	// RuleReadTokenPolicies reads them: every member who may use org tokens, so the create
	// forms can offer only what fits.
	RuleReadTokenPolicies = Rule{Name: "read token policies", AnyOf: NewScopeSet(ScopeOrgRead), MembersOnly: true}
	// RuleReadReleases, RuleWriteReleases and RuleDeleteReleases guard the release API.
	RuleReadReleases   = Rule{Name: "read releases", AnyOf: ReleaseReadScopes}
	RuleWriteReleases  = Rule{Name: "write releases", AnyOf: ReleaseWriteScopes}
	RuleDeleteReleases = Rule{Name: "delete releases", AnyOf: ReleaseDeleteScopes}
)

// AllowsRole reports whether a session user holding role passes the rule.
func (r Rule) AllowsRole(role Role) bool { return role.Scopes().HasAny(r.AnyOf) }

// The messages of the authorization errors; the API and the screens show them as they are.
const (
	msgNoCredentials    = "Authentication credentials were not provided."
	msgNoSuchResource   = "The requested resource does not exist."
	msgPermissionDenied = "You do not have permission to perform this action."
)

// EffectiveScopes returns what the actor may do in the organization orgID, where the actor's
// user (if any) holds role (NoRole for none):
//   - the console operator holds every scope;
//   - a session user holds their role's scopes;
//   - a user token holds its own scopes ∩ its user's current role there, none for a non-member;
//   - an org or integration token holds its own scopes in its own organization, none elsewhere;
//   - an anonymous actor holds none.
func EffectiveScopes(a Actor, orgID int64, role Role) ScopeSet {
	switch {
	case a.Operator:
		return AllScopes
	case a.User == nil && a.Token != nil:
		if a.Token.OrgID != orgID {
			return 0
		}
		return a.Token.Scopes
	case a.User == nil:
		return 0
	case a.Token != nil:
		return EffectiveUserTokenScopes(a.Token.Scopes, role, role != NoRole)
	}
	return role.Scopes()
}

// Authorize decides whether the actor may do what rule guards in the organization orgID,
// where the actor's user (if any) holds role (NoRole when not a member). It is pure: the
// caller reads the role, in the transaction that acts when there is one. It returns nil or:
//   - EUNAUTHORIZED without credentials;
//   - EFORBIDDEN for an org or integration token on a members-only rule, in any organization;
//   - ENOTFOUND for a non-member and for a token of another organization, so that an
//     organization's contents are not revealed to outsiders;
//   - EFORBIDDEN when the actor's effective scopes (EffectiveScopes) hold none of rule.AnyOf.
//
// The console operator passes every rule.
func Authorize(a Actor, orgID int64, role Role, rule Rule) error {
	switch {
	case a.Operator:
		return nil
	case a.User == nil && a.Token == nil:
		return Errorf(EUNAUTHORIZED, msgNoCredentials)
	case a.User == nil: // an org or integration token
		if rule.MembersOnly {
			return Errorf(EFORBIDDEN, msgPermissionDenied)
		}
		if a.Token.OrgID != orgID {
			return Errorf(ENOTFOUND, msgNoSuchResource)
		}
	case role == NoRole:
		return Errorf(ENOTFOUND, msgNoSuchResource)
	}
	if !EffectiveScopes(a, orgID, role).HasAny(rule.AnyOf) {
		return Errorf(EFORBIDDEN, msgPermissionDenied)
	}
	return nil
}
