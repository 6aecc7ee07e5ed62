package engine

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. Callers map them to exit codes and HTTP statuses in one place.
const (
	EINVALID  = "invalid"   // the input is wrong; the user can fix it
	ENOTFOUND = "not_found" // a named entity does not exist
	ECONFLICT = "conflict"  // the request contradicts stored state
	EINTERNAL = "internal"  // a bug or an environment failure
)

// Error is an error with a code and a message meant for the user. It names
// no front end's commands or flags: front ends add their own hints, keyed by
// Code and Subject.
type Error struct {
	Code    string
	Message string
	// Subject is the kind of thing a not-found error is about: an entity
	// kind, or "audit_run", "waiver", "token", "rule", "period".
	Subject string
	// Err is the cause, when there is one.
	Err error
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message; a %w
// verb makes its operand the cause.
func Errorf(code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	e := &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		e.Err = errors.Join(multi.Unwrap()...)
	}
	return e
}

// NotFound returns an ENOTFOUND *Error about subject.
func NotFound(subject, format string, args ...any) *Error {
	e := Errorf(ENOTFOUND, format, args...)
	e.Subject = subject
	return e
}

// ErrorSubject returns the Subject of the first *Error in err's chain.
func ErrorSubject(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Subject
	}
	return ""
}

// ErrorCode returns the code of the first *Error or Problems in err's chain,
// EINTERNAL for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var p Problems
	if errors.As(err, &p) {
		return EINVALID
	}
	return EINTERNAL
}

// Problem is one thing wrong with a plan, located as precisely as known.
type Problem struct {
	File   string `json:"file,omitempty"`   // plan file, "" when the entity came from the database
	Line   int    `json:"line,omitempty"`   // 1-based; 0 when unknown
	Column int    `json:"column,omitempty"` // 1-based; 0 when unknown
	Path   string `json:"path,omitempty"`   // JSON pointer inside the file, e.g. /objectives/2/parent
	Key    string `json:"key,omitempty"`    // the entity's key, when it has one
	Msg    string `json:"message"`          // what is wrong and what to do
}

func (p Problem) String() string {
	var b strings.Builder
	switch {
	case p.File != "" && p.Line > 0 && p.Column > 0:
		fmt.Fprintf(&b, "%s:%d:%d: ", p.File, p.Line, p.Column)
	case p.File != "" && p.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", p.File, p.Line)
	case p.File != "":
		fmt.Fprintf(&b, "%s: ", p.File)
	}
	if p.Key != "" {
		fmt.Fprintf(&b, "%s: ", p.Key)
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is a list of plan problems; as an error it reports all of them.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Err returns ps as an error, or nil when it is empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
