package ari

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pbxkit/pbxkit/internal/sentinel"
)

// Sentinel errors. Errors returned by this package wrap them or, for a
// *Error, match them through its Is method; test with errors.Is.
var (
	// ErrNotFound: the server answered 404 (no such channel, bridge,
	// endpoint, variable or resource).
	ErrNotFound = sentinel.New("ari: not found", nil)

	// ErrConflict: the server answered 409 (a channel with that ID exists
	// already; the channel is not in a Stasis application; the device is not
	// a Stasis: device) or 412 (the channel is in a state that does not allow
	// the operation).
	ErrConflict = sentinel.New("ari: conflict", nil)

	// ErrAuth: the server refused the credentials (401 or 403), in Dial, a
	// REST call or the event websocket's handshake.
	ErrAuth = sentinel.New("ari: authentication failed", nil)

	// ErrUnavailable: the server cannot be reached, or the event websocket
	// is down (the Client is reconnecting), or the server answered 503. A
	// request that fails with ErrUnavailable but not ErrDisconnected was not
	// executed by the server and may be retried.
	ErrUnavailable = sentinel.New("ari: unavailable", nil)

	// ErrDisconnected: the connection was lost after the request had been
	// written and before the response arrived; the server may or may not
	// have executed it. It also matches ErrUnavailable. Never retry an
	// Originate blindly on this error.
	ErrDisconnected = sentinel.New("ari: connection lost with the request in flight", ErrUnavailable)

	// ErrAllocationFailed: Asterisk could not create the channel of an
	// Originate: 500 with the body {"error":"Allocation failed"}, which
	// Asterisk 16 answers for an unknown channel technology as well as for an
	// unknown PJSIP endpoint.
	ErrAllocationFailed = sentinel.New("ari: channel allocation failed", nil)

	// ErrInvalid: the server refused the request's parameters (400 or 422),
	// or the request was refused before anything was sent: an empty or
	// malformed ID or name, a control character in a value, inconsistent
	// fields, or invalid Options.
	ErrInvalid = sentinel.New("ari: invalid request", nil)

	// ErrClosed: the Client (or the Subscription) was closed by its owner.
	// It does not match ErrUnavailable: retrying is pointless.
	ErrClosed = sentinel.New("ari: closed", nil)

	// ErrProtocol: the server sent something that is not ARI, such as a
	// response body that is not the JSON expected, or too large a response
	// or event.
	ErrProtocol = sentinel.New("ari: protocol error", nil)
)

// Error is an HTTP error status from the server: a REST call, or the event
// websocket's handshake, that did not succeed. It matches the sentinel
// errors with errors.Is, according to its status code:
//
//	400, 422  ErrInvalid
//	401, 403  ErrAuth
//	404       ErrNotFound
//	409, 412  ErrConflict
//	500       ErrAllocationFailed, if Message is "Allocation failed"
//	503       ErrUnavailable
type Error struct {
	// Method is the request's method ("GET", "POST", "DELETE", "PUT").
	Method string
	// Path is the request's path below the ARI base URL, unescaped and
	// without the query: "/channels/1700000000.12", "/events".
	Path string
	// StatusCode is the HTTP status code.
	StatusCode int
	// Message is the server's message: the "message" (or, for the
	// allocation failures of Originate, "error") string of the JSON body or,
	// failing that, the response's reason phrase ("Variable Not Found"),
	// or the standard text of the status code.
	Message string
}

// Error implements the error interface: "ari: DELETE /channels/x: 404
// Channel not found".
func (e *Error) Error() string {
	return fmt.Sprintf("ari: %s %s: %d %s", e.Method, e.Path, e.StatusCode, e.Message)
}

// Is reports whether the status code (and, for ErrAllocationFailed, the
// message) corresponds to target, one of the sentinel errors.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrInvalid:
		return e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnprocessableEntity
	case ErrAuth:
		return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict || e.StatusCode == http.StatusPreconditionFailed
	case ErrAllocationFailed:
		return e.StatusCode == http.StatusInternalServerError && strings.EqualFold(e.Message, "Allocation failed")
	case ErrUnavailable:
		return e.StatusCode == http.StatusServiceUnavailable
	}
	return false
}

// maxErrorMessage bounds Error.Message, so that a hostile server cannot
// blow up logs.
const maxErrorMessage = 512

// newError builds the *Error of a response from its status line and body.
func newError(method, path string, code int, status string, body []byte) *Error {
	return &Error{Method: method, Path: path, StatusCode: code, Message: errorMessage(code, status, body)}
}

// errorMessage returns the server's message: "message" or "error" of a JSON
// object body, else the reason phrase of status ("404 Variable Not Found"),
// else the standard text of code.
func errorMessage(code int, status string, body []byte) string {
	var obj struct {
		Message *string `json:"message"`
		Error   *string `json:"error"`
	}
	if json.Unmarshal(body, &obj) == nil {
		switch {
		case obj.Message != nil && strings.TrimSpace(*obj.Message) != "":
			return clean(*obj.Message)
		case obj.Error != nil && strings.TrimSpace(*obj.Error) != "":
			return clean(*obj.Error)
		}
	}
	reason := strings.TrimSpace(strings.TrimPrefix(status, strconv.Itoa(code)))
	if reason != "" {
		return clean(reason)
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "status " + strconv.Itoa(code)
}

// clean trims s, replaces control characters and invalid UTF-8 with
// spaces or U+FFFD, and truncates it to maxErrorMessage bytes.
func clean(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > maxErrorMessage {
		cut := maxErrorMessage
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
