package chunkupload_test

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"mime/multipart"
	"testing"

	"github.com/tokenboard/tokenboard/internal/chunkupload"
)

// fuzzBoundary is the boundary every fuzz input is parsed with; the seeds in
// testdata/fuzz/FuzzReceive are real batches built with it.
const fuzzBoundary = "tokenboardfuzzboundary"

// FuzzReceive feeds arbitrary bodies to the chunk reader. Whatever the input, it must not
// panic, every chunk it reports must be stored under the SHA-1 of its bytes, and a refused
// chunk must leave nothing in the store.
func FuzzReceive(f *testing.F) {
	f.Add([]byte("--" + fuzzBoundary + "--\r\n"))
	ctx := context.Background()
	lim := chunkupload.Limits{ChunkSize: 4096, ChunksPerRequest: 4, MaxRequestSize: 16384, MaxFileSize: 1 << 20}
	f.Fuzz(func(t *testing.T, body []byte) {
		s := newStore(t)
		got, _ := chunkupload.Receive(ctx, multipart.NewReader(bytes.NewReader(body), fuzzBoundary), s, lim, 8192)
		stored := 0
		for _, c := range got {
			if c.Stored {
				stored++
			}
			b, err := s.Open(ctx, c.SHA1)
			if err != nil {
				t.Fatalf("reported chunk %s missing: %v", c.SHA1, err)
			}
			data, _ := io.ReadAll(b)
			b.Close()
			h := sha1.Sum(data)
			if hex.EncodeToString(h[:]) != c.SHA1 || int64(len(data)) != c.Size {
				t.Fatalf("chunk %s holds other bytes (%d)", c.SHA1, len(data))
			}
		}
		if n, _, _ := s.Usage(ctx); n != int64(stored) {
			t.Fatalf("store holds %d blobs, %d reported stored", n, stored)
		}
	})
}
