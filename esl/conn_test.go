package esl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/esl/esltest"
)

// dial connects to srv with fast reconnection and no keepalive unless opts
// says otherwise; the Conn is closed when the test ends.
func dial(t *testing.T, srv *esltest.Server, opts *Options) *Conn {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Password == "" {
		o.Password = srv.Password()
	}
	if o.ReconnectMin == 0 {
		o.ReconnectMin, o.ReconnectMax = 10*time.Millisecond, 40*time.Millisecond
	}
	if o.PingInterval == 0 {
		o.PingInterval = -1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.Addr(), &o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func next(t *testing.T, s *Subscription) Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev
}

// waitState skips events until a state change to st.
func waitState(t *testing.T, s *Subscription, st State) Event {
	t.Helper()
	for {
		ev := next(t, s)
		if ev.State == st {
			return ev
		}
		if ev.State == StateClosed {
			t.Fatalf("closed while waiting for %v", st)
		}
	}
}

// waitEvent skips items until an event named name.
func waitEvent(t *testing.T, s *Subscription, name string) Event {
	t.Helper()
	for {
		ev := next(t, s)
		if ev.Name() == name {
			return ev
		}
	}
}

func ctx5s(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// logBuffer is a slog handler collecting messages.
type logBuffer struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logBuffer) Enabled(context.Context, slog.Level) bool { return true }
func (l *logBuffer) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.msgs = append(l.msgs, r.Level.String()+" "+r.Message)
	return nil
}
func (l *logBuffer) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logBuffer) WithGroup(string) slog.Handler      { return l }
func (l *logBuffer) has(substr string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.Contains(m, substr) {
			return true
		}
	}
	return false
}

func TestDialAuth(t *testing.T) {
	t.Run("accepted, default password warned", func(t *testing.T) {
		srv := esltest.NewServer(t, nil)
		logs := &logBuffer{}
		c := dial(t, srv, &Options{Logger: slog.New(logs)})
		if c.State() != StateConnected {
			t.Fatalf("state %v", c.State())
		}
		if !logs.has("WARN esl: the Event Socket password is FreeSWITCH's default") {
			t.Errorf("no warning about ClueCon: %v", logs.msgs)
		}
		got := strings.Join(srv.Received(), "")
		if !strings.Contains(got, "auth ClueCon\n\n") || !strings.Contains(got, "event plain BACKGROUND_JOB\n\n") {
			t.Errorf("received %q", got)
		}
	})
	t.Run("other password not warned", func(t *testing.T) {
		srv := esltest.NewServer(t, &esltest.Options{Password: "s3cret"})
		logs := &logBuffer{}
		dial(t, srv, &Options{Logger: slog.New(logs)})
		if logs.has("default") {
			t.Errorf("warned: %v", logs.msgs)
		}
	})
	for _, tc := range []struct {
		name   string
		reject bool
		pass   string
	}{{"wrong password", false, "nope"}, {"refused by server", true, "ClueCon"}} {
		t.Run(tc.name, func(t *testing.T) {
			srv := esltest.NewServer(t, nil)
			srv.RejectAuth(tc.reject)
			start := time.Now()
			_, err := Dial(ctx5s(t), srv.Addr(), &Options{Password: tc.pass, ReconnectMin: time.Millisecond})
			if !errors.Is(err, ErrAuth) {
				t.Fatalf("err %v, want ErrAuth", err)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Text() != "invalid" || fe.Command != "auth" {
				t.Errorf("err %#v", err)
			}
			if strings.Contains(err.Error(), tc.pass) && tc.pass != "ClueCon" {
				t.Errorf("password in error: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
			if n := srv.Accepted(); n != 1 {
				t.Errorf("%d connections: the auth failure was retried", n)
			}
			if time.Since(start) > 2*time.Second {
				t.Error("slow failure")
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := esltest.NewServer(t, nil)
		addr := srv.Addr()
		srv.Close()
		if _, err := Dial(ctx5s(t), addr, &Options{Password: "x"}); !errors.Is(err, ErrUnavailable) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("bad options", func(t *testing.T) {
		for _, o := range []*Options{
			nil,
			{Password: "a\nb"},
			{Password: "x", Format: "xml"},
			{Password: "x", Events: []string{"CHANNEL_CREATE\n\nauth x"}},
			{Password: "x", Filters: []Filter{{Header: "Event Name", Value: "x"}}},
			{Password: "x", Filters: []Filter{{Header: "Unique-ID", Value: "a\nb"}}},
		} {
			if _, err := Dial(ctx5s(t), "127.0.0.1:1", o); !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: err %v", o, err)
			}
		}
	})
}

func TestAPI(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	ctx := ctx5s(t)
	body, err := c.API(ctx, "status")
	if err != nil || !strings.HasPrefix(body, "UP ") || !strings.Contains(body, "is ready") {
		t.Fatalf("status: %q %v", body, err)
	}
	body, err = c.API(ctx, "nosuchcommand", "x")
	var fe *Error
	if !errors.As(err, &fe) || fe.Text() != "nosuchcommand Command not found!" || body != "-ERR nosuchcommand Command not found!\n" {
		t.Fatalf("unknown: %q %v", body, err)
	}
	if body, err := c.API(ctx, "hostname"); err != nil || body != "esltest" {
		t.Fatalf("hostname: %q %v", body, err)
	}
	if body, err := c.API(ctx, "vm_fsdb_msg_delete", "default", srv.Domain(), "1000", "nope"); err != nil || body != "-OK\n" {
		t.Fatalf("-OK is a success: %q %v", body, err)
	}
	if got := srv.ReceivedMatching("api hostname"); len(got) != 1 || got[0] != "api hostname\n\n" {
		t.Errorf("wire %q", got)
	}
}

func TestBackgroundAPI(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	ctx := ctx5s(t)
	job, err := c.BackgroundAPI(ctx, "echo", "hello")
	if err != nil {
		t.Fatal(err)
	}
	out, err := job.Wait(ctx)
	if err != nil || out != "hello" {
		t.Fatalf("result %q %v", out, err)
	}
	if got := srv.ReceivedMatching("bgapi echo hello"); len(got) != 1 || got[0] != "bgapi echo hello\nJob-UUID: "+job.ID+"\n\n" {
		t.Errorf("wire %q", got)
	}
	job, err = c.BackgroundAPI(ctx, "originate", "user/1009", "&park()")
	if err != nil {
		t.Fatal(err)
	}
	out, err = job.Wait(ctx)
	var fe *Error
	if !errors.As(err, &fe) || fe.Text() != "SUBSCRIBER_ABSENT" || out != "-ERR SUBSCRIBER_ABSENT\n" {
		t.Fatalf("error result %q %v", out, err)
	}

	t.Run("concurrent jobs get their own result", func(t *testing.T) {
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				want := "job-" + strconv.Itoa(i)
				j, err := c.BackgroundAPI(ctx, "msleep", strconv.Itoa((n-i)%7))
				if err != nil {
					errs <- err
					return
				}
				j2, err := c.BackgroundAPI(ctx, "echo", want)
				if err != nil {
					errs <- err
					return
				}
				if out, err := j2.Wait(ctx); err != nil || out != want {
					errs <- fmt.Errorf("job %s: %q %v", j2.ID, out, err)
				}
				if out, err := j.Wait(ctx); err != nil || out != "+OK" {
					errs <- fmt.Errorf("msleep job: %q %v", out, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func TestConcurrentAPIOwnReplies(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	ctx := ctx5s(t)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := "reply-" + strconv.Itoa(i)
			if got, err := c.API(ctx, "echo", want); err != nil || got != want {
				errs <- fmt.Errorf("call %d: %q %v", i, got, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCommandsFIFOOneInFlight(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	srv.SetReplyDelay(20 * time.Millisecond)
	ctx := ctx5s(t)
	const n = 8
	before := srv.ReceivedCount()
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := "fifo-" + strconv.Itoa(i)
			if got, err := c.API(ctx, "echo", want); err != nil || got != want {
				t.Errorf("call %d: %q %v", i, got, err)
			}
		}()
		time.Sleep(2 * time.Millisecond) // issue in order
	}
	wg.Wait()
	if d := time.Since(start); d < n*20*time.Millisecond {
		t.Errorf("%v for %d commands of 20ms: more than one in flight", d, n)
	}
	got := srv.Received()[before:]
	for i, r := range got {
		if want := "api echo fifo-" + strconv.Itoa(i) + "\n\n"; r != want {
			t.Errorf("command %d on the wire: %q, want %q", i, r, want)
		}
	}
}

func TestTimeoutDiscardsConnection(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	sub := c.Subscribe(0)
	defer sub.Close()
	if ev := next(t, sub); ev.State != StateConnected {
		t.Fatalf("first item %v", ev.State)
	}
	srv.SetReplyDelay(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := c.API(ctx, "echo", "late")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	if ev := waitState(t, sub, StateDisconnected); ev.Err == nil || !strings.Contains(ev.Err.Error(), "discarded") {
		t.Errorf("disconnect reason %v", ev.Err)
	}
	srv.SetReplyDelay(0)
	waitState(t, sub, StateReconnected)
	got, err := c.API(ctx5s(t), "echo", "second")
	if err != nil || got != "second" {
		t.Fatalf("next command got %q, %v (the late reply must never reach it)", got, err)
	}
	if n := srv.Accepted(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	t.Run("CommandTimeout when ctx has no deadline", func(t *testing.T) {
		srv := esltest.NewServer(t, nil)
		c := dial(t, srv, &Options{CommandTimeout: 40 * time.Millisecond})
		srv.SetReplyDelay(200 * time.Millisecond)
		if _, err := c.API(context.Background(), "status"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("queued command not sent", func(t *testing.T) {
		srv := esltest.NewServer(t, nil)
		c := dial(t, srv, nil)
		srv.SetReplyDelay(200 * time.Millisecond)
		go func() { _, _ = c.API(ctx5s(t), "echo", "first") }()
		time.Sleep(20 * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		_, err := c.API(ctx, "echo", "queued")
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not sent") {
			t.Fatalf("err %v", err)
		}
		time.Sleep(300 * time.Millisecond)
		if len(srv.ReceivedMatching("queued")) != 0 {
			t.Error("an abandoned command was written")
		}
		if srv.Accepted() != 1 {
			t.Error("the connection was discarded for a command that was never written")
		}
	})
}

// fire fires n CUSTOM events carrying their index.
func fire(srv *esltest.Server, n int) {
	for i := range n {
		ev := &esltest.Event{Name: "CUSTOM", Subclass: "pbxkit::test"}
		ev.Add("Index", strconv.Itoa(i), "Caller-Caller-ID-Name", "Ann Lee: 100% <ok>")
		srv.Fire(ev)
	}
}

func TestEventsOrderSlowAndFastSubscribers(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, &Options{Events: []string{"CUSTOM pbxkit::test"}})
	const n = 20000
	fast := c.Subscribe(n + 10)
	slow := c.Subscribe(64)
	defer fast.Close()
	defer slow.Close()
	next(t, fast)
	next(t, slow)
	go fire(srv, n)

	var slowGot, slowDropped uint64
	slowDone := make(chan struct{})
	go func() {
		defer close(slowDone)
		last := -1
		for {
			ev, err := slow.Next(context.Background())
			if err != nil {
				return
			}
			slowDropped += ev.Dropped
			idx, _ := strconv.Atoi(ev.Get("Index"))
			if idx <= last {
				t.Errorf("slow subscriber: %d after %d", idx, last)
			}
			last = idx
			slowGot++
			time.Sleep(100 * time.Microsecond)
		}
	}()
	var prev uint64
	for i := range n {
		ev := next(t, fast)
		if ev.Dropped != 0 {
			t.Fatalf("fast subscriber lost %d events", ev.Dropped)
		}
		if got := ev.Get("Index"); got != strconv.Itoa(i) {
			t.Fatalf("event %d carries index %s", i, got)
		}
		if prev != 0 && ev.Seq != prev+1 {
			t.Fatalf("Event-Sequence %d after %d", ev.Seq, prev)
		}
		prev = ev.Seq
		if i == 0 && (ev.Subclass != "pbxkit::test" || ev.Get("Caller-Caller-ID-Name") != "Ann Lee: 100% <ok>") {
			t.Fatalf("event %+v", ev)
		}
	}
	for slow.Len() > 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond)
	slow.Close()
	<-slowDone
	if slowGot+slow.Dropped() != n {
		t.Errorf("slow: got %d + dropped %d != %d", slowGot, slow.Dropped(), n)
	}
	if slowDropped > slow.Dropped() {
		t.Errorf("dropped reported in events %d > total %d", slowDropped, slow.Dropped())
	}
	t.Logf("slow subscriber: %d delivered, %d dropped (%d reported in Event.Dropped)", slowGot, slow.Dropped(), slowDropped)
	if srv.Connections() != 1 {
		t.Error("the listener was killed: the reader fell behind")
	}
}

func TestEventFormats(t *testing.T) {
	for _, format := range []string{"plain", "json"} {
		t.Run(format, func(t *testing.T) {
			srv := esltest.NewServer(t, nil)
			c := dial(t, srv, &Options{Format: format, Events: []string{"CHANNEL_CREATE CUSTOM sofia::register", "HEARTBEAT"}})
			sub := c.Subscribe(0)
			defer sub.Close()
			next(t, sub)
			if err := srv.Register("1000", esltest.Registration{UserAgent: "Yealink SIP-T46S 66.86", IP: "192.0.2.7", Port: 5062}); err != nil {
				t.Fatal(err)
			}
			ev := waitEvent(t, sub, "CUSTOM")
			if ev.Subclass != "sofia::register" || ev.Get("user-agent") != "Yealink SIP-T46S 66.86" ||
				ev.Get("network-port") != "5062" || ev.Get("contact") != `"1000" <sip:1000@192.0.2.7:5062;fs_nat=no>` {
				t.Errorf("register event: %s", ev.String())
			}
			if ev.Get("Core-UUID") != srv.CoreUUID() || ev.Get("FreeSWITCH-Hostname") != "esltest" || ev.Seq == 0 {
				t.Errorf("standard headers: %s", ev.String())
			}
			ts, err := strconv.ParseInt(ev.Get("Event-Date-Timestamp"), 10, 64)
			if err != nil || time.Since(time.UnixMicro(ts)) > time.Minute {
				t.Errorf("Event-Date-Timestamp %q is not microseconds", ev.Get("Event-Date-Timestamp"))
			}
			srv.Heartbeat()
			if hb := waitEvent(t, sub, "HEARTBEAT"); hb.Get("Event-Info") != "System Ready" {
				t.Errorf("heartbeat %s", hb.String())
			}
			job, err := c.BackgroundAPI(ctx5s(t), "echo", "a:b%'c d'")
			if err != nil {
				t.Fatal(err)
			}
			if out, err := job.Wait(ctx5s(t)); err != nil || out != "a:b%'c d'" {
				t.Errorf("job over %s: %q %v", format, out, err)
			}
		})
	}
}

func TestFiltersKeepBackgroundJobs(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, &Options{Events: []string{"ALL"}, Filters: []Filter{{Header: "Event-Name", Value: "HEARTBEAT"}}})
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	fire(srv, 3)
	srv.Heartbeat()
	if ev := next(t, sub); ev.Name() != "HEARTBEAT" {
		t.Errorf("filtered stream delivered %s", ev.Name())
	}
	job, err := c.BackgroundAPI(ctx5s(t), "echo", "x")
	if err != nil {
		t.Fatal(err)
	}
	if out, err := job.Wait(ctx5s(t)); err != nil || out != "x" {
		t.Errorf("job %q %v", out, err)
	}
	if ev := next(t, sub); ev.Name() != "BACKGROUND_JOB" {
		t.Errorf("with ALL, BACKGROUND_JOB is delivered too; got %s", ev.Name())
	}
}

func TestReconnect(t *testing.T) {
	for _, tc := range []struct {
		name   string
		fault  func(*esltest.Server)
		reason string
	}{
		{"disconnect notice", func(s *esltest.Server) { s.SendDisconnectNotice("") }, "disconnect notice"},
		{"dropped connection", (*esltest.Server).DropConnections, "read"},
		{"broken frame", func(s *esltest.Server) { s.WriteRaw([]byte("Content-Length: nope\n\n")) }, "protocol error"},
		{"stray reply", func(s *esltest.Server) { s.WriteRaw([]byte("Content-Type: command/reply\nReply-Text: +OK\n\n")) }, "no command in flight"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := esltest.NewServer(t, nil)
			c := dial(t, srv, &Options{Events: []string{"CUSTOM pbxkit::test"}})
			sub := c.Subscribe(0)
			defer sub.Close()
			next(t, sub)
			tc.fault(srv)
			ev := waitState(t, sub, StateDisconnected)
			if ev.Err == nil || !strings.Contains(ev.Err.Error(), tc.reason) {
				t.Errorf("reason %v, want %q", ev.Err, tc.reason)
			}
			waitState(t, sub, StateReconnected)
			if c.State() != StateConnected {
				t.Errorf("state %v", c.State())
			}
			fire(srv, 1)
			if ev := waitEvent(t, sub, "CUSTOM"); ev.Get("Index") != "0" {
				t.Errorf("event after reconnect %s", ev.String())
			}
			if n := len(srv.ReceivedMatching("event plain BACKGROUND_JOB CUSTOM pbxkit::test")); n != 2 {
				t.Errorf("subscribed %d times, want 2", n)
			}
			if got, err := c.API(ctx5s(t), "echo", "after"); err != nil || got != "after" {
				t.Errorf("API after reconnect %q %v", got, err)
			}
		})
	}
}

func TestOutageFailsFast(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, &Options{ReconnectMin: 20 * time.Millisecond, ReconnectMax: 50 * time.Millisecond})
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	srv.RefuseConnections(true)
	srv.DropConnections()
	waitState(t, sub, StateDisconnected)
	start := time.Now()
	_, err := c.API(ctx5s(t), "status")
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrDisconnected) {
		t.Fatalf("err %v", err)
	}
	if _, err := c.BackgroundAPI(ctx5s(t), "status"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("bgapi err %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("took %v", d)
	}
	time.Sleep(100 * time.Millisecond)
	if srv.Accepted() < 2 {
		t.Error("no reconnection attempt")
	}
	srv.RefuseConnections(false)
	waitState(t, sub, StateReconnected)
	if _, err := c.API(ctx5s(t), "status"); err != nil {
		t.Fatal(err)
	}
}

func TestInFlightLost(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	srv.SetReplyDelay(500 * time.Millisecond)
	job, err := c.BackgroundAPI(ctx5s(t), "msleep", "1000")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { _, err := c.API(ctx5s(t), "status"); errc <- err }()
	time.Sleep(50 * time.Millisecond)
	srv.DropConnections()
	if err := <-errc; !errors.Is(err, ErrDisconnected) || !errors.Is(err, ErrUnavailable) {
		t.Errorf("in-flight API: %v", err)
	}
	if _, err := job.Wait(ctx5s(t)); !errors.Is(err, ErrDisconnected) {
		t.Errorf("pending job: %v", err)
	}
}

func TestInjectionNeverReachesTheWire(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	before := srv.ReceivedCount()
	ctx := ctx5s(t)
	for _, tc := range []struct {
		cmd  string
		args []string
		want error
	}{
		{"uuid_kill", []string{"x\n\napi system touch /tmp/pwned"}, ErrInvalid},
		{"uuid_kill", []string{"x\r\n\r\nbgapi system id"}, ErrInvalid},
		{"uuid_kill", []string{"x\x00"}, ErrInvalid},
		{"uuid_kill", []string{"x y"}, ErrInvalid},
		{"status\n\napi system id", nil, ErrInvalid},
		{"echo", []string{"${system(id)}"}, ErrForbidden},
		{"system", []string{"id"}, ErrForbidden},
		{"bg_system", []string{"id"}, ErrForbidden},
		{"spawn", []string{"id"}, ErrForbidden},
		{"bg_spawn", []string{"id"}, ErrForbidden},
		{"originate", []string{"user/1000", "&system(id)"}, ErrForbidden},
		{"uuid_setvar", []string{"x", "api_hangup_hook", "system"}, ErrForbidden},
	} {
		if _, err := c.API(ctx, tc.cmd, tc.args...); !errors.Is(err, tc.want) {
			t.Errorf("API %q %q: %v, want %v", tc.cmd, tc.args, err, tc.want)
		}
		if _, err := c.BackgroundAPI(ctx, tc.cmd, tc.args...); !errors.Is(err, tc.want) {
			t.Errorf("BackgroundAPI %q %q: %v, want %v", tc.cmd, tc.args, err, tc.want)
		}
	}
	if _, err := c.API(ctx, "echo", strings.Repeat("x", MaxCommandLength)); !errors.Is(err, ErrTooLong) {
		t.Errorf("long command: %v", err)
	}
	if n := srv.ReceivedCount(); n != before {
		t.Fatalf("the server received %d commands: %q", n-before, srv.Received()[before:])
	}
	if c.State() != StateConnected {
		t.Error("connection lost")
	}
}

func TestOversizedMessages(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, &Options{MaxBodySize: 4096, Events: []string{"CUSTOM pbxkit::test"}})
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	big := "Event-Name: CUSTOM\nEvent-Subclass: pbxkit%3A%3Atest\nX: " + strings.Repeat("y", 10000) + "\n\n"
	srv.WriteRaw([]byte("Content-Length: " + strconv.Itoa(len(big)) + "\nContent-Type: text/event-plain\n\n" + big))
	fire(srv, 1)
	if ev := next(t, sub); ev.Get("Index") != "0" {
		t.Errorf("after an oversized event: %s", ev.String())
	}
	_, err := c.API(ctx5s(t), "echo", strings.Repeat("z", 5000))
	if !errors.Is(err, ErrTooLong) {
		t.Errorf("oversized reply: %v", err)
	}
	if got, err := c.API(ctx5s(t), "echo", "ok"); err != nil || got != "ok" {
		t.Errorf("after an oversized reply: %q %v", got, err)
	}
	if srv.Accepted() != 1 {
		t.Error("reconnected: oversized messages must be skipped, not fatal")
	}
}

func TestClose(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	sub := c.Subscribe(0)
	next(t, sub)
	srv.SetReplyDelay(2 * time.Second)
	errc := make(chan error, 3)
	go func() { _, err := c.API(context.Background(), "echo", "in-flight"); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	go func() { _, err := c.API(context.Background(), "echo", "queued"); errc <- err }()
	go func() { _, err := c.BackgroundAPI(context.Background(), "msleep", "5000"); errc <- err }()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("Close took %v", d)
	}
	for range 3 {
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Errorf("pending command: %v", err)
		}
	}
	if ev := waitState(t, sub, StateClosed); ev.State != StateClosed {
		t.Fatal(ev)
	}
	if _, err := sub.Next(ctx5s(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after close: %v", err)
	}
	if _, err := c.API(ctx5s(t), "status"); !errors.Is(err, ErrClosed) {
		t.Errorf("API after Close: %v", err)
	}
	if _, err := c.BackgroundAPI(ctx5s(t), "status"); !errors.Is(err, ErrClosed) {
		t.Errorf("BackgroundAPI after Close: %v", err)
	}
	if c.State() != StateClosed {
		t.Errorf("state %v", c.State())
	}
	_ = c.Close()
	s2 := c.Subscribe(0)
	if _, err := s2.Next(ctx5s(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

func TestCloseSendsExit(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, nil)
	job, err := c.BackgroundAPI(ctx5s(t), "msleep", "3000")
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	if len(srv.ReceivedMatching("exit\n\n")) != 1 {
		t.Errorf("no exit sent: %q", srv.Received())
	}
	if _, err := job.Wait(ctx5s(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("pending job after Close: %v", err)
	}
}

func TestKeepalive(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, &Options{PingInterval: 20 * time.Millisecond, CommandTimeout: 100 * time.Millisecond})
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	time.Sleep(80 * time.Millisecond)
	if n := len(srv.ReceivedMatching("api status")); n < 2 {
		t.Errorf("%d keepalives", n)
	}
	srv.SetReplyDelay(time.Second)
	if ev := waitState(t, sub, StateDisconnected); !errors.Is(ev.Err, context.DeadlineExceeded) {
		t.Errorf("reason %v", ev.Err)
	}
	srv.SetReplyDelay(0)
	waitState(t, sub, StateReconnected)
}

func TestSubscriptionClose(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, &Options{Events: []string{"CUSTOM pbxkit::test"}})
	sub := c.Subscribe(4)
	next(t, sub)
	fire(srv, 10)
	time.Sleep(50 * time.Millisecond)
	if sub.Len() != 4 || sub.Dropped() != 6 {
		t.Errorf("len %d dropped %d", sub.Len(), sub.Dropped())
	}
	var n int
	for ev, err := range sub.All(ctx5s(t)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if n == 2 {
			if ev.Dropped != 0 {
				t.Errorf("dropped %d", ev.Dropped)
			}
			sub.Close()
		}
	}
	if n != 2 {
		t.Errorf("%d items after close", n)
	}
	fire(srv, 1)
}

func TestEventHelpers(t *testing.T) {
	ev := Event{Headers: []Header{{"Event-Name", "X"}, {"Unique-ID", "u"}, {"A", "1"}, {"a", "2"}}, Body: "b"}
	ev.fill()
	if ev.Name() != "X" || ev.UniqueID() != "u" || len(ev.Values("a")) != 2 {
		t.Errorf("%+v", ev)
	}
	cl := ev.Clone()
	cl.Headers[0].Value = "Y"
	if ev.Name() != "X" || ev.Headers[0].Value != "X" {
		t.Error("Clone shares headers")
	}
	if !bytes.Contains([]byte(ev.String()), []byte("Content-Length: 1\n\nb")) {
		t.Errorf("%q", ev.String())
	}
	st := Event{State: StateDisconnected, Err: errors.New("boom")}
	if st.String() != "state disconnected: boom" {
		t.Errorf("%q", st.String())
	}
	for s := StateNone; s <= StateClosed+1; s++ {
		_ = s.String()
	}
}
