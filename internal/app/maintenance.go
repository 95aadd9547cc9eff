package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/core"
)

// MaintenanceInterval is how often Maintenance.Run cleans up: abandoned chunks live
// core.UnassembledChunkLifetime (a day), so an hour more or less does not matter.
const MaintenanceInterval = time.Hour

// staleTempAge is how old a temporary file of the blob store must be to count as the
// remains of an upload cut off mid-write.
const staleTempAge = time.Hour

// Maintenance removes what CI uploads leave behind: chunks never assembled into a bundle or
// debug file after core.UnassembledChunkLifetime, the blobs nobody holds any more, and
// temporary files of interrupted writes.
type Maintenance struct {
	CI    core.CIService
	Blobs blob.Store
	Log   *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Run cleans up once at start and then every MaintenanceInterval until ctx is done.
func (m *Maintenance) Run(ctx context.Context) {
	t := time.NewTicker(MaintenanceInterval)
	defer t.Stop()
	for {
		if err := m.Once(ctx); err != nil && ctx.Err() == nil {
			m.Log.Error("maintenance", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once prunes abandoned chunks and deletes the blobs they leave unheld, then removes stale
// temporary files. A blob is deleted only if no upload re-sent its bytes since the prune
// started (DeleteIfIdleSince), so an upload racing the cleanup keeps them.
func (m *Maintenance) Once(ctx context.Context) error {
	now := time.Now()
	if m.Now != nil {
		now = m.Now()
	}
	orphans, err := m.CI.PruneChunks(ctx, now.Add(-core.UnassembledChunkLifetime))
	if err != nil {
		return err
	}
	removed := 0
	for _, sum := range orphans {
		ok, err := m.Blobs.DeleteIfIdleSince(ctx, sum, now)
		if err != nil {
			return err
		}
		if ok {
			removed++
		}
	}
	if removed > 0 {
		m.Log.Info("maintenance: removed abandoned uploads", "blobs", removed)
	}
	// Only a file store leaves temporary files; the database's writes are atomic.
	if fs, ok := m.Blobs.(interface{ RemoveStaleTemp(time.Time) error }); ok {
		return fs.RemoveStaleTemp(now.Add(-staleTempAge))
	}
	return nil
}
