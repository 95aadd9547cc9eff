package apptest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"path/filepath"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// Test fixtures, delegated to storetest: tokens are minted through the real services, and
// what no service does (revoking or expiring behind the server's back, seeding long lists,
// reading raw rows) is written next to the schema, in internal/sqlite/storetest. This
// package holds no SQL.

// DatabasePath is the app's SQLite file.
func (a *App) DatabasePath() string { return filepath.Join(a.DataDir, "tokenboard.db") }

// Fixtures returns the app's storetest fixtures, opened on first use and closed with the app.
func (a *App) Fixtures(t testing.TB) *storetest.Fixtures {
	t.Helper()
	a.fixturesOnce.Do(func() {
		a.fixtures, a.fixturesErr = storetest.New(a.DB, a.DatabasePath())
	})
	if a.fixturesErr != nil {
		t.Fatalf("opening the fixtures: %v", a.fixturesErr)
	}
	return a.fixtures
}

// SQL is a second handle on the app's database file, for tests that inspect raw rows.
func (a *App) SQL(t testing.TB) *sql.DB {
	t.Helper()
	return a.Fixtures(t).Raw()
}

// must fails the test on err, naming what was being done.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// FindInDatabase returns where s occurs in the database (storetest.Fixtures.FindInDatabase).
func (a *App) FindInDatabase(t testing.TB, s string) []string {
	t.Helper()
	found, err := a.Fixtures(t).FindInDatabase(context.Background(), s)
	must(t, "scanning the database", err)
	return found
}

// SeedOrgTokens inserts n org tokens named "<prefix> 00001"… into the organization at once
// (storetest.Fixtures.SeedNumberedOrgTokens).
func (a *App) SeedOrgTokens(t testing.TB, orgID int64, prefix string, n int) {
	t.Helper()
	must(t, "seeding org tokens", a.Fixtures(t).SeedNumberedOrgTokens(context.Background(), orgID, prefix, n))
}

// Checkpoint empties the write-ahead log into the database file.
func (a *App) Checkpoint(t testing.TB) {
	t.Helper()
	must(t, "checkpointing", a.Fixtures(t).Checkpoint(context.Background()))
}

// MintOrgToken creates an org auth token through the org-token service, as the organization's
// first owner (audit entry and owners' email included), and returns its plaintext.
func (a *App) MintOrgToken(t testing.TB, orgSlug, name string) string {
	t.Helper()
	org := a.Org(t, orgSlug)
	_, token, err := a.DB.CreateOrgToken(a.asOwner(t, org), org.ID, core.NewOrgToken{Name: name})
	must(t, "minting an org token for "+orgSlug, err)
	return token
}

// MintUserToken creates a user auth token through the user-token service, as that user, and
// returns its plaintext. An expiry in the past, which the service refuses at creation, is set
// afterwards, as time passing would.
func (a *App) MintUserToken(t testing.TB, email string, scopes core.ScopeSet, expiresAt *time.Time) string {
	t.Helper()
	token, err := a.Fixtures(t).MintUserToken(context.Background(), email, scopes, expiresAt)
	must(t, "minting a user token for "+email, err)
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
	must(t, "minting an integration token for "+orgSlug, err)
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

// RevokeToken revokes a token of any kind behind the services' back, as another process
// would (the app's cache is told, as the cross-process signal tells the server).
func (a *App) RevokeToken(t testing.TB, token string) {
	t.Helper()
	must(t, "revoking a token", a.Fixtures(t).RevokeToken(context.Background(), token))
}

// ExpireToken sets a token's expiry to a second ago.
func (a *App) ExpireToken(t testing.TB, token string) {
	t.Helper()
	must(t, "expiring a token", a.Fixtures(t).ExpireToken(context.Background(), token))
}

// TokenLastUsed reads a token's stored "last used": when, and for an org token the slug of the
// project it was last used in ("" when none).
func (a *App) TokenLastUsed(t testing.TB, token string) (at *time.Time, project string) {
	t.Helper()
	at, project, err := a.Fixtures(t).TokenLastUsed(context.Background(), token)
	must(t, "reading a token's last use", err)
	return at, project
}

// DeactivateUser marks a user inactive (tokenboard has no screen for it yet): their tokens
// then get 401 "User inactive or deleted".
func (a *App) DeactivateUser(t testing.TB, email string) {
	t.Helper()
	must(t, "deactivating "+email, a.Fixtures(t).DeactivateUser(context.Background(), email))
}
