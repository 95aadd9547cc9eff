package apptest

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"
)

// UploadSourceMaps uploads a one-file artifact bundle for the project and release the way
// sentry-cli does (chunk POST of the gzipped bundle, then assemble) with the token, and
// returns the bundle's checksum (the SHA-1 of its one chunk). The assembly must succeed.
func (a *App) UploadSourceMaps(t testing.TB, token, org, project, release, bundleID string, content []byte) string {
	t.Helper()
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	manifest, _ := json.Marshal(map[string]any{
		"files": map[string]any{"files/_/_/app.js": map[string]any{"type": "minified_source", "url": "~/app.js"}},
		"org":   org, "release": release, "debug_id": bundleID,
	})
	w, _ := zw.Create("manifest.json")
	w.Write(manifest)
	w, _ = zw.Create("files/_/_/app.js")
	w.Write(content)
	zw.Close()
	b := zbuf.Bytes()
	sum := sha1.Sum(b)
	hexSum := hex.EncodeToString(sum[:])

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("file_gzip", hexSum)
	gz := gzip.NewWriter(part)
	gz.Write(b)
	gz.Close()
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/api/0/organizations/"+org+"/chunk-upload/", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	res := do(t, http.DefaultClient, req)
	if res.Status != http.StatusOK {
		t.Fatalf("chunk upload: %d %s", res.Status, res.Body)
	}
	res = a.Bearer(t, http.MethodPost, "/api/0/organizations/"+org+"/artifactbundle/assemble/", token, map[string]any{
		"checksum": hexSum, "chunks": []string{hexSum}, "projects": []string{project}, "version": release,
	})
	var state struct {
		State string `json:"state"`
	}
	res.JSON(t, &state)
	if res.Status != http.StatusOK || state.State != "ok" {
		t.Fatalf("assemble: %d %s", res.Status, res.Body)
	}
	return hexSum
}
