package mail_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// memOutbox is an in-memory core.Outbox that lets tests wait for the sender's next move.
type memOutbox struct {
	mu       sync.Mutex
	msgs     []*core.OutboxMessage
	failures []failure
	dueCalls int
	// claims makes ClaimDue claim what it returns until now+lease, as the PostgreSQL store
	// does for several instances.
	claims  bool
	changed chan struct{} // closed and replaced on every call
}

type failure struct {
	ID            int64
	PriorAttempts int
	Reason        string
	At, Next      time.Time
}

func newOutbox() *memOutbox { return &memOutbox{changed: make(chan struct{})} }

func (o *memOutbox) notifyLocked() {
	close(o.changed)
	o.changed = make(chan struct{})
}

// enqueue adds a message as the sqlite store would, inside the creating transaction.
func (o *memOutbox) enqueue(t testing.TB, to, template string, data any) int64 {
	t.Helper()
	raw, ok := data.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(data); err != nil {
			t.Fatal(err)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	m := &core.OutboxMessage{ID: int64(len(o.msgs) + 1), To: to, Template: template, Data: raw, NextAttemptAt: now, CreatedAt: now}
	o.msgs = append(o.msgs, m)
	o.notifyLocked()
	return m.ID
}

func (o *memOutbox) ClaimDue(_ context.Context, now time.Time, lease time.Duration, limit int) ([]core.OutboxMessage, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.dueCalls++
	o.notifyLocked()
	var due []core.OutboxMessage
	for _, m := range o.msgs {
		if m.SentAt == nil && !m.NextAttemptAt.After(now) && len(due) < limit {
			taken := *m
			if o.claims {
				m.NextAttemptAt = now.Add(lease)
				taken.ClaimedUntil = m.NextAttemptAt
			}
			due = append(due, taken)
		}
	}
	return due, nil
}

func (o *memOutbox) MarkSent(_ context.Context, id int64, at time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id-1]
	m.SentAt = &at
	o.notifyLocked()
	return nil
}

func (o *memOutbox) MarkFailed(_ context.Context, id int64, reason string, next time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.msgs[id-1]
	o.failures = append(o.failures, failure{ID: id, PriorAttempts: m.Attempts, Reason: reason, At: time.Now(), Next: next})
	m.Attempts++
	m.LastError = reason
	m.NextAttemptAt = next
	o.notifyLocked()
	return nil
}

func (o *memOutbox) get(id int64) core.OutboxMessage {
	o.mu.Lock()
	defer o.mu.Unlock()
	return *o.msgs[id-1]
}

func (o *memOutbox) failuresOf(id int64) []failure {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(o.failures), func(f failure) bool { return f.ID != id })
}

// waitUntil waits for cond to hold, re-checking it whenever the outbox is used.
func (o *memOutbox) waitUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	for {
		o.mu.Lock()
		changed := o.changed
		o.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("outbox: gave up waiting until %s", what)
		}
	}
}

func (o *memOutbox) waitSent(t testing.TB, id int64) core.OutboxMessage {
	t.Helper()
	o.waitUntil(t, "message is sent", func() bool { return o.get(id).SentAt != nil })
	return o.get(id)
}
