package bundle

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
)

// The kinds of debug information file recognized by their first bytes. Formats without an
// easy signature (ProGuard mappings, il2cpp line mappings, BCSymbolMaps) are KindUnknown:
// they are still stored, Sentry's own processing is out of scope.
const (
	KindELF          = "elf"
	KindMachO        = "macho"
	KindPE           = "pe"
	KindPDB          = "pdb"
	KindPortablePDB  = "portablepdb"
	KindBreakpad     = "breakpad"
	KindSourceBundle = "sourcebundle"
	KindWasm         = "wasm"
	KindUnknown      = "unknown"
)

var pdbMagic = []byte("Microsoft C/C++ MSF 7.00\r\n\x1aDS\x00\x00\x00")

// DetectKind names the debug file's format from its first bytes.
func DetectKind(r io.ReaderAt) string {
	var head [32]byte
	n, _ := r.ReadAt(head[:], 0)
	h := head[:n]
	switch {
	case bytes.HasPrefix(h, []byte("\x7fELF")):
		return KindELF
	case bytes.HasPrefix(h, pdbMagic):
		return KindPDB
	case bytes.HasPrefix(h, []byte("BSJB")):
		return KindPortablePDB
	case bytes.HasPrefix(h, []byte("MZ")):
		return KindPE
	case bytes.HasPrefix(h, []byte("MODULE ")):
		return KindBreakpad
	case bytes.HasPrefix(h, []byte("SYSB")):
		return KindSourceBundle
	case bytes.HasPrefix(h, []byte("\x00asm")):
		return KindWasm
	case len(h) >= 4:
		switch binary.BigEndian.Uint32(h) {
		case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
			return KindMachO
		case 0xcafebabe, 0xcafebabf:
			// Fat Mach-O shares its magic with Java class files; a fat header's next word is
			// a small architecture count, a class file's is its version (45 and up).
			if len(h) >= 8 && binary.BigEndian.Uint32(h[4:]) < 30 {
				return KindMachO
			}
		}
	}
	return KindUnknown
}

// NormalizeDebugID checks a debug id (a UUID, optionally followed by an age: "-1a" or, in
// breakpad's form, 33+ hex digits) and returns it lowercase and hyphenated, as Sentry shows
// it. ok is false for anything else.
func NormalizeDebugID(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", false
	}
	var hexDigits strings.Builder
	age := ""
	// The hyphenated form: 8-4-4-4-12, then an optional -age.
	if parts := strings.Split(s, "-"); len(parts) == 5 || len(parts) == 6 {
		lens := []int{8, 4, 4, 4, 12}
		for i, l := range lens {
			if len(parts[i]) != l || !isHex(parts[i]) {
				return "", false
			}
			hexDigits.WriteString(parts[i])
		}
		if len(parts) == 6 {
			age = parts[5]
		}
	} else if len(parts) == 1 && len(s) >= 32 && len(s) <= 40 && isHex(s) {
		hexDigits.WriteString(s[:32])
		age = s[32:]
	} else {
		return "", false
	}
	if age != "" {
		if len(age) > 8 || !isHex(age) {
			return "", false
		}
		age = strings.TrimLeft(age, "0")
	}
	d := hexDigits.String()
	out := d[:8] + "-" + d[8:12] + "-" + d[12:16] + "-" + d[16:20] + "-" + d[20:]
	if age != "" {
		out += "-" + age
	}
	return out, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return s != ""
}
