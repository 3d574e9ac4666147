package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// sseEvent is one event (or heartbeat comment, kind ":ping") read from a stream.
type sseEvent struct {
	id, kind string
	data     map[string]any
}

// openStream opens GET /extensions/me/events and returns its events on a
// channel, closed when the stream ends.
func openStream(t *testing.T, ts *testServer, token string) (<-chan sseEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, "GET", ts.URL+"/extensions/me/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := ts.Client().Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		resp.Body.Close()
		cancel()
		t.Fatalf("event stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ch := make(chan sseEvent, 1024)
	go func() {
		defer close(ch)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.kind != "" {
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ch <- sseEvent{kind: ":ping"}
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.kind = line[7:]
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(line[6:]), &ev.data); err != nil {
					t.Errorf("event data is not JSON: %s", line)
				}
			}
		}
	}()
	t.Cleanup(cancel)
	return ch, cancel
}

// next returns the next event of a kind accepted by want, failing on
// timeout; events it skips are passed to skipped.
func next(t *testing.T, ch <-chan sseEvent, want func(sseEvent) bool, skipped func(sseEvent)) sseEvent {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatal("the stream ended")
			}
			if want(ev) {
				return ev
			}
			if skipped != nil {
				skipped(ev)
			}
		case <-timeout:
			t.Fatal("timed out waiting for an event")
		}
	}
}

func kind(k string) func(sseEvent) bool { return func(e sseEvent) bool { return e.kind == k } }

func TestEventStream(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	ch, _ := openStream(t, ts, tokenfile.DemoToken)
	hello := next(t, ch, kind("hello"), nil)
	if hello.data["extension"] != "1010" || hello.data["mailbox"] != "1010" {
		t.Fatalf("hello: %v", hello.data)
	}
	// Events about other extensions and mailboxes never reach 1010's stream.
	foreign := func(e sseEvent) {
		if ext, _ := e.data["extension"].(string); ext != "" && ext != "1010" {
			t.Errorf("1010's stream got %s about %s", e.kind, ext)
		}
		if box, _ := e.data["mailbox"].(string); box != "" && box != "1010" {
			t.Errorf("1010's stream got %s about mailbox %s", e.kind, box)
		}
		if call, _ := e.data["call"].(map[string]any); call != nil && call["extension"] != "1010" {
			t.Errorf("1010's stream got %s about a call of %v", e.kind, call["extension"])
		}
	}
	ctx := t.Context()

	if err := ts.client.Devices().SetDND(ctx, "1001", true); err != nil {
		t.Fatal(err)
	}
	if r := ts.do(t, "POST", "/extensions/me/callme?mode=echo", tokenfile.DemoToken, nil); r.status != 200 {
		t.Fatalf("callme: %d %s", r.status, r.body)
	}
	started := next(t, ch, kind("call.started"), foreign)
	if c := started.data["call"].(map[string]any); c["extension"] != "1010" || c["caller"].(map[string]any)["name"] != "Call Me Test (Echo)" {
		t.Errorf("call.started: %v", started.data)
	}
	if started.id == "" {
		t.Error("events carry no id")
	}
	next(t, ch, kind("call.answered"), foreign)

	if _, err := ts.pbx.LeaveVoicemail("1001", pbx.Party{Number: "5551234"}, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.pbx.LeaveVoicemail("1010", pbx.Party{Number: "5554321"}, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	vm := next(t, ch, kind("voicemail.received"), foreign)
	if vm.data["mailbox"] != "1010" {
		t.Errorf("voicemail.received: %v", vm.data)
	}

	// Conference events are public, like GET /conferences.
	if _, err := ts.client.Conferences().Join(ctx, "400", "1002", nil); err != nil {
		t.Fatal(err)
	}
	joined := next(t, ch, kind("conference.joined"), foreign)
	if p := joined.data["participant"].(map[string]any); p["conference"] != "400" {
		t.Errorf("conference.joined: %v", joined.data)
	}

	if r := ts.do(t, "POST", "/extensions/me/dnd", tokenfile.DemoToken, `{"dndStatus":true}`); r.status != 200 {
		t.Fatal(r.status)
	}
	dnd := next(t, ch, kind("dnd.changed"), foreign)
	if dnd.data["extension"] != "1010" || dnd.data["enabled"] != true {
		t.Errorf("dnd.changed: %v", dnd.data)
	}
	// The heartbeat keeps idle streams alive through proxies.
	next(t, ch, kind(":ping"), foreign)
}

func TestEventStreamShutdown(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	ch, _ := openStream(t, ts, tokenfile.DemoToken)
	next(t, ch, kind("hello"), nil)
	ts.srv.events.close() // what http.Server.Shutdown triggers (RegisterOnShutdown)
	bye := next(t, ch, kind("bye"), nil)
	if bye.data["reason"] != "shutdown" {
		t.Errorf("bye: %v", bye.data)
	}
	select {
	case _, ok := <-ch:
		if ok {
			t.Error("the stream goes on after bye")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream did not end")
	}
	// A closed broker refuses new streams.
	if r := ts.do(t, "GET", "/extensions/me/events", tokenfile.DemoToken, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("stream after shutdown: %d", r.status)
	}
}

func TestEventStreamLimit(t *testing.T) {
	ts := newTestServer(t, []string{"--max-streams=2"}, nil)
	_, cancel1 := openStream(t, ts, tokenfile.DemoToken)
	ch2, _ := openStream(t, ts, tokenfile.DemoToken)
	next(t, ch2, kind("hello"), nil)
	r := ts.do(t, "GET", "/extensions/me/events", tokenfile.DemoToken, nil)
	if r.status != http.StatusTooManyRequests || r.errorCode(t) != codeTooManyStreams {
		t.Fatalf("third stream: %d %s", r.status, r.body)
	}
	cancel1()
	waitFor(t, "the first stream's slot", 5*time.Second, func() bool {
		ts.srv.streams.mu.Lock()
		defer ts.srv.streams.mu.Unlock()
		for _, n := range ts.srv.streams.n {
			return n < 2
		}
		return true
	})
	ch3, _ := openStream(t, ts, tokenfile.DemoToken)
	next(t, ch3, kind("hello"), nil)
}

func TestBrokerOverflow(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	b := ts.srv.events
	slow, ok := b.add("1010", "1010")
	if !ok {
		t.Fatal("add failed")
	}
	other, _ := b.add("1001", "1001")
	for range streamBuffer + 1 {
		b.dispatch(&pbx.DNDChanged{Extension: "1010", Enabled: true})
	}
	n := 0
	for range slow.ch {
		n++
	}
	b.mu.Lock()
	reason := slow.reason
	b.mu.Unlock()
	if n != streamBuffer || reason != "overflow" {
		t.Errorf("slow stream got %d frames and ended for %q; want %d and overflow", n, reason, streamBuffer)
	}
	select {
	case <-other.ch:
		t.Error("1001's stream got 1010's events")
	default:
	}
	b.remove(other)
	b.remove(slow) // already gone: a no-op
}

func TestRoute(t *testing.T) {
	call := func(ext pbx.ExtensionID) pbx.Call { return pbx.Call{ID: "1.1", Extension: ext} }
	tests := []struct {
		e      pbx.Event
		exts   [2]pbx.ExtensionID
		box    pbx.MailboxID
		public bool
	}{
		{e: &pbx.CallStarted{Call: call("1010")}, exts: [2]pbx.ExtensionID{"1010"}},
		{e: &pbx.CallEnded{Call: call("")}},
		{e: &pbx.DNDChanged{Extension: "1001"}, exts: [2]pbx.ExtensionID{"1001"}},
		{e: &pbx.VoicemailReceived{Mailbox: "1010@default"}, exts: [2]pbx.ExtensionID{"1010"}, box: "1010@default"},
		{e: &pbx.MailboxChanged{Mailbox: "1002"}, exts: [2]pbx.ExtensionID{"1002"}, box: "1002"},
		{e: &pbx.ConferenceJoined{}, public: true},
		{e: &pbx.ConferenceEnded{Conference: "400"}, public: true},
		{e: &pbx.QueueMemberPaused{Member: pbx.QueueMember{Interface: "Local/1004@from-queue/n"}}, exts: [2]pbx.ExtensionID{"1004"}},
		{e: &pbx.QueueCallerJoined{}},
		{e: &pbx.CDRPosted{CDR: pbx.CDR{Src: "1010", Dst: "+15551234567"}}, exts: [2]pbx.ExtensionID{"1010", "+15551234567"}},
		{e: &pbx.EventsDropped{Count: 3}, public: true},
		{e: &pbx.BackendDisconnected{}, public: true},
	}
	for _, tt := range tests {
		exts, box, public := route(tt.e)
		if exts != tt.exts || box != tt.box || public != tt.public {
			t.Errorf("route(%s) = %v %q %v, want %v %q %v", tt.e.Kind(), exts, box, public, tt.exts, tt.box, tt.public)
		}
	}
	if !sameMailbox("1010", "1010@default") || sameMailbox("1010", "1010@other") || sameMailbox("1010", "1001") {
		t.Error("sameMailbox")
	}
}
