package asterisk_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/ari"
	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/asterisktest"
	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/pbx"
)

// TestRestartWhileEventsFlow restarts Asterisk while events stream in: the
// client reconnects by itself, the subscription carries on and reports the
// loss and the recovery, actions during the outage fail fast with
// Unavailable, and closing the client leaves no goroutine behind.
func TestRestartWhileEventsFlow(t *testing.T) {
	beforeStart := time.Now()
	srv := asterisktest.Start(t, nil)
	ctx := context.Background()
	opts := asttest.Options(srv)
	opts.CDR = nil

	// Take the goroutines of the server and the test framework as the baseline.
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		goleak.IgnoreAnyFunction("github.com/pbxkit/pbxkit/asterisktest.(*Server).Start.func1"),
		goleak.IgnoreAnyFunction("os/exec.(*Cmd).Start.func2"),
		goleak.IgnoreAnyFunction("os/exec.(*Cmd).Wait"))

	c, err := asterisk.Open(ctx, srv.AMIAddr, &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub, err := c.Subscribe(ctx, &pbx.EventFilter{Kinds: []pbx.EventKind{
		pbx.KindDNDChanged, pbx.KindBackendDisconnected, pbx.KindBackendReconnected,
	}}, &pbx.SubscribeOptions{Buffer: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	// A writer keeps events flowing, whatever the outage does to it.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var okBefore, okAfter, failed atomic.Int64
	var restarted atomic.Bool
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			actx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := c.Devices().SetDND(actx, "1004", i%2 == 0)
			cancel()
			switch {
			case err == nil && restarted.Load():
				okAfter.Add(1)
			case err == nil:
				okBefore.Add(1)
			default:
				failed.Add(1)
				if code := pbx.Code(err); code != pbx.Unavailable {
					t.Errorf("SetDND during the outage: %v (code %s), want unavailable", err, code)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}
	}()

	waitUntil(t, 10*time.Second, "events before the restart", func() bool { return okBefore.Load() >= 20 })
	// Asterisk tells its start time to the second: restart it in another
	// second, so that the backend can tell.
	time.Sleep(time.Until(beforeStart.Add(1100 * time.Millisecond)))
	// An action started while Asterisk is going down must fail fast.
	if err := srv.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.Calls().List(ctx, nil)
	if pbx.Code(err) != pbx.Unavailable || time.Since(start) > 3*time.Second {
		t.Errorf("List while Asterisk is down: %v after %v, want unavailable at once", err, time.Since(start))
	}
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	restarted.Store(true)
	waitUntil(t, 20*time.Second, "events after the restart", func() bool { return okAfter.Load() >= 20 })
	close(stop)
	wg.Wait()

	// The subscription saw: DND events, the loss, the recovery, more DND events.
	var lost, back, before, after int
	for {
		nctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		e, err := sub.Next(nctx)
		cancel()
		if err != nil {
			break
		}
		switch e := e.(type) {
		case *pbx.BackendDisconnected:
			lost++
		case *pbx.BackendReconnected:
			if lost == 0 {
				t.Fatal("BackendReconnected before BackendDisconnected")
			}
			if !e.Restarted {
				t.Error("BackendReconnected after a restart of Asterisk does not say Restarted")
			}
			back++
		case *pbx.DNDChanged:
			if back > 0 {
				after++
			} else {
				before++
			}
		case *pbx.EventsDropped:
			t.Fatalf("events dropped: %+v", e)
		}
	}
	if lost != 1 || back != 1 || before < 20 || after < 20 {
		t.Fatalf("subscription saw %d DND events, %d losses, %d recoveries, %d DND events", before, lost, back, after)
	}
	t.Logf("%d actions before, %d failed during, %d after the restart", okBefore.Load(), failed.Load(), okAfter.Load())
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestReconnectWithoutRestart cuts the AMI connection while Asterisk stays
// up: the backend reconnects and does not report a restart.
func TestReconnectWithoutRestart(t *testing.T) {
	srv := asterisktest.Start(t, nil)
	proxy := asttest.NewProxy(t, srv.AMIAddr)
	ctx := context.Background()
	opts := asttest.Options(srv)
	opts.CDR = nil
	c, err := asterisk.Open(ctx, proxy.Addr(), &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub, err := c.Subscribe(ctx, &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindBackendDisconnected, pbx.KindBackendReconnected}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	proxy.CutAfter("Action: DBPut", 1)
	_ = c.Devices().SetDND(ctx, "1004", true) // cut once written
	next := func() pbx.Event {
		t.Helper()
		nctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		e, err := sub.Next(nctx)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	if e, ok := next().(*pbx.BackendDisconnected); !ok {
		t.Fatalf("first event %v, want BackendDisconnected", e)
	}
	proxy.Restore()
	e, ok := next().(*pbx.BackendReconnected)
	if !ok || e.Restarted {
		t.Fatalf("after the cut: %+v, want BackendReconnected without Restarted", e)
	}
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConcurrentActions sends 200 actions at once over one connection to a
// real Asterisk: each gets its own answer.
func TestConcurrentActions(t *testing.T) {
	srv := asterisktest.Start(t, nil)
	ctx := context.Background()
	conn, err := ami.Dial(ctx, srv.AMIAddr, &ami.Options{Username: srv.AMIUser, Secret: srv.AMISecret})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 200
	for i := range n {
		if _, err := conn.Do(ctx, ami.NewAction("DBPut").Add("Family", "pbxkit-concurrency").
			Add("Key", fmt.Sprintf("k%d", i)).Add("Val", fmt.Sprintf("value-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			list, err := conn.DoList(ctx, ami.NewAction("DBGet").Add("Family", "pbxkit-concurrency").Add("Key", fmt.Sprintf("k%d", i)))
			if err != nil {
				errs <- err
				return
			}
			for _, m := range list.Items {
				if m.Event() == "DBGetResponse" {
					if got, want := m.Get("Val"), fmt.Sprintf("value-%d", i); got != want {
						errs <- fmt.Errorf("action %d got %q, want %q", i, got, want)
					}
					return
				}
			}
			errs <- fmt.Errorf("action %d got no value", i)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestInjectionRefusedBeforeTheWire sends header and dial-string injections
// through every kind of call; nothing of them reaches Asterisk.
func TestInjectionRefusedBeforeTheWire(t *testing.T) {
	srv := asterisktest.Start(t, nil)
	rec := asttest.NewProxy(t, srv.AMIAddr)
	ctx := context.Background()
	opts := asttest.Options(srv)
	c, err := asterisk.Open(ctx, rec.Addr(), &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const marker = "INJECTED"
	attempts := []struct {
		name string
		call func() error
	}{
		{"caller ID name", func() error {
			_, err := c.Calls().Originate(ctx, pbx.OriginateRequest{From: "1001", Mode: pbx.ModeEchoTest,
				CallerID: pbx.Party{Name: "x\r\nAction: Command\r\nCommand: core stop now " + marker}})
			return err
		}},
		{"bare LF in a variable", func() error {
			_, err := c.Calls().Originate(ctx, pbx.OriginateRequest{From: "1001", Mode: pbx.ModeEchoTest,
				Variables: map[string]string{"A": "b\n\nAction: Command\nCommand: " + marker}})
			return err
		}},
		{"NUL in an account code", func() error {
			_, err := c.Calls().Originate(ctx, pbx.OriginateRequest{From: "1001", Mode: pbx.ModeEchoTest, AccountCode: "a\x00" + marker})
			return err
		}},
		{"dial string", func() error {
			_, err := c.Calls().Originate(ctx, pbx.OriginateRequest{From: "1001", To: "100&PJSIP/" + marker})
			return err
		}},
		{"extension", func() error { return c.Devices().SetDND(ctx, "1001\r\nAction: "+marker, true) }},
		{"forward number", func() error {
			return c.Devices().SetForward(ctx, "1001", pbx.CallForward{Always: "1\r\n" + marker})
		}},
		{"queue interface", func() error {
			return c.Queues().AddMember(ctx, "support", pbx.QueueMember{Interface: "PJSIP/1001\r\nAction: " + marker})
		}},
		{"pause reason", func() error {
			return c.Queues().PauseMember(ctx, "support", "PJSIP/1001", true, "lunch\r\n"+marker)
		}},
		{"hang-up regex", func() error { return c.Calls().Hangup(ctx, "/.*"+marker+"/") }},
		{"conference room", func() error { return c.Conferences().Lock(ctx, "room\n"+marker, true) }},
		{"extension name", func() error {
			_, _, err := c.Extensions().Create(ctx, pbx.Extension{ID: "1088", Name: "x\r\n" + marker})
			return err
		}},
		{"voicemail folder", func() error {
			_, err := c.Voicemail().Move(ctx, "1001", "msg", pbx.Folder("../"+marker))
			return err
		}},
	}
	for _, a := range attempts {
		if err := a.call(); !errors.Is(err, pbx.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", a.name, err)
		}
	}
	// A valid action afterwards proves the connection is fine and flushes.
	if _, err := c.Calls().List(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if sent := rec.Sent(); bytes.Contains([]byte(sent), []byte(marker)) {
		t.Fatalf("an injected value reached Asterisk:\n%s", sent)
	}
}

// TestARIOriginates checks that with ARI configured, calls are originated
// and hung up through ARI: no Originate or Hangup action goes over AMI.
func TestARIOriginates(t *testing.T) {
	srv := asterisktest.Start(t, nil)
	ctx := context.Background()
	phone, err := srv.Register(ctx, "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	rec := asttest.NewProxy(t, srv.AMIAddr)
	opts := asttest.Options(srv)
	opts.ARI = &asterisk.ARIOptions{URL: srv.ARIURL, Username: srv.ARIUser, Password: srv.ARIPassword}
	c, err := asterisk.Open(ctx, rec.Addr(), &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var a *ari.Client
	if !c.As(&a) || a == nil {
		t.Fatal("As(**ari.Client) failed with ARI configured")
	}
	waitUntil(t, 10*time.Second, "the phone registered", func() bool {
		d, err := c.Devices().Get(ctx, "1001")
		return err == nil && len(d.Contacts) > 0
	})
	id, err := c.Calls().CallMe(ctx, "1001", pbx.CallMeRequest{Mode: pbx.ModeMusicOnHold})
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := a.Channel(ctx, string(id)); err != nil || ch.ID != string(id) {
		t.Fatalf("ARI does not know call %s: %v", id, err)
	}
	if err := c.Calls().Hangup(ctx, id); err != nil {
		t.Fatal(err)
	}
	// ARI's DELETE answers before the channel is gone.
	waitUntil(t, 5*time.Second, "the call gone", func() bool {
		_, err := c.Calls().Get(ctx, id)
		return errors.Is(err, pbx.ErrNotFound)
	})
	if err := c.Calls().Hangup(ctx, id); !errors.Is(err, pbx.ErrNotFound) {
		t.Fatalf("second hang-up: %v, want ErrNotFound", err)
	}
	sent := rec.Sent()
	if bytes.Contains([]byte(sent), []byte("Action: Originate")) || bytes.Contains([]byte(sent), []byte("Action: Hangup")) {
		t.Fatal("Originate or Hangup went over AMI with ARI configured")
	}
}
