package api

import (
	"log/slog"
	"testing"
	"time"
)

func TestAuthLimiterBucket(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := newAuthLimiter(func() time.Time { return now }, slog.New(slog.DiscardHandler), time.Hour)
	const ip = "192.0.2.7"
	for i := range authFailureBurst {
		if ok, _ := l.begin(ip); !ok {
			t.Fatalf("attempt %d refused, want %d allowed at once", i+1, authFailureBurst)
		}
		l.failed(ip)
	}
	// Refused whatever comes next: begin is called before the token is even read.
	ok, wait := l.begin(ip)
	if ok || wait != authFailureRefill {
		t.Fatalf("attempt past the burst: ok=%v wait=%v, want refused for %v", ok, wait, authFailureRefill)
	}
	// Another IP is unaffected.
	if ok, _ := l.begin("192.0.2.8"); !ok {
		t.Error("another IP was refused")
	}
	l.succeeded("192.0.2.8")
	// One more attempt per refill period; a success gives its attempt back.
	now = now.Add(authFailureRefill)
	if ok, _ := l.begin(ip); !ok {
		t.Fatal("refused after a refill period")
	}
	l.succeeded(ip)
	if ok, _ := l.begin(ip); !ok {
		t.Error("a success used up the bucket")
	}
	l.failed(ip)
	if ok, _ := l.begin(ip); ok {
		t.Error("allowed with an empty bucket")
	}
}
