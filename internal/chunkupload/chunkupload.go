// Package chunkupload implements the receiving side of Sentry's chunked upload protocol
// (docs/CI-PROTOCOL.md): the options a client reads before uploading, and the multipart
// batch of chunks it then posts, each part named by the SHA-1 of its bytes. Parts are
// streamed into a blob store while their hash is checked; nothing is held in memory.
package chunkupload

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"

	"github.com/tokenboard/tokenboard/internal/blob"
)

// Defaults advertised and enforced, as Sentry's own server has them.
const (
	DefaultChunkSize      = 8 << 20  // bytes in one chunk (before compression)
	DefaultChunksPerReq   = 64       // parts in one POST
	DefaultMaxRequestSize = 32 << 20 // bytes of one POST's body
	DefaultMaxFileSize    = 2 << 30  // bytes of one assembled file (bundle or debug file)
	DefaultConcurrency    = 8        // parallel POSTs a client may run
	// DefaultMaxWait is how long (seconds) a client may poll an assemble endpoint. Assembly
	// here runs within the request, so a short wait is enough; 0 would make the CLI use its
	// own default.
	DefaultMaxWait = 60
)

// Accept lists what the server can assemble from chunks. sentry-cli 3.x no longer reads it
// (it assumes chunked uploads, artifact bundles and all debug-file formats), but 2.x and
// older clients choose their upload path from it, so it is advertised as Sentry does.
var Accept = []string{
	"debug_files", "release_files", "pdbs", "sources", "bcsymbolmaps", "il2cpp",
	"portablepdbs", "artifact_bundles", "artifact_bundles_v2",
}

// Options is the JSON answer of GET /api/0/organizations/{org}/chunk-upload/. sentry-cli
// requires url, chunkSize (non-zero), chunksPerRequest, maxRequestSize, concurrency and
// hashAlgorithm; it reads maxFileSize, maxWait and compression when present.
type Options struct {
	URL              string   `json:"url"`
	ChunkSize        int64    `json:"chunkSize"`
	ChunksPerRequest int      `json:"chunksPerRequest"`
	MaxFileSize      int64    `json:"maxFileSize"`
	MaxRequestSize   int64    `json:"maxRequestSize"`
	MaxWait          int      `json:"maxWait"`
	Concurrency      int      `json:"concurrency"`
	HashAlgorithm    string   `json:"hashAlgorithm"`
	Compression      []string `json:"compression"`
	Accept           []string `json:"accept"`
}

// Limits are what the server enforces on a POST of chunks.
type Limits struct {
	// ChunkSize is the largest chunk, after decompression.
	ChunkSize int64
	// ChunksPerRequest is the most parts in one request.
	ChunksPerRequest int
	// MaxRequestSize is the most bytes of parts in one request, as sent (compressed).
	MaxRequestSize int64
	// MaxFileSize is the largest assembled file.
	MaxFileSize int64
}

// DefaultLimits are the limits matching the default options.
func DefaultLimits() Limits {
	return Limits{ChunkSize: DefaultChunkSize, ChunksPerRequest: DefaultChunksPerReq,
		MaxRequestSize: DefaultMaxRequestSize, MaxFileSize: DefaultMaxFileSize}
}

// Options returns the options to advertise for these limits; url is the absolute URL the
// client must POST chunks to (the organization's chunk-upload endpoint).
func (l Limits) Options(url string) Options {
	return Options{
		URL: url, ChunkSize: l.ChunkSize, ChunksPerRequest: l.ChunksPerRequest,
		MaxFileSize: l.MaxFileSize, MaxRequestSize: l.MaxRequestSize, MaxWait: DefaultMaxWait,
		Concurrency: DefaultConcurrency, HashAlgorithm: "sha1", Compression: []string{"gzip"},
		Accept: append([]string(nil), Accept...),
	}
}

// Chunk is one chunk received.
type Chunk struct {
	SHA1 string
	// Size is the chunk's length, decompressed.
	Size int64
	// Stored is true when the bytes were new to the blob store, false when the store already
	// held them (deduplicated).
	Stored bool
}

// Error is a refused upload: Message is safe to show the client. TooLarge marks a size or
// quota limit (HTTP 413 is the honest status; Sentry itself answers 400 with {"error": …}).
type Error struct {
	Message  string
	TooLarge bool
}

func (e *Error) Error() string { return e.Message }

func refuse(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

func tooLarge(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...), TooLarge: true}
}

// Form field names: sentry-cli names each part "file", or "file_gzip" when it compressed
// it, and puts the chunk's hex SHA-1 in the part's filename.
const (
	fieldPlain = "file"
	fieldGzip  = "file_gzip"
)

// Receive reads every part of a multipart chunk batch and stores each chunk in store,
// verifying its SHA-1 as it streams. quota is how many new bytes the organization may still
// store (negative: no quota); a chunk that would go past it is refused. On error, the
// chunks stored before it are returned too: they are whole and verified, and recording
// them lets a retry skip them.
//
// The caller must bound the request body itself (http.MaxBytesReader at MaxRequestSize plus
// room for the multipart framing); Receive also counts the parts' bytes against it.
func Receive(ctx context.Context, mr *multipart.Reader, store blob.Store, lim Limits, quota int64) ([]Chunk, error) {
	var out []Chunk
	var sent int64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, refuse("Malformed multipart body")
		}
		name := part.FormName()
		if name != fieldPlain && name != fieldGzip {
			// Sentry ignores other fields; so do we, without storing them.
			if _, err := io.Copy(io.Discard, io.LimitReader(part, lim.MaxRequestSize+1)); err != nil {
				return out, refuse("Malformed multipart body")
			}
			part.Close()
			continue
		}
		if len(out) >= lim.ChunksPerRequest {
			return out, refuse("Too many chunks")
		}
		sum := part.FileName()
		if !blob.ValidAddress(sum) {
			return out, refuse("Chunk name must be the lowercase hex SHA-1 of its content")
		}
		// Count what the client sent (compressed or not) against the request size.
		counted := &countingReader{r: part, left: lim.MaxRequestSize - sent}
		var body io.Reader = counted
		var gz *gzip.Reader
		if name == fieldGzip {
			gz, err = gzip.NewReader(counted)
			if err != nil {
				if counted.over {
					return out, tooLarge("Request too large")
				}
				return out, refuse("Chunk %s is not valid gzip", sum)
			}
			body = gz
		}
		// Bytes the store already holds cost no quota: the reader asks only once a chunk
		// would go past what is left.
		res, err := store.Put(ctx, sum, &quotaReader{r: body, left: quota, exists: func() bool {
			_, err := store.Stat(ctx, sum)
			return err == nil
		}}, lim.ChunkSize)
		sent += counted.n
		if gz != nil {
			gz.Close()
		}
		part.Close()
		switch {
		case counted.over:
			return out, tooLarge("Request too large")
		case errors.Is(err, errQuota):
			return out, tooLarge("The organization's storage quota is used up")
		case errors.Is(err, blob.ErrTooLarge):
			return out, tooLarge("Chunk size too large")
		case errors.Is(err, blob.ErrChecksum):
			return out, refuse("Chunk %s does not match its SHA-1", sum)
		case err != nil && isFormatError(err):
			return out, refuse("Chunk %s could not be read: %v", sum, err)
		case err != nil:
			return out, err
		}
		if res.Created && quota >= 0 {
			quota -= res.Size
		}
		out = append(out, Chunk{SHA1: sum, Size: res.Size, Stored: res.Created})
	}
}

// isFormatError tells a client's malformed data (bad gzip, truncated part) from a server
// failure (disk full).
func isFormatError(err error) bool {
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, multipart.ErrMessageTooLarge)
}

// countingReader counts bytes and stops at left, marking over.
type countingReader struct {
	r    io.Reader
	n    int64
	left int64
	over bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.left-c.n <= 0 {
		// One more byte means the limit is exceeded; zero means the part simply ended.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			c.over = true
			return 0, errOverRequest
		}
		return 0, err
	}
	if int64(len(p)) > c.left-c.n {
		p = p[:c.left-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

var (
	errOverRequest = errors.New("request too large")
	errQuota       = errors.New("quota exceeded")
)

// quotaReader fails once more than left bytes were read, unless the blob already exists
// (deduplicated bytes cost nothing). left < 0 means no quota.
type quotaReader struct {
	r       io.Reader
	n       int64
	left    int64
	exists  func() bool
	checked bool
	free    bool
}

func (q *quotaReader) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	q.n += int64(n)
	if q.left >= 0 && q.n > q.left {
		if !q.checked {
			q.checked, q.free = true, q.exists()
		}
		if !q.free {
			return n, errQuota
		}
	}
	return n, err
}
