package api

import (
	"log/slog"
	"math"
	"sync"
	"time"
)

// Failed bearer authentications are limited per client IP, with a token bucket: an IP may fail
// authFailureBurst times at once, and earns one more failure every authFailureRefill. Past
// that, every request of that IP carrying a bearer token is answered 429 with Retry-After,
// before any database work, until the bucket has refilled enough for one more attempt.
//
// A limited IP is refused whatever token it sends, a valid one included, as GitHub's API does
// after repeated bad credentials: telling a valid token from an unknown one costs the database
// lookup the limit is there to spare, and an IP sending thousands of unknown tokens is either an
// attacker or a client that is broken. Other IPs are not affected at all.
//
// The buckets are in memory, per server process: with one server per data folder (the lock in
// internal/datadir) that is the whole picture. When several instances share a PostgreSQL
// database, each keeps its own buckets, so an attacker spread over N instances gets N times the
// allowance: counting failures in the database would turn a flood into writes on the shared
// write lock, the work the limit is there to spare (README, "Several instances").
const (
	authFailureBurst  = 20
	authFailureRefill = time.Second
	// authFailureMaxIPs bounds the buckets kept; full buckets (IPs that stopped failing) are
	// dropped first, and if the table is still full it is emptied (forgiving every IP), so an
	// attacker rotating addresses cannot grow memory without bound.
	authFailureMaxIPs = 100_000
	// DefaultAuthFailureLogInterval is how often failed authentications are logged: one line
	// per IP per interval with the counts, never one line per failure.
	DefaultAuthFailureLogInterval = time.Minute
	// refusedAnswerDelay is how long a refused request waits for its 429 (at most until the
	// IP may try again). A flood sent as fast as the server answers would otherwise take the
	// CPU from every other client, even answered with nothing but 429s; held back, each of the
	// attacker's connections sends about one request per delay.
	refusedAnswerDelay = time.Second
)

type failureBucket struct {
	tokens float64
	last   time.Time
	// inflight counts the attempts begun and not yet ended.
	inflight int
}

// authFailureCounts is what one IP did in the current log interval.
type authFailureCounts struct {
	failed, refused int
}

// authLimiter holds the failure buckets and the counts logged per interval.
type authLimiter struct {
	now      func() time.Time
	log      *slog.Logger
	interval time.Duration

	mu sync.Mutex
	// ended is signalled whenever an attempt ends (succeeded or failed).
	ended     *sync.Cond
	buckets   map[string]*failureBucket
	counts    map[string]*authFailureCounts
	scheduled bool
}

func newAuthLimiter(now func() time.Time, log *slog.Logger, interval time.Duration) *authLimiter {
	if interval <= 0 {
		interval = DefaultAuthFailureLogInterval
	}
	l := &authLimiter{now: now, log: log, interval: interval,
		buckets: map[string]*failureBucket{}, counts: map[string]*authFailureCounts{}}
	l.ended = sync.NewCond(&l.mu)
	return l
}

// refill brings b up to date at now and reports whether it is full.
func refill(b *failureBucket, now time.Time) bool {
	b.tokens = math.Min(authFailureBurst, b.tokens+float64(now.Sub(b.last))/float64(authFailureRefill))
	b.last = now
	return b.tokens >= authFailureBurst
}

// begin starts a bearer authentication by ip: it takes one attempt from ip's bucket, so that a
// burst of concurrent requests cannot all pass before their failures are counted. If the
// bucket is empty the request is refused (counted for the log) and wait says how long until
// ip may try again. Every begun attempt ends with succeeded or failed.
//
// A bucket emptied only by attempts still in flight is not a reason to refuse: begin waits
// for one of them to end. A success gives its attempt back, so a burst of valid requests (a
// CI fleet behind one address, all missing the cache after a write) passes, a little later;
// failures keep the bucket empty, so a flood is still refused after its first burst.
func (l *authLimiter) begin(ip string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		now := l.now()
		b := l.buckets[ip]
		if b == nil {
			if len(l.buckets) >= authFailureMaxIPs {
				l.sweepLocked(now)
			}
			b = &failureBucket{tokens: authFailureBurst, last: now}
			l.buckets[ip] = b
		}
		refill(b, now)
		if b.tokens >= 1 {
			b.tokens--
			b.inflight++
			return true, 0
		}
		if b.inflight == 0 {
			l.countLocked(ip).refused++
			return false, time.Duration((1 - b.tokens) * float64(authFailureRefill))
		}
		l.ended.Wait()
	}
}

// succeeded gives back the attempt begin took: only failures use up the bucket.
func (l *authLimiter) succeeded(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.buckets[ip]; b != nil {
		b.tokens = math.Min(authFailureBurst, b.tokens+1)
		b.inflight = max(0, b.inflight-1) // a bucket emptied by a sweep starts again at 0
	}
	l.ended.Broadcast()
}

// failed counts a failed authentication by ip for the log; begin has taken its attempt.
func (l *authLimiter) failed(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.countLocked(ip).failed++
	if b := l.buckets[ip]; b != nil {
		b.inflight = max(0, b.inflight-1)
	}
	l.ended.Broadcast()
}

// sweepLocked drops the buckets of IPs that have stopped failing, and everything if that is
// not enough.
func (l *authLimiter) sweepLocked(now time.Time) {
	for ip, b := range l.buckets {
		if refill(b, now) && b.inflight == 0 {
			delete(l.buckets, ip)
		}
	}
	if len(l.buckets) >= authFailureMaxIPs {
		l.buckets = map[string]*failureBucket{}
	}
}

// countLocked returns ip's counts for this interval, arranging for them to be logged at its
// end.
func (l *authLimiter) countLocked(ip string) *authFailureCounts {
	c := l.counts[ip]
	if c == nil {
		if len(l.counts) >= authFailureMaxIPs {
			// Still logged, as one line for the overflow.
			ip = "(other addresses)"
			if c = l.counts[ip]; c != nil {
				return c
			}
		}
		c = &authFailureCounts{}
		l.counts[ip] = c
	}
	if !l.scheduled {
		l.scheduled = true
		time.AfterFunc(l.interval, l.flush)
	}
	return c
}

// flush logs one line per IP with its counts since the last flush.
func (l *authLimiter) flush() {
	l.mu.Lock()
	counts := l.counts
	l.counts = map[string]*authFailureCounts{}
	l.scheduled = false
	l.mu.Unlock()
	for ip, c := range counts {
		l.log.Warn("bearer authentication failures", "ip", ip, "failed", c.failed, "refused", c.refused, "interval", l.interval.String())
	}
}
