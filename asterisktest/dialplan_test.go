package asterisktest

import (
	"strings"
	"testing"
	"time"
)

// TestDialplanContexts checks the fixture's queue, conference and extension
// dialling through Local channels, as the README describes them.
func TestDialplanContexts(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	a := dialAMI(t, s)
	ctx := ctxT(t, 60*time.Second)
	bob, err := s.Register(ctx, "1002", nil)
	if err != nil {
		t.Fatal(err)
	}
	originate := func(channel string, kv ...string) amiMsg {
		t.Helper()
		id := a.send("Originate", append([]string{"Channel", channel, "Async", "true"}, kv...)...)
		return a.until(15*time.Second, func(m amiMsg) bool { return m["Event"] == "OriginateResponse" && m["ActionID"] == id })
	}

	t.Run("QueueSalesRingsBob", func(t *testing.T) {
		ev := originate("Local/"+QueueSales+"@"+ContextQueue, "Application", "Wait", "Data", "30")
		if ev["Response"] != "Success" {
			t.Fatalf("OriginateResponse: %v", ev)
		}
		m := a.until(15*time.Second, func(m amiMsg) bool { return m["Event"] == "AgentConnect" })
		if m["Queue"] != QueueSales || m["Interface"] != "PJSIP/1002" || m["MemberName"] != "Bob" {
			t.Errorf("AgentConnect: %v", m)
		}
		if err := bob.WaitFor(ctx, func(st PhoneStats) bool { return st.Answered == 1 }); err != nil {
			t.Fatal(err)
		}
		if err := bob.HangupAll(ctx); err != nil {
			t.Fatal(err)
		}
		a.until(10*time.Second, func(m amiMsg) bool { return m["Event"] == "AgentComplete" })
	})
	t.Run("Conference", func(t *testing.T) {
		ev := originate("Local/"+ConfRoom+"@"+ContextConference, "Application", "Wait", "Data", "30")
		if ev["Response"] != "Success" {
			t.Fatalf("OriginateResponse: %v", ev)
		}
		m := a.until(10*time.Second, func(m amiMsg) bool { return m["Event"] == "ConfbridgeJoin" })
		if m["Conference"] != ConfRoom {
			t.Errorf("ConfbridgeJoin: %v", m)
		}
		out, _ := s.CLI(ctx, "confbridge list")
		if !strings.Contains(out, ConfRoom) {
			t.Errorf("confbridge list: %q", out)
		}
		a.action("Hangup", "Channel", "/^Local/"+ConfRoom+"@/")
		a.until(10*time.Second, func(m amiMsg) bool { return m["Event"] == "ConfbridgeEnd" })
	})
	t.Run("DialExtension", func(t *testing.T) {
		answered := bob.Answered()
		ev := originate("Local/1002@"+ContextInternal, "Context", ContextCallMe, "Exten", ExtenHold, "Priority", "1")
		if ev["Response"] != "Success" {
			t.Fatalf("OriginateResponse: %v", ev)
		}
		if err := bob.WaitFor(ctx, func(st PhoneStats) bool { return st.Answered == answered+1 }); err != nil {
			t.Fatal(err)
		}
		if err := bob.HangupAll(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("PhoneCallsPhone", func(t *testing.T) {
		alice, err := s.Register(ctx, "1001", nil)
		if err != nil {
			t.Fatal(err)
		}
		answered := bob.Answered()
		call, err := alice.Dial(ctx, "1002")
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.WaitFor(ctx, func(st PhoneStats) bool { return st.Answered == answered+1 }); err != nil {
			t.Fatal(err)
		}
		if inv := bob.Invites()[len(bob.Invites())-1]; inv.FromUser != "1001" || inv.FromDisplay != "Alice" {
			t.Errorf("Bob's INVITE is from %q", inv.From)
		}
		out, _ := s.CLI(ctx, "core show channels concise")
		if !strings.Contains(out, "PJSIP/1001-") || !strings.Contains(out, "PJSIP/1002-") {
			t.Errorf("channels: %q", out)
		}
		if err := call.Hangup(ctx); err != nil {
			t.Fatal(err)
		}
		if err := bob.WaitFor(ctx, func(st PhoneStats) bool { return st.Active == 0 }); err != nil {
			t.Fatal(err)
		}

		// Asterisk hangs up: hello plays for about 2.5 s and ends the call.
		call, err = alice.Dial(ctx, ExtenHello)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-call.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("hello did not hang up")
		}
		if err := alice.WaitFor(ctx, func(st PhoneStats) bool { return st.Dialed == 2 && st.Active == 0 && st.ByesReceived == 1 }); err != nil {
			t.Fatal(err)
		}

		// An extension the dialplan lacks is refused with 404 Not Found.
		if _, err := alice.Dial(ctx, "nosuchexten"); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("Dial of an unknown extension: %v", err)
		}
	})
	t.Run("BusyGoesToVoicemail", func(t *testing.T) {
		bob.SetMode(Busy)
		// The busy greeting ("The person at extension 1 0 0 2 is on the phone")
		// lasts about 7 s: the caller plays music for 9 s.
		ev := originate("Local/1002@"+ContextInternal, "Application", "MusicOnHold", "Data", "default,9",
			"CallerID", "Busy Test <4444>")
		if ev["Response"] != "Success" {
			t.Fatalf("OriginateResponse: %v", ev)
		}
		a.until(20*time.Second, func(m amiMsg) bool { return m["Event"] == "MessageWaiting" && m["Mailbox"] == "1002@default" })
		// Asterisk tells the phone with an unsolicited MWI NOTIFY (the first
		// one, sent when it registered, said "no").
		yes := func() bool {
			for _, n := range bob.Notifications() {
				if n.Event == "message-summary" && strings.Contains(n.Body, "Messages-Waiting: yes") {
					return true
				}
			}
			return false
		}
		for seen := 0; !yes(); seen++ {
			if err := bob.WaitFor(ctx, func(st PhoneStats) bool { return st.Notifies > seen }); err != nil {
				t.Fatalf("%v; NOTIFYs: %+v", err, bob.Notifications())
			}
		}
	})
}
