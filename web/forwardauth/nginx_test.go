// Package forwardauth_test runs tokenboard's forward authentication behind a real nginx,
// configured with the snippet the README shows (docs/nginx-forward-auth.conf), in front of a
// small upstream that echoes the X-Tokenboard-* headers it receives.
package forwardauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// snippetPath is the nginx configuration the README shows, relative to this package.
const snippetPath = "../../docs/nginx-forward-auth.conf"

// upstream is the protected service: it answers with the X-Tokenboard-* headers it received
// and counts the requests that reached it.
type upstream struct {
	*httptest.Server
	hits atomic.Int64
}

func startUpstream(t *testing.T) *upstream {
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.hits.Add(1)
		if r.URL.Path == "/fail" {
			// The service's own error, which nginx must pass on as it is.
			http.Error(w, "the service failed", http.StatusInternalServerError)
			return
		}
		got := map[string]string{"path": r.URL.Path}
		for name, vs := range r.Header {
			if strings.HasPrefix(name, "X-Tokenboard-") {
				got[name] = strings.Join(vs, ",")
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(got)
	}))
	t.Cleanup(u.Close)
	return u
}

// nginxBinary finds nginx, or skips the test (fails it when TOKENBOARD_REQUIRE_TOOLS=1, as
// scripts/test.sh sets, so that a missing tool cannot pass unnoticed there).
func nginxBinary(t *testing.T) string {
	for _, p := range []string{"nginx", "/usr/sbin/nginx"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	msg := "nginx is not installed (apt-get install -y nginx); the forward-auth test needs it"
	if os.Getenv("TOKENBOARD_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startNginx runs nginx with the documented snippet, its placeholders filled in, and returns
// the address it listens on.
func startNginx(t *testing.T, tokenboardAddr, upstreamAddr string) string {
	bin := nginxBinary(t)
	snippet, err := os.ReadFile(snippetPath)
	if err != nil {
		t.Fatal(err)
	}
	listen := freeAddr(t)
	dir := t.TempDir()
	conf := strings.NewReplacer("TOKENBOARD_ADDR", tokenboardAddr, "UPSTREAM_ADDR", upstreamAddr,
		"LISTEN_ADDR", listen).Replace(string(snippet))
	if err := os.WriteFile(filepath.Join(dir, "forward-auth.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	main := fmt.Sprintf(`pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
worker_processes 1;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[1]s/client_body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    include %[1]s/forward-auth.conf;
}
`, dir)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-p", dir, "-c", confPath, "-t").CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-g", "daemon off;")
	// Its own process group, so that stopping it stops its worker too; no pipes, so that
	// waiting for it never waits for a worker holding one open.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// SIGTERM is nginx's fast shutdown: the master stops its worker and exits.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", log)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", listen)
		if err == nil {
			c.Close()
			return listen
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not start listening on %s: %v", listen, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type reply struct {
	status  int
	header  http.Header
	body    string
	headers map[string]string // what the upstream received, when it answered
}

// get sends a request through nginx, with the token when one is given.
func get(t *testing.T, addr, path, token string) reply {
	t.Helper()
	return send(t, http.DefaultClient, addr, path, token, nil)
}

// clientFrom is an HTTP client whose connections come from the loopback address ip, a
// second client machine as far as nginx can tell.
func clientFrom(ip string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
}

// send is get from the given client, with extra request headers.
func send(t *testing.T, client *http.Client, addr, path, token string, extra http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, vs := range extra {
		req.Header[name] = vs
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// A client cannot pass for someone else by sending tokenboard's headers itself.
	req.Header.Set("X-Tokenboard-Org", "forged")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, header: res.Header, body: string(b)}
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &r.headers); err != nil {
			t.Fatalf("upstream answer %q: %v", b, err)
		}
	}
	return r
}

func TestNginxForwardAuth(t *testing.T) {
	// As the README says to run it behind the snippet: client addresses from X-Forwarded-For.
	app := apptest.Start(t, apptest.BehindProxy)
	up := startUpstream(t)
	appURL, _ := url.Parse(app.URL)
	upURL, _ := url.Parse(up.URL)
	proxy := startNginx(t, appURL.Host, upURL.Host)

	acme := app.Org(t, "acme")
	owner := app.As(t, "owner@acme.test")

	t.Run("TheREADMEShowsTheTestedSnippet", func(t *testing.T) {
		snippet, _ := os.ReadFile(snippetPath)
		readme, err := os.ReadFile("../../README.md")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(readme), string(snippet)) {
			t.Error("README.md does not contain docs/nginx-forward-auth.conf verbatim")
		}
	})

	t.Run("ValidOrgTokenReachesTheUpstreamWithItsHeaders", func(t *testing.T) {
		tok, plain, err := app.DB.CreateOrgToken(owner, acme.ID, core.NewOrgToken{Name: "proxy"})
		if err != nil {
			t.Fatal(err)
		}
		r := get(t, proxy, "/symbols/app.pdb?sig=secret", plain)
		if r.status != http.StatusOK {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
		want := map[string]string{
			"path":                    "/symbols/app.pdb",
			"X-Tokenboard-Token-Kind": "org",
			"X-Tokenboard-Org":        "acme",
			"X-Tokenboard-Scopes":     "org:ci",
			"X-Tokenboard-Token-Id":   fmt.Sprint(tok.ID),
		}
		for k, v := range want {
			if r.headers[k] != v {
				t.Errorf("upstream got %s = %q, want %q (all: %v)", k, r.headers[k], v, r.headers)
			}
		}
		if _, ok := r.headers["X-Tokenboard-User"]; ok {
			t.Errorf("an org token's request carries X-Tokenboard-User: %v", r.headers)
		}

		t.Run("LastUsedShowsTheForwardedHostAndPath", func(t *testing.T) {
			app.FlushUsage(t)
			got, err := app.DB.OrgToken(owner, acme.ID, tok.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.LastUsedAt == nil || got.LastUsedTarget != "127.0.0.1/symbols/app.pdb" {
				t.Errorf("last used %v at %q, want now at 127.0.0.1/symbols/app.pdb (no query)", got.LastUsedAt, got.LastUsedTarget)
			}
		})

		t.Run("RevokedIsRefusedOnTheVeryNextRequest", func(t *testing.T) {
			if err := app.DB.RevokeOrgToken(owner, acme.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
			hits := up.hits.Load()
			r := get(t, proxy, "/symbols/app.pdb", plain)
			if r.status != http.StatusUnauthorized || r.body != "{\"detail\":\"Invalid org token\"}\n" {
				t.Errorf("revoked: %d %q, want 401 Invalid org token", r.status, r.body)
			}
			if up.hits.Load() != hits {
				t.Error("a revoked token's request reached the upstream")
			}
		})
	})

	t.Run("DemotedUserTokenLosesTheScope", func(t *testing.T) {
		plain := app.MintUserToken(t, "admin@acme.test", core.NewScopeSet(core.ScopeProjectWrite, core.ScopeOrgRead), nil)
		r := get(t, proxy, "/upload", plain)
		if r.status != http.StatusOK || !strings.Contains(" "+r.headers["X-Tokenboard-Scopes"]+" ", " project:write ") ||
			r.headers["X-Tokenboard-Token-Kind"] != "user" || !strings.HasSuffix(r.headers["X-Tokenboard-User"], " admin@acme.test") {
			t.Fatalf("as admin: %d %v %s", r.status, r.headers, r.body)
		}
		admin, err := app.DB.UserByEmail(context.Background(), "admin@acme.test")
		if err != nil {
			t.Fatal(err)
		}
		if err := app.DB.ChangeRole(owner, acme.ID, admin.ID, core.RoleMember); err != nil {
			t.Fatal(err)
		}
		hits := up.hits.Load()
		r = get(t, proxy, "/upload", plain)
		if r.status != http.StatusForbidden || r.body != "{\"detail\":\"You do not have permission to perform this action.\"}\n" {
			t.Errorf("demoted to member: %d %q, want 403", r.status, r.body)
		}
		if up.hits.Load() != hits {
			t.Error("the demoted user's request reached the upstream")
		}
	})

	t.Run("BadChecksumNeverReachesTheDatabase", func(t *testing.T) {
		good := app.MintUserToken(t, "owner@acme.test", core.NewScopeSet(core.ScopeProjectWrite), nil)
		last := good[len(good)-1]
		flip := byte('0')
		if last == '0' {
			flip = '1'
		}
		bad := good[:len(good)-1] + string(flip)
		before := app.DB.TokenLookups()
		r := get(t, proxy, "/upload", bad)
		if r.status != http.StatusUnauthorized || r.body != "{\"detail\":\"Invalid token\"}\n" {
			t.Errorf("bad checksum: %d %q, want 401 Invalid token", r.status, r.body)
		}
		if n := app.DB.TokenLookups() - before; n != 0 {
			t.Errorf("a token with a bad checksum cost %d database lookups, want 0", n)
		}
		// The counter does see a well-formed token that must be looked up.
		unknown, err := core.GenerateUserToken()
		if err != nil {
			t.Fatal(err)
		}
		before = app.DB.TokenLookups()
		if r := get(t, proxy, "/upload", unknown); r.status != http.StatusUnauthorized {
			t.Errorf("unknown token: %d", r.status)
		}
		if app.DB.TokenLookups() == before {
			t.Error("an unknown well-formed token was not looked up: the lookup counter counts nothing")
		}
	})

	t.Run("NoTokenGetsSentrysBody", func(t *testing.T) {
		hits := up.hits.Load()
		r := get(t, proxy, "/upload", "")
		if r.status != http.StatusUnauthorized ||
			r.body != "{\"detail\":\"Authentication credentials were not provided.\"}\n" {
			t.Errorf("no token: %d %q", r.status, r.body)
		}
		if got := r.header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != `xBasic realm="api"` {
			t.Errorf("WWW-Authenticate %q, want one xBasic realm=\"api\"", got)
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}
		if up.hits.Load() != hits {
			t.Error("a request without a token reached the upstream")
		}
	})

	t.Run("TheServicesOwn500PassesUntouched", func(t *testing.T) {
		// The snippet turns nginx's 500s for tokenboard's unexpected answers into its own
		// answer; a 500 the protected service sends is not one of them.
		plain := app.MintUserToken(t, "owner@acme.test", core.NewScopeSet(core.ScopeProjectWrite), nil)
		r := get(t, proxy, "/fail", plain)
		if r.status != http.StatusInternalServerError || r.body != "the service failed\n" {
			t.Errorf("the service's 500: %d %q", r.status, r.body)
		}
	})

	t.Run("OneClientsBadTokensDoNotLockOutAnother", func(t *testing.T) {
		// The snippet sends each client's address (X-Forwarded-For): the client flooding
		// bad tokens from 127.0.0.2 uses up its own failed-authentication budget, not that of
		// nginx's address, which every client shares.
		valid := app.MintUserToken(t, "owner@acme.test", core.NewScopeSet(core.ScopeProjectWrite), nil)
		flooder := clientFrom("127.0.0.2")
		refused := false
		for i := 0; i < 100 && !refused; i++ {
			unknown, err := core.GenerateUserToken()
			if err != nil {
				t.Fatal(err)
			}
			// Claiming another address each time gets it nowhere: the snippet sets the
			// header rather than appending to the client's.
			r := send(t, flooder, proxy, "/upload", unknown, http.Header{"X-Forwarded-For": {fmt.Sprintf("10.0.0.%d", i)}})
			switch r.status {
			case http.StatusUnauthorized:
			case http.StatusTooManyRequests:
				refused = true
				// tokenboard's refusal as the API gives it, through nginx.
				if !strings.HasPrefix(r.body, `{"detail":"Too many failed authentication attempts from your address. Try again in `) {
					t.Errorf("429 body %q", r.body)
				}
				if r.header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			default:
				t.Fatalf("bad token %d: %d %q", i, r.status, r.body)
			}
		}
		if !refused {
			t.Fatal("100 bad tokens from one client were never refused")
		}
		if r := get(t, proxy, "/upload", valid); r.status != http.StatusOK {
			t.Errorf("another client's valid token while the flood is refused: %d %q, want 200", r.status, r.body)
		}
	})
}
