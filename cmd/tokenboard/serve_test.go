package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// TestServeSavesTokenUsesOnShutdown runs the server command, makes one API request and stops
// the server: the request's "last used" is saved on the way out, not lost with the batch
// still in memory.
func TestServeSavesTokenUsesOnShutdown(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx := context.Background()
	seeded, err := storetest.OpenDemo(ctx, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	fx, err := storetest.New(seeded, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	token, err := fx.MintUserToken(ctx, "owner@acme.test", core.NewScopeSet(core.ScopeOrgRead), nil)
	seeded.Close()
	if err != nil {
		t.Fatal(err)
	}

	addr, stop, stderr := serveInProcess(t, "--data", dir)
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/0/organizations/acme/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}

	lastUsed, _, err := fx.TokenLastUsed(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if lastUsed == nil {
		t.Errorf("the token's last use was not saved on shutdown")
	}
}

// serveInProcess runs "tokenboard serve" with args on a free loopback port, in this process,
// until it listens. stop ends it and returns what Run returned; the server's log is stderr.
func serveInProcess(t *testing.T, args ...string) (addr string, stop func() error, stderr *apptest.SyncBuffer) {
	t.Helper()
	stderr = &apptest.SyncBuffer{}
	m := NewMain(strings.NewReader(""), io.Discard, stderr)
	ready := make(chan string, 1)
	m.Ready = func(addr string) { ready <- addr }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	return addr, stop, stderr
}
