package blob_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/blob/blobtest"
)

func sum(b []byte) string { return blobtest.Sum(b) }

func TestFSStore(t *testing.T) {
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	blobtest.Contract(t, s, func(t *testing.T, sum string, at time.Time) {
		if err := os.Chtimes(filepath.Join(dir, sum[:2], sum[2:]), at, at); err != nil {
			t.Fatal(err)
		}
	})
}

// What only the file store does: private files, no temporary files left by refused puts,
// stale temporary files of interrupted puts removed.
func TestFSStoreFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("a chunk of someone's source code")
	addr := sum(data)
	if _, err := s.Put(ctx, addr, bytes.NewReader(data), 0); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, addr[:2], addr[2:]))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file mode: %v %v", info, err)
	}
	s.Put(ctx, sum([]byte("other")), bytes.NewReader(data), 0) // refused: checksum
	s.Put(ctx, sum(data), bytes.NewReader(append(data, 'x')), int64(len(data)))
	if tmp, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %d", len(tmp))
	}

	stale := filepath.Join(dir, "tmp", "put-stale")
	os.WriteFile(stale, []byte("half"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	fresh := filepath.Join(dir, "tmp", "put-fresh")
	os.WriteFile(fresh, []byte("half"), 0o600)
	if err := s.RemoveStaleTemp(time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temp file kept: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
}
