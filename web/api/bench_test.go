package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/app"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// BenchmarkAPIRequest measures the server's own CPU per request, in process and without the
// network (BENCHMARKS.md, "API load"): the four requests of scripts/loadtest.sh, plus two that
// split the org token's cost: its authentication alone (GET /api/0/) and a one-release page.
func BenchmarkAPIRequest(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	db, parts := benchServer(b, dir)
	fixtures, err := storetest.New(db, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer fixtures.Close()
	orgToken, _ := fixtures.MintOrgToken(ctx, "acme", "CI")
	userToken, _ := fixtures.MintUserToken(ctx, "owner@acme.test",
		core.NewScopeSet(core.ScopeOrgRead, core.ScopeProjectReleases), nil)
	unknownToken, _ := core.GenerateUserToken()

	handler := parts.Server.Handler()
	do := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		return rec
	}
	for _, v := range []string{"1", "2", "3", "4", "5"} {
		do(http.MethodPost, "/api/0/organizations/acme/releases/", orgToken, `{"version":"1.0.`+v+`","projects":["web"]}`)
	}
	for _, sc := range []struct {
		name, path, token string
		status            int
	}{
		{"floor", "/_health", "", http.StatusOK},
		{"user-token-org-detail", "/api/0/organizations/acme/", userToken, http.StatusOK},
		{"org-token-releases", "/api/0/organizations/acme/releases/", orgToken, http.StatusOK},
		{"org-token-index", "/api/0/", orgToken, http.StatusOK},
		{"org-token-releases-1", "/api/0/organizations/acme/releases/?per_page=1", orgToken, http.StatusOK},
		{"unknown-token", "/api/0/organizations/acme/", unknownToken, http.StatusUnauthorized},
		// What nginx asks on every request with the documented snippet (issue 14).
		{"forward-auth-org-token", "/_auth/verify?scope=project:write&scope=org:ci&org=acme", orgToken, http.StatusOK},
	} {
		b.Run(sc.name, func(b *testing.B) {
			for b.Loop() {
				if rec := do(http.MethodGet, sc.path, sc.token, ""); rec.Code != sc.status {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
		})
	}
}

// benchBaseURL is the benchmarks' server address (nothing listens: requests go to the handler).
const benchBaseURL = "http://127.0.0.1:9000"

// benchServer is the server of the benchmarks, on a SQLite file in dir with the demo data
// (passwords "password-1234"), its mail written to files; the store closes with the benchmark.
func benchServer(b *testing.B, dir string) (*store.DB, *app.App) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.BaseURL, db.PasswordCost = benchBaseURL, 4
	if err := demo.Seed(core.WithActor(ctx, core.Actor{Operator: true}), db, "password-1234", io.Discard); err != nil {
		b.Fatal(err)
	}
	parts, err := app.New(ctx, db, app.Config{BaseURL: db.BaseURL, DataDir: dir, Transport: mail.NewFileTransport(filepath.Join(dir, "mail")),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	return db, parts
}
