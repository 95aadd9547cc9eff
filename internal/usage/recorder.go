// Package usage records when API tokens are used without a database write per request: uses
// are kept in memory, the latest per token, and saved in batches at a short interval and once
// more on shutdown.
package usage

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// DefaultInterval is how often Run saves the uses recorded since the last save. "Last used"
// is shown as a relative time ("a few seconds ago"), so a few seconds of delay go unnoticed.
const DefaultInterval = 5 * time.Second

type key struct {
	kind core.TokenKind
	id   int64
}

// Recorder collects token uses and saves them through a core.TokenUseStore.
type Recorder struct {
	store core.TokenUseStore
	log   *slog.Logger
	// Interval is how often Run saves; change it before calling Run.
	Interval time.Duration

	mu      sync.Mutex
	pending map[key]core.TokenUse
}

// NewRecorder returns a recorder saving to store every DefaultInterval once Run is called.
func NewRecorder(store core.TokenUseStore, log *slog.Logger) *Recorder {
	if log == nil {
		log = slog.Default()
	}
	return &Recorder{store: store, log: log, Interval: DefaultInterval, pending: map[key]core.TokenUse{}}
}

// RecordTokenUse notes a use in memory; it never blocks on the database. Of the uses of one
// token since the last save, the latest time is kept, and the latest project and forward-auth
// target named.
func (r *Recorder) RecordTokenUse(u core.TokenUse) {
	k := key{u.Kind, u.TokenID}
	r.mu.Lock()
	if prev, ok := r.pending[k]; ok {
		u = merge(prev, u)
	}
	r.pending[k] = u
	r.mu.Unlock()
}

// merge combines two uses of one token: the later time, and the project and target of the
// later use that named one.
func merge(older, newer core.TokenUse) core.TokenUse {
	if newer.At.Before(older.At) {
		older, newer = newer, older
	}
	if newer.ProjectID == 0 {
		// The action goes with its project: "uploaded source maps to web".
		newer.ProjectID, newer.Action = older.ProjectID, older.Action
	}
	if newer.Target == "" {
		newer.Target = older.Target
	}
	return newer
}

// Flush saves every use recorded so far in one batch. If saving fails, the uses are kept for
// the next attempt (merged with any recorded meanwhile) and the error is returned.
func (r *Recorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	if len(batch) == 0 {
		r.mu.Unlock()
		return nil
	}
	r.pending = make(map[key]core.TokenUse, len(batch))
	r.mu.Unlock()

	uses := make([]core.TokenUse, 0, len(batch))
	for _, u := range batch {
		uses = append(uses, u)
	}
	err := r.store.SaveTokenUses(ctx, uses)
	if err != nil {
		r.mu.Lock()
		for k, u := range batch {
			if cur, ok := r.pending[k]; ok {
				u = merge(u, cur)
			}
			r.pending[k] = u
		}
		r.mu.Unlock()
	}
	return err
}

// Run saves the recorded uses every Interval until ctx is done. It does not save a last time:
// the server calls Flush after it has stopped taking requests, so no use is left behind.
func (r *Recorder) Run(ctx context.Context) {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.Flush(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("saving token last-used times", "err", err)
			}
		}
	}
}
