package blob_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"io"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/tokenboard/tokenboard/internal/blob"
)

// The choice between files in the data folder and SQLite blobs (docs/CI-PROTOCOL.md): each
// benchmark writes and reads back 8 MiB chunks, the chunk size the server advertises, with
// the same durability (fsync per file; SQLite in WAL with synchronous=NORMAL as the
// application opens it).

const benchChunk = 8 << 20

func benchData(b *testing.B) []byte {
	data := make([]byte, benchChunk)
	rand.Read(data)
	return data
}

func BenchmarkPutFS(b *testing.B) {
	ctx := context.Background()
	s, err := blob.NewFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	data := benchData(b)
	b.SetBytes(benchChunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16) // a new blob each time
		if _, err := s.Put(ctx, sum(data), bytes.NewReader(data), 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetFS(b *testing.B) {
	ctx := context.Background()
	s, _ := blob.NewFS(b.TempDir())
	data := benchData(b)
	addr := sum(data)
	s.Put(ctx, addr, bytes.NewReader(data), 0)
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

func openBenchSQLite(b *testing.B) *sql.DB {
	path := filepath.Join(b.TempDir(), "blobs.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE blobs (sha1 TEXT PRIMARY KEY, data BLOB NOT NULL)`); err != nil {
		b.Fatal(err)
	}
	return db
}

func BenchmarkPutSQLite(b *testing.B) {
	db := openBenchSQLite(b)
	data := benchData(b)
	b.SetBytes(benchChunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16)
		if _, err := db.Exec(`INSERT INTO blobs (sha1, data) VALUES (?, ?)`, sum(data), data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetSQLite(b *testing.B) {
	db := openBenchSQLite(b)
	data := benchData(b)
	addr := sum(data)
	db.Exec(`INSERT INTO blobs (sha1, data) VALUES (?, ?)`, addr, data)
	b.SetBytes(benchChunk)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var got []byte
		if err := db.QueryRow(`SELECT data FROM blobs WHERE sha1 = ?`, addr).Scan(&got); err != nil || len(got) != benchChunk {
			b.Fatal(err)
		}
	}
}
