// Package pgtest gives tests a real PostgreSQL database: a fresh, empty database per test on
// a server named by $TOKENBOARD_TEST_POSTGRES, or on a throwaway PostgreSQL 15 it starts with
// scripts/postgres.sh when that variable is unset. Without either the test is skipped — or
// fails, under TOKENBOARD_REQUIRE_TOOLS=1 (`make test`), which never skips.
//
// Usage: a package whose tests want one server for all of them (initdb costs a second or two)
// runs them through Main from its TestMain; each test then calls NewDatabase. Without Main,
// NewDatabase starts (and stops) a server for each test that asks.
//
// It is a package of its own, importing nothing of tokenboard, so that any test package (the
// store's internal tests included) can use it without an import cycle.
package pgtest

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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// ServerEnv names a PostgreSQL server (postgres://user@host:port/db?sslmode=disable) whose
// user may CREATE DATABASE; tests then create their databases there instead of starting one.
const ServerEnv = "TOKENBOARD_TEST_POSTGRES"

// requireToolsEnv is apptest.RequireToolsEnv (not imported: apptest imports the store).
const requireToolsEnv = "TOKENBOARD_REQUIRE_TOOLS"

// ErrUnavailable means there is no server to use: $TOKENBOARD_TEST_POSTGRES is unset and
// PostgreSQL 15 is not installed.
var ErrUnavailable = errors.New("pgtest: no PostgreSQL: $" + ServerEnv + " is unset and PostgreSQL 15 is not installed (apt-get install postgresql)")

// Server is a PostgreSQL server tests create databases on.
type Server struct {
	// URL is the server's maintenance database URL.
	URL string
	// dir is the data folder of a server this package started ("" for $TOKENBOARD_TEST_POSTGRES).
	dir string
}

// StartOrEnv returns the server named by $TOKENBOARD_TEST_POSTGRES, or starts a throwaway one
// (ErrUnavailable when PostgreSQL is not installed). Stop it when done.
func StartOrEnv() (*Server, error) {
	if u := os.Getenv(ServerEnv); u != "" {
		return &Server{URL: u}, nil
	}
	script, err := postgresScript()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(pgBin() + "/initdb"); err != nil {
		return nil, ErrUnavailable
	}
	// Not under t.TempDir: as root the server runs as the postgres user, which must be able to
	// reach its folder (t.TempDir's parents are private to the caller).
	dir, err := os.MkdirTemp("", "tokenboard-pgtest-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command("bash", script, "start", dir)
	// A cluster thrown away after the run need not survive a power cut.
	cmd.Env = append(os.Environ(), "PG_FSYNC=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("pgtest: %s start: %v: %s", script, err, stderr.String())
	}
	return &Server{URL: strings.TrimSpace(string(out)), dir: dir}, nil
}

// Stop stops a server StartOrEnv started and removes its files; a server from the
// environment is left alone.
func (s *Server) Stop() error {
	if s == nil || s.dir == "" {
		return nil
	}
	script, err := postgresScript()
	if err != nil {
		return err
	}
	out, err := exec.Command("bash", script, "stop", s.dir).CombinedOutput()
	os.RemoveAll(s.dir)
	if err != nil {
		return fmt.Errorf("pgtest: stop: %v: %s", err, out)
	}
	return nil
}

// shared is the server Main started for the package's tests (nil without Main).
var (
	sharedMu  sync.Mutex
	shared    *Server
	sharedErr error
	inMain    bool
)

// Main runs the package's tests with one server shared by every NewDatabase call, started on
// first use and stopped after the tests. Call it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	sharedMu.Lock()
	inMain = true
	sharedMu.Unlock()
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
		shared = nil
	}
	return code
}

// server returns the server for t: the shared one under Main, else one started for t alone.
func server(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if inMain {
		if shared == nil && sharedErr == nil {
			shared, sharedErr = StartOrEnv()
		}
		if sharedErr != nil {
			unavailable(t, sharedErr)
		}
		return shared
	}
	s, err := StartOrEnv()
	if err != nil {
		unavailable(t, err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// unavailable skips t, or fails it when skipping is forbidden or the failure is not a mere
// absence of PostgreSQL (a server that is installed but will not start is a bug to see).
func unavailable(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrUnavailable) && os.Getenv(requireToolsEnv) != "1" {
		t.Skipf("skipped: %v; `make test` installs it and never skips", err)
	}
	t.Fatal(err)
}

// NewDatabase creates a fresh, empty database for t and returns its URL; it is dropped when t
// ends (after t's own cleanups, which should close every connection to it).
func NewDatabase(t testing.TB) string {
	t.Helper()
	return NewDatabaseOn(t, server(t))
}

// NewDatabaseOn is NewDatabase on a given server (one a test started with StartOrEnv, for
// instance to stop it mid-test).
func NewDatabaseOn(t testing.TB, s *Server) string {
	t.Helper()
	name := "tokenboard_test_" + randomHex(8)
	admin, err := openURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database on %s: %v", redact(s.URL), err)
	}
	t.Cleanup(func() {
		admin, err := openURL(s.URL)
		if err != nil {
			return
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open (PostgreSQL 13+); a server the test stopped
		// has nothing to drop.
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u := withDatabase(s.URL, name)
	serverOf.Store(u, s.URL)
	return u
}

// serverOf maps each database URL NewDatabase returned to its server's URL.
var serverOf sync.Map

// ServerURL returns the URL of the server's maintenance database for a database NewDatabase
// created: a connection from which a test can act on its database from outside (close it to
// new connections, end its sessions), which PostgreSQL refuses from inside.
func ServerURL(t testing.TB, databaseURL string) string {
	t.Helper()
	u, ok := serverOf.Load(databaseURL)
	if !ok {
		t.Fatalf("pgtest: %s was not created by NewDatabase", redact(databaseURL))
	}
	return u.(string)
}

// openURL opens a database/sql handle on a PostgreSQL URL.
func openURL(u string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("pgtest: %w", err)
	}
	return stdlib.OpenDB(*cfg), nil
}

// withDatabase is the server URL u naming database name instead of its own.
func withDatabase(u, name string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return u
	}
	parsed.Path = "/" + name
	return parsed.String()
}

// redact drops a password from a URL for messages.
func redact(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		return "the server"
	}
	return parsed.Redacted()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// pgBin is where scripts/postgres.sh finds PostgreSQL 15's programs.
func pgBin() string {
	if b := os.Getenv("PG_BIN"); b != "" {
		return b
	}
	return "/usr/lib/postgresql/15/bin"
}

// postgresScript finds scripts/postgres.sh above the test's working folder (a package folder
// inside the module).
func postgresScript() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "postgres.sh"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("pgtest: no go.mod above the working folder, so no scripts/postgres.sh")
		}
		dir = parent
	}
}
