package core

import (
	"net/url"
	"strings"
)

// The rules of internal integrations (SPEC 3.5) as pure functions, following Sentry's
// SentryAppParser: what a valid integration is, and which scopes a requester may give one.

// Webhook event resources an internal integration may subscribe to.
const (
	EventIssue   = "issue"
	EventError   = "error"
	EventComment = "comment"
)

// IntegrationEvents lists the webhook resources in the order the form shows them.
var IntegrationEvents = []string{EventIssue, EventError, EventComment}

// requiredEventScope is Sentry's REQUIRED_EVENT_PERMISSIONS for the resources offered here:
// every one of them needs at least Read on Issue & Event.
var requiredEventScope = map[string]Scope{
	EventIssue:   ScopeEventRead,
	EventError:   ScopeEventRead,
	EventComment: ScopeEventRead,
}

// Limits of an internal integration.
const (
	// MaxIntegrationNameLength is Sentry's: 64 characters of slug, less the 6 characters of
	// UUID and the hyphen it appends.
	MaxIntegrationNameLength = 57
	// MaxIntegrationTokens is Sentry's INTERNAL_INTEGRATION_TOKEN_COUNT_MAX: live tokens per
	// integration.
	MaxIntegrationTokens   = 20
	maxWebhookURLLength    = 2048
	maxIntegrationOverview = 5000
)

// MsgIntegrationTokenLimit is Sentry's refusal of a 21st token, byte for byte (no period):
// the API returns it as a bare JSON string.
const MsgIntegrationTokenLimit = "Cannot generate more than 20 tokens for a single integration"

// ErrIntegrationTokenLimit returns the EFORBIDDEN error of a 21st live token.
func ErrIntegrationTokenLimit() *Error { return Errorf(EFORBIDDEN, MsgIntegrationTokenLimit) }

// IsIntegrationTokenLimit reports whether err is the refusal of a 21st token, which the API
// answers with Sentry's bare-string body rather than {"detail": …}.
func IsIntegrationTokenLimit(err error) bool {
	return ErrorCode(err) == EFORBIDDEN && ErrorMessage(err) == MsgIntegrationTokenLimit
}

// IntegrationInput is what the create and edit forms submit.
type IntegrationInput struct {
	Name            string
	WebhookURL      string
	AlertRuleAction bool
	Events          []string
	Overview        string
	// Scopes are hierarchy-expanded, as the permission selects produce them.
	Scopes ScopeSet
}

// Validate trims the fields, puts the events in canonical order without duplicates, and
// reports every problem at once, by form field (name, webhook_url, events, overview).
func (in *IntegrationInput) Validate() error {
	fields := map[string]string{}
	var msg string
	if in.Name, msg = IntegrationNameField.Check(in.Name); msg != "" {
		fields["name"] = msg
	}
	in.WebhookURL = strings.TrimSpace(in.WebhookURL)
	if in.Overview, msg = IntegrationOverviewField.Check(in.Overview); msg != "" {
		fields["overview"] = msg
	}
	in.Scopes = in.Scopes.Expand()

	if msg := validateWebhookURL(in.WebhookURL); msg != "" {
		fields["webhook_url"] = msg
	}

	events, unknown := canonicalEvents(in.Events)
	in.Events = events
	if unknown != "" {
		fields["events"] = "Invalid event subscription: " + unknown
	} else {
		for _, ev := range events {
			if need := requiredEventScope[ev]; !in.Scopes.Has(need) {
				// Sentry's wording; the form also says it needs Read on Issue & Event.
				fields["events"] = ev + " webhooks require the " + need.String() + " permission."
				break
			}
		}
	}
	// Sentry's internal-integration rules: webhooks and the alert rule action both deliver to
	// the webhook URL, so neither makes sense without one.
	if in.WebhookURL == "" && fields["webhook_url"] == "" {
		switch {
		case len(events) > 0:
			fields["webhook_url"] = "A webhook URL is required if webhook events are enabled."
		case in.AlertRuleAction:
			fields["webhook_url"] = "A webhook URL is required if the alert rule action is enabled."
		}
	}
	if len(fields) > 0 {
		return &Error{Code: EINVALID, Message: "Please correct the errors below.", Fields: fields}
	}
	return nil
}

// validateWebhookURL returns a message for an unacceptable webhook URL, or "" (an empty URL
// is fine: internal integrations need not receive webhooks).
func validateWebhookURL(raw string) string {
	if raw == "" {
		return ""
	}
	if len(raw) > maxWebhookURLLength {
		return "The webhook URL cannot be longer than 2048 characters."
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "Enter a valid URL."
	}
	if scheme := strings.ToLower(u.Scheme); scheme != "http" && scheme != "https" {
		return "URL must start with http[s]://"
	}
	if u.Host == "" || u.Hostname() == "" || u.User != nil || strings.ContainsAny(raw, " \t\r\n") {
		return "Enter a valid URL."
	}
	return ""
}

// canonicalEvents returns the known events among names in IntegrationEvents order, each once,
// and the first unknown name ("" when none).
func canonicalEvents(names []string) (events []string, unknown string) {
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if _, ok := requiredEventScope[n]; !ok {
			if unknown == "" {
				unknown = n
			}
			continue
		}
		seen[n] = true
	}
	for _, ev := range IntegrationEvents {
		if seen[ev] {
			events = append(events, ev)
		}
	}
	return events, unknown
}

// CheckIntegrationTokenScopes refuses a new token (created or rotated) of an integration whose
// scopes exceed the requester's role: otherwise a manager could not give an integration
// org:admin, yet could obtain org:admin by minting a token of one an owner made. Sentry masks
// such a token in the response (show_auth_info); tokenboard does not mint it, since a masked
// rotation would destroy the old token for nothing. Revoking stays allowed.
func CheckIntegrationTokenScopes(role Role, scopes ScopeSet) error {
	excess := scopes.Expand().Minus(role.Scopes().Expand())
	if excess == 0 {
		return nil
	}
	return Errorf(EFORBIDDEN, "%s", excessMessage(excess))
}

func excessMessage(excess ScopeSet) string {
	return "Requested permission of " + excess.Names()[0] +
		" exceeds requester's permission. Please contact an administrator to make the requested change."
}

// CheckIntegrationScopes refuses to give an integration a scope that the requester's role does
// not grant, as Sentry does, naming the first such scope in alphabetical order. Scopes the
// integration already holds (current) pass: a manager may edit an integration an owner gave
// org:admin without removing it.
func CheckIntegrationScopes(role Role, current, requested ScopeSet) error {
	excess := requested.Expand().Minus(current).Minus(role.Scopes().Expand())
	if excess == 0 {
		return nil
	}
	return FieldError("scopes", excessMessage(excess))
}

// CanDeleteIntegrations reports whether the role may delete internal integrations: owners
// only (org:admin), as in Sentry (RuleDeleteIntegrations).
func (r Role) CanDeleteIntegrations() bool { return RuleDeleteIntegrations.AllowsRole(r) }

// HasEvent reports whether the integration subscribes to the webhook resource.
func (i *Integration) HasEvent(event string) bool {
	for _, e := range i.Events {
		if e == event {
			return true
		}
	}
	return false
}

// Input returns the integration's editable fields, to prefill the edit form.
func (i *Integration) Input() IntegrationInput {
	return IntegrationInput{
		Name: i.Name, WebhookURL: i.WebhookURL, AlertRuleAction: i.AlertRuleAction,
		Events: i.Events, Overview: i.Overview, Scopes: i.Scopes,
	}
}
