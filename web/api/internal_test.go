package api

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/tokenboard/tokenboard/internal/core"
)

// TestAuthorizeFailsClosed checks that a route missing from apiRoutes is refused with an
// internal error before its handler runs. (web's TestAPIScopeTableMatchesTheRoutes checks
// the other direction: every entry of the table is a registered route.)
func TestAuthorizeFailsClosed(t *testing.T) {
	t.Parallel()
	s := New(Config{})
	e := echo.New()
	c := e.NewContext(httptest.NewRequest(http.MethodPatch, "/api/0/organizations/acme/", nil), httptest.NewRecorder())
	c.SetPath("/api/0/organizations/:org/")
	reached := false
	err := s.Authorize(func(echo.Context) error { reached = true; return nil })(c)
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
		q := "cursor=" + url.QueryEscape(cursor) + "&per_page=" + url.QueryEscape(perPage)
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
