package chunkupload_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"mime/multipart"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/tokenboard/tokenboard/internal/chunkupload"
)

// batchFile writes a batch of n random chunks of size bytes, gzip-compressed as sentry-cli
// sends them, to a file: the test holds no copy of the body while it measures.
func batchFile(t testing.TB, n, size int) (*os.File, string) {
	f, err := os.Create(filepath.Join(t.TempDir(), "batch"))
	if err != nil {
		t.Fatal(err)
	}
	w := multipart.NewWriter(f)
	for i := 0; i < n; i++ {
		c := make([]byte, size)
		rand.Read(c)
		fw, _ := w.CreateFormFile("file_gzip", sum(c))
		fw.Write(gz(c))
	}
	w.Close()
	f.Seek(0, io.SeekStart)
	t.Cleanup(func() { f.Close() })
	return f, w.Boundary()
}

// TestReceiveStreams checks that receiving a batch allocates far less than the batch: the
// chunks go to disk as they arrive, never whole into memory.
func TestReceiveStreams(t *testing.T) {
	// Not parallel: TotalAlloc counts the whole process, and a parallel test's allocations
	// would be counted as this one's.
	// Three 4 MiB chunks: big enough that buffering would show, small enough for -race.
	const n, size = 3, 4 << 20
	f, boundary := batchFile(t, n, size)
	s := newStore(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := chunkupload.Receive(context.Background(), multipart.NewReader(f, boundary), s, chunkupload.DefaultLimits(), -1)
	runtime.ReadMemStats(&after)
	if err != nil || len(got) != n {
		t.Fatalf("receive: %d chunks, %v", len(got), err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %d bytes receiving %d bytes", allocated, n*size)
	if allocated > 1<<20 {
		t.Errorf("allocated %d bytes receiving %d: the batch is being buffered", allocated, n*size)
	}
}

// BenchmarkReceive measures a batch of three 8 MiB gzip chunks (random bytes, so the batch
// is a little over 24 MiB as sent) into the file store.
func BenchmarkReceive(b *testing.B) {
	s, _ := newStoreB(b)
	chunks := make([][]byte, 3)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for i := range chunks {
		chunks[i] = make([]byte, 8<<20)
		rand.Read(chunks[i])
		fw, _ := w.CreateFormFile("file_gzip", sum(chunks[i]))
		fw.Write(gz(chunks[i]))
	}
	w.Close()
	raw := body.Bytes()
	b.SetBytes(int64(len(chunks) * 8 << 20))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// A fresh store each time: measure storing, not deduplication.
		b.StopTimer()
		s, _ = newStoreB(b)
		b.StartTimer()
		if _, err := chunkupload.Receive(context.Background(), multipart.NewReader(bytes.NewReader(raw), w.Boundary()), s, chunkupload.DefaultLimits(), -1); err != nil {
			b.Fatal(err)
		}
	}
}
