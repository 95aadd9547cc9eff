package bundle_test

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/bundle"
	"github.com/tokenboard/tokenboard/internal/chunkupload"
)

// sentryCLI finds the real sentry-cli binary, as web's tests do (apptest.Tool).
func sentryCLI(t *testing.T) string {
	t.Helper()
	return apptest.Tool(t, "sentry-cli", apptest.SentryCLIHint)
}

// protocolServer is the smallest server of the chunk protocol built from this repository's
// packages: chunk-upload options and batches, artifact bundle and debug file assembly. It is
// what wave 2's handlers do, minus authorization and records (docs/CI-PROTOCOL.md).
type protocolServer struct {
	t     *testing.T
	store *blob.FS
	base  string

	mu         sync.Mutex
	held       map[string]bool // chunks "the organization" uploaded
	chunkPosts int
	bundles    map[string]*bundle.Artifact // by checksum
	difs       map[string]string           // checksum → kind
}

func (s *protocolServer) serveHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	ctx := r.Context()
	switch {
	case r.URL.Path == "/api/0/organizations/acme/chunk-upload/" && r.Method == http.MethodGet:
		json.NewEncoder(w).Encode(chunkupload.DefaultLimits().Options(s.base + r.URL.Path))
	case r.URL.Path == "/api/0/organizations/acme/chunk-upload/" && r.Method == http.MethodPost:
		lim := chunkupload.DefaultLimits()
		r.Body = http.MaxBytesReader(w, r.Body, lim.MaxRequestSize+1<<20)
		mr, err := r.MultipartReader()
		if err != nil {
			w.WriteHeader(400)
			return
		}
		got, err := chunkupload.Receive(ctx, mr, s.store, lim, -1)
		s.mu.Lock()
		s.chunkPosts++
		for _, c := range got {
			s.held[c.SHA1] = true
		}
		s.mu.Unlock()
		if err != nil {
			s.t.Errorf("chunk upload refused: %v", err)
			w.WriteHeader(400)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
	case r.URL.Path == "/api/0/organizations/acme/artifactbundle/assemble/":
		var req struct {
			Checksum string   `json:"checksum"`
			Chunks   []string `json:"chunks"`
			Projects []string `json:"projects"`
			Version  string   `json:"version"`
			Dist     string   `json:"dist"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		res := s.assemble(req.Checksum, req.Chunks, func(c *bundle.Chunked) error {
			a, err := bundle.ReadArtifact(c, c.Size(), bundle.DefaultLimits())
			if err == nil {
				s.bundles[req.Checksum] = a
			}
			return err
		})
		json.NewEncoder(w).Encode(res)
	case r.URL.Path == "/api/0/projects/acme/web/files/difs/assemble/":
		var req map[string]struct {
			Name    string   `json:"name"`
			DebugID string   `json:"debug_id"`
			Chunks  []string `json:"chunks"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		out := map[string]any{}
		for sum, f := range req {
			res := s.assemble(sum, f.Chunks, func(c *bundle.Chunked) error {
				s.difs[sum] = bundle.DetectKind(c)
				return nil
			})
			if res["state"] == "ok" {
				id, _ := bundle.NormalizeDebugID(f.DebugID)
				res["dif"] = map[string]any{"id": "1", "uuid": id, "debugId": id, "objectName": f.Name, "cpuName": "x86_64",
					"sha1": sum, "data": map[string]any{"type": "dbg", "features": []string{}}}
			}
			out[sum] = res
		}
		json.NewEncoder(w).Encode(out)
	default:
		s.t.Errorf("unexpected request %s %s", r.Method, r.URL)
		w.WriteHeader(404)
		w.Write([]byte(`{"detail":"The requested resource does not exist."}`))
	}
}

// snapshot copies what the server received, for the test to read after sentry-cli exits.
func (s *protocolServer) snapshot() (chunkPosts int, held []string, bundles map[string]*bundle.Artifact, difs map[string]string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sum := range s.held {
		held = append(held, sum)
	}
	bundles, difs = map[string]*bundle.Artifact{}, map[string]string{}
	for k, v := range s.bundles {
		bundles[k] = v
	}
	for k, v := range s.difs {
		difs[k] = v
	}
	return s.chunkPosts, held, bundles, difs
}

// assemble answers an assemble request as Sentry does: missing chunks first, then the
// checksum, then the file's own checks.
func (s *protocolServer) assemble(checksum string, chunks []string, check func(*bundle.Chunked) error) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	missing := []string{}
	for _, c := range chunks {
		if !s.held[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return map[string]any{"state": "not_found", "missingChunks": missing}
	}
	c, err := bundle.OpenChunks(s.t.Context(), s.store, chunks)
	if err == nil {
		defer c.Close()
		if err = c.VerifyChecksum(checksum, chunkupload.DefaultMaxFileSize); err == nil {
			err = check(c)
		}
	}
	var refused *bundle.Error
	if errors.As(err, &refused) {
		return map[string]any{"state": "error", "detail": refused.Message, "missingChunks": []string{}}
	} else if err != nil {
		s.t.Errorf("assemble: %v", err)
		return map[string]any{"state": "error", "detail": "internal error", "missingChunks": []string{}}
	}
	return map[string]any{"state": "ok", "detail": nil, "missingChunks": []string{}}
}

// TestRealSentryCLIUpload uploads source maps and a debug file with the real sentry-cli
// 3.8.0 through this package's chunk protocol pieces, and checks what arrives.
func TestRealSentryCLIUpload(t *testing.T) {
	t.Parallel()
	cli := sentryCLI(t)
	store, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &protocolServer{t: t, store: store, base: "http://" + ln.Addr().String(), held: map[string]bool{},
		bundles: map[string]*bundle.Artifact{}, difs: map[string]string{}}
	srv := &http.Server{Handler: http.HandlerFunc(s.serveHTTP)}
	go srv.Serve(ln)
	defer srv.Close()

	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(cli, args...)
		cmd.Env = append(os.Environ(), "SENTRY_URL="+s.base, "SENTRY_ORG=acme", "SENTRY_DISABLE_UPDATE_CHECK=1",
			"SENTRY_AUTH_TOKEN=sntryu_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("sentry-cli %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "main.js"), []byte("function a(){console.log('x')}\n//# sourceMappingURL=main.js.map\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "main.js.map"), []byte(`{"version":3,"sources":["main.ts"],"names":[],"mappings":"AAAA","file":"main.js"}`), 0o644)
	run("sourcemaps", "inject", dir)
	run("sourcemaps", "upload", "-p", "web", "--release", "1.0", "--dist", "d1", dir)

	posts, chunks, bundles, _ := s.snapshot()
	if len(bundles) != 1 || posts != 1 {
		t.Fatalf("%d bundles after %d chunk POSTs, want 1 and 1", len(bundles), posts)
	}
	var checksum string
	var a *bundle.Artifact
	for checksum, a = range bundles {
	}
	if a.Org != "acme" || a.Release != "1.0" || a.Dist != "d1" || a.BundleID == "" || len(a.Files) != 2 {
		t.Fatalf("bundle %+v", a)
	}
	js, sm := a.Files[0], a.Files[1]
	if js.URL != "~/main.js" || js.Type != bundle.TypeMinifiedSource || js.SourceMap != "main.js.map" || js.DebugID == "" ||
		sm.URL != "~/main.js.map" || sm.Type != bundle.TypeSourceMap || sm.DebugID != js.DebugID {
		t.Errorf("files %+v", a.Files)
	}
	// The bundle's source map reads back byte for byte as sentry-cli injected it on disk.
	onDisk, _ := os.ReadFile(filepath.Join(dir, "main.js.map"))
	c, err := bundle.OpenChunks(t.Context(), store, chunks) // one chunk: the bundle is small
	if err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyChecksum(checksum, 0); err != nil {
		t.Fatalf("stored chunks: %v", err)
	}
	zr, err := zip.NewReader(c, c.Size())
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open(sm.Path)
	if err != nil {
		t.Fatal(err)
	}
	inBundle, _ := io.ReadAll(f)
	c.Close()
	if string(inBundle) != string(onDisk) {
		t.Errorf("source map in the bundle:\n%s\non disk:\n%s", inBundle, onDisk)
	}

	// The same upload again sends no chunk: the server already holds them.
	out := run("sourcemaps", "upload", "-p", "web", "--release", "1.0", "--dist", "d1", dir)
	if posts, _, _, _ = s.snapshot(); posts != 1 || !strings.Contains(out, "Nothing to upload") {
		t.Errorf("second upload made %d chunk POSTs in all:\n%s", posts, out)
	}

	// A debug file: an ELF binary.
	elf, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Skip("no /bin/true to upload as a debug file")
	}
	os.MkdirAll(filepath.Join(dir, "bin"), 0o755)
	os.WriteFile(filepath.Join(dir, "bin", "true"), elf, 0o755)
	out = run("debug-files", "upload", "-p", "web", filepath.Join(dir, "bin"))
	_, _, _, difs := s.snapshot()
	if len(difs) != 1 || !strings.Contains(out, "OK ") {
		t.Fatalf("debug files %v:\n%s", difs, out)
	}
	for _, kind := range difs {
		if kind != bundle.KindELF {
			t.Errorf("kind %s, want elf", kind)
		}
	}
}
