package apptest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Test fixtures for API tokens. The Mint methods go through the real token services, so tests
// exercise the same writes as the screens. Revoking and expiring, and the Insert functions,
// write rows directly through a second handle on the database file, the way the services store
// them (SHA-256 of the full token, last 4 characters, scopes by name): the Insert functions
// take a *sql.DB so that scripts/loadtest can mint many tokens into a server's database.

// fixtureDB is the second handle, opened on first use.
type fixtureDB struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func (f *fixtureDB) close() {
	if f.db != nil {
		f.db.Close()
	}
}

// OpenFixtureDB opens the database file at path with the pragmas the server uses, so that
// writes wait for the server's instead of failing.
func OpenFixtureDB(path string) (*sql.DB, error) {
	return sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=foreign_keys(1)"+
		"&_pragma=synchronous(NORMAL)&_txlock=immediate")
}

func (a *App) fixtureDB(t testing.TB) *sql.DB {
	t.Helper()
	a.fixtures.once.Do(func() {
		a.fixtures.db, a.fixtures.err = OpenFixtureDB(filepath.Join(a.DataDir, "tokenboard.db"))
	})
	if a.fixtures.err != nil {
		t.Fatalf("opening the fixture database handle: %v", a.fixtures.err)
	}
	return a.fixtures.db
}

// MintOrgToken creates an org auth token through the org-token service, as the organization's
// first owner (audit entry and owners' email included), and returns its plaintext.
func (a *App) MintOrgToken(t testing.TB, orgSlug, name string) string {
	t.Helper()
	org := a.Org(t, orgSlug)
	_, token, err := a.DB.CreateOrgToken(a.asOwner(t, org), org.ID, core.NewOrgToken{Name: name})
	if err != nil {
		t.Fatalf("minting an org token for %s: %v", orgSlug, err)
	}
	return token
}

// MintUserToken creates a user auth token through the user-token service, as that user, and
// returns its plaintext. An expiry in the past, which the service refuses at creation, is set
// afterwards, as time passing would.
func (a *App) MintUserToken(t testing.TB, email string, scopes core.ScopeSet, expiresAt *time.Time) string {
	t.Helper()
	expired := expiresAt != nil && !expiresAt.After(time.Now())
	n := core.NewUserToken{Scopes: scopes.Expand()}
	if !expired {
		n.ExpiresAt = expiresAt
	}
	_, token, err := a.DB.CreateUserToken(a.As(t, email), n)
	if err != nil {
		t.Fatalf("minting a user token for %s: %v", email, err)
	}
	if expired {
		a.ExpireToken(t, token)
	}
	return token
}

// MintIntegrationToken creates an internal integration of the organization with the scopes
// through the integration service, as the organization's first owner, and returns the
// plaintext of the token created with it.
func (a *App) MintIntegrationToken(t testing.TB, orgSlug string, scopes core.ScopeSet) string {
	t.Helper()
	org := a.Org(t, orgSlug)
	var suffix [4]byte
	rand.Read(suffix[:])
	in := core.IntegrationInput{Name: "Fixture " + hex.EncodeToString(suffix[:]), Scopes: scopes.Expand()}
	_, _, token, err := a.DB.CreateIntegration(a.asOwner(t, org), org.ID, in)
	if err != nil {
		t.Fatalf("minting an integration token for %s: %v", orgSlug, err)
	}
	return token
}

// asOwner returns a context whose actor is the organization's first owner.
func (a *App) asOwner(t testing.TB, org *core.Org) context.Context {
	t.Helper()
	// Reading the owners is itself authorized: the fixture asks as the console operator.
	owners, err := a.DB.Owners(AsOperator(), org.ID)
	if err != nil || len(owners) == 0 {
		t.Fatalf("owners of %s: %v", org.Slug, err)
	}
	return core.WithActor(context.Background(), core.Actor{User: &owners[0], IP: "127.0.0.1"})
}

// RevokeToken revokes a token as its service does: an org token is deactivated, a user token
// deleted, an integration token marked revoked.
func (a *App) RevokeToken(t testing.TB, token string) {
	t.Helper()
	if err := UpdateTokenRow(context.Background(), a.fixtureDB(t), token, "revoke"); err != nil {
		t.Fatalf("revoking a token: %v", err)
	}
}

// ExpireToken sets an org or user token's expiry to a second ago.
func (a *App) ExpireToken(t testing.TB, token string) {
	t.Helper()
	if err := UpdateTokenRow(context.Background(), a.fixtureDB(t), token, "expire"); err != nil {
		t.Fatalf("expiring a token: %v", err)
	}
}

// InsertOrgToken stores a new org token and returns its plaintext.
func InsertOrgToken(ctx context.Context, db *sql.DB, baseURL, orgSlug, name string, expiresAt *time.Time) (string, error) {
	now := time.Now().UTC()
	token, err := core.GenerateOrgToken(baseURL, orgSlug, now)
	if err != nil {
		return "", err
	}
	res, err := db.ExecContext(ctx, `INSERT INTO org_tokens (org_id, token_hash, last_chars, name, scopes, created_at, expires_at)
		SELECT id, ?, ?, ?, 'org:ci', ?, ? FROM orgs WHERE slug = ?`,
		core.HashToken(token), core.TokenLastChars(token), name, now.Unix(), unixOrNull(expiresAt), orgSlug)
	return token, oneRow(res, err, "no organization "+orgSlug)
}

// InsertUserToken stores a new user token and returns its plaintext.
func InsertUserToken(ctx context.Context, db *sql.DB, email string, scopes core.ScopeSet, expiresAt *time.Time) (string, error) {
	token, err := core.GenerateUserToken()
	if err != nil {
		return "", err
	}
	res, err := db.ExecContext(ctx, `INSERT INTO user_tokens (user_id, token_hash, last_chars, name, scopes, created_at, expires_at)
		SELECT id, ?, ?, '', ?, ?, ? FROM users WHERE email = ? COLLATE NOCASE`,
		core.HashToken(token), core.TokenLastChars(token), strings.Join(scopes.Expand().Names(), " "),
		time.Now().Unix(), unixOrNull(expiresAt), email)
	return token, oneRow(res, err, "no user "+email)
}

// InsertIntegrationToken stores a new internal integration of the organization and one token
// of it, and returns the token's plaintext.
func InsertIntegrationToken(ctx context.Context, db *sql.DB, orgSlug string, scopes core.ScopeSet) (string, error) {
	token, err := core.GenerateIntegrationToken()
	if err != nil {
		return "", err
	}
	var suffix [4]byte
	rand.Read(suffix[:])
	slug := "fixture-" + hex.EncodeToString(suffix[:])
	names := strings.Join(scopes.Expand().Names(), " ")
	now := time.Now().Unix()
	var integrationID int64
	err = db.QueryRowContext(ctx, `INSERT INTO integrations (org_id, slug, name, scopes, created_at, updated_at)
		SELECT id, ?, ?, ?, ?, ? FROM orgs WHERE slug = ? RETURNING id`, slug, slug, names, now, now, orgSlug).Scan(&integrationID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errors.New("no organization " + orgSlug)
	} else if err != nil {
		return "", err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO integration_tokens (integration_id, token_hash, last_chars, scopes, created_at)
		VALUES (?, ?, ?, ?, ?)`, integrationID, core.HashToken(token), core.TokenLastChars(token), names, now)
	return token, err
}

// UpdateTokenRow revokes ("revoke") or expires ("expire") the token's row.
func UpdateTokenRow(ctx context.Context, db *sql.DB, token, action string) error {
	parsed, err := core.ParseToken(token)
	if err != nil {
		return err
	}
	now := time.Now().Unix()
	queries := map[string]map[core.TokenKind]string{
		"revoke": {
			core.TokenOrg:         `UPDATE org_tokens SET deactivated_at = ? WHERE token_hash = ?`,
			core.TokenUser:        `DELETE FROM user_tokens WHERE ? > 0 AND token_hash = ?`,
			core.TokenIntegration: `UPDATE integration_tokens SET revoked_at = ? WHERE token_hash = ?`,
		},
		"expire": {
			core.TokenOrg:  `UPDATE org_tokens SET expires_at = ? - 1 WHERE token_hash = ?`,
			core.TokenUser: `UPDATE user_tokens SET expires_at = ? - 1 WHERE token_hash = ?`,
		},
	}
	query, ok := queries[action][parsed.Kind]
	if !ok {
		return errors.New("this kind of token cannot " + action)
	}
	res, err := db.ExecContext(ctx, query, now, parsed.Hash)
	return oneRow(res, err, "no such token")
}

func unixOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.Unix()
}

// oneRow checks that a statement changed exactly one row: an INSERT … SELECT whose owner
// does not exist changes none, without an error.
func oneRow(res sql.Result, err error, none string) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errors.New(none)
	}
	return nil
}

// TokenLastUsed reads a token's stored "last used": when, and for an org token the slug of the
// project it was last used in ("" when none).
func (a *App) TokenLastUsed(t testing.TB, token string) (at *time.Time, project string) {
	t.Helper()
	parsed, err := core.ParseToken(token)
	if err != nil {
		t.Fatal(err)
	}
	query := map[core.TokenKind]string{
		core.TokenOrg: `SELECT t.last_used_at, coalesce(p.slug, '') FROM org_tokens t
			LEFT JOIN projects p ON p.id = t.last_used_project_id WHERE t.token_hash = ?`,
		core.TokenUser:        `SELECT last_used_at, '' FROM user_tokens WHERE token_hash = ?`,
		core.TokenIntegration: `SELECT last_used_at, '' FROM integration_tokens WHERE token_hash = ?`,
	}[parsed.Kind]
	var unix sql.NullInt64
	if err := a.fixtureDB(t).QueryRow(query, parsed.Hash).Scan(&unix, &project); err != nil {
		t.Fatalf("reading a token's last use: %v", err)
	}
	if unix.Valid {
		u := time.Unix(unix.Int64, 0).UTC()
		at = &u
	}
	return at, project
}

// DeactivateUser marks a user inactive (tokenboard has no screen for it yet): their tokens
// then get 401 "User inactive or deleted".
func (a *App) DeactivateUser(t testing.TB, email string) {
	t.Helper()
	res, err := a.fixtureDB(t).Exec(`UPDATE users SET active = 0 WHERE email = ? COLLATE NOCASE`, email)
	if err := oneRow(res, err, "no user "+email); err != nil {
		t.Fatalf("deactivating %s: %v", email, err)
	}
}
