package freeswitch_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// until reads events until one satisfies stop, and returns them all.
func until(t *testing.T, sub *pbx.Subscription, stop func(pbx.Event) bool) []pbx.Event {
	t.Helper()
	var seen []pbx.Event
	for {
		e := next(t, sub)
		seen = append(seen, e)
		if stop(e) {
			return seen
		}
	}
}

func kindsOf(events []pbx.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Kind().String()
		if d, ok := e.(*pbx.DeviceStateChanged); ok {
			out[i] += "(" + d.State.String() + ")"
		}
	}
	return out
}

// TestCallEventsInOrder follows a call-me on one extension: the events
// come in the mock's order, and the CDR posted at the end is the record
// the CDR query then returns.
func TestCallEventsInOrder(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	c := env.client(t)
	sub := subscribe(t, c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{"1000"}}, nil)
	id, err := c.Calls().CallMe(ctx, "1000", pbx.CallMeRequest{Mode: pbx.ModeMusicOnHold})
	if err != nil {
		t.Fatal(err)
	}
	seen := until(t, sub, func(e pbx.Event) bool { _, ok := e.(*pbx.CallAnswered); return ok })
	call, err := c.Calls().Get(ctx, id)
	if err != nil || call.Application != "playback" || call.ApplicationData != "local_stream://moh" || call.Caller.Name != "Call Me Test (MusicOnHold)" {
		t.Fatalf("Get = %+v, %v", call, err)
	}
	if err := c.Calls().Hangup(ctx, id); err != nil {
		t.Fatal(err)
	}
	seen = append(seen, until(t, sub, func(e pbx.Event) bool {
		d, ok := e.(*pbx.DeviceStateChanged)
		return ok && d.State == pbx.DeviceNotInUse
	})...)
	want := []string{"call.started", "device.state(ringing)", "call.ringing", "call.answered", "device.state(in use)",
		"call.ended", "cdr.posted", "device.state(not in use)"}
	if got := kindsOf(seen); !slices.Equal(got, want) {
		t.Fatalf("events %v\nwant   %v", got, want)
	}
	for _, e := range seen[:6] {
		if e.Header().Time.IsZero() {
			t.Errorf("%s has no time", e.Kind())
		}
	}
	ended := seen[5].(*pbx.CallEnded)
	if ended.Call.ID != id || ended.Cause != pbx.CauseNormal || ended.Call.Answered.IsZero() {
		t.Errorf("CallEnded %+v", ended)
	}
	posted := seen[6].(*pbx.CDRPosted).CDR
	page, err := c.CDR().Query(ctx, pbx.CDRQuery{Limit: 10})
	if err != nil || len(page.Records) == 0 {
		t.Fatalf("CDR query: %+v, %v", page, err)
	}
	rec := page.Records[0]
	if rec.UniqueID != id || posted.UniqueID != id || rec.Src != posted.Src || rec.Dst != posted.Dst ||
		rec.Disposition != posted.Disposition || rec.Billable != posted.Billable || !rec.Start.Equal(posted.Start) ||
		rec.Caller != posted.Caller || rec.Disposition != pbx.DispositionAnswered {
		t.Fatalf("the CDR posted %+v\nand the record read %+v differ", posted, rec)
	}
}

// TestResyncAfterOutage: a call that ended while the connection was down
// is reported, after BackendReconnected, as ended, and its device as idle.
func TestResyncAfterOutage(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	c := env.client(t)
	sub := subscribe(t, c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{"1001"}}, nil)
	id, err := c.Calls().CallMe(ctx, "1001", pbx.CallMeRequest{Mode: pbx.ModeEchoTest})
	if err != nil {
		t.Fatal(err)
	}
	until(t, sub, func(e pbx.Event) bool { _, ok := e.(*pbx.CallAnswered); return ok })
	env.srv.RefuseConnections(true)
	env.srv.DropConnections()
	until(t, sub, func(e pbx.Event) bool { _, ok := e.(*pbx.BackendDisconnected); return ok })
	if !env.srv.Hangup(string(id), "") {
		t.Fatal("no channel to hang up")
	}
	time.Sleep(100 * time.Millisecond)
	env.srv.RefuseConnections(false)
	seen := until(t, sub, func(e pbx.Event) bool {
		d, ok := e.(*pbx.DeviceStateChanged)
		return ok && d.State == pbx.DeviceNotInUse
	})
	want := []string{"backend.reconnected", "call.ended", "device.state(not in use)"}
	if got := kindsOf(seen); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if e := seen[1].(*pbx.CallEnded); e.Call.ID != id || e.CauseText != "ended while disconnected" {
		t.Fatalf("CallEnded %+v", e)
	}
}
