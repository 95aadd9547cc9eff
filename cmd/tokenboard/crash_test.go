package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/smtptest"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// TestOrgTokenEmailSurvivesKill9 runs the real binary, creates an org token while the SMTP
// server is down, kills the process with SIGKILL right away, and checks that the owners'
// security emails go out once the SMTP server and tokenboard are back: the outbox row commits
// with the token, so no crash can lose it.
func TestOrgTokenEmailSurvivesKill9(t *testing.T) {
	t.Parallel() // its own data folder, SMTP server and process
	bin := buildTokenboard(t)
	smtp := smtptest.Start(t)
	smtp.Stop()
	data := demoDataFolder(t)
	logs := &apptest.SyncBuffer{}

	first := startTokenboard(t, bin, logs, "serve", "--demo", "--data", data, "--addr", "127.0.0.1:0", "--smtp-url", smtp.URL())
	app := &apptest.App{URL: "http://" + first.addr}
	r := app.LoginAs(t, "member@acme.test").PostForm("/settings/acme/auth-tokens/new-token/",
		url.Values{"name": {"survives kill -9"}, "expiration": {"never"}})
	token := regexp.MustCompile(`sntrys_[A-Za-z0-9+/=]+_[A-Za-z0-9+/]{43}`).FindString(r.Body)
	if r.Status != http.StatusOK || token == "" {
		t.Fatalf("create: status %d, no token shown", r.Status)
	}
	first.kill9(t)
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d messages delivered while the SMTP server was down", n)
	}

	smtp.Restart()
	startTokenboard(t, bin, logs, "serve", "--data", data, "--addr", "127.0.0.1:0", "--smtp-url", smtp.URL())
	// The first attempt may have failed before the kill: the retry is due within the sender's
	// first backoff (5 s) and found by its next poll.
	msgs := smtp.WaitFor(t, 2, 60*time.Second)
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
		if m.Subject != "Organization auth token created in Acme Corp" || !strings.Contains(m.Text, `"survives kill -9"`) {
			t.Errorf("message to %v: subject %q, text %q", m.To, m.Subject, m.Text)
		}
		if strings.Contains(m.Data, token) {
			t.Errorf("message to %v carries the token", m.To)
		}
	}
	slices.Sort(to)
	if want := []string{"owner2@acme.test", "owner@acme.test"}; !slices.Equal(to, want) {
		t.Errorf("delivered to %v, want %v", to, want)
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("tokenboard logged the token")
	}
}

// binary is the tokenboard binary, built once for the test binary's subprocess tests.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// buildTokenboard builds the program (without the race detector: it is a subprocess) once and
// returns its path.
func buildTokenboard(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "tokenboard-bin-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "tokenboard")
		if out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopPostgres()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// demoDataFolder returns a new data folder holding a copy of the demo database, so that
// `serve --demo` finds its demo data instead of hashing the demo passwords at the real bcrypt
// cost, which costs seconds and is not what these tests are about.
func demoDataFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := storetest.CopyDemo(filepath.Join(dir, "tokenboard.db")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// listeningLine finds the address in the server's "listening" log line (text format).
var listeningLine = regexp.MustCompile(`msg=listening addr=(\S+)`)

// process is a running tokenboard.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
	// addr is where it listens: given "--addr 127.0.0.1:0", the port the kernel chose, read
	// from its "listening" log line, so no test guesses a free port.
	addr string
}

// kill9 kills the process with SIGKILL, as a crash or the OOM killer would, and waits for it.
func (p *process) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// startTokenboard runs the binary with args and waits until it logs its address and answers
// /_health there. The process
// is stopped (SIGTERM, then SIGKILL) when the test ends, unless it has exited already.
func startTokenboard(t *testing.T, bin string, logs *apptest.SyncBuffer, args ...string) *process {
	t.Helper()
	skip := len(logs.String()) // the log may hold an earlier process's lines
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "TOKENBOARD_LOG_FORMAT=text")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
			return
		default:
		}
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	var addr string
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("tokenboard exited early:\n%s", logs.String())
		default:
		}
		if addr == "" {
			if m := listeningLine.FindStringSubmatch(logs.String()[skip:]); m != nil {
				addr = m[1]
			}
		}
		if addr != "" {
			if resp, err := http.Get("http://" + addr + "/_health"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return &process{cmd: cmd, exited: exited, addr: addr}
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokenboard did not become healthy:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
