package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

// TestUnavailableIs503WithRetryAfter checks the error mapping for a write that could not get
// its turn (core.EUNAVAILABLE): 503 with Retry-After, on the API and on the screens, never 500.
func TestUnavailableIs503WithRetryAfter(t *testing.T) {
	t.Parallel()
	s := newBareServer(t, Services{})
	for _, path := range []string{"/api/0/organizations/acme/org-auth-tokens/", "/settings/acme/auth-tokens/"} {
		rec := httptest.NewRecorder()
		c := s.echo.NewContext(httptest.NewRequest(http.MethodPost, path, nil), rec)
		s.handleError(core.Errorf(core.EUNAVAILABLE, "The server is busy writing; try again in a moment."), c)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: status %d, Retry-After %q; want 503 with Retry-After", path, rec.Code, rec.Header().Get("Retry-After"))
		}
		if !strings.Contains(rec.Body.String(), "try again") {
			t.Errorf("%s: body %.200q lacks the message", path, rec.Body.String())
		}
	}
}
