package core

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file is the one validator for human-readable text that people type and others read:
// token, integration, organization, team and project names, display names, and the
// integration overview. Each of those reaches other people's screens and emails, so each
// must be valid UTF-8 and free of characters that change what the reader sees: control
// characters (a line break forges lines in a plain-text email) and the Unicode bidi controls
// (U+202E turns "Acme Corp" into "proC emcA" in a subject line).

// TextField describes one human-readable field: how it is named in messages and in form and
// API errors, how long it may be, and whether it may be blank or span lines.
type TextField struct {
	// Key is the form and API field the error is reported under ("name", "overview").
	Key string
	// Label names the field in messages: "The <label> cannot be blank."
	Label string
	// MaxRunes is the longest value accepted, in characters (runes), after trimming.
	MaxRunes int
	// Required fields may not be blank.
	Required bool
	// Multiline fields (textareas) may hold line breaks (LF, CR) and tabs; nothing else in
	// the control ranges.
	Multiline bool
}

// The limits of each human-readable field. The messages come from these, so the screens and
// the API say the same thing.
var (
	// TokenNameField is an org or user token's name; org tokens require one (ValidateTokenName).
	TokenNameField = TextField{Key: "name", Label: "name", MaxRunes: MaxTokenNameLength}
	// IntegrationNameField is an internal integration's name (Sentry's limit).
	IntegrationNameField = TextField{Key: "name", Label: "name", MaxRunes: MaxIntegrationNameLength, Required: true}
	// IntegrationOverviewField is an internal integration's free-text description.
	IntegrationOverviewField = TextField{Key: "overview", Label: "overview", MaxRunes: maxIntegrationOverview, Multiline: true}
	// OrgNameField is an organization's display name.
	OrgNameField = TextField{Key: "name", Label: "name", MaxRunes: 64, Required: true}
	// TeamNameField and ProjectNameField are team and project display names.
	TeamNameField    = TextField{Key: "name", Label: "name", MaxRunes: 64, Required: true}
	ProjectNameField = TextField{Key: "name", Label: "name", MaxRunes: 64, Required: true}
	// UserNameField is a person's display name; it may be blank.
	UserNameField = TextField{Key: "name", Label: "name", MaxRunes: 200}
)

// Check trims s and returns it with "" when acceptable, or with a message saying what is
// wrong, ready to show next to the field. The text comes back trimmed either way, so a form
// can be shown again with what was typed.
func (f TextField) Check(s string) (string, string) {
	if !utf8.ValidString(s) {
		return s, "The " + f.Label + " contains bytes that are not valid UTF-8 text."
	}
	s = strings.TrimSpace(s)
	switch {
	case s == "" && f.Required:
		return s, "The " + f.Label + " cannot be blank."
	case utf8.RuneCountInString(s) > f.MaxRunes:
		return s, "The " + f.Label + " cannot be longer than " + strconv.Itoa(f.MaxRunes) + " characters."
	}
	for _, r := range s {
		switch {
		case f.Multiline && (r == '\n' || r == '\r' || r == '\t'):
		case IsControlCharacter(r):
			if f.Multiline {
				return s, "The " + f.Label + " cannot contain control characters."
			}
			return s, "The " + f.Label + " cannot contain control characters such as line breaks."
		case IsBidiControl(r):
			return s, "The " + f.Label + " cannot contain characters that change the text direction."
		}
	}
	return s, ""
}

// Validate is Check returning the problem as a field error (EINVALID) under the field's key,
// and "" with it.
func (f TextField) Validate(s string) (string, error) {
	s, msg := f.Check(s)
	if msg != "" {
		return "", FieldError(f.Key, msg)
	}
	return s, nil
}

// IsControlCharacter reports whether r is a C0 or C1 control character (U+0085 included),
// DEL, or one of the Unicode line and paragraph separators, which display as line breaks.
func IsControlCharacter(r rune) bool {
	return r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u2028' || r == '\u2029'
}

// IsBidiControl reports whether r is a Unicode bidirectional formatting character: the
// embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, and the marks U+200E,
// U+200F and U+061C. None belongs in a name, and they can make text display reversed.
func IsBidiControl(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// OneLine makes stored text safe to print on one line, as in an email subject or a
// plain-text body: invalid UTF-8 becomes U+FFFD, control characters become spaces, bidi
// controls are dropped, and the result is trimmed. Validation keeps all of these out of new
// names; this also covers values stored before it did.
func OneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case IsControlCharacter(r):
			return ' '
		case IsBidiControl(r):
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
