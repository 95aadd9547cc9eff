package core

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Every human-readable field, with the input an audit found accepted by one field and not
// another (issue 10 item 6): each field now refuses all of them, with the same message.
var textFields = map[string]TextField{
	"token name":           TokenNameField,
	"integration name":     IntegrationNameField,
	"integration overview": IntegrationOverviewField,
	"org name":             OrgNameField,
	"team name":            TeamNameField,
	"project name":         ProjectNameField,
	"user name":            UserNameField,
}

func TestTextFieldRefusesWhatNoNameMayHold(t *testing.T) {
	for _, tc := range []struct {
		in, msg string
		// multiline fields (the overview) accept line breaks and tabs.
		okMultiline bool
	}{
		{"a\x00b", "cannot contain control characters", false},
		{"a\r\nb", "cannot contain control characters", true},
		{"a\nb", "cannot contain control characters", true},
		{"a\tb", "cannot contain control characters", true},
		{"a\u0085b", "cannot contain control characters", false},
		{"a\x7fb", "cannot contain control characters", false},
		{"a\u009bb", "cannot contain control characters", false},
		{"a\u2028b", "cannot contain control characters", false},
		{"Join \u202eproC emcA", "cannot contain characters that change the text direction.", false},
		{"a\u202ab", "cannot contain characters that change the text direction.", false},
		{"a\u2066b\u2069", "cannot contain characters that change the text direction.", false},
		{"a\u200fb", "cannot contain characters that change the text direction.", false},
		{"a\xffb", "contains bytes that are not valid UTF-8 text.", false},
		{"\xed\xa0\x80", "contains bytes that are not valid UTF-8 text.", false}, // a surrogate
	} {
		for label, f := range textFields {
			got, err := f.Validate(tc.in)
			if f.Multiline && tc.okMultiline {
				if err != nil {
					t.Errorf("%s: Validate(%q) = %v, want accepted", label, tc.in, err)
				}
				continue
			}
			if ErrorCode(err) != EINVALID || got != "" {
				t.Errorf("%s: Validate(%q) = %q, %v, want EINVALID", label, tc.in, got, err)
				continue
			}
			msg := ErrorFields(err)[f.Key]
			if !strings.HasPrefix(msg, "The "+f.Label+" ") || !strings.Contains(msg, tc.msg) || ErrorMessage(err) != msg {
				t.Errorf("%s: Validate(%q) message %q (error %q), want it to say %q", label, tc.in, msg, ErrorMessage(err), tc.msg)
			}
		}
	}
}

func TestTextFieldTrimsAndLimits(t *testing.T) {
	for label, f := range textFields {
		if got, err := f.Validate("  Acme Corp\u00a0\n"); err != nil || got != "Acme Corp" {
			t.Errorf("%s: Validate(padded) = %q, %v", label, got, err)
		}
		// Limits count characters, not bytes: é is two bytes.
		if got, err := f.Validate(strings.Repeat("é", f.MaxRunes)); err != nil || utf8.RuneCountInString(got) != f.MaxRunes {
			t.Errorf("%s: Validate(%d × é) = %v", label, f.MaxRunes, err)
		}
		_, err := f.Validate(strings.Repeat("é", f.MaxRunes+1))
		if want := "cannot be longer than"; !strings.Contains(ErrorMessage(err), want) {
			t.Errorf("%s: Validate(%d × é) = %v, want %q", label, f.MaxRunes+1, err, want)
		}
		_, err = f.Validate(" \t ")
		switch {
		case f.Required && ErrorMessage(err) != "The "+f.Label+" cannot be blank.":
			t.Errorf("%s: blank gave %v", label, err)
		case !f.Required && err != nil:
			t.Errorf("%s: blank gave %v, want accepted", label, err)
		}
	}
}

// The token-name messages the screens have always shown are kept word for word.
func TestTokenNameMessagesUnchanged(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "The name cannot be blank.",
		strings.Repeat("x", 256): "The name cannot be longer than 255 characters.",
		"a\nb":                   "The name cannot contain control characters such as line breaks.",
	} {
		if _, err := ValidateTokenName(in, true); ErrorMessage(err) != want || ErrorFields(err)["name"] != want {
			t.Errorf("ValidateTokenName(%q) = %v, want %q", in, err, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"Acme Corp":                       "Acme Corp",
		"\u202eproC emcA\u202c":           "proC emcA",
		" a\r\nBcc: b\u0085 ":             "a  Bcc: b",
		"a\xffb":                          "a\ufffdb",
		"\u2067x\u2069\u200e\u200f\u061c": "x",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzTextField checks the one promise every field makes: whatever it accepts is valid
// UTF-8, trimmed, within the field's length, and free of control characters (bar the line
// breaks and tabs a multiline field allows) and bidi controls. The seed corpus in
// testdata/fuzz/FuzzTextField runs as an ordinary test.
func FuzzTextField(f *testing.F) {
	for _, seed := range []string{"Acme Corp", " ci-upload ", "a\u202eb", "a\x00b", "\u0085x\u0085", "é"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for label, field := range textFields {
			out, msg := field.Check(in)
			valid, err := field.Validate(in)
			if (msg == "") != (err == nil) {
				t.Fatalf("%s: Check and Validate disagree on %q: %q vs %v", label, in, msg, err)
			}
			if err != nil {
				if ErrorCode(err) != EINVALID || ErrorFields(err)[field.Key] != msg || valid != "" {
					t.Fatalf("%s: Validate(%q) = %q, %v", label, in, valid, err)
				}
				continue
			}
			if valid != out {
				t.Fatalf("%s: Check(%q) = %q but Validate = %q", label, in, out, valid)
			}
			if !utf8.ValidString(out) {
				t.Fatalf("%s: accepted invalid UTF-8 %q", label, out)
			}
			if strings.TrimSpace(out) != out {
				t.Fatalf("%s: accepted untrimmed %q", label, out)
			}
			if n := utf8.RuneCountInString(out); n > field.MaxRunes {
				t.Fatalf("%s: accepted %d characters, limit %d", label, n, field.MaxRunes)
			}
			if field.Required && out == "" {
				t.Fatalf("%s: accepted blank from %q", label, in)
			}
			for _, r := range out {
				if field.Multiline && (r == '\n' || r == '\r' || r == '\t') {
					continue
				}
				if r < 0x20 || r >= 0x7f && r < 0xa0 || r == 0x2028 || r == 0x2029 ||
					r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
					t.Fatalf("%s: accepted %U in %q", label, r, out)
				}
			}
			if OneLine(out) != out && !field.Multiline {
				t.Fatalf("%s: accepted %q, which OneLine changes", label, out)
			}
		}
	})
}
