// Package apptest runs a real tokenboard for tests: a fresh SQLite file, a real SMTP server
// receiving the mail the outbox sender delivers, the demo organizations, and the HTTP server
// on a random loopback port. Clients speak HTTP to it; Browser drives it with headless
// Chromium.
package apptest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	tbapp "github.com/tokenboard/tokenboard/internal/app"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/secretscan"
	"github.com/tokenboard/tokenboard/internal/smtptest"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
	"github.com/tokenboard/tokenboard/internal/usage"
)

// App is a running tokenboard.
type App struct {
	// URL is the base URL, such as http://127.0.0.1:43121.
	URL  string
	DB   *store.DB
	SMTP *smtptest.Server
	// Logs holds everything the server logged, for tests that check what never gets logged.
	Logs *SyncBuffer
	// DataDir holds the database file.
	DataDir string

	uses         *usage.Recorder
	scanKey      *ecdsa.PrivateKey
	fixturesOnce sync.Once
	fixtures     *storetest.Fixtures
	fixturesErr  error
}

// Option changes the configuration Start runs tokenboard with.
type Option func(*tbapp.Config)

// BehindProxy runs tokenboard as --behind-proxy does: a client's address comes from the
// X-Forwarded-For header its proxy sets.
func BehindProxy(c *tbapp.Config) { c.BehindProxy = true }

// Start runs a tokenboard with the demo data for the duration of the test.
func Start(t testing.TB, opts ...Option) *App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	// A copy of the demo database built once per test binary: a real file of this test's own,
	// with the cheapest bcrypt cost (sign-ins stay fast; the real cost is set in sqlite).
	db, err := storetest.OpenDemo(ctx, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		t.Fatalf("open the demo database: %v", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	app := &App{URL: "http://" + ln.Addr().String(), DB: db, SMTP: smtptest.Start(t), Logs: &SyncBuffer{}, DataDir: dir}
	db.BaseURL = app.URL
	logger := slog.New(slog.NewTextHandler(app.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	transport, err := mail.NewSMTPTransport(app.SMTP.URL(), "tokenboard <tokenboard@localhost>")
	if err != nil {
		t.Fatal(err)
	}
	var scanKeys *secretscan.KeySet
	app.scanKey, scanKeys = newSecretScanningKey(t)
	cfg := tbapp.Config{BaseURL: app.URL, DataDir: dir, Transport: transport, Logger: logger,
		SecretScanningKeys: scanKeys,
		// Failed authentications are logged per interval; short, so tests see the lines soon.
		AuthFailureLogInterval: 200 * time.Millisecond}
	for _, opt := range opts {
		opt(&cfg)
	}
	parts, err := tbapp.New(ctx, db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv, sender := parts.Server, parts.Sender
	// Short intervals so that retries after an SMTP outage happen within a test's patience.
	sender.PollInterval, sender.RetryBase, sender.RetryMax = 50*time.Millisecond, 50*time.Millisecond, 200*time.Millisecond
	// Token uses are saved only when a test calls FlushUsage (and at the end), so that what a
	// test sees in the database never depends on a timer: the recorder's Run is not started.
	app.uses = parts.Uses

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); srv.Serve(ln) }()
	go func() { defer wg.Done(); sender.Run(ctx) }()
	t.Cleanup(func() {
		shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		srv.Shutdown(shutdownCtx)
		cancel()
		wg.Wait()
		app.uses.Flush(shutdownCtx)
		if app.fixtures != nil {
			app.fixtures.Close()
		}
		db.Close()
	})
	return app
}

// FlushUsage saves the token uses ("last used") recorded so far, as the server does every few
// seconds and on shutdown.
func (a *App) FlushUsage(t testing.TB) {
	t.Helper()
	if err := a.uses.Flush(context.Background()); err != nil {
		t.Fatalf("flushing token uses: %v", err)
	}
}

// AsOperator returns a context whose actor is the console operator, for tests that inspect
// the store directly: every service read of an organization is authorized, and the operator
// is the actor who may read anything, visibly so.
func AsOperator() context.Context {
	return core.WithActor(context.Background(), core.Actor{Operator: true, IP: "console"})
}

// As returns a context whose actor is the user with that email, for calling services directly.
func (a *App) As(t testing.TB, email string) context.Context {
	t.Helper()
	u, err := a.DB.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return core.WithActor(context.Background(), core.Actor{User: u, IP: "127.0.0.1"})
}

// Org returns an organization by slug.
func (a *App) Org(t testing.TB, slug string) *core.Org {
	t.Helper()
	o, err := a.DB.OrgBySlug(context.Background(), slug)
	if err != nil {
		t.Fatalf("org %s: %v", slug, err)
	}
	return o
}

// SyncBuffer is a bytes.Buffer safe for concurrent writes, for captured logs.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitOutboxDelivered waits until no outbox message is left unsent, failing the test after
// timeout. Delivery is asynchronous: the SMTP server sees a message before the sender marks it.
func (a *App) WaitOutboxDelivered(t testing.TB, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		due, err := a.DB.DueMessages(context.Background(), time.Now().Add(365*24*time.Hour), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("outbox message %d still unsent after %v (last error %q)", due[0].ID, timeout, due[0].LastError)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
