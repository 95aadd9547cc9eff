package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/app"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/store"
)

// BenchmarkAPITokenCreation measures the server's CPU per org token created through the API
// with an owner's session, the write of scripts/writeload.sh (BENCHMARKS.md, "Writes under
// load"): the request, its transaction (token, audit entry, one email per owner queued) and
// the mail sender delivering those emails to files meanwhile, as the real server does.
func BenchmarkAPITokenCreation(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := b.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const base = "http://127.0.0.1:9000"
	db.BaseURL, db.PasswordCost = base, 4
	if err := demo.Seed(core.WithActor(ctx, core.Actor{Operator: true}), db, "password-1234", io.Discard); err != nil {
		b.Fatal(err)
	}
	parts, err := app.New(ctx, db, app.Config{BaseURL: base, DataDir: dir, Transport: mail.NewFileTransport(filepath.Join(dir, "mail")),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	go parts.Sender.Run(ctx)
	handler := parts.Server.Handler()

	// Sign in as a browser does; the API then accepts the session cookie on a same-origin request.
	form := url.Values{"email": {"owner@acme.test"}, "password": {"password-1234"}}
	login := httptest.NewRequest(http.MethodPost, base+"/auth/login/", strings.NewReader(form.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Sec-Fetch-Site", "same-origin")
	login.Header.Set("Origin", base)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, login)
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		b.Fatalf("sign-in set no cookie: %d %s", rec.Code, rec.Body)
	}
	n := 0
	for b.Loop() {
		n++
		req := httptest.NewRequest(http.MethodPost, base+"/api/0/organizations/acme/org-auth-tokens/",
			strings.NewReader(`{"name":"load `+strconv.Itoa(n)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", base)
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
