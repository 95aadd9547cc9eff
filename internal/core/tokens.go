package core

import (
	"context"
	"strings"
	"time"
)

// OrgToken is an organization auth token (sntrys_), for CI and sentry-cli. Its plaintext is
// never stored: only its hash and last four characters.
type OrgToken struct {
	ID        int64
	OrgID     int64
	Name      string
	LastChars string
	Scopes    ScopeSet
	CreatedBy int64
	CreatedAt time.Time
	ExpiresAt *time.Time
	// LastUsedAt and LastUsedProject (a project slug, "" when none) feed "Last access".
	LastUsedAt        *time.Time
	LastUsedProjectID int64
	LastUsedProject   string
	// LastUsedTarget is the host and path of the last forward-auth use ("" when none).
	LastUsedTarget string
	// LastUsedAction is what the token last did in LastUsedProject ("" when unknown).
	LastUsedAction TokenAction
	// Exposure is set once the token has been reported exposed.
	Exposure *TokenExposure
	// RevokedAt is set only on a token read back after its revocation for an exposure
	// (ExposedTokenService); the live readers never return a revoked token.
	RevokedAt *time.Time
	// ReplacedByID is the successor of a rotated token (0: none); the token then works
	// until ExpiresAt, the end of the overlap.
	ReplacedByID int64
}

// NewOrgToken is what the create form and the API submit.
type NewOrgToken struct {
	Name      string
	ExpiresAt *time.Time
}

// GeneratedOrgTokenName is the name an org token created through the API without one gets
// (SPEC §3.2): "Auth Token" and its creation time in UTC to the second, e.g. "Auth Token
// 2026-03-04 15:04:05 UTC", so that tokens a script creates can still be told apart in the list.
func GeneratedOrgTokenName(now time.Time) string {
	return "Auth Token " + now.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// OrgTokenScopes is the fixed scope set of every org token.
var OrgTokenScopes = NewScopeSet(ScopeOrgCI)

// MaxTokenNameLength is the longest token name accepted.
const MaxTokenNameLength = 255

// ValidateTokenName trims a token name and checks it with TokenNameField; required names
// (org tokens) may not be blank. A newline in a name would let a member forge lines in the
// owners' security email; a bidi override would disguise it.
func ValidateTokenName(name string, required bool) (string, error) {
	f := TokenNameField
	f.Required = required
	return f.Validate(name)
}

// HasControlCharacters reports whether s holds a character IsControlCharacter refuses.
func HasControlCharacters(s string) bool {
	return strings.IndexFunc(s, IsControlCharacter) >= 0
}

// Expired reports whether a token with this expiry has expired at now.
func Expired(expiresAt *time.Time, now time.Time) bool {
	return expiresAt != nil && !now.Before(*expiresAt)
}

// OrgTokenService manages organization auth tokens. Any member (org:read) may list, create and
// rename; only owners and managers (org:write) may revoke.
type OrgTokenService interface {
	// OrgTokens returns a page of the organization's live tokens in Sentry's order: last used
	// first (never used last), then by name, then newest.
	OrgTokens(ctx context.Context, orgID int64, page Page) ([]OrgToken, error)
	// CountOrgTokens counts the organization's live tokens, for the list's "of N".
	CountOrgTokens(ctx context.Context, orgID int64) (int, error)
	// OrgToken returns one live token of the organization; revoked or foreign ids are ENOTFOUND.
	OrgToken(ctx context.Context, orgID, id int64) (*OrgToken, error)
	// CreateOrgToken creates a token and returns it with its plaintext, the only time the
	// plaintext exists outside the client. The audit entry and one security email per owner
	// are written in the same transaction.
	CreateOrgToken(ctx context.Context, orgID int64, n NewOrgToken) (*OrgToken, string, error)
	// RenameOrgToken changes a token's name.
	RenameOrgToken(ctx context.Context, orgID, id int64, name string) (*OrgToken, error)
	// RevokeOrgToken deactivates a token; the next request with it fails.
	RevokeOrgToken(ctx context.Context, orgID, id int64) error
}

// UserToken is a user auth token (sntryu_): it acts for its user, within its scopes.
type UserToken struct {
	ID         int64
	UserID     int64
	Name       string
	LastChars  string
	Scopes     ScopeSet
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	// Exposure is set once the token has been reported exposed.
	Exposure *TokenExposure
	// RevokedAt is set only on a token read back after its revocation for an exposure
	// (ExposedTokenService); the live readers never return a revoked token.
	RevokedAt *time.Time
	// ReplacedByID is the successor of a rotated token (0: none).
	ReplacedByID int64
}

// NewUserToken is what the create form and the API submit. Scopes are stored expanded.
type NewUserToken struct {
	Name      string
	Scopes    ScopeSet
	ExpiresAt *time.Time
	// CreatedAt is when the token was created: with ExpiresAt, its lifetime, which an
	// organization's user-token policy bounds.
	CreatedAt time.Time
}

// MsgUserTokenOrgCI refuses org:ci on a user token.
const MsgUserTokenOrgCI = "org:ci is only for organization auth tokens; a user token cannot use it."

// Validate trims the name, expands the scopes through the hierarchy and checks every field,
// reporting all problems at once by field: the name is optional but at most 255 characters,
// at least one scope is required and org:ci is not one, and an expiry must lie in the future.
func (n *NewUserToken) Validate(now time.Time) error {
	fields := map[string]string{}
	name, err := ValidateTokenName(n.Name, false)
	if err != nil {
		fields["name"] = ErrorMessage(err)
	}
	n.Name = name
	n.Scopes = n.Scopes.Expand()
	switch {
	case n.Scopes == 0:
		fields["scopes"] = "Select at least one permission."
	case n.Scopes.Has(ScopeOrgCI):
		// No route lets a user token use org:ci (web/api_scopes.go lists it only where org
		// tokens belong), so a user token holding it would carry a scope that does nothing.
		fields["scopes"] = MsgUserTokenOrgCI
	}
	if n.ExpiresAt != nil {
		if err := ValidateExpiresAt(*n.ExpiresAt, now); err != nil {
			fields["expiration"] = ErrorMessage(err)
		}
	}
	switch len(fields) {
	case 0:
		return nil
	case 1:
		for field, msg := range fields {
			return FieldError(field, msg)
		}
	}
	return &Error{Code: EINVALID, Message: "Please correct the errors below.", Fields: fields}
}

// Label names a user token in the security log and the security email: its name and masked
// value, or the masked value alone for a token without a name. Never the token itself.
func (t *UserToken) Label() string {
	masked := MaskToken(TokenUser, t.LastChars, false)
	if t.Name == "" {
		return masked
	}
	return t.Name + " (" + masked + ")"
}

// UserTokenService manages the actor's own user auth tokens; nobody reaches another's.
type UserTokenService interface {
	// UserTokens returns the actor's tokens, newest first (expired ones included).
	UserTokens(ctx context.Context) ([]UserToken, error)
	// UserToken returns one of the actor's tokens.
	UserToken(ctx context.Context, id int64) (*UserToken, error)
	// CreateUserToken creates a token and returns its plaintext once; the security email to
	// the user is queued in the same transaction.
	CreateUserToken(ctx context.Context, n NewUserToken) (*UserToken, string, error)
	// RenameUserToken changes (or clears) a token's name.
	RenameUserToken(ctx context.Context, id int64, name string) (*UserToken, error)
	// RevokeUserToken deletes a token; the next request with it fails.
	RevokeUserToken(ctx context.Context, id int64) error
}

// EffectiveUserTokenScopes is what a user token may do in an organization: its own scopes
// intersected with the user's current role there. A non-member has none.
func EffectiveUserTokenScopes(tokenScopes ScopeSet, role Role, isMember bool) ScopeSet {
	if !isMember {
		return 0
	}
	return tokenScopes.Expand().Intersect(role.Scopes())
}

// Integration is an internal integration (a Sentry "custom integration") of an organization.
type Integration struct {
	ID              int64
	OrgID           int64
	Slug            string
	Name            string
	WebhookURL      string
	AlertRuleAction bool
	Events          []string // of "issue", "error", "comment"
	Overview        string
	Scopes          ScopeSet
	CreatedBy       int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// TokenCount is the number of live tokens, filled by list queries.
	TokenCount int
}

// IntegrationToken is a token (sntryi_) of an internal integration.
type IntegrationToken struct {
	ID            int64
	IntegrationID int64
	LastChars     string
	Scopes        ScopeSet
	CreatedAt     time.Time
	LastUsedAt    *time.Time
	// ExpiresAt is set when the organization's "Maximum lifetime" policy bounded the token.
	ExpiresAt *time.Time
	// Exposure is set once the token has been reported exposed.
	Exposure *TokenExposure
	// RevokedAt is set only on a token read back after its revocation for an exposure
	// (ExposedTokenService); the live readers never return a revoked token.
	RevokedAt *time.Time
}

// IntegrationService manages an organization's internal integrations and their tokens. Any
// member (org:read) sees the integrations; owners and managers (org:write) create and edit
// them and see, create, rotate and revoke their tokens; only owners (org:admin) delete one.
// Integrations are named by slug, always within the organization given.
type IntegrationService interface {
	// Integrations returns the organization's integrations by name, with their live token counts.
	Integrations(ctx context.Context, orgID int64) ([]Integration, error)
	// Integration returns one integration of the organization.
	Integration(ctx context.Context, orgID int64, slug string) (*Integration, error)
	// IntegrationBySlug finds an integration by its globally unique slug, for the API's
	// /sentry-apps/{slug}/ routes; it is ENOTFOUND unless the actor is a member of its org.
	IntegrationBySlug(ctx context.Context, slug string) (*Integration, error)
	// CreateIntegration creates an integration and its first token, returning that token's
	// plaintext: the only time it exists outside the client.
	CreateIntegration(ctx context.Context, orgID int64, in IntegrationInput) (*Integration, *IntegrationToken, string, error)
	// UpdateIntegration saves the edit form. The live tokens take the new scopes.
	UpdateIntegration(ctx context.Context, orgID int64, slug string, in IntegrationInput) (*Integration, error)
	// DeleteIntegration deletes an integration; its tokens stop working with the commit.
	DeleteIntegration(ctx context.Context, orgID int64, slug string) error
	// IntegrationTokens returns the integration's live tokens, oldest first.
	IntegrationTokens(ctx context.Context, orgID int64, slug string) ([]IntegrationToken, error)
	// CreateIntegrationToken adds a token (at most MaxIntegrationTokens live ones) and returns
	// its plaintext once. A requester whose role lacks some of the integration's scopes gets
	// none (CheckIntegrationTokenScopes).
	CreateIntegrationToken(ctx context.Context, orgID int64, slug string) (*IntegrationToken, string, error)
	// RotateIntegrationToken revokes a token and issues its replacement in one transaction,
	// returning the new token's plaintext once; refused like CreateIntegrationToken.
	RotateIntegrationToken(ctx context.Context, orgID int64, slug string, id int64) (*IntegrationToken, string, error)
	// RevokeIntegrationToken revokes a token; the next request with it fails.
	RevokeIntegrationToken(ctx context.Context, orgID int64, slug string, id int64) error
}

// Principal is who a bearer token speaks for, as the API's authentication finds it.
type Principal struct {
	Kind    TokenKind
	TokenID int64
	// User is set for user tokens.
	User *User
	// OrgID is the only organization an org or integration token reaches.
	OrgID int64
	// IntegrationID is set for integration tokens.
	IntegrationID int64
	// Scopes are the token's own scopes, expanded.
	Scopes    ScopeSet
	ExpiresAt *time.Time
	// CreatedAt is when the token was issued (introspection's "iat"): with ExpiresAt, its
	// lifetime, which an organization's user-token policy bounds.
	CreatedAt time.Time
}

// TokenAuthenticator finds the live token behind a parsed bearer token.
type TokenAuthenticator interface {
	// AuthenticateToken returns the principal of a live token, or an EUNAUTHORIZED error with
	// Sentry's message: "Invalid token", "Invalid org token", "Token expired" or "User
	// inactive or deleted". It does one indexed lookup by hash.
	AuthenticateToken(ctx context.Context, t ParsedToken) (*Principal, error)
}

// Expiry choices of the create forms.
const (
	ExpiryNever  = "never"
	ExpiryCustom = "custom"
)

// ExpiryChoices lists the Expiration select's options: never, 30, 60, 90 days, or a date.
var ExpiryChoices = []struct{ Value, Label string }{
	{ExpiryNever, "Never"}, {"30", "30 days"}, {"60", "60 days"}, {"90", "90 days"}, {ExpiryCustom, "Custom date"},
}

// MsgExpiryDateNotAfterToday refuses a custom expiry date of today (an earlier one is "not in
// the future").
const MsgExpiryDateNotAfterToday = "The expiration date must be after today (UTC)."

// MsgExpiryDateMeaning says which moment a custom expiry date means, for the form's help.
const MsgExpiryDateMeaning = "The token expires at the end of that day, UTC (23:59:59)."

// ParseExpiry turns the Expiration select (and its date field, "YYYY-MM-DD", for a custom
// date) into an expiry time, nil for never. A custom date expires at the end of that day, UTC,
// and must be a day after today (UTC) and within a year.
func ParseExpiry(choice, date string, now time.Time) (*time.Time, error) {
	var at time.Time
	switch choice {
	case "", ExpiryNever:
		return nil, nil
	case "30", "60", "90":
		days := map[string]int{"30": 30, "60": 60, "90": 90}[choice]
		at = now.UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
	case ExpiryCustom:
		day, err := time.Parse("2006-01-02", strings.TrimSpace(date))
		if err != nil {
			return nil, FieldError("expiration", "Enter a valid date.")
		}
		// The token lives until the end of that day, UTC. Today would leave it a few hours at
		// most (or none, seen from a time zone ahead of UTC): a custom date is a later day.
		today := now.UTC().Truncate(24 * time.Hour)
		switch {
		case day.Before(today):
			return nil, FieldError("expiration", "The expiration date must be in the future.")
		case !day.After(today):
			return nil, FieldError("expiration", MsgExpiryDateNotAfterToday)
		}
		at = day.Add(24*time.Hour - time.Second)
		if err := ValidateExpiresAt(at, now); err != nil {
			return nil, err
		}
	default:
		return nil, FieldError("expiration", "Select a valid choice.")
	}
	return &at, nil
}

// MaxTokenLifetime is the furthest ahead a token's expiry may be set.
const MaxTokenLifetime = 366 * 24 * time.Hour

// ValidateExpiresAt checks an expiry chosen as a date or sent through the API: it must be in
// the future and within a year.
func ValidateExpiresAt(at, now time.Time) error {
	if !at.After(now) {
		return FieldError("expiration", "The expiration date must be in the future.")
	}
	if at.After(now.Add(MaxTokenLifetime)) {
		return FieldError("expiration", "The expiration date cannot be more than a year away.")
	}
	return nil
}
