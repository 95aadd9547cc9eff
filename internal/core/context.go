package core

import "context"

// Actor is who makes a request and from where: what the services check permissions against
// and write into the audit log and the security emails.
type Actor struct {
	User *User
	IP   string
	// Operator marks the person at the server's console (the tokenboard admin commands): every
	// permission check passes, and the audit log names "operator".
	Operator bool
	// Token is the bearer token an API request authenticated with, nil for a session. The
	// services then allow no more than the token's scopes, and an org or integration token
	// (which has no User) only in its own organization.
	Token *Principal
	// SessionID is the id of the browser session a screen request (or a session-authenticated
	// API request) came with, 0 otherwise: the session that a password or email change keeps
	// while ending the user's others, and the one the session list marks as this browser.
	SessionID int64
	// System names work the server does on behalf of no person (a GitHub exposure report):
	// it holds no permission and the audit log names it.
	System string
}

// Email returns the actor's email for audit entries and security emails.
func (a Actor) Email() string {
	switch {
	case a.User != nil:
		return a.User.Email
	case a.Token != nil:
		return a.Token.Kind.ActorName()
	case a.Operator:
		return "operator"
	case a.System != "":
		return a.System
	}
	return "anonymous"
}

type actorKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the request's actor; its User is nil for an anonymous request.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// UserFrom returns the signed-in user of the request, or an EUNAUTHORIZED error.
func UserFrom(ctx context.Context) (*User, error) {
	if u := ActorFrom(ctx).User; u != nil {
		return u, nil
	}
	return nil, Errorf(EUNAUTHORIZED, "Authentication credentials were not provided.")
}
