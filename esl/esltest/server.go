// Package esltest is an in-process FreeSWITCH Event Socket server for
// tests: mod_event_socket's inbound protocol on a loopback TCP port, in
// front of a small simulated switch (directory, registrations, channels and
// calls, conferences, call center queues, voicemail, db and hash), with
// hooks to drive the simulated phones and to inject faults.
//
// It is a stand-in for the real daemon on the wire, written from
// FreeSWITCH's sources and documentation and from the project's wire notes
// (testdata/SOURCES.md says where each reply shape comes from and marks
// the guesses). It does not import the esl package, so that it tests esl
// independently.
//
// # Protocol
//
// On connect the server sends "Content-Type: auth/request". It accepts
// "auth <password>" ("+OK accepted", or "-ERR invalid" followed by a
// text/disconnect-notice and the end of the connection), "exit" ("+OK
// bye", then the disconnect notice of 67 bytes), "event plain|json
// <names>", "nixevent", "noevents", "filter", "filter delete", "api",
// "bgapi" (with an optional Job-UUID header; the result comes in a
// BACKGROUND_JOB event), "linger" and "nolinger" ("-ERR not controlling a
// session"), "sendevent", "log" and "nolog". A command ends at two LFs; CR
// is ignored.
//
// The connection behaves as FreeSWITCH's listener thread: while an api
// command runs (an originate waiting for an answer, "msleep"), nothing
// else is written to that connection; events queued meanwhile follow the
// response, in the same write. Every event carries the standard headers
// (Core-UUID, FreeSWITCH-Hostname, FreeSWITCH-IPv4, Event-Date-Timestamp
// in microseconds, Event-Sequence, ...). With ALL subscribed, every api
// command also produces an API event. A listener that falls
// Options.QueueLimit events behind loses events, and is disconnected after
// 500 lost, as FreeSWITCH does.
//
// # Simulated switch
//
// The API commands are those the pbxkit FreeSWITCH backend uses: status,
// version, hostname, switchname, uptime, global_getvar, reloadxml, echo,
// msleep, list_users, sofia_contact, sofia status / xmlstatus, show
// channels / calls (plain, count, as json), originate, uuid_kill,
// uuid_transfer, uuid_exists, uuid_getvar, uuid_setvar, conference,
// callcenter_config, vm_list, vm_delete, vm_read, vm_fsdb_msg_list, _get,
// _count, _delete, _save, _undelete, _purge, _email, db and hash. The
// commands pbxkit refuses to send (system, bg_system, spawn, ...) answer an
// error, so that a test can show they never arrive (Received). Any other
// command answers "-ERR <command> Command not found!".
//
// # Hooks
//
// Register, Unregister and Expire manage registrations; SetPhone sets a
// phone's behaviour; QueueCaller, JoinConference and LeaveVoicemail bring
// in outside callers; Hangup ends a channel from the far end; Heartbeat
// and Fire push events. Faults: RejectAuth, RefuseConnections,
// SetReplyDelay (a slow switch), WriteRaw (oversized or broken frames),
// DropConnections, SendDisconnectNotice. Received, ReceivedMatching,
// Accepted, Authenticated, Connections, Channels, DBValue, HashValue and
// CDRPath show what the server saw and holds. SampleEvents builds a realistic
// event stream for replay benchmarks.
//
// The directory is Options.Users and, with Options.Directory, the user
// files of a directory as FreeSWITCH's conf/directory/default holds them,
// read again by "reloadxml". Like mod_cdr_csv with its default settings,
// the switch appends a line to CDRPath (the vanilla "example" template)
// for every A leg that ends.
//
// Phones are simulated per directory user: Register puts a registration in
// place (sofia::register event), SetPhone decides what the phone does when
// it is called (answer after a delay, busy, ring until the originate
// timeout, reject with a cause). Outside callers are simulated by
// QueueCaller (a call waiting in a mod_callcenter queue) and
// LeaveVoicemail (a message file written in the server's voicemail
// directory, with MESSAGE_WAITING).
package esltest

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Defaults of Options.
const (
	DefaultPassword   = "ClueCon"
	DefaultHostname   = "esltest"
	DefaultIPv4       = "10.0.0.5"
	DefaultQueueLimit = 100000
)

// disconnectBody is the body of the disconnect notice FreeSWITCH sends
// when a connection ends (67 bytes on 1.10.12).
const disconnectBody = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

// Options configure a Server. nil means defaults.
type Options struct {
	// Password is the Event Socket password. Default "ClueCon".
	Password string
	// Hostname is FreeSWITCH-Hostname (and switchname). Default "esltest".
	Hostname string
	// IPv4 is FreeSWITCH-IPv4 and the directory's domain. Default
	// "10.0.0.5".
	IPv4 string
	// Users is the directory. Default, when Directory is empty too: users
	// 1000 to 1004 in group "default", as in the vanilla configuration.
	Users []User
	// Directory, when set, holds directory user files, as FreeSWITCH's
	// conf/directory/default does: each *.xml file is an
	// <include><user id="..."> with <params> and <variables>, where $${var}
	// is replaced by the global variable (the XML preprocessor). Their
	// users join Users (a file's user replaces the user of Users with the
	// same ID). The files are read at Start and again by "reloadxml".
	Directory string
	// Queues are the mod_callcenter queues. Default: "support@default".
	Queues []string
	// Dir is where the voicemail files are written. Default: a new
	// temporary directory, removed by Close.
	Dir string
	// QueueLimit is a listener's event queue length; FreeSWITCH's is
	// 100000. Default 100000.
	QueueLimit int
	// Logf, when set, receives the server's diagnostics.
	Logf func(format string, args ...any)
}

// User is a directory user.
type User struct {
	ID        string // "1000"
	Context   string // user_context; default "default"
	Group     string // default "default"
	CallGroup string // default "techsupport"
	CIDName   string // effective_caller_id_name; default "Extension <ID>"
	CIDNumber string // effective_caller_id_number; default ID
}

// Server is the fake Event Socket server. It is safe for concurrent use.
type Server struct {
	opts    Options
	ln      net.Listener
	wg      sync.WaitGroup
	done    chan struct{}
	tmpDir  bool
	regexps sync.Map

	mu       sync.Mutex
	conns    map[*conn]struct{}
	received []string
	accepted int
	authed   int
	closed   bool
	refuse   bool
	reject   bool
	delay    time.Duration
	seq      uint64
	sw       *switchState
}

// NewServer starts a server on 127.0.0.1 for a test; it is closed when the
// test ends.
func NewServer(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s, err := Start(opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// Start starts a server on 127.0.0.1, for use outside tests. Close it.
func Start(opts *Options) (*Server, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
	if o.Hostname == "" {
		o.Hostname = DefaultHostname
	}
	if o.IPv4 == "" {
		o.IPv4 = DefaultIPv4
	}
	if o.QueueLimit <= 0 {
		o.QueueLimit = DefaultQueueLimit
	}
	if o.Users == nil && o.Directory == "" {
		for i := 1000; i <= 1004; i++ {
			o.Users = append(o.Users, User{ID: strconv.Itoa(i)})
		}
	} else {
		o.Users = append([]User(nil), o.Users...)
	}
	if o.Queues == nil {
		o.Queues = []string{"support@default"}
	}
	s := &Server{opts: o, conns: make(map[*conn]struct{}), done: make(chan struct{})}
	if s.opts.Dir == "" {
		d, err := os.MkdirTemp("", "esltest-")
		if err != nil {
			return nil, err
		}
		s.opts.Dir, s.tmpDir = d, true
	}
	s.sw = newSwitchState(s)
	if err := s.sw.loadUsersLocked(); err != nil {
		if s.tmpDir {
			_ = os.RemoveAll(s.opts.Dir)
		}
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln = ln
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Addr returns the server's "host:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Password returns the Event Socket password.
func (s *Server) Password() string { return s.opts.Password }

// Dir returns the directory holding the voicemail files.
func (s *Server) Dir() string { return s.opts.Dir }

// CoreUUID returns the Core-UUID of the simulated switch.
func (s *Server) CoreUUID() string { return s.sw.coreUUID }

// Hostname returns FreeSWITCH-Hostname.
func (s *Server) Hostname() string { return s.opts.Hostname }

// Domain returns the directory's domain (the IPv4 address).
func (s *Server) Domain() string { return s.opts.IPv4 }

func (s *Server) logf(format string, args ...any) {
	if s.opts.Logf != nil {
		s.opts.Logf(format, args...)
	}
}

// Close stops the server, drops every connection, stops the simulated
// calls and waits for every goroutine. It removes the voicemail directory
// if the server created it. It is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	close(s.done)
	_ = s.ln.Close()
	for _, c := range conns {
		c.kill()
	}
	s.wg.Wait()
	if s.tmpDir {
		_ = os.RemoveAll(s.opts.Dir)
	}
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.accepted++
		if s.refuse {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		c := newConn(s, nc)
		s.conns[c] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		go c.readLoop()
		go c.handleLoop()
	}
}

// command is one command received from a client.
type command struct {
	line    string // the first line
	headers []Header
	body    string
	raw     string
}

func (c *command) header(name string) string {
	for _, h := range c.headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// conn is one client connection: a listener in mod_event_socket's terms.
type conn struct {
	s  *Server
	nc net.Conn
	br *bufio.Reader

	cmds chan *command
	wake chan struct{}
	wmu  sync.Mutex // serializes socket writes
	once sync.Once
	dead chan struct{}

	// Guarded by s.mu.
	authed    bool
	listening bool
	format    string
	all       bool
	events    map[string]bool
	subs      map[string]bool
	filters   []Header
	queue     []*Event
	lost      int
}

func newConn(s *Server, nc net.Conn) *conn {
	return &conn{
		s:      s,
		nc:     nc,
		br:     bufio.NewReaderSize(nc, 64<<10),
		cmds:   make(chan *command),
		wake:   make(chan struct{}, 1),
		dead:   make(chan struct{}),
		format: "plain",
		events: make(map[string]bool),
		subs:   make(map[string]bool),
	}
}

// kill closes the connection without a word.
func (c *conn) kill() {
	c.once.Do(func() {
		close(c.dead)
		_ = c.nc.Close()
	})
}

func (c *conn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := c.nc.Write(b)
	return err
}

// readLoop parses commands as mod_event_socket's read_packet does: leading
// empty lines are skipped, the first line is the command, the following
// "Name: value" lines are headers, an empty line ends the command (CR is
// ignored), and a Content-Length header is followed by a body.
func (c *conn) readLoop() {
	defer c.s.wg.Done()
	defer close(c.cmds)
	for {
		cmd, err := c.readCommand()
		if err != nil {
			return
		}
		select {
		case c.cmds <- cmd:
		case <-c.dead:
			return
		}
	}
}

func (c *conn) readCommand() (*command, error) {
	var raw strings.Builder
	cmd := &command{}
	first := true
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		raw.WriteString(line)
		if raw.Len() > 1<<20 {
			return nil, errors.New("command too long")
		}
		t := strings.TrimRight(line, "\r\n")
		t = strings.ReplaceAll(t, "\r", "")
		if t == "" {
			if first {
				raw.Reset()
				continue
			}
			break
		}
		if first {
			cmd.line = t
			first = false
			continue
		}
		name, value, ok := strings.Cut(t, ":")
		if !ok {
			continue
		}
		value = strings.TrimLeft(value, " ")
		cmd.headers = append(cmd.headers, Header{name, value})
		if strings.EqualFold(name, "Content-Length") {
			n, err := strconv.Atoi(value)
			if err == nil && n > 0 && n <= 16<<20 {
				b := make([]byte, n)
				if _, err := io.ReadFull(c.br, b); err != nil {
					return nil, err
				}
				raw.Write(b)
				cmd.body = string(b)
			}
		}
	}
	cmd.raw = raw.String()
	c.s.mu.Lock()
	c.s.received = append(c.s.received, cmd.raw)
	c.s.mu.Unlock()
	return cmd, nil
}

// handleLoop runs commands one at a time and writes queued events whenever
// no command is running, as mod_event_socket's listener thread does.
func (c *conn) handleLoop() {
	defer c.s.wg.Done()
	defer c.remove()
	if c.write([]byte("Content-Type: auth/request\n\n")) != nil {
		return
	}
	for {
		select {
		case cmd, ok := <-c.cmds:
			if !ok {
				return
			}
			out, end := c.exec(cmd)
			out = c.appendEvents(out)
			if len(out) > 0 && c.write(out) != nil {
				c.kill()
				return
			}
			if end {
				_ = c.write([]byte(disconnectNotice(disconnectBody)))
				c.kill()
				return
			}
		case <-c.wake:
			if out := c.appendEvents(nil); len(out) > 0 && c.write(out) != nil {
				c.kill()
				return
			}
		case <-c.dead:
			return
		case <-c.s.done:
			c.kill()
			return
		}
	}
}

func (c *conn) remove() {
	c.kill()
	c.s.mu.Lock()
	delete(c.s.conns, c)
	c.queue = nil
	c.s.mu.Unlock()
}

func disconnectNotice(body string) string {
	return fmt.Sprintf("Content-Type: text/disconnect-notice\nContent-Length: %d\n\n%s", len(body), body)
}

func replyText(text string) []byte {
	return []byte("Content-Type: command/reply\nReply-Text: " + text + "\n\n")
}

// appendEvents serializes and removes the events queued for c.
func (c *conn) appendEvents(out []byte) []byte {
	c.s.mu.Lock()
	q := c.queue
	c.queue = nil
	format := c.format
	c.s.mu.Unlock()
	for _, ev := range q {
		if format == "json" {
			out = ev.appendJSON(out)
		} else {
			out = ev.appendPlain(out)
		}
	}
	return out
}

// exec runs one command and returns what to write. end means the
// connection ends after it.
func (c *conn) exec(cmd *command) (out []byte, end bool) {
	s := c.s
	line := cmd.line
	lc := strings.ToLower(line)
	if strings.HasPrefix(lc, "exit") || strings.HasPrefix(lc, "...") {
		return replyText("+OK bye"), true
	}
	s.mu.Lock()
	authed := c.authed
	s.mu.Unlock()
	if !authed {
		if strings.HasPrefix(lc, "auth ") {
			s.mu.Lock()
			ok := line[5:] == s.opts.Password && !s.reject
			if ok {
				c.authed = true
				s.authed++
			}
			s.mu.Unlock()
			if ok {
				return replyText("+OK accepted"), false
			}
			return replyText("-ERR invalid"), true
		}
		if strings.HasPrefix(lc, "userauth ") {
			return replyText("-ERR invalid"), true
		}
		return replyText("-ERR command not found"), false
	}
	switch {
	case strings.HasPrefix(lc, "filter "):
		return replyText(c.filter(line[7:])), false
	case strings.HasPrefix(lc, "divert_events"):
		return replyText("-ERR not controlling a session."), false
	case strings.HasPrefix(lc, "sendmsg"):
		return replyText(fmt.Sprintf("-ERR invalid session id [%s]", strings.TrimSpace(line[7:]))), false
	case strings.HasPrefix(lc, "sendevent"):
		return replyText(c.sendevent(cmd)), false
	case strings.HasPrefix(lc, "api "):
		return c.api(line[4:]), false
	case strings.HasPrefix(lc, "bgapi "):
		return c.bgapi(line[6:], cmd.header("Job-UUID")), false
	case strings.HasPrefix(lc, "log"):
		return replyText("+OK log level  [7]"), false
	case strings.HasPrefix(lc, "linger"), strings.HasPrefix(lc, "nolinger"):
		return replyText("-ERR not controlling a session"), false
	case strings.HasPrefix(lc, "nolog"):
		return replyText("-ERR not loging"), false
	case strings.HasPrefix(lc, "event"):
		return replyText(c.event(line)), false
	case strings.HasPrefix(lc, "nixevent"):
		return replyText(c.nixevent(line)), false
	case strings.HasPrefix(lc, "noevents"):
		s.mu.Lock()
		defer s.mu.Unlock()
		if !c.listening {
			return replyText("-ERR not listening for events"), false
		}
		c.listening, c.all = false, false
		clear(c.events)
		clear(c.subs)
		c.queue = nil
		return replyText("+OK no longer listening for events"), false
	}
	return replyText("-ERR command not found"), false
}

// event handles "event [plain|json|xml] <names>".
func (c *conn) event(line string) string {
	fields := strings.Fields(line)[1:]
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := 0
	custom := false
	for i, f := range fields {
		if i == 0 {
			switch strings.ToLower(f) {
			case "plain", "json", "xml":
				c.format = strings.ToLower(f)
				continue
			}
		}
		if custom {
			c.subs[f] = true
			continue
		}
		name, ok := eventName(f)
		if !ok {
			continue
		}
		keys++
		switch name {
		case "ALL":
			c.all = true
		case "CUSTOM":
			custom = true
			c.events[name] = true
		default:
			c.events[name] = true
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	c.listening = true
	return "+OK event listener enabled " + c.format
}

func (c *conn) nixevent(line string) string {
	fields := strings.Fields(line)[1:]
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := 0
	custom := false
	for _, f := range fields {
		if custom {
			delete(c.subs, f)
			continue
		}
		name, ok := eventName(f)
		if !ok {
			continue
		}
		keys++
		switch name {
		case "CUSTOM":
			custom = true
		case "ALL":
			c.all = false
			clear(c.events)
		default:
			if c.all {
				c.all = false
				for _, n := range eventNames {
					c.events[n] = true
				}
			}
			delete(c.events, name)
		}
	}
	if keys == 0 {
		return "-ERR no keywords supplied"
	}
	c.listening = true
	return "+OK events nixed"
}

func (c *conn) filter(arg string) string {
	arg = strings.TrimLeft(arg, " ")
	name, value, hasValue := strings.Cut(arg, " ")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.EqualFold(name, "delete") && hasValue {
		h, v, hv := strings.Cut(value, " ")
		if strings.EqualFold(h, "all") {
			c.filters = nil
		} else {
			kept := c.filters[:0]
			for _, f := range c.filters {
				if strings.EqualFold(f.Name, h) && (!hv || f.Value == v) {
					continue
				}
				kept = append(kept, f)
			}
			c.filters = kept
		}
		return fmt.Sprintf("+OK filter deleted. [%s][%s]", h, v)
	}
	if !hasValue {
		return "-ERR invalid syntax"
	}
	if strings.EqualFold(name, "add") {
		name, value, _ = strings.Cut(value, " ")
	}
	c.filters = append(c.filters, Header{name, value})
	return fmt.Sprintf("+OK filter added. [%s]=[%s]", name, value)
}

func (c *conn) sendevent(cmd *command) string {
	name := strings.TrimSpace(cmd.line[len("sendevent"):])
	ev := &Event{Name: "CUSTOM"}
	if n, ok := eventName(name); ok && n != "ALL" {
		ev.Name = n
	}
	id := newUUID()
	for _, h := range cmd.headers {
		if strings.EqualFold(h.Name, "Content-Length") {
			continue
		}
		if strings.EqualFold(h.Name, "Event-Subclass") {
			ev.Subclass = h.Value
			continue
		}
		ev.Headers = append(ev.Headers, h)
	}
	ev.Headers = append(ev.Headers, Header{"Event-UUID", id})
	ev.Body = cmd.body
	c.s.Fire(ev)
	return "+OK " + id
}

// api runs an api command synchronously and returns its api/response.
func (c *conn) api(arg string) []byte {
	name, rest, _ := strings.Cut(arg, " ")
	s := c.s
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-s.done:
		}
	}
	body := s.sw.execute(name, rest)
	if body == "" {
		body = "-ERR no reply\n"
	}
	return []byte(fmt.Sprintf("Content-Type: api/response\nContent-Length: %d\n\n%s", len(body), body))
}

// bgapi starts a command in the background and fires BACKGROUND_JOB with
// its result.
func (c *conn) bgapi(arg, jobUUID string) []byte {
	if jobUUID == "" {
		jobUUID = newUUID()
	}
	name, rest, hasArg := strings.Cut(arg, " ")
	s := c.s
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		body := s.sw.execute(name, rest)
		if body == "" {
			body = "Command returned no output!"
		}
		ev := &Event{Name: "BACKGROUND_JOB", callFile: "mod_event_socket.c", callFunc: "api_exec", callLine: 1572}
		ev.Add("Job-UUID", jobUUID, "Job-Command", name)
		if hasArg {
			ev.Add("Job-Command-Arg", rest)
		}
		ev.Body = body
		s.Fire(ev)
	}()
	return []byte("Content-Type: command/reply\nReply-Text: +OK Job-UUID: " + jobUUID + "\nJob-UUID: " + jobUUID + "\n\n")
}

// Fire fires ev: the server adds the standard headers and an
// Event-Sequence, and queues it for every listener whose subscription and
// filters accept it. It is the hook for pushing arbitrary events.
func (s *Server) Fire(ev *Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fireLocked(ev)
}

// fireLocked is Fire with s.mu held.
func (s *Server) fireLocked(ev *Event) {
	if s.closed {
		return
	}
	s.seq++
	ev.seq = s.seq
	now := time.Now()
	file, fn, line := ev.callFile, ev.callFunc, ev.callLine
	if file == "" {
		file, fn, line = "switch_event.c", "switch_event_fire_detailed", 1
	}
	all := make([]Header, 0, len(ev.Headers)+14)
	if ev.Subclass != "" {
		all = append(all, Header{"Event-Subclass", ev.Subclass})
	}
	all = append(all,
		Header{"Event-Name", ev.Name},
		Header{"Core-UUID", s.sw.coreUUID},
		Header{"FreeSWITCH-Hostname", s.opts.Hostname},
		Header{"FreeSWITCH-Switchname", s.opts.Hostname},
		Header{"FreeSWITCH-IPv4", s.opts.IPv4},
		Header{"FreeSWITCH-IPv6", "::1"},
		Header{"Event-Date-Local", now.Format("2006-01-02 15:04:05")},
		Header{"Event-Date-GMT", rfc822(now)},
		Header{"Event-Date-Timestamp", strconv.FormatInt(now.UnixMicro(), 10)},
		Header{"Event-Calling-File", file},
		Header{"Event-Calling-Function", fn},
		Header{"Event-Calling-Line-Number", strconv.Itoa(line)},
		Header{"Event-Sequence", strconv.FormatUint(ev.seq, 10)},
	)
	all = append(all, ev.Headers...)
	ev.all = all
	for c := range s.conns {
		if !c.accepts(ev) {
			continue
		}
		if len(c.queue) >= s.opts.QueueLimit {
			c.lost++
			if c.lost > 500 {
				s.logf("esltest: listener fell 500 events behind; killing it")
				c.kill()
			}
			continue
		}
		c.queue = append(c.queue, ev)
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
}

// accepts reports whether c's subscription and filters take ev (s.mu
// held), as mod_event_socket's event_handler decides.
func (c *conn) accepts(ev *Event) bool {
	if !c.authed || !c.listening {
		return false
	}
	send := c.all
	if !send && c.events[ev.Name] {
		send = ev.Name != "CUSTOM" || ev.Subclass == "" || c.subs[ev.Subclass]
	}
	if !send || len(c.filters) == 0 {
		return send
	}
	send = false
	for _, f := range c.filters {
		hval := ev.Get(f.Name)
		if hval == "" {
			continue
		}
		comp := f.Value
		pos := true
		for comp != "" {
			if comp[0] == '+' {
				pos = true
			} else if comp[0] == '-' {
				pos = false
			} else if comp[0] != ' ' {
				break
			}
			comp = comp[1:]
		}
		if send && pos {
			continue
		}
		if comp == "" {
			continue
		}
		var match bool
		if f.Value[0] == '/' || comp[0] == '/' {
			match = c.s.match(comp, hval)
		} else {
			match = strings.EqualFold(hval, comp)
		}
		if match {
			if pos {
				send = true
			} else {
				return false
			}
		}
	}
	return send
}

// match applies a filter regular expression ("/re/" or "re").
func (s *Server) match(re, v string) bool {
	re = strings.TrimSuffix(strings.TrimPrefix(re, "/"), "/")
	var rx *regexp.Regexp
	if x, ok := s.regexps.Load(re); ok {
		rx = x.(*regexp.Regexp)
	} else {
		var err error
		if rx, err = regexp.Compile(re); err != nil {
			return false
		}
		s.regexps.Store(re, rx)
	}
	return rx.MatchString(v)
}

// --- hooks for faults and inspection ---

// Received returns every command received so far, on every connection, in
// order, as raw text (terminator included).
func (s *Server) Received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.received...)
}

// ReceivedCount returns the number of commands received so far.
func (s *Server) ReceivedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// ReceivedMatching returns the received commands containing substr.
func (s *Server) ReceivedMatching(substr string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.received {
		if strings.Contains(r, substr) {
			out = append(out, r)
		}
	}
	return out
}

// Accepted returns the number of TCP connections accepted so far.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accepted
}

// Authenticated returns the number of successful auth commands so far.
func (s *Server) Authenticated() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authed
}

// Connections returns the number of open connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Listening returns the number of connections that are authenticated and
// subscribed to events.
func (s *Server) Listening() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if c.authed && c.listening {
			n++
		}
	}
	return n
}

// WaitListening waits until n connections are authenticated and
// subscribed, for at most timeout.
func (s *Server) WaitListening(n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if s.Listening() >= n {
			return true
		}
		time.Sleep(2 * time.Millisecond)
	}
	return false
}

// RejectAuth makes every following auth fail with "-ERR invalid", as a
// wrong password does.
func (s *Server) RejectAuth(reject bool) {
	s.mu.Lock()
	s.reject = reject
	s.mu.Unlock()
}

// RefuseConnections makes the server close every new connection at once,
// before the auth/request: the switch is down.
func (s *Server) RefuseConnections(refuse bool) {
	s.mu.Lock()
	s.refuse = refuse
	s.mu.Unlock()
}

// SetReplyDelay delays every api response by d (a slow switch).
func (s *Server) SetReplyDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

func (s *Server) snapshot(authedOnly bool) []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*conn
	for c := range s.conns {
		if !authedOnly || c.authed {
			out = append(out, c)
		}
	}
	return out
}

// WriteRaw writes b verbatim to every authenticated connection, between
// messages (oversized or broken frames, floods of pre-built events). It
// returns when b has been written.
func (s *Server) WriteRaw(b []byte) {
	for _, c := range s.snapshot(true) {
		if err := c.write(b); err != nil {
			c.kill()
		}
	}
}

// DropConnections closes every connection abruptly, without a disconnect
// notice.
func (s *Server) DropConnections() {
	for _, c := range s.snapshot(false) {
		c.kill()
	}
}

// SendDisconnectNotice sends a text/disconnect-notice with body (the
// standard goodbye if empty) to every connection, then closes them, as
// FreeSWITCH does when it shuts down or kills a listener.
func (s *Server) SendDisconnectNotice(body string) {
	if body == "" {
		body = disconnectBody
	}
	for _, c := range s.snapshot(false) {
		_ = c.write([]byte(disconnectNotice(body)))
		c.kill()
	}
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// voicemailPath returns where a message file lives, as mod_voicemail lays
// out its storage: <storage>/voicemail/<profile>/<domain>/<user>/msg_<uuid>.wav.
func (s *Server) voicemailPath(domain, user, uuid string) string {
	return filepath.Join(s.opts.Dir, "voicemail", "default", domain, user, "msg_"+uuid+".wav")
}
