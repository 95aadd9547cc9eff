package core

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Token lifecycle beyond Sentry (issue 15): exposure reports from GitHub's secret scanning,
// rotation with an overlap window, expiry reminders and an organization's token policies.

// TokenExposure records where a token was found published, as the first report said.
type TokenExposure struct {
	At     time.Time
	URL    string
	Source string
}

// ExposureReport is one entry of GitHub's secret-scanning report: a token found in public.
type ExposureReport struct {
	Token  string
	Type   string
	URL    string
	Source string
}

// Labels of an answered exposure report, as GitHub's partner protocol names them.
const (
	ExposureTruePositive  = "true_positive"
	ExposureFalsePositive = "false_positive"
)

// ExposureResult answers one report: the token's SHA-256 (hex), the type GitHub sent, and
// whether the token is one of ours.
type ExposureResult struct {
	TokenHash string `json:"token_hash"`
	TokenType string `json:"token_type"`
	Label     string `json:"label"`
}

// ExposureService handles exposed-token reports. The caller has verified who sent them.
type ExposureService interface {
	// ReportExposedTokens records each known token's first exposure, audits it, emails its
	// owners (the user, or every owner of the organization) and revokes it when the
	// organization's policy says so. A repeated report changes nothing and sends nothing.
	ReportExposedTokens(ctx context.Context, reports []ExposureReport) ([]ExposureResult, error)
}

// ExposedRevocationShown is how long a token revoked because it was reported exposed stays
// in its list's "Revoked after exposure" section: revocation removes it from the live list,
// and without the section its owners would never see the Exposed badge, only a token gone.
const ExposedRevocationShown = 30 * 24 * time.Hour

// ExposedTokenService reads back the tokens revoked because they were reported exposed
// (revoked_reason "exposed"), for the screens: each list shows the recent ones apart from
// the live tokens, and such a token's page stays readable (read-only) instead of 404. Who may
// read them is who may read the live list of the same kind; the API still lists live tokens
// only, as Sentry's does. Each token carries its Exposure and RevokedAt.
type ExposedTokenService interface {
	// RevokedExposedOrgTokens returns the organization's org tokens revoked for an exposure
	// in the last ExposedRevocationShown, latest revocation first (org:read members).
	RevokedExposedOrgTokens(ctx context.Context, orgID int64) ([]OrgToken, error)
	// RevokedExposedOrgToken returns one org token revoked for an exposure, however long
	// ago; any other id is ENOTFOUND.
	RevokedExposedOrgToken(ctx context.Context, orgID, id int64) (*OrgToken, error)
	// RevokedExposedUserTokens returns the actor's user tokens revoked for an exposure in the
	// last ExposedRevocationShown, latest revocation first.
	RevokedExposedUserTokens(ctx context.Context) ([]UserToken, error)
	// RevokedExposedUserToken returns one of the actor's user tokens revoked for an
	// exposure; any other id is ENOTFOUND.
	RevokedExposedUserToken(ctx context.Context, id int64) (*UserToken, error)
	// RevokedExposedIntegrationTokens returns the integration's tokens revoked for an
	// exposure in the last ExposedRevocationShown (owners and managers, as its live tokens).
	RevokedExposedIntegrationTokens(ctx context.Context, orgID int64, slug string) ([]IntegrationToken, error)
}

// TokenPolicy is an organization's token policies (owners only).
type TokenPolicy struct {
	// RevokeExposed revokes a token of the organization at once when it is reported exposed.
	RevokeExposed bool
	// MaxTokenDays bounds the lifetime of new org and integration tokens; 0 for none.
	MaxTokenDays int
	// MaxUserTokenDays refuses, in this organization, user tokens whose lifetime is longer
	// (or that never expire); 0 for none.
	MaxUserTokenDays int
}

// DefaultTokenPolicy is the policy of an organization whose owners set none.
var DefaultTokenPolicy = TokenPolicy{RevokeExposed: true}

// LifetimeChoices are the maximum lifetimes a policy may set, in days (0: none).
var LifetimeChoices = []int{0, 7, 30, 90, 365}

// LifetimeLabel names a maximum lifetime in days.
func LifetimeLabel(days int) string {
	switch days {
	case 0:
		return "No limit"
	case 1:
		return "1 day"
	}
	return strconv.Itoa(days) + " days"
}

// Validate checks that both lifetimes are among LifetimeChoices.
func (p TokenPolicy) Validate() error {
	fields := map[string]string{}
	if !validLifetime(p.MaxTokenDays) {
		fields["max_token_days"] = "Select a valid choice."
	}
	if !validLifetime(p.MaxUserTokenDays) {
		fields["max_user_token_days"] = "Select a valid choice."
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "Please correct the errors below.", Fields: fields}
	}
	return nil
}

func validLifetime(days int) bool {
	for _, d := range LifetimeChoices {
		if d == days {
			return true
		}
	}
	return false
}

// days is a number of days as a duration.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// CheckNewTokenLifetime applies the "Maximum lifetime" policy to a new org or integration
// token created at now with the expiry given (nil: never). The message names the policy.
func (p TokenPolicy) CheckNewTokenLifetime(expiresAt *time.Time, now time.Time) error {
	if p.MaxTokenDays == 0 {
		return nil
	}
	if expiresAt == nil || expiresAt.Sub(now) > days(p.MaxTokenDays)+time.Minute {
		return FieldError("expiration", fmt.Sprintf(
			"This organization's token policy \"Maximum lifetime\" allows new tokens to live at most %s: choose an earlier expiration.",
			LifetimeLabel(p.MaxTokenDays)))
	}
	return nil
}

// AllowsExpiry reports whether an org-token expiry choice of the create form (days from now;
// 0 for never) fits the "Maximum lifetime" policy, so the form offers only what fits.
func (p TokenPolicy) AllowsExpiry(daysFromNow int) bool {
	return p.MaxTokenDays == 0 || daysFromNow > 0 && daysFromNow <= p.MaxTokenDays
}

// UserTokenRefused reports whether the "Maximum lifetime of user tokens used in this
// organization" policy refuses a user token created at createdAt and expiring at expiresAt
// (nil: never).
func (p TokenPolicy) UserTokenRefused(createdAt time.Time, expiresAt *time.Time) bool {
	if p.MaxUserTokenDays == 0 {
		return false
	}
	// A minute of slack: "30 days" chosen on a form is computed a moment before it is stored.
	return expiresAt == nil || expiresAt.Sub(createdAt) > days(p.MaxUserTokenDays)+time.Minute
}

// UserTokenPolicyMessage is the 403 message of a user token the policy refuses.
func UserTokenPolicyMessage(org *Org) string {
	return fmt.Sprintf("The token policy of %s, \"Maximum lifetime of user tokens used in this organization\" (%s), refuses this token: create one that expires sooner.",
		org.Name, LifetimeLabel(org.Policy.MaxUserTokenDays))
}

// CheckUserTokenPolicy refuses a user token in an organization whose policy bounds user
// tokens' lifetime, when the token's lifetime is longer or unbounded. Other actors pass.
// It is pure and reads only what the cached answers already hold (the principal and the
// organization), so the API's authorization path stays as fast as before.
func CheckUserTokenPolicy(a Actor, org *Org) error {
	p := a.Token
	if p == nil || p.Kind != TokenUser || org == nil {
		return nil
	}
	if org.Policy.UserTokenRefused(p.CreatedAt, p.ExpiresAt) {
		return Errorf(EFORBIDDEN, "%s", UserTokenPolicyMessage(org))
	}
	return nil
}

// TokenPolicyService reads and changes an organization's token policies.
type TokenPolicyService interface {
	// TokenPolicy returns the organization's policy (org:read members).
	TokenPolicy(ctx context.Context, orgID int64) (TokenPolicy, error)
	// UpdateTokenPolicy changes it (owners only); the change is audited and emailed to the
	// other owners.
	UpdateTokenPolicy(ctx context.Context, orgID int64, p TokenPolicy) (TokenPolicy, error)
}

// Overlap choices of a rotation: how long the old token keeps working.
var OverlapChoices = []struct {
	Value string
	Label string
	D     time.Duration
}{
	{"none", "None: the old token stops at once", 0},
	{"1h", "1 hour", time.Hour},
	{"24h", "24 hours", 24 * time.Hour},
	{"7d", "7 days", 7 * 24 * time.Hour},
}

// ParseOverlap turns an overlap choice into its duration.
func ParseOverlap(v string) (time.Duration, error) {
	for _, c := range OverlapChoices {
		if c.Value == v {
			return c.D, nil
		}
	}
	return 0, FieldError("overlap", "Select a valid overlap: none, 1h, 24h or 7d.")
}

// RotationService rotates org and user tokens with an overlap window.
type RotationService interface {
	// RotateOrgToken creates the successor of a live org token (same name, scopes and
	// expiry rule) and returns it with its plaintext once; the old token keeps working for
	// overlap, then stops. Owners and managers only. The owners get the creation email,
	// naming the token it replaces.
	RotateOrgToken(ctx context.Context, orgID, id int64, overlap time.Duration) (*OrgToken, string, error)
	// RotateUserToken does the same for one of the actor's user tokens.
	RotateUserToken(ctx context.Context, id int64, overlap time.Duration) (*UserToken, string, error)
}

// Expiry reminder thresholds: how long before its expiry a token's owners are reminded.
var ReminderThresholds = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}

// StopsIn says how long a replaced token keeps working, for the lists: "stops working in
// 23 h", or "stopped" once it has.
func StopsIn(expiresAt *time.Time, now time.Time) string {
	if expiresAt == nil {
		return ""
	}
	left := expiresAt.Sub(now)
	switch {
	case left <= 0:
		return "stopped working"
	case left < time.Hour:
		return fmt.Sprintf("stops working in %d min", int(left.Minutes())+1)
	case left < 48*time.Hour:
		return fmt.Sprintf("stops working in %d h", int(left.Hours()))
	}
	return fmt.Sprintf("stops working in %d days", int(left.Hours()/24))
}

// Title names a kind of token in an email's subject: "Organization Auth Token", "User Auth
// Token" or "Integration Token".
func (k TokenKind) Title() string {
	switch k {
	case TokenOrg:
		return "Organization Auth Token"
	case TokenUser:
		return "User Auth Token"
	case TokenIntegration:
		return "Integration Token"
	}
	return "Token"
}
