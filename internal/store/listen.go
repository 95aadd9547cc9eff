package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// listener keeps one connection LISTENing on invalidateChannel and drops every cached answer
// when another instance (or this one) commits a write that can change one.
//
// The caches may answer from memory only while the listener is connected: a write committed
// while it is down would go unannounced. So it marks the store's answers untrusted the moment
// the connection fails (the caches then read through), and trusts them again only after LISTEN
// is back in place, dropping everything cached before.
type listener struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// listenerRetry is how long the listener waits before reconnecting, doubling up to
// listenerRetryMax while PostgreSQL stays unreachable.
const (
	listenerRetry    = 50 * time.Millisecond
	listenerRetryMax = 2 * time.Second
)

func startListener(cfg *pgx.ConnConfig, db *DB) *listener {
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(l.done)
		retry := listenerRetry
		for ctx.Err() == nil {
			if listenOnce(ctx, cfg, db) {
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
func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, db *DB) (listened bool) {
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
	defer func() {
		db.answersTrusted.Store(false)
		db.Invalidate()
	}()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true
		}
		db.Invalidate()
	}
}

// stop ends the listener and waits for it.
func (l *listener) stop() {
	l.cancel()
	<-l.done
}
