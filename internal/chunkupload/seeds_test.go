package chunkupload_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// TestWriteFuzzSeeds rewrites the committed seed corpus of FuzzReceive; it runs only with
// TOKENBOARD_WRITE_SEEDS=1 (the corpus is data, regenerated on purpose).
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("TOKENBOARD_WRITE_SEEDS") != "1" {
		t.Skip("set TOKENBOARD_WRITE_SEEDS=1 to rewrite testdata/fuzz/FuzzReceive")
	}
	a := []byte("function main(){console.log('hi')}\n//# sourceMappingURL=main.js.map\n")
	zeros := make([]byte, 8192)
	seeds := map[string][]part{
		"plain":      {{"file", sum(a), a}},
		"gzip":       {{"file_gzip", sum(a), gz(a)}},
		"two":        {{"file", sum(a), a}, {"file_gzip", sum([]byte("b")), gz([]byte("b"))}},
		"wronghash":  {{"file", sum([]byte("other")), a}},
		"badname":    {{"file", "../../etc/passwd", a}},
		"bomb":       {{"file_gzip", sum(zeros), gz(zeros)}},
		"notgzip":    {{"file_gzip", sum(a), a}},
		"otherfield": {{"meta", "x", []byte("{}")}, {"file", sum(a), a}},
		"duplicate":  {{"file", sum(a), a}, {"file", sum(a), a}},
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzReceive")
	os.MkdirAll(dir, 0o755)
	write := func(name string, body []byte) {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(body)))
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, parts := range seeds {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.SetBoundary(fuzzBoundary)
		for _, p := range parts {
			fw, _ := w.CreateFormFile(p.field, p.name)
			fw.Write(p.body)
		}
		w.Close()
		write(name, buf.Bytes())
		if name == "plain" {
			write("truncated", buf.Bytes()[:buf.Len()/2]) // a batch cut mid-part
		}
	}
}
