package core

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tokenboard/tokenboard/internal/memo"
)

// This file holds the three token formats (SPEC §2). Everything here is pure: generating a
// token only needs randomness and the clock, parsing one only needs the string, so the API
// layer can reject a malformed or mistyped token before it costs a database lookup.
//
// Formats:
//
//	org          sntrys_ + base64(payload JSON) + "_" + 37 random base64 chars + 6 checksum chars
//	user         sntryu_ + 56 random lowercase hex + 8 checksum hex
//	integration  sntryi_ + 56 random lowercase hex + 8 checksum hex
//
// The checksum [beyond Sentry] is the CRC-32 (IEEE, as in zlib.crc32 and hash/crc32) of every
// byte of the token before it, prefix included:
//
//   - hex tokens: the CRC as 8 lowercase hex digits, most significant first ("%08x");
//   - org tokens: the CRC's 4 bytes, big-endian, in standard base64 with the "==" padding
//     dropped: 6 characters, the last of which carries 2 bits of CRC and 4 zero bits (so it is
//     always one of A, Q, g, w). In Python:
//     base64.b64encode(zlib.crc32(body).to_bytes(4, "big"))[:6].
//
// A CRC is not a secret and proves nothing about who made the token: it only lets us (and
// secret scanners) tell a real token from a typo offline. It detects every single-character
// substitution and every swap of two adjacent characters, which the tests check exhaustively.

// TokenKind tells the three kinds of tokens apart by prefix.
type TokenKind uint8

// The token kinds. The zero value is deliberately not a kind, so a ParsedToken or a row whose
// kind was never set is never mistaken for an org token.
const (
	// TokenOrg is an organization auth token ("sntrys_"), for CI and sentry-cli.
	TokenOrg TokenKind = iota + 1
	// TokenUser is a user auth token ("sntryu_").
	TokenUser
	// TokenIntegration is an internal integration token ("sntryi_"); Sentry issues these
	// unprefixed, tokenboard prefixes them so they can be told apart and scanned for.
	TokenIntegration
)

const (
	tokenPrefixOrg         = "sntrys_"
	tokenPrefixUser        = "sntryu_"
	tokenPrefixIntegration = "sntryi_"

	// All three prefixes are "sntry" + one letter + "_", which lets ParseToken pick the kind
	// from a single byte.
	tokenPrefixLen = 7

	tokenHexDigits   = 64                              // hex characters after the prefix
	tokenHexRandom   = 56                              // of which random (28 bytes)
	tokenHexTotalLen = tokenPrefixLen + tokenHexDigits // a hex token is exactly this long

	orgTokenSecretLen   = 43 // unpadded base64 of 32 bytes, as Sentry's secret
	orgTokenChecksumLen = 6  // 32 CRC bits in 6-bit base64 digits
	orgTokenRandomLen   = orgTokenSecretLen - orgTokenChecksumLen

	// The shortest payload is one base64 quantum (4 chars), which can't even hold {"iat":0}
	// but keeps the length test trivially safe before slicing.
	orgTokenMinLen = tokenPrefixLen + 4 + 1 + orgTokenSecretLen
	// An upper bound keeps a hostile Authorization header from costing a large base64 and
	// JSON decode. 2 KiB leaves room for base URLs of several hundred characters; tokens this
	// long would not be recognised by secret scanners anyway (see GenerateOrgToken).
	orgTokenMaxLen = 2048

	// Sentry's 401 messages for a token that is not even well-formed.
	msgInvalidOrgToken = "Invalid org token"
	msgInvalidToken    = "Invalid token"
)

// Prefix returns the string every token of the kind starts with, or "" for an unknown kind.
func (k TokenKind) Prefix() string {
	switch k {
	case TokenOrg:
		return tokenPrefixOrg
	case TokenUser:
		return tokenPrefixUser
	case TokenIntegration:
		return tokenPrefixIntegration
	}
	return ""
}

// ActorName names a token that acts without a user (org and integration tokens) in the audit
// log, where a user's email would otherwise appear.
func (k TokenKind) ActorName() string {
	switch k {
	case TokenOrg:
		return "org auth token"
	case TokenUser:
		return "user auth token"
	case TokenIntegration:
		return "internal integration"
	}
	return "token"
}

// OrgTokenPayload is the JSON inside an org token. sentry-cli reads URL and Org from it, which
// is why a token alone is enough to point sentry-cli at this server. IAT is Unix seconds.
type OrgTokenPayload struct {
	IAT       float64 `json:"iat"`
	URL       string  `json:"url"`
	RegionURL string  `json:"region_url"`
	Org       string  `json:"org"`
}

// GenerateOrgToken mints a new org auth token for the organization orgSlug on the server at
// baseURL (written verbatim into both "url" and "region_url": tokenboard has one region).
//
// The payload is written as SPEC §2 asks: byte for byte what Sentry's json.dumps writes, with
// compact separators, and "iat" is now to the microsecond. Compact JSON is also what gitleaks'
// sentry-org-token pattern was written for: `,"region_url":` is spelled by one of its three
// markers at every base64 alignment, so every token is visible to scanners without adjusting
// the iat. Base URLs longer than about 110 characters exceed that pattern's length limits;
// such tokens still work here.
func GenerateOrgToken(baseURL, orgSlug string, now time.Time) (string, error) {
	var secret [32]byte
	if _, err := rand.Read(secret[:]); err != nil {
		return "", fmt.Errorf("generate org token: %w", err)
	}
	return buildOrgToken(baseURL, orgSlug, now, &secret)
}

// buildOrgToken is GenerateOrgToken with the randomness passed in, so tests can pin a vector.
func buildOrgToken(baseURL, orgSlug string, now time.Time, secret *[32]byte) (string, error) {
	// Python's datetime.timestamp() is exactly this: integer microseconds divided by 10⁶,
	// correctly rounded.
	iat := float64(now.UnixMicro()) / 1e6
	payload := orgTokenPayloadJSON(iat, baseURL, baseURL, orgSlug)
	// Sentry's secret is base64 of 32 random bytes, unpadded (43 chars); the checksum takes
	// the place of its last 6 characters so the token keeps Sentry's length and alphabet.
	var random [44]byte
	base64.StdEncoding.Encode(random[:], secret[:])

	buf := make([]byte, 0, tokenPrefixLen+base64.StdEncoding.EncodedLen(len(payload))+1+orgTokenSecretLen)
	buf = append(buf, tokenPrefixOrg...)
	buf = base64.StdEncoding.AppendEncode(buf, payload)
	buf = append(buf, '_')
	buf = append(buf, random[:orgTokenRandomLen]...)
	buf = appendOrgTokenChecksum(buf, tokenCRC(string(buf)))
	if len(buf) > orgTokenMaxLen {
		// ParseToken would refuse it: better to say so now than to show a dead token once.
		return "", Errorf(EINVALID, "The server URL and organization slug are too long for an org token.")
	}
	return string(buf), nil
}

// orgTokenPayloadJSON writes the payload exactly as Sentry's json.dumps (a simplejson encoder
// with separators=(",", ":")) writes the dict
// {"iat": iat, "url": url, "region_url": regionURL, "org": org}: keys in that order, no
// spaces, floats as repr(), strings ASCII-only. It is written by hand because encoding/json
// escapes differently and orders struct fields only by declaration.
//
// Tokens issued before this was corrected carry Python's default ", " and ": " separators;
// ParseToken reads the payload as JSON, so both spellings keep working.
func orgTokenPayloadJSON(iat float64, url, regionURL, org string) []byte {
	b := make([]byte, 0, 64+len(url)+len(regionURL)+len(org))
	b = append(b, `{"iat":`...)
	b = appendPyFloat(b, iat)
	b = append(b, `,"url":`...)
	b = appendPyJSONString(b, url)
	b = append(b, `,"region_url":`...)
	b = appendPyJSONString(b, regionURL)
	b = append(b, `,"org":`...)
	b = appendPyJSONString(b, org)
	return append(b, '}')
}

// appendPyFloat appends f as Python's float repr (which json.dumps uses): the shortest digits
// that read back as f, in positional notation when the decimal exponent is within [-4, 16)
// and with ".0" added to whole numbers, otherwise in exponent notation ("1e+16", "1.5e-05"),
// which Go's 'e' format already spells the Python way.
func appendPyFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(b, "-0.0"...)
		}
		return append(b, "0.0"...)
	}
	if a := math.Abs(f); a < 1e-4 || a >= 1e16 {
		return strconv.AppendFloat(b, f, 'e', -1, 64)
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, 'f', -1, 64)
	for _, c := range b[start:] {
		if c == '.' {
			return b
		}
	}
	return append(b, ".0"...)
}

// appendPyJSONString appends s as a JSON string the way json.dumps does with its default
// ensure_ascii=True: `"` and `\` escaped, \b \f \n \r \t short, every other byte outside
// printable ASCII (0x20–0x7e) as \u00XX, non-ASCII runes as \uXXXX (UTF-16 surrogate pairs
// above U+FFFF), lowercase hex. A Python str can't hold invalid UTF-8; each such byte is
// written as U+FFFD, as a Go range loop reads it.
func appendPyJSONString(b []byte, s string) []byte {
	const digits = "0123456789abcdef"
	u4 := func(b []byte, r rune) []byte {
		return append(b, '\\', 'u', digits[r>>12&15], digits[r>>8&15], digits[r>>4&15], digits[r&15])
	}
	b = append(b, '"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case r == '\b':
			b = append(b, '\\', 'b')
		case r == '\f':
			b = append(b, '\\', 'f')
		case r == '\n':
			b = append(b, '\\', 'n')
		case r == '\r':
			b = append(b, '\\', 'r')
		case r == '\t':
			b = append(b, '\\', 't')
		case r >= 0x20 && r <= 0x7e:
			b = append(b, byte(r))
		case r > 0xffff:
			r -= 0x10000
			b = u4(b, 0xd800+r>>10)
			b = u4(b, 0xdc00+r&0x3ff)
		default:
			b = u4(b, r)
		}
	}
	return append(b, '"')
}

// GenerateUserToken mints a new user auth token: "sntryu_" + 64 lowercase hex, the last 8 of
// them a checksum.
func GenerateUserToken() (string, error) {
	return generateHexToken(tokenPrefixUser)
}

// GenerateIntegrationToken mints a new internal integration token: "sntryi_" + 64 lowercase
// hex, the last 8 of them a checksum.
func GenerateIntegrationToken() (string, error) {
	return generateHexToken(tokenPrefixIntegration)
}

func generateHexToken(prefix string) (string, error) {
	var random [tokenHexRandom / 2]byte
	if _, err := rand.Read(random[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return buildHexToken(prefix, &random), nil
}

// buildHexToken is generateHexToken with the randomness passed in, for test vectors.
func buildHexToken(prefix string, random *[tokenHexRandom / 2]byte) string {
	buf := make([]byte, 0, tokenHexTotalLen)
	buf = append(buf, prefix...)
	buf = hex.AppendEncode(buf, random[:])
	crc := tokenCRC(string(buf))
	buf = hex.AppendEncode(buf, []byte{byte(crc >> 24), byte(crc >> 16), byte(crc >> 8), byte(crc)})
	return string(buf)
}

// ParsedToken is a token whose shape and checksum are valid. Nothing here touches a database.
type ParsedToken struct {
	Kind TokenKind
	// Hash is HashToken(raw): the only form of the token that is stored, and the lookup key.
	Hash string
	// Payload is the decoded JSON of an org token; nil for the other kinds.
	Payload *OrgTokenPayload
}

// ParseToken checks that raw is a well-formed tokenboard token of one of the three kinds, with
// a matching checksum, and returns its kind, hash and (for org tokens) payload. It does not say
// whether the token exists: that is the store's job, by Hash.
//
// Anything else is an EUNAUTHORIZED *Error with Sentry's 401 message: "Invalid org token" when
// raw starts with "sntrys_", "Invalid token" otherwise (unprefixed strings included).
//
// It runs on every API request, so it rejects by length, prefix and alphabet before computing
// anything and checks the checksum before decoding anything. A user or integration token costs
// one allocation (the hash string); an org token also pays for decoding its payload, most of
// it inside encoding/json.
func ParseToken(raw string) (ParsedToken, error) {
	// "sntry" + kind letter + "_": one comparison of the common part, then one byte.
	if len(raw) < tokenPrefixLen || raw[:5] != "sntry" || raw[6] != '_' {
		return ParsedToken{}, invalidToken(raw)
	}
	var kind TokenKind
	switch raw[5] {
	case 's':
		return parseOrgToken(raw)
	case 'u':
		kind = TokenUser
	case 'i':
		kind = TokenIntegration
	default:
		return ParsedToken{}, invalidToken(raw)
	}
	if len(raw) != tokenHexTotalLen {
		return ParsedToken{}, invalidToken(raw)
	}
	// Lowercase hex only: scanners look for [a-f0-9]{64}, and one spelling per token means one
	// hash per token.
	var sum uint32
	for i := tokenPrefixLen; i < len(raw); i++ {
		c := raw[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return ParsedToken{}, invalidToken(raw)
		}
		// Only the last 8 digits build the checksum; shifting the earlier ones out of the
		// uint32 costs less than a branch.
		sum = sum<<4 | uint32(v)
	}
	if sum != tokenCRC(raw[:tokenHexTotalLen-8]) {
		return ParsedToken{}, invalidToken(raw)
	}
	return ParsedToken{Kind: kind, Hash: HashToken(raw)}, nil
}

// parseOrgToken is ParseToken for a string known to start with "sntrys_".
func parseOrgToken(raw string) (ParsedToken, error) {
	if err := checkOrgToken(raw); err != nil {
		return ParsedToken{}, err
	}
	p, err := decodeOrgTokenPayload(raw)
	if err != nil {
		return ParsedToken{}, err
	}
	return ParsedToken{Kind: TokenOrg, Hash: HashToken(raw), Payload: p}, nil
}

// checkOrgToken checks an org token's length, alphabet and checksum: everything but decoding
// its payload.
func checkOrgToken(raw string) error {
	n := len(raw)
	if n < orgTokenMinLen || n > orgTokenMaxLen {
		return invalidOrgToken()
	}
	// Neither base64 part can hold '_', so the one separator Sentry allows after the prefix is
	// exactly 43 characters from the end; a stray '_' anywhere else fails the alphabet tests.
	sep := n - orgTokenSecretLen - 1
	if raw[sep] != '_' {
		return invalidOrgToken()
	}
	for i := sep + 1; i < n; i++ {
		if !tokenBase64Char[raw[i]] {
			return invalidOrgToken()
		}
	}
	if !validPaddedBase64(raw[tokenPrefixLen:sep]) {
		return invalidOrgToken()
	}
	var want [orgTokenChecksumLen]byte
	appendOrgTokenChecksum(want[:0], tokenCRC(raw[:n-orgTokenChecksumLen]))
	if raw[n-orgTokenChecksumLen:] != string(want[:]) {
		return invalidOrgToken()
	}
	return nil
}

// decodeOrgTokenPayload decodes the payload of an org token that checkOrgToken accepted.
func decodeOrgTokenPayload(raw string) (*OrgTokenPayload, error) {
	payload := raw[tokenPrefixLen : len(raw)-orgTokenSecretLen-1]
	// Strict: the payload has one spelling (no stray bits in the last character), as it
	// has one hash.
	js := make([]byte, base64.StdEncoding.DecodedLen(len(payload)))
	m, err := tokenStrictBase64.Decode(js, []byte(payload))
	if err != nil {
		return nil, invalidOrgToken()
	}
	js = js[:m]
	// Sentry decodes the payload as ASCII and json.dumps writes nothing else.
	for _, c := range js {
		if c >= utf8.RuneSelf {
			return nil, invalidOrgToken()
		}
	}
	// JSON has no NaN, so an iat still NaN after decoding was missing or null: cheaper than a
	// *float64 and just as exact. A non-numeric iat, or anything but an object, is an error.
	p := &OrgTokenPayload{IAT: math.NaN()}
	if err := json.Unmarshal(js, p); err != nil || math.IsNaN(p.IAT) {
		return nil, invalidOrgToken()
	}
	return p, nil
}

// TokenParser is ParseToken for a server: it remembers, by hash, the payloads of the org
// tokens it has decoded, so that a token presented again skips decoding its JSON (most of an
// org token's parsing cost, and every CI job presents the same token on every request). The
// answer is ParseToken's: equal hashes are equal tokens, and a payload decodes the same every
// time. Only tokens that parsed are remembered, by hash, never in plaintext; the memory is
// bounded (full, it starts again). The zero value is ready to use; it is safe for concurrent
// use.
type TokenParser struct {
	payloads memo.Bounded[string, *OrgTokenPayload]
}

// tokenParserMemory bounds the payloads a TokenParser keeps: more live org tokens in use at
// once than this only costs their decoding again.
const tokenParserMemory = 4096

// Parse is ParseToken, decoding an org token's payload only the first time its hash is seen.
// The payload returned is shared: callers must not modify it.
func (tp *TokenParser) Parse(raw string) (ParsedToken, error) {
	if len(raw) < tokenPrefixLen || raw[:tokenPrefixLen] != tokenPrefixOrg {
		return ParseToken(raw)
	}
	if err := checkOrgToken(raw); err != nil {
		return ParsedToken{}, err
	}
	hash := HashToken(raw)
	p, ok := tp.payloads.Get(hash)
	if !ok {
		var err error
		if p, err = decodeOrgTokenPayload(raw); err != nil {
			return ParsedToken{}, err
		}
		tp.payloads.Put(hash, p, tokenParserMemory)
	}
	return ParsedToken{Kind: TokenOrg, Hash: hash, Payload: p}, nil
}

// validPaddedBase64 reports whether s is standard-alphabet base64 in whole 4-character groups,
// with at most two '=' and only at the end. encoding/base64 skips CR and LF, so this check is
// also what keeps those out.
func validPaddedBase64(s string) bool {
	if len(s) == 0 || len(s)%4 != 0 {
		return false
	}
	end := len(s)
	for k := 0; k < 2 && s[end-1] == '='; k++ {
		end--
	}
	for i := 0; i < end; i++ {
		if !tokenBase64Char[s[i]] {
			return false
		}
	}
	return true
}

// tokenBase64Char is the standard base64 alphabet (no '=').
var tokenBase64Char = func() (t [256]bool) {
	for _, c := range tokenBase64Alphabet {
		t[c] = true
	}
	return t
}()

const tokenBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

// tokenStrictBase64 is built once: Strict returns a fresh *Encoding on every call.
var tokenStrictBase64 = base64.StdEncoding.Strict()

// appendOrgTokenChecksum appends crc in the org token's 6-character form: crc<<4 as six 6-bit
// base64 digits, most significant first, which is the same as base64 of its 4 big-endian bytes
// without the padding.
func appendOrgTokenChecksum(b []byte, crc uint32) []byte {
	v := uint64(crc) << 4
	for shift := 30; shift >= 0; shift -= 6 {
		b = append(b, tokenBase64Alphabet[v>>shift&63])
	}
	return b
}

// tokenCRC is crc32.ChecksumIEEE(s) without converting s to a []byte: hash/crc32 dispatches
// through a function variable, so the conversion would escape and cost an allocation on every
// parse. It uses the slicing-by-8 method (as hash/crc32 does without CPU support), which is
// several times faster than a byte at a time on token-sized strings.
func tokenCRC(s string) uint32 {
	tab := &tokenCRCTables
	crc := ^uint32(0)
	for ; len(s) >= 8; s = s[8:] {
		crc ^= uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
		crc = tab[0][s[7]] ^ tab[1][s[6]] ^ tab[2][s[5]] ^ tab[3][s[4]] ^
			tab[4][crc>>24] ^ tab[5][crc>>16&0xff] ^ tab[6][crc>>8&0xff] ^ tab[7][crc&0xff]
	}
	for i := 0; i < len(s); i++ {
		crc = tab[0][byte(crc)^s[i]] ^ crc>>8
	}
	return ^crc
}

// tokenCRCTables[k][b] is the CRC-32 (IEEE) register update for byte b followed by k zero
// bytes: tokenCRC consumes 8 bytes per step with one lookup each.
var tokenCRCTables = func() (t [8][256]uint32) {
	t[0] = *crc32.IEEETable
	for i := range 256 {
		crc := t[0][i]
		for k := 1; k < 8; k++ {
			crc = t[0][crc&0xff] ^ crc>>8
			t[k][i] = crc
		}
	}
	return t
}()

func invalidToken(raw string) *Error {
	if len(raw) >= tokenPrefixLen && raw[:tokenPrefixLen] == tokenPrefixOrg {
		return invalidOrgToken()
	}
	return &Error{Code: EUNAUTHORIZED, Message: msgInvalidToken}
}

// invalidOrgToken allocates a fresh *Error each time: a shared one could be changed by a caller.
func invalidOrgToken() *Error {
	return &Error{Code: EUNAUTHORIZED, Message: msgInvalidOrgToken}
}

// HashToken returns the lowercase hex SHA-256 of the full token string, prefix included: the
// only form of a token that is ever stored (SPEC §2), and the key it is looked up by.
func HashToken(raw string) string {
	// []byte(raw) would be a heap copy on every request (the compiler only stack-allocates
	// conversions of up to 32 bytes); a stack buffer covers every hex token and the org tokens
	// of any reasonable base URL.
	var buf [512]byte
	var sum [sha256.Size]byte
	if len(raw) <= len(buf) {
		sum = sha256.Sum256(buf[:copy(buf[:], raw)])
	} else {
		sum = sha256.Sum256([]byte(raw))
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// TokenLastChars returns the last 4 characters of raw (all of it when shorter), which are
// stored next to the hash so lists can show a recognisable mask. Tokens are ASCII; for other
// strings it counts runes so it never cuts one in half.
func TokenLastChars(raw string) string {
	i := len(raw)
	for n := 0; n < 4 && i > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(raw[:i])
		i -= size
	}
	return raw[i:]
}

// MaskToken returns how a stored token is displayed: 12 stars and its last 4 characters, with
// the kind's prefix in front when withPrefix (the org token list shows "sntrys_************AbC1",
// other screens show no prefix).
func MaskToken(kind TokenKind, last4 string, withPrefix bool) string {
	const stars = "************"
	if withPrefix {
		return kind.Prefix() + stars + last4
	}
	return stars + last4
}
