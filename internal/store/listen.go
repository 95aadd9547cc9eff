package store

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// listener keeps one connection LISTENing on invalidateChannel and drops every cached answer
// when another instance commits a write that can change one (this instance's own writes have
// invalidated its caches at their commit already).
//
// The caches may answer from memory only while the listener is connected: a write committed
// while it is down would go unannounced. So it marks the store's answers untrusted the moment
// the connection fails (the caches then read through), and trusts them again only after LISTEN
// is back in place, dropping everything cached before.
type listener struct {
	cancel context.CancelFunc
	done   chan struct{}
	// ready is closed once the first LISTEN is in place.
	ready     chan struct{}
	readyOnce sync.Once
}

// listenerRetry is how long the listener waits before reconnecting, doubling up to
// listenerRetryMax while PostgreSQL stays unreachable.
const (
	listenerRetry    = 50 * time.Millisecond
	listenerRetryMax = 2 * time.Second
	// listenerPing is how long the listener waits for a notification before it checks the
	// connection with a ping (and how long the ping may take).
	listenerPing = 5 * time.Second
)

func startListener(cfg *pgx.ConnConfig, db *DB, self string) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
	go func() {
		defer close(l.done)
		retry := listenerRetry
		for ctx.Err() == nil {
			if l.listenOnce(ctx, cfg, db, self) {
				retry = listenerRetry
			}
			select {
			case <-ctx.Done():
			case <-time.After(retry):
			}
			retry = min(2*retry, listenerRetryMax)
		}
	}()
	return l
}

// listenOnce connects, listens until the connection fails or ctx ends, and reports whether it
// was listening at all.
func (l *listener) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, db *DB, self string) (listened bool) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+invalidateChannel); err != nil {
		return false
	}
	// From here every commit is announced to us; what was cached before may predate one.
	db.Invalidate()
	db.answersTrusted.Store(true)
	l.readyOnce.Do(func() { close(l.ready) })
	defer func() {
		db.answersTrusted.Store(false)
		db.Invalidate()
	}()
	for {
		// Wake up now and then to ping: a connection that silently died (a network partition,
		// no RST) would otherwise wait forever while the caches trust it.
		waitCtx, cancel := context.WithTimeout(ctx, listenerPing)
		n, err := conn.WaitForNotification(waitCtx)
		cancel()
		switch {
		case err == nil:
			if n.Payload != self {
				db.Invalidate()
			}
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			pingCtx, cancel := context.WithTimeout(ctx, listenerPing)
			err := conn.Ping(pingCtx)
			cancel()
			if err != nil {
				return true
			}
		default:
			return true
		}
	}
}

// waitReady waits at most d for the first LISTEN, so that a store starts with its caches on;
// past d it goes on without them until the listener connects.
func (l *listener) waitReady(d time.Duration) {
	select {
	case <-l.ready:
	case <-time.After(d):
	}
}

// stop ends the listener and waits for it.
func (l *listener) stop() {
	l.cancel()
	<-l.done
}
