package main

// Two real `tokenboard serve` processes on one PostgreSQL database, each with its own data
// folder, as README "Several instances" runs them (issue 11, "Correct across instances"). A
// change made through one must hold on the other: revocation, expiry, demotion and removal,
// mail sent once, sessions, last used, and the rules checked before a write.

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver, for the tests' own checks
	"golang.org/x/crypto/bcrypt"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/smtptest"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// testPostgresEnv names a PostgreSQL server (postgres://…, a user allowed to create databases)
// the tests use instead of starting their own (scripts/test.sh sets it for the whole suite);
// each test creates a database of its own there.
const testPostgresEnv = storetest.PostgresEnv

// pgServer is the throwaway PostgreSQL server (scripts/postgres.sh) started once for the test
// binary when testPostgresEnv is not set, and stopped by TestMain.
var pgServer struct {
	once      sync.Once
	url, dir  string
	err       error
	notThere  string
	databases atomic.Int64
}

// postgresServer returns the URL of a PostgreSQL server to create test databases on. Without
// one (no $TOKENBOARD_TEST_POSTGRES, no PostgreSQL 15 installed) the test is skipped, unless
// $TOKENBOARD_REQUIRE_TOOLS=1, as for the other real programs the tests need (apptest.Tool).
func postgresServer(t *testing.T) string {
	t.Helper()
	if u := os.Getenv(testPostgresEnv); u != "" {
		return u
	}
	pgServer.once.Do(func() {
		bin := os.Getenv("PG_BIN")
		if bin == "" {
			bin = "/usr/lib/postgresql/15/bin"
		}
		if _, err := os.Stat(filepath.Join(bin, "initdb")); err != nil {
			pgServer.notThere = "PostgreSQL 15 is not installed (apt-get install postgresql; or set $" + testPostgresEnv + " to a server's URL)"
			return
		}
		if pgServer.dir, pgServer.err = os.MkdirTemp("", "tokenboard-pg-"); pgServer.err != nil {
			return
		}
		cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "postgres.sh"), "start", pgServer.dir)
		// A cluster thrown away after the run need not survive a power cut.
		cmd.Env = append(os.Environ(), "PG_FSYNC=off")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			pgServer.err = fmt.Errorf("scripts/postgres.sh start: %v", err)
			return
		}
		pgServer.url = strings.TrimSpace(string(out))
	})
	if pgServer.notThere != "" {
		if os.Getenv(apptest.RequireToolsEnv) == "1" {
			t.Fatalf("%s, and $%s=1 forbids skipping", pgServer.notThere, apptest.RequireToolsEnv)
		}
		t.Skipf("skipped: %s", pgServer.notThere)
	}
	if pgServer.err != nil {
		t.Fatal(pgServer.err)
	}
	return pgServer.url
}

// stopPostgres stops the server postgresServer started, if it did.
func stopPostgres() {
	if pgServer.url == "" {
		return
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "postgres.sh"), "stop", pgServer.dir)
	cmd.Stderr = os.Stderr
	_ = cmd.Run()
	os.RemoveAll(pgServer.dir)
}

// freshDatabase creates an empty database on the test server and returns its URL; it is
// dropped when the test ends, after the instances using it have stopped.
func freshDatabase(t *testing.T) string {
	t.Helper()
	server := postgresServer(t)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("tokenboard_test_%d_%d", os.Getpid(), pgServer.databases.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// cluster is two instances, A and B, serving one PostgreSQL database with the demo data.
type cluster struct {
	url string
	// db is the test's own connection to the database, for fixtures and checks (it is a third
	// instance of the store, not a server); sql is a plain connection for reading rows.
	db     *store.DB
	sql    *sql.DB
	bin    string
	a, b   *apptest.App
	pa, pb *process
}

// startCluster seeds the demo data (at bcrypt's cheapest cost, so sign-ins stay fast) into a
// fresh database and starts A and B on it, each with its own data folder and extra arguments.
func startCluster(t *testing.T, argsA, argsB []string) *cluster {
	t.Helper()
	bin := buildTokenboard(t)
	c := &cluster{url: freshDatabase(t), bin: bin}
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, c.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.PasswordCost = bcrypt.MinCost
	if err := demo.Seed(core.WithActor(ctx, core.Actor{Operator: true, IP: "console"}), db, demo.Password, io.Discard); err != nil {
		t.Fatal(err)
	}
	c.db = db
	if c.sql, err = sql.Open("pgx", c.url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.sql.Close() })
	c.pa, c.a = c.start(t, "A", argsA...)
	c.pb, c.b = c.start(t, "B", argsB...)
	return c
}

// start runs one more instance on the cluster's database.
func (c *cluster) start(t *testing.T, name string, args ...string) (*process, *apptest.App) {
	t.Helper()
	logs := &apptest.SyncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("instance %s's log:\n%s", name, logs.String())
		}
	})
	p := startTokenboard(t, c.bin, logs, append([]string{"serve", "--data", t.TempDir(),
		"--database-url", c.url, "--addr", "127.0.0.1:0"}, args...)...)
	return p, &apptest.App{URL: "http://" + p.addr}
}

// queryInt reads one number from the database.
func (c *cluster) queryInt(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n sql.NullInt64
	if err := c.sql.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n.Int64
}

// userID is a demo user's id, as the member screens' paths name it.
func (c *cluster) userID(t *testing.T, email string) string {
	t.Helper()
	u, err := c.db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(u.ID, 10)
}

// newUserToken creates a user token through the API of the instance client talks to.
func newUserToken(t *testing.T, client *apptest.Client, body map[string]any) (id, token string) {
	t.Helper()
	r := client.JSON(http.MethodPost, "/api/0/api-tokens/", body)
	if r.Status != http.StatusCreated {
		t.Fatalf("create user token: status %d, %s", r.Status, r.Body)
	}
	var created struct{ ID, Token string }
	r.JSON(t, &created)
	return created.ID, created.Token
}

// terminate stops the process as a service manager does (SIGTERM) and waits for it.
func (p *process) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("tokenboard did not stop within 30 s of SIGTERM")
	}
}

// waitRefused sends the request to app until it is answered with something else than 200,
// which must be one of refused, and reports how many answers were still 200. Instance B
// learns of A's commit through PostgreSQL's notification, which travels beside A's answer to
// the test: the refusal comes within milliseconds of it (scripts/revoke-latency measures
// how many), so the generous limit here only catches a change B never sees.
func waitRefused(t *testing.T, app *apptest.App, method, path, token string, body any, refused ...int) {
	t.Helper()
	start := time.Now()
	stale := 0
	for {
		r := app.Bearer(t, method, path, token, body)
		if r.Status != http.StatusOK {
			ok := false
			for _, s := range refused {
				ok = ok || r.Status == s
			}
			if !ok {
				t.Fatalf("%s %s: status %d, want one of %v: %s", method, path, r.Status, refused, r.Body)
			}
			t.Logf("%s %s refused after %v (%d answers from before the change)", method, path, time.Since(start), stale)
			// And it stays refused.
			if r := app.Bearer(t, method, path, token, body); r.Status == http.StatusOK {
				t.Fatalf("%s %s: accepted again after being refused", method, path)
			}
			return
		}
		stale++
		if time.Since(start) > 10*time.Second {
			t.Fatalf("%s %s: still accepted 10 s after the change was committed on the other instance", method, path)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestInstancesRefuseWhatTheOtherChanged: a token revoked, expired, its user demoted or
// removed through instance A is refused by instance B, though B had just accepted it (and
// cached the answer).
func TestInstancesRefuseWhatTheOtherChanged(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil, nil)
	owner := c.a.LoginAs(t, "owner@acme.test")
	const orgPath = "/api/0/organizations/acme/"

	t.Run("revoked", func(t *testing.T) {
		id, token := newUserToken(t, owner, map[string]any{"name": "revoked on A", "scopes": []string{"org:read"}})
		if r := c.b.Bearer(t, http.MethodGet, orgPath, token, nil); r.Status != http.StatusOK {
			t.Fatalf("B before the revocation: status %d", r.Status)
		}
		if r := owner.JSON(http.MethodDelete, "/api/0/api-tokens/"+id+"/", nil); r.Status != http.StatusNoContent {
			t.Fatalf("revoke on A: status %d, %s", r.Status, r.Body)
		}
		waitRefused(t, c.b, http.MethodGet, orgPath, token, nil, http.StatusUnauthorized)
	})

	t.Run("expired", func(t *testing.T) {
		expires := time.Now().Add(3 * time.Second).Truncate(time.Second)
		_, token := newUserToken(t, owner, map[string]any{"name": "expires soon", "scopes": []string{"org:read"},
			"expiresAt": expires.UTC().Format(time.RFC3339)})
		if r := c.b.Bearer(t, http.MethodGet, orgPath, token, nil); r.Status != http.StatusOK {
			t.Fatalf("B before the expiry: status %d", r.Status)
		}
		// Expiry needs no notification: B's very first request after it is refused.
		time.Sleep(time.Until(expires) + 100*time.Millisecond)
		if r := c.b.Bearer(t, http.MethodGet, orgPath, token, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("B after the expiry: status %d, want 401", r.Status)
		}
	})

	t.Run("demoted", func(t *testing.T) {
		manager := c.a.LoginAs(t, "manager@acme.test")
		_, token := newUserToken(t, manager, map[string]any{"name": "manager's", "scopes": []string{"org:read", "org:write"}})
		rename := map[string]any{"name": "Acme Corp"}
		if r := c.b.Bearer(t, http.MethodPut, orgPath, token, rename); r.Status != http.StatusOK {
			t.Fatalf("B before the demotion: status %d, %s", r.Status, r.Body)
		}
		r := owner.PostForm("/settings/acme/members/"+c.userID(t, "manager@acme.test")+"/role/", url.Values{"role": {"member"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("demote on A: status %d", r.Status)
		}
		waitRefused(t, c.b, http.MethodPut, orgPath, token, rename, http.StatusForbidden)
	})

	t.Run("removed", func(t *testing.T) {
		admin := c.a.LoginAs(t, "admin@acme.test")
		_, token := newUserToken(t, admin, map[string]any{"name": "admin's", "scopes": []string{"org:read"}})
		if r := c.b.Bearer(t, http.MethodGet, orgPath, token, nil); r.Status != http.StatusOK {
			t.Fatalf("B before the removal: status %d", r.Status)
		}
		r := owner.PostForm("/settings/acme/members/"+c.userID(t, "admin@acme.test")+"/remove/", nil)
		if r.Status != http.StatusSeeOther {
			t.Fatalf("remove on A: status %d", r.Status)
		}
		waitRefused(t, c.b, http.MethodGet, orgPath, token, nil, http.StatusForbidden, http.StatusNotFound)
	})
}

// blackhole is an SMTP server that accepts connections and never answers: an instance
// sending through it is stuck in its attempt, holding its claim on the messages.
type blackhole struct {
	ln       net.Listener
	accepted chan struct{} // receives once per connection
	mu       sync.Mutex
	conns    []net.Conn
}

func startBlackhole(t *testing.T) *blackhole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &blackhole{ln: ln, accepted: make(chan struct{}, 100)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns = append(b.conns, conn)
			b.mu.Unlock()
			select {
			case b.accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(b.close)
	return b
}

func (b *blackhole) close() {
	b.ln.Close()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
	b.conns = nil
}

// TestInstancesMailOnceAfterKill9: organization tokens are created on A while mail cannot go
// out — A's SMTP server hangs, B's refuses — and A is killed with SIGKILL in the middle of its
// attempt, holding its claim on messages. Once SMTP is back, B delivers every message, those
// A died with included (after A's lease), and each exactly once: one delivery per outbox row,
// per recipient and Message-ID.
func TestInstancesMailOnceAfterKill9(t *testing.T) {
	t.Parallel()
	smtp := smtptest.Start(t)
	smtp.Stop()
	hole := startBlackhole(t)
	const lease = "20s"
	c := startCluster(t,
		[]string{"--smtp-url", "smtp://user:pass@" + hole.ln.Addr().String(), "--mail-lease", lease},
		[]string{"--smtp-url", smtp.URL(), "--mail-lease", lease})

	member := c.a.LoginAs(t, "member@acme.test")
	const tokens = 3
	for i := range tokens {
		r := member.PostForm("/settings/acme/auth-tokens/new-token/",
			url.Values{"name": {fmt.Sprintf("created on A %d", i)}, "expiration": {"never"}})
		if r.Status != http.StatusOK {
			t.Fatalf("create org token %d: status %d", i, r.Status)
		}
	}
	select {
	case <-hole.accepted:
	case <-time.After(30 * time.Second):
		t.Fatal("A never tried to send its mail")
	}
	c.pa.kill9(t)
	hole.close()
	// A died in its attempt: what it claimed is still claimed, untried, for up to the lease.
	held := c.queryInt(t, `SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts = 0
		AND next_attempt_at > extract(epoch FROM now()) + 5`)
	if held == 0 {
		t.Fatal("A died holding no claim on any message: the test did not test the lease")
	}
	rows := c.queryInt(t, `SELECT count(*) FROM outbox`)
	if want := int64(2 * tokens); rows != want { // each token emails Acme's two owners
		t.Fatalf("%d outbox rows, want %d", rows, want)
	}
	t.Logf("A died holding %d of %d messages", held, rows)

	smtp.Restart()
	deadline := time.Now().Add(120 * time.Second)
	for c.queryInt(t, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("messages still unsent 120 s after SMTP came back (%d delivered)", len(smtp.Messages()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Every row is marked sent, so no attempt can be under way: the count is final.
	seen := map[string]int{}
	for _, m := range smtp.Messages() {
		for _, to := range m.To {
			seen[to+" "+m.Header.Get("Message-Id")]++
		}
	}
	if len(seen) != int(rows) {
		t.Errorf("%d distinct recipient and Message-ID pairs delivered, want %d: %v", len(seen), rows, seen)
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s delivered %d times", k, n)
		}
	}
}

// TestInstancesShareSessions: a browser signed in on A goes on on B (the proxy may send any
// request to either), and signing out on B ends the session on A too.
func TestInstancesShareSessions(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil, nil)
	onA := c.a.LoginAs(t, "owner@acme.test")
	onB := onA.On(c.b)
	const page = "/settings/account/details/"
	if r := onB.Get(page); r.Status != http.StatusOK || !strings.Contains(r.Body, "owner@acme.test") {
		t.Fatalf("B with A's session: status %d, location %q", r.Status, r.Location)
	}
	cookies := strings.Join(onA.Cookies(), "; ")
	getWith := func(app *apptest.App) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, app.URL+page, nil)
		req.Header.Set("Cookie", cookies)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := getWith(c.a); resp.StatusCode != http.StatusOK {
		t.Fatalf("A with the saved cookies: status %d", resp.StatusCode)
	}
	if r := onB.PostForm("/auth/logout/", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("sign out on B: status %d", r.Status)
	}
	// The same cookies, replayed on A, as a stolen copy would be: the session is over.
	resp := getWith(c.a)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/auth/login/") {
		t.Fatalf("A after signing out on B: status %d, location %q; want the sign-in page", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestInstancesLastUsedNeverMovesBack: each instance keeps the uses it saw in memory and saves
// them every few seconds, so an older use can reach the database after a newer one from the
// other instance. B sees a use first and is frozen (SIGSTOP) before saving it; A sees a later
// use and saves it; then B saves its older one. "Last used" stays at A's.
func TestInstancesLastUsedNeverMovesBack(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil, nil)
	owner := c.a.LoginAs(t, "owner@acme.test")
	const orgPath = "/api/0/organizations/acme/"
	var id, token string
	for round := 0; ; round++ {
		id, token = newUserToken(t, owner, map[string]any{"name": fmt.Sprintf("used on both %d", round), "scopes": []string{"org:read"}})
		// The token's email goes out first, so that B is not frozen in the middle of sending
		// it, holding the write lock A needs to save its use.
		for c.queryInt(t, `SELECT count(*) FROM outbox WHERE sent_at IS NULL`) > 0 {
			time.Sleep(10 * time.Millisecond)
		}
		if r := c.b.Bearer(t, http.MethodGet, orgPath, token, nil); r.Status != http.StatusOK {
			t.Fatalf("use on B: status %d", r.Status)
		}
		if err := c.pb.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		// B saves every 5 s: if it saved this use before it froze, or froze in the middle of a
		// write (holding the write lock, which A then could never take), try again.
		if c.queryInt(t, `SELECT last_used_at FROM tokens WHERE kind = 'user' AND id = $1`, id) == 0 &&
			c.queryInt(t, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted
				AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`) == 0 {
			break
		}
		c.pb.cmd.Process.Signal(syscall.SIGCONT)
		if round == 5 {
			t.Fatal("B saved every use before it could be frozen")
		}
	}
	time.Sleep(1100 * time.Millisecond) // times are kept in whole seconds
	later := time.Now().Unix()
	if r := c.a.Bearer(t, http.MethodGet, orgPath, token, nil); r.Status != http.StatusOK {
		t.Fatalf("use on A: status %d", r.Status)
	}
	c.pa.terminate(t) // saves A's use
	latest := c.queryInt(t, `SELECT last_used_at FROM tokens WHERE kind = 'user' AND id = $1`, id)
	if latest < later {
		t.Fatalf("after A saved its use at %d: last used %d", later, latest)
	}
	if err := c.pb.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	c.pb.terminate(t) // saves B's older use
	if got := c.queryInt(t, `SELECT last_used_at FROM tokens WHERE kind = 'user' AND id = $1`, id); got != latest {
		t.Fatalf("after B saved its older use: last used %d, want A's %d", got, latest)
	}
}

// TestInstancesRaceTheRules: requests racing through both instances cannot break the rules a
// write checks before it writes — at most 20 tokens per integration, an organization keeps an
// owner, slugs are unique — because every instance's writes take turns on one lock.
func TestInstancesRaceTheRules(t *testing.T) {
	t.Parallel()
	c := startCluster(t, nil, nil)
	ctx := context.Background()
	ownerA := c.a.LoginAs(t, "owner@acme.test")
	ownerA.CSRF()
	ownerB := ownerA.On(c.b)
	clients := []*apptest.Client{ownerA, ownerB}
	acme, err := c.db.OrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}

	// race runs n requests at once, alternating between the instances, and counts the answers.
	// A write that waited too long for its turn is answered 503 with Retry-After (on a loaded
	// machine, dozens of writes queue); like a client should, the request is sent again.
	race := func(t *testing.T, n int, send func(c *apptest.Client, i int) *apptest.Response) map[int]int {
		t.Helper()
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r := send(clients[i%2], i)
				for try := 0; r.Status == http.StatusServiceUnavailable && try < 10; try++ {
					time.Sleep(100 * time.Millisecond)
					r = send(clients[i%2], i)
				}
				mu.Lock()
				statuses[r.Status]++
				mu.Unlock()
			}()
		}
		close(start)
		wg.Wait()
		for status := range statuses {
			if status >= 500 {
				t.Errorf("answers %v: a server error", statuses)
			}
		}
		return statuses
	}

	t.Run("20 tokens per integration", func(t *testing.T) {
		owner, err := c.db.UserByEmail(ctx, "owner@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		i, _, _, err := c.db.CreateIntegration(core.WithActor(ctx, core.Actor{User: owner, IP: "test"}), acme.ID,
			core.IntegrationInput{Name: "Raced", Scopes: core.NewScopeSet(core.ScopeEventRead)})
		if err != nil {
			t.Fatal(err)
		}
		statuses := race(t, 30, func(cl *apptest.Client, _ int) *apptest.Response {
			return cl.JSON(http.MethodPost, "/api/0/sentry-apps/"+i.Slug+"/api-tokens/", nil)
		})
		if statuses[http.StatusCreated] != 19 || statuses[http.StatusForbidden] != 11 {
			t.Errorf("answers %v, want 19 created and 11 refused (the integration had 1 token)", statuses)
		}
		live := c.queryInt(t, `SELECT count(*) FROM tokens WHERE kind = 'integration' AND integration_id = $1
			AND revoked_at IS NULL`, i.ID)
		if live != 20 {
			t.Errorf("%d live tokens, want 20", live)
		}
	})

	t.Run("last owner", func(t *testing.T) {
		// Acme's two owners step down at once, one through each instance.
		owner2 := c.b.LoginAs(t, "owner2@acme.test")
		owner2.CSRF()
		owners := []*apptest.Client{ownerA, owner2}
		emails := []string{"owner@acme.test", "owner2@acme.test"}
		race(t, 2, func(_ *apptest.Client, i int) *apptest.Response {
			return owners[i].PostForm("/settings/acme/members/"+c.userID(t, emails[i])+"/role/", url.Values{"role": {"member"}})
		})
		if n := c.queryInt(t, `SELECT count(*) FROM memberships WHERE org_id = $1 AND role = 'owner'`, acme.ID); n != 1 {
			t.Errorf("%d owners left, want 1: only one may step down", n)
		}
	})

	t.Run("unique slugs", func(t *testing.T) {
		// By now owner@acme may be a member of Acme, but anyone signed in may create an
		// organization.
		statuses := race(t, 8, func(cl *apptest.Client, _ int) *apptest.Response {
			return cl.PostForm("/organizations/new/", url.Values{"name": {"Raced"}, "slug": {"raced"}})
		})
		if statuses[http.StatusSeeOther] != 1 {
			t.Errorf("answers %v, want one organization created", statuses)
		}
		if n := c.queryInt(t, `SELECT count(*) FROM orgs WHERE slug = 'raced'`); n != 1 {
			t.Errorf("%d organizations with the slug, want 1", n)
		}
	})
}
