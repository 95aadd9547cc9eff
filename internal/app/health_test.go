package app_test

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tokenboard/tokenboard/internal/app"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
)

// serveHealth serves tokenboard on db and returns its /_health URL.
func serveHealth(t *testing.T, db *store.DB) string {
	t.Helper()
	dir := t.TempDir()
	srv := httptest.NewUnstartedServer(nil)
	a, err := app.New(context.Background(), db, app.Config{BaseURL: "http://" + srv.Listener.Addr().String(),
		DataDir: dir, Transport: mail.NewFileTransport(filepath.Join(dir, "mail"))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Server.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL + "/_health"
}

// waitHealth polls url until it answers status (the health check caches its answer for a
// second), and returns the body. It fails after 15 s: a wait, not a measurement.
func waitHealth(t *testing.T, url string, status int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == status {
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("/_health answers %d %q, want %d", resp.StatusCode, body, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// /_health follows the PostgreSQL database: 503 with the reason while no connection to it can
// be made, 200 once it can again.
func TestHealthReportsPostgresUnreachable(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	health := serveHealth(t, db)
	if body := waitHealth(t, health, http.StatusOK); body != "ok" {
		t.Errorf("healthy body %q", body)
	}

	// The operator's connection closes the database to new connections and ends the others,
	// as a database being failed over or shut down does.
	admin, err := sql.Open("pgx", pgtest.ServerURL(t, url))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	name := url[strings.LastIndex(url, "/")+1:]
	name = name[:strings.IndexByte(name+"?", '?')]
	for _, q := range []string{`ALTER DATABASE "` + name + `" ALLOW_CONNECTIONS false`,
		`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '` + name + `'`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	body := waitHealth(t, health, http.StatusServiceUnavailable)
	if !strings.HasPrefix(body, "database unreachable") || strings.Contains(body, name) {
		t.Errorf("unhealthy body %q", body)
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE "`+name+`" ALLOW_CONNECTIONS true`); err != nil {
		t.Fatal(err)
	}
	waitHealth(t, health, http.StatusOK)
}

// On SQLite /_health answers 503 once the database is closed.
func TestHealthReportsSQLiteClosed(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	health := serveHealth(t, db)
	waitHealth(t, health, http.StatusOK)
	db.Close()
	if body := waitHealth(t, health, http.StatusServiceUnavailable); !strings.HasPrefix(body, "database unreachable") {
		t.Errorf("unhealthy body %q", body)
	}
}
