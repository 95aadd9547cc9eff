package bundle_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/bundle"
)

// TestAssemblyStreams checks that verifying and reading a 20 MiB bundle made of 8 MiB
// chunks allocates far less than the bundle: it is read in place, never gathered.
func TestAssemblyStreams(t *testing.T) {
	// Not parallel: TotalAlloc counts the whole process, so a parallel test's allocations
	// would be counted as this one's (it failed so: 10 MB "allocated" by a test that
	// allocates far less).
	ctx := context.Background()
	store, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Write the bundle to a file, then split it into chunks in the store.
	path := filepath.Join(t.TempDir(), "bundle.zip")
	f, _ := os.Create(path)
	zw := zip.NewWriter(f)
	mw, _ := zw.Create("manifest.json")
	mw.Write([]byte(`{"files":{"files/_/_/big.js":{"type":"source","url":"~/big.js"}}}`))
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "files/_/_/big.js", Method: zip.Store})
	io.CopyN(w, rand.Reader, 20<<20)
	zw.Close()
	f.Seek(0, io.SeekStart)
	whole := sha1.New()
	var sums []string
	buf := make([]byte, 8<<20)
	for {
		n, err := io.ReadFull(f, buf)
		if n > 0 {
			h := sha1.Sum(buf[:n])
			s := hex.EncodeToString(h[:])
			whole.Write(buf[:n])
			if _, err := store.Put(ctx, s, bytes.NewReader(buf[:n]), 0); err != nil {
				t.Fatal(err)
			}
			sums = append(sums, s)
		}
		if err != nil {
			break
		}
	}
	f.Close()
	checksum := hex.EncodeToString(whole.Sum(nil))
	buf = nil

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	c, err := bundle.OpenChunks(ctx, store, sums)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyChecksum(checksum, 0); err != nil {
		t.Fatal(err)
	}
	a, err := bundle.ReadArtifact(c, c.Size(), bundle.DefaultLimits())
	c.Close()
	runtime.ReadMemStats(&after)
	if err != nil || len(a.Files) != 1 || a.Files[0].Size != 20<<20 {
		t.Fatalf("read: %+v %v", a, err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes verifying and reading a %d-byte bundle in %d chunks", allocated, c.Size(), len(sums))
	if allocated > 4<<20 {
		t.Errorf("allocated %d bytes for a %d-byte bundle: it is being gathered in memory", allocated, c.Size())
	}
}
