// Package storetest writes and inspects test data in a tokenboard database: tokens minted
// through the real services, and the few changes no service makes (a token expired or revoked
// behind the server's back, a user deactivated, thousands of tokens seeded at once) written
// with SQL next to the schema they depend on, so no package outside internal/store holds SQL.
//
// The store runs on SQLite files unless TOKENBOARD_TEST_POSTGRES names a PostgreSQL server
// (postgres.go): then every database a test opens is a fresh PostgreSQL database, and the same
// tests check the PostgreSQL backend.
//
// It is for tests and benchmarks only; programs use the store (store.DB) itself.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
)

// Fixtures writes test data into the database a store has open. Rows written with SQL go
// through a second handle on the database, as another process would write them; each such
// write then calls the store's Invalidate, as the cross-process signal does for the server.
type Fixtures struct {
	// DB is the store the services are called on and whose cache is invalidated.
	DB   *store.DB
	path string
	raw  *sql.DB
}

// New returns fixtures for the store db, whose database file is path (on PostgreSQL, the
// database OpenDemo made for it).
func New(db *store.DB, path string) (*Fixtures, error) {
	if u, ok := postgresURLs.Load(db); ok {
		raw, err := store.OpenPostgresHandle(u.(string))
		return &Fixtures{DB: db, raw: raw}, err
	}
	raw, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"+
		"&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	return &Fixtures{DB: db, path: path, raw: raw}, nil
}

// Close closes the second handle (not the store).
func (f *Fixtures) Close() error { return f.raw.Close() }

// Raw is the second handle, for tests that read rows the services do not show.
func (f *Fixtures) Raw() *sql.DB { return f.raw }

// operator is the console operator's context: it may act in every organization.
func operator(ctx context.Context) context.Context {
	return core.WithActor(ctx, core.Actor{Operator: true, IP: "127.0.0.1"})
}

// As returns a context whose actor is the user with that email.
func (f *Fixtures) As(ctx context.Context, email string) (context.Context, error) {
	u, err := f.DB.UserByEmail(ctx, email)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", email, err)
	}
	return core.WithActor(ctx, core.Actor{User: u, IP: "127.0.0.1"}), nil
}

// MintOrgToken creates an org token of the organization through the org-token service, as the
// console operator (audit entry and owners' email included), and returns its plaintext.
func (f *Fixtures) MintOrgToken(ctx context.Context, orgSlug, name string) (string, error) {
	org, err := f.DB.OrgBySlug(ctx, orgSlug)
	if err != nil {
		return "", fmt.Errorf("org %s: %w", orgSlug, err)
	}
	_, token, err := f.DB.CreateOrgToken(operator(ctx), org.ID, core.NewOrgToken{Name: name})
	return token, err
}

// MintUserToken creates a user token through the user-token service, as that user, and
// returns its plaintext. An expiry in the past, which the service refuses, is set afterwards
// as time passing would.
func (f *Fixtures) MintUserToken(ctx context.Context, email string, scopes core.ScopeSet, expiresAt *time.Time) (string, error) {
	as, err := f.As(ctx, email)
	if err != nil {
		return "", err
	}
	expired := expiresAt != nil && !expiresAt.After(f.DB.Now())
	n := core.NewUserToken{Scopes: scopes.Expand()}
	if !expired {
		n.ExpiresAt = expiresAt
	}
	_, token, err := f.DB.CreateUserToken(as, n)
	if err == nil && expired {
		err = f.ExpireToken(ctx, token)
	}
	return token, err
}

// MintIntegrationToken creates an internal integration of the organization with the scopes
// through the integration service, as the console operator, and returns the plaintext of the
// token created with it.
func (f *Fixtures) MintIntegrationToken(ctx context.Context, orgSlug string, scopes core.ScopeSet) (string, error) {
	org, err := f.DB.OrgBySlug(ctx, orgSlug)
	if err != nil {
		return "", fmt.Errorf("org %s: %w", orgSlug, err)
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	in := core.IntegrationInput{Name: "Fixture " + hex.EncodeToString(suffix[:]), Scopes: scopes.Expand()}
	_, _, token, err := f.DB.CreateIntegration(operator(ctx), org.ID, in)
	return token, err
}

// write runs one statement through the second handle, checks that it changed exactly one row
// (none is the error none), and invalidates the store's cached answers.
func (f *Fixtures) write(ctx context.Context, none, query string, args ...any) error {
	res, err := f.raw.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errors.New(none)
	}
	f.DB.Invalidate()
	return nil
}

// RevokeToken revokes a token of any kind behind the services' back, as another process would.
func (f *Fixtures) RevokeToken(ctx context.Context, token string) error {
	return f.write(ctx, "no such live token", `UPDATE tokens SET revoked_at = ?, revoked_reason = 'revoked'
		WHERE token_hash = ? AND revoked_at IS NULL`, time.Now().Unix(), core.HashToken(token))
}

// ExpireToken sets a token's expiry to a second before the store's clock.
func (f *Fixtures) ExpireToken(ctx context.Context, token string) error {
	return f.write(ctx, "no such token", `UPDATE tokens SET expires_at = ? WHERE token_hash = ?`,
		f.DB.Now().Unix()-1, core.HashToken(token))
}

// DeactivateUser marks a user inactive (tokenboard has no screen for it yet): their tokens
// then get 401 "User inactive or deleted".
func (f *Fixtures) DeactivateUser(ctx context.Context, email string) error {
	return f.write(ctx, "no user "+email, `UPDATE users SET active = ? WHERE email = ? COLLATE NOCASE`, false, email)
}

// AddMember makes the user a member of the organization with the role behind the services'
// back, as an operator command in another process would.
func (f *Fixtures) AddMember(ctx context.Context, orgID, userID int64, role core.Role) error {
	return f.write(ctx, "not added", `INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (?, ?, ?, 0)`,
		orgID, userID, string(role))
}

// SetTokenLastUsed sets a token's stored "last used" time (and for an org token its project,
// 0 for none), as if the server had saved a use.
func (f *Fixtures) SetTokenLastUsed(ctx context.Context, token string, at time.Time, projectID int64) error {
	return f.write(ctx, "no such token", `UPDATE tokens SET last_used_at = ?,
		last_used_project_id = nullif(?, 0) WHERE token_hash = ?`, at.Unix(), projectID, core.HashToken(token))
}

// TokenLastUsed reads a token's stored "last used": when, and for an org token the slug of the
// project it was last used in ("" when none).
func (f *Fixtures) TokenLastUsed(ctx context.Context, token string) (at *time.Time, project string, err error) {
	var unix sql.NullInt64
	err = f.raw.QueryRowContext(ctx, `SELECT t.last_used_at, coalesce(p.slug, '') FROM tokens t
		LEFT JOIN projects p ON p.id = t.last_used_project_id WHERE t.token_hash = ?`, core.HashToken(token)).
		Scan(&unix, &project)
	if err != nil {
		return nil, "", err
	}
	if unix.Valid {
		u := time.Unix(unix.Int64, 0).UTC()
		at = &u
	}
	return at, project, nil
}

// OrgTokenID returns the id of the organization's live org token with that name.
func (f *Fixtures) OrgTokenID(ctx context.Context, name string) (int64, error) {
	var id int64
	err := f.raw.QueryRowContext(ctx, `SELECT id FROM tokens WHERE kind = 'org' AND name = ? AND revoked_at IS NULL`,
		name).Scan(&id)
	return id, err
}

// CountOrgTokens counts the organization's org tokens, revoked ones included.
func (f *Fixtures) CountOrgTokens(ctx context.Context, orgID int64) (int, error) {
	var n int
	err := f.raw.QueryRowContext(ctx, `SELECT count(*) FROM tokens WHERE kind = 'org' AND org_id = ?`, orgID).Scan(&n)
	return n, err
}

// SeededOrgToken is one row SeedOrgTokens writes.
type SeededOrgToken struct {
	Name string
	// LastChars are the masked value's visible end; "0001", "0002"… by position when empty.
	LastChars         string
	CreatedAt         time.Time
	LastUsedAt        *time.Time
	LastUsedProjectID int64
}

// SeedOrgTokens inserts org tokens into the organization in one transaction, much faster
// than creating them one by one, for tests and benchmarks of long lists. The hashes are of
// made-up strings: none of these tokens authenticates.
func (f *Fixtures) SeedOrgTokens(ctx context.Context, orgID int64, rows []SeededOrgToken) error {
	tx, err := f.raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO tokens (kind, id, org_id, token_hash, last_chars, name,
		scopes, created_at, last_used_at, last_used_project_id)
		VALUES ('org', (SELECT coalesce(max(id), 0) + 1 FROM tokens WHERE kind = 'org'), ?, ?, ?, ?, 'org:ci', ?, ?, nullif(?, 0))`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	var nonce [8]byte
	rand.Read(nonce[:])
	for i, r := range rows {
		var lastUsed sql.NullInt64
		if r.LastUsedAt != nil {
			lastUsed = sql.NullInt64{Int64: r.LastUsedAt.Unix(), Valid: true}
		}
		key := fmt.Sprintf("seed-%d-%x-%d", orgID, nonce, i)
		last := r.LastChars
		if last == "" {
			last = fmt.Sprintf("%04d", (i+1)%10000)
		}
		if _, err := stmt.ExecContext(ctx, orgID, core.HashToken(key), last, r.Name,
			r.CreatedAt.Unix(), lastUsed, r.LastUsedProjectID); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	f.DB.Invalidate()
	return nil
}

// SeedNumberedOrgTokens seeds n org tokens named "<prefix> 00001"…, created a second apart;
// every third one was last used, at distinct times.
func (f *Fixtures) SeedNumberedOrgTokens(ctx context.Context, orgID int64, prefix string, n int) error {
	now := time.Now()
	rows := make([]SeededOrgToken, n)
	for i := range rows {
		k := i + 1
		rows[i] = SeededOrgToken{Name: fmt.Sprintf("%s %05d", prefix, k), CreatedAt: now.Add(-time.Duration(n-k) * time.Second)}
		if k%3 == 0 {
			at := now.Add(-time.Duration(k) * time.Second)
			rows[i].LastUsedAt = &at
		}
	}
	return f.SeedOrgTokens(ctx, orgID, rows)
}

// FindInDatabase returns where s occurs in the database: "table.column" for every text or blob
// value of every table containing it (read through SQL), and the name of each database file
// (main, -wal) whose raw bytes contain it, which also catches freed pages and dropped rows.
func (f *Fixtures) FindInDatabase(ctx context.Context, s string) ([]string, error) {
	if f.path == "" {
		return f.findInPostgres(ctx, s)
	}
	var found []string
	tables, err := f.strings(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		return nil, err
	}
	for _, table := range tables {
		quoted := `"` + strings.ReplaceAll(table, `"`, `""`) + `"`
		cols, err := f.strings(ctx, `SELECT name FROM pragma_table_info(?)`, table)
		if err != nil {
			return nil, err
		}
		for _, col := range cols {
			qc := `"` + strings.ReplaceAll(col, `"`, `""`) + `"`
			var n int
			err := f.raw.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE typeof(%s) IN ('text', 'blob')
				AND instr(CAST(%s AS BLOB), CAST(? AS BLOB)) > 0`, quoted, qc, qc), s).Scan(&n)
			if err != nil {
				return nil, fmt.Errorf("scanning %s.%s: %w", table, col, err)
			}
			if n > 0 {
				found = append(found, table+"."+col)
			}
		}
	}
	for _, suffix := range []string{"", "-wal"} {
		raw, err := os.ReadFile(f.path + suffix)
		if err != nil && !os.IsNotExist(err) {
			return nil, err
		}
		if bytes.Contains(raw, []byte(s)) {
			found = append(found, "file tokenboard.db"+suffix)
		}
	}
	return found, nil
}

func (f *Fixtures) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := f.raw.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Checkpoint copies the write-ahead log into the database file and empties it, as SQLite does
// on its own from time to time, so a test can check what the file holds afterwards.
func (f *Fixtures) Checkpoint(ctx context.Context) error {
	if f.path == "" {
		return nil // PostgreSQL: nothing of the kind to do
	}
	_, err := f.raw.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	return err
}
