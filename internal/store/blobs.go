package store

import (
	"context"
	"crypto/sha1"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tokenboard/tokenboard/internal/blob"
)

// Blobs returns where this database keeps uploaded bytes itself, or nil when it does not.
// On PostgreSQL the bytes live in its blobs table, which every instance reads: a chunk
// uploaded through one instance is there when another assembles the bundle. On SQLite it is
// nil: the embedded default keeps them as files in the data folder (blob.FS), beside the
// database file, where one process serves them.
func (db *DB) Blobs() blob.Store {
	if _, ok := db.backend.(postgresBackend); !ok {
		return nil
	}
	return &pgBlobs{db: db.db}
}

// maxDatabaseBlob bounds one blob in the database when the caller sets no smaller limit: Put
// holds the bytes in memory to hash them before the insert (a bytea parameter cannot be
// streamed), and PostgreSQL refuses a value over 1 GB. Chunks are at most the advertised
// chunk size (chunkupload.DefaultChunkSize, 8 MiB), far below.
const maxDatabaseBlob = 256 << 20

// blobWindow is how much of a blob a read fetches at once: a zip reader reads a few KB at a
// time, and one query per few KB would cost a round trip each.
const blobWindow = 1 << 20

// pgBlobs is blob.Store on the blobs table (pgmigrations/0002_blobs.sql). It needs no write
// lock: each statement is atomic on its one row, and no cached answer depends on the table.
type pgBlobs struct {
	db *sql.DB
}

// Put reads r (at most limit, or maxDatabaseBlob, bytes) into memory, checks its SHA-1, then
// stores it — or, when the bytes are already stored, marks them just re-sent.
func (s *pgBlobs) Put(ctx context.Context, sum string, r io.Reader, limit int64) (blob.PutResult, error) {
	if !blob.ValidAddress(sum) {
		return blob.PutResult{}, blob.ErrAddress
	}
	if limit <= 0 || limit > maxDatabaseBlob {
		limit = maxDatabaseBlob
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return blob.PutResult{}, err
	}
	if int64(len(data)) > limit {
		return blob.PutResult{}, blob.ErrTooLarge
	}
	h := sha1.Sum(data)
	if hex.EncodeToString(h[:]) != sum {
		return blob.PutResult{}, blob.ErrChecksum
	}
	size := int64(len(data))
	// Touch first: a deduplicated upload sends no bytes to the database. The UPDATE and
	// DeleteIfIdleSince's DELETE lock the row, so a cleanup either sees the new put_at or has
	// removed the row first, and then the INSERT below stores the bytes again.
	for {
		now := time.Now()
		res, err := s.db.ExecContext(ctx, `UPDATE blobs SET put_at = ? WHERE sha1 = ?`, now, sum)
		if err != nil {
			return blob.PutResult{}, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return blob.PutResult{Size: size}, nil
		}
		res, err = s.db.ExecContext(ctx,
			`INSERT INTO blobs (sha1, data, size, put_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha1) DO NOTHING`,
			sum, data, size, now)
		if err != nil {
			return blob.PutResult{}, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return blob.PutResult{Size: size, Created: true}, nil
		}
		// Another upload of the same bytes inserted them between our two statements: touch
		// theirs (loop), so the put_at is ours.
	}
}

// Open returns the blob, read from the database a window at a time: a 100 MB bundle of
// 8 MiB chunks being assembled holds at most one window per chunk in memory, not the bundle.
func (s *pgBlobs) Open(ctx context.Context, sum string) (blob.Blob, error) {
	size, err := s.Stat(ctx, sum)
	if err != nil {
		return nil, err
	}
	return &pgBlob{ctx: ctx, db: s.db, sum: sum, size: size}, nil
}

// Stat returns the blob's size.
func (s *pgBlobs) Stat(ctx context.Context, sum string) (int64, error) {
	if !blob.ValidAddress(sum) {
		return 0, blob.ErrAddress
	}
	var size int64
	err := s.db.QueryRowContext(ctx, `SELECT size FROM blobs WHERE sha1 = ?`, sum).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, blob.ErrNotFound
	}
	return size, err
}

// Delete removes the blob.
func (s *pgBlobs) Delete(ctx context.Context, sum string) error {
	if !blob.ValidAddress(sum) {
		return blob.ErrAddress
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM blobs WHERE sha1 = ?`, sum)
	return err
}

// DeleteIfIdleSince removes the blob unless a Put stored or touched it at or after since.
// since is truncated to PostgreSQL's microseconds, so a Put after since (whose time the
// database rounds to the nearest microsecond) is never seen as before it.
func (s *pgBlobs) DeleteIfIdleSince(ctx context.Context, sum string, since time.Time) (bool, error) {
	if !blob.ValidAddress(sum) {
		return false, blob.ErrAddress
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM blobs WHERE sha1 = ? AND put_at < ?`,
		sum, since.Truncate(time.Microsecond))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Usage counts the stored blobs and their bytes.
func (s *pgBlobs) Usage(ctx context.Context) (count, bytes int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(size), 0) FROM blobs`).Scan(&count, &bytes)
	return count, bytes, err
}

// pgBlob is an open blob in the database: reads fetch blobWindow bytes at a time and keep
// the last window.
type pgBlob struct {
	ctx  context.Context
	db   *sql.DB
	sum  string
	size int64
	// pos is where Read continues.
	pos int64
	// window holds the blob's bytes from winAt.
	window []byte
	winAt  int64
}

func (b *pgBlob) Size() int64 { return b.size }

func (b *pgBlob) Close() error { b.window = nil; return nil }

func (b *pgBlob) Read(p []byte) (int, error) {
	n, err := b.ReadAt(p, b.pos)
	b.pos += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt fills p from off, fetching the windows that hold it.
func (b *pgBlob) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("blob: negative offset")
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= b.size {
			return n, io.EOF
		}
		if at < b.winAt || at >= b.winAt+int64(len(b.window)) {
			if err := b.fetch(at, len(p)-n); err != nil {
				return n, err
			}
		}
		n += copy(p[n:], b.window[at-b.winAt:])
	}
	return n, nil
}

// fetch loads the window starting at at, at least want bytes (up to blobWindow more).
func (b *pgBlob) fetch(at int64, want int) error {
	length := max(int64(want), blobWindow)
	var data []byte
	// substring counts from 1.
	err := b.db.QueryRowContext(b.ctx, `SELECT substring(data FROM ? FOR ?) FROM blobs WHERE sha1 = ?`,
		at+1, length, b.sum).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s was deleted while open", blob.ErrNotFound, b.sum)
	}
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return io.ErrUnexpectedEOF
	}
	b.window, b.winAt = data, at
	return nil
}
