package pbxtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func (s *suite) testCalls(t *testing.T) {
	t.Run("ListShape", func(t *testing.T) {
		s.need(t, pbx.CapCallsRead)
		calls, err := s.c.Calls().List(s.ctx(t), nil)
		ok(t, err, "List")
		if calls == nil {
			t.Fatal("List returned nil instead of an empty list")
		}
		for _, c := range calls {
			if c.ID == "" || c.Channel == "" || c.Started.IsZero() {
				t.Errorf("call %+v lacks its ID, channel or start time", c)
			}
		}
	})

	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapCallsRead)
		_, err := s.c.Calls().Get(s.ctx(t), "no-such-call")
		wantCode(t, err, pbx.NotFound, "Get missing")
	})

	t.Run("GetInvalidIsInvalid", func(t *testing.T) {
		s.need(t, pbx.CapCallsRead)
		_, err := s.c.Calls().Get(s.ctx(t), "abc\r\nAction: Hangup")
		wantCode(t, err, pbx.InvalidArgument, "Get with CRLF")
	})

	t.Run("OriginateEventsInOrder", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents, pbx.CapCallsRead)
		ext := s.fx.Extensions[0]
		id := pbx.NewCallID()
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
		got, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{ID: id, From: ext, Mode: pbx.ModeMusicOnHold,
			CallerID: pbx.Party{Name: "Conformance Hold", Number: "7001"}})
		ok(t, err, "Originate")
		s.hangupLater(t, id)
		if got != id {
			t.Fatalf("Originate returned %q, want the chosen ID %q", got, id)
		}
		// The filter also passes the call's other legs (a backend may ring
		// the phone through a Local channel): wait for this leg's answer.
		seen := s.until(t, sub, "CallAnswered", func(e pbx.Event) bool { a, ok := e.(*pbx.CallAnswered); return ok && a.Call.ID == id })
		if first, isStart := seen[0].(*pbx.CallStarted); !isStart || first.Call.ID != id {
			t.Fatalf("first event for the call is %s, want CallStarted with its ID; saw %v", seen[0].Kind(), kinds(seen))
		}
		call, err := s.c.Calls().Get(s.ctx(t), id)
		ok(t, err, "Get")
		if call.State != pbx.CallStateUp || call.Extension != ext || call.Application == "" || call.Caller.Name != "Conformance Hold" {
			t.Fatalf("Get = %+v: want an answered call on %s in an application with the caller ID set", call, ext)
		}
		if calls, err := s.c.Calls().List(s.ctx(t), &pbx.CallFilter{Extension: ext}); err != nil || !hasCall(calls, id) {
			t.Fatalf("List for %s lacks the call: %v", ext, err)
		}
		rest := s.hangupAndWait(t, id)
		if s.cap.Has(pbx.CapCDR) {
			more := s.until(t, sub, "CDRPosted", func(e pbx.Event) bool { _, c := e.(*pbx.CDRPosted); return c })
			rest = append(rest, more...)
			end := indexOf(rest, func(e *pbx.CallEnded) bool { return e.Call.ID == id })
			cdr := indexOf(rest, func(e *pbx.CDRPosted) bool { return e.CDR.UniqueID == id })
			if end < 0 || cdr < end {
				t.Fatalf("want CallEnded before CDRPosted, saw %v", kinds(rest))
			}
		}
		_, err = s.c.Calls().Get(s.ctx(t), id)
		wantCode(t, err, pbx.NotFound, "Get after hang-up")
	})

	t.Run("CallMeEcho", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents)
		ext := s.fx.Extensions[1]
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{ext}, Kinds: []pbx.EventKind{pbx.KindCallAnswered}})
		id, err := s.c.Calls().CallMe(s.ctx(t), ext, pbx.CallMeRequest{Mode: pbx.ModeEchoTest})
		ok(t, err, "CallMe")
		s.hangupLater(t, id)
		waitFor(t, s, sub, "CallAnswered", func(e *pbx.CallAnswered) bool { return e.Call.ID == id })
		s.hangupAndWait(t, id)
	})

	t.Run("CallMeRefusesDialMode", func(t *testing.T) {
		s.need(t, pbx.CapOriginate)
		_, err := s.c.Calls().CallMe(s.ctx(t), s.fx.Extensions[0], pbx.CallMeRequest{Mode: pbx.ModeDial})
		wantCode(t, err, pbx.InvalidArgument, "CallMe in dial mode")
	})

	t.Run("OriginateDialBridgesExtensions", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents)
		a, b := s.fx.Extensions[0], s.fx.Extensions[1]
		id := pbx.NewCallID()
		subB := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{b}})
		subA := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
		_, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{ID: id, From: a, To: string(b), CallerID: pbx.Party{Name: "A", Number: string(a)}})
		ok(t, err, "Originate")
		s.hangupLater(t, id)
		bLeg := waitFor(t, s, subB, "a leg on the dialed extension", func(e *pbx.CallStarted) bool { return e.Call.Extension == b })
		s.hangupLater(t, bLeg.Call.ID)
		waitFor(t, s, subA, "the first leg bridged", func(e *pbx.CallBridged) bool { return e.Call.ID == id })
		s.hangupAndWait(t, id)
		waitFor(t, s, subB, "the dialed leg ended", func(e *pbx.CallEnded) bool { return e.Call.ID == bLeg.Call.ID })
	})

	t.Run("OriginateDuplicateIDIsAlreadyExists", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents)
		id := s.originateHold(t, s.fx.Extensions[0])
		_, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{ID: id, From: s.fx.Extensions[1], Mode: pbx.ModeEchoTest})
		wantCode(t, err, pbx.AlreadyExists, "Originate with a live call's ID")
	})

	t.Run("OriginateMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapOriginate)
		_, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{From: s.fx.Missing, Mode: pbx.ModeEchoTest})
		wantCode(t, err, pbx.NotFound, "Originate from a missing extension")
	})

	t.Run("OriginateUnregisteredIsFailedPrecondition", func(t *testing.T) {
		s.need(t, pbx.CapOriginate)
		_, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{From: s.fx.Unregistered, Mode: pbx.ModeEchoTest})
		wantCode(t, err, pbx.FailedPrecondition, "Originate to an unregistered device")
	})

	ext := s.fx.Extensions[0]
	invalid := []struct {
		name string
		req  pbx.OriginateRequest
	}{
		{"BadExtension", pbx.OriginateRequest{From: "12a;", Mode: pbx.ModeEchoTest}},
		{"CRLFInCallerName", pbx.OriginateRequest{From: ext, Mode: pbx.ModeEchoTest, CallerID: pbx.Party{Name: "x\r\nAction: Command"}}},
		{"LFInCallerName", pbx.OriginateRequest{From: ext, Mode: pbx.ModeEchoTest, CallerID: pbx.Party{Name: "x\nAction: Command"}}},
		{"NULInVariable", pbx.OriginateRequest{From: ext, Mode: pbx.ModeEchoTest, Variables: map[string]string{"A": "b\x00c"}}},
		{"BadVariableName", pbx.OriginateRequest{From: ext, Mode: pbx.ModeEchoTest, Variables: map[string]string{"A B": "c"}}},
		{"DialStringInjection", pbx.OriginateRequest{From: ext, To: "100&PJSIP/666"}},
		{"BadEndpoint", pbx.OriginateRequest{FromEndpoint: "PJSIP/10,10", Mode: pbx.ModeEchoTest}},
		{"BothSources", pbx.OriginateRequest{From: ext, FromEndpoint: "PJSIP/" + string(ext), Mode: pbx.ModeEchoTest}},
		{"NoSource", pbx.OriginateRequest{Mode: pbx.ModeEchoTest}},
		{"HoldWithDestination", pbx.OriginateRequest{From: ext, Mode: pbx.ModeMusicOnHold, To: "100"}},
		{"BadRoom", pbx.OriginateRequest{From: ext, Mode: pbx.ModeConference, To: "../x"}},
		{"ShortTimeout", pbx.OriginateRequest{From: ext, Mode: pbx.ModeEchoTest, Timeout: time.Millisecond}},
		{"BadID", pbx.OriginateRequest{ID: "a b", From: ext, Mode: pbx.ModeEchoTest}},
		{"BadContext", pbx.OriginateRequest{From: ext, To: "100", Context: "x\ny"}},
	}
	for _, tc := range invalid {
		t.Run("OriginateInvalid/"+tc.name, func(t *testing.T) {
			s.need(t, pbx.CapOriginate)
			_, err := s.c.Calls().Originate(s.ctx(t), tc.req)
			wantCode(t, err, pbx.InvalidArgument, "Originate "+tc.name)
		})
	}

	t.Run("BusyDeviceEndsCall", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapEvents)
		ext := s.fx.Extensions[2]
		world(t, s.h.World().SetAnswerMode(s.ctx(t), ext, RejectBusy), "make a phone busy")
		t.Cleanup(func() { _ = s.h.World().SetAnswerMode(context.Background(), ext, AnswerCalls) })
		id := pbx.NewCallID()
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
		_, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{ID: id, From: ext, Mode: pbx.ModeEchoTest})
		ok(t, err, "Originate")
		s.hangupLater(t, id)
		ended := waitFor(t, s, sub, "CallEnded", func(e *pbx.CallEnded) bool { return e.Call.ID == id })
		if ended.Cause != pbx.CauseBusy {
			t.Errorf("busy call ended with cause %s, want %s", ended.Cause, pbx.CauseBusy)
		}
		if s.cap.Has(pbx.CapCDR) {
			cdr := waitFor(t, s, sub, "CDRPosted", func(e *pbx.CDRPosted) bool { return e.CDR.UniqueID == id })
			if cdr.CDR.Disposition != pbx.DispositionBusy && cdr.CDR.Disposition != pbx.DispositionFailed {
				t.Errorf("busy call's CDR disposition is %s", cdr.CDR.Disposition)
			}
		}
	})

	t.Run("UnansweredCallTimesOut", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapEvents)
		ext := s.fx.Extensions[2]
		world(t, s.h.World().SetAnswerMode(s.ctx(t), ext, RingForever), "make a phone ring forever")
		t.Cleanup(func() { _ = s.h.World().SetAnswerMode(context.Background(), ext, AnswerCalls) })
		id := pbx.NewCallID()
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
		start := time.Now()
		_, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{ID: id, From: ext, Mode: pbx.ModeEchoTest, Timeout: 2 * time.Second})
		ok(t, err, "Originate")
		s.hangupLater(t, id)
		seen := s.until(t, sub, "CallEnded", func(e pbx.Event) bool { _, end := e.(*pbx.CallEnded); return end })
		if indexOf(seen, func(e *pbx.CallAnswered) bool { return true }) >= 0 {
			t.Fatalf("a phone that never answers was answered: %v", kinds(seen))
		}
		if indexOf(seen, func(e *pbx.CallRinging) bool { return true }) < 0 {
			t.Errorf("no CallRinging before the timeout: %v", kinds(seen))
		}
		if took := time.Since(start); took > 2*time.Second+s.fx.Timeout {
			t.Errorf("call rang %v with a 2s timeout", took)
		}
	})

	t.Run("HangupMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapHangup)
		wantCode(t, s.c.Calls().Hangup(s.ctx(t), "no-such-call"), pbx.NotFound, "Hangup missing")
	})

	t.Run("HangupInvalidIsInvalid", func(t *testing.T) {
		s.need(t, pbx.CapHangup)
		wantCode(t, s.c.Calls().Hangup(s.ctx(t), "/.*/"), pbx.InvalidArgument, "Hangup with a regex")
	})

	t.Run("HangupExtension", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapHangup, pbx.CapCallsRead, pbx.CapEvents)
		ext := s.fx.Extensions[1]
		id := s.originateHold(t, ext)
		done, err := s.c.Calls().HangupExtension(s.ctx(t), ext)
		ok(t, err, "HangupExtension")
		if !hasCall(done, id) {
			var legs []string
			for _, c := range done {
				legs = append(legs, string(c.ID)+" "+c.Channel)
			}
			t.Fatalf("HangupExtension hung up %q, not %s", legs, id)
		}
		s.eventually(t, "no call left on the extension", func() error {
			calls, err := s.c.Calls().List(s.ctx(t), &pbx.CallFilter{Extension: ext})
			if err != nil {
				return err
			}
			if len(calls) > 0 {
				return fmt.Errorf("%d calls left", len(calls))
			}
			return nil
		})
	})

	t.Run("TransferMovesCall", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapTransfer, pbx.CapHangup, pbx.CapEvents)
		a, b := s.fx.Extensions[0], s.fx.Extensions[2]
		id := s.originateHold(t, a)
		subB := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{b}, Kinds: []pbx.EventKind{pbx.KindCallStarted}})
		ok(t, s.c.Calls().Transfer(s.ctx(t), id, string(b), ""), "Transfer")
		bLeg := waitFor(t, s, subB, "a leg on the transfer target", func(e *pbx.CallStarted) bool { return e.Call.Extension == b })
		s.hangupLater(t, bLeg.Call.ID)
	})

	t.Run("TransferInvalidIsInvalid", func(t *testing.T) {
		s.need(t, pbx.CapTransfer)
		wantCode(t, s.c.Calls().Transfer(s.ctx(t), "some-call", "1001,1002", ""), pbx.InvalidArgument, "Transfer to a list")
	})

	t.Run("ConcurrentOriginates", func(t *testing.T) {
		s.need(t, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents)
		const n = 6
		ids := make([]pbx.CallID, n)
		for i := range ids {
			ids[i] = pbx.NewCallID()
			s.hangupLater(t, ids[i])
		}
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: ids[:], Kinds: []pbx.EventKind{pbx.KindCallAnswered}})
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{ID: ids[i], From: s.fx.Extensions[i%3], Mode: pbx.ModeMusicOnHold})
			}()
		}
		wg.Wait()
		for i, err := range errs {
			ok(t, err, fmt.Sprintf("Originate %d", i))
		}
		answered := map[pbx.CallID]bool{}
		for len(answered) < n {
			e := waitFor(t, s, sub, "every call answered", func(e *pbx.CallAnswered) bool { return true })
			answered[e.Call.ID] = true
		}
		for _, id := range ids {
			s.hangupAndWait(t, id)
		}
	})
}

func hasCall(calls []pbx.Call, id pbx.CallID) bool {
	for _, c := range calls {
		if c.ID == id {
			return true
		}
	}
	return false
}
