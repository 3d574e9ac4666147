package ami_test

// The facts of the AMI wire of Asterisk 16.28 (the project's notes,
// asterisk16-wire.md), each checked against a real Asterisk started by
// asterisktest: through ami.Conn, and through a raw TCP session where the
// fact is about bytes. TestWire shares one server between its subtests;
// TestWireRestart restarts its own.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/asterisktest"
)

const (
	wireBanner = "Asterisk Call Manager/5.0.4"
	// wireSpyUser is an AMI user added to the instance's manager.conf with
	// read=all (security included), to watch security events.
	wireSpyUser = "wirespy"
)

// rawAMI is a raw TCP AMI session: what it reads is kept byte for byte.
type rawAMI struct {
	t      testing.TB
	nc     net.Conn
	br     *bufio.Reader
	banner string
}

// dialRaw connects without logging in or reading the banner.
func dialRaw(t testing.TB, addr string) *rawAMI {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = nc.Close() })
	return &rawAMI{t: t, nc: nc, br: bufio.NewReader(nc)}
}

// loginRaw connects, reads the banner and logs in; it fails the test unless
// the Login is accepted.
func loginRaw(t testing.TB, addr, user, secret, events string) *rawAMI {
	t.Helper()
	r := dialRaw(t, addr)
	r.readBanner()
	r.send("Action", "Login", "ActionID", "login", "Username", user, "Secret", secret, "Events", events)
	if _, m := r.next(5 * time.Second); m.Response() != "Success" {
		t.Fatalf("login %s: %v", user, m)
	}
	return r
}

func (r *rawAMI) readBanner() string {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := r.br.ReadString('\n')
	if err != nil {
		r.t.Fatalf("banner: %v", err)
	}
	r.banner = line
	return line
}

// send writes one message of "Key: Value" lines from key-value pairs.
func (r *rawAMI) send(kv ...string) {
	r.t.Helper()
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(r.nc, b.String()); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// next returns the next message (raw bytes and parsed), failing the test
// after timeout.
func (r *rawAMI) next(timeout time.Duration) ([]byte, *ami.Message) {
	r.t.Helper()
	_ = r.nc.SetReadDeadline(time.Now().Add(timeout))
	raw, err := readRawMessage(r.br)
	if err != nil {
		r.t.Fatalf("read: %v (after %q)", err, raw)
	}
	return raw, parseRaw(raw)
}

// nextErr is next without failing: it returns the read error.
func (r *rawAMI) nextErr(timeout time.Duration) ([]byte, *ami.Message, error) {
	_ = r.nc.SetReadDeadline(time.Now().Add(timeout))
	raw, err := readRawMessage(r.br)
	if err != nil {
		return raw, nil, err
	}
	return raw, parseRaw(raw), nil
}

// until returns the first message for which ok is true.
func (r *rawAMI) until(timeout time.Duration, ok func(*ami.Message) bool) ([]byte, *ami.Message) {
	r.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		raw, m := r.next(time.Until(deadline))
		if ok(m) {
			return raw, m
		}
	}
}

// readRawMessage reads one message and returns its bytes: any stray blank
// lines before it, its lines and its blank line. A CRLF right after a line
// that ended with a bare LF belongs to that line ("No Contacts found\n\r\n").
func readRawMessage(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	started, bareLF := false, false
	for {
		line, err := br.ReadBytes('\n')
		buf = append(buf, line...)
		if err != nil {
			return buf, err
		}
		if string(line) == "\r\n" || string(line) == "\n" {
			switch {
			case !started:
				continue
			case bareLF:
				bareLF = false
				continue
			}
			return buf, nil
		}
		started = true
		bareLF = !bytes.HasSuffix(line, []byte("\r\n"))
	}
}

// parseRaw turns raw bytes into a Message (values trimmed of line ends).
func parseRaw(raw []byte) *ami.Message {
	var hs []ami.Header
	for _, line := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n") {
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			hs = append(hs, ami.Header{Value: line})
			continue
		}
		hs = append(hs, ami.Header{Key: k, Value: strings.TrimPrefix(v, " ")})
	}
	return ami.NewMessage(hs...)
}

func keys(m *ami.Message) []string {
	var ks []string
	for k := range m.All() {
		ks = append(ks, k)
	}
	return ks
}

// keyIndex returns the position of the first header named key, or -1.
func keyIndex(m *ami.Message, key string) int {
	return slices.IndexFunc(keys(m), func(k string) bool { return strings.EqualFold(k, key) })
}

// spy is a raw session logged in with events on, reading in the background
// and keeping every message with its raw bytes.
type spy struct {
	r    *rawAMI
	mu   sync.Mutex
	msgs []spyMsg
	err  error // set when the session ended
	at   time.Time
	kick chan struct{}
	done chan struct{}
}

type spyMsg struct {
	raw []byte
	m   *ami.Message
	at  time.Time
}

func newSpy(t testing.TB, addr, user, secret string) *spy {
	t.Helper()
	s := &spy{r: loginRaw(t, addr, user, secret, "on"), kick: make(chan struct{}), done: make(chan struct{})}
	_ = s.r.nc.SetReadDeadline(time.Time{})
	go func() {
		defer close(s.done)
		for {
			raw, err := readRawMessage(s.r.br)
			s.mu.Lock()
			if err != nil {
				s.err, s.at = err, time.Now()
			} else {
				s.msgs = append(s.msgs, spyMsg{raw: raw, m: parseRaw(raw), at: time.Now()})
			}
			close(s.kick)
			s.kick = make(chan struct{})
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { _ = s.r.nc.Close(); <-s.done })
	return s
}

// mark returns the number of messages received so far.
func (s *spy) mark() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

// wait returns the index of the first message from index from on for which
// ok is true, failing the test after timeout.
func (s *spy) wait(t testing.TB, from int, timeout time.Duration, ok func(*ami.Message) bool) (int, spyMsg) {
	t.Helper()
	deadline := time.After(timeout)
	for i := from; ; {
		s.mu.Lock()
		for ; i < len(s.msgs); i++ {
			if ok(s.msgs[i].m) {
				m := s.msgs[i]
				s.mu.Unlock()
				return i, m
			}
		}
		kick, err := s.kick, s.err
		s.mu.Unlock()
		if err != nil {
			t.Fatalf("spy: session ended (%v) before the message", err)
		}
		select {
		case <-kick:
		case <-deadline:
			t.Fatalf("spy: no matching message within %v", timeout)
		}
	}
}

// ended waits for the session's end and returns the error and when.
func (s *spy) ended(t testing.TB, timeout time.Duration) (time.Time, error) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		t.Fatalf("spy: session still open after %v", timeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.at, s.err
}

func (s *spy) all() []spyMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// isEvent returns a predicate matching an event by name and header values.
func isEvent(name string, kv ...string) func(*ami.Message) bool {
	return func(m *ami.Message) bool {
		if !strings.EqualFold(m.Event(), name) {
			return false
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if m.Get(kv[i]) != kv[i+1] {
				return false
			}
		}
		return true
	}
}

// events collects the AMI events of sub until one matches stop (included),
// failing the test after timeout.
func events(t testing.TB, sub *ami.Subscription, timeout time.Duration, stop func(*ami.Message) bool) []*ami.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var got []*ami.Message
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			names := make([]string, 0, len(got))
			for _, m := range got {
				names = append(names, m.Event())
			}
			t.Fatalf("no matching event within %v (%v); got %v", timeout, err, names)
		}
		if ev.Dropped != 0 {
			t.Fatalf("subscription dropped %d events", ev.Dropped)
		}
		if ev.Message == nil {
			continue
		}
		got = append(got, ev.Message)
		if stop(ev.Message) {
			return got
		}
	}
}

// eventsAll collects the events of sub until each predicate has matched
// one of them.
func eventsAll(t testing.TB, sub *ami.Subscription, timeout time.Duration, preds ...func(*ami.Message) bool) []*ami.Message {
	t.Helper()
	seen := make([]bool, len(preds))
	left := len(preds)
	return events(t, sub, timeout, func(m *ami.Message) bool {
		for i, ok := range preds {
			if !seen[i] && ok(m) {
				seen[i] = true
				left--
			}
		}
		return left == 0
	})
}

// waitEvent returns the first event of sub that matches ok.
func waitEvent(t testing.TB, sub *ami.Subscription, timeout time.Duration, ok func(*ami.Message) bool) *ami.Message {
	t.Helper()
	evs := events(t, sub, timeout, ok)
	return evs[len(evs)-1]
}

func first(evs []*ami.Message, ok func(*ami.Message) bool) (int, *ami.Message) {
	for i, m := range evs {
		if ok(m) {
			return i, m
		}
	}
	return -1, nil
}

func wctx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func action(name string, kv ...string) *ami.Message {
	a := ami.NewAction(name)
	for i := 0; i+1 < len(kv); i += 2 {
		a.Add(kv[i], kv[i+1])
	}
	return a
}

// wantError checks that err is a *ami.Error with that message.
func wantError(t testing.TB, err error, msg string) *ami.Error {
	t.Helper()
	var e *ami.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v, want the server's error %q", err, msg)
	}
	if e.Message != msg {
		t.Fatalf("error message %q, want %q", e.Message, msg)
	}
	if e.ActionID == "" || e.Response.ActionID() != e.ActionID {
		t.Errorf("ActionID %q not echoed (response %v)", e.ActionID, e.Response)
	}
	return e
}

// checkList checks the framing of a list: "EventList: start" response,
// items without Privilege carrying the ActionID, and a Complete event of
// that name with "EventList: Complete" and ListItems, the number of items
// unless listItems gives the value Asterisk sends instead.
func checkList(t testing.TB, l *ami.List, complete string, listItems ...string) {
	t.Helper()
	id := l.Response.ActionID()
	if l.Response.Response() != "Success" || l.Response.Get("EventList") != "start" || id == "" {
		t.Fatalf("list response %v", l.Response)
	}
	if keyIndex(l.Response, "ActionID") != 1 {
		t.Errorf("ActionID is not the 2nd line of the list response: %v", keys(l.Response))
	}
	for _, it := range l.Items {
		if it.ActionID() != id {
			t.Errorf("item without the list's ActionID %q: %v", id, it)
		}
		if _, ok := it.Lookup("Privilege"); ok {
			t.Errorf("list item with a Privilege header: %v", it)
		}
	}
	c := l.Complete
	if c == nil {
		t.Fatalf("no Complete event")
	}
	if c.Event() != complete || c.Get("EventList") != "Complete" || c.ActionID() != id {
		t.Errorf("Complete event %v, want %s with EventList: Complete and ActionID %s", c, complete, id)
	}
	want := fmt.Sprint(len(l.Items))
	if len(listItems) > 0 {
		want = listItems[0]
	}
	if got := c.Get("ListItems"); got != want {
		t.Errorf("%s: ListItems %s, want %s (%d items)", complete, got, want, len(l.Items))
	}
}

// channelByID returns the live channel whose Uniqueid is id, waiting for it
// to exist and be Up.
func channelByID(t testing.TB, c *ami.Conn, id string) *ami.Message {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l, err := c.DoList(wctx(t, 5*time.Second), ami.NewAction("CoreShowChannels"))
		if err != nil {
			t.Fatal(err)
		}
		for _, ch := range l.Items {
			if ch.Get("Uniqueid") == id && ch.Get("ChannelStateDesc") == "Up" {
				return ch
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no channel %s up", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wire is the shared server of TestWire and its connections.
type wire struct {
	srv *asterisktest.Server
	on  *ami.Conn // Events: on
	off *ami.Conn // Events: off
	spy *spy      // raw, read=all (security included)
}

func dialConn(t testing.TB, srv *asterisktest.Server, events bool) *ami.Conn {
	t.Helper()
	c, err := ami.Dial(wctx(t, 10*time.Second), srv.AMIAddr, &ami.Options{
		Username: srv.AMIUser, Secret: srv.AMISecret, Events: events, PingInterval: -1,
		ReconnectMin: 50 * time.Millisecond, ReconnectMax: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// addSpyUser adds wireSpyUser to the instance's manager.conf and reloads it.
func addSpyUser(t testing.TB, srv *asterisktest.Server) {
	t.Helper()
	path := filepath.Join(srv.ConfigDir, "manager.conf")
	conf, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	conf = fmt.Appendf(conf, "\n[%s]\nsecret = %s\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\nread = all\nwrite = system\n",
		wireSpyUser, srv.AMISecret)
	if err := os.WriteFile(path, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CLI(wctx(t, 10*time.Second), "manager reload"); err != nil {
		t.Fatal(err)
	}
}

func TestWire(t *testing.T) {
	t.Parallel()
	srv := asterisktest.Start(t, nil)
	addSpyUser(t, srv)
	w := &wire{srv: srv}
	w.spy = newSpy(t, srv.AMIAddr, wireSpyUser, srv.AMISecret)
	w.on = dialConn(t, srv, true)
	w.off = dialConn(t, srv, false)

	// Session and framing.
	t.Run("banner_single_line", w.banner)
	t.Run("send_before_banner", w.sendBeforeBanner)
	t.Run("login_success_fullybooted", w.loginFullyBooted)
	t.Run("login_failed", w.loginFailed)
	t.Run("action_before_login", w.actionBeforeLogin)
	t.Run("security_events", w.securityEvents)
	t.Run("action_names_case_insensitive", w.caseInsensitive)
	t.Run("unknown_action", w.unknownAction)
	t.Run("missing_action", w.missingAction)
	t.Run("logoff", w.logoff)
	t.Run("md5_challenge_login", w.md5Login)

	// Lists, Command and other actions, on an idle PBX.
	t.Run("list_coreshowchannels_empty", w.coreShowChannelsEmpty)
	t.Run("empty_list_errors", w.emptyListErrors)
	t.Run("list_pjsip_endpoints", w.pjsipEndpoints)
	t.Run("list_devicestatelist", w.deviceStateList)
	t.Run("list_queuestatus_actionid_last", w.queueStatus)
	t.Run("dbget_is_a_list", w.dbGet)
	t.Run("command_output_headers", w.command)
	t.Run("version_specifics", w.versionSpecifics)

	// Phones.
	phones := w.registerPhones(t)

	// Calls.
	t.Run("complete_event_names", w.completeNames)
	t.Run("originate_async", w.originateAsync)
	t.Run("originate_async_raw_order", w.originateRawOrder)
	t.Run("originate_failures", w.originateFailures)
	t.Run("originate_busy_phone", w.originateBusy)
	t.Run("originate_rang_out", w.originateRangOut)
	t.Run("originate_sync", w.originateSync)
	t.Run("originate_application_wins_and_hangup_regex", w.applicationWins)
	t.Run("hangup_and_redirect", w.hangupRedirect)
	t.Run("remote_bye_bridged", func(t *testing.T) { w.remoteBye(t, phones["1002"]) })
	t.Run("conference_lists_and_stray_blank_line", w.conference)
	t.Run("queue_member_events", w.queueEvents)
	t.Run("testevent_delivered", w.testEvent)
	t.Run("no_registry_event", w.noRegistry)
}

// Fact: the banner is "Asterisk Call Manager/5.0.4\r\n", one line with no
// blank line after it.
func (w *wire) banner(t *testing.T) {
	r := dialRaw(t, w.srv.AMIAddr)
	_ = r.nc.SetReadDeadline(time.Now().Add(time.Second))
	var got []byte
	buf := make([]byte, 256)
	for { // everything the server sends before the client says anything
		n, err := r.nc.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			break
		}
		_ = r.nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	}
	if string(got) != wireBanner+"\r\n" {
		t.Errorf("greeting %q, want %q", got, wireBanner+"\r\n")
	}
	if b := w.on.Banner(); b != wireBanner {
		t.Errorf("Conn.Banner() = %q", b)
	}
}

// Fact: the client may send before the banner arrives.
func (w *wire) sendBeforeBanner(t *testing.T) {
	r := dialRaw(t, w.srv.AMIAddr)
	r.send("Action", "Login", "ActionID", "early", "Username", w.srv.AMIUser, "Secret", w.srv.AMISecret, "Events", "off")
	if b := r.readBanner(); b != wireBanner+"\r\n" {
		t.Errorf("banner %q", b)
	}
	raw, _ := r.next(5 * time.Second)
	if want := "Response: Success\r\nActionID: early\r\nMessage: Authentication accepted\r\n\r\n"; string(raw) != want {
		t.Errorf("login response %q, want %q", raw, want)
	}
}

// Fact: a successful Login returns Success / "Authentication accepted",
// then the server pushes FullyBooted (Uptime, LastReload, Status, in that
// order) to that session, unless it logged in with Events: off.
func (w *wire) loginFullyBooted(t *testing.T) {
	r := dialRaw(t, w.srv.AMIAddr)
	r.readBanner()
	r.send("Action", "Login", "ActionID", "L1", "Username", w.srv.AMIUser, "Secret", w.srv.AMISecret, "Events", "on")
	raw, _ := r.next(5 * time.Second)
	if want := "Response: Success\r\nActionID: L1\r\nMessage: Authentication accepted\r\n\r\n"; string(raw) != want {
		t.Errorf("login response %q, want %q", raw, want)
	}
	_, m := r.next(5 * time.Second)
	if m.Event() != "FullyBooted" || m.Get("Privilege") != "system,all" || m.Get("Status") != "Fully Booted" {
		t.Errorf("after login: %v, want FullyBooted", m)
	}
	if got, want := keys(m), []string{"Event", "Privilege", "Uptime", "LastReload", "Status"}; !slices.Equal(got, want) {
		t.Errorf("per-login FullyBooted fields %v, want %v", got, want)
	}

	off := dialRaw(t, w.srv.AMIAddr)
	off.readBanner()
	off.send("Action", "Login", "ActionID", "L2", "Username", w.srv.AMIUser, "Secret", w.srv.AMISecret, "Events", "off")
	off.send("Action", "Ping", "ActionID", "P2")
	if _, m := off.next(5 * time.Second); m.ActionID() != "L2" || m.Response() != "Success" {
		t.Errorf("login: %v", m)
	}
	if _, m := off.next(5 * time.Second); m.ActionID() != "P2" {
		t.Errorf("Events: off session got %v before the Ping response", m)
	}
}

// Fact: a failed Login (wrong secret or unknown user) returns Error /
// "Authentication failed" after about 1 s, then the server closes the
// connection. ami.Dial reports ErrAuth with the server's *Error.
func (w *wire) loginFailed(t *testing.T) {
	for _, tc := range []struct{ name, user, secret string }{
		{"wrong_secret", w.srv.AMIUser, "not-the-secret"},
		{"unknown_user", "nosuchuser", "whatever"},
	} {
		t.Run("raw_"+tc.name, func(t *testing.T) {
			t.Parallel()
			r := dialRaw(t, w.srv.AMIAddr)
			r.readBanner()
			began := time.Now()
			r.send("Action", "Login", "ActionID", "bad", "Username", tc.user, "Secret", tc.secret)
			raw, _ := r.next(5 * time.Second)
			took := time.Since(began)
			if want := "Response: Error\r\nActionID: bad\r\nMessage: Authentication failed\r\n\r\n"; string(raw) != want {
				t.Errorf("response %q, want %q", raw, want)
			}
			if took < 800*time.Millisecond || took > 3*time.Second {
				t.Errorf("refusal after %v, want about 1 s", took)
			}
			if raw, _, err := r.nextErr(2 * time.Second); !errors.Is(err, io.EOF) {
				t.Errorf("after the refusal: %q, %v; want EOF", raw, err)
			}
			t.Logf("refused after %v, then EOF", took.Round(time.Millisecond))
		})
		t.Run("conn_"+tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := ami.Dial(wctx(t, 5*time.Second), w.srv.AMIAddr, &ami.Options{Username: tc.user, Secret: tc.secret})
			if err == nil {
				_ = c.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, ami.ErrAuth) {
				t.Errorf("err = %v, want ErrAuth", err)
			}
			var e *ami.Error
			if !errors.As(err, &e) || e.Message != "Authentication failed" {
				t.Errorf("err = %v, want the server's \"Authentication failed\"", err)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

// Fact: an action before Login gets Error / "Permission denied" and the
// connection stays open (a Login afterwards works).
func (w *wire) actionBeforeLogin(t *testing.T) {
	r := dialRaw(t, w.srv.AMIAddr)
	r.readBanner()
	r.send("Action", "Ping", "ActionID", "pre")
	raw, _ := r.next(5 * time.Second)
	if want := "Response: Error\r\nActionID: pre\r\nMessage: Permission denied\r\n\r\n"; string(raw) != want {
		t.Errorf("response %q, want %q", raw, want)
	}
	r.send("Action", "Login", "ActionID", "L", "Username", w.srv.AMIUser, "Secret", w.srv.AMISecret, "Events", "off")
	if _, m := r.next(5 * time.Second); m.Response() != "Success" || m.Get("Message") != "Authentication accepted" {
		t.Errorf("login after the refused action: %v", m)
	}
}

// Fact: sessions with read=security get SuccessfulAuth for every login
// (their own included), InvalidPassword / InvalidAccountID for failed ones,
// RequestNotAllowed for an action before Login and RequestBadFormat for a
// request without Action.
func (w *wire) securityEvents(t *testing.T) {
	// The spy's own login, and those of the shared Conns.
	w.spy.wait(t, 0, 5*time.Second, isEvent("SuccessfulAuth", "AccountID", wireSpyUser, "Service", "AMI"))
	_, m := w.spy.wait(t, 0, 5*time.Second, isEvent("SuccessfulAuth", "AccountID", w.srv.AMIUser, "Service", "AMI"))
	if m.m.Get("Privilege") != "security,all" {
		t.Errorf("SuccessfulAuth privilege %q", m.m.Get("Privilege"))
	}
	// Failed logins of login_failed.
	w.spy.wait(t, 0, 5*time.Second, isEvent("InvalidPassword", "AccountID", w.srv.AMIUser))
	w.spy.wait(t, 0, 5*time.Second, isEvent("InvalidAccountID", "AccountID", "nosuchuser"))

	from := w.spy.mark()
	r := dialRaw(t, w.srv.AMIAddr)
	r.readBanner()
	r.send("Action", "Ping", "ActionID", "sec-1")
	if _, m := r.next(5 * time.Second); m.Get("Message") != "Permission denied" {
		t.Errorf("action before login: %v", m)
	}
	_, n := w.spy.wait(t, from, 5*time.Second, isEvent("RequestNotAllowed"))
	if n.m.Get("RequestType") != "Action: Ping" {
		t.Errorf("RequestNotAllowed RequestType %q", n.m.Get("RequestType"))
	}
	r.send("ActionID", "sec-2", "Foo", "bar")
	if _, m := r.next(5 * time.Second); m.Get("Message") != "Missing action in request" {
		t.Errorf("request without Action before login: %v", m)
	}
	w.spy.wait(t, from, 5*time.Second, isEvent("RequestBadFormat"))
}

// Fact: action names are case-insensitive.
func (w *wire) caseInsensitive(t *testing.T) {
	resp, err := w.on.Do(wctx(t, 5*time.Second), ami.NewAction("ping"))
	if err != nil || resp.Get("Ping") != "Pong" {
		t.Errorf("ping: %v, %v", resp, err)
	}
	resp, err = w.on.Do(wctx(t, 5*time.Second), ami.NewAction("COREsTATUS"))
	if _, ok := resp.Lookup("CoreCurrentCalls"); err != nil || !ok {
		t.Errorf("COREsTATUS: %v, %v", resp, err)
	}
}

// Fact: an unknown action gets "Invalid/unknown command: X. Use Action:
// ListCommands to show available commands." with the ActionID echoed as the
// 2nd line.
func (w *wire) unknownAction(t *testing.T) {
	_, err := w.on.Do(wctx(t, 5*time.Second), ami.NewAction("NoSuchAction"))
	wantError(t, err, "Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.")

	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "off")
	r.send("Action", "NoSuchAction", "ActionID", "x1")
	raw, _ := r.next(5 * time.Second)
	if want := "Response: Error\r\nActionID: x1\r\nMessage: Invalid/unknown command: NoSuchAction. Use Action: ListCommands to show available commands.\r\n\r\n"; string(raw) != want {
		t.Errorf("raw %q, want %q", raw, want)
	}
	// Every response echoes the ActionID as its 2nd line.
	for _, a := range [][]string{
		{"Action", "Ping", "ActionID", "x2"},
		{"Action", "CoreStatus", "ActionID", "x3"},
		{"Action", "DBPut", "ActionID", "x4", "Family", "pbxkit-wire", "Key", "k", "Val", "v"},
	} {
		r.send(a...)
		_, m := r.next(5 * time.Second)
		if keyIndex(m, "ActionID") != 1 || m.ActionID() != a[3] {
			t.Errorf("%s: ActionID not 2nd: %v", a[1], keys(m))
		}
	}
}

// Fact: a request without an Action header gets "Missing action in
// request", with the ActionID echoed.
func (w *wire) missingAction(t *testing.T) {
	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "off")
	r.send("ActionID", "x2", "Foo", "bar")
	raw, _ := r.next(5 * time.Second)
	if want := "Response: Error\r\nActionID: x2\r\nMessage: Missing action in request\r\n\r\n"; string(raw) != want {
		t.Errorf("raw %q, want %q", raw, want)
	}
	// ami.Conn never sends such a request.
	if _, err := w.on.Do(wctx(t, time.Second), ami.NewMessage(ami.Header{Key: "Foo", Value: "bar"})); !errors.Is(err, ami.ErrInvalidField) {
		t.Errorf("Do without Action: %v, want ErrInvalidField", err)
	}
}

// Fact: Logoff answers Goodbye / "Thanks for all the fish." then EOF.
func (w *wire) logoff(t *testing.T) {
	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "off")
	r.send("Action", "Logoff", "ActionID", "lo")
	raw, _ := r.next(5 * time.Second)
	if want := "Response: Goodbye\r\nActionID: lo\r\nMessage: Thanks for all the fish.\r\n\r\n"; string(raw) != want {
		t.Errorf("raw %q, want %q", raw, want)
	}
	if raw, _, err := r.nextErr(2 * time.Second); !errors.Is(err, io.EOF) {
		t.Errorf("after Goodbye: %q, %v; want EOF", raw, err)
	}
}

// Fact: the MD5 Challenge/Key login works.
func (w *wire) md5Login(t *testing.T) {
	r := dialRaw(t, w.srv.AMIAddr)
	r.readBanner()
	r.send("Action", "Challenge", "ActionID", "ch", "AuthType", "MD5")
	_, m := r.next(5 * time.Second)
	challenge := m.Get("Challenge")
	if m.Response() != "Success" || challenge == "" {
		t.Fatalf("Challenge: %v", m)
	}
	sum := md5.Sum([]byte(challenge + w.srv.AMISecret))
	r.send("Action", "Login", "ActionID", "md5", "AuthType", "MD5", "Username", w.srv.AMIUser,
		"Key", hex.EncodeToString(sum[:]), "Events", "off")
	if _, m := r.next(5 * time.Second); m.Response() != "Success" || m.Get("Message") != "Authentication accepted" {
		t.Errorf("MD5 login: %v", m)
	}
}

// Fact: list framing, on an idle PBX: CoreShowChannels answers Success +
// "EventList: start", then CoreShowChannelsComplete with ListItems 0; with
// no ActionID in the request, none appears.
func (w *wire) coreShowChannelsEmpty(t *testing.T) {
	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "off")
	r.send("Action", "CoreShowChannels", "ActionID", "x3")
	raw1, _ := r.next(5 * time.Second)
	raw2, _ := r.next(5 * time.Second)
	if got, want := string(raw1)+string(raw2), "Response: Success\r\nActionID: x3\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"+
		"Event: CoreShowChannelsComplete\r\nActionID: x3\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"; got != want {
		t.Errorf("raw %q, want %q", got, want)
	}
	r.send("Action", "CoreShowChannels")
	raw1, _ = r.next(5 * time.Second)
	raw2, _ = r.next(5 * time.Second)
	if got, want := string(raw1)+string(raw2), "Response: Success\r\nEventList: start\r\nMessage: Channels will follow\r\n\r\n"+
		"Event: CoreShowChannelsComplete\r\nEventList: Complete\r\nListItems: 0\r\n\r\n"; got != want {
		t.Errorf("without ActionID: raw %q, want %q", got, want)
	}
	l, err := w.on.DoList(wctx(t, 5*time.Second), ami.NewAction("CoreShowChannels"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "CoreShowChannelsComplete")
	if len(l.Items) != 0 {
		t.Errorf("%d channels on an idle PBX", len(l.Items))
	}
}

// Fact: empty lists are not consistent. ConfbridgeListRooms and
// ConfbridgeList answer "No active conferences."; PJSIPShowContacts "No
// Contacts found" with a stray LF (raw "found\n\r\n\r\n"), as do
// PJSIPShowEndpoint errors; QueueStatus for an unknown queue answers Success
// and a QueueStatusComplete with ListItems 0.
func (w *wire) emptyListErrors(t *testing.T) {
	ctx := wctx(t, 10*time.Second)
	for _, a := range []*ami.Message{
		ami.NewAction("ConfbridgeListRooms"),
		action("ConfbridgeList", "Conference", asterisktest.ConfRoom),
	} {
		_, err := w.on.DoList(ctx, a)
		wantError(t, err, "No active conferences.")
		if !ami.IsEmptyList(err) {
			t.Errorf("%s: IsEmptyList false for %v", a.Action(), err)
		}
	}
	_, err := w.on.DoList(ctx, ami.NewAction("PJSIPShowContacts"))
	wantError(t, err, "No Contacts found")
	if !ami.IsEmptyList(err) {
		t.Errorf("PJSIPShowContacts: IsEmptyList false for %v", err)
	}
	_, err = w.on.DoList(ctx, action("PJSIPShowEndpoint", "Endpoint", "nope"))
	wantError(t, err, "Unable to retrieve endpoint nope")

	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "off")
	r.send("Action", "PJSIPShowContacts", "ActionID", "x5")
	raw, _ := r.next(5 * time.Second)
	if want := "Response: Error\r\nActionID: x5\r\nMessage: No Contacts found\n\r\n\r\n"; string(raw) != want {
		t.Errorf("raw %q, want %q", raw, want)
	}
	if !bytes.HasSuffix(raw, []byte("found\n\r\n\r\n")) {
		t.Errorf("raw %q does not end with found\\n\\r\\n\\r\\n", raw)
	}
	r.send("Action", "PJSIPShowEndpoint", "ActionID", "x6", "Endpoint", "nope")
	raw, _ = r.next(5 * time.Second)
	if want := "Response: Error\r\nActionID: x6\r\nMessage: Unable to retrieve endpoint nope\n\r\n\r\n"; string(raw) != want {
		t.Errorf("raw %q, want %q", raw, want)
	}
	// The session is still in step after the stray LFs.
	r.send("Action", "Ping", "ActionID", "x7")
	if _, m := r.next(5 * time.Second); m.ActionID() != "x7" || m.Get("Ping") != "Pong" {
		t.Errorf("after the stray LF: %v", m)
	}

	l, err := w.on.DoList(ctx, action("QueueStatus", "Queue", "nosuchqueue"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "QueueStatusComplete")
	if len(l.Items) != 0 {
		t.Errorf("unknown queue: %d items", len(l.Items))
	}
	// Other empty lists of an idle PBX without hints: Success and 0 items.
	for _, tc := range [][2]string{
		{"ExtensionStateList", "ExtensionStateListComplete"},
		{"PresenceStateList", "PresenceStateListComplete"},
		{"BridgeList", "BridgeListComplete"},
	} {
		l, err := w.on.DoList(ctx, ami.NewAction(tc[0]))
		if err != nil {
			t.Fatalf("%s: %v", tc[0], err)
		}
		checkList(t, l, tc[1])
	}
}

// Fact: list items carry the ActionID (2nd line) and no Privilege, and are
// sent to an Events: off session too.
func (w *wire) pjsipEndpoints(t *testing.T) {
	for name, c := range map[string]*ami.Conn{"events_on": w.on, "events_off": w.off} {
		l, err := c.DoList(wctx(t, 5*time.Second), ami.NewAction("PJSIPShowEndpoints"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		checkList(t, l, "EndpointListComplete")
		if len(l.Items) != len(w.srv.Extensions) {
			t.Errorf("%s: %d endpoints", name, len(l.Items))
		}
		for _, it := range l.Items {
			if it.Event() != "EndpointList" || keyIndex(it, "ActionID") != 1 {
				t.Errorf("%s: item %v", name, keys(it))
			}
		}
	}
}

// Fact: DeviceStateList items are DeviceStateChange events with an ActionID
// instead of the Privilege of the broadcast event of the same name.
func (w *wire) deviceStateList(t *testing.T) {
	l, err := w.off.DoList(wctx(t, 5*time.Second), ami.NewAction("DeviceStateList"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "DeviceStateListComplete")
	devices := map[string]string{}
	for _, it := range l.Items {
		if it.Event() != "DeviceStateChange" {
			t.Errorf("item %v", it)
		}
		devices[it.Get("Device")] = it.Get("State")
	}
	if devices["PJSIP/1001"] != "UNAVAILABLE" {
		t.Errorf("PJSIP/1001 is %q before registration (devices %v)", devices["PJSIP/1001"], devices)
	}
}

// Fact: ActionID is the last line of QueueParams, QueueMember and
// QueueSummary items (parse as maps, never by position).
func (w *wire) queueStatus(t *testing.T) {
	ctx := wctx(t, 5*time.Second)
	l, err := w.on.DoList(ctx, action("QueueStatus", "Queue", asterisktest.QueueSales))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "QueueStatusComplete")
	seen := map[string]bool{}
	for _, it := range l.Items {
		seen[it.Event()] = true
		if i := keyIndex(it, "ActionID"); i != it.Len()-1 {
			t.Errorf("%s: ActionID at %d of %v", it.Event(), i, keys(it))
		}
	}
	if !seen["QueueParams"] || !seen["QueueMember"] {
		t.Errorf("items %v", seen)
	}
	_, member := first(l.Items, isEvent("QueueMember"))
	if member == nil || member.Get("Location") != "PJSIP/1002" || member.Get("Name") != "Bob" || member.Get("Membership") != "static" {
		t.Errorf("static member %v", member)
	}
	l, err = w.on.DoList(ctx, ami.NewAction("QueueSummary"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "QueueSummaryComplete")
	for _, it := range l.Items {
		if i := keyIndex(it, "ActionID"); it.Event() != "QueueSummary" || i != it.Len()-1 {
			t.Errorf("%s: ActionID at %d of %v", it.Event(), i, keys(it))
		}
	}
}

// Fact: DBGet is a list action (Success + "Result will follow", a
// DBGetResponse with Family, Key, Val then ActionID, DBGetComplete); a
// missing key gives "Database entry not found"; DBGetTree and DBDelTree
// exist. Not in the notes: DBGetTreeComplete always says "ListItems: 1",
// whatever the number of DBGetTreeResponse items.
func (w *wire) dbGet(t *testing.T) {
	ctx := wctx(t, 5*time.Second)
	for _, kv := range [][2]string{{"dnd/1001", "YES"}, {"dnd/1002", "NO"}, {"cf/1001", "1002"}} {
		if _, err := w.on.Do(ctx, action("DBPut", "Family", "pbxkit-wire-db", "Key", kv[0], "Val", kv[1])); err != nil {
			t.Fatal(err)
		}
	}
	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "off")
	r.send("Action", "DBGet", "ActionID", "x8", "Family", "pbxkit-wire-db", "Key", "dnd/1001")
	var got string
	for range 3 {
		raw, _ := r.next(5 * time.Second)
		got += string(raw)
	}
	if want := "Response: Success\r\nActionID: x8\r\nEventList: start\r\nMessage: Result will follow\r\n\r\n" +
		"Event: DBGetResponse\r\nFamily: pbxkit-wire-db\r\nKey: dnd/1001\r\nVal: YES\r\nActionID: x8\r\n\r\n" +
		"Event: DBGetComplete\r\nActionID: x8\r\nEventList: Complete\r\nListItems: 1\r\n\r\n"; got != want {
		t.Errorf("raw %q, want %q", got, want)
	}
	l, err := w.on.DoList(ctx, action("DBGet", "Family", "pbxkit-wire-db", "Key", "dnd/1001"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "DBGetComplete")
	if len(l.Items) != 1 || l.Items[0].Get("Val") != "YES" || keyIndex(l.Items[0], "ActionID") != keyIndex(l.Items[0], "Val")+1 {
		t.Errorf("items %v", l.Items)
	}
	_, err = w.on.DoList(ctx, action("DBGet", "Family", "pbxkit-wire-db", "Key", "missing"))
	wantError(t, err, "Database entry not found")

	l, err = w.on.DoList(ctx, action("DBGetTree", "Family", "pbxkit-wire-db"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "DBGetTreeComplete", "1") // 3 items
	var tree []string
	for _, it := range l.Items {
		tree = append(tree, it.Get("Key")+"="+it.Get("Val"))
		if it.Event() != "DBGetTreeResponse" || keyIndex(it, "ActionID") != keyIndex(it, "Val")+1 {
			t.Errorf("tree item %v", keys(it))
		}
	}
	slices.Sort(tree)
	if want := []string{"/pbxkit-wire-db/cf/1001=1002", "/pbxkit-wire-db/dnd/1001=YES", "/pbxkit-wire-db/dnd/1002=NO"}; !slices.Equal(tree, want) {
		t.Errorf("tree %v, want %v", tree, want)
	}
	if _, err := w.on.Do(ctx, action("DBDelTree", "Family", "pbxkit-wire-db", "Key", "dnd")); err != nil {
		t.Errorf("DBDelTree: %v", err)
	}
	_, err = w.on.DoList(ctx, action("DBGet", "Family", "pbxkit-wire-db", "Key", "dnd/1001"))
	wantError(t, err, "Database entry not found")
	l, err = w.on.DoList(ctx, action("DBGetTree", "Family", "pbxkit-wire-db"))
	if err != nil || len(l.Items) != 1 {
		t.Errorf("after DBDelTree of dnd: %v, %v", l, err)
	}
}

// Fact: the Command action answers Success / "Command output follows" with
// one Output header per line (no "Response: Follows", no "--END
// COMMAND--"); an empty output is a single "Output: " line; an unknown CLI
// command is an Error with the same Message and the CLI error in Output; a
// missing Command header gives "No command provided".
func (w *wire) command(t *testing.T) {
	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "off")
	r.send("Action", "Command", "ActionID", "c1", "Command", "core show uptime")
	raw, m := r.next(5 * time.Second)
	if !bytes.HasPrefix(raw, []byte("Response: Success\r\nActionID: c1\r\nMessage: Command output follows\r\nOutput: System uptime: ")) ||
		bytes.Contains(raw, []byte("--END COMMAND--")) || len(m.Values("Output")) != 2 {
		t.Errorf("raw %q", raw)
	}
	r.send("Action", "Command", "ActionID", "c2", "Command", "core show channels concise")
	raw, _ = r.next(5 * time.Second)
	if want := "Response: Success\r\nActionID: c2\r\nMessage: Command output follows\r\nOutput: \r\n\r\n"; string(raw) != want {
		t.Errorf("empty output: raw %q, want %q", raw, want)
	}
	r.send("Action", "Command", "ActionID", "c3", "Command", "foo bar baz")
	raw, _ = r.next(5 * time.Second)
	if want := "Response: Error\r\nActionID: c3\r\nMessage: Command output follows\r\n" +
		"Output: No such command 'foo bar baz' (type 'core show help foo bar' for other possible commands)\r\n\r\n"; string(raw) != want {
		t.Errorf("unknown command: raw %q, want %q", raw, want)
	}
	r.send("Action", "Command", "ActionID", "c4")
	raw, _ = r.next(5 * time.Second)
	if want := "Response: Error\r\nActionID: c4\r\nMessage: No command provided\r\n\r\n"; string(raw) != want {
		t.Errorf("no command: raw %q, want %q", raw, want)
	}

	ctx := wctx(t, 5*time.Second)
	out, err := w.on.Command(ctx, "core show uptime")
	if err != nil || len(out) != 2 || !strings.HasPrefix(out[0], "System uptime: ") || !strings.HasPrefix(out[1], "Last reload: ") {
		t.Errorf("Command: %q, %v", out, err)
	}
	out, err = w.on.Command(ctx, "core show channels concise")
	if err != nil || out == nil || len(out) != 0 {
		t.Errorf("empty output: %q, %v", out, err)
	}
	out, err = w.on.Command(ctx, "foo bar baz")
	wantError(t, err, "Command output follows")
	if len(out) != 1 || !strings.HasPrefix(out[0], "No such command 'foo bar baz'") {
		t.Errorf("unknown command output %q", out)
	}
	_, err = w.on.Do(ctx, ami.NewAction("Command"))
	wantError(t, err, "No command provided")
}

// Facts of the version: CoreSettings reports CoreHTTPenabled: No (AMI over
// HTTP) although HTTP runs; VoicemailUsersList and VoicemailUserStatus
// exist; MailboxCount returns UrgMessages/NewMessages/OldMessages and
// MailboxStatus Waiting; PJSIPShowRegistrationsInbound lists AORs without
// contacts.
func (w *wire) versionSpecifics(t *testing.T) {
	ctx := wctx(t, 5*time.Second)
	resp, err := w.on.Do(ctx, ami.NewAction("CoreSettings"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Get("AMIversion") != "5.0.4" || !strings.HasPrefix(resp.Get("AsteriskVersion"), "16.28.") || resp.Get("CoreHTTPenabled") != "No" {
		t.Errorf("CoreSettings %v", resp)
	}
	l, err := w.on.DoList(ctx, ami.NewAction("VoicemailUsersList"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "VoicemailUserEntryComplete")
	if len(l.Items) != len(w.srv.Extensions) || l.Items[0].Event() != "VoicemailUserEntry" {
		t.Errorf("%d voicemail users", len(l.Items))
	}
	l, err = w.on.DoList(ctx, action("VoicemailUserStatus", "Context", "default", "Mailbox", "1001"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "VoicemailUserDetailComplete")
	if len(l.Items) != 1 || l.Items[0].Event() != "VoicemailUserDetail" || l.Items[0].Get("Fullname") != "Alice" {
		t.Errorf("VoicemailUserStatus items %v", l.Items)
	}
	resp, err = w.on.Do(ctx, action("MailboxCount", "Mailbox", "1001@default"))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"UrgMessages", "NewMessages", "OldMessages"} {
		if _, ok := resp.Lookup(k); !ok {
			t.Errorf("MailboxCount without %s: %v", k, resp)
		}
	}
	resp, err = w.on.Do(ctx, action("MailboxStatus", "Mailbox", "1001@default"))
	if err != nil || resp.Get("Waiting") != "0" {
		t.Errorf("MailboxStatus %v, %v", resp, err)
	}
	l, err = w.on.DoList(ctx, ami.NewAction("PJSIPShowRegistrationsInbound"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "InboundRegistrationDetailComplete")
	if len(l.Items) != len(w.srv.Extensions) || l.Items[0].Get("ObjectType") != "aor" {
		t.Errorf("%d inbound registrations (AORs) without any contact", len(l.Items))
	}
}

// registerPhones registers the phones of the call tests and checks the
// registration events: ContactStatus NonQualified then Reachable (never
// Created), PeerStatus Reachable.
func (w *wire) registerPhones(t *testing.T) map[string]*asterisktest.Phone {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 10*time.Second)
	phones := map[string]*asterisktest.Phone{}
	for _, p := range []struct {
		ext  string
		opts *asterisktest.PhoneOptions
	}{
		{"1001", nil},
		{"1002", nil},
		{"1003", &asterisktest.PhoneOptions{Mode: asterisktest.Busy}},
		{"1004", &asterisktest.PhoneOptions{AnswerDelay: 300 * time.Millisecond}},
		{"1005", &asterisktest.PhoneOptions{Mode: asterisktest.RingForever}},
	} {
		ph, err := w.srv.Register(ctx, p.ext, p.opts)
		if err != nil {
			t.Fatal(err)
		}
		phones[p.ext] = ph
	}
	var reachable []func(*ami.Message) bool
	for ext := range phones {
		reachable = append(reachable, isEvent("ContactStatus", "AOR", ext, "ContactStatus", "Reachable"))
	}
	evs := eventsAll(t, sub, 10*time.Second, reachable...)
	t.Run("registration_events", func(t *testing.T) {
		var statuses []string
		peer := ""
		for _, m := range evs {
			switch {
			case isEvent("ContactStatus", "AOR", "1001")(m):
				statuses = append(statuses, m.Get("ContactStatus"))
			case isEvent("PeerStatus", "Peer", "PJSIP/1001")(m):
				peer = m.Get("PeerStatus")
			}
		}
		if !slices.Equal(statuses, []string{"NonQualified", "Reachable"}) {
			t.Errorf("ContactStatus of 1001: %v, want NonQualified then Reachable", statuses)
		}
		if peer != "Reachable" {
			t.Errorf("PeerStatus of PJSIP/1001: %q", peer)
		}
	})
	// The contact list, now that there are contacts.
	t.Run("list_pjsip_contacts", func(t *testing.T) {
		l, err := w.on.DoList(wctx(t, 5*time.Second), ami.NewAction("PJSIPShowContacts"))
		if err != nil {
			t.Fatal(err)
		}
		checkList(t, l, "ContactListComplete")
		if len(l.Items) != len(phones) {
			t.Errorf("%d contacts", len(l.Items))
		}
		_, c := first(l.Items, isEvent("ContactList", "Endpoint", "1001"))
		if c == nil {
			t.Fatalf("no contact of 1001 in %v", l.Items)
		}
		if !strings.HasPrefix(c.Get("ObjectName"), "1001;@") || c.Get("Uri") != "sip:1001@"+phones["1001"].Addr ||
			c.Get("Status") != "Reachable" || c.Get("UserAgent") != asterisktest.DefaultPhoneUserAgent {
			t.Errorf("contact %v", c)
		}
		for _, k := range []string{"RoundtripUsec", "ExpirationTime", "ViaAddr", "ViaPort", "CallId"} {
			if _, ok := c.Lookup(k); !ok {
				t.Errorf("contact without %s", k)
			}
		}
	})
	return phones
}

// Fact: the name of each list's Complete event.
func (w *wire) completeNames(t *testing.T) {
	for _, tc := range []struct {
		action   *ami.Message
		complete string
	}{
		{ami.NewAction("CoreShowChannels"), "CoreShowChannelsComplete"},
		{ami.NewAction("PJSIPShowEndpoints"), "EndpointListComplete"},
		{action("PJSIPShowEndpoint", "Endpoint", "1001"), "EndpointDetailComplete"},
		{ami.NewAction("PJSIPShowContacts"), "ContactListComplete"},
		{ami.NewAction("PJSIPShowAors"), "AorListComplete"},
		{ami.NewAction("PJSIPShowAuths"), "AuthListComplete"},
		{ami.NewAction("PJSIPShowRegistrationsInbound"), "InboundRegistrationDetailComplete"},
		{ami.NewAction("PJSIPShowRegistrationInboundContactStatuses"), "ContactStatusDetailComplete"},
		{ami.NewAction("DeviceStateList"), "DeviceStateListComplete"},
		{ami.NewAction("ExtensionStateList"), "ExtensionStateListComplete"},
		{ami.NewAction("PresenceStateList"), "PresenceStateListComplete"},
		{ami.NewAction("QueueStatus"), "QueueStatusComplete"},
		{ami.NewAction("QueueSummary"), "QueueSummaryComplete"},
		{ami.NewAction("VoicemailUsersList"), "VoicemailUserEntryComplete"},
		{action("VoicemailUserStatus", "Context", "default", "Mailbox", "1002"), "VoicemailUserDetailComplete"},
		{action("DBGet", "Family", "pbxkit-wire-names", "Key", "k"), "DBGetComplete"},
		{action("DBGetTree", "Family", "pbxkit-wire-names"), "DBGetTreeComplete"},
		{ami.NewAction("BridgeList"), "BridgeListComplete"},
	} {
		ctx := wctx(t, 5*time.Second)
		if tc.action.Action() == "DBGet" {
			if _, err := w.on.Do(ctx, action("DBPut", "Family", "pbxkit-wire-names", "Key", "k", "Val", "v")); err != nil {
				t.Fatal(err)
			}
		}
		l, err := w.on.DoList(ctx, tc.action)
		if err != nil {
			t.Errorf("%s: %v", tc.action.Action(), err)
			continue
		}
		checkList(t, l, tc.complete)
	}
	// ConfbridgeListRoomsComplete, ConfbridgeListComplete and
	// BridgeInfoComplete: conference; ChannelsHungupListComplete: hangup regex.
}

// Facts of an answered async Originate: an immediate Success "Originate
// successfully queued", then an OriginateResponse event (Privilege
// call,all) with the Originate's ActionID and "Response: Success" inside,
// the real channel name, Context/Exten, Reason 4, Uniqueid, CallerIDNum and
// CallerIDName, in that order; ChannelId becomes Uniqueid and Linkedid; the
// originate's DialBegin/DialEnd carry only Dest* fields; CoreShowChannels
// lists the live call; core show channels concise has 14 '!'-separated
// fields; a broadcast DeviceStateChange has Privilege and no ActionID.
func (w *wire) originateAsync(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 10*time.Second)
	const id = "wire-0001"
	resp, err := w.on.Do(ctx, action("Originate", "Channel", "PJSIP/1001", "Context", asterisktest.ContextCallMe,
		"Exten", asterisktest.ExtenHold, "Priority", "1", "Async", "true", "ChannelId", id, "ActionID", "wire-orig-1"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Response() != "Success" || resp.Get("Message") != "Originate successfully queued" || resp.Event() != "" {
		t.Errorf("response %v", resp)
	}
	evs := eventsAll(t, sub, 5*time.Second, isEvent("MusicOnHoldStart", "Uniqueid", id),
		isEvent("OriginateResponse", "ActionID", "wire-orig-1"), isEvent("DeviceStateChange", "Device", "PJSIP/1001"),
		isEvent("DialEnd", "DestUniqueid", id))
	_, or := first(evs, isEvent("OriginateResponse", "ActionID", "wire-orig-1"))
	if or == nil {
		t.Fatal("no OriginateResponse")
	}
	if got, want := keys(or), []string{"Event", "Privilege", "ActionID", "Response", "Channel", "Context", "Exten",
		"Reason", "Uniqueid", "CallerIDNum", "CallerIDName"}; !slices.Equal(got, want) {
		t.Errorf("OriginateResponse fields %v, want %v", got, want)
	}
	name := or.Get("Channel")
	if or.Get("Privilege") != "call,all" || or.Response() != "Success" || or.Get("Reason") != "4" ||
		or.Get("Uniqueid") != id || !strings.HasPrefix(name, "PJSIP/1001-") || or.Get("Exten") != asterisktest.ExtenHold {
		t.Errorf("OriginateResponse %v", or)
	}
	if _, m := first(evs, isEvent("Newchannel", "Uniqueid", id)); m == nil || m.Get("Linkedid") != id || m.Get("Channel") != name {
		t.Errorf("Newchannel with ChannelId %s: %v", id, m)
	}
	for _, ev := range []string{"DialBegin", "DialEnd"} {
		_, m := first(evs, isEvent(ev, "DestUniqueid", id))
		if m == nil {
			t.Errorf("no %s", ev)
			continue
		}
		for k := range m.All() {
			if strings.HasPrefix(k, "Channel") || k == "Uniqueid" || k == "CallerIDNum" {
				t.Errorf("%s of an originate has a caller field %s", ev, k)
			}
		}
	}
	_, dsc := first(evs, isEvent("DeviceStateChange", "Device", "PJSIP/1001"))
	if dsc == nil || dsc.Get("Privilege") != "call,all" || dsc.ActionID() != "" {
		t.Errorf("broadcast DeviceStateChange %v", dsc)
	}

	l, err := w.on.DoList(ctx, ami.NewAction("CoreShowChannels"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "CoreShowChannelsComplete")
	if _, ch := first(l.Items, isEvent("CoreShowChannel", "Uniqueid", id)); ch == nil || ch.Get("Linkedid") != id ||
		ch.Get("Application") != "MusicOnHold" || ch.Get("Channel") != name {
		t.Errorf("live call %v in %v", ch, l.Items)
	}
	out, err := w.on.Command(ctx, "core show channels concise")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, line := range out {
		f := strings.Split(line, "!")
		if f[0] != name {
			continue
		}
		found = true
		if len(f) != 14 || f[1] != asterisktest.ContextCallMe || f[2] != asterisktest.ExtenHold || f[4] != "Up" ||
			f[5] != "MusicOnHold" || f[7] != "1001" || f[13] != id {
			t.Errorf("concise fields %q", f)
		}
	}
	if !found {
		t.Errorf("%s not in %q", name, out)
	}
	if _, err := w.on.Do(ctx, action("Hangup", "Channel", name)); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, 5*time.Second, isEvent("Hangup", "Uniqueid", id))
}

// Fact: on the wire of one session, the Originate's response comes before
// its OriginateResponse event.
func (w *wire) originateRawOrder(t *testing.T) {
	r := loginRaw(t, w.srv.AMIAddr, w.srv.AMIUser, w.srv.AMISecret, "on")
	r.send("Action", "Originate", "ActionID", "raw-orig", "Channel", "PJSIP/1002", "Context", asterisktest.ContextCallMe,
		"Exten", asterisktest.ExtenHold, "Priority", "1", "Async", "true", "ChannelId", "wire-raw-1")
	raw, _ := r.until(5*time.Second, func(m *ami.Message) bool { return m.ActionID() == "raw-orig" })
	if want := "Response: Success\r\nActionID: raw-orig\r\nMessage: Originate successfully queued\r\n\r\n"; string(raw) != want {
		t.Errorf("first message with the ActionID: %q, want %q", raw, want)
	}
	raw, m := r.until(5*time.Second, isEvent("OriginateResponse", "ActionID", "raw-orig"))
	if !bytes.HasPrefix(raw, []byte("Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: raw-orig\r\nResponse: Success\r\nChannel: PJSIP/1002-")) {
		t.Errorf("raw OriginateResponse %q", raw)
	}
	if _, err := w.on.Do(wctx(t, 5*time.Second), action("Hangup", "Channel", m.Get("Channel"))); err != nil {
		t.Fatal(err)
	}
	r.until(5*time.Second, isEvent("Hangup", "Uniqueid", "wire-raw-1"))
}

// Facts of failing Originates: an unknown endpoint, an unknown Local exten
// and an unknown tech are queued, then fail in OriginateResponse with
// "Response: Failure", Reason 0, the requested Channel and "Uniqueid:
// <unknown>"; a missing Channel, a Channel without '/' and a bad Priority
// are refused at once.
func (w *wire) originateFailures(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 10*time.Second)
	dials := map[string]string{ // ActionID: channel
		"wire-fail-endpoint": "PJSIP/9999",
		"wire-fail-local":    "Local/nope@" + asterisktest.ContextCallMe,
		"wire-fail-tech":     "Foo/bar",
	}
	for id, ch := range dials {
		resp, err := w.on.Do(ctx, action("Originate", "ActionID", id, "Channel", ch, "Application", "Wait", "Data", "1", "Async", "true"))
		if err != nil || resp.Get("Message") != "Originate successfully queued" {
			t.Errorf("%s: %v, %v", ch, resp, err)
		}
	}
	left := len(dials)
	events(t, sub, 5*time.Second, func(m *ami.Message) bool {
		ch, ok := dials[m.ActionID()]
		if m.Event() != "OriginateResponse" || !ok {
			return false
		}
		if m.Response() != "Failure" || m.Get("Reason") != "0" || m.Get("Channel") != ch || m.Get("Uniqueid") != "<unknown>" ||
			m.Get("Application") != "Wait" {
			t.Errorf("OriginateResponse %v", m)
		}
		left--
		return left == 0
	})
	for _, tc := range []struct {
		kv  []string
		msg string
	}{
		{[]string{"Application", "Wait"}, "Channel not specified"},
		{[]string{"Channel", "nope", "Application", "Wait"}, "Invalid channel"},
		{[]string{"Channel", "Local/s@" + asterisktest.ContextCallMe, "Context", asterisktest.ContextCallMe, "Exten", "s", "Priority", "abc"}, "Invalid priority"},
	} {
		_, err := w.on.Do(ctx, action("Originate", tc.kv...))
		wantError(t, err, tc.msg)
	}
}

// Fact: an Originate to a phone that answers 486 Busy fails with Reason 0
// (not 5), after the channel existed (Newchannel, then Hangup with cause 17).
func (w *wire) originateBusy(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	if _, err := w.on.Do(wctx(t, 5*time.Second), action("Originate", "ActionID", "wire-busy", "Channel", "PJSIP/1003",
		"Application", "Wait", "Data", "1", "Async", "true")); err != nil {
		t.Fatal(err)
	}
	of1003 := func(event string) func(*ami.Message) bool {
		return func(m *ami.Message) bool {
			return m.Event() == event && strings.HasPrefix(m.Get("Channel"), "PJSIP/1003-")
		}
	}
	evs := eventsAll(t, sub, 5*time.Second, isEvent("OriginateResponse", "ActionID", "wire-busy"), of1003("Newchannel"), of1003("Hangup"))
	i, or := first(evs, isEvent("OriginateResponse", "ActionID", "wire-busy"))
	if or.Response() != "Failure" || or.Get("Reason") != "0" || or.Get("Channel") != "PJSIP/1003" {
		t.Errorf("OriginateResponse %v", or)
	}
	j, nc := first(evs, of1003("Newchannel"))
	k, hup := first(evs, of1003("Hangup"))
	if hup.Get("Uniqueid") != nc.Get("Uniqueid") || hup.Get("Cause") != "17" || hup.Get("Cause-txt") != "User busy" {
		t.Errorf("Hangup %v, want cause 17 for %s", hup, nc.Get("Channel"))
	}
	t.Logf("Newchannel at event %d, Hangup at %d, OriginateResponse at %d", j, k, i)
}

// Fact: an Originate that rings out (Timeout) fails with Reason 3.
func (w *wire) originateRangOut(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	if _, err := w.on.Do(wctx(t, 5*time.Second), action("Originate", "ActionID", "wire-ringout", "Channel", "PJSIP/1005",
		"Application", "Wait", "Data", "1", "Async", "true", "Timeout", "1000")); err != nil {
		t.Fatal(err)
	}
	or := waitEvent(t, sub, 5*time.Second, isEvent("OriginateResponse", "ActionID", "wire-ringout"))
	if or.Response() != "Failure" || or.Get("Reason") != "3" || or.Get("Uniqueid") != "<unknown>" {
		t.Errorf("OriginateResponse %v", or)
	}
}

// Fact: a synchronous Originate (Async false) answers only once the channel
// is answered, with the same Message, and sends no OriginateResponse; a
// synchronous failure is "Originate failed".
func (w *wire) originateSync(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 10*time.Second)
	const id = "wire-sync-1"
	began := time.Now()
	resp, err := w.on.Do(ctx, action("Originate", "ActionID", "wire-sync", "Channel", "PJSIP/1004", "Context", asterisktest.ContextCallMe,
		"Exten", asterisktest.ExtenHold, "Priority", "1", "ChannelId", id))
	took := time.Since(began)
	if err != nil || resp.Get("Message") != "Originate successfully queued" {
		t.Fatalf("sync Originate: %v, %v", resp, err)
	}
	if took < 250*time.Millisecond { // the phone answers after 300 ms
		t.Errorf("sync Originate answered after %v, before the phone answered", took)
	}
	// The channel was answered before the response: it is Up right now.
	l, err := w.on.DoList(ctx, ami.NewAction("CoreShowChannels"))
	if err != nil {
		t.Fatal(err)
	}
	_, ch := first(l.Items, isEvent("CoreShowChannel", "Uniqueid", id))
	if ch == nil || ch.Get("ChannelStateDesc") != "Up" {
		t.Fatalf("channel right after the sync Originate: %v", ch)
	}
	if _, err := w.on.Do(ctx, action("Hangup", "Channel", ch.Get("Channel"))); err != nil {
		t.Fatal(err)
	}
	evs := events(t, sub, 5*time.Second, isEvent("Hangup", "Uniqueid", id))
	if _, or := first(evs, isEvent("OriginateResponse", "ActionID", "wire-sync")); or != nil {
		t.Errorf("sync Originate sent %v", or)
	}
	_, err = w.on.Do(ctx, action("Originate", "Channel", "PJSIP/9999", "Application", "Wait", "Data", "1"))
	wantError(t, err, "Originate failed")
}

// Facts: with both Application and Exten, Application wins; a Local
// originate produces LocalBridge; Hangup with Channel: /regex/ is a list
// ("Channels hung up will follow", ChannelHungup items with the ActionID
// after Channel, ChannelsHungupListComplete).
func (w *wire) applicationWins(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 10*time.Second)
	if _, err := w.on.Do(ctx, action("Originate", "ActionID", "wire-app", "Channel", "Local/hold@"+asterisktest.ContextCallMe,
		"Application", "Wait", "Data", "20", "Context", asterisktest.ContextCallMe, "Exten", asterisktest.ExtenEcho, "Priority", "1",
		"Async", "true")); err != nil {
		t.Fatal(err)
	}
	evs := eventsAll(t, sub, 5*time.Second, isEvent("OriginateResponse", "ActionID", "wire-app"), isEvent("LocalBridge"))
	_, or := first(evs, isEvent("OriginateResponse", "ActionID", "wire-app"))
	if or.Response() != "Success" || or.Get("Application") != "Wait" || or.Get("Data") != "20" || keyIndex(or, "Exten") >= 0 {
		t.Errorf("OriginateResponse %v", or)
	}
	if _, lb := first(evs, isEvent("LocalBridge")); lb == nil {
		t.Errorf("no LocalBridge")
	}
	one := channelByID(t, w.on, or.Get("Uniqueid"))
	for deadline := time.Now().Add(5 * time.Second); one.Get("Application") == "AppDial2" && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // still in the originate's dial
		one = channelByID(t, w.on, or.Get("Uniqueid"))
	}
	if one.Get("Application") != "Wait" {
		t.Errorf("the ;1 half runs %s, want Wait", one.Get("Application"))
	}
	l, err := w.on.DoList(ctx, action("Hangup", "Channel", "/^Local/hold@"+asterisktest.ContextCallMe+"-/"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "ChannelsHungupListComplete")
	// Both halves match; the second may be gone (hung up by the first)
	// when the iteration reaches it.
	if l.Response.Get("Message") != "Channels hung up will follow" || len(l.Items) == 0 || len(l.Items) > 2 {
		t.Errorf("regex Hangup: %v, %d items", l.Response, len(l.Items))
	}
	for _, it := range l.Items {
		if got, want := keys(it), []string{"Event", "Channel", "ActionID"}; it.Event() != "ChannelHungup" || !slices.Equal(got, want) ||
			!strings.HasPrefix(it.Get("Channel"), "Local/hold@"+asterisktest.ContextCallMe+"-") {
			t.Errorf("item %v, want fields %v", it, want)
		}
	}
}

// Facts: Hangup by name answers "Channel Hungup" and emits SoftHangupRequest
// (Cause 16) and Hangup (Cause, Cause-txt), the Cdr coming before the
// Hangup; no HangupRequest is sent for an AMI hangup (this Asterisk differs
// from the notes here). Unknown channel: "No such channel"; missing:
// "No channel specified". Redirect answers "Redirect successful", with
// ExtraChannel "Dual Redirect successful", to an unknown exten still
// Success; an unknown channel gives "Channel does not exist: X".
func (w *wire) hangupRedirect(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 15*time.Second)
	for _, p := range [][2]string{{"1001", "wire-hold-1"}, {"1002", "wire-hold-2"}} {
		if _, err := w.on.Do(ctx, action("Originate", "Channel", "PJSIP/"+p[0], "Context", asterisktest.ContextCallMe,
			"Exten", asterisktest.ExtenHold, "Priority", "1", "Async", "true", "ChannelId", p[1])); err != nil {
			t.Fatal(err)
		}
	}
	a := channelByID(t, w.on, "wire-hold-1").Get("Channel")
	b := channelByID(t, w.on, "wire-hold-2").Get("Channel")

	resp, err := w.on.Do(ctx, action("Redirect", "Channel", a, "Context", asterisktest.ContextCallMe, "Exten", asterisktest.ExtenEcho, "Priority", "1"))
	if err != nil || resp.Get("Message") != "Redirect successful" {
		t.Errorf("Redirect: %v, %v", resp, err)
	}
	waitEvent(t, sub, 5*time.Second, isEvent("Newexten", "Uniqueid", "wire-hold-1", "Application", "Echo"))
	resp, err = w.on.Do(ctx, action("Redirect", "Channel", a, "ExtraChannel", b, "Context", asterisktest.ContextCallMe,
		"Exten", asterisktest.ExtenHold, "Priority", "1"))
	if err != nil || resp.Get("Message") != "Dual Redirect successful" {
		t.Errorf("dual Redirect: %v, %v", resp, err)
	}
	_, err = w.on.Do(ctx, action("Redirect", "Channel", "PJSIP/nope-00000000", "Context", asterisktest.ContextCallMe, "Exten", "hold", "Priority", "1"))
	wantError(t, err, "Channel does not exist: PJSIP/nope-00000000")
	_, err = w.on.Do(ctx, action("Hangup", "Channel", "PJSIP/nope-00000000"))
	wantError(t, err, "No such channel")
	_, err = w.on.Do(ctx, ami.NewAction("Hangup"))
	wantError(t, err, "No channel specified")

	resp, err = w.on.Do(ctx, action("Hangup", "Channel", a))
	if err != nil || resp.Get("Message") != "Channel Hungup" {
		t.Errorf("Hangup: %v, %v", resp, err)
	}
	evs := eventsAll(t, sub, 5*time.Second, isEvent("Hangup", "Uniqueid", "wire-hold-1"), isEvent("Cdr", "UniqueID", "wire-hold-1"))
	soft, sm := first(evs, isEvent("SoftHangupRequest", "Uniqueid", "wire-hold-1"))
	cdr, cm := first(evs, isEvent("Cdr", "UniqueID", "wire-hold-1"))
	h, hup := first(evs, isEvent("Hangup", "Uniqueid", "wire-hold-1"))
	if sm == nil || sm.Get("Cause") != "16" || soft > h {
		t.Errorf("SoftHangupRequest %v at %d, Hangup at %d", sm, soft, h)
	}
	if _, hr := first(evs, isEvent("HangupRequest", "Uniqueid", "wire-hold-1")); hr != nil {
		t.Errorf("HangupRequest for an AMI hangup: %v", hr)
	}
	if _, ok := hup.Lookup("Cause"); !ok || hup.Get("Cause-txt") == "" {
		t.Errorf("Hangup %v", hup)
	}
	if cm.Get("Privilege") != "cdr,all" || cm.Get("Channel") != a || cm.Get("Disposition") != "ANSWERED" {
		t.Errorf("Cdr %v", cm)
	}
	// The notes say the Cdr comes before the Hangup events: on this
	// Asterisk it comes before or after (cdr_manager posts from the CDR
	// engine's thread), so only its arrival is checked.
	t.Logf("Cdr at event %d, Hangup at %d", cdr, h)

	// Redirect to an extension that does not exist: still Success.
	resp, err = w.on.Do(ctx, action("Redirect", "Channel", b, "Context", asterisktest.ContextCallMe, "Exten", "nosuchexten", "Priority", "1"))
	if err != nil || resp.Get("Message") != "Redirect successful" {
		t.Errorf("Redirect to an unknown exten: %v, %v", resp, err)
	}
	hup = waitEvent(t, sub, 5*time.Second, isEvent("Hangup", "Uniqueid", "wire-hold-2"))
	t.Logf("after a Redirect to an unknown exten (no 'i' in %s) the channel hangs up: exten %s, cause %s",
		asterisktest.ContextCallMe, hup.Get("Exten"), hup.Get("Cause"))
}

// Fact: when a phone hangs up a bridged call (BYE), its channel gets
// HangupRequest and Hangup (Cause 16, Normal Clearing), no
// SoftHangupRequest; the other side gets SoftHangupRequest, no
// HangupRequest.
func (w *wire) remoteBye(t *testing.T, phone *asterisktest.Phone) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 10*time.Second)
	const caller = "wire-bye"
	if _, err := w.on.Do(ctx, action("Originate", "Channel", "PJSIP/1001", "Context", asterisktest.ContextInternal,
		"Exten", phone.Ext, "Priority", "1", "Async", "true", "ChannelId", caller)); err != nil {
		t.Fatal(err)
	}
	callee := func(m *ami.Message) bool {
		return m.Event() == "BridgeEnter" && strings.HasPrefix(m.Get("Channel"), "PJSIP/"+phone.Ext+"-") && m.Get("Linkedid") == caller
	}
	evs := eventsAll(t, sub, 5*time.Second, isEvent("BridgeEnter", "Uniqueid", caller), callee)
	_, m := first(evs, callee)
	id := m.Get("Uniqueid")
	if err := phone.HangupAll(ctx); err != nil {
		t.Fatal(err)
	}
	evs = eventsAll(t, sub, 5*time.Second, isEvent("Hangup", "Uniqueid", caller), isEvent("Hangup", "Uniqueid", id))
	for _, c := range []struct {
		id        string
		soft, req bool
	}{{id, false, true}, {caller, true, false}} {
		_, soft := first(evs, isEvent("SoftHangupRequest", "Uniqueid", c.id))
		_, req := first(evs, isEvent("HangupRequest", "Uniqueid", c.id))
		_, hup := first(evs, isEvent("Hangup", "Uniqueid", c.id))
		if (soft != nil) != c.soft || (req != nil) != c.req {
			t.Errorf("%s: SoftHangupRequest %v, HangupRequest %v; want %v, %v", c.id, soft != nil, req != nil, c.soft, c.req)
		}
		if hup.Get("Cause") != "16" || hup.Get("Cause-txt") != "Normal Clearing" {
			t.Errorf("Hangup %v", hup)
		}
	}
}

// Facts: a conference (ConfbridgeStart/Join, MusicOnHoldStart),
// ConfbridgeListRooms/ConfbridgeList/BridgeList/BridgeInfo lists, whose
// BridgeInfoComplete carries the bridge's fields after ListItems; the
// TestEvent CONF_CHANGE_STATE is followed by a stray blank line on the wire,
// which the Conn skips.
func (w *wire) conference(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 15*time.Second)
	room := asterisktest.ConfRoom
	from := w.spy.mark()
	if _, err := w.on.Do(ctx, action("Originate", "Channel", "Local/"+room+"@"+asterisktest.ContextConference,
		"Application", "Wait", "Data", "20", "Async", "true", "ChannelId", "wire-conf-1", "OtherChannelId", "wire-conf-2")); err != nil {
		t.Fatal(err)
	}
	evs := eventsAll(t, sub, 5*time.Second, isEvent("ConfbridgeJoin", "Conference", room, "Uniqueid", "wire-conf-2"),
		isEvent("ConfbridgeStart", "Conference", room))
	if i, _ := first(evs, isEvent("ConfbridgeStart", "Conference", room)); i < 0 {
		t.Errorf("no ConfbridgeStart")
	}
	l, err := w.on.DoList(ctx, ami.NewAction("ConfbridgeListRooms"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "ConfbridgeListRoomsComplete")
	if len(l.Items) != 1 || l.Items[0].Get("Conference") != room {
		t.Errorf("rooms %v", l.Items)
	}
	l, err = w.on.DoList(ctx, action("ConfbridgeList", "Conference", room))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "ConfbridgeListComplete")
	if len(l.Items) != 1 || l.Items[0].Get("Uniqueid") != "wire-conf-2" {
		t.Errorf("users %v", l.Items)
	}
	l, err = w.on.DoList(ctx, ami.NewAction("BridgeList"))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "BridgeListComplete")
	_, br := first(l.Items, isEvent("BridgeListItem", "BridgeName", room))
	if br == nil {
		t.Fatalf("no bridge %s in %v", room, l.Items)
	}
	l, err = w.on.DoList(ctx, action("BridgeInfo", "BridgeUniqueid", br.Get("BridgeUniqueid")))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "BridgeInfoComplete")
	if _, ch := first(l.Items, isEvent("BridgeInfoChannel", "Uniqueid", "wire-conf-2")); ch == nil {
		t.Errorf("bridge channels %v", l.Items)
	}
	c := l.Complete
	if i, j := keyIndex(c, "ListItems"), keyIndex(c, "BridgeUniqueid"); j < i || c.Get("BridgeUniqueid") != br.Get("BridgeUniqueid") ||
		c.Get("BridgeTechnology") != "softmix" {
		t.Errorf("BridgeInfoComplete %v", keys(c))
	}

	if _, err := w.on.Do(ctx, action("Hangup", "Channel", "/^Local/"+room+"@/")); err != nil {
		t.Fatal(err)
	}
	events(t, sub, 5*time.Second, isEvent("ConfbridgeEnd", "Conference", room))

	// The stray blank line, on the raw wire.
	i, _ := w.spy.wait(t, from, 5*time.Second, isEvent("TestEvent", "State", "CONF_CHANGE_STATE"))
	w.spy.wait(t, i+1, 5*time.Second, func(*ami.Message) bool { return true })
	if after := w.spy.all()[i+1]; !bytes.HasPrefix(after.raw, []byte("\r\nEvent: ")) {
		t.Errorf("after TestEvent CONF_CHANGE_STATE: %q, want a stray blank line first", after.raw[:min(len(after.raw), 40)])
	}
}

// Facts: QueueAdd/QueuePause/QueuePenalty/QueueRemove emit
// QueueMemberAdded/Pause/Penalty/Removed; a caller in a queue gives
// QueueCallerJoin/Leave and a QueueEntry item whose ActionID is last.
func (w *wire) queueEvents(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	ctx := wctx(t, 10*time.Second)
	q, iface := asterisktest.QueueSupport, "PJSIP/1004"
	for _, tc := range []struct {
		action *ami.Message
		event  string
	}{
		{action("QueueAdd", "Queue", q, "Interface", iface, "MemberName", "Dave"), "QueueMemberAdded"},
		{action("QueuePause", "Queue", q, "Interface", iface, "Paused", "true", "Reason", "lunch"), "QueueMemberPause"},
		{action("QueuePenalty", "Queue", q, "Interface", iface, "Penalty", "2"), "QueueMemberPenalty"},
		{action("QueueRemove", "Queue", q, "Interface", iface), "QueueMemberRemoved"},
	} {
		if _, err := w.on.Do(ctx, tc.action); err != nil {
			t.Fatalf("%s: %v", tc.action.Action(), err)
		}
		m := waitEvent(t, sub, 5*time.Second, isEvent(tc.event, "Queue", q, "Interface", iface))
		if m.Get("Privilege") != "agent,all" {
			t.Errorf("%v", m)
		}
	}
	if _, err := w.on.Do(ctx, action("Originate", "Channel", "Local/"+q+"@"+asterisktest.ContextQueue, "Application", "Wait",
		"Data", "10", "Async", "true", "ChannelId", "wire-q-1", "OtherChannelId", "wire-q-2")); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, 5*time.Second, isEvent("QueueCallerJoin", "Queue", q, "Uniqueid", "wire-q-2"))
	l, err := w.on.DoList(ctx, action("QueueStatus", "Queue", q))
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, l, "QueueStatusComplete")
	_, entry := first(l.Items, isEvent("QueueEntry", "Uniqueid", "wire-q-2"))
	if entry == nil {
		t.Fatalf("no QueueEntry in %v", l.Items)
	}
	if i := keyIndex(entry, "ActionID"); i != entry.Len()-1 {
		t.Errorf("QueueEntry: ActionID at %d of %v", i, keys(entry))
	}
	if _, err := w.on.Do(ctx, action("Hangup", "Channel", "/^Local/"+q+"@/")); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, 5*time.Second, isEvent("QueueCallerLeave", "Queue", q, "Uniqueid", "wire-q-2"))
}

// Fact: TestEvent (Privilege reporting,all; this build has TEST_FRAMEWORK)
// is delivered as an ordinary event.
func (w *wire) testEvent(t *testing.T) {
	sub := w.on.Subscribe(0)
	defer sub.Close()
	// PJSIP qualifies each contact every 2 s and reports it as a TestEvent.
	m := waitEvent(t, sub, 5*time.Second, isEvent("TestEvent"))
	if m.Get("Privilege") != "reporting,all" || m.Get("Type") != "StateChange" {
		t.Errorf("TestEvent %v", m)
	}
}

// Fact: no Registry event (chan_sip only) on this PJSIP-only PBX.
func (w *wire) noRegistry(t *testing.T) {
	for _, m := range w.spy.all() {
		if m.m.Event() == "Registry" {
			t.Errorf("Registry event %v", m.m)
		}
	}
}

// TestWireRestart: `core restart now` sends Shutdown (Privilege system,all,
// Shutdown Cleanly, Restart True) to sessions whose mask has system, then
// EOF; Events: off sessions get only EOF. ami.Conn reports the Shutdown
// event, StateDisconnected and StateReconnected, and after its new Login the
// new process sends FullyBooted with Uptime 0.
func TestWireRestart(t *testing.T) {
	t.Parallel()
	srv := asterisktest.Start(t, nil)
	sp := newSpy(t, srv.AMIAddr, srv.AMIUser, srv.AMISecret)
	off := loginRaw(t, srv.AMIAddr, srv.AMIUser, srv.AMISecret, "off")
	c := dialConn(t, srv, true)
	sub := c.Subscribe(0)
	defer sub.Close()
	ctl := loginRaw(t, srv.AMIAddr, srv.AMIUser, srv.AMISecret, "off")

	ctl.send("Action", "Command", "ActionID", "restart", "Command", "core restart now")
	began := time.Now()
	_, sd := sp.wait(t, 0, 10*time.Second, isEvent("Shutdown"))
	if got, want := string(sd.raw), "Event: Shutdown\r\nPrivilege: system,all\r\nShutdown: Cleanly\r\nRestart: True\r\n\r\n"; got != want {
		t.Errorf("raw %q, want %q", got, want)
	}
	at, err := sp.ended(t, 10*time.Second)
	if !errors.Is(err, io.EOF) {
		t.Errorf("events-on session ended with %v, want EOF", err)
	}
	t.Logf("EOF %v after Shutdown", at.Sub(sd.at).Round(time.Millisecond))

	raw, _, err := off.nextErr(10 * time.Second)
	if !errors.Is(err, io.EOF) || len(raw) != 0 {
		t.Errorf("events-off session: %q, %v; want only EOF", raw, err)
	}

	evs := events(t, sub, 10*time.Second, isEvent("Shutdown"))
	if sd := evs[len(evs)-1]; sd.Get("Restart") != "True" || sd.Get("Shutdown") != "Cleanly" {
		t.Errorf("Shutdown %v", sd)
	}
	ctx := wctx(t, 20*time.Second)
	var states []ami.State
	var booted *ami.Message
	for booted == nil {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after Shutdown: %v (states %v)", err, states)
		}
		switch {
		case ev.State != ami.StateNone:
			states = append(states, ev.State)
			if ev.State == ami.StateReconnected {
				t.Logf("reconnected %v after the restart command", time.Since(began).Round(time.Millisecond))
			}
		case ev.Message.Event() == "FullyBooted":
			booted = ev.Message
		}
	}
	if !slices.Equal(states, []ami.State{ami.StateDisconnected, ami.StateReconnected}) {
		t.Errorf("states %v, want disconnected, reconnected", states)
	}
	// A new process: Uptime 0 as a rule, 1 when the boot itself took more
	// than a second (a loaded machine).
	if up := booted.Get("Uptime"); (up != "0" && up != "1") || booted.Get("LastReload") != up {
		t.Errorf("FullyBooted after the restart: %v, want Uptime 0", booted)
	}
	// The Conn usually logs in before the boot ends: it then gets the boot's
	// broadcast (Status first) rather than the per-login copy (Status last).
	order := keys(booted)
	if !slices.Equal(order, []string{"Event", "Privilege", "Status", "Uptime", "LastReload"}) &&
		!slices.Equal(order, []string{"Event", "Privilege", "Uptime", "LastReload", "Status"}) {
		t.Errorf("FullyBooted fields %v", order)
	}
	t.Logf("FullyBooted (Uptime %s) %v after the restart command, fields %v", booted.Get("Uptime"),
		time.Since(began).Round(time.Millisecond), order)
	if c.Banner() != wireBanner || c.State() != ami.StateConnected {
		t.Errorf("after the restart: banner %q, state %v", c.Banner(), c.State())
	}
	if _, err := c.Do(ctx, ami.NewAction("Ping")); err != nil {
		t.Errorf("Ping after the restart: %v", err)
	}
}
