package blob

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// FS is a Store of files under a folder (the data folder's "blobs"): blob ab12… lives at
// ab/12…, so no folder grows past 256 entries per level of fan-out the file system must
// scan. Files are 0600 and folders 0700: blobs may hold a customer's source code.
type FS struct {
	dir string
	// mu orders a Put's touch of an existing blob against DeleteIfIdleSince's check and
	// removal, so a blob being re-sent is never removed under it.
	mu sync.Mutex
}

// NewFS opens (creating if needed) a file-system store rooted at dir.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("blob store %s: %w", dir, err)
	}
	return &FS{dir: dir}, nil
}

// Dir is the folder the store keeps its files in.
func (s *FS) Dir() string { return s.dir }

func (s *FS) path(sum string) string { return filepath.Join(s.dir, sum[:2], sum[2:]) }

// Put streams r into a temporary file while hashing it, then renames the file into place
// once the hash matches: a reader never sees a partial blob, and a failed or refused upload
// leaves nothing behind.
func (s *FS) Put(ctx context.Context, sum string, r io.Reader, limit int64) (PutResult, error) {
	if !ValidAddress(sum) {
		return PutResult{}, ErrAddress
	}
	if size, ok := s.touch(sum); ok {
		// Already stored: still read and verify the bytes, so a client cannot claim content
		// it does not have (the caller records ownership only on success).
		n, err := verify(sum, r, limit)
		if err != nil {
			return PutResult{}, err
		}
		if n != size {
			return PutResult{}, ErrChecksum
		}
		return PutResult{Size: size}, nil
	}
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return PutResult{}, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha1.New()
	n, err := copyLimited(io.MultiWriter(tmp, h), r, limit)
	if err != nil {
		return PutResult{}, err
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		return PutResult{}, ErrChecksum
	}
	if err := ctx.Err(); err != nil {
		return PutResult{}, err
	}
	// The blob must survive a crash once its upload is acknowledged.
	if err := tmp.Sync(); err != nil {
		return PutResult{}, err
	}
	if err := tmp.Close(); err != nil {
		return PutResult{}, err
	}
	final := s.path(sum)
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return PutResult{}, err
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return PutResult{}, err
	}
	done = true
	return PutResult{Size: n, Created: true}, nil
}

// touch marks an existing blob as just used (its modification time) and returns its size;
// ok is false when there is no such blob.
func (s *FS) touch(sum string) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.path(sum)
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil {
		return 0, false
	}
	st, err := os.Stat(p)
	if err != nil {
		return 0, false
	}
	return st.Size(), true
}

// copyLimited copies r to w, failing with ErrTooLarge past limit bytes (limit <= 0: no limit).
func copyLimited(w io.Writer, r io.Reader, limit int64) (int64, error) {
	if limit <= 0 {
		return io.Copy(w, r)
	}
	n, err := io.Copy(w, io.LimitReader(r, limit+1))
	if err != nil {
		return n, err
	}
	if n > limit {
		return n, ErrTooLarge
	}
	return n, nil
}

// verify reads r to its end and checks it hashes to sum.
func verify(sum string, r io.Reader, limit int64) (int64, error) {
	h := sha1.New()
	n, err := copyLimited(h, r, limit)
	if err != nil {
		return n, err
	}
	if hex.EncodeToString(h.Sum(nil)) != sum {
		return n, ErrChecksum
	}
	return n, nil
}

type fsBlob struct {
	*os.File
	size int64
}

func (b fsBlob) Size() int64 { return b.size }

// Open opens the blob's file.
func (s *FS) Open(_ context.Context, sum string) (Blob, error) {
	if !ValidAddress(sum) {
		return nil, ErrAddress
	}
	f, err := os.Open(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return fsBlob{File: f, size: st.Size()}, nil
}

// Stat returns the blob file's size.
func (s *FS) Stat(_ context.Context, sum string) (int64, error) {
	if !ValidAddress(sum) {
		return 0, ErrAddress
	}
	st, err := os.Stat(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Delete removes the blob's file.
func (s *FS) Delete(_ context.Context, sum string) error {
	if !ValidAddress(sum) {
		return ErrAddress
	}
	err := os.Remove(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// DeleteIfIdleSince removes the blob's file unless it was written or touched at or after
// since.
func (s *FS) DeleteIfIdleSince(_ context.Context, sum string, since time.Time) (bool, error) {
	if !ValidAddress(sum) {
		return false, ErrAddress
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := os.Stat(s.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.ModTime().Before(since) {
		return false, nil
	}
	if err := os.Remove(s.path(sum)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// Usage walks the store and adds up its blobs (temporary files of uploads under way are not
// counted). It reads every folder: for reports and operator commands, not per request.
func (s *FS) Usage(ctx context.Context) (count, bytes int64, err error) {
	err = s.walk(ctx, func(_ string, size int64) error {
		count++
		bytes += size
		return nil
	})
	return count, bytes, err
}

// Each calls fn with the address of every stored blob, in address order, stopping at fn's
// first error (moving an installation to PostgreSQL copies them all).
func (s *FS) Each(ctx context.Context, fn func(sum string) error) error {
	return s.walk(ctx, func(sum string, _ int64) error { return fn(sum) })
}

// walk calls fn with each stored blob's address and size.
func (s *FS) walk(ctx context.Context, fn func(sum string, size int64) error) error {
	return filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != s.dir && d.Name() == "tmp" && filepath.Dir(p) == s.dir {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(s.dir, p)
		sum := strings.ReplaceAll(rel, string(filepath.Separator), "")
		if !ValidAddress(sum) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return fn(sum, info.Size())
	})
}

// RemoveStaleTemp deletes temporary files older than the cutoff left by uploads that were
// under way when the process stopped.
func (s *FS) RemoveStaleTemp(cutoff time.Time) error {
	entries, err := os.ReadDir(filepath.Join(s.dir, "tmp"))
	if err != nil {
		return err
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		os.Remove(filepath.Join(s.dir, "tmp", e.Name()))
	}
	return nil
}
