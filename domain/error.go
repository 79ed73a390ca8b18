package domain

import (
	"errors"
	"fmt"
)

// Error codes, one per kind of failure a caller can act on. The HTTP adapter
// maps each to one status.
const (
	ECONFLICT     = "conflict"     // the state changed or a key is taken
	EINTERNAL     = "internal"     // a bug or a broken dependency
	EINVALID      = "invalid"      // the input breaks a rule
	ENOTFOUND     = "not_found"    // no such thing (or not visible to the caller)
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	EFORBIDDEN    = "forbidden"    // valid credentials, not allowed
	EPRECONDITION = "precondition" // If-Match did not match
	EUNAVAILABLE  = "unavailable"  // not ready yet; try again
)

// Error is the domain's error: a code for machines, a message for people and,
// for invalid input, the field at fault.
type Error struct {
	Code    string
	Message string
	Field   string
	// Format and Args make Message (fmt.Sprintf): an adapter that speaks
	// another language translates Format, the English text, and formats
	// Args into it.
	Format string
	Args   []any
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf returns an *Error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return fieldErrorf(code, "", format, args...)
}

// FieldError returns an EINVALID *Error naming the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return fieldErrorf(EINVALID, field, format, args...)
}

// fieldErrorf returns an *Error with code, naming field, with a formatted
// message.
func fieldErrorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// ErrorCode returns the code of the first error in err's chain that carries
// one, EINTERNAL for any other error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var coded interface{ Code() string }
	if errors.As(err, &coded) {
		return coded.Code()
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the human message of the first *Error in err's chain,
// or a generic message for errors that must not leak their internals.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	if ErrorCode(err) != EINTERNAL {
		return err.Error()
	}
	return "internal error"
}
