package app_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/app"
	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/store"
)

// TestMaintenanceRemovesAbandonedChunks checks the hourly clean-up: a chunk nobody assembled
// is forgotten and its blob deleted once older than core.UnassembledChunkLifetime, and not
// before.
func TestMaintenanceRemovesAbandonedChunks(t *testing.T) {
	ctx := core.WithActor(context.Background(), core.Actor{Operator: true, IP: "console"})
	dir := t.TempDir()
	db, err := store.Open(ctx, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.PasswordCost = 4
	if err := demo.Seed(ctx, db, "password-1234", io.Discard); err != nil {
		t.Fatal(err)
	}
	org, err := db.OrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	store, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("an abandoned chunk")
	h := sha1.Sum(data)
	sum := hex.EncodeToString(h[:])
	if _, err := store.Put(ctx, sum, bytes.NewReader(data), 0); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordChunks(ctx, org.ID, []core.Chunk{{SHA1: sum, Size: int64(len(data))}}); err != nil {
		t.Fatal(err)
	}
	m := &app.Maintenance{CI: db, Blobs: store, Log: slog.New(slog.DiscardHandler)}

	m.Now = func() time.Time { return time.Now().Add(time.Hour) }
	if err := m.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Stat(ctx, sum); err != nil {
		t.Fatalf("a chunk an hour old was removed: %v", err)
	}
	m.Now = func() time.Time { return time.Now().Add(core.UnassembledChunkLifetime + time.Hour) }
	if err := m.Once(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Stat(ctx, sum); err == nil {
		t.Error("a chunk abandoned for more than a day is still stored")
	}
	if missing, _ := db.MissingChunks(ctx, org.ID, []string{sum}); len(missing) != 1 {
		t.Error("the organization still holds the pruned chunk")
	}
}
