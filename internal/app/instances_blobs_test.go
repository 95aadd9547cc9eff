package app_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/app"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
)

// instance serves tokenboard on its own store of the shared PostgreSQL database, with its own
// data folder (as a second machine would have), and returns its URL.
func instance(t *testing.T, url string) (string, *store.DB) {
	t.Helper()
	db, err := store.OpenPostgres(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	db.BaseURL = base
	a, err := app.New(context.Background(), db, app.Config{BaseURL: base, DataDir: dir,
		Transport: mail.NewFileTransport(filepath.Join(dir, "mail")),
		Logger:    slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = a.Server.Handler()
	srv.Start()
	t.Cleanup(func() { srv.Close(); db.Close() })
	return base, db
}

// sentry-cli uploads a bundle's chunks in one request and asks for the assembly in the next;
// behind a proxy the two may reach different instances. On PostgreSQL the chunk stored
// through A is in the database, so B assembles it, and A lists the bundle's file.
func TestChunkUploadedToOneInstanceAssemblesOnAnother(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	urlA, dbA := instance(t, url)
	urlB, _ := instance(t, url)
	dbA.PasswordCost = 4
	operator := core.WithActor(ctx, core.Actor{Operator: true, IP: "console"})
	if err := demo.Seed(operator, dbA, "password-1234", io.Discard); err != nil {
		t.Fatal(err)
	}
	acme, err := dbA.OrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := dbA.CreateOrgToken(operator, acme.ID, core.NewOrgToken{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}

	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	manifest, _ := json.Marshal(map[string]any{
		"files": map[string]any{"files/_/_/app.js": map[string]any{"type": "minified_source", "url": "~/app.js"}},
		"org":   "acme", "release": "1.0", "debug_id": "5f2b2b4c-1b0c-4d8e-9a6b-0c6f9e2b7a10",
	})
	w, _ := zw.Create("manifest.json")
	w.Write(manifest)
	w, _ = zw.Create("files/_/_/app.js")
	w.Write([]byte("console.log('uploaded to A, assembled by B')"))
	zw.Close()
	sum := sha1.Sum(zbuf.Bytes())
	checksum := hex.EncodeToString(sum[:])

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file_gzip", checksum)
	gz := gzip.NewWriter(part)
	gz.Write(zbuf.Bytes())
	gz.Close()
	mw.Close()
	status, out := call(t, http.MethodPost, urlA+"/api/0/organizations/acme/chunk-upload/", token, mw.FormDataContentType(), &body)
	if status != http.StatusOK {
		t.Fatalf("chunk upload to A: %d %s", status, out)
	}
	assemble, _ := json.Marshal(map[string]any{"checksum": checksum, "chunks": []string{checksum},
		"projects": []string{"web"}, "version": "1.0"})
	status, out = call(t, http.MethodPost, urlB+"/api/0/organizations/acme/artifactbundle/assemble/", token,
		"application/json", bytes.NewReader(assemble))
	var state struct {
		State         string   `json:"state"`
		MissingChunks []string `json:"missingChunks"`
	}
	json.Unmarshal([]byte(out), &state)
	if status != http.StatusOK || state.State != "ok" {
		t.Fatalf("assemble on B: %d %s", status, out)
	}
	status, out = call(t, http.MethodGet, urlA+"/api/0/projects/acme/web/files/artifact-bundles/", token, "", nil)
	if status != http.StatusOK || !strings.Contains(out, "5f2b2b4c-1b0c-4d8e-9a6b-0c6f9e2b7a10") {
		t.Errorf("bundles listed by A: %d %s", status, out)
	}
}

// tWriter sends the server's warnings and errors to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func call(t *testing.T, method, url, token, contentType string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
