package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/api"
)

// fakeSecrets hands out fixed keys.
type fakeSecrets struct{}

func (fakeSecrets) Secret(_ context.Context, _ string, size int) ([]byte, error) {
	return []byte(strings.Repeat("k", size)), nil
}

// countingTokens is a TokenAuthenticator standing for the database: it counts lookups.
type countingTokens struct{ lookups atomic.Int64 }

func (c *countingTokens) AuthenticateToken(context.Context, core.ParsedToken) (*core.Principal, error) {
	c.lookups.Add(1)
	return nil, core.Errorf(core.EUNAUTHORIZED, "Invalid token")
}

// newBareServer builds a server whose only services are the fakes given.
func newBareServer(t testing.TB, svc Services) *Server {
	t.Helper()
	svc.Secrets = fakeSecrets{}
	s, err := New(context.Background(), Config{
		BaseURL: "http://127.0.0.1:9", Services: svc, Static: fstest.MapFS{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func serve(s *Server, method, path, authorization string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// TestMalformedTokenNeverReachesTheDatabase checks that a token whose shape or checksum is
// wrong is refused by parsing alone, and that a well-formed one is looked up exactly once.
func TestMalformedTokenNeverReachesTheDatabase(t *testing.T) {
	t.Parallel()
	tokens := &countingTokens{}
	s := newBareServer(t, Services{Tokens: tokens})
	user, _ := core.GenerateUserToken()
	org, _ := core.GenerateOrgToken("http://127.0.0.1:9", "acme", time.Now())
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	for _, tok := range []string{
		flip(user, len(user)-1), flip(user, 10), flip(org, len(org)-1), flip(org, 12),
		user[:len(user)-1], user + "0", strings.ToUpper(user), "sntryx_" + user[7:], "not-a-token", "sntrys_",
	} {
		rec := serve(s, http.MethodGet, "/api/0/organizations/acme/", "Bearer "+tok)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("%q: status %d, want 401", tok, rec.Code)
		}
	}
	if n := tokens.lookups.Load(); n != 0 {
		t.Fatalf("%d database lookups for malformed tokens, want none", n)
	}
	serve(s, http.MethodGet, "/api/0/organizations/acme/", "Bearer "+user)
	if n := tokens.lookups.Load(); n != 1 {
		t.Errorf("%d lookups for a well-formed token, want 1", n)
	}
}

// TestAPIScopeTableMatchesTheRoutes checks that every entry of web/api's scope table is a
// registered route (no stale or misspelt entry). web/api's TestAuthorizeFailsClosed checks
// that a route missing from the table is refused.
func TestAPIScopeTableMatchesTheRoutes(t *testing.T) {
	t.Parallel()
	s := newBareServer(t, Services{Tokens: &countingTokens{}})
	registered := map[string]bool{}
	for _, r := range s.echo.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	for _, key := range api.ScopedRoutes() {
		if !registered[key] {
			t.Errorf("apiRoutes has %q, which is no route", key)
		}
	}
}

// TestSecretScanningIsRateLimited: unsigned reports are refused one by one, and past the
// burst the endpoint answers 429 without checking signatures.
func TestSecretScanningIsRateLimited(t *testing.T) {
	s := newBareServer(t, Services{Tokens: &countingTokens{}})
	var last int
	for i := 0; i < 100; i++ {
		req := httptest.NewRequest(http.MethodPost, "/api/0/secret-scanning/github/", strings.NewReader("[]"))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		last = rec.Code
		if i == 0 && rec.Code != http.StatusBadRequest {
			t.Fatalf("first unsigned report: %d, want 400", rec.Code)
		}
	}
	if last != http.StatusTooManyRequests {
		t.Errorf("the 100th report in a row: %d, want 429", last)
	}
}
