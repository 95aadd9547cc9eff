package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"testing"

	"github.com/tokenboard/tokenboard/internal/blob/blobtest"
	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
)

// The PostgreSQL blob store with 8 MiB chunks, the advertised chunk size, beside
// internal/blob's file store benchmarks (docs/CI-PROTOCOL.md, "Where the bytes live").

const benchChunk = 8 << 20

func openBenchBlobs(b *testing.B) (*store.DB, []byte) {
	db, err := store.OpenPostgres(context.Background(), pgtest.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	data := make([]byte, benchChunk)
	rand.Read(data)
	return db, data
}

func BenchmarkPostgresBlobPut(b *testing.B) {
	ctx := context.Background()
	db, data := openBenchBlobs(b)
	s := db.Blobs()
	b.SetBytes(benchChunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16) // a new blob each time
		if _, err := s.Put(ctx, blobtest.Sum(data), bytes.NewReader(data), benchChunk); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPostgresBlobGet(b *testing.B) {
	ctx := context.Background()
	db, data := openBenchBlobs(b)
	s := db.Blobs()
	addr := blobtest.Sum(data)
	if _, err := s.Put(ctx, addr, bytes.NewReader(data), benchChunk); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchChunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := s.Open(ctx, addr)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, f)
		f.Close()
	}
}
