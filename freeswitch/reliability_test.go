package freeswitch_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pbxkit/pbxkit/esl/esltest"
	"github.com/pbxkit/pbxkit/pbx"
)

// next returns the next event, failing the test after a few seconds.
func next(t *testing.T, sub *pbx.Subscription) pbx.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := sub.Next(ctx)
	if err != nil {
		t.Fatalf("waiting for an event: %v", err)
	}
	return e
}

// TestReconnectUnderLoad drops the switch's connections while a phone
// registers and unregisters as fast as it can and a flood of call events
// streams in: the subscription reports the loss and the recovery, requests
// fail fast meanwhile, the events come in their order before and after
// (the phone's user agents never go backwards), and closing the client
// leaves no goroutine behind.
func TestReconnectUnderLoad(t *testing.T) {
	env := newSwitch(t)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ctx := context.Background()
	c, err := env.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub, err := c.Subscribe(ctx, &pbx.EventFilter{Kinds: []pbx.EventKind{
		pbx.KindContactRegistered, pbx.KindContactUnregistered, pbx.KindBackendDisconnected, pbx.KindBackendReconnected,
	}}, &pbx.SubscribeOptions{Buffer: 1 << 17})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	flood, err := esltest.SampleEvents(500, "plain", 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer wg.Wait()
	defer close(stop)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Microsecond):
			}
			if err := env.srv.Register("1004", esltest.Registration{UserAgent: "ua-" + strconv.Itoa(i), IP: "192.0.2.44"}); err != nil {
				t.Error(err)
				return
			}
			env.srv.Unregister("1004")
			if i%100 == 0 {
				env.srv.WriteRaw(flood) // a burst of call events
			}
		}
	}()

	var seen []pbx.Event
	wait := func(what string, done func() bool) {
		t.Helper()
		for !done() {
			seen = append(seen, next(t, sub))
			if len(seen) > 1<<20 {
				t.Fatalf("no %s", what)
			}
		}
	}
	count := func(k pbx.EventKind) (n int) {
		for _, e := range seen {
			if e.Kind() == k {
				n++
			}
		}
		return n
	}
	wait("registrations before the outage", func() bool { return count(pbx.KindContactRegistered) >= 50 })
	env.srv.RefuseConnections(true)
	env.srv.DropConnections()
	wait("BackendDisconnected", func() bool { return count(pbx.KindBackendDisconnected) == 1 })
	start := time.Now()
	if _, err := c.Calls().List(ctx, nil); pbx.Code(err) != pbx.Unavailable || time.Since(start) > 2*time.Second {
		t.Errorf("List during the outage: %v after %v, want Unavailable at once", err, time.Since(start))
	}
	time.Sleep(300 * time.Millisecond)
	env.srv.RefuseConnections(false)
	wait("BackendReconnected", func() bool { return count(pbx.KindBackendReconnected) == 1 })
	after := len(seen)
	wait("registrations after the outage", func() bool { return len(seen)-after >= 100 })

	last := -1
	for i, e := range seen {
		var ua string
		switch e := e.(type) {
		case *pbx.ContactRegistered:
			ua = e.Contact.UserAgent
		case *pbx.ContactUnregistered:
			ua = e.Contact.UserAgent
		case *pbx.BackendReconnected:
			if e.Downtime <= 0 {
				t.Errorf("downtime %v", e.Downtime)
			}
			if e.Restarted {
				t.Error("a dropped connection was reported as a restart")
			}
			continue
		default:
			continue
		}
		n, err := strconv.Atoi(strings.TrimPrefix(ua, "ua-"))
		if err != nil || n < last {
			t.Fatalf("event %d (%s of %q) after user agent ua-%d: out of order", i, e.Kind(), ua, last)
		}
		last = n
	}
	if k := seen[0].Kind(); k != pbx.KindContactRegistered {
		t.Errorf("first event %s", k)
	}
}

// TestRestartReported restarts the switch under a live call: the backend
// reconnects, says the switch restarted, and reports the call it lost.
func TestRestartReported(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	c, err := env.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub, err := c.Subscribe(ctx, &pbx.EventFilter{Kinds: []pbx.EventKind{
		pbx.KindCallStarted, pbx.KindCallEnded, pbx.KindBackendDisconnected, pbx.KindBackendReconnected,
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	uuid := env.srv.JoinConference("3000", "Caller", "5551234")
	started, ok := next(t, sub).(*pbx.CallStarted)
	if !ok || string(started.Call.ID) != uuid {
		t.Fatalf("first event %+v, want CallStarted of %s", started, uuid)
	}
	env.srv.Restart()
	if e := next(t, sub); e.Kind() != pbx.KindBackendDisconnected {
		t.Fatalf("after the restart: %s, want BackendDisconnected", e.Kind())
	}
	back, ok := next(t, sub).(*pbx.BackendReconnected)
	if !ok || !back.Restarted {
		t.Fatalf("after the restart: %+v, want BackendReconnected with Restarted", back)
	}
	if ended, ok := next(t, sub).(*pbx.CallEnded); !ok || string(ended.Call.ID) != uuid {
		t.Fatalf("after the restart: %+v, want CallEnded of %s", ended, uuid)
	}
}

// plainEvent frames headers as a text/event-plain message.
func plainEvent(headers ...string) []byte {
	var body strings.Builder
	for i := 0; i+1 < len(headers); i += 2 {
		body.WriteString(headers[i] + ": " + headers[i+1] + "\n")
	}
	body.WriteString("\n")
	return fmt.Appendf(nil, "Content-Length: %d\nContent-Type: text/event-plain\n\n%s", body.Len(), body.String())
}

// TestHostileFrames sends what a broken or hostile switch might: events
// with missing, malformed or injected headers, an oversized event, frames
// that are not the protocol. The backend neither panics nor stops: it
// reconnects when the framing is lost, and works afterwards.
func TestHostileFrames(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	c := env.client(t)
	sub := subscribe(t, c, nil, nil)

	for _, frame := range [][]byte{
		plainEvent("Event-Name", "CHANNEL_HANGUP_COMPLETE"),
		plainEvent("Event-Name", "CHANNEL_CREATE", "Unique-ID", "a%20b", "Channel-Presence-ID", "1000%0D%0Aapi%20system@x",
			"Caller-Channel-Created-Time", "-5", "Event-Date-Timestamp", "99999999999999999999"),
		plainEvent("Event-Name", "CHANNEL_BRIDGE", "Unique-ID", "nobody", "Bridge-B-Unique-ID", "nobody-else"),
		plainEvent("Event-Name", "CHANNEL_ANSWER", "Unique-ID", "x", "Caller-Channel-Answered-Time", "abc"),
		plainEvent("Event-Name", "CUSTOM", "Event-Subclass", "conference%3A%3Amaintenance", "Conference-Name", "..%2Fx", "Action", "add-member"),
		plainEvent("Event-Name", "CUSTOM", "Event-Subclass", "callcenter%3A%3Ainfo", "CC-Queue", "a%20b", "CC-Action", "member-queue-end"),
		plainEvent("Event-Name", "CUSTOM", "Event-Subclass", "callcenter%3A%3Ainfo", "CC-Agent", "x%20y", "CC-Action", "agent-status-change"),
		plainEvent("Event-Name", "CUSTOM", "Event-Subclass", "sofia%3A%3Aregister", "profile-name", "internal", "from-user", "1000%0D", "contact", "%3C"),
		plainEvent("Event-Name", "CUSTOM", "Event-Subclass", "sofia%3A%3Aexpire", "profile-name", "internal", "user", "1001"),
		plainEvent("Event-Name", "CUSTOM", "Event-Subclass", "vm%3A%3Amaintenance", "VM-Action", "leave-message", "VM-User", "1000%20x", "VM-Domain", "y"),
		plainEvent("Event-Name", "MESSAGE_WAITING", "MWI-Message-Account", "1000%40x%20y", "MWI-Voice-Message", "garbage"),
		plainEvent("Event-Name", "HEARTBEAT", "Session-Count", "-1"),
		plainEvent("Event-Name", "BACKGROUND_JOB", "Job-UUID", "nobody"),
		append([]byte("Content-Length: 9000000\nContent-Type: text/event-plain\n\n"), make([]byte, 9000000)...),
		[]byte("Content-Length: 12\nContent-Type: text/event-json\n\n{not json!!}"),
		[]byte("this is not the event socket protocol\n\n"),
		[]byte("Content-Length: twelve\nContent-Type: text/event-plain\n\n"),
	} {
		env.srv.WriteRaw(frame)
	}
	env.srv.Heartbeat()
	// The garbage broke the framing: the client reconnects, and works.
	for {
		if _, ok := next(t, sub).(*pbx.BackendReconnected); ok {
			break
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.Calls().List(ctx, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("List after the hostile frames: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Devices().SetDND(ctx, "1000", true); err != nil {
		t.Fatal(err)
	}
	for {
		if e, ok := next(t, sub).(*pbx.DNDChanged); ok && e.Extension == "1000" {
			break
		}
	}
}
