// Package blob stores immutable byte blobs by their content address (the lowercase hex SHA-1
// of their bytes, as Sentry's chunk-upload protocol names chunks). Writers stream: a blob is
// hashed while it is written, never held in memory, and only a blob whose bytes match its
// address is kept.
package blob

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors of every Store.
var (
	// ErrNotFound means no blob has that address.
	ErrNotFound = errors.New("blob: not found")
	// ErrChecksum means the bytes given to Put do not hash to the address they were put under.
	ErrChecksum = errors.New("blob: content does not match its SHA-1")
	// ErrTooLarge means the bytes given to Put exceed the limit the caller set.
	ErrTooLarge = errors.New("blob: larger than allowed")
	// ErrAddress means the address is not 40 lowercase hex digits.
	ErrAddress = errors.New("blob: address is not a lowercase hex SHA-1")
)

// Blob is an open blob: readable sequentially and at offsets (a zip reader needs both).
type Blob interface {
	io.ReadCloser
	io.ReaderAt
	// Size is the blob's length in bytes.
	Size() int64
}

// PutResult says what Put did.
type PutResult struct {
	// Size is the blob's length in bytes.
	Size int64
	// Created is false when the blob was already stored: the bytes were read and verified,
	// then dropped, so the store holds each content once.
	Created bool
}

// Store keeps blobs by content address.
type Store interface {
	// Put reads r to its end and stores its bytes under sum, the hex SHA-1 they must hash
	// to. More than limit bytes (when limit > 0) fail with ErrTooLarge; a hash mismatch
	// fails with ErrChecksum; in both cases nothing is stored.
	Put(ctx context.Context, sum string, r io.Reader, limit int64) (PutResult, error)
	// Open opens the blob for reading; ErrNotFound when there is none.
	Open(ctx context.Context, sum string) (Blob, error)
	// Stat returns the blob's size; ErrNotFound when there is none.
	Stat(ctx context.Context, sum string) (int64, error)
	// Delete removes the blob; removing a missing blob is not an error.
	Delete(ctx context.Context, sum string) error
	// DeleteIfIdleSince removes the blob unless a Put stored or re-sent it at or after
	// since, and reports whether it did. Housekeeping uses it with the time it found the
	// blob unheld: an upload of the same bytes racing the cleanup keeps them.
	DeleteIfIdleSince(ctx context.Context, sum string, since time.Time) (bool, error)
	// Usage returns how many blobs the store holds and their total size in bytes.
	Usage(ctx context.Context) (count int64, bytes int64, err error)
}

// ValidAddress reports whether sum is a content address: 40 lowercase hex digits.
func ValidAddress(sum string) bool {
	if len(sum) != 40 {
		return false
	}
	for i := 0; i < len(sum); i++ {
		c := sum[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
