package core

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzParseToken feeds ParseToken arbitrary strings. Whatever the input: it never panics; a
// rejection is an EUNAUTHORIZED *Error with the message its prefix calls for; an accepted token
// has the kind its prefix names, Hash == HashToken(raw), a payload exactly when it is an org
// token, and parses again to the same result; a TokenParser answers the same, the first time
// and from its memory.
//
// Random bytes almost never carry a valid CRC, so on its own the fuzzer would rarely get past
// the checksum. Each input is therefore also tried as an org token payload, base64-encoded and
// sealed with a correct checksum, which sends it through the base64 and JSON decoding.
func FuzzParseToken(f *testing.F) {
	for _, seed := range []string{
		tokenVectorOrg, tokenVectorOrgSpaced, tokenVectorUser, tokenVectorIntegration,
		mustGenerateToken(f, TokenOrg), mustGenerateToken(f, TokenUser), mustGenerateToken(f, TokenIntegration),
		sealOrgToken(tokenB64(`{"iat":1}`)),
		sealOrgToken(tokenB64(`{"iat": 1, "url": "https://x\u00e9", "region_url": null, "org": "a"}`)),
		sealOrgToken(tokenB64(`{"iat": null}`)),
		sealOrgToken(tokenB64(`[]`)),
		sealOrgToken("eyJp_XQiOjF9"),
		sealHexToken("sntryu_", strings.Repeat("A", 56)),
		tokenVectorOrg + "_",
		strings.Replace(tokenVectorOrg, "_", "__", 2),
		"", "sntry", "sntrys_", "sntryu_", "sntryi_", "sntryx_0000",
		"Bearer " + tokenVectorUser,
		tokenVectorUser[7:],
		strings.Repeat("sntrys_", 300),
		"sntrys_\xff\xfe_" + strings.Repeat("/", 43),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		checkParseTokenProps(t, raw)
		checkParseTokenProps(t, sealOrgToken(tokenB64(raw)))
	})
}

// fuzzParser is one TokenParser for the whole run, so that its memory fills and restarts.
var fuzzParser TokenParser

// checkParseTokenProps asserts FuzzParseToken's properties for one input.
func checkParseTokenProps(t *testing.T, raw string) {
	t.Helper()
	pt, err := ParseToken(raw)
	for range 2 {
		mt, merr := fuzzParser.Parse(raw)
		if fmt.Sprint(merr) != fmt.Sprint(err) || mt.Kind != pt.Kind || mt.Hash != pt.Hash ||
			(mt.Payload == nil) != (pt.Payload == nil) || (pt.Payload != nil && *mt.Payload != *pt.Payload) {
			t.Fatalf("TokenParser.Parse(%q) = %+v, %v; ParseToken %+v, %v", raw, mt, merr, pt, err)
		}
	}
	if err != nil {
		e, ok := err.(*Error)
		if !ok || e.Code != EUNAUTHORIZED {
			t.Fatalf("ParseToken(%q) error %#v, want an %s *Error", raw, err, EUNAUTHORIZED)
		}
		want := "Invalid token"
		if strings.HasPrefix(raw, "sntrys_") {
			want = "Invalid org token"
		}
		if e.Message != want {
			t.Fatalf("ParseToken(%q) message %q, want %q", raw, e.Message, want)
		}
		if pt != (ParsedToken{}) {
			t.Fatalf("rejected %q but returned %+v", raw, pt)
		}
		return
	}
	if pt.Hash != HashToken(raw) {
		t.Fatalf("ParseToken(%q).Hash = %s, want HashToken = %s", raw, pt.Hash, HashToken(raw))
	}
	if pt.Kind.Prefix() == "" || !strings.HasPrefix(raw, pt.Kind.Prefix()) {
		t.Fatalf("ParseToken(%q).Kind = %d", raw, pt.Kind)
	}
	if (pt.Kind == TokenOrg) != (pt.Payload != nil) {
		t.Fatalf("ParseToken(%q): kind %d with payload %+v", raw, pt.Kind, pt.Payload)
	}
	// Every accepted token is printable ASCII, so it survives a header or a copy-paste.
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] >= 0x7f {
			t.Fatalf("accepted %q with byte %#02x", raw, raw[i])
		}
	}
	again, err := ParseToken(raw)
	if err != nil || again.Kind != pt.Kind || again.Hash != pt.Hash ||
		(pt.Payload != nil && *again.Payload != *pt.Payload) {
		t.Fatalf("re-parsing %q gave %+v, %v; first %+v", raw, again, err, pt)
	}
}
