package core

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Error codes. Every error that reaches a user carries one of these; the web layer maps each
// to an HTTP status in a single table.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EFORBIDDEN    = "forbidden"
	EUNAUTHORIZED = "unauthorized"
	ECONFLICT     = "conflict"
	// EUNAVAILABLE is a request the server could not serve now but may later, such as a
	// write that could not get its turn in time: the client should retry.
	EUNAVAILABLE = "unavailable"
	EINTERNAL    = "internal"
)

// Error is the one error type of the domain. Message is safe to show to the person who made
// the request; Fields carries per-field validation messages for forms and API bodies.
type Error struct {
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string {
	if len(e.Fields) > 0 {
		return fmt.Sprintf("%s: %s %v", e.Code, e.Message, e.Fields)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError is a validation error on a single field; the message is also the error's.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Message: message, Fields: map[string]string{field: message}}
}

// ErrorCode returns the code of err, EINTERNAL for anything that is not an *Error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of err; unexpected errors never leak their cause.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorFields returns the per-field messages of a validation error, or nil.
func ErrorFields(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// ErrorText returns err as one line for a console: the field messages when there are any
// (sorted by field), the user-facing message otherwise.
func ErrorText(err error) string {
	fields := ErrorFields(err)
	if len(fields) == 0 {
		return ErrorMessage(err)
	}
	parts := make([]string, 0, len(fields))
	for f, msg := range fields {
		parts = append(parts, f+": "+msg)
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}
