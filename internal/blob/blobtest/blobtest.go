// Package blobtest is the contract every blob.Store keeps, as a test any implementation runs
// against itself: the file store (blob.FS) and the PostgreSQL store (internal/store) pass the
// same checks.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/blob"
)

// Sum is the content address of b.
func Sum(b []byte) string { h := sha1.Sum(b); return hex.EncodeToString(h[:]) }

// Contract checks s, an empty store, against blob.Store's documented behaviour. age sets
// when the stored blob sum was last put (the file's modification time, a row's put_at), so
// the idle-cleanup check can see an old blob re-sent.
func Contract(t *testing.T, s blob.Store, age func(t *testing.T, sum string, at time.Time)) {
	ctx := context.Background()
	data := bytes.Repeat([]byte("chunk of a bundle\n"), 1000)
	addr := Sum(data)

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
		// A read running past the end returns what there is and io.EOF.
		tail := make([]byte, 10)
		if n, err := b.ReadAt(tail, int64(len(data)-4)); n != 4 || !errors.Is(err, io.EOF) || string(tail[:4]) != "dle\n" {
			t.Errorf("ReadAt past the end: %d %q %v", n, tail[:n], err)
		}
		if size, err := s.Stat(ctx, addr); err != nil || size != int64(len(data)) {
			t.Errorf("stat: %d %v", size, err)
		}
	})
	t.Run("LargeBlobReadsBackAtEveryOffset", func(t *testing.T) {
		// Larger than a read window of the database store (1 MiB), not a multiple of it.
		big := make([]byte, 3<<20+12345)
		for i := range big {
			big[i] = byte(i*7 + i>>11)
		}
		a := Sum(big)
		if _, err := s.Put(ctx, a, bytes.NewReader(big), int64(len(big))); err != nil {
			t.Fatal(err)
		}
		defer s.Delete(ctx, a)
		b, err := s.Open(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		got, err := io.ReadAll(b)
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("read back %d of %d bytes: %v", len(got), len(big), err)
		}
		for _, off := range []int64{0, 1<<20 - 3, 2<<20 + 1, int64(len(big)) - 100} {
			buf := make([]byte, 100)
			if _, err := b.ReadAt(buf, off); err != nil || !bytes.Equal(buf, big[off:off+100]) {
				t.Errorf("ReadAt %d: %v", off, err)
			}
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
		bad := Sum([]byte("something else"))
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
	})
	t.Run("LimitIsEnforced", func(t *testing.T) {
		big := bytes.Repeat([]byte{'x'}, 1001)
		if _, err := s.Put(ctx, Sum(big), bytes.NewReader(big), 1000); !errors.Is(err, blob.ErrTooLarge) {
			t.Fatalf("put over limit: %v", err)
		}
		if _, err := s.Stat(ctx, Sum(big)); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("oversized blob kept: %v", err)
		}
		if _, err := s.Put(ctx, Sum(big), bytes.NewReader(big), 1001); err != nil {
			t.Errorf("put at limit: %v", err)
		}
		s.Delete(ctx, Sum(big))
	})
	t.Run("BadAddressesAreRefused", func(t *testing.T) {
		for _, a := range []string{"", "../../etc/passwd", addr[:39], "ABCDEF" + addr[6:], addr + "0"} {
			if _, err := s.Put(ctx, a, bytes.NewReader(nil), 0); !errors.Is(err, blob.ErrAddress) {
				t.Errorf("put %q: %v", a, err)
			}
			if _, err := s.Open(ctx, a); !errors.Is(err, blob.ErrAddress) {
				t.Errorf("open %q: %v", a, err)
			}
			if _, err := s.Stat(ctx, a); !errors.Is(err, blob.ErrAddress) {
				t.Errorf("stat %q: %v", a, err)
			}
			if err := s.Delete(ctx, a); !errors.Is(err, blob.ErrAddress) {
				t.Errorf("delete %q: %v", a, err)
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
		if n, size, err := s.Usage(ctx); err != nil || n != 0 || size != 0 {
			t.Errorf("usage after deleting everything: %d blobs, %d bytes, %v", n, size, err)
		}
	})
	t.Run("ReSentBlobSurvivesCleanupThatFoundItIdle", func(t *testing.T) {
		d := []byte("shared by a bundle being deleted and an upload under way")
		a := Sum(d)
		if _, err := s.Put(ctx, a, bytes.NewReader(d), 0); err != nil {
			t.Fatal(err)
		}
		age(t, a, time.Now().Add(-time.Hour))
		foundIdle := time.Now().Add(-time.Minute) // housekeeping saw it unheld then
		// An upload re-sends the same bytes (deduplicated) after that.
		if res, err := s.Put(ctx, a, bytes.NewReader(d), 0); err != nil || res.Created {
			t.Fatalf("re-send: %+v %v", res, err)
		}
		if deleted, err := s.DeleteIfIdleSince(ctx, a, foundIdle); err != nil || deleted {
			t.Errorf("cleanup removed a blob re-sent after it looked: %v %v", deleted, err)
		}
		// Without the re-send, the same cleanup removes it.
		age(t, a, time.Now().Add(-time.Hour))
		if deleted, err := s.DeleteIfIdleSince(ctx, a, foundIdle); err != nil || !deleted {
			t.Errorf("cleanup of an idle blob: %v %v", deleted, err)
		}
		if _, err := s.Stat(ctx, a); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("idle blob kept: %v", err)
		}
		if deleted, err := s.DeleteIfIdleSince(ctx, a, time.Now()); err != nil || deleted {
			t.Errorf("cleanup of a missing blob: %v %v", deleted, err)
		}
	})
}
