package blob_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/blob"
)

func sum(b []byte) string { h := sha1.Sum(b); return hex.EncodeToString(h[:]) }

func TestFSStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := blob.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("chunk of a bundle\n"), 1000)
	addr := sum(data)

	t.Run("PutThenReadBack", func(t *testing.T) {
		res, err := s.Put(ctx, addr, bytes.NewReader(data), 0)
		if err != nil || !res.Created || res.Size != int64(len(data)) {
			t.Fatalf("put: %+v %v", res, err)
		}
		b, err := s.Open(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		got, _ := io.ReadAll(b)
		if !bytes.Equal(got, data) || b.Size() != int64(len(data)) {
			t.Fatalf("read back %d bytes, size %d", len(got), b.Size())
		}
		buf := make([]byte, 5)
		if _, err := b.ReadAt(buf, 6); err != nil || string(buf) != "of a " {
			t.Errorf("ReadAt: %q %v", buf, err)
		}
		info, err := os.Stat(filepath.Join(dir, addr[:2], addr[2:]))
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("file mode: %v %v", info, err)
		}
	})
	t.Run("SecondPutIsDeduplicated", func(t *testing.T) {
		res, err := s.Put(ctx, addr, bytes.NewReader(data), 0)
		if err != nil || res.Created || res.Size != int64(len(data)) {
			t.Fatalf("second put: %+v %v", res, err)
		}
		n, size, err := s.Usage(ctx)
		if err != nil || n != 1 || size != int64(len(data)) {
			t.Errorf("usage: %d blobs, %d bytes, %v", n, size, err)
		}
	})
	t.Run("MismatchedContentIsRefusedAndLeavesNothing", func(t *testing.T) {
		other := []byte("not what the name says")
		bad := sum([]byte("something else"))
		if _, err := s.Put(ctx, bad, bytes.NewReader(other), 0); !errors.Is(err, blob.ErrChecksum) {
			t.Fatalf("put mismatched: %v", err)
		}
		if _, err := s.Stat(ctx, bad); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("mismatched blob was kept: %v", err)
		}
		// A present blob is verified too: claiming its address with other bytes fails.
		if _, err := s.Put(ctx, addr, bytes.NewReader(other), 0); !errors.Is(err, blob.ErrChecksum) {
			t.Errorf("put other bytes under a stored address: %v", err)
		}
		tmp, _ := os.ReadDir(filepath.Join(dir, "tmp"))
		if len(tmp) != 0 {
			t.Errorf("temporary files left: %d", len(tmp))
		}
	})
	t.Run("LimitIsEnforced", func(t *testing.T) {
		big := bytes.Repeat([]byte{'x'}, 1001)
		if _, err := s.Put(ctx, sum(big), bytes.NewReader(big), 1000); !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("put over limit: %v", err)
		}
		if _, err := s.Stat(ctx, sum(big)); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("oversized blob kept: %v", err)
		}
		if _, err := s.Put(ctx, sum(big), bytes.NewReader(big), 1001); err != nil {
			t.Errorf("put at limit: %v", err)
		}
	})
	t.Run("BadAddressesAreRefused", func(t *testing.T) {
		for _, a := range []string{"", "../../etc/passwd", addr[:39], "ABCDEF" + addr[6:], addr + "0"} {
			if _, err := s.Put(ctx, a, bytes.NewReader(nil), 0); !errors.Is(err, blob.ErrAddress) {
				t.Errorf("put %q: %v", a, err)
			}
			if _, err := s.Open(ctx, a); !errors.Is(err, blob.ErrAddress) {
				t.Errorf("open %q: %v", a, err)
			}
		}
	})
	t.Run("DeleteRemoves", func(t *testing.T) {
		if err := s.Delete(ctx, addr); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(ctx, addr); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("open deleted: %v", err)
		}
		if err := s.Delete(ctx, addr); err != nil {
			t.Errorf("delete twice: %v", err)
		}
	})
	t.Run("ReSentBlobSurvivesCleanupThatFoundItIdle", func(t *testing.T) {
		d := []byte("shared by a bundle being deleted and an upload under way")
		a := sum(d)
		s.Put(ctx, a, bytes.NewReader(d), 0)
		old := time.Now().Add(-time.Hour)
		os.Chtimes(filepath.Join(dir, a[:2], a[2:]), old, old)
		foundIdle := time.Now().Add(-time.Minute) // housekeeping saw it unheld then
		// An upload re-sends the same bytes (deduplicated) after that.
		if res, err := s.Put(ctx, a, bytes.NewReader(d), 0); err != nil || res.Created {
			t.Fatalf("re-send: %+v %v", res, err)
		}
		if deleted, err := s.DeleteIfIdleSince(ctx, a, foundIdle); err != nil || deleted {
			t.Errorf("cleanup removed a blob re-sent after it looked: %v %v", deleted, err)
		}
		if deleted, err := s.DeleteIfIdleSince(ctx, a, time.Now().Add(time.Minute)); err != nil || !deleted {
			t.Errorf("cleanup of an idle blob: %v %v", deleted, err)
		}
		if _, err := s.Stat(ctx, a); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("idle blob kept: %v", err)
		}
		if deleted, err := s.DeleteIfIdleSince(ctx, a, time.Now()); err != nil || deleted {
			t.Errorf("cleanup of a missing blob: %v %v", deleted, err)
		}
	})
	t.Run("StaleTempFilesAreRemoved", func(t *testing.T) {
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
	})
}
