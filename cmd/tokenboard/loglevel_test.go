package main

import (
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

// TestLogLevelWarnDropsRequestLines: at --log-level warn the server writes no line per request
// (nor its Info start-up lines), while warnings still reach the log: here the failed bearer
// authentication, written as the aggregated line at shutdown.
func TestLogLevelWarnDropsRequestLines(t *testing.T) {
	t.Parallel()
	bin := buildTokenboard(t)
	// No "listening" line to read the address from at this level: choose the port first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	logs := &apptest.SyncBuffer{}
	cmd := exec.Command(bin, "serve", "--demo", "--data", filepath.Join(t.TempDir(), "data"), "--addr", addr, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.Env = append(os.Environ(), "TOKENBOARD_LOG_FORMAT=text")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	base := "http://" + addr
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(base + "/_health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("tokenboard did not become healthy:\n%s", logs.String())
		}
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/0/organizations/acme/", nil)
	req.Header.Set("Authorization", "Bearer sntryu_"+strings.Repeat("ab", 32))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", resp.StatusCode)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("tokenboard did not stop cleanly: %v\n%s", err, logs.String())
	}
	out := logs.String()
	if strings.Contains(out, "msg=request") || strings.Contains(out, "level=INFO") {
		t.Errorf("Info lines at --log-level warn:\n%s", out)
	}
	if !strings.Contains(out, `level=WARN msg="bearer authentication failures"`) {
		t.Errorf("the failed authentication was not logged:\n%s", out)
	}
}
