// Package bundle turns uploaded chunks into the files sentry-cli meant: artifact bundles
// (a zip of source files and source maps with a manifest, sentry-cli's "source bundle"
// format) and debug information files. It checks what it is given: the chunks' combined
// SHA-1, the zip's structure, and the limits that keep a hostile archive from exhausting
// the server (zip bombs, path traversal).
package bundle

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/tokenboard/tokenboard/internal/blob"
)

// Error is a refused file: Message is safe to show the client (it becomes the assemble
// response's "detail").
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func refuse(format string, args ...any) error { return &Error{Message: fmt.Sprintf(format, args...)} }

// ErrMissingChunk means a chunk the file is made of is not in the blob store.
var ErrMissingChunk = errors.New("bundle: a chunk is missing")

// Chunked is a file made of chunks in a blob store, read in place: assembling a bundle
// never copies its bytes, so an upload costs its size once on disk. It reads sequentially
// (Read) and at offsets (ReadAt, for the zip reader).
type Chunked struct {
	store   blob.Store
	ctx     context.Context
	sums    []string
	offsets []int64 // offsets[i] is where chunk i starts; offsets[len] is the size
	open    map[int]blob.Blob
	pos     int64
}

// OpenChunks opens the file made of the chunks, in order. ErrMissingChunk (wrapped, naming
// the chunk) when one is absent.
func OpenChunks(ctx context.Context, store blob.Store, sums []string) (*Chunked, error) {
	c := &Chunked{store: store, ctx: ctx, sums: sums, offsets: make([]int64, len(sums)+1), open: map[int]blob.Blob{}}
	for i, s := range sums {
		n, err := store.Stat(ctx, s)
		if errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrAddress) {
			return nil, fmt.Errorf("%w: %s", ErrMissingChunk, s)
		}
		if err != nil {
			return nil, err
		}
		c.offsets[i+1] = c.offsets[i] + n
	}
	return c, nil
}

// Size is the file's length.
func (c *Chunked) Size() int64 { return c.offsets[len(c.sums)] }

func (c *Chunked) chunk(i int) (blob.Blob, error) {
	if b, ok := c.open[i]; ok {
		return b, nil
	}
	b, err := c.store.Open(c.ctx, c.sums[i])
	if errors.Is(err, blob.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrMissingChunk, c.sums[i])
	}
	if err != nil {
		return nil, err
	}
	c.open[i] = b
	return b, nil
}

// ReadAt reads from the chunks that hold [off, off+len(p)).
func (c *Chunked) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("bundle: negative offset")
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= c.Size() {
			return n, io.EOF
		}
		// The chunk holding byte at: the last whose start is <= at.
		i := sort.Search(len(c.sums), func(i int) bool { return c.offsets[i+1] > at })
		b, err := c.chunk(i)
		if err != nil {
			return n, err
		}
		m, err := b.ReadAt(p[n:min(len(p), n+int(c.offsets[i+1]-at))], at-c.offsets[i])
		n += m
		if err != nil && !errors.Is(err, io.EOF) {
			return n, err
		}
		if m == 0 {
			return n, io.ErrUnexpectedEOF
		}
	}
	return n, nil
}

// Read reads sequentially.
func (c *Chunked) Read(p []byte) (int, error) {
	n, err := c.ReadAt(p, c.pos)
	c.pos += int64(n)
	if n > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}

// Close closes the chunks' files.
func (c *Chunked) Close() error {
	var first error
	for i, b := range c.open {
		if err := b.Close(); err != nil && first == nil {
			first = err
		}
		delete(c.open, i)
	}
	return first
}

// VerifyChecksum streams the file through SHA-1 and refuses it unless the digest is
// checksum (the one the client announced) and the size is within maxSize (0: no limit).
func (c *Chunked) VerifyChecksum(checksum string, maxSize int64) error {
	if maxSize > 0 && c.Size() > maxSize {
		return refuse("File too large: %d bytes, the limit is %d", c.Size(), maxSize)
	}
	h := sha1.New()
	if _, err := io.Copy(h, io.NewSectionReader(c, 0, c.Size())); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != checksum {
		return refuse("Checksum mismatch: the chunks hash to %s, not %s", got, checksum)
	}
	return nil
}
