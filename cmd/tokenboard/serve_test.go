package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

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

	var stderr bytes.Buffer
	m := NewMain(strings.NewReader(""), io.Discard, &stderr)
	ready := make(chan string, 1)
	m.Ready = func(addr string) { ready <- addr }
	serveCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.Run(serveCtx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}
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
	stop()
	if err := <-done; err != nil {
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
