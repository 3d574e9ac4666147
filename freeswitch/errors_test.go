package freeswitch

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

func TestErrorCode(t *testing.T) {
	reply := func(s string) error { return &esl.Error{Command: "x", Reply: s} }
	for _, tc := range []struct {
		err  error
		want pbx.ErrorCode
	}{
		{fmt.Errorf("%w: argument contains a space", esl.ErrInvalid), pbx.InvalidArgument},
		{fmt.Errorf("%w: system runs a shell command", esl.ErrForbidden), pbx.InvalidArgument},
		{fmt.Errorf("esl: api: %w", esl.ErrTooLong), pbx.ResourceExhausted},
		{fmt.Errorf("%w: -ERR invalid", esl.ErrAuth), pbx.PermissionDenied},
		{fmt.Errorf("esl: x: not sent: %w: %w", esl.ErrUnavailable, context.DeadlineExceeded), pbx.Unavailable},
		{fmt.Errorf("esl: x: %w", esl.ErrDisconnected), pbx.Unavailable},
		{fmt.Errorf("esl: x: %w", esl.ErrClosed), pbx.Unavailable},
		{context.DeadlineExceeded, pbx.DeadlineExceeded},
		{context.Canceled, pbx.Canceled},
		{reply("-ERR No such channel!\n"), pbx.NotFound},
		{reply("-ERR Conference pbxtest not found\n"), pbx.NotFound},
		{reply("-ERR No Such Channel!\n"), pbx.NotFound},
		{reply("-ERR Non-Existant ID 7\n"), pbx.NotFound},
		{reply("-ERR Non-Existant member\n"), pbx.NotFound},
		{reply("-ERR Agent not found!\n"), pbx.NotFound},
		{reply("-ERR Invalid Queue not found!\n"), pbx.NotFound},
		{reply("-ERR Invalid Agent Status!\n"), pbx.InvalidArgument},
		{reply("-ERR Tier already exist!\n"), pbx.AlreadyExists},
		{reply("-ERR callcenter_config Command not found!\n"), pbx.Unsupported},
		{reply("-ERR permission denied"), pbx.PermissionDenied},
		{reply("-ERR something else\n"), pbx.Unknown},
		{pbx.Errorf(pbx.FailedPrecondition, "not registered"), pbx.FailedPrecondition},
		{errors.New("plain"), pbx.Unknown},
		{nil, pbx.Unknown},
	} {
		if got := ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
	for body, want := range map[string]pbx.ErrorCode{
		"-ERR SUBSCRIBER_ABSENT\n": pbx.NotFound, "-ERR NO_ROUTE_DESTINATION\n": pbx.NotFound,
		"-ERR CHAN_NOT_IMPLEMENTED\n": pbx.InvalidArgument, "-ERR USER_NOT_REGISTERED\n": pbx.FailedPrecondition,
		"-ERR NORMAL_TEMPORARY_FAILURE\n": pbx.FailedPrecondition,
	} {
		err := originateFailure(body)
		var fe *esl.Error
		if pbx.Code(err) != want || !errors.As(err, &fe) {
			t.Errorf("originateFailure(%q) = %v, want %s wrapping the reply", body, err, want)
		}
	}
}
