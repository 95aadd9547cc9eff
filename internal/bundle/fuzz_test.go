package bundle_test

import (
	"bytes"
	"testing"

	"github.com/tokenboard/tokenboard/internal/bundle"
)

// FuzzReadArtifact feeds arbitrary bytes to the bundle reader (seeds in
// testdata/fuzz/FuzzReadArtifact: a real sentry-cli-shaped bundle, traversal, a bomb, broken
// manifests). Whatever the input it must not panic, and what it accepts must be safe: every
// listed path stays inside the archive and the sizes stay within the limits.
func FuzzReadArtifact(f *testing.F) {
	f.Add(sampleBundle(f))
	lim := bundle.Limits{MaxEntries: 64, MaxUncompressed: 1 << 20, MaxRatio: 50, RatioFloor: 4096, MaxManifest: 64 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := bundle.ReadArtifact(bytes.NewReader(data), int64(len(data)), lim)
		if err != nil {
			return
		}
		var total int64
		for _, file := range a.Files {
			if !bundle.SafePath(file.Path) {
				t.Fatalf("accepted unsafe path %q", file.Path)
			}
			total += file.Size
		}
		if total > lim.MaxUncompressed || len(a.Files) > lim.MaxEntries {
			t.Fatalf("accepted %d files of %d bytes", len(a.Files), total)
		}
	})
}
