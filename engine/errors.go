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

// Error is an error with a code and a message meant for the user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
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
	File   string // plan file, "" when the entity came from the database
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Path   string // JSON pointer inside the file, e.g. /objectives/2/parent
	Key    string // the entity's key, when it has one
	Msg    string // what is wrong and what to do
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
