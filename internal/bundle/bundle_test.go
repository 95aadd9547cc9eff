package bundle_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/bundle"
)

func sum(b []byte) string { h := sha1.Sum(b); return hex.EncodeToString(h[:]) }

type entry struct {
	name string
	body []byte
}

// makeZip builds a zip of the entries, behind sentry-cli's "SYSB" + version 2 header when
// sysb is set.
func makeZip(t testing.TB, sysb bool, entries ...entry) []byte {
	var buf bytes.Buffer
	if sysb {
		buf.WriteString("SYSB")
		binary.Write(&buf, binary.LittleEndian, uint32(2))
	}
	zw := zip.NewWriter(&buf)
	if sysb {
		zw.SetOffset(8)
	}
	for _, e := range entries {
		w, err := zw.Create(e.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(e.body)
	}
	zw.Close()
	return buf.Bytes()
}

func manifest(files map[string]any, attrs map[string]string) []byte {
	m := map[string]any{"files": files}
	for k, v := range attrs {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

const (
	minified = "function a(){}\n//# sourceMappingURL=main.js.map\n//# debugId=0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\n"
	srcmap   = `{"version":3,"sources":["main.ts"],"mappings":"AAAA","debugId":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}`
)

func sampleBundle(t testing.TB) []byte {
	return makeZip(t, true,
		entry{"manifest.json", manifest(map[string]any{
			"files/_/_/main.js": map[string]any{"type": "minified_source", "url": "~/main.js",
				"headers": map[string]string{"debug-id": "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "Sourcemap": "main.js.map"}},
			"files/_/_/main.js.map": map[string]any{"type": "source_map", "url": "~/main.js.map",
				"headers": map[string]string{"debug-id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
		}, map[string]string{"org": "acme", "release": "1.0", "dist": "web", "debug_id": "11111111-2222-3333-4444-555555555555"})},
		entry{"files/_/_/main.js", []byte(minified)},
		entry{"files/_/_/main.js.map", []byte(srcmap)},
	)
}

func refused(t *testing.T, err error, contains string) {
	t.Helper()
	var e *bundle.Error
	if !errors.As(err, &e) || !strings.Contains(e.Message, contains) {
		t.Errorf("error %v, want a refusal containing %q", err, contains)
	}
}

func TestReadArtifact(t *testing.T) {
	t.Parallel()
	lim := bundle.DefaultLimits()
	read := func(b []byte) (*bundle.Artifact, error) {
		return bundle.ReadArtifact(bytes.NewReader(b), int64(len(b)), lim)
	}

	t.Run("SentryCLIBundleIsListed", func(t *testing.T) {
		a, err := read(sampleBundle(t))
		if err != nil {
			t.Fatal(err)
		}
		if a.Org != "acme" || a.Release != "1.0" || a.Dist != "web" || a.BundleID != "11111111-2222-3333-4444-555555555555" {
			t.Errorf("attributes %+v", a)
		}
		want := []bundle.File{
			{Path: "files/_/_/main.js", URL: "~/main.js", Type: "minified_source", Size: int64(len(minified)),
				DebugID: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", SourceMap: "main.js.map"},
			{Path: "files/_/_/main.js.map", URL: "~/main.js.map", Type: "source_map", Size: int64(len(srcmap)),
				DebugID: "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"},
		}
		if len(a.Files) != 2 || a.Files[0] != want[0] || a.Files[1] != want[1] {
			t.Errorf("files %+v\nwant %+v", a.Files, want)
		}
	})
	t.Run("PlainZipWithoutHeaderIsRead", func(t *testing.T) {
		b := makeZip(t, false, entry{"manifest.json", []byte(`{"files":{"a.js":{"url":"~/a.js"}}}`)}, entry{"a.js", []byte("x")})
		if a, err := read(b); err != nil || len(a.Files) != 1 {
			t.Errorf("%+v %v", a, err)
		}
	})
	t.Run("NotAZipIsRefused", func(t *testing.T) {
		_, err := read([]byte("SYSB\x02\x00\x00\x00this is not a zip"))
		refused(t, err, "not a valid zip")
	})
	t.Run("MissingManifestIsRefused", func(t *testing.T) {
		_, err := read(makeZip(t, false, entry{"a.js", []byte("x")}))
		refused(t, err, "no manifest.json")
	})
	t.Run("ManifestNamingAnAbsentFileIsRefused", func(t *testing.T) {
		_, err := read(makeZip(t, false, entry{"manifest.json", []byte(`{"files":{"gone.js":{"url":"~/gone.js"}}}`)}))
		refused(t, err, "which the bundle lacks")
	})
	t.Run("UnknownTypeIsRefused", func(t *testing.T) {
		_, err := read(makeZip(t, false, entry{"manifest.json", []byte(`{"files":{"a.js":{"type":"binary"}}}`)}, entry{"a.js", nil}))
		refused(t, err, "unknown type")
	})
	t.Run("MalformedManifestIsRefused", func(t *testing.T) {
		for _, m := range []string{`[]`, `{"files":[1]}`, `{"org":7}`, `{"release":"a\u0000b"}`, `not json`} {
			_, err := read(makeZip(t, false, entry{"manifest.json", []byte(m)}))
			refused(t, err, "manifest.json")
		}
	})
	t.Run("PathTraversalInEntriesIsRefused", func(t *testing.T) {
		for _, name := range []string{"../evil.js", "files/../../evil.js", "/etc/passwd", `files\..\evil.js`, "C:evil.js", "files//a.js", "./a.js", "a\x01.js"} {
			b := makeZip(t, false, entry{"manifest.json", []byte(`{}`)}, entry{name, []byte("x")})
			_, err := read(b)
			refused(t, err, "nsafe path")
		}
	})
	t.Run("PathTraversalInManifestIsRefused", func(t *testing.T) {
		for _, name := range []string{"../evil.js", "/abs.js", `a\b.js`} {
			m, _ := json.Marshal(map[string]any{"files": map[string]any{name: map[string]string{"url": "~/x"}}})
			_, err := read(makeZip(t, false, entry{"manifest.json", m}))
			refused(t, err, "Unsafe path in manifest.json")
		}
	})
	t.Run("ZipBombIsRefused", func(t *testing.T) {
		zeros := make([]byte, 4<<20) // deflates ~1000 to 1
		_, err := read(makeZip(t, false, entry{"manifest.json", []byte(`{}`)}, entry{"bomb.js", zeros}))
		refused(t, err, "expands more than 200 times")
	})
	t.Run("TotalExpansionIsLimited", func(t *testing.T) {
		small := lim
		small.MaxUncompressed = 1000
		b := makeZip(t, false, entry{"manifest.json", []byte(`{}`)}, entry{"a.js", bytes.Repeat([]byte("ab"), 600)})
		_, err := bundle.ReadArtifact(bytes.NewReader(b), int64(len(b)), small)
		refused(t, err, "expands past 1000 bytes")
	})
	t.Run("EntryCountIsLimited", func(t *testing.T) {
		small := lim
		small.MaxEntries = 2
		b := makeZip(t, false, entry{"manifest.json", []byte(`{}`)}, entry{"a.js", nil}, entry{"b.js", nil})
		_, err := bundle.ReadArtifact(bytes.NewReader(b), int64(len(b)), small)
		refused(t, err, "3 entries, the limit is 2")
	})
	t.Run("EntryLyingAboutItsSizeIsRefused", func(t *testing.T) {
		// Declares 10 bytes, inflates to 1 MiB: the declared-size checks pass, reading stops.
		real := bytes.Repeat([]byte("x"), 1<<20)
		var comp bytes.Buffer
		fw, _ := flate.NewWriter(&comp, flate.BestCompression)
		fw.Write(real)
		fw.Close()
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		mw, _ := zw.Create("manifest.json")
		mw.Write([]byte(`{}`))
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "liar.js", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(real),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: 10})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
		zw.Close()
		_, err = read(buf.Bytes())
		refused(t, err, "is corrupt")
	})
}

func TestChunkedAssembly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := sampleBundle(t)
	// Split as sentry-cli does: fixed-size chunks, a shorter last one.
	const size = 100
	var sums []string
	for off := 0; off < len(data); off += size {
		c := data[off:min(off+size, len(data))]
		if _, err := store.Put(ctx, sum(c), bytes.NewReader(c), 0); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum(c))
	}

	t.Run("ChecksumMatches", func(t *testing.T) {
		c, err := bundle.OpenChunks(ctx, store, sums)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.Size() != int64(len(data)) {
			t.Errorf("size %d, want %d", c.Size(), len(data))
		}
		if err := c.VerifyChecksum(sum(data), 0); err != nil {
			t.Errorf("verify: %v", err)
		}
		all, _ := io.ReadAll(c)
		if !bytes.Equal(all, data) {
			t.Errorf("sequential read differs")
		}
	})
	t.Run("FilesReadBackByteForByte", func(t *testing.T) {
		c, _ := bundle.OpenChunks(ctx, store, sums)
		defer c.Close()
		a, err := bundle.ReadArtifact(c, c.Size(), bundle.DefaultLimits())
		if err != nil || len(a.Files) != 2 {
			t.Fatalf("%+v %v", a, err)
		}
		zr, _ := zip.NewReader(c, c.Size())
		f, _ := zr.Open("files/_/_/main.js.map")
		got, _ := io.ReadAll(f)
		if string(got) != srcmap {
			t.Errorf("read back %q", got)
		}
	})
	t.Run("WrongChecksumIsRefused", func(t *testing.T) {
		c, _ := bundle.OpenChunks(ctx, store, sums)
		defer c.Close()
		refused(t, c.VerifyChecksum(sum([]byte("other")), 0), "Checksum mismatch")
		// Chunks in the wrong order hash differently too.
		swapped := append([]string{sums[1], sums[0]}, sums[2:]...)
		c2, _ := bundle.OpenChunks(ctx, store, swapped)
		defer c2.Close()
		refused(t, c2.VerifyChecksum(sum(data), 0), "Checksum mismatch")
	})
	t.Run("TooLargeIsRefused", func(t *testing.T) {
		c, _ := bundle.OpenChunks(ctx, store, sums)
		defer c.Close()
		refused(t, c.VerifyChecksum(sum(data), 10), "File too large")
	})
	t.Run("MissingChunkIsReported", func(t *testing.T) {
		_, err := bundle.OpenChunks(ctx, store, append(sums, sum([]byte("never uploaded"))))
		if !errors.Is(err, bundle.ErrMissingChunk) {
			t.Errorf("missing chunk: %v", err)
		}
	})
}

func TestDetectKind(t *testing.T) {
	t.Parallel()
	for want, head := range map[string]string{
		bundle.KindELF:          "\x7fELF\x02\x01\x01",
		bundle.KindMachO:        "\xcf\xfa\xed\xfe\x07\x00\x00\x01",
		bundle.KindPE:           "MZ\x90\x00",
		bundle.KindPDB:          "Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00rest",
		bundle.KindPortablePDB:  "BSJB\x01\x00",
		bundle.KindBreakpad:     "MODULE Linux x86_64 ABCDEF0123 app\n",
		bundle.KindSourceBundle: "SYSB\x02\x00\x00\x00PK",
		bundle.KindWasm:         "\x00asm\x01\x00\x00\x00",
		bundle.KindUnknown:      "# proguard mapping\n",
	} {
		if got := bundle.DetectKind(strings.NewReader(head)); got != want {
			t.Errorf("%q: %s, want %s", head, got, want)
		}
	}
	fat := "\xca\xfe\xba\xbe\x00\x00\x00\x02"
	class := "\xca\xfe\xba\xbe\x00\x00\x00\x34"
	if bundle.DetectKind(strings.NewReader(fat)) != bundle.KindMachO || bundle.DetectKind(strings.NewReader(class)) != bundle.KindUnknown {
		t.Errorf("fat Mach-O vs Java class confused")
	}
	if bundle.DetectKind(strings.NewReader("")) != bundle.KindUnknown {
		t.Errorf("empty file")
	}
}

func TestNormalizeDebugID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D":    "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
		"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d-1a": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d-1a",
		"0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d1":       "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d-1",
		"0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d0":       "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
	} {
		if got, ok := bundle.NormalizeDebugID(in); !ok || got != want {
			t.Errorf("%s: %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "not-a-debug-id", "0a1b2c3d-4e5f-4a6b-8c7d", "zz1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d-123456789"} {
		if got, ok := bundle.NormalizeDebugID(bad); ok {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}
