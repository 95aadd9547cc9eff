// Package ui is the HTML surface of tokenboard: the sign-in, account and organization settings
// screens. Its handlers read forms, call one service method and render a views component; on a
// validation error they render the form again with the input and the messages. It knows
// nothing of the /api/0 surface (web/api); the web package mounts both in one route table.
package ui

import (
	"log/slog"
	"time"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/session"
)

// Services are the core services the screens call.
type Services struct {
	Users        core.UserService
	Sessions     core.SessionService
	Orgs         core.OrgService
	UserTokens   core.UserTokenService
	OrgTokens    core.OrgTokenService
	Integrations core.IntegrationService
	Releases     core.ReleaseService
	// Submissions makes the create forms single-use (see once.go).
	Submissions core.SubmissionLedger
	// CI lists the artifact bundles, deploys and commits shown with releases.
	CI core.CIService
	// Blobs holds uploaded bytes: deleting a bundle deletes the blobs nobody holds any more.
	Blobs blob.Store
	// Rotation rotates org and user tokens with an overlap; Policies are the organizations'
	// token policies (issue 15).
	Rotation core.RotationService
	Policies core.TokenPolicyService
	// ExposedTokens reads the tokens revoked because they were reported exposed: the lists
	// show them apart, with the Exposed badge, and their pages stay readable.
	ExposedTokens core.ExposedTokenService
}

// Config is what the screens need from the server that mounts them.
type Config struct {
	Services Services
	Sessions *session.Store
	Logger   *slog.Logger
	// AssetVersion is appended to static URLs (see web's assetVersion).
	AssetVersion string
	// Now is the clock.
	Now func() time.Time
}

// Screens holds the screens' handlers and middleware, as methods; web's route table mounts
// them.
type Screens struct {
	svc          Services
	sessions     *session.Store
	log          *slog.Logger
	logins       *loginThrottle
	assetVersion string
	now          func() time.Time
}

// New returns the screens.
func New(cfg Config) *Screens {
	return &Screens{
		svc: cfg.Services, sessions: cfg.Sessions, log: cfg.Logger,
		logins: newLoginThrottle(cfg.Now), assetVersion: cfg.AssetVersion, now: cfg.Now,
	}
}
