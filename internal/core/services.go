package core

import (
	"context"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// NewUser is what sign-up and the operator's "user create" submit.
type NewUser struct {
	Email    string
	Name     string
	Password string
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// Validate checks every field and reports all problems at once, by field.
func (n *NewUser) Validate() error {
	fields := map[string]string{}
	n.Email = strings.TrimSpace(n.Email)
	if msg := ValidateEmail(n.Email); msg != "" {
		fields["email"] = msg
	}
	var msg string
	if n.Name, msg = UserNameField.Check(n.Name); msg != "" {
		fields["name"] = msg
	}
	if msg := ValidatePassword(n.Password); msg != "" {
		fields["password"] = msg
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "Please correct the errors below.", Fields: fields}
	}
	return nil
}

// ValidateEmail returns a message for an unacceptable email address, or "".
func ValidateEmail(email string) string {
	if email == "" {
		return "Enter an email address."
	}
	if len(email) > 254 {
		return "The email address cannot be longer than 254 characters."
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || !strings.Contains(email[strings.LastIndex(email, "@")+1:], ".") && !strings.HasSuffix(email, "@localhost") {
		return "Enter a valid email address."
	}
	return ""
}

// ValidatePassword returns a message for an unacceptable password, or "".
func ValidatePassword(password string) string {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLength:
		return "The password must be at least 8 characters long."
	case len(password) > 72:
		// bcrypt reads at most 72 bytes: refuse rather than silently ignore the rest.
		return "The password cannot be longer than 72 bytes."
	}
	return ""
}

var slugPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// reservedOrgSlugs would collide with fixed URL segments such as /settings/account/.
var reservedOrgSlugs = map[string]bool{"account": true, "new": true, "api": true, "static": true, "auth": true, "organizations": true}

// ValidateOrgSlug is ValidateSlug plus the names organization URLs cannot take.
func ValidateOrgSlug(slug string) string {
	if reservedOrgSlugs[slug] {
		return "This slug is reserved. Choose another."
	}
	return ValidateSlug(slug)
}

// ValidateSlug returns a message for an unacceptable slug, or "".
func ValidateSlug(slug string) string {
	switch {
	case slug == "":
		return "The slug cannot be blank."
	case len(slug) > 50:
		return "The slug cannot be longer than 50 characters."
	case !slugPattern.MatchString(slug):
		return "Enter a valid slug consisting of lowercase letters, numbers or hyphens."
	}
	return ""
}

// Slugify derives a slug from a display name.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// AccountLogEntry is one line of a user's own security log.
type AccountLogEntry struct {
	Event     string
	Target    string
	IP        string
	CreatedAt time.Time
}

// Account log events.
const (
	AccountPasswordChanged = "password.change"
	AccountEmailChanged    = "email.change"
	// AccountSessionEnded is one session signed out from the session list.
	AccountSessionEnded = "session.end"
	// AccountOtherSessionsEnded is "Sign out all other sessions".
	AccountOtherSessionsEnded = "session.end-others"
	AccountUserTokenCreated   = "api-token.create"
	AccountUserTokenRenamed   = "api-token.rename"
	AccountUserTokenRevoked   = "api-token.remove"
	// AccountUserTokenExposed is a token of the user reported exposed (and revoked).
	AccountUserTokenExposed = "api-token.exposed"
	AccountUserTokenRotated = "api-token.rotate"
)

// UserService manages accounts.
type UserService interface {
	// CreateUser validates and stores a new active user.
	CreateUser(ctx context.Context, n NewUser) (*User, error)
	// Authenticate returns the user with that email and password. A wrong password and an
	// unknown email fail with the same error, in about the same time.
	Authenticate(ctx context.Context, email, password string) (*User, error)
	// UserByID returns a user.
	UserByID(ctx context.Context, id int64) (*User, error)
	// UserByEmail returns a user by email, case-insensitively.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// UpdateUserDetails changes the actor's own name and email. A new email needs the current
	// password: security notices go there, so a stolen session must not redirect them; and a
	// new email ends every other session of the actor.
	UpdateUserDetails(ctx context.Context, name, email, password string) (*User, error)
	// ChangePassword changes the actor's password after checking the current one, and ends
	// every other session of the actor (the session version moves on; the request's own
	// session, Actor.SessionID, moves with it).
	ChangePassword(ctx context.Context, current, next string) (*User, error)
	// AccountLog returns the actor's own security log, newest first.
	AccountLog(ctx context.Context, page Page) ([]AccountLogEntry, error)
	// Theme returns a user's color theme, ThemeSystem when they never chose one. Every page
	// reads it for its viewer.
	Theme(ctx context.Context, userID int64) (string, error)
	// SetTheme stores the actor's own color theme (ThemeLight, ThemeDark or ThemeSystem).
	SetTheme(ctx context.Context, theme string) error
}

// AddMemberResult says what adding a member by email did.
type AddMemberResult struct {
	// Invited is true when no account had the email: an invitation was emailed instead.
	Invited bool
}

// OrgService manages organizations, members, teams and projects. Every method that reads or
// changes an organization's contents authorizes the actor with Authorize itself.
type OrgService interface {
	// CreateOrg creates an organization whose owner is the actor.
	CreateOrg(ctx context.Context, slug, name string) (*Org, error)
	// OrgBySlug returns an organization.
	OrgBySlug(ctx context.Context, slug string) (*Org, error)
	// OrgByID returns an organization.
	OrgByID(ctx context.Context, id int64) (*Org, error)
	// UpdateOrg renames an organization (owners and managers).
	UpdateOrg(ctx context.Context, orgID int64, name string) (*Org, error)
	// Membership returns the user's membership in the organization, ENOTFOUND when none.
	Membership(ctx context.Context, orgID, userID int64) (*Membership, error)
	// MemberRole returns the user's role in the organization, and false when they are not a
	// member. The API asks it on every request, so it is answered from memory while nothing
	// has been written since it was last read from the database.
	MemberRole(ctx context.Context, orgID, userID int64) (Role, bool, error)
	// UserMemberships returns the user's memberships, ordered by organization name.
	UserMemberships(ctx context.Context, userID int64) ([]Membership, error)
	// Members returns the organization's members, owners first.
	Members(ctx context.Context, orgID int64) ([]Membership, error)
	// Owners returns the organization's owners.
	Owners(ctx context.Context, orgID int64) ([]User, error)
	// PendingInvites returns the invitations not yet accepted.
	PendingInvites(ctx context.Context, orgID int64) ([]Invite, error)
	// AddMember adds an existing user at once, or emails an invitation to an unknown address.
	AddMember(ctx context.Context, orgID int64, email string, role Role) (AddMemberResult, error)
	// ChangeRole changes a member's role.
	ChangeRole(ctx context.Context, orgID, userID int64, role Role) error
	// RemoveMember removes a member; their tokens stop working in the organization at once.
	RemoveMember(ctx context.Context, orgID, userID int64) error
	// InviteBySecret returns the pending invitation a link's secret redeems, and its org.
	InviteBySecret(ctx context.Context, secret string) (*Invite, *Org, error)
	// AcceptInvite makes the actor a member with the invitation's role.
	AcceptInvite(ctx context.Context, secret string) (*Org, error)
	// Teams returns the organization's teams.
	Teams(ctx context.Context, orgID int64) ([]Team, error)
	// CreateTeam adds a team (team:write).
	CreateTeam(ctx context.Context, orgID int64, slug, name string) (*Team, error)
	// Projects returns the organization's projects.
	Projects(ctx context.Context, orgID int64) ([]Project, error)
	// ProjectBySlug returns one project of the organization.
	ProjectBySlug(ctx context.Context, orgID int64, slug string) (*Project, error)
	// CreateProject adds a project, optionally under a team (project:write).
	CreateProject(ctx context.Context, orgID int64, teamSlug, slug, name string) (*Project, error)
	// DeleteProject removes a project (project:admin).
	DeleteProject(ctx context.Context, orgID int64, slug string) error
	// AuditLog returns a page of the organization's audit log, newest first (org:write):
	// every event, or only those named event (one of the Audit* codes) when it is not "".
	AuditLog(ctx context.Context, orgID int64, event string, page Page) ([]AuditEntry, error)
}

// SecretStore keeps the server's generated secrets, such as the session keys.
type SecretStore interface {
	// Secret returns the named secret, generating and storing size random bytes on first use.
	Secret(ctx context.Context, name string, size int) ([]byte, error)
}
