package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkAPITokenCreation measures the server's CPU per org token created through the API
// with an owner's session, the write of scripts/writeload.sh (BENCHMARKS.md, "Writes under
// load"): the request, its transaction (token, audit entry, one email per owner queued) and
// the mail sender delivering those emails to files meanwhile, as the real server does.
func BenchmarkAPITokenCreation(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, parts := benchServer(b, b.TempDir())
	go parts.Sender.Run(ctx)
	handler := parts.Server.Handler()

	// Sign in as a browser does; the API then accepts the session cookie on a same-origin request.
	form := url.Values{"email": {"owner@acme.test"}, "password": {"password-1234"}}
	login := httptest.NewRequest(http.MethodPost, benchBaseURL+"/auth/login/", strings.NewReader(form.Encode()))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Sec-Fetch-Site", "same-origin")
	login.Header.Set("Origin", benchBaseURL)
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, login)
	cookies := rec.Result().Cookies()
	if len(cookies) == 0 {
		b.Fatalf("sign-in set no cookie: %d %s", rec.Code, rec.Body)
	}
	n := 0
	for b.Loop() {
		n++
		req := httptest.NewRequest(http.MethodPost, benchBaseURL+"/api/0/organizations/acme/org-auth-tokens/",
			strings.NewReader(`{"name":"load `+strconv.Itoa(n)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		req.Header.Set("Origin", benchBaseURL)
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
