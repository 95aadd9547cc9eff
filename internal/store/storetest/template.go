package storetest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/store"
)

// demoTemplate is the demo database built once per test binary: migrating a new file and
// seeding the demo data costs far more than copying the result, and dozens of tests start
// from it. It is kept in memory (the file is removed at once), so nothing is left behind.
var demoTemplate = sync.OnceValues(buildDemoTemplate)

func buildDemoTemplate() ([]byte, error) {
	dir, err := os.MkdirTemp("", "tokenboard-demo-template-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tokenboard.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	// The cheapest bcrypt cost: the demo users are signed in by tests, not attacked.
	db.PasswordCost = bcrypt.MinCost
	if err := demo.Seed(core.WithActor(ctx, core.Actor{Operator: true, IP: "console"}), db, demo.Password, io.Discard); err != nil {
		db.Close()
		return nil, fmt.Errorf("seed demo: %w", err)
	}
	// Move everything from the write-ahead log into the file, so the file alone is the database.
	fx, err := New(db, path)
	if err == nil {
		err = fx.Checkpoint(ctx)
		fx.Close()
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(path + "-wal"); err == nil && info.Size() > 0 {
		return nil, fmt.Errorf("demo template: %d bytes left in the write-ahead log", info.Size())
	}
	return os.ReadFile(path)
}

// CopyDemo writes a database with the demo organizations (migrated, seeded with demo.Password
// at the cheapest bcrypt cost) to path, owner-only, as store.Open would create it. The first
// call of a test binary builds it; later calls copy its bytes, so every test still has a real
// database file of its own for the price of a file write.
func CopyDemo(path string) error {
	raw, err := demoTemplate()
	if err != nil {
		return err
	}
	return os.WriteFile(path, raw, 0o600)
}

// OpenDemo copies the demo database to path and opens it, with the cheapest bcrypt cost for
// the passwords the test sets. On PostgreSQL (OnPostgres) it opens a fresh database cloned from
// the demo instead, and path is not used.
func OpenDemo(ctx context.Context, path string) (*store.DB, error) {
	if OnPostgres() {
		return openPostgresDemo(ctx)
	}
	if err := CopyDemo(path); err != nil {
		return nil, err
	}
	db, err := store.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	db.PasswordCost = bcrypt.MinCost
	return db, nil
}

// OpenAnother opens a second store on the database db has open (the file at path, or db's
// PostgreSQL database), as a second process or instance would.
func OpenAnother(ctx context.Context, db *store.DB, path string) (*store.DB, error) {
	if u, ok := postgresURLs.Load(db); ok {
		return store.OpenPostgres(ctx, u.(string))
	}
	return store.Open(ctx, path)
}
