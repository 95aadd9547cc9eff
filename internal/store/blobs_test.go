package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/tokenboard/tokenboard/internal/blob/blobtest"
	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
)

// On PostgreSQL the uploaded bytes live in the database and keep blob.Store's contract, as
// the file store does.
func TestPostgresBlobsKeepTheStoreContract(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	db, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	blobs := db.Blobs()
	if blobs == nil {
		t.Fatal("PostgreSQL store keeps no blobs")
	}
	blobtest.Contract(t, blobs, func(t *testing.T, sum string, at time.Time) {
		if _, err := raw.ExecContext(ctx, `UPDATE blobs SET put_at = $1 WHERE sha1 = $2`, at, sum); err != nil {
			t.Fatal(err)
		}
	})
}

// A second instance on the same database reads what the first stored: the reason the bytes
// are in the database.
func TestPostgresBlobsAreSharedByInstances(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	a, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data := []byte("uploaded through instance A")
	if _, err := a.Blobs().Put(ctx, blobtest.Sum(data), bytesReader(data), 0); err != nil {
		t.Fatal(err)
	}
	if size, err := b.Blobs().Stat(ctx, blobtest.Sum(data)); err != nil || size != int64(len(data)) {
		t.Fatalf("instance B: %d %v", size, err)
	}
}

// On SQLite the store keeps no blobs: the files in the data folder do (app.New).
func TestSQLiteKeepsNoBlobs(t *testing.T) {
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Blobs() != nil {
		t.Error("SQLite store claims to keep blobs")
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
