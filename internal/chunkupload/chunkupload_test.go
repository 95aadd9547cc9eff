package chunkupload_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"testing"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/chunkupload"
)

func sum(b []byte) string { h := sha1.Sum(b); return hex.EncodeToString(h[:]) }

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// part is one part of a batch as sentry-cli builds it: field "file" or "file_gzip", the
// chunk's SHA-1 as the filename.
type part struct {
	field, name string
	body        []byte
}

func batch(t *testing.T, parts ...part) *multipart.Reader {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, p := range parts {
		fw, err := w.CreateFormFile(p.field, p.name)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(p.body)
	}
	w.Close()
	return multipart.NewReader(&buf, w.Boundary())
}

func newStore(t *testing.T) *blob.FS {
	s, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newStoreB(b *testing.B) (*blob.FS, error) { return blob.NewFS(b.TempDir()) }

func refusal(t *testing.T, err error, tooLarge bool, msg string) {
	t.Helper()
	var e *chunkupload.Error
	if !errors.As(err, &e) || e.TooLarge != tooLarge || (msg != "" && e.Message != msg) {
		t.Errorf("error %v (%T), want refusal %q tooLarge=%v", err, err, msg, tooLarge)
	}
}

func TestReceive(t *testing.T) {
	ctx := context.Background()
	lim := chunkupload.Limits{ChunkSize: 1024, ChunksPerRequest: 3, MaxRequestSize: 4096, MaxFileSize: 1 << 20}
	a := bytes.Repeat([]byte("a"), 1024)
	b := []byte("the last, shorter chunk")

	t.Run("PlainAndGzipChunksAreStoredAndDeduplicated", func(t *testing.T) {
		s := newStore(t)
		got, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(a), a}, part{"file_gzip", sum(b), gz(b)}), s, lim, -1)
		if err != nil {
			t.Fatal(err)
		}
		want := []chunkupload.Chunk{{SHA1: sum(a), Size: 1024, Stored: true}, {SHA1: sum(b), Size: int64(len(b)), Stored: true}}
		if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("chunks %+v, want %+v", got, want)
		}
		f, _ := s.Open(ctx, sum(b))
		back, _ := io.ReadAll(f)
		f.Close()
		if !bytes.Equal(back, b) {
			t.Errorf("gzip chunk stored as %q", back)
		}
		again, err := chunkupload.Receive(ctx, batch(t, part{"file_gzip", sum(a), gz(a)}), s, lim, -1)
		if err != nil || len(again) != 1 || again[0].Stored {
			t.Errorf("second upload: %+v %v, want one deduplicated chunk", again, err)
		}
		if n, _, _ := s.Usage(ctx); n != 2 {
			t.Errorf("store holds %d blobs, want 2", n)
		}
	})
	t.Run("EmptyBatchIsFine", func(t *testing.T) {
		got, err := chunkupload.Receive(ctx, batch(t), newStore(t), lim, -1)
		if err != nil || len(got) != 0 {
			t.Errorf("empty batch: %v %v", got, err)
		}
	})
	t.Run("OtherFieldsAreIgnored", func(t *testing.T) {
		got, err := chunkupload.Receive(ctx, batch(t, part{"comment", "x", []byte("hi")}, part{"file", sum(b), b}), newStore(t), lim, -1)
		if err != nil || len(got) != 1 {
			t.Errorf("got %v %v", got, err)
		}
	})
	t.Run("WrongHashIsRefusedAndNotStored", func(t *testing.T) {
		s := newStore(t)
		_, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(a), b}), s, lim, -1)
		refusal(t, err, false, "Chunk "+sum(a)+" does not match its SHA-1")
		if n, _, _ := s.Usage(ctx); n != 0 {
			t.Errorf("store holds %d blobs", n)
		}
	})
	t.Run("BadNamesAreRefused", func(t *testing.T) {
		for _, name := range []string{"", "../" + sum(b)[3:], "ABC" + sum(b)[3:], sum(b) + ".js"} {
			_, err := chunkupload.Receive(ctx, batch(t, part{"file", name, b}), newStore(t), lim, -1)
			refusal(t, err, false, "Chunk name must be the lowercase hex SHA-1 of its content")
		}
	})
	t.Run("OversizedChunkIsRefused", func(t *testing.T) {
		big := bytes.Repeat([]byte("z"), 1025)
		_, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(big), big}), newStore(t), lim, -1)
		refusal(t, err, true, "Chunk size too large")
	})
	t.Run("GzipBombIsRefused", func(t *testing.T) {
		// 10 MiB of zeros compress to ~10 KiB... keep the compressed part under the request
		// limit so that only the decompressed size trips.
		bomb := bytes.Repeat([]byte{0}, 1<<20)
		s := newStore(t)
		_, err := chunkupload.Receive(ctx, batch(t, part{"file_gzip", sum(bomb), gz(bomb)}), s, lim, -1)
		refusal(t, err, true, "Chunk size too large")
		if n, _, _ := s.Usage(ctx); n != 0 {
			t.Errorf("bomb stored")
		}
	})
	t.Run("InvalidGzipIsRefused", func(t *testing.T) {
		_, err := chunkupload.Receive(ctx, batch(t, part{"file_gzip", sum(b), b}), newStore(t), lim, -1)
		refusal(t, err, false, "Chunk "+sum(b)+" is not valid gzip")
	})
	t.Run("TooManyChunksAreRefused", func(t *testing.T) {
		c1, c2, c3, c4 := []byte("1"), []byte("2"), []byte("3"), []byte("4")
		got, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(c1), c1}, part{"file", sum(c2), c2},
			part{"file", sum(c3), c3}, part{"file", sum(c4), c4}), newStore(t), lim, -1)
		refusal(t, err, false, "Too many chunks")
		if len(got) != 3 {
			t.Errorf("chunks stored before the refusal: %d, want 3", len(got))
		}
	})
	t.Run("RequestTooLargeIsRefused", func(t *testing.T) {
		small := lim
		small.MaxRequestSize = 1500
		c := bytes.Repeat([]byte("c"), 1000)
		_, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(a), a}, part{"file", sum(c), c}), newStore(t), small, -1)
		refusal(t, err, true, "Request too large")
	})
	t.Run("QuotaRefusesNewBytesButNotDuplicates", func(t *testing.T) {
		s := newStore(t)
		if _, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(a), a}), s, lim, 1024); err != nil {
			t.Fatalf("within quota: %v", err)
		}
		_, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(b), b}), s, lim, 0)
		refusal(t, err, true, "The organization's storage quota is used up")
		if _, err := s.Stat(ctx, sum(b)); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("chunk over quota stored: %v", err)
		}
		got, err := chunkupload.Receive(ctx, batch(t, part{"file", sum(a), a}), s, lim, 0)
		if err != nil || len(got) != 1 || got[0].Stored {
			t.Errorf("duplicate at zero quota: %v %v", got, err)
		}
		// Quota is spent within one request too.
		c := bytes.Repeat([]byte("c"), 600)
		d := bytes.Repeat([]byte("d"), 600)
		_, err = chunkupload.Receive(ctx, batch(t, part{"file", sum(c), c}, part{"file", sum(d), d}), s, lim, 1000)
		refusal(t, err, true, "The organization's storage quota is used up")
	})
}

func TestOptionsShape(t *testing.T) {
	o := chunkupload.DefaultLimits().Options("https://tb.example/api/0/organizations/acme/chunk-upload/")
	raw, _ := json.Marshal(o)
	var m map[string]any
	json.Unmarshal(raw, &m)
	for _, k := range []string{"url", "chunkSize", "chunksPerRequest", "maxFileSize", "maxRequestSize", "maxWait", "concurrency", "hashAlgorithm", "compression", "accept"} {
		if _, ok := m[k]; !ok {
			t.Errorf("options lack %q: %s", k, raw)
		}
	}
	if m["hashAlgorithm"] != "sha1" || m["chunkSize"].(float64) != 8<<20 || m["chunksPerRequest"].(float64) != 64 {
		t.Errorf("options %s", raw)
	}
	accept := map[string]bool{}
	for _, a := range m["accept"].([]any) {
		accept[a.(string)] = true
	}
	for _, k := range []string{"artifact_bundles", "artifact_bundles_v2", "debug_files", "sources"} {
		if !accept[k] {
			t.Errorf("accept lacks %s", k)
		}
	}
}
