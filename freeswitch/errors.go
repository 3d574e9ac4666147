package freeswitch

import (
	"context"
	"errors"
	"strings"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

// ErrorCode classifies the errors of the esl package and FreeSWITCH's error
// replies, in one place: a refused command (control characters, a space
// outside quotes, a shell-reaching command or variable) is
// InvalidArgument, a lost connection Unavailable (a mutation cut off in
// flight may or may not have run: the message says so), a wrong password
// PermissionDenied, "-ERR ... Command not found!" (a module that is not
// loaded) Unsupported, and FreeSWITCH's "No such channel", "not found" and
// "already exist" replies NotFound and AlreadyExists.
func ErrorCode(err error) pbx.ErrorCode {
	var coded *pbx.Error
	if errors.As(err, &coded) {
		return coded.Code
	}
	// The esl sentinels first: a command refused because the connection
	// is down may also wrap the deadline error that brought it down.
	switch {
	case errors.Is(err, esl.ErrInvalid), errors.Is(err, esl.ErrForbidden):
		return pbx.InvalidArgument
	case errors.Is(err, esl.ErrTooLong):
		return pbx.ResourceExhausted
	case errors.Is(err, esl.ErrAuth):
		return pbx.PermissionDenied
	case errors.Is(err, esl.ErrUnavailable), errors.Is(err, esl.ErrClosed), errors.Is(err, esl.ErrProtocol):
		return pbx.Unavailable
	case errors.Is(err, context.DeadlineExceeded):
		return pbx.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return pbx.Canceled
	}
	var fe *esl.Error
	if !errors.As(err, &fe) {
		return pbx.Unknown
	}
	text := strings.ToLower(fe.Text())
	switch {
	case strings.HasSuffix(text, "command not found!"):
		return pbx.Unsupported
	case strings.Contains(text, "permission denied"):
		return pbx.PermissionDenied
	case strings.Contains(text, "no such channel"), strings.Contains(text, "not found"),
		strings.Contains(text, "non-existant"):
		return pbx.NotFound
	case strings.Contains(text, "already exist"):
		return pbx.AlreadyExists
	case strings.HasPrefix(text, "invalid"): // mod_callcenter's "Invalid Agent Status!" and the like
		return pbx.InvalidArgument
	}
	return pbx.Unknown
}

// noReply reports whether err is FreeSWITCH's "-ERR no reply": a command
// that printed nothing, such as "db select" of a missing key.
func noReply(err error) bool {
	var fe *esl.Error
	return errors.As(err, &fe) && fe.Text() == "no reply"
}
