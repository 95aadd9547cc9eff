package bundle_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWriteFuzzSeeds rewrites the committed seed corpus of FuzzReadArtifact; it runs only
// with TOKENBOARD_WRITE_SEEDS=1 (the corpus is data, regenerated on purpose).
func TestWriteFuzzSeeds(t *testing.T) {
	t.Parallel()
	if os.Getenv("TOKENBOARD_WRITE_SEEDS") != "1" {
		t.Skip("set TOKENBOARD_WRITE_SEEDS=1 to rewrite testdata/fuzz/FuzzReadArtifact")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReadArtifact")
	os.MkdirAll(dir, 0o755)
	seeds := map[string][]byte{
		"sentrycli":   sampleBundle(t),
		"plain":       makeZip(t, false, entry{"manifest.json", []byte(`{"files":{"a.js":{"url":"~/a.js","type":"source"}}}`)}, entry{"a.js", []byte("x")}),
		"traversal":   makeZip(t, false, entry{"manifest.json", []byte(`{}`)}, entry{"../evil.js", []byte("x")}),
		"mtraversal":  makeZip(t, false, entry{"manifest.json", []byte(`{"files":{"../a.js":{}}}`)}),
		"backslash":   makeZip(t, false, entry{"manifest.json", []byte(`{}`)}, entry{`a\b.js`, []byte("x")}),
		"bomb":        makeZip(t, false, entry{"manifest.json", []byte(`{}`)}, entry{"z.js", make([]byte, 64<<10)}),
		"nomanifest":  makeZip(t, false, entry{"a.js", []byte("x")}),
		"badmanifest": makeZip(t, false, entry{"manifest.json", []byte(`{"files":[`)}),
		"absent":      makeZip(t, false, entry{"manifest.json", []byte(`{"files":{"gone.js":{}}}`)}),
	}
	for name, data := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(data)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
