package web

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DatabasePinger is what the health check asks: whether the database answers.
type DatabasePinger interface {
	Ping(ctx context.Context) error
}

// healthPingTimeout bounds one ping: a probe must get an answer even when the database's
// host does not answer at all.
const healthPingTimeout = 2 * time.Second

// healthCacheFor is how long a ping's answer stands: a probe (or an attacker) hammering
// /_health costs the database one ping a second, whatever the request rate.
const healthCacheFor = time.Second

// healthCheck pings the database at most once per healthCacheFor. Requests arriving while a
// ping is under way wait for it (at most healthPingTimeout) rather than ping again.
type healthCheck struct {
	db  DatabasePinger
	log *slog.Logger
	// now is the clock of the cache (the wall clock; tests of the cache replace it).
	now func() time.Time

	mu      sync.Mutex
	checked time.Time
	err     error
}

func newHealthCheck(db DatabasePinger, log *slog.Logger) *healthCheck {
	return &healthCheck{db: db, log: log, now: time.Now}
}

// check returns nil when the database answered its last ping, which is at most
// healthCacheFor old.
func (h *healthCheck) check(ctx context.Context) error {
	if h == nil || h.db == nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.checked.IsZero() && h.now().Sub(h.checked) < healthCacheFor {
		return h.err
	}
	pingCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), healthPingTimeout)
	defer cancel()
	err := h.db.Ping(pingCtx)
	// Logged when the answer changes, not per request.
	if err != nil && h.err == nil {
		h.log.Error("health: the database does not answer", "err", err)
	} else if err == nil && h.err != nil {
		h.log.Info("health: the database answers again")
	}
	h.err, h.checked = err, h.now()
	return err
}
