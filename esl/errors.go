package esl

import (
	"strings"

	"github.com/pbxkit/pbxkit/internal/sentinel"
)

// Sentinel errors. Errors returned by this package wrap them; test with
// errors.Is.
var (
	// ErrAuth reports that FreeSWITCH refused the password ("-ERR invalid")
	// or the client's address (a "text/rude-rejection" from its ACL). Dial
	// does not retry it. The error never contains the password.
	ErrAuth = sentinel.New("esl: authentication failed", nil)

	// ErrUnavailable reports that the connection is down. A command that
	// fails with ErrUnavailable but not with ErrDisconnected was never
	// written and is safe to retry.
	ErrUnavailable = sentinel.New("esl: connection unavailable", nil)

	// ErrDisconnected reports that the connection was lost after the
	// command had been written and before its reply arrived (or, for a
	// background job, before its result): FreeSWITCH may or may not have
	// executed it. It also matches ErrUnavailable. Never retry a
	// call-control command blindly on this error.
	ErrDisconnected = sentinel.New("esl: connection lost with the command in flight", ErrUnavailable)

	// ErrClosed reports that the Conn (or the Subscription) was closed by
	// its owner.
	ErrClosed = sentinel.New("esl: closed", nil)

	// ErrInvalid reports a command that cannot be written safely: a control
	// character (CR, LF, NUL, ...) anywhere, an empty argument, an argument
	// FreeSWITCH would split in two (a space outside single quotes), an
	// unbalanced quote, a malformed command word. Nothing was written.
	ErrInvalid = sentinel.New("esl: invalid command", nil)

	// ErrForbidden reports a command refused by the package's guard because
	// it reaches a shell or runs arbitrary code (system, bg_system, spawn,
	// script runners, ${...} API expansion, hook variables, ...; see the
	// package documentation, section Security). Nothing was written.
	ErrForbidden = sentinel.New("esl: forbidden command", nil)

	// ErrTooLong reports a command longer than MaxCommandLength (it was not
	// written), or a message from FreeSWITCH larger than
	// Options.MaxBodySize (it was discarded; a command waiting for it
	// fails).
	ErrTooLong = sentinel.New("esl: message too long", nil)

	// ErrProtocol reports something the peer sent that is not the Event
	// Socket protocol, or a reply that arrived when no command was in
	// flight. The connection is dropped and re-established.
	ErrProtocol = sentinel.New("esl: protocol error", nil)
)

// Error is a FreeSWITCH error reply: an api body starting with "-ERR" or
// "-USAGE", or a command/reply whose Reply-Text starts with "-ERR".
type Error struct {
	// Command is the command word ("originate", "uuid_kill", "auth", ...).
	Command string
	// Reply is FreeSWITCH's reply exactly as received: the whole api body,
	// or the Reply-Text of a command/reply.
	Reply string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return "esl: " + e.Command + ": " + e.Text()
}

// Text returns the first line of the reply without the "-ERR " prefix,
// trimmed: "USER_BUSY", "No such channel!", "invalid", ...
func (e *Error) Text() string {
	s := e.Reply
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSpace(s)
	if t, ok := strings.CutPrefix(s, "-ERR"); ok {
		s = strings.TrimSpace(t)
	}
	return s
}

// isErrorReply reports whether an api body or Reply-Text is an error:
// "-ERR ..." or "-USAGE ...". mod_voicemail's success reply "-OK" is not.
func isErrorReply(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n")
	return strings.HasPrefix(s, "-ERR") || strings.HasPrefix(s, "-USAGE")
}
