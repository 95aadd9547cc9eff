// Package app is tokenboard's composition root: the one place that assembles the program from
// its parts (the SQLite store, the mail sender with the email templates, the token-use
// recorder and the web server). The server command and the test harness both build through
// New, so a new part is wired once; and no part below imports another part to wire it.
package app

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"time"

	tokenboard "github.com/tokenboard/tokenboard"
	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/secretscan"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/usage"
	"github.com/tokenboard/tokenboard/views/email"
	"github.com/tokenboard/tokenboard/web"
)

// Config is what the program decides at start-up, beyond the open database.
type Config struct {
	// BaseURL is the public URL (web.Config.BaseURL).
	BaseURL string
	// BehindProxy trusts X-Forwarded-For (web.Config.BehindProxy).
	BehindProxy bool
	// Transport delivers mail; MailFrom is the From address (empty: the transport's default).
	Transport mail.Transport
	MailFrom  string
	// MailLease is how long an instance's claim on the messages it sends lasts (mail.Sender's
	// Lease; 0: mail.DefaultLease).
	MailLease time.Duration
	// SessionIdle is how long a browser session lives without a request (0: the default,
	// core.DefaultSessionIdle).
	SessionIdle time.Duration
	// AuthFailureLogInterval is how often failed bearer authentications are logged, one line
	// per client IP (0: the default, a minute).
	AuthFailureLogInterval time.Duration
	// Logger receives every part's logs; nil discards them.
	Logger *slog.Logger
	// DataDir is the data folder: on SQLite, uploaded chunks (source maps, debug files) are
	// stored as files under its blobs/ folder; on PostgreSQL they are in the database, which
	// every instance reads (docs/CI-PROTOCOL.md, "Where the bytes live").
	DataDir string
	// StorageQuota is the bytes of uploads each organization may hold: 0 means
	// DefaultStorageQuota, a negative value no quota.
	StorageQuota int64
	// SecretScanningKeys verify GitHub's exposed-token reports (secretscan.LoadKeys); nil
	// refuses every report.
	SecretScanningKeys *secretscan.KeySet
}

// DefaultStorageQuota is each organization's upload quota unless configured otherwise.
const DefaultStorageQuota = 10 << 30

// App is tokenboard assembled. Nothing runs yet: the caller runs Sender.Run, Uses.Run (or
// flushes Uses itself) and Server.Serve, and flushes Uses once the server has stopped.
type App struct {
	Server *web.Server
	// Sender delivers the outbox; the store wakes it after each commit that queues mail.
	Sender *mail.Sender
	// Uses records token uses ("last used") in memory and saves them in batches.
	Uses *usage.Recorder
	// Maintenance removes abandoned uploads; the caller runs Maintenance.Run.
	Maintenance *Maintenance
	// Reminders queues the expiry reminders on a ticker; the caller runs it.
	Reminders *Reminders
}

// New assembles tokenboard on db, which the caller opened (and closes after the App stops).
func New(ctx context.Context, db *store.DB, cfg Config) (*App, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	sender := mail.NewSender(db, mail.RenderFunc(email.Render), cfg.Transport, cfg.MailFrom, cfg.Logger)
	db.MailQueued = sender.Wake
	if cfg.MailLease > 0 {
		sender.Lease = cfg.MailLease
	}
	if cfg.SessionIdle > 0 {
		db.SessionIdle = cfg.SessionIdle
	}
	uses := usage.NewRecorder(db, cfg.Logger)
	if cfg.DataDir == "" {
		return nil, errors.New("app: the data folder is required (uploads are stored there)")
	}
	blobs, err := blobStore(db, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	quota := cfg.StorageQuota
	if quota == 0 {
		quota = DefaultStorageQuota
	}
	svc := services(db, uses)
	svc.Blobs, svc.StorageQuota = blobs, quota
	srv, err := web.New(ctx, web.Config{
		BaseURL:     cfg.BaseURL,
		BehindProxy: cfg.BehindProxy,
		Services:    svc,
		Static:      tokenboard.StaticFS(),
		Logger:      cfg.Logger,

		AuthFailureLogInterval: cfg.AuthFailureLogInterval,
		// The store's clock is the one clock: tests move it to drive expiry, overlaps and
		// reminders, and the web layer reads it through here.
		Now:                func() time.Time { return db.Now() },
		SecretScanningKeys: cfg.SecretScanningKeys,
	})
	if err != nil {
		return nil, err
	}
	reminders := &Reminders{Store: db, Interval: 5 * time.Minute, Logger: cfg.Logger}
	return &App{Server: srv, Sender: sender, Uses: uses, Reminders: reminders,
		Maintenance: &Maintenance{CI: db, Blobs: blobs, Log: cfg.Logger}}, nil
}

// blobStore is where uploaded bytes live: in the database when it keeps them (PostgreSQL,
// shared by every instance), else as files in the data folder.
func blobStore(db *store.DB, dataDir string) (blob.Store, error) {
	if b := db.Blobs(); b != nil {
		return b, nil
	}
	return blob.NewFS(filepath.Join(dataDir, "blobs"))
}

// services returns the web layer's services, all implemented by the database, with uses
// recording token use. The answers every API request needs (token, organization, role,
// release pages) come through a store.Cache, which the database's own writes invalidate.
func services(db *store.DB, uses *usage.Recorder) web.Services {
	cached := store.NewCache(db)
	return web.Services{
		Users:         db,
		Sessions:      db,
		Orgs:          cached,
		Secrets:       db,
		Tokens:        cached,
		OrgTokens:     db,
		Submissions:   db,
		UserTokens:    db,
		Integrations:  db,
		Releases:      cached,
		CI:            db,
		Usage:         uses,
		Exposures:     db,
		ExposedTokens: db,
		Rotation:      db,
		Policies:      db,
		Database:      db,
	}
}
