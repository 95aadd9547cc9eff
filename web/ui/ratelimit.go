package ui

import (
	"sync"
	"time"
)

// Failed sign-ins slow down the one who fails, and nobody else (issue 10 item 8). Failures are
// counted per (account, client IP) and per client IP. Past a few free failures, each further
// failure makes that key wait before its next attempt: loginDelayBase, doubling, at most
// loginDelayMax. An attempt before the key's next allowed time is refused without checking the
// password ("Too many failed attempts. Try again in N seconds."); the handler never sleeps.
// Nothing is counted per account alone, so nobody can lock a user out from another address:
// the right password from an IP that has not been failing is always accepted.
const (
	// loginFreePerAccountIP are the failures of one account from one IP before delays start.
	loginFreePerAccountIP = 3
	// loginFreePerIP are the failures from one IP, over every account, before delays start.
	loginFreePerIP = 20
	loginDelayBase = time.Second
	loginDelayMax  = 5 * time.Minute
	// loginForget is how long a key's failures are remembered after its last attempt.
	loginForget = 15 * time.Minute
	// loginMaxKeys bounds the table; when full, keys past loginForget go, and if that is not
	// enough the table is emptied (forgiving everyone rather than growing without bound).
	loginMaxKeys = 100_000
)

// loginThrottle holds the failure counts and next allowed attempt of each key.
type loginThrottle struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]*throttleEntry
	sweep   time.Time
}

type throttleEntry struct {
	failures int
	next     time.Time // no attempt before this
	last     time.Time // the last attempt counted
}

func newLoginThrottle(now func() time.Time) *loginThrottle {
	return &loginThrottle{now: now, entries: map[string]*throttleEntry{}}
}

// loginDelay is the wait after a key's failures-th failure, with free failures allowed.
func loginDelay(failures, free int) time.Duration {
	if failures <= free {
		return 0
	}
	d := loginDelayBase
	for range failures - free - 1 {
		if d >= loginDelayMax {
			break
		}
		d *= 2
	}
	return min(d, loginDelayMax)
}

// throttleKey is a key and its free failures.
type throttleKey struct {
	key  string
	free int
}

// attempt is a sign-in attempt counted, in advance, as a failure of each of its keys: counting
// before the slow password check keeps a burst of concurrent guesses from all passing the
// check of the next allowed time. Succeeded takes it back.
type attempt struct {
	l    *loginThrottle
	keys []throttleKey
	prev []throttleEntry
	// delay is the longest wait the attempt's failure imposes on its keys.
	delay time.Duration
}

// begin starts an attempt for keys. If any key may not try yet, nothing is counted and wait
// says how long until it may.
func (l *loginThrottle) begin(keys ...throttleKey) (a *attempt, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.sweepLocked(now)
	for _, k := range keys {
		if e := l.entries[k.key]; e != nil && now.Before(e.next) {
			wait = max(wait, e.next.Sub(now))
		}
	}
	if wait > 0 {
		return nil, wait
	}
	a = &attempt{l: l, keys: keys}
	for _, k := range keys {
		e := l.entries[k.key]
		if e == nil {
			e = &throttleEntry{}
			l.entries[k.key] = e
		}
		a.prev = append(a.prev, *e)
		e.failures++
		e.last = now
		d := loginDelay(e.failures, k.free)
		e.next = now.Add(d)
		a.delay = max(a.delay, d)
	}
	return a, 0
}

// succeeded takes the attempt back: the password was right. The (account, IP) key forgets its
// failures; the IP key keeps the others it had.
func (a *attempt) succeeded(forget string) {
	a.l.mu.Lock()
	defer a.l.mu.Unlock()
	for i, k := range a.keys {
		if k.key == forget {
			delete(a.l.entries, k.key)
			continue
		}
		if e := a.l.entries[k.key]; e != nil {
			e.failures = max(0, e.failures-1)
			e.next = a.prev[i].next
		}
	}
}

// sweepLocked drops keys not tried for loginForget, at most once per minute, or whenever the
// table is full.
func (l *loginThrottle) sweepLocked(now time.Time) {
	if now.Sub(l.sweep) < time.Minute && len(l.entries) < loginMaxKeys {
		return
	}
	l.sweep = now
	for k, e := range l.entries {
		if now.Sub(e.last) >= loginForget && !now.Before(e.next) {
			delete(l.entries, k)
		}
	}
	if len(l.entries) >= loginMaxKeys {
		l.entries = map[string]*throttleEntry{}
	}
}
