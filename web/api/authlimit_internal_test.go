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

// TestAuthLimiterLetsAValidBurstThrough: more concurrent attempts than the burst, all of them
// valid (a fleet behind one address missing the cache at once), wait for the ones in flight
// instead of being refused; failures still empty the bucket.
func TestAuthLimiterLetsAValidBurstThrough(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := newAuthLimiter(func() time.Time { return now }, slog.New(slog.DiscardHandler), time.Hour)
	const ip = "192.0.2.9"
	for i := range authFailureBurst {
		if ok, _ := l.begin(ip); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	next := make(chan bool)
	go func() {
		ok, _ := l.begin(ip)
		next <- ok
	}()
	select {
	case ok := <-next:
		t.Fatalf("attempt past the burst answered %v while %d were in flight, want it to wait", ok, authFailureBurst)
	case <-time.After(50 * time.Millisecond):
	}
	l.succeeded(ip) // one in flight succeeds: its attempt is given back to the waiting one
	if !<-next {
		t.Fatal("refused after an attempt in flight succeeded")
	}
	// The others fail: the bucket is empty with nothing in flight but the one that passed.
	for range authFailureBurst - 1 {
		l.failed(ip)
	}
	go func() {
		ok, _ := l.begin(ip)
		next <- ok
	}()
	l.failed(ip) // the last one in flight fails too
	if <-next {
		t.Error("allowed once every attempt in flight had failed")
	}
}
