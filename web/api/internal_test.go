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

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
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

// TestAPIScopeTableMatchesTheRoutes checks that every entry of apiRoutes is a registered route
// (no stale or misspelt entry), and that a route missing from the table fails closed.
func TestAPIScopeTableMatchesTheRoutes(t *testing.T) {
	s := newBareServer(t, Services{Tokens: &countingTokens{}})
	registered := map[string]bool{}
	for _, r := range s.echo.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	for key := range apiRoutes {
		if !registered[key] {
			t.Errorf("apiRoutes has %q, which is no route", key)
		}
	}

	e := echo.New()
	c := e.NewContext(httptest.NewRequest(http.MethodPatch, "/api/0/organizations/acme/", nil), httptest.NewRecorder())
	c.SetPath("/api/0/organizations/:org/")
	reached := false
	err := s.apiAuthorize(func(echo.Context) error { reached = true; return nil })(c)
	if err == nil || reached || core.ErrorCode(err) != core.EINTERNAL {
		t.Errorf("a route missing from apiRoutes: err %v, handler reached %v; want an internal error", err, reached)
	}
}

// FuzzBearerToken feeds bearerToken arbitrary Authorization headers. It never panics; a
// header that is not Bearer (any case) is not its business; a malformed Bearer header gets one
// of Sentry's two messages; an accepted token is non-empty, without spaces or tabs, and is what
// follows the scheme.
func FuzzBearerToken(f *testing.F) {
	for _, seed := range []string{
		"", "Bearer", "Bearer ", "bearer   ", "Bearer abc", "BEARER sntryu_" + strings.Repeat("a", 64),
		"Bearer a b", "Bearer a\tb", "Bearer \ta", "Basic dXNlcjpwYXNz", "Token abc", "Bearerabc",
		"Bearer  abc  ", "Bearer\tabc", "Bearer abc\x00", "Bearer é",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, header string) {
		token, ok, err := bearerToken(header)
		scheme, rest, _ := strings.Cut(header, " ")
		isBearer := strings.EqualFold(scheme, "bearer")
		switch {
		case !isBearer:
			if ok || err != nil || token != "" {
				t.Fatalf("%q is not a Bearer header, got %q %v %v", header, token, ok, err)
			}
		case err != nil:
			msg := core.ErrorMessage(err)
			if !ok || core.ErrorCode(err) != core.EUNAUTHORIZED || (msg != msgSchemeOnly && msg != msgSpacesInToken) {
				t.Fatalf("%q: error %v", header, err)
			}
		default:
			if !ok || token == "" || strings.ContainsAny(token, " \t") || strings.Trim(rest, " ") != token {
				t.Fatalf("%q: token %q", header, token)
			}
		}
	})
}

// FuzzAPIPage feeds the pagination parameters arbitrary values: a page is either refused with
// a 400 or has an offset ≥ 0 and a limit of 1 to 100.
func FuzzAPIPage(f *testing.F) {
	for _, seed := range [][2]string{
		{"", ""}, {"0:100:0", ""}, {"0:0:1", "1"}, {"abc", ""}, {"1:2", "100"}, {"0:99999999999:0", ""},
		{"-1:5:0", "0"}, {"0:5:0:1", "101"}, {"", "-1"}, {"0: 5:0", "1e3"},
	} {
		f.Add(seed[0], seed[1])
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, cursor, perPage string) {
		q := "cursor=" + urlQueryEscape(cursor) + "&per_page=" + urlQueryEscape(perPage)
		c := e.NewContext(httptest.NewRequest(http.MethodGet, "/?"+q, nil), httptest.NewRecorder())
		page, err := apiPage(c)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("cursor %q per_page %q: error %v", cursor, perPage, err)
			}
			return
		}
		if page.Offset < 0 || page.Limit < 1 || page.Limit > apiPerPage {
			t.Fatalf("cursor %q per_page %q: page %+v", cursor, perPage, page)
		}
	})
}

// FuzzReadJSON feeds the API's body reader arbitrary bodies and reads a release from them:
// it never panics, and refuses what it cannot read with a validation error (400).
func FuzzReadJSON(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"version":"1.0","projects":["web",12]}`, `{"version":1}`,
		`{"projects":[1.5,true,null]}`, `{"dateReleased":"2025-01-01T00:00:00Z"}`, `{"dateReleased":null}`,
		`{"version":"a","version":"b"}`, `{"projects":[99999999999999999999]}`, `{`, "\xff",
	} {
		f.Add(seed)
	}
	e := echo.New()
	f.Fuzz(func(t *testing.T, body string) {
		c := e.NewContext(httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body)), httptest.NewRecorder())
		b, err := readJSON(c)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("%q: error %v", body, err)
			}
			return
		}
		b.required("version")
		b.str("ref")
		b.time("dateReleased")
		b.slugsOrIDs("projects")
		if err := b.err(); err != nil && (core.ErrorCode(err) != core.EINVALID || len(core.ErrorFields(err)) == 0) {
			t.Fatalf("%q: error %v", body, err)
		}
	})
}
