package core

import (
	"encoding/base64"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The public scanner patterns the formats must keep matching (SPEC §2). gitleaksOrgToken is
// gitleaks' sentry-org-token rule.
var (
	scannerUserToken        = regexp.MustCompile(`^sntryu_[a-f0-9]{64}$`)
	scannerIntegrationToken = regexp.MustCompile(`^sntryi_[a-f0-9]{64}$`)
	gitleaksOrgToken        = regexp.MustCompile(`sntrys_eyJpYXQiO[a-zA-Z0-9+/]{10,200}(?:LCJyZWdpb25fdXJs|InJlZ2lvbl91cmwi|cmVnaW9uX3VybCI6)[a-zA-Z0-9+/]{10,200}={0,2}_[a-zA-Z0-9+/]{43}`)
)

const tokenTestBaseURL = "https://sentry.example.com"

// Vectors computed independently with Python 3 (json.dumps with separators=(",", ":") as
// Sentry's encoder, base64, zlib.crc32, hashlib) from the definitions in token.go, for secret
// bytes 0..31 (org) and random bytes 0..27 (hex).
const (
	tokenVectorPayload = `{"iat":1700000000.5,"url":"https://sentry.example.com","region_url":"https://sentry.example.com","org":"acme"}`
	tokenVectorOrg     = "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"
	tokenVectorOrgHash = "8f1c9fd02a902a593161e3417bfb85f9f236d7195923200dcea3f2504904c6d2"
	// tokenVectorOrgSpaced is the same token as issued before SPEC §2 was corrected, with
	// Python's default ", " and ": " separators: tokens like it are live and must keep working.
	tokenVectorOrgSpaced     = "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"
	tokenVectorOrgSpacedHash = "dc5f409e9794144885cfa069310b9335ec79d77bea576997b17b92ccd990b4f3"
	tokenVectorUser          = "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"
	tokenVectorIntegration   = "sntryi_000102030405060708090a0b0c0d0e0f101112131415161718191a1b91995467"
)

var tokenVectorTime = time.UnixMicro(1700000000_500000)

func mustGenerateToken(t testing.TB, kind TokenKind) string {
	t.Helper()
	var (
		raw string
		err error
	)
	switch kind {
	case TokenOrg:
		raw, err = GenerateOrgToken(tokenTestBaseURL, "acme", time.Now())
	case TokenUser:
		raw, err = GenerateUserToken()
	case TokenIntegration:
		raw, err = GenerateIntegrationToken()
	}
	if err != nil {
		t.Fatalf("generate %v token: %v", kind, err)
	}
	return raw
}

// sealOrgToken builds an org token around an arbitrary payload part with a correct checksum, so a
// test can show a token is refused for its shape or payload and not merely for its checksum.
func sealOrgToken(payloadB64 string) string {
	body := tokenPrefixOrg + payloadB64 + "_" + "0123456789abcdefghijklmnopqrstuvwxyz+"
	return string(appendOrgTokenChecksum([]byte(body), crc32.ChecksumIEEE([]byte(body))))
}

// sealHexToken is sealOrgToken for the hex kinds.
func sealHexToken(prefix, digits string) string {
	body := prefix + digits
	return fmt.Sprintf("%s%08x", body, crc32.ChecksumIEEE([]byte(body)))
}

func tokenB64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestTokenKindPrefix(t *testing.T) {
	for kind, want := range map[TokenKind]string{
		TokenOrg: "sntrys_", TokenUser: "sntryu_", TokenIntegration: "sntryi_", 0: "", 9: "",
	} {
		if got := kind.Prefix(); got != want {
			t.Errorf("TokenKind(%d).Prefix() = %q, want %q", kind, got, want)
		}
	}
}

func TestGenerateParseRoundTrip(t *testing.T) {
	for _, kind := range []TokenKind{TokenOrg, TokenUser, TokenIntegration} {
		t.Run(kind.Prefix(), func(t *testing.T) {
			seen := map[string]bool{}
			for range 200 {
				before := time.Now()
				raw := mustGenerateToken(t, kind)
				if seen[raw] {
					t.Fatalf("duplicate token %s", raw)
				}
				seen[raw] = true
				if !strings.HasPrefix(raw, kind.Prefix()) {
					t.Fatalf("%s lacks prefix %s", raw, kind.Prefix())
				}
				pt, err := ParseToken(raw)
				if err != nil {
					t.Fatalf("ParseToken(%s): %v", raw, err)
				}
				if pt.Kind != kind || pt.Hash != HashToken(raw) {
					t.Fatalf("ParseToken(%s) = %+v", raw, pt)
				}
				if kind != TokenOrg {
					if pt.Payload != nil || len(raw) != 71 {
						t.Fatalf("hex token %s: len %d, payload %+v", raw, len(raw), pt.Payload)
					}
					continue
				}
				p := pt.Payload
				if p == nil || p.URL != tokenTestBaseURL || p.RegionURL != tokenTestBaseURL || p.Org != "acme" {
					t.Fatalf("payload of %s = %+v", raw, p)
				}
				// iat is the generation time to the microsecond, never adjusted.
				lo := float64(before.UnixMicro()) / 1e6
				if p.IAT < lo || p.IAT > float64(time.Now().UnixMicro())/1e6 {
					t.Fatalf("iat %f not in [%f, now]", p.IAT, lo)
				}
			}
		})
	}
}

func TestTokenVectors(t *testing.T) {
	var secret [32]byte
	for i := range secret {
		secret[i] = byte(i)
	}
	org, err := buildOrgToken(tokenTestBaseURL, "acme", tokenVectorTime, &secret)
	if err != nil || org != tokenVectorOrg {
		t.Errorf("buildOrgToken = %q, %v\nwant %q", org, err, tokenVectorOrg)
	}
	var random [28]byte
	for i := range random {
		random[i] = byte(i)
	}
	if got := buildHexToken(tokenPrefixUser, &random); got != tokenVectorUser {
		t.Errorf("user token = %q, want %q", got, tokenVectorUser)
	}
	if got := buildHexToken(tokenPrefixIntegration, &random); got != tokenVectorIntegration {
		t.Errorf("integration token = %q, want %q", got, tokenVectorIntegration)
	}

	want := OrgTokenPayload{IAT: 1700000000.5, URL: tokenTestBaseURL, RegionURL: tokenTestBaseURL, Org: "acme"}
	for raw, hash := range map[string]string{tokenVectorOrg: tokenVectorOrgHash, tokenVectorOrgSpaced: tokenVectorOrgSpacedHash} {
		pt, err := ParseToken(raw)
		if err != nil {
			t.Fatalf("ParseToken(%s): %v", raw, err)
		}
		if pt.Kind != TokenOrg || pt.Hash != hash || pt.Payload == nil || *pt.Payload != want {
			t.Errorf("ParseToken(%s) = %+v, payload %+v", raw, pt, pt.Payload)
		}
	}
	for raw, kind := range map[string]TokenKind{tokenVectorUser: TokenUser, tokenVectorIntegration: TokenIntegration} {
		if pt, err := ParseToken(raw); err != nil || pt.Kind != kind || pt.Payload != nil {
			t.Errorf("ParseToken(%s) = %+v, %v", raw, pt, err)
		}
	}
}

func TestOrgTokenPayloadJSON(t *testing.T) {
	got := string(orgTokenPayloadJSON(1700000000.5, tokenTestBaseURL, tokenTestBaseURL, "acme"))
	if got != tokenVectorPayload {
		t.Errorf("payload\n got %s\nwant %s", got, tokenVectorPayload)
	}
	// The base64 of a real payload is what scanners key on: it starts with {"iat":.
	if enc := tokenB64(got); !strings.HasPrefix(enc, "eyJpYXQiO") {
		t.Errorf("payload base64 %s", enc)
	}
}

func TestAppendPyFloat(t *testing.T) {
	// Left: the value; right: Python 3's repr() / json.dumps() of it.
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {1, "1.0"},
		{1700000000.5, "1700000000.5"}, {1700000000, "1700000000.0"},
		{1732370000.123456, "1732370000.123456"}, {1700000000.12345, "1700000000.12345"},
		{0.1, "0.1"}, {0.0001, "0.0001"}, {0.00001, "1e-05"},
		{9.999999999999999e-05, "9.999999999999999e-05"},
		{1e16, "1e+16"}, {1.5e16, "1.5e+16"}, {9999999999999998, "9999999999999998.0"},
		{1e22, "1e+22"}, {123456789.125, "123456789.125"}, {-5.25, "-5.25"},
		{1e-7, "1e-07"}, {1.2345e-7, "1.2345e-07"}, {2.5e100, "2.5e+100"},
		{5e-324, "5e-324"}, {math.MaxFloat64, "1.7976931348623157e+308"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
	} {
		if got := string(appendPyFloat(nil, tc.f)); got != tc.want {
			t.Errorf("appendPyFloat(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

func TestAppendPyJSONString(t *testing.T) {
	for in, want := range map[string]string{
		"":     `""`,
		"acme": `"acme"`,
		// Python: json.dumps("a\"\\\n\r\t\b\f\x00\x1f\x7f /é€😀<>&'")
		"a\"\\\n\r\t\b\f\x00\x1f\x7f /é€😀<>&'": `"a\"\\\n\r\t\b\f\u0000\u001f\u007f /\u00e9\u20ac\ud83d\ude00<>&'"`,
		// Invalid UTF-8 reads as U+FFFD, as a Python str would hold it.
		"a\xffb": `"a\ufffdb"`,
	} {
		if got := string(appendPyJSONString(nil, in)); got != want {
			t.Errorf("appendPyJSONString(%q) = %s, want %s", in, got, want)
		}
	}
}

// The payload's strings come back out exactly, however they had to be escaped.
func TestOrgTokenEscapedPayloadRoundTrip(t *testing.T) {
	for _, tc := range []struct{ url, org string }{
		{`https://x.example/a"b\c`, "o\nrg"},
		{"https://例え.jp/😀", "\x7f\x00"},
		{"", ""},
		{"http://localhost:9000/" + strings.Repeat("p", 600), strings.Repeat("o", 50)},
	} {
		raw, err := GenerateOrgToken(tc.url, tc.org, tokenVectorTime)
		if err != nil {
			t.Fatalf("GenerateOrgToken(%q, %q): %v", tc.url, tc.org, err)
		}
		pt, err := ParseToken(raw)
		if err != nil {
			t.Fatalf("ParseToken(%s): %v", raw, err)
		}
		if p := pt.Payload; p.URL != tc.url || p.RegionURL != tc.url || p.Org != tc.org {
			t.Errorf("payload %+v, want url %q org %q", p, tc.url, tc.org)
		}
	}
}

func TestGenerateOrgTokenTooLong(t *testing.T) {
	_, err := GenerateOrgToken("https://x.example/"+strings.Repeat("p", 1000), "acme", tokenVectorTime)
	if ErrorCode(err) != EINVALID {
		t.Errorf("GenerateOrgToken(huge URL) error = %v, want %s", err, EINVALID)
	}
}

// Every token we can produce, and every single-character change to it (substitution by any
// byte, deletion, insertion of any byte, swap of adjacent characters), is rejected: by the
// CRC, which catches all bursts shorter than 32 bits, or by the shape.
func TestParseTokenRejectsEveryEdit(t *testing.T) {
	valid := []string{tokenVectorOrg, tokenVectorUser, tokenVectorIntegration,
		mustGenerateToken(t, TokenOrg), mustGenerateToken(t, TokenUser), mustGenerateToken(t, TokenIntegration)}
	for _, raw := range valid {
		if _, err := ParseToken(raw); err != nil {
			t.Fatalf("ParseToken(%s): %v", raw, err)
		}
		reject := func(s, format string, args ...any) {
			t.Helper()
			if _, err := ParseToken(s); ErrorCode(err) != EUNAUTHORIZED {
				t.Fatalf("%s: ParseToken(%q) error = %v, want %s", fmt.Sprintf(format, args...), s, err, EUNAUTHORIZED)
			}
		}
		b := []byte(raw)
		for i := range b {
			orig := b[i]
			for c := range 256 {
				if byte(c) == orig {
					continue
				}
				b[i] = byte(c)
				reject(string(b), "substitute %#02x at %d", c, i)
			}
			b[i] = orig
			reject(raw[:i]+raw[i+1:], "delete at %d", i)
			if i+1 < len(b) && b[i] != b[i+1] {
				reject(raw[:i]+raw[i+1:i+2]+raw[i:i+1]+raw[i+2:], "swap at %d", i)
			}
		}
		for i := 0; i <= len(raw); i++ {
			for c := range 256 {
				reject(raw[:i]+string([]byte{byte(c)})+raw[i:], "insert %#02x at %d", c, i)
			}
		}
	}
}

func TestParseTokenRejects(t *testing.T) {
	hex56 := strings.Repeat("0123456789abcdef", 4)[:56]
	okPayload := tokenB64(`{"iat": 1700000000.5, "url": "https://x", "region_url": "https://x", "org": "a"}`)
	// Positive controls: the sealing helpers make tokens ParseToken accepts, so each case
	// below fails for the reason it names.
	for _, raw := range []string{sealOrgToken(okPayload), sealOrgToken(tokenB64(`{"iat":1}`)), sealHexToken("sntryu_", hex56), sealHexToken("sntryi_", hex56)} {
		if _, err := ParseToken(raw); err != nil {
			t.Fatalf("control %s: %v", raw, err)
		}
	}
	user := sealHexToken("sntryu_", hex56)
	for _, tc := range []struct {
		name, raw string
		org       bool // expects "Invalid org token"
	}{
		{"empty", "", false},
		{"prefix only", "sntrys_", true},
		{"user prefix only", "sntryu_", false},
		{"short", "sntr", false},
		{"unprefixed hex (Sentry's integration tokens)", user[7:], false},
		{"unknown kind", "sntryx_" + user[7:], false},
		{"upper-case prefix", "SNTRYU_" + user[7:], false},
		{"no underscore", "sntryu" + user[7:], false},
		{"wrong prefix, same digits", "sntryi_" + user[7:], false},
		{"user digits under org prefix", "sntrys_" + user[7:], true},
		{"upper-case hex, sealed", sealHexToken("sntryu_", strings.ToUpper(hex56)), false},
		{"upper-case checksum", user[:63] + strings.ToUpper(user[63:]), false},
		{"non-hex digit, sealed", sealHexToken("sntryi_", "g"+hex56[1:]), false},
		{"hex too long", user + "0", false},
		{"hex too short", user[:70], false},
		{"bearer", "Bearer " + user, false},
		{"trailing newline", user + "\n", false},
		{"extra underscore in payload, sealed", sealOrgToken("eyJp_XQiOjF9"), true},
		{"extra underscore before separator", sealOrgToken(okPayload + "_"), true},
		{"url-safe base64, sealed", sealOrgToken(strings.NewReplacer("+", "-", "/", "_").Replace(tokenB64(`{"iat": 1, "url": "??>>??>>"}`))), true},
		{"bad base64 character", sealOrgToken("eyJp*XQiOjF9"), true},
		{"padding in the middle", sealOrgToken("eyJ=YXQiOjF9"), true},
		{"missing padding", sealOrgToken(strings.TrimRight(tokenB64(`{"iat":10}`), "=")), true},
		{"too much padding", sealOrgToken("eyJpYXQiOjE==="), true},
		// `{"iat":10}` ends in the group "fQ=="; "fR==" sets a bit that padding must leave
		// zero, which a lenient decoder would ignore.
		{"non-canonical final bits", sealOrgToken(strings.TrimSuffix(tokenB64(`{"iat":10}`), "fQ==") + "fR=="), true},
		{"newline in payload", sealOrgToken("eyJp\nYXQiOjF9"), true},
		{"empty payload", sealOrgToken(""), true},
		{"payload without iat", sealOrgToken(tokenB64(`{"url": "https://x", "org": "a"}`)), true},
		{"iat null", sealOrgToken(tokenB64(`{"iat": null}`)), true},
		{"iat string", sealOrgToken(tokenB64(`{"iat": "1700000000.5"}`)), true},
		{"iat out of range", sealOrgToken(tokenB64(`{"iat": 1e999}`)), true},
		{"url not a string", sealOrgToken(tokenB64(`{"iat": 1, "url": 5}`)), true},
		{"payload an array", sealOrgToken(tokenB64(`[1700000000.5]`)), true},
		{"payload null", sealOrgToken(tokenB64(`null`)), true},
		{"payload not JSON", sealOrgToken(tokenB64(`iat=1700000000`)), true},
		{"payload trailing garbage", sealOrgToken(tokenB64(`{"iat": 1} x`)), true},
		{"non-ASCII payload", sealOrgToken(tokenB64(`{"iat": 1, "org": "é"}`)), true},
		{"secret too short", tokenVectorOrg[:len(tokenVectorOrg)-1], true},
		{"secret too long", tokenVectorOrg + "A", true},
		{"no secret", tokenVectorOrg[:strings.LastIndexByte(tokenVectorOrg, '_')], true},
		{"too long, sealed", sealOrgToken(tokenB64(`{"iat": 1, "url": "` + strings.Repeat("u", 1600) + `"}`)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := ParseToken(tc.raw)
			var e *Error
			if !errors.As(err, &e) || e.Code != EUNAUTHORIZED {
				t.Fatalf("ParseToken(%q) = %+v, %v; want an %s *Error", tc.raw, pt, err, EUNAUTHORIZED)
			}
			want := "Invalid token"
			if tc.org {
				want = "Invalid org token"
			}
			if e.Message != want {
				t.Errorf("message %q, want %q", e.Message, want)
			}
			if pt != (ParsedToken{}) {
				t.Errorf("rejected token returned %+v", pt)
			}
		})
	}
}

func TestScannerPatternsMatch(t *testing.T) {
	for range 100 {
		if raw := mustGenerateToken(t, TokenUser); !scannerUserToken.MatchString(raw) {
			t.Fatalf("%s does not match %s", raw, scannerUserToken)
		}
		if raw := mustGenerateToken(t, TokenIntegration); !scannerIntegrationToken.MatchString(raw) {
			t.Fatalf("%s does not match %s", raw, scannerIntegrationToken)
		}
	}
	if !gitleaksOrgToken.MatchString(tokenVectorOrg) {
		t.Fatalf("vector does not match gitleaks")
	}
	// Every URL length and iat length combination: only the lengths move the "region_url"
	// key's base64 alignment, which is what decides whether gitleaks sees the token.
	now := time.UnixMicro(1732370000_000000)
	for n := range 90 {
		url := "https://" + strings.Repeat("s", n) + ".example"
		for us := range int64(60) {
			raw, err := GenerateOrgToken(url, "acme-corp", now.Add(time.Duration(us)*time.Microsecond))
			if err != nil {
				t.Fatal(err)
			}
			if !gitleaksOrgToken.MatchString(raw) {
				t.Fatalf("%s does not match gitleaks", raw)
			}
		}
	}
}

// Issue 12: 1,000 freshly minted org tokens all match gitleaks' sentry-org-token pattern, and
// each carries its generation time as iat, to the microsecond, with nothing walked back. (With
// the old spaced payload about one in three would have needed an adjustment.)
func TestFreshOrgTokensMatchGitleaks(t *testing.T) {
	for range 1000 {
		before := time.Now().UnixMicro()
		raw := mustGenerateToken(t, TokenOrg)
		after := time.Now().UnixMicro()
		if !gitleaksOrgToken.MatchString(raw) {
			t.Fatalf("%s does not match gitleaks", raw)
		}
		pt, err := ParseToken(raw)
		if err != nil {
			t.Fatal(err)
		}
		us := pt.Payload.IAT * 1e6
		if us < float64(before)-0.5 || us > float64(after)+0.5 {
			t.Fatalf("iat %f outside generation window [%d, %d] µs", pt.Payload.IAT, before, after)
		}
		// The payload is exactly the compact JSON of the iat it holds: no other spelling.
		js, _ := base64.StdEncoding.DecodeString(raw[len(tokenPrefixOrg) : len(raw)-orgTokenSecretLen-1])
		if want := orgTokenPayloadJSON(pt.Payload.IAT, tokenTestBaseURL, tokenTestBaseURL, "acme"); string(js) != string(want) {
			t.Fatalf("payload %s, want %s", js, want)
		}
		if strings.Contains(string(js), ": ") || strings.Contains(string(js), ", ") {
			t.Fatalf("payload %s is not compact", js)
		}
	}
}

// Compact JSON is visible to gitleaks at every base64 alignment: the pattern's three markers
// are `,"region_url":` at offsets 0, 1 and 2, so no iat or URL length can hide a token.
func TestCompactPayloadVisibleAtEveryAlignment(t *testing.T) {
	aligned := map[int]bool{}
	for n := range 30 {
		url := "https://" + strings.Repeat("s", n) + ".example"
		for _, iat := range []float64{1700000000.5, 1700000000.25, 1700000000.125, 1700000000.0625, 1732370000.123456} {
			js := orgTokenPayloadJSON(iat, url, url, "acme")
			aligned[strings.Index(string(js), `,"region_url"`)%3] = true
			if raw := sealOrgToken(tokenB64(string(js))); !gitleaksOrgToken.MatchString(raw) {
				t.Fatalf("iat %v url %s: %s does not match gitleaks", iat, url, raw)
			}
		}
	}
	if len(aligned) != 3 {
		t.Fatalf("only alignments %v were tried", aligned)
	}
}

func TestTokenCRCMatchesHashCRC32(t *testing.T) {
	inputs := []string{tokenVectorOrg, tokenVectorUser, strings.Repeat("\xff", 300)}
	all := make([]byte, 300) // every length, so every tail length of the 8-byte loop
	for i := range all {
		all[i] = byte(i*131 + 7)
		inputs = append(inputs, string(all[:i]))
	}
	for _, s := range inputs {
		if got, want := tokenCRC(s), crc32.ChecksumIEEE([]byte(s)); got != want {
			t.Errorf("tokenCRC(%q) = %08x, want %08x", s, got, want)
		}
	}
}

func TestHashToken(t *testing.T) {
	for in, want := range map[string]string{
		"":             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"abc":          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		tokenVectorOrg: tokenVectorOrgHash,
	} {
		if got := HashToken(in); got != want {
			t.Errorf("HashToken(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestTokenLastChars(t *testing.T) {
	for in, want := range map[string]string{
		tokenVectorUser: "f687", tokenVectorOrg: "N+UQ", "abcde": "bcde", "abcd": "abcd",
		"ab": "ab", "": "", "xyé€😀z": "é€😀z",
	} {
		if got := TokenLastChars(in); got != want {
			t.Errorf("TokenLastChars(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskToken(t *testing.T) {
	for _, tc := range []struct {
		kind   TokenKind
		prefix bool
		want   string
	}{
		{TokenOrg, true, "sntrys_************AbC1"},
		{TokenOrg, false, "************AbC1"},
		{TokenUser, true, "sntryu_************AbC1"},
		{TokenUser, false, "************AbC1"},
		{TokenIntegration, true, "sntryi_************AbC1"},
		{TokenIntegration, false, "************AbC1"},
	} {
		if got := MaskToken(tc.kind, "AbC1", tc.prefix); got != tc.want {
			t.Errorf("MaskToken(%v, AbC1, %v) = %q, want %q", tc.kind, tc.prefix, got, tc.want)
		}
	}
}

func BenchmarkParseToken(b *testing.B) {
	for _, kind := range []TokenKind{TokenOrg, TokenUser, TokenIntegration} {
		raw := mustGenerateToken(b, kind)
		name := map[TokenKind]string{TokenOrg: "org", TokenUser: "user", TokenIntegration: "integration"}[kind]
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseToken(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	// A mistyped token is the common failure: it should cost about as little as a good one.
	// One base64 character changed for another, so only the checksum can tell.
	good := mustGenerateToken(b, TokenOrg)
	swap := byte('A')
	if good[20] == swap {
		swap = 'B'
	}
	bad := good[:20] + string(swap) + good[21:]
	b.Run("org-mistyped", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseToken(bad); err == nil {
				b.Fatal("accepted")
			}
		}
	})
}
