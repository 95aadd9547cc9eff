package main

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/datadir"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// Issue 10 item 3: one server per data folder, and operator commands that write while it runs
// are seen on its next request. The server is the real binary, in its own process, so its
// cache sees nothing of the test's commits except through the control socket.
func TestOneServerPerDataFolder(t *testing.T) {
	t.Parallel() // its own data folder and process
	bin := buildTokenboard(t)
	data := demoDataFolder(t)
	logs := &apptest.SyncBuffer{}
	first := startTokenboard(t, bin, logs, "serve", "--demo", "--data", data, "--addr", "127.0.0.1:0")
	addr := first.addr
	pid := strconv.Itoa(first.cmd.Process.Pid)

	t.Run("SecondServerRefusesToStart", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, "serve", "--data", data, "--addr", "127.0.0.1:0").CombinedOutput()
		if ctx.Err() != nil {
			t.Fatalf("the second server kept running:\n%s", out)
		}
		if err == nil || !strings.Contains(string(out), "process "+pid+" is already serving "+data) {
			t.Fatalf("second serve: %v, output %q; want it to name process %s", err, out, pid)
		}
		// In this process too (a separate open of the lock file conflicts like another process).
		if _, err := run(t, "", "serve", "--data", data, "--addr", "127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "process "+pid) {
			t.Fatalf("in-process serve: %v", err)
		}
		if raw, _ := os.ReadFile(filepath.Join(data, datadir.LockFileName)); strings.TrimSpace(string(raw)) != pid {
			t.Errorf("lock file holds %q, want the server's pid %s", raw, pid)
		}
		for _, name := range []string{datadir.ControlSocketName, "tokenboard.db", "tokenboard.db-wal"} {
			if info, err := os.Stat(filepath.Join(data, name)); err != nil || info.Mode().Perm() != 0o600 {
				t.Errorf("%s: %v, mode %v; want 0600", name, err, info.Mode().Perm())
			}
		}
	})

	t.Run("OperatorRemovalIsSeenOnTheNextRequest", func(t *testing.T) {
		path := filepath.Join(data, "tokenboard.db")
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		fixture, err := storetest.New(db, path)
		if err != nil {
			t.Fatal(err)
		}
		defer fixture.Close()
		token, err := fixture.MintUserToken(context.Background(), "member@acme.test", core.NewScopeSet(core.ScopeOrgRead), nil)
		if err != nil {
			t.Fatal(err)
		}
		get := func() int {
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/0/organizations/acme/", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return 0
			}
			res.Body.Close()
			return res.StatusCode
		}
		if s := get(); s != http.StatusOK {
			t.Fatalf("before: status %d", s)
		}
		// Keep the member's answers cached, fresh, right up to the command's commit.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
					get()
				}
			}
		}()
		out, err := run(t, "", "member", "remove", "--data", data, "--org", "acme", "--email", "member@acme.test")
		close(stop)
		wg.Wait()
		if err != nil || !strings.Contains(out, "Removed member@acme.test from acme.") || strings.Contains(out, "warning") {
			t.Fatalf("member remove while serving: %v\n%s", err, out)
		}
		if s := get(); s != http.StatusForbidden {
			t.Errorf("the first request after the removal: status %d, want 403", s)
		}
	})
}
