package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// BenchmarkAuthenticateToken measures the API's authentication check alone (BENCHMARKS.md,
// "API authentication"): parsing the bearer token (prefix, alphabet, checksum, SHA-256) and
// finding it, with 1,000 and 1,000,000 user tokens in the database.
//
//   - lookup: the indexed lookup by hash, cache bypassed, cycling over 1,024 tokens spread
//     across the whole table (so the 1,000,000 case reads pages all over the index);
//   - cached: AuthenticateToken as the API calls it, nothing written meanwhile;
//   - unknown: a well-formed token that is in no row (one lookup, never cached);
//   - malformed: a token whose checksum is wrong, rejected before any database work.
//
// Seeding 1,000,000 tokens takes a while, so the seeded file is kept in os.TempDir() and
// reused by later runs.
func BenchmarkAuthenticateToken(b *testing.B) {
	for _, n := range []int{1_000, 1_000_000} {
		db, sample := benchTokenDB(b, n)
		ctx := context.Background()
		parsed := make([]core.ParsedToken, len(sample))
		for i, tok := range sample {
			p, err := core.ParseToken(tok)
			if err != nil {
				b.Fatal(err)
			}
			parsed[i] = p
		}
		b.Run(fmt.Sprintf("tokens=%d/lookup", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				p, err := core.ParseToken(sample[i%len(sample)])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := db.lookupToken(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		cached := NewCache(db)
		b.Run(fmt.Sprintf("tokens=%d/cached", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				p, err := core.ParseToken(sample[i%len(sample)])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := cached.AuthenticateToken(ctx, p); err != nil {
					b.Fatal(err)
				}
			}
		})
		unknown, _ := core.GenerateUserToken()
		b.Run(fmt.Sprintf("tokens=%d/unknown", n), func(b *testing.B) {
			for b.Loop() {
				p, err := core.ParseToken(unknown)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := cached.AuthenticateToken(ctx, p); core.ErrorMessage(err) != "Invalid token" {
					b.Fatal(err)
				}
			}
		})
		malformed := sample[0][:len(sample[0])-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", sample[0][len(sample[0])-1])+1)%16])
		b.Run(fmt.Sprintf("tokens=%d/malformed", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := core.ParseToken(malformed); err == nil {
					b.Fatal("a token with a wrong checksum parsed")
				}
			}
		})
		db.Close()
	}
}

// benchSampleSize is how many tokens the lookup benchmark cycles over.
const benchSampleSize = 1024

// benchTokenDB returns a database holding n user tokens of one user, and a sample of their
// plaintexts spread evenly over the table. The file is kept in os.TempDir() by n.
func benchTokenDB(b *testing.B, n int) (*DB, []string) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("tokenboard-bench-v2-%d.db", n))
	samplePath := path + ".sample"
	if raw, err := os.ReadFile(samplePath); err == nil {
		if db, err := Open(ctx, path); err == nil {
			return db, strings.Fields(string(raw))
		}
	}
	for _, suffix := range []string{"", "-wal", "-shm", ".sample"} {
		os.Remove(path + suffix)
	}
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	var sample []string
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		var userID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO users (email, password_hash, created_at)
			VALUES ('bench@tokenboard.test', '', 0) RETURNING id`).Scan(&userID); err != nil {
			return err
		}
		st, err := tx.PrepareContext(ctx, `INSERT INTO tokens (kind, id, user_id, token_hash, last_chars, scopes, created_at)
			VALUES ('user', (SELECT coalesce(max(id), 0) + 1 FROM tokens WHERE kind = 'user'), ?, ?, ?, 'org:read project:read', 0)`)
		if err != nil {
			return err
		}
		defer st.Close()
		every := max(1, n/benchSampleSize)
		for i := range n {
			tok, err := core.GenerateUserToken()
			if err != nil {
				return err
			}
			if _, err := st.ExecContext(ctx, userID, core.HashToken(tok), core.TokenLastChars(tok)); err != nil {
				return err
			}
			if i%every == 0 && len(sample) < benchSampleSize {
				sample = append(sample, tok)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(samplePath, []byte(strings.Join(sample, "\n")), 0o600); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d tokens in %s", n, time.Since(start).Round(time.Millisecond))
	return db, sample
}
