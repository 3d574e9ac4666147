package pbx

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrorCode classifies an error independently of the backend that produced it.
// Use [Code] to read it from any error, or errors.Is with the matching sentinel.
type ErrorCode int

// The error codes. Each has one sentinel error (ErrNotFound for NotFound, ...).
const (
	// Unknown is the code of errors that carry no classification.
	Unknown ErrorCode = iota
	// NotFound: the extension, call, message, room, queue or member does not exist.
	NotFound
	// AlreadyExists: the thing to create exists already.
	AlreadyExists
	// InvalidArgument: the request is malformed (bad syntax, control characters,
	// unknown folder, out-of-range value). Nothing was sent to the PBX.
	InvalidArgument
	// Unsupported: the backend cannot do this; its capability is not declared.
	Unsupported
	// PermissionDenied: the PBX refused the credentials or the privilege.
	PermissionDenied
	// FailedPrecondition: the request is well formed but the PBX is not in a state
	// to honour it (the device is not registered, the client is closed, ...).
	FailedPrecondition
	// Unavailable: the PBX could not be reached, or the connection dropped
	// while the request was in flight. A read may simply be tried again (the
	// client does so a few times). A mutation (originate, hang up, transfer)
	// cut off in flight may or may not have been carried out, as its message
	// says; the client never retries mutations.
	Unavailable
	// ResourceExhausted: a limit was hit (a full queue, a slow event consumer).
	ResourceExhausted
	// Canceled: the caller's context was canceled.
	Canceled
	// DeadlineExceeded: the caller's context deadline passed.
	DeadlineExceeded
	// Internal: the backend or the PBX broke an invariant.
	Internal
)

var codeNames = [...]string{
	Unknown:            "unknown",
	NotFound:           "not found",
	AlreadyExists:      "already exists",
	InvalidArgument:    "invalid argument",
	Unsupported:        "unsupported",
	PermissionDenied:   "permission denied",
	FailedPrecondition: "failed precondition",
	Unavailable:        "unavailable",
	ResourceExhausted:  "resource exhausted",
	Canceled:           "canceled",
	DeadlineExceeded:   "deadline exceeded",
	Internal:           "internal",
}

// String returns the code's name in lower case words, such as "not found".
func (c ErrorCode) String() string {
	if c >= 0 && int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("ErrorCode(%d)", int(c))
}

// The sentinel errors, one per code. Every error returned by a [Client] matches
// exactly one of them with errors.Is (Unknown errors match none).
var (
	ErrNotFound           = &sentinel{NotFound}
	ErrAlreadyExists      = &sentinel{AlreadyExists}
	ErrInvalid            = &sentinel{InvalidArgument}
	ErrUnsupported        = &sentinel{Unsupported}
	ErrPermissionDenied   = &sentinel{PermissionDenied}
	ErrFailedPrecondition = &sentinel{FailedPrecondition}
	ErrUnavailable        = &sentinel{Unavailable}
	ErrResourceExhausted  = &sentinel{ResourceExhausted}
	ErrCanceled           = &sentinel{Canceled}
	ErrDeadlineExceeded   = &sentinel{DeadlineExceeded}
	ErrInternal           = &sentinel{Internal}
)

// ErrClosed is returned by every method of a closed [Client] and by
// [Subscription.Next] once the subscription or its client is closed.
// It matches ErrFailedPrecondition.
var ErrClosed error = &Error{Code: FailedPrecondition, Err: errors.New("closed")}

type sentinel struct{ code ErrorCode }

func (s *sentinel) Error() string { return "pbx: " + s.code.String() }

var sentinels = [...]error{
	NotFound:           ErrNotFound,
	AlreadyExists:      ErrAlreadyExists,
	InvalidArgument:    ErrInvalid,
	Unsupported:        ErrUnsupported,
	PermissionDenied:   ErrPermissionDenied,
	FailedPrecondition: ErrFailedPrecondition,
	Unavailable:        ErrUnavailable,
	ResourceExhausted:  ErrResourceExhausted,
	Canceled:           ErrCanceled,
	DeadlineExceeded:   ErrDeadlineExceeded,
	Internal:           ErrInternal,
}

// Error is the error type returned by [Client] methods. It names the operation
// and the backend, and unwraps both to the backend's own error (reachable with
// errors.As) and to the sentinel of its code (reachable with errors.Is).
//
// Error messages never contain secrets: backends must not put credentials in
// the errors they return.
type Error struct {
	// Code classifies the error.
	Code ErrorCode
	// Op is the operation, such as "Calls.Hangup".
	Op string
	// Backend is the backend's name, such as "asterisk".
	Backend string
	// ID names the object the operation was about, if any.
	ID string
	// Err is the underlying error, possibly nil.
	Err error
}

// Error returns a one-line description: "pbx: asterisk: Calls.Hangup 1700000000.1: not found: No such channel".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("pbx: ")
	if e.Backend != "" {
		b.WriteString(e.Backend)
		b.WriteString(": ")
	}
	if e.Op != "" {
		b.WriteString(e.Op)
		if e.ID != "" {
			b.WriteString(" ")
			b.WriteString(e.ID)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Code.String())
	if e.Err != nil {
		msg := e.Err.Error()
		if msg != "" && msg != e.Code.String() {
			b.WriteString(": ")
			b.WriteString(msg)
		}
	}
	return b.String()
}

// Unwrap returns the underlying error and the sentinel of the code.
func (e *Error) Unwrap() []error {
	errs := make([]error, 0, 2)
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	if s := e.Code.sentinel(); s != nil {
		errs = append(errs, s)
	}
	return errs
}

func (c ErrorCode) sentinel() error {
	if c > 0 && int(c) < len(sentinels) {
		return sentinels[c]
	}
	return nil
}

// Errorf returns an *Error with the given code and a formatted cause. Backends
// use it for errors whose code they know at the point of failure; %w verbs wrap
// as in fmt.Errorf.
func Errorf(code ErrorCode, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Code returns the code of err: the code of the first *Error or sentinel found
// in its chain, Canceled or DeadlineExceeded for context errors, and Unknown
// otherwise (and for nil).
func Code(err error) ErrorCode {
	if err == nil {
		return Unknown
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var s *sentinel
	if errors.As(err, &s) {
		return s.code
	}
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded):
		return DeadlineExceeded
	}
	return Unknown
}

// wrapError wraps a backend error exactly once. It keeps the code an error
// already carries, classifies context errors, and otherwise asks the backend.
func wrapError(b Backend, op, id string, err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok {
		// Already coded (by a backend through Errorf, or by this package): fill in
		// what is missing without wrapping again.
		if e.Op != "" && e.Backend != "" {
			return e
		}
		c := *e
		if c.Op == "" {
			c.Op, c.ID = op, id
		}
		if c.Backend == "" {
			c.Backend = b.Name()
		}
		return &c
	}
	code := Code(err)
	if code == Unknown {
		code = b.ErrorCode(err)
	}
	return &Error{Code: code, Op: op, Backend: b.Name(), ID: id, Err: err}
}
