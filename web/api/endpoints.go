// Package api is tokenboard's /api/0 surface: the part of Sentry's REST API that clients such
// as sentry-cli use, and the token-management endpoints. It authenticates bearer tokens (or
// the session), applies the one table of what each route requires (scopes.go), reads JSON
// bodies field by field and writes Sentry's shapes and error bodies. It knows nothing of the
// screens (web/ui); the web package mounts both in one route table.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/chunkupload"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/memo"
	"github.com/tokenboard/tokenboard/internal/secretscan"
	"github.com/tokenboard/tokenboard/web/session"
)

// Services are the core services the API calls.
type Services struct {
	Orgs core.OrgService
	// Tokens authenticates the bearer tokens.
	Tokens       core.TokenAuthenticator
	UserTokens   core.UserTokenService
	OrgTokens    core.OrgTokenService
	Integrations core.IntegrationService
	Releases     core.ReleaseService
	// CI stores chunks, bundles, debug files, deploys and commits; Blobs holds the bytes.
	CI    core.CIService
	Blobs blob.Store
	// Usage notes each authenticated request's token use ("last used"); nil records nothing.
	// It must not write to the database per request: internal/usage batches.
	Usage core.TokenUseRecorder
	// Exposures acts on GitHub's exposed-token reports.
	Exposures core.ExposureService
	// Rotation rotates org and user tokens with an overlap.
	Rotation core.RotationService
}

// Config is what the API needs from the server that mounts it.
type Config struct {
	// BaseURL is the public URL, for the links of the Link header and of shapes.
	BaseURL  string
	Services Services
	// Sessions authenticate the requests that carry no Authorization header.
	Sessions *session.Store
	// Now is the clock.
	Now func() time.Time
	// StorageQuota is the bytes of uploads each organization may hold; 0 or less: no quota.
	StorageQuota int64
	// Upload are the chunk-upload limits advertised and enforced; zero means
	// chunkupload.DefaultLimits.
	Upload chunkupload.Limits
	// Logger receives the per-interval lines of failed authentications.
	Logger *slog.Logger
	// AuthFailureLogInterval is how often failed bearer authentications are logged, one line
	// per IP (0: DefaultAuthFailureLogInterval).
	AuthFailureLogInterval time.Duration
	// SecretScanningKeys verify GitHub's exposed-token reports; nil refuses every report
	// as unsigned.
	SecretScanningKeys *secretscan.KeySet
}

// Endpoints holds the API's handlers and middleware, as methods; web's route table mounts
// them.
type Endpoints struct {
	cfg      Config
	svc      Services
	sessions *session.Store
	now      func() time.Time
	// refused remembers recent assembly refusals (assemble.go).
	refused *refusals
	// failures limits failed bearer authentications per client IP (authlimit.go).
	failures *authLimiter
	// tokens parses bearer tokens, remembering org tokens' decoded payloads by hash.
	tokens core.TokenParser
	// orgDetails keeps the organization detail's JSON (GET /api/0/organizations/:org/).
	orgDetails memo.Bounded[orgDetailKey, []byte]
}

// New returns the endpoints.
func New(cfg Config) *Endpoints {
	if cfg.Services.Usage == nil {
		cfg.Services.Usage = discardUses{}
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	if cfg.Upload == (chunkupload.Limits{}) {
		cfg.Upload = chunkupload.DefaultLimits()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Endpoints{cfg: cfg, svc: cfg.Services, sessions: cfg.Sessions, now: cfg.Now, refused: &refusals{},
		failures: newAuthLimiter(cfg.Now, cfg.Logger, cfg.AuthFailureLogInterval)}
}

// FlushAuthFailureLog logs the failed authentications counted since the last line now,
// rather than at the end of the interval: for shutdown.
func (s *Endpoints) FlushAuthFailureLog() { s.failures.flush() }

// WriteError writes Sentry's error bodies for a status and message that web's error handler
// has mapped: {"field": ["message"]} for validation errors, {"detail": "message"} otherwise.
func WriteError(c echo.Context, status int, message string, fields map[string]string) error {
	if status == http.StatusUnauthorized {
		c.Response().Header().Set("WWW-Authenticate", `xBasic realm="api"`)
	}
	if len(fields) > 0 && status == http.StatusBadRequest {
		body := map[string][]string{}
		for f, m := range fields {
			body[f] = []string{m}
		}
		return c.JSON(status, body)
	}
	return c.JSON(status, map[string]string{"detail": message})
}
