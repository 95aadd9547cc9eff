package core

import (
	"context"
	"time"
)

// Mail templates an outbox message can name; internal/mail renders each one.
const (
	MailInvite           = "invite"
	MailOrgTokenCreated  = "org-token-created"
	MailUserTokenCreated = "user-token-created"
	// MailTokenExposed tells a token's owners it was found in public.
	MailTokenExposed = "token-exposed"
	// MailTokenExpiring reminds a token's owners of its expiry.
	MailTokenExpiring = "token-expiring"
	// MailTokenPolicyChanged tells the other owners of a policy change.
	MailTokenPolicyChanged = "token-policy-changed"
)

// OutboxMessage is an email waiting to be delivered. It is written in the same transaction as
// the change that causes it, so a crash or an SMTP outage delays mail but never loses it.
// Data holds the template's parameters as JSON; it never holds a token's value.
type OutboxMessage struct {
	ID            int64
	To            string
	Template      string
	Data          []byte
	Attempts      int
	NextAttemptAt time.Time
	SentAt        *time.Time
	LastError     string
	CreatedAt     time.Time
	// ClaimedUntil is when the sender's claim on the message ends (ClaimDue), after which
	// another instance may take it; zero when the store has only one sender and claims nothing.
	ClaimedUntil time.Time
}

// Outbox is the store the background sender works from.
type Outbox interface {
	// ClaimDue returns unsent messages whose next attempt is at or before now, oldest first,
	// for the caller to attempt. Where several instances send from one outbox (PostgreSQL),
	// it also claims them until now+lease: no other instance's ClaimDue returns them before
	// then, unless the caller records the attempt first (MarkSent, MarkFailed). A store with
	// one sender (SQLite) claims nothing and ignores lease.
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]OutboxMessage, error)
	// MarkSent records delivery so the message is never sent again.
	MarkSent(ctx context.Context, id int64, at time.Time) error
	// MarkFailed records a failed attempt and when to try again.
	MarkFailed(ctx context.Context, id int64, reason string, next time.Time) error
}

// InviteMail is the data of a MailInvite message.
type InviteMail struct {
	OrgName      string `json:"org_name"`
	InviterEmail string `json:"inviter_email"`
	Role         string `json:"role"`
	AcceptURL    string `json:"accept_url"`
}

// OrgTokenCreatedMail is the data of a MailOrgTokenCreated message.
type OrgTokenCreatedMail struct {
	ActorEmail string `json:"actor_email"`
	TokenName  string `json:"token_name"`
	// TokenMasked is the token's masked value (************abcd, as on its edit page), its name in the email
	// as in the list; absent from emails queued before it existed.
	TokenMasked string    `json:"token_masked,omitempty"`
	OrgName     string    `json:"org_name"`
	IP          string    `json:"ip"`
	Time        time.Time `json:"time"`
	// ReviewURL is the token's own page (the list, in emails queued before that).
	ReviewURL string `json:"review_url"`
	// Replaces names the token a rotation replaces, and StopsAt when it stops working.
	Replaces string     `json:"replaces,omitempty"`
	StopsAt  *time.Time `json:"stops_at,omitempty"`
}

// UserTokenCreatedMail is the data of a MailUserTokenCreated message.
type UserTokenCreatedMail struct {
	AccountEmail string    `json:"account_email"`
	TokenName    string    `json:"token_name"`
	IP           string    `json:"ip"`
	Time         time.Time `json:"time"`
	ReviewURL    string    `json:"review_url"`
}

// TokenExposedMail is the data of a MailTokenExposed message. It names the token by its mask.
type TokenExposedMail struct {
	// KindName is "Organization Auth Token", "User Auth Token" or "Integration Token".
	KindName    string    `json:"kind_name"`
	TokenName   string    `json:"token_name"`
	MaskedToken string    `json:"masked_token"`
	OrgName     string    `json:"org_name,omitempty"`
	URL         string    `json:"url"`
	Source      string    `json:"source"`
	Time        time.Time `json:"time"`
	// Status says what became of the token: revoked now, already revoked, or still active.
	Status    string `json:"status"`
	ReviewURL string `json:"review_url"`
}

// TokenExpiringMail is the data of a MailTokenExpiring message.
type TokenExpiringMail struct {
	KindName  string    `json:"kind_name"`
	TokenName string    `json:"token_name"`
	OrgName   string    `json:"org_name,omitempty"`
	ExpiresAt time.Time `json:"expires_at"`
	// Left is "7 days" or "1 day".
	Left      string `json:"left"`
	RotateURL string `json:"rotate_url"`
}

// TokenPolicyChangedMail is the data of a MailTokenPolicyChanged message.
type TokenPolicyChangedMail struct {
	ActorEmail string    `json:"actor_email"`
	OrgName    string    `json:"org_name"`
	Changes    []string  `json:"changes"`
	Time       time.Time `json:"time"`
	ReviewURL  string    `json:"review_url"`
}
