package app

import (
	"context"
	"log/slog"
	"time"
)

// ReminderStore queues the expiry reminders due at the store's clock (store.DB).
type ReminderStore interface {
	SendExpiryReminders(ctx context.Context) (int, error)
}

// Reminders is the background job of expiry reminders (issue 15): on every tick it asks the
// store to queue the reminders now due. The store claims each reminder in the database, so
// several instances, restarts and overlapping ticks send each one once; the job keeps no
// state of its own, and the store's clock (DB.Now) decides what is due.
type Reminders struct {
	Store ReminderStore
	// Interval is the time between runs; reminders are days apart, so minutes are plenty.
	Interval time.Duration
	Logger   *slog.Logger
}

// Run sends reminders at once and then on every tick, until ctx ends.
func (r *Reminders) Run(ctx context.Context) {
	ticker := time.NewTicker(r.Interval)
	defer ticker.Stop()
	for {
		if n, err := r.Store.SendExpiryReminders(ctx); err != nil {
			r.Logger.Warn("expiry reminders", "err", err)
		} else if n > 0 {
			r.Logger.Info("expiry reminders queued", "tokens", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
