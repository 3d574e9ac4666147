package mock_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/mock"
	"github.com/pbxkit/pbxkit/pbx"
)

var epoch = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func client(t *testing.T, p *mock.PBX) *pbx.Client {
	t.Helper()
	c := p.Client()
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func subscribe(t *testing.T, c *pbx.Client, f *pbx.EventFilter) *pbx.Subscription {
	t.Helper()
	sub, err := c.Subscribe(context.Background(), f, &pbx.SubscribeOptions{Buffer: 1 << 14})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// drain returns the events already delivered.
func drain(sub *pbx.Subscription) []pbx.Event {
	var out []pbx.Event
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		e, err := sub.Next(ctx)
		cancel()
		if err != nil {
			return out
		}
		out = append(out, e)
	}
}

func kinds(events []pbx.Event) string {
	var s []string
	for _, e := range events {
		s = append(s, e.Kind().String())
	}
	return strings.Join(s, " ")
}

func TestDemoIsDeterministic(t *testing.T) {
	snapshot := func() (calls []pbx.Call, msgs []pbx.Message, page *pbx.CDRPage) {
		c := client(t, mock.NewDemo(&mock.Options{Clock: mock.NewFakeClock(epoch), Seed: 7}))
		ctx := context.Background()
		calls, _ = c.Calls().List(ctx, nil)
		msgs, _ = c.Voicemail().Messages(ctx, "1010", nil)
		page, _ = c.CDR().Query(ctx, pbx.CDRQuery{Limit: 1000})
		return
	}
	c1, m1, p1 := snapshot()
	c2, m2, p2 := snapshot()
	if !reflect.DeepEqual(c1, c2) || !reflect.DeepEqual(m1, m2) || !reflect.DeepEqual(p1, p2) {
		t.Fatal("two demos with the same seed and clock differ")
	}
	if len(c1) < 6 || len(m1) != 4 || len(p1.Records) < 500 {
		t.Fatalf("demo has %d calls, %d messages in 1010, %d CDRs", len(c1), len(m1), len(p1.Records))
	}
}

func TestAnswerDelayUsesClock(t *testing.T) {
	clock := mock.NewFakeClock(epoch)
	p := mock.New(&mock.Options{Clock: clock})
	if err := p.AddExtension(pbx.Extension{ID: "100", Name: "A"}, "s"); err != nil {
		t.Fatal(err)
	}
	if err := p.Register("100", pbx.Contact{IP: "192.0.2.1", Port: 5060, UserAgent: "ua"}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetBehavior("100", mock.Answer, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	c := client(t, p)
	sub := subscribe(t, c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{"100"}})
	id, err := c.Calls().CallMe(context.Background(), "100", pbx.CallMeRequest{Mode: pbx.ModeMusicOnHold})
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(drain(sub)); got != "call.started device.state call.ringing" {
		t.Fatalf("before the delay: %s", got)
	}
	clock.Advance(3 * time.Second)
	if got := kinds(drain(sub)); got != "device.state call.answered" {
		t.Fatalf("after the delay: %s", got)
	}
	clock.Advance(time.Minute)
	call, err := c.Calls().Get(context.Background(), id)
	if err != nil || call.Duration != 63*time.Second || !call.Answered.Equal(epoch.Add(3*time.Second)) {
		t.Fatalf("call %+v, %v", call, err)
	}
	if err := c.Calls().Hangup(context.Background(), id); err != nil {
		t.Fatal(err)
	}
	events := drain(sub)
	cdr := events[len(events)-1].(*pbx.CDRPosted).CDR
	if cdr.Duration != 63*time.Second || cdr.Billable != 60*time.Second || cdr.Disposition != pbx.DispositionAnswered || cdr.LastApp != "MusicOnHold" {
		t.Fatalf("CDR %+v", cdr)
	}
}

func TestNoAnswerTimesOutOnClock(t *testing.T) {
	clock := mock.NewFakeClock(epoch)
	p := mock.NewDemo(&mock.Options{Clock: clock})
	_ = p.SetBehavior("1001", mock.NoAnswer, 0)
	c := client(t, p)
	id := pbx.NewCallID()
	sub := subscribe(t, c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
	if _, err := c.Calls().Originate(context.Background(), pbx.OriginateRequest{ID: id, From: "1001", Mode: pbx.ModeEchoTest, Timeout: 20 * time.Second}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(19 * time.Second)
	if got := kinds(drain(sub)); got != "call.started call.ringing" {
		t.Fatalf("before the timeout: %s", got)
	}
	clock.Advance(time.Second)
	events := drain(sub)
	if got := kinds(events); got != "call.ended cdr.posted" {
		t.Fatalf("at the timeout: %s", got)
	}
	if e := events[0].(*pbx.CallEnded); e.Cause != pbx.CauseNoAnswer {
		t.Fatalf("cause %s", e.Cause)
	}
	if r := events[1].(*pbx.CDRPosted).CDR; r.Disposition != pbx.DispositionNoAnswer || r.Billable != 0 {
		t.Fatalf("CDR %+v", r)
	}
}

func TestDialEventsAndDND(t *testing.T) {
	p := mock.NewDemo(&mock.Options{Clock: mock.NewFakeClock(epoch)})
	c := client(t, p)
	ctx := context.Background()
	id := pbx.NewCallID()
	sub := subscribe(t, c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
	if _, err := c.Calls().Originate(ctx, pbx.OriginateRequest{ID: id, From: "1004", To: "1005"}); err != nil {
		t.Fatal(err)
	}
	// 1005 is not registered: the dial fails and the CDR says so.
	events := drain(sub)
	if got := kinds(events); got != "call.started call.ringing call.answered call.ended cdr.posted" {
		t.Fatalf("dialing an unregistered extension: %s", got)
	}
	if d := events[4].(*pbx.CDRPosted).CDR.Disposition; d != pbx.DispositionFailed {
		t.Fatalf("disposition %s", d)
	}
	// 1006 has DND on: busy.
	id = pbx.NewCallID()
	sub = subscribe(t, c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
	if _, err := c.Calls().Originate(ctx, pbx.OriginateRequest{ID: id, From: "1004", To: "1006"}); err != nil {
		t.Fatal(err)
	}
	events = drain(sub)
	if d := events[len(events)-1].(*pbx.CDRPosted).CDR; d.Disposition != pbx.DispositionBusy || d.Dst != "1006" {
		t.Fatalf("CDR to a DND extension: %+v", d)
	}
}

func TestCallForwardAlways(t *testing.T) {
	p := mock.NewDemo(&mock.Options{Clock: mock.NewFakeClock(epoch)})
	c := client(t, p)
	ctx := context.Background()
	if err := c.Devices().SetForward(ctx, "1002", pbx.CallForward{Always: "1001"}); err != nil {
		t.Fatal(err)
	}
	sub := subscribe(t, c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{"1001"}, Kinds: []pbx.EventKind{pbx.KindCallStarted}})
	if _, err := c.Calls().Originate(ctx, pbx.OriginateRequest{From: "1004", To: "1002"}); err != nil {
		t.Fatal(err)
	}
	if got := kinds(drain(sub)); got != "call.started" {
		t.Fatalf("forwarded call did not ring 1001: %s", got)
	}
}

func TestQueueServeAndConference(t *testing.T) {
	p := mock.NewDemo(&mock.Options{Clock: mock.NewFakeClock(epoch)})
	c := client(t, p)
	ctx := context.Background()
	sub := subscribe(t, c, &pbx.EventFilter{Queues: []pbx.QueueID{"support"}})
	id, err := p.QueueCall("support", pbx.Party{Number: "+15550100"})
	if err != nil {
		t.Fatal(err)
	}
	// 1005 is unavailable and 1006 in DND: nobody can take the call, until
	// 1006 switches DND off.
	if err := p.ServeQueueCaller("support"); pbx.Code(err) != pbx.FailedPrecondition {
		t.Fatalf("serving with no free member: %v", err)
	}
	if err := c.Devices().SetDND(ctx, "1006", false); err != nil {
		t.Fatal(err)
	}
	if err := p.ServeQueueCaller("support"); err != nil {
		t.Fatal(err)
	}
	if got := kinds(drain(sub)); got != "queue.caller.joined queue.caller.left" {
		t.Fatalf("queue events: %s", got)
	}
	call, err := c.Calls().Get(ctx, id)
	if err != nil || call.BridgeID == "" || call.Connected.Number != "1006" {
		t.Fatalf("served caller %+v, %v", call, err)
	}
	if err := p.ServeQueueCaller("support"); pbx.Code(err) != pbx.FailedPrecondition {
		t.Fatalf("serving an empty queue: %v", err)
	}
	room, err := c.Conferences().Get(ctx, mock.DemoConference)
	if err != nil || room.Parties != 2 || room.Marked != 1 {
		t.Fatalf("demo room %+v, %v", room, err)
	}
}

func TestOutageReportsWhatChanged(t *testing.T) {
	p := mock.NewDemo(&mock.Options{Clock: mock.NewFakeClock(epoch)})
	c := client(t, p)
	sub := subscribe(t, c, nil)
	p.Disconnect("cable cut")
	if _, err := c.Calls().List(context.Background(), nil); !errors.Is(err, pbx.ErrUnavailable) {
		t.Fatalf("List while down: %v", err)
	}
	if err := p.Unregister("1003"); err != nil { // happens while nobody listens
		t.Fatal(err)
	}
	if _, err := p.LeaveVoicemail("1010", pbx.Party{Number: "5550100"}, 4*time.Second); err != nil {
		t.Fatal(err)
	}
	p.Reconnect()
	got := kinds(drain(sub))
	want := "backend.disconnected backend.reconnected device.state mailbox.changed"
	if got != want {
		t.Fatalf("events %q, want %q", got, want)
	}
}

func TestRestart(t *testing.T) {
	p := mock.NewDemo(&mock.Options{Clock: mock.NewFakeClock(epoch)})
	c := client(t, p)
	ctx := context.Background()
	before, err := c.Calls().List(ctx, nil)
	if err != nil || len(before) == 0 {
		t.Fatalf("demo calls: %v, %v", before, err)
	}
	sub := subscribe(t, c, &pbx.EventFilter{Kinds: []pbx.EventKind{
		pbx.KindBackendDisconnected, pbx.KindBackendReconnected, pbx.KindCallEnded, pbx.KindDNDChanged}})
	if err := c.Devices().SetDND(ctx, "1001", true); err != nil {
		t.Fatal(err)
	}
	p.Restart("power cycle")
	events := drain(sub)
	ended := 0
	for _, e := range events {
		switch e := e.(type) {
		case *pbx.BackendReconnected:
			if !e.Restarted {
				t.Error("BackendReconnected after a restart without Restarted")
			}
		case *pbx.CallEnded:
			ended++
		}
	}
	if got := kinds(events[:3]); got != "dnd.changed backend.disconnected backend.reconnected" || ended != len(before) {
		t.Fatalf("events %s (%d calls ended), want the restart then the %d calls ended", kinds(events), ended, len(before))
	}
	if calls, err := c.Calls().List(ctx, nil); err != nil || len(calls) != 0 {
		t.Fatalf("calls after the restart: %v, %v", calls, err)
	}
	if dnd, err := c.Devices().DND(ctx, "1001"); err != nil || !dnd {
		t.Fatalf("DND after the restart: %v, %v; it is kept", dnd, err)
	}

	// A plain outage is no restart.
	p.Disconnect("cable cut")
	p.Reconnect()
	for _, e := range drain(sub) {
		if r, ok := e.(*pbx.BackendReconnected); ok && r.Restarted {
			t.Error("an outage was reported as a restart")
		}
	}
}

func TestFailNextAndLatency(t *testing.T) {
	p := mock.NewDemo(&mock.Options{Latency: 30 * time.Millisecond})
	c := client(t, p)
	p.FailNext("Calls.Hangup", pbx.Errorf(pbx.PermissionDenied, "not allowed"))
	if err := c.Calls().Hangup(context.Background(), "1700000000.101"); !errors.Is(err, pbx.ErrPermissionDenied) {
		t.Fatalf("injected failure: %v", err)
	}
	if err := c.Calls().Hangup(context.Background(), "1700000000.101"); err != nil {
		t.Fatalf("second Hangup: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := c.Calls().List(ctx, nil); !errors.Is(err, pbx.ErrDeadlineExceeded) {
		t.Fatalf("List slower than its deadline: %v", err)
	}
}

func TestActivityMakesEvents(t *testing.T) {
	clock := mock.NewFakeClock(epoch)
	p := mock.NewDemo(&mock.Options{Clock: clock, Activity: time.Second, Seed: 3})
	defer p.Close()
	c := client(t, p)
	sub := subscribe(t, c, nil)
	for range 60 {
		clock.Advance(time.Second)
	}
	seen := map[pbx.EventKind]bool{}
	for _, e := range drain(sub) {
		seen[e.Kind()] = true
	}
	for _, k := range []pbx.EventKind{pbx.KindCallStarted, pbx.KindCallEnded, pbx.KindCDRPosted, pbx.KindDNDChanged} {
		if !seen[k] {
			t.Errorf("a minute of activity produced no %s", k)
		}
	}
	p.Close()
	n := len(drain(sub))
	clock.Advance(time.Minute)
	if extra := len(drain(sub)); extra != 0 {
		t.Fatalf("%d events after Close (had %d)", extra, n)
	}
}

func TestVoicemailAudioIsPlayableWAV(t *testing.T) {
	c := client(t, mock.NewDemo(nil))
	ctx := context.Background()
	msgs, err := c.Voicemail().Messages(ctx, "1010", &pbx.MessageFilter{Folder: pbx.FolderInbox})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %v, %v", msgs, err)
	}
	a, err := c.Voicemail().Audio(ctx, "1010", msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	data, _ := io.ReadAll(a)
	le := binary.LittleEndian
	if string(data[:4]) != "RIFF" || string(data[8:16]) != "WAVEfmt " || le.Uint16(data[20:]) != 1 ||
		le.Uint32(data[24:]) != 8000 || string(data[36:40]) != "data" || int(le.Uint32(data[40:])) != len(data)-44 {
		t.Fatalf("bad WAV header % x", data[:44])
	}
	if int64(len(data)) != msgs[0].Size || msgs[0].Duration != 7*time.Second || len(data)-44 != 7*8000*2 {
		t.Fatalf("%d bytes for a %v message of size %d", len(data), msgs[0].Duration, msgs[0].Size)
	}
}

func TestOpenURL(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		url  string
		want pbx.ErrorCode
	}{
		{"mock://demo", pbx.Unknown},
		{"mock://empty?seed=4&latency=1ms", pbx.Unknown},
		{"mock://", pbx.Unknown},
		{"mock://demo?activity=fast", pbx.InvalidArgument},
		{"mock://demo?colour=blue", pbx.InvalidArgument},
		{"mock://elsewhere", pbx.InvalidArgument},
	} {
		c, err := pbx.Open(ctx, tc.url)
		if pbx.Code(err) != tc.want {
			t.Errorf("Open(%q) = %v, want code %s", tc.url, err, tc.want)
		}
		if c != nil {
			var p *mock.PBX
			if !c.As(&p) || p == nil {
				t.Errorf("As(*mock.PBX) failed for %s", tc.url)
			}
			_ = c.Close()
		}
	}
}
