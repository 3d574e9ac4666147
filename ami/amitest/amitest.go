// Package amitest is a scripted fake Asterisk Manager Interface server for
// tests, on a loopback TCP port.
//
// It speaks the wire of Asterisk 16.28 as recorded in the project's notes:
// a greeting line without a blank line after it, "Response: Success" /
// "Message: Authentication accepted" and a FullyBooted event after Login, a
// delayed "Authentication failed" followed by a closed connection, "Permission
// denied" before Login, "Goodbye" on Logoff, the unknown-action error, Ping,
// Command with one Output header per line (or the old "Response: Follows"
// body), and an empty CoreShowChannels list. Every other action is answered
// by a Handler registered with Handle, which can write any bytes, including
// the framing quirks of Asterisk (stray empty lines, a bare LF before CRLF,
// ActionID in last position, OriginateResponse carrying a Response header).
//
// The package does not import the ami package: it parses requests and
// writes replies itself, so that it can send exactly the bytes a test
// wants.
package amitest

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Header is one "Key: Value" line of a request.
type Header struct {
	Key   string
	Value string
}

// Request is one action received by the server.
type Request struct {
	// Headers in wire order.
	Headers []Header
	// Raw is the request's bytes as received, terminator included.
	Raw []byte
}

// Get returns the first value of key (case-insensitive), or "".
func (r *Request) Get(key string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Key, key) {
			return h.Value
		}
	}
	return ""
}

// Action returns the request's Action header.
func (r *Request) Action() string { return r.Get("Action") }

// ActionID returns the request's ActionID header.
func (r *Request) ActionID() string { return r.Get("ActionID") }

// Msg returns the wire form of a message made of the key, value pairs kv:
// "k1: v1\r\nk2: v2\r\n\r\n". Values are written verbatim, so a value ending
// in "\n" reproduces Asterisk's stray LF before CRLF. It panics if kv has an
// odd length.
func Msg(kv ...string) string {
	if len(kv)%2 != 0 {
		panic("amitest: odd number of key/value strings")
	}
	var b strings.Builder
	for i := 0; i < len(kv); i += 2 {
		b.WriteString(kv[i])
		b.WriteString(": ")
		b.WriteString(kv[i+1])
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// Event returns the wire form of a broadcast event: "Event: name",
// "Privilege: call,all" (unless kv sets Privilege), then kv.
func Event(name string, kv ...string) string {
	all := []string{"Event", name}
	if !hasKey(kv, "Privilege") {
		all = append(all, "Privilege", "call,all")
	}
	return Msg(append(all, kv...)...)
}

func hasKey(kv []string, key string) bool {
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.EqualFold(kv[i], key) {
			return true
		}
	}
	return false
}

// Response returns the wire form of a response to r: "Response: response",
// then "ActionID" as the second line (when r has one), then kv.
func (r *Request) Response(response string, kv ...string) string {
	all := []string{"Response", response}
	if id := r.ActionID(); id != "" {
		all = append(all, "ActionID", id)
	}
	return Msg(append(all, kv...)...)
}

// ListStart returns the response that starts a list: Success, ActionID,
// "EventList: start" and message.
func (r *Request) ListStart(message string) string {
	return r.Response("Success", "EventList", "start", "Message", message)
}

// Item returns one list item event: "Event: name", then ActionID as the
// second line, or as the last line when idLast is set (as QueueParams,
// QueueMember, QueueEntry and QueueSummary do), and no Privilege header.
func (r *Request) Item(name string, idLast bool, kv ...string) string {
	all := []string{"Event", name}
	id := r.ActionID()
	if id != "" && !idLast {
		all = append(all, "ActionID", id)
	}
	all = append(all, kv...)
	if id != "" && idLast {
		all = append(all, "ActionID", id)
	}
	return Msg(all...)
}

// ListComplete returns the event that ends a list of n items: "Event:
// name", ActionID, "EventList: Complete", "ListItems: n", then kv.
func (r *Request) ListComplete(name string, n int, kv ...string) string {
	all := []string{"Event", name}
	if id := r.ActionID(); id != "" {
		all = append(all, "ActionID", id)
	}
	all = append(all, "EventList", "Complete", "ListItems", strconv.Itoa(n))
	return Msg(append(all, kv...)...)
}

// Handler answers one action on a session. It runs on the session's reading
// goroutine, so a session's requests are handled one at a time, in order.
type Handler func(s *Session, r *Request)

// Options configure a Server. nil means defaults.
type Options struct {
	// Username and Secret accepted by Login. Defaults "admin" and "secret".
	Username string
	Secret   string
	// Banner is the greeting. Default "Asterisk Call Manager/5.0.4".
	Banner string
	// AuthFailDelay delays the "Authentication failed" reply (Asterisk
	// waits about a second). Default 0.
	AuthFailDelay time.Duration
	// NoFullyBooted suppresses the FullyBooted event sent after a Login
	// with events on.
	NoFullyBooted bool
	// CommandFollows answers Command in the format of Asterisk < 14
	// ("Response: Follows", body lines, "--END COMMAND--").
	CommandFollows bool
	// TLS, when set, makes the server speak TLS.
	TLS *tls.Config
}

// Server is a fake AMI server. It is safe for concurrent use.
type Server struct {
	opts Options
	ln   net.Listener

	mu       sync.Mutex
	handlers map[string]Handler
	commands map[string][]string
	sessions map[*Session]struct{}
	requests []*Request
	raw      []byte
	refuse   bool
	accepted int
	logins   int
	closed   bool

	done chan struct{}
	wg   sync.WaitGroup
}

// NewServer starts a server on 127.0.0.1 and registers its Close with
// tb.Cleanup. It fails the test if the server cannot listen. opts may be
// nil.
func NewServer(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatalf("amitest: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a server on 127.0.0.1, for use outside tests (examples,
// demos); the caller must Close it. opts may be nil.
func Start(opts *Options) (*Server, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Username == "" {
		o.Username = "admin"
	}
	if o.Secret == "" {
		o.Secret = "secret"
	}
	if o.Banner == "" {
		o.Banner = "Asterisk Call Manager/5.0.4"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if o.TLS != nil {
		ln = tls.NewListener(ln, o.TLS)
	}
	s := &Server{
		opts:     o,
		ln:       ln,
		handlers: make(map[string]Handler),
		commands: make(map[string][]string),
		sessions: make(map[*Session]struct{}),
		done:     make(chan struct{}),
	}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the server's "host:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server, drops every connection and waits for the
// server's goroutines. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.done)
	_ = s.ln.Close()
	for ss := range s.sessions {
		_ = ss.conn.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// Handle registers h for action (case-insensitive), replacing any default.
// A nil h restores the default.
func (s *Server) Handle(action string, h Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.handlers, strings.ToLower(action))
		return
	}
	s.handlers[strings.ToLower(action)] = h
}

// Reply registers a handler that answers action with a response of the
// given kind ("Success", "Error", ...) and key, value pairs.
func (s *Server) Reply(action, response string, kv ...string) {
	s.Handle(action, func(ss *Session, r *Request) { _ = ss.Write(r.Response(response, kv...)) })
}

// SetCommand sets the output lines of the CLI command cli for the Command
// action. Unknown commands get Asterisk's error.
func (s *Server) SetCommand(cli string, lines ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[cli] = append([]string(nil), lines...)
}

// RefuseLogin makes every following Login fail (or succeed again).
func (s *Server) RefuseLogin(refuse bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = refuse
}

// Broadcast writes raw (one or more messages, such as Event returns) to
// every logged-in session that has events on.
func (s *Server) Broadcast(raw string) {
	for _, ss := range s.Sessions() {
		if ss.EventsOn() {
			_ = ss.Write(raw)
		}
	}
}

// DropAll closes every client connection, as a crash or restart would.
func (s *Server) DropAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ss := range s.sessions {
		_ = ss.conn.Close()
	}
}

// Sessions returns the logged-in sessions.
func (s *Server) Sessions() []*Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Session
	for ss := range s.sessions {
		if ss.LoggedIn() {
			out = append(out, ss)
		}
	}
	return out
}

// Requests returns every request received so far, on every connection, in
// order of arrival.
func (s *Server) Requests() []*Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.requests...)
}

// Actions returns the Action of every request received so far.
func (s *Server) Actions() []string {
	var out []string
	for _, r := range s.Requests() {
		out = append(out, r.Action())
	}
	return out
}

// Raw returns every byte received so far, on every connection.
func (s *Server) Raw() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.raw...)
}

// Accepted returns the number of connections accepted so far.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Logins returns the number of successful Logins so far.
func (s *Server) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// WaitLogins waits until at least n Logins have succeeded, and returns
// false if that takes longer than timeout.
func (s *Server) WaitLogins(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for s.Logins() < n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
	return true
}

// Delay returns a Handler that runs h after d, on its own goroutine (so the
// session keeps reading). Replies may then be reordered, as a slow action
// would be on Asterisk. It does nothing if the server closes first.
func Delay(d time.Duration, h Handler) Handler {
	return func(ss *Session, r *Request) {
		srv := ss.srv
		srv.wg.Add(1)
		go func() {
			defer srv.wg.Done()
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-srv.done:
			case <-t.C:
				h(ss, r)
			}
		}()
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		ss := &Session{srv: s, conn: c}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.accepted++
		s.sessions[ss] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go ss.serve()
	}
}

// Session is one client connection to the Server. Its methods are safe for
// concurrent use; writes are serialized.
type Session struct {
	srv  *Server
	conn net.Conn

	wmu      sync.Mutex
	mu       sync.Mutex
	loggedIn bool
	events   bool
}

// Write writes raw bytes to the client.
func (ss *Session) Write(raw string) error {
	ss.wmu.Lock()
	defer ss.wmu.Unlock()
	_ = ss.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := io.WriteString(ss.conn, raw)
	return err
}

// Close drops the connection.
func (ss *Session) Close() error { return ss.conn.Close() }

// LoggedIn reports whether the session has logged in.
func (ss *Session) LoggedIn() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.loggedIn
}

// EventsOn reports whether the session logged in with events on.
func (ss *Session) EventsOn() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.loggedIn && ss.events
}

func (ss *Session) serve() {
	s := ss.srv
	defer s.wg.Done()
	defer func() {
		_ = ss.conn.Close()
		s.mu.Lock()
		delete(s.sessions, ss)
		s.mu.Unlock()
	}()
	if err := ss.Write(s.opts.Banner + "\r\n"); err != nil {
		return
	}
	br := bufio.NewReader(ss.conn)
	for {
		r, err := readRequest(br)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, r)
		s.raw = append(s.raw, r.Raw...)
		h := s.handlers[strings.ToLower(r.Action())]
		s.mu.Unlock()
		if h != nil {
			h(ss, r)
			continue
		}
		if !ss.builtin(r) {
			return
		}
	}
}

// readRequest reads one request the way Asterisk does: a line ends at LF,
// a CR before it is dropped, an empty line ends the request.
func readRequest(br *bufio.Reader) (*Request, error) {
	r := &Request{}
	for {
		line, err := br.ReadString('\n')
		r.Raw = append(r.Raw, line...)
		if err != nil {
			return nil, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if len(r.Headers) == 0 {
				continue
			}
			return r, nil
		}
		k, v, _ := strings.Cut(line, ":")
		r.Headers = append(r.Headers, Header{Key: strings.TrimSpace(k), Value: strings.TrimLeft(v, " ")})
	}
}

// builtin answers r with Asterisk's default behaviour. It returns false
// when the session must end.
func (ss *Session) builtin(r *Request) bool {
	s := ss.srv
	action := strings.ToLower(r.Action())
	if action == "" {
		_ = ss.Write(r.Response("Error", "Message", "Missing action in request"))
		return true
	}
	if action != "login" && action != "challenge" && !ss.LoggedIn() {
		_ = ss.Write(r.Response("Error", "Message", "Permission denied"))
		return true
	}
	switch action {
	case "login":
		s.mu.Lock()
		ok := !s.refuse && r.Get("Username") == s.opts.Username && r.Get("Secret") == s.opts.Secret
		if ok {
			s.logins++
		}
		s.mu.Unlock()
		if !ok {
			t := time.NewTimer(s.opts.AuthFailDelay)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
			}
			_ = ss.Write(r.Response("Error", "Message", "Authentication failed"))
			return false
		}
		events := !strings.EqualFold(r.Get("Events"), "off")
		ss.mu.Lock()
		ss.loggedIn, ss.events = true, events
		ss.mu.Unlock()
		out := r.Response("Success", "Message", "Authentication accepted")
		if events && !s.opts.NoFullyBooted {
			out += Event("FullyBooted", "Privilege", "system,all", "Uptime", "1234", "LastReload", "1234", "Status", "Fully Booted")
		}
		_ = ss.Write(out)
	case "logoff":
		_ = ss.Write(r.Response("Goodbye", "Message", "Thanks for all the fish."))
		return false
	case "ping":
		_ = ss.Write(r.Response("Success", "Ping", "Pong", "Timestamp", strconv.FormatInt(time.Now().Unix(), 10)+".000000"))
	case "command":
		ss.command(r)
	case "coreshowchannels":
		_ = ss.Write(r.ListStart("Channels will follow") + r.ListComplete("CoreShowChannelsComplete", 0))
	default:
		_ = ss.Write(r.Response("Error", "Message", fmt.Sprintf("Invalid/unknown command: %s. Use Action: ListCommands to show available commands.", r.Action())))
	}
	return true
}

func (ss *Session) command(r *Request) {
	s := ss.srv
	cli := r.Get("Command")
	s.mu.Lock()
	lines, ok := s.commands[cli]
	s.mu.Unlock()
	if cli == "" {
		_ = ss.Write(r.Response("Error", "Message", "No command provided"))
		return
	}
	if !ok {
		verb, _, _ := strings.Cut(cli, " ")
		lines = []string{fmt.Sprintf("No such command '%s' (type 'core show help %s' for other possible commands)", cli, verb)}
	}
	if s.opts.CommandFollows {
		var b strings.Builder
		b.WriteString("Response: Follows\r\nPrivilege: Command\r\n")
		if id := r.ActionID(); id != "" {
			b.WriteString("ActionID: " + id + "\r\n")
		}
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		b.WriteString("--END COMMAND--\r\n\r\n")
		_ = ss.Write(b.String())
		return
	}
	kv := []string{"Message", "Command output follows"}
	if len(lines) == 0 {
		kv = append(kv, "Output", "")
	}
	for _, l := range lines {
		kv = append(kv, "Output", l)
	}
	resp := "Success"
	if !ok {
		resp = "Error"
	}
	_ = ss.Write(r.Response(resp, kv...))
}
