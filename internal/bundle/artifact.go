package bundle

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"io"
	"path"
	"sort"
	"strings"
	"unicode/utf8"
)

// Limits bound what an archive may expand to. A zip declares each entry's sizes in its
// central directory; the declared sizes are checked first, then each entry is read through
// to its end (verifying its CRC), and reading stops past the declared size, so a lying
// header cannot expand further than the limits either.
type Limits struct {
	// MaxEntries is the most entries (files and folders) in one archive.
	MaxEntries int
	// MaxUncompressed is the most bytes all entries may expand to together.
	MaxUncompressed int64
	// MaxRatio is the most an entry larger than RatioFloor may expand, uncompressed over
	// compressed size: source maps compress ~5–10×, bombs ~1000×.
	MaxRatio int64
	// RatioFloor is the uncompressed size below which the ratio is not checked (a small file
	// of repeated bytes is harmless however well it compresses).
	RatioFloor int64
	// MaxManifest is the largest manifest.json.
	MaxManifest int64
}

// DefaultLimits are generous for real bundles (sentry-cli zips a build's JavaScript and
// source maps) and refuse expansions that would fill the disk or memory.
func DefaultLimits() Limits {
	return Limits{MaxEntries: 50000, MaxUncompressed: 4 << 30, MaxRatio: 200, RatioFloor: 1 << 20, MaxManifest: 16 << 20}
}

// The file types of a bundle's manifest (symbolic's SourceFileType, as sentry-cli writes it).
const (
	TypeSource           = "source"
	TypeMinifiedSource   = "minified_source"
	TypeSourceMap        = "source_map"
	TypeIndexedRAMBundle = "indexed_ram_bundle"
)

// File is one file of an artifact bundle.
type File struct {
	// Path is the file's path inside the zip ("files/_/_/main.js").
	Path string
	// URL is where the file is served from, as the event's stack frames name it ("~/main.js").
	URL string
	// Type is one of the Type constants; empty when the manifest gave none.
	Type string
	// Size is the file's uncompressed length.
	Size int64
	// DebugID links a minified file and its source map (the "debug-id" header), normalized
	// to lowercase hyphenated form; empty when absent or malformed.
	DebugID string
	// SourceMap is the minified file's source map reference (the "sourcemap" header).
	SourceMap string
}

// Artifact is an artifact bundle's manifest and files.
type Artifact struct {
	// BundleID is the bundle's own debug id (the manifest's "debug_id" attribute).
	BundleID string
	// Org, Project, Release and Dist are what sentry-cli wrote into the manifest; the
	// assemble request's own fields are what count.
	Org, Project, Release, Dist string
	// Files are the manifest's files, sorted by path.
	Files []File
}

const manifestPath = "manifest.json"

// manifestFile is one entry of the manifest's "files" map.
type manifestFile struct {
	Type    string            `json:"type"`
	URL     string            `json:"url"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers"`
}

// ReadArtifact reads and checks an artifact bundle: a zip (optionally behind sentry-cli's
// 8-byte "SYSB" source-bundle header) whose manifest.json lists its files. It refuses
// malformed zips, unsafe entry names, archives past the limits, and a manifest that names
// a file the zip lacks.
func ReadArtifact(r io.ReaderAt, size int64, lim Limits) (*Artifact, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		if errors.Is(err, zip.ErrInsecurePath) {
			return nil, refuse("Unsafe path in bundle")
		}
		return nil, refuse("The bundle is not a valid zip archive")
	}
	if len(zr.File) > lim.MaxEntries {
		return nil, refuse("The bundle has %d entries, the limit is %d", len(zr.File), lim.MaxEntries)
	}
	entries := make(map[string]*zip.File, len(zr.File))
	var total uint64
	for _, f := range zr.File {
		if !SafePath(strings.TrimSuffix(f.Name, "/")) {
			return nil, refuse("Unsafe path in bundle: %q", f.Name)
		}
		if _, dup := entries[f.Name]; dup {
			return nil, refuse("Duplicate path in bundle: %q", f.Name)
		}
		entries[f.Name] = f
		total += f.UncompressedSize64
		if total > uint64(lim.MaxUncompressed) {
			return nil, refuse("The bundle expands past %d bytes", lim.MaxUncompressed)
		}
		if f.UncompressedSize64 > uint64(lim.RatioFloor) && f.UncompressedSize64/max(f.CompressedSize64, 1) > uint64(lim.MaxRatio) {
			return nil, refuse("Entry %q expands more than %d times", f.Name, lim.MaxRatio)
		}
	}
	mf := entries[manifestPath]
	if mf == nil {
		return nil, refuse("The bundle has no manifest.json")
	}
	if mf.UncompressedSize64 > uint64(lim.MaxManifest) {
		return nil, refuse("manifest.json is larger than %d bytes", lim.MaxManifest)
	}
	// Read every entry to its end: this checks each CRC, and that no entry expands past
	// its declared size (archive/zip stops there with an error).
	var manifestBytes []byte
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, refuse("Entry %q cannot be read", f.Name)
		}
		var w io.Writer = io.Discard
		var buf *strings.Builder
		if f == mf {
			buf = &strings.Builder{}
			w = buf
		}
		n, err := io.Copy(w, io.LimitReader(rc, int64(f.UncompressedSize64)+1))
		rc.Close()
		if err != nil || uint64(n) != f.UncompressedSize64 {
			return nil, refuse("Entry %q is corrupt", f.Name)
		}
		if buf != nil {
			manifestBytes = []byte(buf.String())
		}
	}
	return parseManifest(manifestBytes, entries)
}

func parseManifest(raw []byte, entries map[string]*zip.File) (*Artifact, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, refuse("manifest.json is not a JSON object")
	}
	a := &Artifact{}
	attr := func(key string, dst *string) error {
		v, ok := top[key]
		if !ok || string(v) == "null" {
			return nil
		}
		if err := json.Unmarshal(v, dst); err != nil {
			return refuse("manifest.json: %q must be a string", key)
		}
		if len(*dst) > 1024 || !printable(*dst) {
			return refuse("manifest.json: %q is not a valid value", key)
		}
		return nil
	}
	for key, dst := range map[string]*string{"org": &a.Org, "project": &a.Project, "release": &a.Release, "dist": &a.Dist} {
		if err := attr(key, dst); err != nil {
			return nil, err
		}
	}
	var bundleID string
	if err := attr("debug_id", &bundleID); err != nil {
		return nil, err
	}
	a.BundleID, _ = NormalizeDebugID(bundleID)
	var files map[string]manifestFile
	if v, ok := top["files"]; ok {
		if err := json.Unmarshal(v, &files); err != nil {
			return nil, refuse("manifest.json: \"files\" must map paths to file descriptions")
		}
	}
	for p, mf := range files {
		if !SafePath(p) {
			return nil, refuse("Unsafe path in manifest.json: %q", p)
		}
		entry := entries[p]
		if entry == nil {
			return nil, refuse("manifest.json names %q, which the bundle lacks", p)
		}
		switch mf.Type {
		case "", TypeSource, TypeMinifiedSource, TypeSourceMap, TypeIndexedRAMBundle:
		default:
			return nil, refuse("manifest.json: %q has unknown type %q", p, mf.Type)
		}
		if len(mf.URL) > 4096 || !printable(mf.URL) {
			return nil, refuse("manifest.json: %q has an invalid url", p)
		}
		f := File{Path: p, URL: mf.URL, Type: mf.Type, Size: int64(entry.UncompressedSize64)}
		// Header names are case-insensitive; sentry-cli writes "debug-id" and "Sourcemap".
		for k, v := range mf.Headers {
			switch strings.ToLower(k) {
			case "debug-id":
				f.DebugID, _ = NormalizeDebugID(v)
			case "sourcemap", "x-sourcemap":
				if len(v) <= 4096 && printable(v) {
					f.SourceMap = v
				}
			}
		}
		a.Files = append(a.Files, f)
	}
	sort.Slice(a.Files, func(i, j int) bool { return a.Files[i].Path < a.Files[j].Path })
	return a, nil
}

// SafePath reports whether name is a relative path that stays inside the archive: no
// absolute path, drive letter, backslash, "." or ".." element, empty element, NUL or control
// character.
func SafePath(name string) bool {
	if name == "" || len(name) > 4096 || !utf8.ValidString(name) {
		return false
	}
	if strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") {
		return false
	}
	if len(name) >= 2 && name[1] == ':' {
		return false // C:foo
	}
	for _, el := range strings.Split(name, "/") {
		if el == "" || el == "." || el == ".." {
			return false
		}
	}
	if !printable(name) {
		return false
	}
	return path.Clean(name) == name
}

// printable reports whether s has no control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}
