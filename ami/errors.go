package ami

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pbxkit/pbxkit/internal/sentinel"
)

// Sentinel errors. Errors returned by this package wrap them; test with
// errors.Is.
var (
	// ErrAuth reports that the server refused the Login (wrong user or
	// secret). The error also wraps the server's *Error; it never contains
	// the secret.
	ErrAuth = sentinel.New("ami: authentication failed", nil)

	// ErrUnavailable reports that the connection is down. An action that
	// fails with ErrUnavailable but not with ErrDisconnected was never
	// written to the server and is safe to retry.
	ErrUnavailable = sentinel.New("ami: connection unavailable", nil)

	// ErrDisconnected reports that the connection was lost after the action
	// had been written and before its response arrived: the server may or
	// may not have executed it. It also matches ErrUnavailable.
	ErrDisconnected = sentinel.New("ami: connection lost with the action in flight", ErrUnavailable)

	// ErrClosed reports that the Conn (or the Subscription) was closed by
	// its owner. It does not match ErrUnavailable: retrying is pointless.
	ErrClosed = sentinel.New("ami: closed", nil)

	// ErrInvalidField reports an action that cannot be written safely: a
	// header name that is not a token (letters, digits, '-', '_'), a value
	// containing CR, LF or NUL, a missing or empty Action or ActionID. The
	// action was not written.
	ErrInvalidField = sentinel.New("ami: invalid field", nil)

	// ErrTooLong reports an action with a line longer than MaxLineLength or
	// more than MaxHeaders headers (it was not written), or a server message
	// larger than Options.MaxMessageSize or Options.MaxHeaders (it was
	// discarded).
	ErrTooLong = sentinel.New("ami: message too long", nil)

	// ErrProtocol reports something the server sent that is not AMI, such as
	// a missing banner.
	ErrProtocol = sentinel.New("ami: protocol error", nil)
)

// Error is a "Response: Error" from the server. Message is Asterisk's text,
// trimmed of surrounding white space (Asterisk 16 appends a stray "\n" to
// some of them).
//
// For a failed Login the *Error is wrapped together with ErrAuth.
type Error struct {
	// Action is the name of the action that failed.
	Action string
	// ActionID is the ActionID of the action that failed.
	ActionID string
	// Message is the server's Message header.
	Message string
	// Response is the whole response; it is read-only.
	Response *Message
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("ami: %s failed: %s", e.Action, e.Message)
}

func newError(action, id string, resp *Message) *Error {
	return &Error{
		Action:   action,
		ActionID: id,
		Message:  strings.TrimSpace(resp.Get("Message")),
		Response: resp,
	}
}

// emptyListMessages are the "Response: Error" messages that Asterisk 16 uses
// instead of an empty list.
var emptyListMessages = [...]string{
	"No active conferences.", // ConfbridgeListRooms, ConfbridgeList
	"No Contacts found",      // PJSIPShowContacts (sent with a stray "\n")
}

// IsEmptyList reports whether err is a *Error with which Asterisk answers a
// list action that has nothing to list, instead of an empty list:
// "No active conferences." (ConfbridgeListRooms, ConfbridgeList), "No Contacts
// found" (PJSIPShowContacts) and, more generally, any message of the form
// "No ... found" (the style of the other res_pjsip list actions).
func IsEmptyList(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	msg := strings.TrimSpace(e.Message)
	for _, m := range emptyListMessages {
		if strings.EqualFold(msg, m) {
			return true
		}
	}
	msg = strings.TrimSuffix(msg, ".")
	return len(msg) > len("No  found") && strings.HasPrefix(msg, "No ") && strings.HasSuffix(msg, " found")
}
