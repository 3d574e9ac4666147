package ami

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/asterisktest"
)

var record = flag.Bool("record", false, "re-record "+transcriptPath+" from a real Asterisk (TestRecordRealStream)")

// transcriptPath is a raw AMI event stream recorded from a real Asterisk
// 16.28 by TestRecordRealStream (see testdata/README.md). The benchmarks
// replay it over loopback.
const transcriptPath = "testdata/asterisk16-events.ami"

// Bounds of the recording: TestRecordRealStream stops generating traffic
// once the stream holds recordTarget events; TestTranscript checks the
// committed file against recordMin and recordMaxBytes.
const (
	recordTarget   = 2200
	recordMin      = 1000
	recordMaxBytes = 1536 << 10
)

// TestTranscript checks the recorded stream used by the benchmarks: only
// broadcast events (Privilege header, no Response outside an
// OriginateResponse), CRLF framing, and the variety of a real PBX (calls,
// conferences, queues, voicemail, registrations, CDRs, TestEvent). It also
// checks that the replay server cuts the stream at exactly the events the
// reader sees.
func TestTranscript(t *testing.T) {
	data, err := os.ReadFile(transcriptPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > recordMaxBytes {
		t.Errorf("%s is %d bytes, more than %d", transcriptPath, len(data), recordMaxBytes)
	}
	msgs, ovfs, err := readAll(t, string(data), DefaultMaxMessageSize, DefaultMaxHeaders)
	if err != io.EOF || len(ovfs) != 0 {
		t.Fatalf("err %v overflows %d", err, len(ovfs))
	}
	if len(msgs) < recordMin {
		t.Errorf("only %d events", len(msgs))
	}
	if ends := eventEnds(data); len(ends) != len(msgs) || ends[len(ends)-1] != len(data) {
		t.Errorf("%d event ends for %d events (last end %d of %d bytes)", len(ends), len(msgs), ends[len(ends)-1], len(data))
	}
	if n := bytes.Count(data, []byte("\n")); n != bytes.Count(data, []byte("\r\n")) {
		t.Errorf("%d bare LFs", n-bytes.Count(data, []byte("\r\n")))
	}
	names := map[string]int{}
	for _, m := range msgs {
		if m.Event() == "" || m.Get("Privilege") == "" {
			t.Fatalf("not a broadcast event: %v", m)
		}
		if m.Response() != "" && m.Event() != "OriginateResponse" {
			t.Fatalf("event with a Response header: %v", m)
		}
		names[m.Event()]++
	}
	for _, ev := range []string{
		"FullyBooted", "Newchannel", "Newstate", "Newexten", "VarSet", "DialBegin", "DialEnd",
		"BridgeCreate", "BridgeEnter", "BridgeLeave", "BridgeDestroy", "LocalBridge",
		"SoftHangupRequest", "HangupRequest", "Hangup", "Cdr", "DeviceStateChange",
		"OriginateResponse", "ContactStatus", "PeerStatus", "MusicOnHoldStart", "MusicOnHoldStop",
		"ConfbridgeStart", "ConfbridgeJoin", "ConfbridgeLeave", "ConfbridgeEnd",
		"QueueMemberAdded", "QueueMemberPause", "QueueMemberRemoved", "QueueCallerJoin",
		"QueueCallerLeave", "AgentCalled", "AgentConnect", "AgentComplete",
		"MessageWaiting", "TestEvent", "UserEvent",
	} {
		if names[ev] == 0 {
			t.Errorf("no %s event in the recording", ev)
		}
	}
	t.Logf("%d events, %d bytes (%d per event), %d stray blank lines, %d event types, VarSet %d%%",
		len(msgs), len(data), len(data)/len(msgs), bytes.Count(data, []byte("\r\n\r\n\r\n")),
		len(names), 100*names["VarSet"]/len(msgs))
}

// eventEnds returns the offset just past each message of a recorded stream
// (its blank line). Stray blank lines between messages belong to the
// message after them.
func eventEnds(data []byte) []int {
	var ends []int
	for i := 0; i < len(data); {
		for bytes.HasPrefix(data[i:], []byte("\r\n")) {
			i += 2 // stray blank lines
		}
		j := bytes.Index(data[i:], []byte("\r\n\r\n"))
		if j < 0 {
			break
		}
		i += j + 4
		ends = append(ends, i)
	}
	return ends
}

// TestRecordRealStream records transcriptPath from a private Asterisk 16.28
// (asterisktest) when the test binary runs with -record:
//
//	go test ./ami -run TestRecordRealStream -record -v
//
// A raw TCP session logs in with "Events: on" and keeps every byte it
// receives after its Login response, unmodified. Three phones register
// (1001-1003) and a second AMI connection generates traffic until the stream
// holds about recordTarget events: calls originated to the phones into the
// hold, echo and hello services, calls dialled between the phones, hangups
// by AMI and by BYE, Redirect, a busy phone, a conference, the queues
// (dynamic member added, paused, called, removed), DND writes in astdb,
// voicemail left through pbxkit-leave-vm, parking, user events. The stream is
// cut after its last complete message.
func TestRecordRealStream(t *testing.T) {
	if !*record {
		t.Skip("run with -record to re-record " + transcriptPath)
	}
	srv := asterisktest.Start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// The recording session.
	raw, err := net.Dial("tcp", srv.AMIAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	fmt.Fprintf(raw, "Action: Login\r\nActionID: rec-login\r\nUsername: %s\r\nSecret: %s\r\nEvents: on\r\n\r\n", srv.AMIUser, srv.AMISecret)
	br := bufio.NewReader(raw)
	_ = raw.SetReadDeadline(time.Now().Add(10 * time.Second))
	for { // the banner, then the Login response up to its blank line
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("login: %v", err)
		}
		if strings.HasPrefix(line, "Message: ") && !strings.Contains(line, "Authentication accepted") {
			t.Fatalf("login: %q", line)
		}
		if line == "\r\n" {
			break
		}
	}
	_ = raw.SetReadDeadline(time.Time{})
	var (
		mu  sync.Mutex
		buf bytes.Buffer
		wg  sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		p := make([]byte, 64<<10)
		for {
			n, err := br.Read(p)
			mu.Lock()
			buf.Write(p[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	events := func() int {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Count(buf.Bytes(), []byte("\r\n\r\n"))
	}

	// The traffic generator.
	c, err := Dial(ctx, srv.AMIAddr, &Options{Username: srv.AMIUser, Secret: srv.AMISecret, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	phones := map[string]*asterisktest.Phone{}
	for _, ext := range []string{"1001", "1002", "1003"} {
		p, err := srv.Register(ctx, ext, nil)
		if err != nil {
			t.Fatal(err)
		}
		phones[ext] = p
	}
	do := func(a *Message) *Message {
		t.Helper()
		resp, err := c.Do(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", a.Action(), err)
		}
		return resp
	}
	originate := func(channel string, kv ...string) {
		t.Helper()
		a := NewAction("Originate").Add("Channel", channel).Add("Async", "true")
		for i := 0; i+1 < len(kv); i += 2 {
			a.Add(kv[i], kv[i+1])
		}
		do(a)
	}
	channels := func() []*Message {
		t.Helper()
		l, err := c.DoList(ctx, NewAction("CoreShowChannels"))
		if err != nil {
			t.Fatal(err)
		}
		return l.Items
	}
	// channel returns the name of the first channel whose name starts with prefix.
	channel := func(prefix string) string {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			for _, ch := range channels() {
				if strings.HasPrefix(ch.Get("Channel"), prefix) && ch.Get("ChannelStateDesc") == "Up" {
					return ch.Get("Channel")
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("no channel %s* up", prefix)
		return ""
	}
	hangup := func(name string) { do(NewAction("Hangup").Add("Channel", name)) }
	idle := func() {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for len(channels()) > 0 {
			if time.Now().After(deadline) {
				t.Fatalf("channels left: %v", channels())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	pause := func(d time.Duration) { time.Sleep(d) }
	callme := func(ext, service string) {
		originate("PJSIP/"+ext, "Context", asterisktest.ContextCallMe, "Exten", service, "Priority", "1",
			"CallerID", "Call me <"+service+">")
	}

	steps := []func(round int){
		func(int) { // originate into hold, hang up by AMI
			callme("1001", asterisktest.ExtenHold)
			ch := channel("PJSIP/1001-")
			pause(1200 * time.Millisecond)
			hangup(ch)
		},
		func(int) { // originate into echo, the phone hangs up (BYE)
			callme("1002", asterisktest.ExtenEcho)
			channel("PJSIP/1002-")
			pause(800 * time.Millisecond)
			_ = phones["1002"].HangupAll(ctx)
		},
		func(int) { // originate into hello: Asterisk hangs up after the prompt
			callme("1003", asterisktest.ExtenHello)
			channel("PJSIP/1003-")
		},
		func(round int) { // phone to phone, bridged, hung up by either side
			call, err := phones["1001"].Dial(ctx, "1002")
			if err != nil {
				t.Fatal(err)
			}
			pause(1500 * time.Millisecond)
			if round%2 == 0 {
				_ = call.Hangup(ctx)
			} else {
				_ = phones["1002"].HangupAll(ctx)
			}
		},
		func(int) { // Redirect from hold to echo, then hangup
			callme("1003", asterisktest.ExtenHold)
			ch := channel("PJSIP/1003-")
			pause(500 * time.Millisecond)
			do(NewAction("Redirect").Add("Channel", ch).Add("Context", asterisktest.ContextCallMe).
				Add("Exten", asterisktest.ExtenEcho).Add("Priority", "1"))
			pause(700 * time.Millisecond)
			hangup(ch)
		},
		func(int) { // a busy phone, then an unanswered one
			phones["1003"].SetMode(asterisktest.Busy)
			callme("1003", asterisktest.ExtenHold)
			pause(500 * time.Millisecond)
			phones["1003"].SetMode(asterisktest.RingForever)
			originate("PJSIP/1003", "Context", asterisktest.ContextCallMe, "Exten", asterisktest.ExtenHold,
				"Priority", "1", "Timeout", "1500")
			pause(2 * time.Second)
			phones["1003"].SetMode(asterisktest.Answer)
		},
		func(int) { // a conference: a Local channel and two phones, mute, unmute
			room := asterisktest.ConfRoom
			originate("Local/"+room+"@"+asterisktest.ContextConference, "Application", "Wait", "Data", "10")
			originate("PJSIP/1001", "Context", asterisktest.ContextConference, "Exten", room, "Priority", "1")
			ch := channel("PJSIP/1001-")
			call, err := phones["1003"].Dial(ctx, room)
			if err != nil {
				t.Fatal(err)
			}
			pause(700 * time.Millisecond)
			do(NewAction("ConfbridgeMute").Add("Conference", room).Add("Channel", ch))
			pause(300 * time.Millisecond)
			do(NewAction("ConfbridgeUnmute").Add("Conference", room).Add("Channel", ch))
			pause(300 * time.Millisecond)
			_ = call.Hangup(ctx)
			hangup(ch)
			do(NewAction("Hangup").Add("Channel", "/^Local/"+room+"@/"))
		},
		func(int) { // queues: a dynamic member in support, a caller to each queue
			do(NewAction("QueueAdd").Add("Queue", asterisktest.QueueSupport).Add("Interface", "PJSIP/1003").
				Add("MemberName", "Carol").Add("Penalty", "1"))
			do(NewAction("QueuePause").Add("Queue", asterisktest.QueueSupport).Add("Interface", "PJSIP/1003").
				Add("Paused", "true").Add("Reason", "lunch"))
			do(NewAction("QueuePenalty").Add("Queue", asterisktest.QueueSupport).Add("Interface", "PJSIP/1003").Add("Penalty", "2"))
			do(NewAction("QueuePause").Add("Queue", asterisktest.QueueSupport).Add("Interface", "PJSIP/1003").Add("Paused", "false"))
			originate("Local/support@"+asterisktest.ContextQueue, "Application", "Wait", "Data", "3",
				"CallerID", "Queue caller <5551000>")
			originate("Local/sales@"+asterisktest.ContextQueue, "Application", "Wait", "Data", "3",
				"CallerID", "Sales caller <5552000>")
			pause(3500 * time.Millisecond)
			idle()
			do(NewAction("QueueRemove").Add("Queue", asterisktest.QueueSupport).Add("Interface", "PJSIP/1003"))
		},
		func(round int) { // DND in astdb, a user event
			key := fmt.Sprint(1001 + round%3)
			do(NewAction("DBPut").Add("Family", "DND").Add("Key", key).Add("Val", "YES"))
			do(NewAction("UserEvent").Add("UserEvent", "DND").Add("Extension", key).Add("State", "on"))
			do(NewAction("DBDel").Add("Family", "DND").Add("Key", key))
			do(NewAction("UserEvent").Add("UserEvent", "DND").Add("Extension", key).Add("State", "off"))
		},
		func(round int) { // voicemail left without a phone, then read (MWI off)
			box := fmt.Sprint(1001 + round%3)
			originate("Local/"+box+"@"+asterisktest.ContextLeaveVoicemail, "Context", asterisktest.ContextCallMe,
				"Exten", asterisktest.ExtenHello, "Priority", "1", "CallerID", "Voicemail test <5553000>")
			pause(3 * time.Second)
			idle()
		},
		func(int) { // parking: phone 1002 parks itself, the lot times out nothing: hang up
			call, err := phones["1002"].Dial(ctx, "700")
			if err != nil {
				t.Fatal(err)
			}
			pause(1500 * time.Millisecond)
			_ = call.Hangup(ctx)
		},
		func(int) { // a call to an unregistered extension reaches its voicemail
			call, err := phones["1001"].Dial(ctx, "1004")
			if err != nil {
				t.Fatal(err)
			}
			pause(1500 * time.Millisecond)
			_ = call.Hangup(ctx)
		},
	}
	for round := 0; events() < recordTarget; round++ {
		if round == 20 {
			t.Fatalf("only %d events after %d rounds", events(), round)
		}
		for _, step := range steps {
			step(round)
			idle()
			if events() >= recordTarget {
				break
			}
		}
	}
	pause(500 * time.Millisecond)
	_ = raw.Close()
	wg.Wait()
	mu.Lock()
	data := buf.Bytes()
	mu.Unlock()
	if i := bytes.LastIndex(data, []byte("\r\n\r\n")); i >= 0 {
		data = data[:i+4] // the last complete message
	}
	if err := os.WriteFile(transcriptPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d bytes, %d messages, into %s", len(data), len(eventEnds(data)), transcriptPath)
}
