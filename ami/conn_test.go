package ami_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/ami/amitest"
	"go.uber.org/goleak"
)

const secret = "Xy9-very-secret"

// fastOptions returns options with short timers for tests.
func fastOptions() *ami.Options {
	return &ami.Options{
		Username:      "admin",
		Secret:        secret,
		Events:        true,
		PingInterval:  -1,
		ReconnectMin:  5 * time.Millisecond,
		ReconnectMax:  20 * time.Millisecond,
		ActionTimeout: 5 * time.Second,
	}
}

func newServer(t *testing.T, opts *amitest.Options) *amitest.Server {
	t.Helper()
	if opts == nil {
		opts = &amitest.Options{}
	}
	if opts.Secret == "" {
		opts.Secret = secret
	}
	return amitest.NewServer(t, opts)
}

func dial(t *testing.T, srv *amitest.Server, opts *ami.Options) *ami.Conn {
	t.Helper()
	if opts == nil {
		opts = fastOptions()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := ami.Dial(ctx, srv.Addr(), opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// next returns the next AMI event of sub, skipping state changes and
// FullyBooted.
func next(t *testing.T, sub *ami.Subscription) *ami.Message {
	t.Helper()
	for {
		ev, err := sub.Next(ctxT(t, 5*time.Second))
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if ev.Message != nil && ev.Message.Event() != "FullyBooted" {
			return ev.Message
		}
	}
}

// nextState returns the next state change of sub, skipping events.
func nextState(t *testing.T, sub *ami.Subscription) ami.Event {
	t.Helper()
	for {
		ev, err := sub.Next(ctxT(t, 5*time.Second))
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if ev.State != ami.StateNone {
			return ev
		}
	}
}

func TestDialLogin(t *testing.T) {
	srv := newServer(t, &amitest.Options{Banner: "Asterisk Call Manager/5.0.4"})
	var logs bytes.Buffer
	opts := fastOptions()
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := dial(t, srv, opts)
	if c.State() != ami.StateConnected || c.Banner() != "Asterisk Call Manager/5.0.4" {
		t.Errorf("state %v banner %q", c.State(), c.Banner())
	}
	reqs := srv.Requests()
	if len(reqs) != 1 || reqs[0].Action() != "Login" || reqs[0].Get("Username") != "admin" || reqs[0].Get("Events") != "on" || reqs[0].ActionID() == "" {
		t.Fatalf("login request: %+v", reqs)
	}
	_ = c.Close()
	if got := srv.Actions(); !reflect.DeepEqual(got, []string{"Login", "Logoff"}) {
		t.Errorf("actions = %q, want Login, Logoff", got)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("logs contain the secret:\n%s", logs.String())
	}
}

func TestDialEventsOption(t *testing.T) {
	tests := []struct {
		name string
		opts ami.Options
		want string
	}{
		{"default off", ami.Options{}, "off"},
		{"on", ami.Options{Events: true}, "on"},
		{"mask", ami.Options{Events: true, EventMask: "call,system"}, "call,system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, nil)
			o := tt.opts
			o.Username, o.Secret = "admin", secret
			dial(t, srv, &o)
			if got := srv.Requests()[0].Get("Events"); got != tt.want {
				t.Errorf("Events = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDialFailures(t *testing.T) {
	// A listener that accepts and never speaks.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = silent.Close() })
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			_ = c.Close()
		}
	})
	// A listener that is not AMI.
	ssh, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ssh.Close() })
	go func() {
		for {
			c, err := ssh.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.2\r\n"))
			_ = c.Close()
		}
	}()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()

	tests := []struct {
		name    string
		addr    string
		opts    *ami.Options
		timeout time.Duration
		want    error
	}{
		{"bad secret", "", &ami.Options{Username: "admin", Secret: "wrong-" + secret}, 5 * time.Second, ami.ErrAuth},
		{"unknown user", "", &ami.Options{Username: "nobody", Secret: secret}, 5 * time.Second, ami.ErrAuth},
		{"silent server", silent.Addr().String(), &ami.Options{Secret: secret}, 100 * time.Millisecond, ami.ErrUnavailable},
		{"not AMI", ssh.Addr().String(), &ami.Options{Secret: secret}, 5 * time.Second, ami.ErrProtocol},
		{"refused", closedAddr, &ami.Options{Secret: secret}, 5 * time.Second, ami.ErrUnavailable},
		{"CR in secret", "", &ami.Options{Username: "admin", Secret: secret + "\r\nAction: Command"}, 5 * time.Second, ami.ErrInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, &amitest.Options{AuthFailDelay: 20 * time.Millisecond})
			addr := tt.addr
			if addr == "" {
				addr = srv.Addr()
			}
			start := time.Now()
			c, err := ami.Dial(ctxT(t, tt.timeout), addr, tt.opts)
			if err == nil {
				_ = c.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error contains the secret: %v", err)
			}
			if time.Since(start) > tt.timeout+time.Second {
				t.Errorf("Dial took %v", time.Since(start))
			}
			if errors.Is(err, ami.ErrAuth) {
				var e *ami.Error
				if !errors.As(err, &e) || e.Message != "Authentication failed" {
					t.Errorf("ErrAuth does not wrap the server's *Error: %v", err)
				}
			}
			if errors.Is(err, ami.ErrInvalidField) && srv.Accepted() != 0 {
				t.Errorf("the server was contacted")
			}
		})
	}
}

func TestDoConcurrent(t *testing.T) {
	srv := newServer(t, nil)
	// Answer out of order: every third request is delayed.
	var n int
	var mu sync.Mutex
	srv.Handle("UserEvent", func(s *amitest.Session, r *amitest.Request) {
		mu.Lock()
		n++
		slow := n%3 == 0
		mu.Unlock()
		reply := func(s *amitest.Session, r *amitest.Request) {
			_ = s.Write(r.Response("Success", "Seq", r.Get("Seq")))
		}
		if slow {
			amitest.Delay(10*time.Millisecond, reply)(s, r)
			return
		}
		reply(s, r)
	})
	c := dial(t, srv, nil)
	const calls = 200
	var wg sync.WaitGroup
	errs := make(chan error, calls)
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seq := strconv.Itoa(i)
			resp, err := c.Do(ctxT(t, 10*time.Second), ami.NewAction("UserEvent").Add("UserEvent", "t").Add("Seq", seq))
			switch {
			case err != nil:
				errs <- err
			case resp.Get("Seq") != seq:
				errs <- fmt.Errorf("call %s got the response of %s", seq, resp.Get("Seq"))
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	ids := map[string]bool{}
	for _, r := range srv.Requests()[1:] {
		if ids[r.ActionID()] {
			t.Errorf("duplicate ActionID %q", r.ActionID())
		}
		ids[r.ActionID()] = true
	}
	if len(ids) != calls {
		t.Errorf("server saw %d actions", len(ids))
	}
}

func TestWriteOrder(t *testing.T) {
	srv := newServer(t, nil)
	srv.Reply("UserEvent", "Success")
	c := dial(t, srv, nil)
	for i := range 50 {
		if _, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("UserEvent").Add("Seq", strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range srv.Requests()[1:] {
		if r.Get("Seq") != strconv.Itoa(i) {
			t.Fatalf("request %d has Seq %s", i, r.Get("Seq"))
		}
	}
}

func TestDoErrors(t *testing.T) {
	srv := newServer(t, nil)
	srv.Reply("PJSIPShowEndpoint", "Error", "Message", "Unable to retrieve endpoint 9999\n")
	c := dial(t, srv, nil)

	_, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("NoSuchAction"))
	var e *ami.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want *ami.Error", err)
	}
	if e.Action != "NoSuchAction" || e.ActionID == "" || e.Message != "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands." {
		t.Errorf("error = %+v", e)
	}
	if errors.Is(err, ami.ErrUnavailable) {
		t.Errorf("a server error matches ErrUnavailable")
	}

	_, err = c.Do(ctxT(t, 5*time.Second), ami.NewAction("PJSIPShowEndpoint").Add("Endpoint", "9999"))
	if !errors.As(err, &e) || e.Message != "Unable to retrieve endpoint 9999" {
		t.Errorf("stray LF not trimmed: %v", err)
	}

	// A caller-given ActionID is kept.
	resp, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Ping").Add("ActionID", "my-id-1"))
	if err != nil || resp.ActionID() != "my-id-1" || resp.Get("Ping") != "Pong" {
		t.Errorf("resp %v err %v", resp, err)
	}
	if got := srv.Requests()[len(srv.Requests())-1].ActionID(); got != "my-id-1" {
		t.Errorf("server saw ActionID %q", got)
	}
}

func TestActionTimeout(t *testing.T) {
	srv := newServer(t, nil)
	srv.Handle("Slow", amitest.Delay(300*time.Millisecond, func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.Response("Success"))
	}))
	opts := fastOptions()
	opts.ActionTimeout = 50 * time.Millisecond
	c := dial(t, srv, opts)

	start := time.Now()
	_, err := c.Do(context.Background(), ami.NewAction("Slow"))
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ami.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond || d > time.Second {
		t.Errorf("timed out after %v", d)
	}
	// ctx's own deadline wins over ActionTimeout.
	if _, err := c.Do(ctxT(t, 2*time.Second), ami.NewAction("Slow")); err != nil {
		t.Errorf("with a ctx deadline: %v", err)
	}
	// A cancelled ctx.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Do(ctx, ami.NewAction("Ping")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// The late response of the first action is dropped; the Conn still works.
	time.Sleep(300 * time.Millisecond)
	if _, err := c.Do(ctxT(t, 2*time.Second), ami.NewAction("Ping")); err != nil {
		t.Errorf("after a late response: %v", err)
	}
}

func TestInjectionRefused(t *testing.T) {
	srv := newServer(t, nil)
	c := dial(t, srv, nil)
	const mark = "INJECTED"
	long := strings.Repeat("x", ami.MaxLineLength)
	many := ami.NewAction("UserEvent")
	for i := range ami.MaxHeaders {
		many.Add("H"+strconv.Itoa(i), "v")
	}
	tests := []struct {
		name   string
		action *ami.Message
		want   error
	}{
		{"CRLF in value", ami.NewAction("Setvar").Add("Value", "x\r\nAction: Command\r\nCommand: "+mark), ami.ErrInvalidField},
		{"CRLFCRLF in value", ami.NewAction("Setvar").Add("Value", "x\r\n\r\nAction: Command\r\nCommand: "+mark+"\r\n\r\n"), ami.ErrInvalidField},
		{"bare LF in value", ami.NewAction("Setvar").Add("Value", "x\nAction: Command\nCommand: "+mark), ami.ErrInvalidField},
		{"bare CR in value", ami.NewAction("Setvar").Add("Value", "x\r"+mark), ami.ErrInvalidField},
		{"NUL in value", ami.NewAction("Setvar").Add("Value", "x\x00"+mark), ami.ErrInvalidField},
		{"LF in action name", ami.NewAction("Ping\nAction: Command\nCommand: " + mark), ami.ErrInvalidField},
		{"LF in header name", ami.NewAction("Ping").Add("X\nCommand", mark), ami.ErrInvalidField},
		{"space in header name", ami.NewAction("Ping").Add("X Y", mark), ami.ErrInvalidField},
		{"colon in header name", ami.NewAction("Ping").Add("X:Y", mark), ami.ErrInvalidField},
		{"empty header name", ami.NewAction("Ping").Add("", mark), ami.ErrInvalidField},
		{"LF in caller ActionID", ami.NewAction("Ping").Add("ActionID", "a\n"+mark), ami.ErrInvalidField},
		{"line too long", ami.NewAction("Setvar").Add("Value", mark+long), ami.ErrTooLong},
		{"too many headers", many.Clone().Add("Mark", mark), ami.ErrTooLong},
		{"Login via Do", ami.NewAction("Login").Add("Username", mark), ami.ErrInvalidField},
		{"Logoff via Do", ami.NewAction("Logoff").Add("X", mark), ami.ErrInvalidField},
		{"no Action", ami.NewMessage(ami.Header{Key: "Command", Value: mark}), ami.ErrInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, do := range []func() error{
				func() error { _, err := c.Do(ctxT(t, time.Second), tt.action); return err },
				func() error { _, err := c.DoList(ctxT(t, time.Second), tt.action); return err },
			} {
				if err := do(); !errors.Is(err, tt.want) {
					t.Errorf("err = %v, want %v", err, tt.want)
				}
			}
		})
	}
	if _, err := c.Command(ctxT(t, time.Second), "core show version\r\nAction: Command\r\nCommand: "+mark); !errors.Is(err, ami.ErrInvalidField) {
		t.Errorf("Command with CRLF: %v", err)
	}
	// Flush the writer with a valid action: the server must have received
	// only the Login and this Ping.
	if _, err := c.Do(ctxT(t, time.Second), ami.NewAction("Ping")); err != nil {
		t.Fatal(err)
	}
	if got := srv.Actions(); !reflect.DeepEqual(got, []string{"Login", "Ping"}) {
		t.Errorf("server received %q", got)
	}
	if bytes.Contains(srv.Raw(), []byte(mark)) {
		t.Errorf("injected bytes reached the server: %q", srv.Raw())
	}
}

func TestDoList(t *testing.T) {
	srv := newServer(t, nil)
	var originateID string
	srv.Handle("CoreShowChannels", func(s *amitest.Session, r *amitest.Request) {
		if r.ActionID() == "empty-1" {
			_ = s.Write(r.ListStart("Channels will follow") + r.ListComplete("CoreShowChannelsComplete", 0))
			return
		}
		_ = s.Write(r.ListStart("Channels will follow") +
			r.Item("CoreShowChannel", false, "Channel", "PJSIP/1001-00000001", "Uniqueid", "1") +
			"\r\n" + // stray empty line
			amitest.Event("Newstate", "Channel", "PJSIP/1001-00000001", "ChannelStateDesc", "Up") +
			// A broadcast event carrying another action's ActionID.
			amitest.Event("OriginateResponse", "ActionID", originateID, "Response", "Failure", "Channel", "PJSIP/nobody", "Reason", "0", "Uniqueid", "<unknown>") +
			r.Item("CoreShowChannel", false, "Channel", "PJSIP/1002-00000002", "Uniqueid", "2") +
			// Same name as a list item, but broadcast.
			amitest.Event("CoreShowChannel", "Channel", "broadcast") +
			r.ListComplete("CoreShowChannelsComplete", 2))
	})
	srv.Handle("QueueStatus", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.ListStart("Queue status will follow") +
			r.Item("QueueParams", true, "Queue", "support", "Max", "0") +
			r.Item("QueueMember", true, "Queue", "support", "Name", "PJSIP/1001") +
			r.ListComplete("QueueStatusComplete", 2))
	})
	srv.Handle("BridgeInfo", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.ListStart("Bridge Info will follow") +
			r.Item("BridgeInfoChannel", false, "Channel", "PJSIP/1001-00000001") +
			r.ListComplete("BridgeInfoComplete", 1, "BridgeUniqueid", "b-1", "BridgeType", "basic"))
	})
	srv.Handle("Status", func(s *amitest.Session, r *amitest.Request) { // Asterisk 11 style, no EventList
		_ = s.Write(r.Response("Success", "Message", "Channel status will follow") +
			r.Item("Status", false, "Channel", "SIP/1001-00000001") +
			amitest.Msg("Event", "StatusComplete", "ActionID", r.ActionID(), "Items", "1"))
	})
	srv.Handle("ConfbridgeListRooms", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.Response("Error", "Message", "No active conferences."))
	})
	srv.Handle("PJSIPShowContacts", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.Response("Error", "Message", "No Contacts found\n")) // "found\n\r\n\r\n"
	})
	srv.Handle("Originate", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.Response("Success", "Message", "Originate successfully queued"))
	})
	c := dial(t, srv, nil)
	sub := c.Subscribe(100)
	t.Cleanup(sub.Close)

	resp, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Originate").Add("Channel", "PJSIP/nobody").Add("Async", "true"))
	if err != nil {
		t.Fatal(err)
	}
	originateID = resp.ActionID()

	list, err := c.DoList(ctxT(t, 5*time.Second), ami.NewAction("CoreShowChannels"))
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Items[0].Get("Uniqueid") != "1" || list.Items[1].Get("Uniqueid") != "2" {
		t.Errorf("items = %v", list.Items)
	}
	if list.Response.Get("EventList") != "start" || list.Complete.Get("ListItems") != "2" {
		t.Errorf("response %v complete %v", list.Response, list.Complete)
	}
	// Subscribers get the broadcast events only, in order.
	want := []string{"Newstate", "OriginateResponse", "CoreShowChannel"}
	for _, w := range want {
		m := next(t, sub)
		if m.Event() != w {
			t.Fatalf("event %q, want %q", m.Event(), w)
		}
		if w == "OriginateResponse" && (m.ActionID() != originateID || m.Response() != "Failure") {
			t.Errorf("OriginateResponse = %v", m)
		}
		if w == "CoreShowChannel" && m.Get("Channel") != "broadcast" {
			t.Errorf("a list item reached the subscriber: %v", m)
		}
	}

	list, err = c.DoList(ctxT(t, 5*time.Second), ami.NewAction("QueueStatus"))
	if err != nil || len(list.Items) != 2 || list.Items[1].Event() != "QueueMember" {
		t.Errorf("QueueStatus (ActionID last): %v %v", list, err)
	}
	list, err = c.DoList(ctxT(t, 5*time.Second), ami.NewAction("BridgeInfo").Add("BridgeUniqueid", "b-1"))
	if err != nil || len(list.Items) != 1 || list.Complete.Get("BridgeType") != "basic" {
		t.Errorf("BridgeInfo: %v %v", list, err)
	}
	list, err = c.DoList(ctxT(t, 5*time.Second), ami.NewAction("Status"))
	if err != nil || len(list.Items) != 1 || list.Complete.Event() != "StatusComplete" {
		t.Errorf("Status (no EventList headers): %v %v", list, err)
	}
	list, err = c.DoList(ctxT(t, 5*time.Second), ami.NewAction("CoreShowChannels").Add("ActionID", "empty-1"))
	if err != nil || len(list.Items) != 0 || list.Complete.Get("ListItems") != "0" {
		t.Errorf("empty CoreShowChannels: %v %v", list, err)
	}
	for _, action := range []string{"ConfbridgeListRooms", "PJSIPShowContacts"} {
		_, err := c.DoList(ctxT(t, 5*time.Second), ami.NewAction(action))
		var e *ami.Error
		if !ami.IsEmptyList(err) || !errors.As(err, &e) || strings.ContainsAny(e.Message, "\r\n") {
			t.Errorf("%s: err = %#v, want an empty-list *Error", action, err)
		}
	}
	// A non-list action through DoList.
	list, err = c.DoList(ctxT(t, 5*time.Second), ami.NewAction("Ping"))
	if err != nil || list.Response.Get("Ping") != "Pong" || list.Items != nil {
		t.Errorf("Ping via DoList: %v %v", list, err)
	}
	// No list item leaked to the subscriber.
	c.Close()
	for {
		ev, err := sub.Next(ctxT(t, time.Second))
		if err != nil {
			break
		}
		if ev.Message != nil {
			t.Errorf("unexpected event %v", ev.Message)
		}
	}
}

func TestIsEmptyList(t *testing.T) {
	tests := []struct {
		msg  string
		want bool
	}{
		{"No active conferences.", true},
		{"No Contacts found", true},
		{"No endpoints found", true},
		{"No such channel", false},
		{"Database entry not found", false},
		{"Permission denied", false},
	}
	for _, tt := range tests {
		if got := ami.IsEmptyList(fmt.Errorf("wrapped: %w", &ami.Error{Message: tt.msg})); got != tt.want {
			t.Errorf("IsEmptyList(%q) = %v", tt.msg, got)
		}
	}
	if ami.IsEmptyList(errors.New("No Contacts found")) {
		t.Error("a plain error is not an empty list")
	}
}

func TestCommand(t *testing.T) {
	for _, follows := range []bool{false, true} {
		t.Run(fmt.Sprintf("follows=%v", follows), func(t *testing.T) {
			srv := newServer(t, &amitest.Options{CommandFollows: follows})
			concise := []string{
				"PJSIP/1001-00000001!from-internal!1002!1!Up!Dial!PJSIP/1002,30!1001!!!3!12!b-1!1690000000.1",
				"PJSIP/1002-00000002!from-internal!!1!Up!AppDial!(Outgoing Line)!1002!!!3!11!b-1!1690000000.2",
			}
			srv.SetCommand("core show channels concise", concise...)
			srv.SetCommand("core show nothing")
			c := dial(t, srv, nil)
			got, err := c.Command(ctxT(t, 5*time.Second), "core show channels concise")
			if err != nil || !reflect.DeepEqual(got, concise) {
				t.Errorf("got %q, %v", got, err)
			}
			got, err = c.Command(ctxT(t, 5*time.Second), "core show nothing")
			if err != nil || len(got) != 0 || got == nil {
				t.Errorf("empty output: %q, %v", got, err)
			}
			got, err = c.Command(ctxT(t, 5*time.Second), "bogus command")
			if follows {
				if err != nil || len(got) != 1 || !strings.HasPrefix(got[0], "No such command") {
					t.Errorf("unknown command (old style): %q, %v", got, err)
				}
				return
			}
			var e *ami.Error
			if !errors.As(err, &e) || len(got) != 1 || !strings.HasPrefix(got[0], "No such command 'bogus command'") {
				t.Errorf("unknown command: %q, %v", got, err)
			}
		})
	}
}

func TestOriginateResponseIsAnEvent(t *testing.T) {
	srv := newServer(t, nil)
	srv.Handle("Originate", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.Response("Success", "Message", "Originate successfully queued"))
		amitest.Delay(20*time.Millisecond, func(s *amitest.Session, r *amitest.Request) {
			_ = s.Write(amitest.Event("OriginateResponse", "ActionID", r.ActionID(), "Response", "Success",
				"Channel", "Local/9664@from-internal-00000000;1", "Context", "from-internal", "Exten", "9664",
				"Reason", "4", "Uniqueid", "c2c-0001", "CallerIDNum", "<unknown>", "CallerIDName", "<unknown>"))
		})(s, r)
	})
	c := dial(t, srv, nil)
	sub := c.Subscribe(10)
	t.Cleanup(sub.Close)
	resp, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Originate").Add("Channel", "Local/9664@from-internal").Add("Async", "true").Add("ChannelId", "c2c-0001"))
	if err != nil || resp.Get("Message") != "Originate successfully queued" {
		t.Fatalf("%v %v", resp, err)
	}
	ev := next(t, sub)
	if ev.Event() != "OriginateResponse" || ev.ActionID() != resp.ActionID() || ev.Response() != "Success" || ev.Get("Reason") != "4" {
		t.Errorf("event = %v", ev)
	}
}

func TestReconnect(t *testing.T) {
	srv := newServer(t, nil)
	srv.Handle("Slow", func(*amitest.Session, *amitest.Request) {}) // never answered
	c := dial(t, srv, nil)
	sub := c.Subscribe(100)
	t.Cleanup(sub.Close)
	if ev := nextState(t, sub); ev.State != ami.StateConnected {
		t.Fatalf("first item %v", ev.State)
	}
	srv.Broadcast(amitest.Event("Newchannel", "Seq", "1"))
	if m := next(t, sub); m.Get("Seq") != "1" {
		t.Fatalf("event %v", m)
	}

	// Two actions in flight when the server drops the connection.
	errc := make(chan error, 2)
	for range 2 {
		go func() {
			start := time.Now()
			_, err := c.Do(ctxT(t, 10*time.Second), ami.NewAction("Slow"))
			if time.Since(start) > 2*time.Second {
				err = fmt.Errorf("failed after %v: %w", time.Since(start), err)
			}
			errc <- err
		}()
	}
	waitFor(t, func() bool { return countAction(srv, "Slow") == 2 })
	srv.DropAll()
	for range 2 {
		err := <-errc
		if !errors.Is(err, ami.ErrDisconnected) || !errors.Is(err, ami.ErrUnavailable) {
			t.Errorf("in-flight action: %v", err)
		}
	}
	ev := nextState(t, sub)
	if ev.State != ami.StateDisconnected || ev.Err == nil {
		t.Fatalf("state %v err %v", ev.State, ev.Err)
	}
	if ev = nextState(t, sub); ev.State != ami.StateReconnected {
		t.Fatalf("state %v", ev.State)
	}
	if srv.Logins() != 2 {
		t.Errorf("logins = %d", srv.Logins())
	}
	// The subscription survived; actions work again and nothing was replayed.
	srv.Broadcast(amitest.Event("Newchannel", "Seq", "2"))
	if m := next(t, sub); m.Get("Seq") != "2" {
		t.Fatalf("event %v", m)
	}
	if _, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Ping")); err != nil {
		t.Fatal(err)
	}
	if n := countAction(srv, "Slow"); n != 2 {
		t.Errorf("Slow was sent %d times: an action was replayed", n)
	}
}

func TestDownFailsFast(t *testing.T) {
	srv := newServer(t, nil)
	c := dial(t, srv, nil)
	sub := c.Subscribe(10)
	t.Cleanup(sub.Close)
	srv.RefuseLogin(true)
	srv.DropAll()
	if ev := nextState(t, sub); ev.State != ami.StateConnected {
		t.Fatal(ev.State)
	}
	if ev := nextState(t, sub); ev.State != ami.StateDisconnected {
		t.Fatal(ev.State)
	}
	waitFor(t, func() bool { return srv.Accepted() >= 3 }) // failed re-logins
	start := time.Now()
	_, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Ping"))
	if !errors.Is(err, ami.ErrUnavailable) || errors.Is(err, ami.ErrDisconnected) || time.Since(start) > 100*time.Millisecond {
		t.Errorf("Do while down: %v after %v", err, time.Since(start))
	}
	if c.State() != ami.StateDisconnected || c.Banner() != "" {
		t.Errorf("state %v", c.State())
	}
	srv.RefuseLogin(false)
	if ev := nextState(t, sub); ev.State != ami.StateReconnected {
		t.Fatal(ev.State)
	}
	if _, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Ping")); err != nil {
		t.Error(err)
	}
}

func TestPingTimeout(t *testing.T) {
	srv := newServer(t, nil)
	var mu sync.Mutex
	answer := true
	srv.Handle("Ping", func(s *amitest.Session, r *amitest.Request) {
		mu.Lock()
		defer mu.Unlock()
		if answer {
			_ = s.Write(r.Response("Success", "Ping", "Pong"))
		}
	})
	opts := fastOptions()
	opts.PingInterval = 30 * time.Millisecond
	opts.PingTimeout = 50 * time.Millisecond
	c := dial(t, srv, opts)
	sub := c.Subscribe(10)
	t.Cleanup(sub.Close)
	nextState(t, sub)
	waitFor(t, func() bool { return countAction(srv, "Ping") >= 3 })
	if srv.Accepted() != 1 {
		t.Fatalf("reconnected although pongs were answered")
	}
	mu.Lock()
	answer = false
	mu.Unlock()
	start := time.Now()
	ev := nextState(t, sub)
	if ev.State != ami.StateDisconnected || !errors.Is(ev.Err, context.DeadlineExceeded) || !strings.Contains(ev.Err.Error(), "keepalive") {
		t.Fatalf("state %v err %v", ev.State, ev.Err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("detected after %v", d)
	}
	mu.Lock()
	answer = true
	mu.Unlock()
	if ev := nextState(t, sub); ev.State != ami.StateReconnected {
		t.Fatal(ev.State)
	}
}

func TestSlowSubscriber(t *testing.T) {
	srv := newServer(t, &amitest.Options{NoFullyBooted: true})
	c := dial(t, srv, nil)
	const total = 2000
	fast := c.Subscribe(total + 10)
	slow := c.Subscribe(8)
	t.Cleanup(fast.Close)
	t.Cleanup(slow.Close)
	nextState(t, fast)
	nextState(t, slow)

	var b strings.Builder
	for i := range total {
		b.WriteString(amitest.Event("VarSet", "Channel", "PJSIP/1001-00000001", "Variable", "X", "Value", strconv.Itoa(i)))
	}
	srv.Broadcast(b.String())
	for i := range total {
		m := next(t, fast)
		if m.Get("Value") != strconv.Itoa(i) {
			t.Fatalf("fast subscriber: event %d has Value %s", i, m.Get("Value"))
		}
	}
	if fast.Dropped() != 0 {
		t.Errorf("fast subscriber dropped %d", fast.Dropped())
	}
	// Every event is either delivered to the slow subscriber, in order, or
	// counted; the count is reported on the next item.
	_ = c.Close()
	delivered, gaps, last := 0, uint64(0), -1
	for {
		ev, err := slow.Next(ctxT(t, time.Second))
		if err != nil {
			if !errors.Is(err, ami.ErrClosed) {
				t.Fatal(err)
			}
			break
		}
		gaps += ev.Dropped
		if ev.Message == nil {
			continue
		}
		v, _ := strconv.Atoi(ev.Message.Get("Value"))
		if v <= last {
			t.Errorf("out of order: %d after %d", v, last)
		}
		last = v
		delivered++
	}
	if slow.Dropped() == 0 || gaps != slow.Dropped() || uint64(delivered)+gaps != total {
		t.Errorf("delivered %d, gaps %d, Dropped %d, total %d", delivered, gaps, slow.Dropped(), total)
	}
}

func TestClose(t *testing.T) {
	srv := newServer(t, nil)
	srv.Handle("Slow", func(*amitest.Session, *amitest.Request) {})
	c := dial(t, srv, nil)
	sub := c.Subscribe(10)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Do(ctxT(t, 10*time.Second), ami.NewAction("Slow"))
		errc <- err
	}()
	waitFor(t, func() bool { return countAction(srv, "Slow") == 1 })
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := <-errc; !errors.Is(err, ami.ErrClosed) {
		t.Errorf("in-flight action: %v", err)
	}
	if got := srv.Actions(); got[len(got)-1] != "Logoff" {
		t.Errorf("no Logoff: %q", got)
	}
	if _, err := c.Do(context.Background(), ami.NewAction("Ping")); !errors.Is(err, ami.ErrClosed) {
		t.Errorf("Do after Close: %v", err)
	}
	if ev := nextState(t, sub); ev.State != ami.StateConnected {
		t.Errorf("state %v", ev.State)
	}
	if ev := nextState(t, sub); ev.State != ami.StateClosed {
		t.Errorf("state %v", ev.State)
	}
	if _, err := sub.Next(context.Background()); !errors.Is(err, ami.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	if _, err := c.Subscribe(1).Next(context.Background()); !errors.Is(err, ami.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	if c.State() != ami.StateClosed {
		t.Errorf("State() = %v", c.State())
	}
	_ = c.Close() // idempotent
}

func TestCloseWhileReconnecting(t *testing.T) {
	srv := newServer(t, nil)
	c := dial(t, srv, nil)
	srv.Close()
	waitFor(t, func() bool { return c.State() == ami.StateDisconnected })
	done := make(chan struct{})
	go func() { _ = c.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Close hangs while reconnecting")
	}
}

func TestSubscriptionAll(t *testing.T) {
	srv := newServer(t, &amitest.Options{NoFullyBooted: true})
	c := dial(t, srv, nil)
	sub := c.Subscribe(10)
	srv.Broadcast(amitest.Event("TestEvent", "Privilege", "reporting,all", "Type", "StateChange") + amitest.Event("Hangup"))
	var got []string
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for ev, err := range sub.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Message != nil {
			got = append(got, ev.Message.Event())
		}
		if len(got) == 2 {
			sub.Close()
		}
	}
	if !reflect.DeepEqual(got, []string{"TestEvent", "Hangup"}) {
		t.Errorf("got %q", got)
	}
	if _, err := sub.Next(ctx); !errors.Is(err, ami.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
}

func TestEventsOff(t *testing.T) {
	srv := newServer(t, nil)
	srv.Handle("QueueStatus", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.ListStart("Queue status will follow") + r.Item("QueueParams", true, "Queue", "q") + r.ListComplete("QueueStatusComplete", 1))
	})
	c := dial(t, srv, &ami.Options{Username: "admin", Secret: secret, PingInterval: -1})
	sub := c.Subscribe(10)
	t.Cleanup(sub.Close)
	list, err := c.DoList(ctxT(t, 5*time.Second), ami.NewAction("QueueStatus"))
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("%v %v", list, err)
	}
	if n := sub.Len(); n != 1 { // the initial state only
		t.Errorf("subscriber has %d items", n)
	}
}

func TestOversizeResponse(t *testing.T) {
	srv := newServer(t, nil)
	srv.Handle("Big", func(s *amitest.Session, r *amitest.Request) {
		_ = s.Write(r.Response("Success", "Data", strings.Repeat("z", 5000)))
	})
	opts := fastOptions()
	opts.MaxMessageSize = 1000
	c := dial(t, srv, opts)
	if _, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Big")); !errors.Is(err, ami.ErrTooLong) {
		t.Errorf("err = %v", err)
	}
	if _, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Ping")); err != nil {
		t.Errorf("after an oversized message: %v", err)
	}
}

func TestOptionsNotMutated(t *testing.T) {
	cert := selfSigned(t)
	srv := newServer(t, &amitest.Options{TLS: &tls.Config{Certificates: []tls.Certificate{cert}}})
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	opts := fastOptions()
	opts.TLS = &tls.Config{RootCAs: pool}
	before := *opts
	c := dial(t, srv, opts) // ServerName 127.0.0.1 comes from addr
	if _, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Ping")); err != nil {
		t.Fatal(err)
	}
	if opts.TLS.ServerName != "" || !reflect.DeepEqual(before.TLS, opts.TLS) || opts.PingTimeout != 0 || opts.Logger != nil {
		t.Errorf("Dial modified the Options")
	}
	// An unknown CA is refused.
	bad := fastOptions()
	bad.TLS = &tls.Config{}
	if _, err := ami.Dial(ctxT(t, 5*time.Second), srv.Addr(), bad); err == nil {
		t.Error("TLS with an unknown CA succeeded")
	}
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "amitest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(crand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func countAction(srv *amitest.Server, action string) int {
	n := 0
	for _, a := range srv.Actions() {
		if strings.EqualFold(a, action) {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestNoGoroutineLeak runs a Conn through actions, subscriptions, a lost
// connection, a reconnection and Close, then checks that no goroutine is
// left (TestMain also checks the whole run).
func TestNoGoroutineLeak(t *testing.T) {
	srv, err := amitest.Start(&amitest.Options{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ami.Dial(ctxT(t, 5*time.Second), srv.Addr(), fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	sub := c.Subscribe(1)
	_ = c.Subscribe(4) // never read, never closed: Close ends it
	for range 10 {
		if _, err := c.Do(ctxT(t, 5*time.Second), ami.NewAction("Ping")); err != nil {
			t.Fatal(err)
		}
	}
	srv.DropAll()
	waitFor(t, func() bool { return srv.Logins() == 2 && c.State() == ami.StateConnected })
	sub.Close()
	_ = c.Close()
	srv.Close()
	goleak.VerifyNone(t)
}
