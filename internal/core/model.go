package core

import "time"

// User is a person who signs in. It carries no credentials: the password hash stays in the
// store, which alone checks passwords (TestUserCarriesNoSecret keeps it so).
type User struct {
	ID             int64
	Email          string
	Name           string
	Active         bool
	SessionVersion int64
	CreatedAt      time.Time
}

// DisplayName returns the name, or the email when the user gave none.
func (u *User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Org is an organization.
type Org struct {
	ID        int64
	Slug      string
	Name      string
	CreatedAt time.Time
	// Policy is the organization's token policy (DefaultTokenPolicy unless its owners set one).
	Policy TokenPolicy
}

// Membership is a user's role in one organization.
type Membership struct {
	Org       Org
	User      User
	Role      Role
	CreatedAt time.Time
}

// Invite is a pending invitation of an email address to an organization.
type Invite struct {
	ID        int64
	OrgID     int64
	Email     string
	Role      Role
	CreatedAt time.Time
}

// Team is a group of members within an organization.
type Team struct {
	ID        int64
	OrgID     int64
	Slug      string
	Name      string
	CreatedAt time.Time
}

// Project belongs to an organization and optionally to a team.
type Project struct {
	ID        int64
	OrgID     int64
	TeamID    int64 // 0 when the project has no team
	Slug      string
	Name      string
	Platform  string
	CreatedAt time.Time
}

// AuditEntry records one security-relevant change in an organization.
type AuditEntry struct {
	ID         int64
	OrgID      int64
	ActorID    int64
	ActorEmail string
	Event      string
	Target     string
	IP         string
	CreatedAt  time.Time
}

// Audit events.
const (
	AuditOrgTokenCreated         = "org-auth-token.create"
	AuditOrgTokenRenamed         = "org-auth-token.rename"
	AuditOrgTokenRevoked         = "org-auth-token.remove"
	AuditIntegrationCreated      = "sentry-app.add"
	AuditIntegrationEdited       = "sentry-app.edit"
	AuditIntegrationDeleted      = "sentry-app.remove"
	AuditIntegrationTokenCreated = "sentry-app-token.add"
	AuditIntegrationTokenRotated = "sentry-app-token.rotate"
	AuditIntegrationTokenRevoked = "sentry-app-token.remove"
	AuditMemberAdded             = "member.add"
	AuditMemberInvited           = "member.invite"
	AuditMemberRoleChanged       = "member.edit"
	AuditMemberRemoved           = "member.remove"
	AuditOrgCreated              = "org.create"
	// AuditTokenExposed is a token of the organization reported exposed; the target says
	// where, and whether it was revoked because of it.
	AuditTokenExposed       = "auth-token.exposed"
	AuditOrgTokenRotated    = "org-auth-token.rotate"
	AuditTokenPolicyChanged = "org.token-policy.edit"
	AuditRepositoryAdded    = "repo.add"
	AuditRepositoryRemoved  = "repo.remove"
)

// AuditEvents lists the audit events with what each says happened, as a verb phrase that
// the audit log completes with the entry's target: "added org auth token ci-upload".
var AuditEvents = []struct{ Event, Phrase string }{
	{AuditOrgTokenCreated, "added org auth token"},
	{AuditOrgTokenRenamed, "renamed org auth token"},
	{AuditOrgTokenRevoked, "removed org auth token"},
	{AuditIntegrationCreated, "added integration"},
	{AuditIntegrationEdited, "edited integration"},
	{AuditIntegrationDeleted, "removed integration"},
	{AuditIntegrationTokenCreated, "added integration token"},
	{AuditIntegrationTokenRotated, "rotated integration token"},
	{AuditIntegrationTokenRevoked, "removed integration token"},
	{AuditMemberAdded, "added member"},
	{AuditMemberInvited, "invited member"},
	{AuditMemberRoleChanged, "changed the role of member"},
	{AuditMemberRemoved, "removed member"},
	{AuditOrgCreated, "created the organization"},
	{AuditTokenExposed, "was told of an exposed token:"},
	{AuditOrgTokenRotated, "rotated org auth token"},
	{AuditTokenPolicyChanged, "changed the token policy:"},
	{AuditRepositoryAdded, "added repository"},
	{AuditRepositoryRemoved, "removed repository"},
}

// IsAuditEvent reports whether event is one of the audit events.
func IsAuditEvent(event string) bool {
	return AuditPhrase(event) != ""
}

// AuditPhrase returns what an audit event says happened ("added org auth token"), or "".
func AuditPhrase(event string) string {
	for _, e := range AuditEvents {
		if e.Event == event {
			return e.Phrase
		}
	}
	return ""
}

// Sentence is the entry as the audit log reads: "added org auth token ci-upload (…)". An
// event without a phrase (written by a newer version, say) shows its code.
func (e AuditEntry) Sentence() string {
	phrase := AuditPhrase(e.Event)
	if phrase == "" {
		phrase = e.Event
	}
	if e.Target == "" {
		return phrase
	}
	return phrase + " " + e.Target
}

// Page asks for one page of a list: at most Limit rows after skipping Offset.
type Page struct {
	Offset int
	Limit  int
}

// Normalize clamps the page to sane bounds so a request cannot ask for everything at once.
func (p Page) Normalize(defaultLimit, maxLimit int) Page {
	if p.Limit <= 0 {
		p.Limit = defaultLimit
	}
	if p.Limit > maxLimit {
		p.Limit = maxLimit
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}
