package pbx

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"
)

// CallService lists, places and ends calls. Get it from [Client.Calls]; it is
// safe for concurrent use.
type CallService struct{ c *Client }

func (s *CallService) backend() CallBackend { return s.c.b.(CallBackend) }

// List returns the live call legs, oldest first (then by ID); f (which may be nil)
// narrows the list.
func (s *CallService) List(ctx context.Context, f *CallFilter) ([]Call, error) {
	r := request{op: "Calls.List", need: CapCallsRead, read: true}
	var err error
	if f != nil && f.Extension != "" {
		err = f.Extension.Validate()
	}
	calls, err := run(ctx, s.c, r, err, func(ctx context.Context) ([]Call, error) {
		return s.backend().ListCalls(ctx)
	})
	if f != nil && f.Extension != "" {
		calls = slices.DeleteFunc(calls, func(c Call) bool { return c.Extension != f.Extension })
	}
	slices.SortFunc(calls, func(a, b Call) int {
		return cmp.Or(a.Started.Compare(b.Started), strings.Compare(string(a.ID), string(b.ID)))
	})
	return nonNil(calls, err)
}

// Get returns one call leg, or fails with ErrNotFound.
func (s *CallService) Get(ctx context.Context, id CallID) (*Call, error) {
	r := request{op: "Calls.Get", id: string(id), need: CapCallsRead, read: true}
	return run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (*Call, error) {
		return s.backend().GetCall(ctx, id)
	})
}

// Originate places a call and returns its ID (req.ID, or a new one). It
// returns once the PBX has created the first leg; ringing, answer and hang-up
// follow as events, so subscribe first (with a filter on the ID, chosen in
// advance with [NewCallID], if you like) to see them all.
//
// It fails with ErrInvalid for a malformed request, ErrNotFound for an
// unknown extension, ErrFailedPrecondition for a device that is not
// registered and ErrAlreadyExists for an ID in use. It is never retried: an
// error coded Unknown means the call may or may not have been placed.
func (s *CallService) Originate(ctx context.Context, req OriginateRequest) (CallID, error) {
	if req.ID == "" {
		req.ID = NewCallID()
	}
	if req.Timeout == 0 {
		req.Timeout = 30 * time.Second
	}
	req.Variables = maps.Clone(req.Variables)
	r := request{op: "Calls.Originate", id: string(req.From) + req.FromEndpoint, need: CapOriginate}
	err := exec(ctx, s.c, r, validateOriginate(&req), func(ctx context.Context) error {
		return s.backend().Originate(ctx, &req)
	})
	if err != nil {
		return "", err
	}
	return req.ID, nil
}

// CallMe rings an extension and, once answered, plays music on hold
// (ModeMusicOnHold) or echoes its audio (ModeEchoTest): LiteNet's "call me".
// The phone shows req.CallerID; an empty name becomes "Call Me Test (Echo)"
// or "Call Me Test (MusicOnHold)", an empty number the extension's.
func (s *CallService) CallMe(ctx context.Context, ext ExtensionID, req CallMeRequest) (CallID, error) {
	if req.Mode != ModeMusicOnHold && req.Mode != ModeEchoTest {
		return "", s.c.wrap("Calls.CallMe", string(ext), invalidf("call-me mode must be hold or echo, not %s", req.Mode))
	}
	cid := req.CallerID
	if cid.Name == "" {
		cid.Name = "Call Me Test (MusicOnHold)"
		if req.Mode == ModeEchoTest {
			cid.Name = "Call Me Test (Echo)"
		}
	}
	if cid.Number == "" {
		cid.Number = string(ext)
	}
	return s.Originate(ctx, OriginateRequest{
		From: ext, Mode: req.Mode, CallerID: cid, Timeout: req.Timeout, AutoAnswer: req.AutoAnswer,
	})
}

// Hangup hangs up one call leg, or fails with ErrNotFound.
func (s *CallService) Hangup(ctx context.Context, id CallID) error {
	r := request{op: "Calls.Hangup", id: string(id), need: CapHangup}
	return exec(ctx, s.c, r, id.Validate(), func(ctx context.Context) error {
		return s.backend().Hangup(ctx, id)
	})
}

// HangupExtension hangs up every call leg on an extension's device and
// returns the legs that ended: those it hung up, and those that ended
// meanwhile (hanging up one leg of a call often ends the others before
// their turn comes). On an error it returns the legs ended so far.
func (s *CallService) HangupExtension(ctx context.Context, ext ExtensionID) ([]Call, error) {
	const op = "Calls.HangupExtension"
	if err := s.c.check(ctx, op, CapHangup); err != nil {
		return nil, err
	}
	calls, err := s.List(ctx, &CallFilter{Extension: ext})
	if err != nil {
		return nil, err
	}
	done := make([]Call, 0, len(calls))
	for _, call := range calls {
		if err := s.Hangup(ctx, call.ID); err != nil && Code(err) != NotFound {
			return done, err
		}
		done = append(done, call)
	}
	return done, nil
}

// Transfer sends a call leg to a number (a blind transfer), in the given
// dialplan context, or in the backend's default when dialContext is "".
func (s *CallService) Transfer(ctx context.Context, id CallID, to, dialContext string) error {
	r := request{op: "Calls.Transfer", id: string(id), need: CapTransfer}
	err := firstErr(id.Validate(), ValidateNumber(to))
	if err == nil && dialContext != "" {
		err = ValidateContext(dialContext)
	}
	return exec(ctx, s.c, r, err, func(ctx context.Context) error {
		return s.backend().Transfer(ctx, id, to, dialContext)
	})
}

func validateOriginate(r *OriginateRequest) error {
	if err := r.ID.Validate(); err != nil {
		return err
	}
	switch {
	case r.From != "" && r.FromEndpoint != "":
		return invalidf("set From or FromEndpoint, not both")
	case r.From != "":
		if err := r.From.Validate(); err != nil {
			return err
		}
	case r.FromEndpoint != "":
		if err := ValidateEndpoint(r.FromEndpoint); err != nil {
			return err
		}
	default:
		return invalidf("originate needs From or FromEndpoint")
	}
	switch r.Mode {
	case ModeDial:
		if err := ValidateNumber(r.To); err != nil {
			return err
		}
	case ModeConference:
		if err := ConferenceID(r.To).Validate(); err != nil {
			return err
		}
	case ModeMusicOnHold, ModeEchoTest, ModePark:
		if r.To != "" {
			return invalidf("mode %s takes no destination, got %q", r.Mode, r.To)
		}
	default:
		return invalidf("unknown call mode %d", int(r.Mode))
	}
	if r.Context != "" {
		if err := ValidateContext(r.Context); err != nil {
			return err
		}
	}
	if err := firstErr(
		ValidateText("caller ID name", r.CallerID.Name, 80),
		ValidateText("account code", r.AccountCode, 80),
		optionalNumber(r.CallerID.Number),
	); err != nil {
		return err
	}
	if strings.ContainsAny(r.CallerID.Name, `"<>`) {
		return invalidf("caller ID name %q contains a quote or angle bracket", r.CallerID.Name)
	}
	if strings.ContainsAny(r.AccountCode, " ,;|\"'") {
		return invalidf("account code %q contains a separator", r.AccountCode)
	}
	if r.Timeout < time.Second || r.Timeout > 10*time.Minute {
		return invalidf("timeout %v out of range 1s..10m", r.Timeout)
	}
	if len(r.Variables) > 32 {
		return invalidf("%d variables, more than 32", len(r.Variables))
	}
	for k, v := range r.Variables {
		if err := ValidateVariable(k, v); err != nil {
			return err
		}
	}
	return nil
}
