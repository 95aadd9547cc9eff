// Package web is tokenboard's HTTP server: the Echo router with the one route table of both
// surfaces (routes.go), the middleware every request passes (logging, security headers, the
// Origin and CSRF checks), and the error mapping from core codes to statuses. The screens are
// in web/ui, the /api/0 endpoints in web/api, the session cookie in web/session; web is the
// only package that imports all of them. Only packages under web/ import Echo or
// gorilla/sessions.
package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/secretscan"
	"github.com/tokenboard/tokenboard/web/api"
	"github.com/tokenboard/tokenboard/web/session"
	"github.com/tokenboard/tokenboard/web/ui"
)

// Services are the core services the handlers of both surfaces call; the composition root
// (internal/app) wires the adapters in, and New hands each surface the ones it uses.
type Services struct {
	Users core.UserService
	// Sessions keeps the browser sessions the cookie names.
	Sessions core.SessionService
	Orgs     core.OrgService
	Secrets  core.SecretStore
	// Tokens authenticates the API's bearer tokens.
	Tokens core.TokenAuthenticator
	// UserTokens manages the signed-in user's own auth tokens.
	UserTokens core.UserTokenService
	// OrgTokens manages organization auth tokens.
	OrgTokens core.OrgTokenService
	// Submissions remembers the create forms already posted, so a resubmission mints nothing.
	Submissions core.SubmissionLedger
	// Integrations manages internal integrations and their tokens.
	Integrations core.IntegrationService
	// Releases serves the release endpoints sentry-cli uses and the Releases page.
	Releases core.ReleaseService
	// CI stores what CI jobs upload and report: chunks, bundles, debug files, deploys, commits.
	CI core.CIService
	// Blobs holds the uploaded bytes, by SHA-1.
	Blobs blob.Store
	// StorageQuota is the bytes of uploads each organization may hold; 0 or less: no quota.
	StorageQuota int64
	// Usage notes each authenticated API request's token use ("last used"); nil records
	// nothing. It must not write to the database per request: internal/usage batches.
	Usage core.TokenUseRecorder
	// Exposures acts on GitHub's exposed-token reports.
	Exposures core.ExposureService
	// ExposedTokens reads back the tokens revoked because they were reported exposed, for
	// the screens' "Revoked after exposure" sections.
	ExposedTokens core.ExposedTokenService
	// Rotation rotates org and user tokens with an overlap window.
	Rotation core.RotationService
	// Policies reads and changes organizations' token policies.
	Policies core.TokenPolicyService
	// Database is pinged by /_health; nil answers "ok" without asking anything.
	Database DatabasePinger
}

// Config is everything the web layer needs from the outside.
type Config struct {
	// BaseURL is the public URL: links, cookie security and the Origin check depend on it.
	BaseURL string
	// BehindProxy trusts X-Forwarded-For for the client IP; only set it behind a proxy that
	// overwrites the header, or anyone can choose the IP written into the audit log.
	BehindProxy bool
	Services    Services
	Static      fs.FS
	Logger      *slog.Logger
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// AuthFailureLogInterval is how often failed bearer authentications are logged, one line
	// per client IP with the counts (0: api.DefaultAuthFailureLogInterval).
	AuthFailureLogInterval time.Duration
	// SecretScanningKeys verify GitHub's exposed-token reports (nil: every report is refused).
	SecretScanningKeys *secretscan.KeySet
}

// Server is the HTTP server.
type Server struct {
	echo         *echo.Echo
	httpServer   *http.Server
	cfg          Config
	log          *slog.Logger
	sessions     *session.Store
	screens      *ui.Screens
	api          *api.Endpoints
	secure       bool
	origin       string // scheme://host[:port] of the base URL, for the Origin check
	assetVersion string
	health       *healthCheck
}

// New builds the server and its route table. The session keys come from the secret store,
// generated on first run, so no key is ever hard-coded.
func New(ctx context.Context, cfg Config) (*Server, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || base.Scheme == "" || base.Host == "" {
		return nil, errors.New("base URL must be absolute, such as http://127.0.0.1:9000")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	hashKey, err := cfg.Services.Secrets.Secret(ctx, "session-hash-key", 64)
	if err != nil {
		return nil, err
	}
	blockKey, err := cfg.Services.Secrets.Secret(ctx, "session-block-key", 32)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger,
		secure:       base.Scheme == "https",
		origin:       base.Scheme + "://" + base.Host,
		assetVersion: assetVersion(cfg.Static),
		health:       newHealthCheck(cfg.Services.Database, cfg.Logger),
	}
	svc := cfg.Services
	s.sessions = session.New(svc.Sessions, hashKey, blockKey, s.secure, cfg.Logger)
	s.screens = ui.New(ui.Config{
		Services: ui.Services{
			Users: svc.Users, Sessions: svc.Sessions, Orgs: svc.Orgs, UserTokens: svc.UserTokens, OrgTokens: svc.OrgTokens,
			Integrations: svc.Integrations, Releases: svc.Releases, Submissions: svc.Submissions,
			CI: svc.CI, Blobs: svc.Blobs, Rotation: svc.Rotation, Policies: svc.Policies,
			ExposedTokens: svc.ExposedTokens,
		},
		Sessions: s.sessions, Logger: cfg.Logger, AssetVersion: s.assetVersion, Now: cfg.Now,
	})
	s.api = api.New(api.Config{
		BaseURL: cfg.BaseURL,
		Services: api.Services{
			Orgs: svc.Orgs, Tokens: svc.Tokens, UserTokens: svc.UserTokens, OrgTokens: svc.OrgTokens,
			Integrations: svc.Integrations, Releases: svc.Releases, Usage: svc.Usage,
			CI: svc.CI, Blobs: svc.Blobs, Exposures: svc.Exposures, Rotation: svc.Rotation,
		},
		StorageQuota:       svc.StorageQuota,
		SecretScanningKeys: cfg.SecretScanningKeys,
		Sessions:           s.sessions, Now: cfg.Now, Logger: cfg.Logger, AuthFailureLogInterval: cfg.AuthFailureLogInterval,
	})

	s.echo = echo.New()
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = echo.ExtractIPDirect()
	if cfg.BehindProxy {
		s.echo.IPExtractor = echo.ExtractIPFromXFFHeader()
	}
	s.routes()
	// Built here rather than in Serve, so that Shutdown, which usually runs on another
	// goroutine, never races with Serve over the field.
	s.httpServer = &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the server's root handler (tests serve it with httptest).
func (s *Server) Handler() http.Handler { return s.echo }

// Serve accepts connections on ln until Shutdown. Timeouts bound slow clients; the header
// limit refuses oversized requests before any handler runs.
func (s *Server) Serve(ln net.Listener) error {
	err := s.httpServer.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for requests in flight. It may run
// concurrently with Serve, even before Serve has started: Serve then returns at once.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.httpServer.Shutdown(ctx)
	s.api.FlushAuthFailureLog()
	return err
}

// assetVersion is a short hash of the static files, appended to their URLs so browsers fetch
// new copies after an upgrade and cache them for long otherwise.
func assetVersion(static fs.FS) string {
	h := sha256.New()
	fs.WalkDir(static, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(static, path)
			h.Write([]byte(path))
			h.Write(b)
		}
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))[:10]
}
