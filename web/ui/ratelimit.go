package ui

import (
	"sync"
	"time"
)

// failureLimiter counts failed sign-ins per key (an IP, an account) in a fixed window, so
// that password guessing slows to a crawl without locking out the real user for long.
type failureLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	window  time.Duration
	entries map[string]*failures
	sweep   time.Time
}

type failures struct {
	count int
	start time.Time
}

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return &failureLimiter{now: now, window: 15 * time.Minute, entries: map[string]*failures{}}
}

// Blocked reports whether key has reached max failures in the current window.
func (l *failureLimiter) Blocked(key string, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.entries[key]
	return f != nil && l.now().Sub(f.start) < l.window && f.count >= max
}

// Fail records a failure for key.
func (l *failureLimiter) Fail(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.sweep) > l.window {
		// Drop expired windows now and then, so the map cannot grow without bound.
		for k, f := range l.entries {
			if now.Sub(f.start) >= l.window {
				delete(l.entries, k)
			}
		}
		l.sweep = now
	}
	f := l.entries[key]
	if f == nil || now.Sub(f.start) >= l.window {
		f = &failures{start: now}
		l.entries[key] = f
	}
	f.count++
}

// Forgive takes back one counted attempt of key: a sign-in that succeeded after all.
func (l *failureLimiter) Forgive(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.entries[key]; f != nil && f.count > 0 {
		f.count--
	}
}

// Reset forgets key's failures after a successful sign-in.
func (l *failureLimiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, key)
}
