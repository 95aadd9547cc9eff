package web

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestClientGoneIsNotAServerError: a request whose client went away ends with the store's
// context.Canceled; that is recorded as 499, not answered or logged as the server's 500/503.
func TestClientGoneIsNotAServerError(t *testing.T) {
	var logs bytes.Buffer
	s := &Server{log: slog.New(slog.NewTextHandler(&logs, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest("POST", "/api/0/organizations/acme/org-auth-tokens/", nil).WithContext(ctx), rec)
	s.handleError(fmt.Errorf("insert token: %w", context.Canceled), c)
	if rec.Code != statusClientClosedRequest {
		t.Errorf("status %d, want %d", rec.Code, statusClientClosedRequest)
	}
	if logs.Len() > 0 {
		t.Errorf("logged: %s", logs.String())
	}
	// The same error while the client is still there is the server's failure.
	rec = httptest.NewRecorder()
	s.handleError(fmt.Errorf("insert token: %w", context.Canceled),
		echo.New().NewContext(httptest.NewRequest("GET", "/api/0/", nil), rec))
	if rec.Code != 500 {
		t.Errorf("status %d with the client still there, want 500", rec.Code)
	}
}
