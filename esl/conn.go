package esl

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pbxkit/pbxkit/internal/dialer"
	"github.com/pbxkit/pbxkit/internal/evq"
	"github.com/percipia/eslgo/command"
)

// exitTimeout bounds the "exit" that Close sends.
const exitTimeout = time.Second

// writeQueueLen is the length of a session's queue of commands to write.
const writeQueueLen = 256

// Conn is an authenticated Event Socket connection (FreeSWITCH's inbound
// mode) that reconnects by itself. It is safe for concurrent use by
// multiple goroutines.
//
// Conn runs three goroutines per connection: a reader, which splits the
// stream into messages, hands replies to the command in flight and
// delivers events; a writer, which writes the commands one at a time, the
// next only after the reply to the previous one; and a supervisor, which
// sends keepalives and reconnects. Close ends them all.
type Conn struct {
	addr        string
	opts        Options
	log         *slog.Logger
	setup       []string // filter and event lines sent after auth
	deliverJobs bool     // BACKGROUND_JOB events go to subscribers too

	mu     sync.Mutex
	sess   *session // nil while down
	jobs   map[string]*Job
	closed bool

	hub *evq.Hub[Event] // subscriptions and state

	closing     chan struct{}
	closeCtx    context.Context
	cancelClose context.CancelFunc
	closeOnce   sync.Once
	wg          sync.WaitGroup
}

// session is one TCP (or TLS) connection of a Conn, from authentication to
// loss.
type session struct {
	c    *Conn
	nc   net.Conn
	rd   *frameReader
	wq   chan *call
	done chan struct{}
	once sync.Once
	err  error // why it ended; set before done is closed
	wg   sync.WaitGroup

	mu       sync.Mutex
	failed   bool
	inflight *call // the command written and waiting for its reply
}

// Call states.
const (
	callQueued int32 = iota
	callSent
	callCanceled
)

// reply is what FreeSWITCH answered to a command.
type reply struct {
	kind      kind
	replyText string
	jobUUID   string
	body      string
}

// call is one command waiting for its reply. Exactly one call per session
// is in flight; it is finished by the reader (its reply) or by the
// session's failure.
type call struct {
	name  string // command word, for errors
	wire  []byte
	state atomic.Int32
	done  chan struct{}

	// Set before done is closed.
	resp *reply
	err  error
}

func (cl *call) finish(r *reply, err error) {
	cl.resp, cl.err = r, err
	close(cl.done)
}

// Dial connects to FreeSWITCH's Event Socket at addr ("host:port", usually
// port 8021), reads the auth/request, authenticates with
// Options.Password, sends the Options.Filters and subscribes to
// Options.Events, and returns the Conn. A refused password ("-ERR
// invalid") returns an error matching ErrAuth at once, without retry.
// ctx bounds this setup only; when it has no deadline,
// Options.ConnectTimeout applies. opts may be nil; it is copied, never
// modified.
//
// Once connected, the Conn sends a keepalive every Options.PingInterval
// and reconnects after any loss (including FreeSWITCH's disconnect notice)
// until Close is called.
func Dial(ctx context.Context, addr string, opts *Options) (*Conn, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if o.TLS != nil && o.TLS.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			o.TLS.ServerName = host
		}
	}
	c := &Conn{
		addr:    addr,
		opts:    o,
		log:     o.Logger.With("esl", addr),
		jobs:    make(map[string]*Job),
		hub:     newHub(),
		closing: make(chan struct{}),
	}
	c.setup, c.deliverJobs = setupLines(o)
	if o.Password == DefaultPassword {
		c.log.Warn("esl: the Event Socket password is FreeSWITCH's default \"ClueCon\": anyone who can reach the port can run shell commands on the switch; set a password in event_socket.conf.xml")
	}
	c.closeCtx, c.cancelClose = context.WithCancel(context.Background())
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.ConnectTimeout)
		defer cancel()
	}
	s, err := c.connect(ctx)
	if err != nil {
		c.cancelClose()
		return nil, err
	}
	c.log.Info("esl: connected")
	c.install(s, StateConnected)
	c.wg.Add(1)
	go c.supervise(s)
	return c, nil
}

// setupLines returns the filter and event commands sent after auth, and
// whether BACKGROUND_JOB events were asked for by the caller.
func setupLines(o Options) ([]string, bool) {
	var lines []string
	for _, f := range o.Filters {
		lines = append(lines, command.Filter{EventHeader: f.Header, FilterValue: f.Value}.BuildMessage())
	}
	if len(o.Filters) > 0 {
		lines = append(lines, command.Filter{EventHeader: "Event-Name", FilterValue: "BACKGROUND_JOB"}.BuildMessage())
	}
	// FreeSWITCH reads every name after CUSTOM as a subclass: plain names
	// go first, then CUSTOM and all subclasses.
	names := []string{"BACKGROUND_JOB"}
	var subclasses []string
	custom, jobs := false, false
	for _, e := range o.Events {
		inCustom := false
		for _, n := range strings.Fields(e) {
			switch {
			case inCustom:
				subclasses = append(subclasses, n)
			case strings.EqualFold(n, "CUSTOM"):
				inCustom, custom = true, true
			default:
				if strings.EqualFold(n, "ALL") || strings.EqualFold(n, "BACKGROUND_JOB") {
					jobs = true
				}
				if !strings.EqualFold(n, "BACKGROUND_JOB") {
					names = append(names, n)
				}
			}
		}
	}
	if custom {
		names = append(names, "CUSTOM")
		names = append(names, subclasses...)
	}
	lines = append(lines, command.Event{Format: o.Format, Listen: names}.BuildMessage())
	return lines, jobs
}

// connect dials, authenticates and subscribes, and returns a session whose
// goroutines are not started yet.
func (c *Conn) connect(ctx context.Context) (*session, error) {
	return dialer.Connect(ctx, c.opts.Dialer, c.addr, c.opts.TLS, "connect to", ErrUnavailable, ErrAuth, c.handshake)
}

// handshake reads the auth/request, authenticates and sends the setup
// commands, reading each reply in turn. FreeSWITCH sends no event before
// the reply to the event command, which comes last.
func (c *Conn) handshake(nc net.Conn) (*session, error) {
	rd := newFrameReader(bufio.NewReaderSize(nc, readBufferSize), c.opts.MaxBodySize)
	for {
		f, err := rd.next()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: waiting for auth/request: %w", ErrUnavailable, c.addr, err)
		}
		if f.kind == kindRude {
			return nil, fmt.Errorf("%w: %s rejected the connection: %q", ErrAuth, c.addr, strings.TrimSpace(string(f.body)))
		}
		if f.kind == kindAuth {
			break
		}
		if f.kind != kindLog {
			return nil, fmt.Errorf("%w: %s: expected auth/request", ErrProtocol, c.addr)
		}
	}
	if _, err := nc.Write([]byte(command.Auth{Password: c.opts.Password}.BuildMessage() + terminator)); err != nil {
		return nil, fmt.Errorf("%w: %s: write auth: %w", ErrUnavailable, c.addr, err)
	}
	readReply := func(what string) (string, error) {
		for {
			f, err := rd.next()
			if err != nil {
				return "", fmt.Errorf("%w: %s: reading the reply to %s: %w", ErrUnavailable, c.addr, what, err)
			}
			switch f.kind {
			case kindReply:
				return f.replyText, nil
			case kindDisconnect:
				return "", fmt.Errorf("%w: %s said goodbye during %s", ErrUnavailable, c.addr, what)
			}
		}
	}
	txt, err := readReply("auth")
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(txt, "+OK") {
		return nil, fmt.Errorf("%w: %w", ErrAuth, &Error{Command: "auth", Reply: txt})
	}
	for _, line := range c.setup {
		if _, err := nc.Write([]byte(line + terminator)); err != nil {
			return nil, fmt.Errorf("%w: %s: write: %w", ErrUnavailable, c.addr, err)
		}
		word, _, _ := strings.Cut(line, " ")
		txt, err := readReply(word)
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(txt, "+OK") {
			return nil, &Error{Command: word, Reply: txt}
		}
	}
	return &session{
		c:    c,
		nc:   nc,
		rd:   rd,
		wq:   make(chan *call, writeQueueLen),
		done: make(chan struct{}),
	}, nil
}

// install makes s the live session, reports st and starts s's goroutines.
// It returns false (and closes s) if the Conn was closed meanwhile.
func (c *Conn) install(s *session, st State) bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = s.nc.Close()
		return false
	}
	c.sess = s
	c.mu.Unlock()
	c.setState(st, nil)
	s.wg.Add(2)
	go s.readLoop()
	go s.writeLoop()
	return true
}

// fail ends the session once: it closes the network connection, fails the
// command in flight and the background jobs started on it.
func (s *session) fail(err error) {
	s.once.Do(func() {
		s.mu.Lock()
		s.failed = true
		s.err = err
		cl := s.inflight
		s.inflight = nil
		s.mu.Unlock()
		close(s.done)
		_ = s.nc.Close()
		closed := s.c.dropSession(s)
		if cl != nil {
			if closed {
				cl.finish(nil, fmt.Errorf("esl: %s: %w", cl.name, ErrClosed))
			} else {
				cl.finish(nil, fmt.Errorf("esl: %s: %w: %w", cl.name, ErrDisconnected, err))
			}
		}
	})
}

// dropSession forgets s and fails its jobs. It reports whether the Conn
// is closed.
func (c *Conn) dropSession(s *session) bool {
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	closed := c.closed
	jobs := make(map[string]*Job)
	for id, j := range c.jobs {
		if j.sess == s {
			delete(c.jobs, id)
			jobs[id] = j
		}
	}
	c.mu.Unlock()
	for id, j := range jobs {
		if closed {
			j.finish("", fmt.Errorf("esl: bgapi %s (Job-UUID %s): %w", j.Command, id, ErrClosed))
		} else {
			j.finish("", fmt.Errorf("esl: bgapi %s (Job-UUID %s): result lost: %w: %w", j.Command, id, ErrDisconnected, s.err))
		}
	}
	return closed
}

// disconnectNotice is the reason of a session ended by FreeSWITCH's
// text/disconnect-notice.
type disconnectNotice struct{ body string }

func (d *disconnectNotice) Error() string {
	return fmt.Sprintf("esl: FreeSWITCH sent a disconnect notice: %q", strings.TrimSpace(d.body))
}

func (s *session) readLoop() {
	defer s.wg.Done()
	c := s.c
	for {
		f, err := s.rd.next()
		if err != nil {
			s.fail(fmt.Errorf("esl: read: %w", err))
			return
		}
		switch f.kind {
		case kindEventPlain, kindEventJSON:
			if f.tooLong {
				c.log.Warn("esl: discarded an oversized event", "length", f.length, "limit", c.opts.MaxBodySize)
				continue
			}
			var ev Event
			if f.kind == kindEventPlain {
				ev, err = parsePlainInto(f.body, &s.rd.spans)
			} else {
				ev, err = parseJSON(f.body)
			}
			if err != nil {
				c.log.Warn("esl: discarded an unparsable event", "err", err)
				continue
			}
			c.dispatch(&ev)
		case kindReply, kindAPI:
			r := &reply{kind: f.kind, replyText: f.replyText, jobUUID: f.jobUUID}
			var rerr error
			if f.tooLong {
				rerr = fmt.Errorf("%w: reply of %d bytes exceeds Options.MaxBodySize (%d)", ErrTooLong, f.length, c.opts.MaxBodySize)
			} else if f.kind == kindAPI {
				r.body = string(f.body)
			}
			s.mu.Lock()
			cl := s.inflight
			s.inflight = nil
			s.mu.Unlock()
			if cl == nil {
				s.fail(fmt.Errorf("%w: a reply arrived with no command in flight", ErrProtocol))
				return
			}
			cl.finish(r, rerr)
		case kindDisconnect:
			s.fail(&disconnectNotice{body: string(f.body)})
			return
		case kindRude:
			s.fail(fmt.Errorf("%w: connection rejected: %q", ErrAuth, strings.TrimSpace(string(f.body))))
			return
		case kindEventXML:
			c.log.Debug("esl: ignored an XML event")
		default:
			c.log.Debug("esl: ignored a message", "content-type", f.ctype, "kind", int(f.kind))
		}
	}
}

func (s *session) writeLoop() {
	defer s.wg.Done()
	for {
		var cl *call
		select {
		case <-s.done:
			return
		case cl = <-s.wq:
		}
		s.mu.Lock()
		if s.failed {
			s.mu.Unlock()
			return // cl's waiter sees done and that cl was never sent
		}
		if !cl.state.CompareAndSwap(callQueued, callSent) {
			s.mu.Unlock()
			continue // abandoned before it was written
		}
		s.inflight = cl
		s.mu.Unlock()
		_ = s.nc.SetWriteDeadline(time.Now().Add(s.c.opts.CommandTimeout))
		if _, err := s.nc.Write(cl.wire); err != nil {
			s.fail(fmt.Errorf("esl: write: %w", err))
			return
		}
		// One command in flight: ESL has no request IDs, replies come in
		// order, so the next command waits for this reply.
		select {
		case <-cl.done:
		case <-s.done:
			return
		}
	}
}

// dispatch completes a background job and delivers an event to the
// subscribers.
func (c *Conn) dispatch(ev *Event) {
	if ev.name == "BACKGROUND_JOB" {
		if id := ev.Get("Job-UUID"); id != "" {
			c.mu.Lock()
			j := c.jobs[id]
			delete(c.jobs, id)
			c.mu.Unlock()
			if j != nil {
				var err error
				if isErrorReply(ev.Body) {
					err = &Error{Command: j.Command, Reply: ev.Body}
				}
				j.finish(ev.Body, err)
			}
		}
		if !c.deliverJobs {
			return
		}
	}
	c.hub.Broadcast(*ev)
}

// setState records st and reports it to every subscriber. StateClosed also
// ends every Subscription.
func (c *Conn) setState(st State, err error) {
	current := st
	if st == StateReconnected {
		current = StateConnected
	}
	c.hub.SetState(Event{State: st, Err: err}, Event{State: current}, st == StateClosed)
}

// supervise keeps the live session alive, and after its loss reconnects,
// until Close.
func (c *Conn) supervise(s *session) {
	defer c.wg.Done()
	for {
		c.keepalive(s)
		s.wg.Wait()
		if c.isClosed() {
			c.finalize()
			return
		}
		c.log.Warn("esl: connection lost", "err", s.err)
		c.setState(StateDisconnected, s.err)
		if s = c.reconnect(); s == nil {
			c.finalize()
			return
		}
	}
}

// keepalive sends "api status" on s every PingInterval until s ends or the
// Conn closes (which ends s). A keepalive without reply within
// CommandTimeout discards s.
func (c *Conn) keepalive(s *session) {
	dialer.Keepalive(c.opts.PingInterval, s.done, c.closing, func() {
		ctx, cancel := context.WithTimeout(c.closeCtx, c.opts.CommandTimeout)
		_, err := c.do(ctx, "status", []byte(apiLine("status", nil, false)+terminator), s)
		cancel()
		if err != nil && c.closeCtx.Err() == nil {
			c.log.Debug("esl: keepalive failed", "err", err)
		}
	})
	select {
	case <-c.closing:
		s.fail(fmt.Errorf("esl: %w", ErrClosed))
	default:
	}
}

// reconnect dials until it succeeds (it returns the new live session) or
// the Conn is closed (it returns nil).
func (c *Conn) reconnect() *session {
	r := dialer.Retry{Min: c.opts.ReconnectMin, Max: c.opts.ReconnectMax, Timeout: c.opts.ConnectTimeout, Log: c.log, Name: "esl", Auth: ErrAuth}
	s, attempts, ok := dialer.Redial(c.closeCtx, r, c.connect)
	if !ok || !c.install(s, StateReconnected) {
		return nil
	}
	c.log.Info("esl: reconnected", "attempts", attempts)
	return s
}

// finalize fails what is left and ends every Subscription.
func (c *Conn) finalize() {
	c.mu.Lock()
	jobs := c.jobs
	c.jobs = make(map[string]*Job)
	c.sess = nil
	c.mu.Unlock()
	for id, j := range jobs {
		j.finish("", fmt.Errorf("esl: bgapi %s (Job-UUID %s): %w", j.Command, id, ErrClosed))
	}
	c.setState(StateClosed, nil)
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close sends "exit" (best effort, for at most a second), closes the
// connection, fails the commands in flight and the pending background jobs
// with ErrClosed, ends every Subscription (after its queued items) and
// waits for the Conn's goroutines to end. It is idempotent and always
// returns nil.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		s := c.sess
		c.mu.Unlock()
		if s != nil {
			ctx, cancel := context.WithTimeout(context.Background(), exitTimeout)
			_, _ = c.do(ctx, "exit", []byte(command.Exit{}.BuildMessage()+terminator), s)
			cancel()
			s.fail(fmt.Errorf("esl: %w", ErrClosed))
		}
		c.cancelClose()
		close(c.closing)
		c.wg.Wait()
		c.log.Info("esl: closed")
	})
	return nil
}

// State returns the connection's current state: StateConnected (also after
// a reconnection), StateDisconnected or StateClosed.
func (c *Conn) State() State {
	return c.hub.State().State
}

// Subscribe returns a new Subscription to the Conn's events and state
// changes, with a queue of buffer items (Options.EventBuffer if buffer <=
// 0). Its first item is the current state (StateConnected or
// StateDisconnected). Subscribe on a closed Conn returns a Subscription
// whose Next returns ErrClosed.
func (c *Conn) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = c.opts.EventBuffer
	}
	return &Subscription{hub: c.hub, q: c.hub.Subscribe(buffer)}
}

// API runs "api cmd args..." and returns FreeSWITCH's reply body. A body
// starting with "-ERR" or "-USAGE" is also returned with a *Error carrying
// it (errors.As gives the raw reply); any other body, including
// mod_voicemail's "-OK", is a success.
//
// The command word and every argument are validated before anything is
// written (see Security in the package documentation): an argument may
// contain spaces only inside single quotes (QuoteArg), and shell-reaching
// commands are refused with ErrForbidden.
//
// Commands are written one at a time in the order API, BackgroundAPI were
// called. API waits until ctx is done, or for Options.CommandTimeout if
// ctx has no deadline; when that happens after the command was written,
// the connection is discarded and re-established, so that the late reply
// can never be taken for the reply to another command. If the connection
// is down, API fails at once with ErrUnavailable; if it is lost with the
// command in flight, with ErrDisconnected. Commands are never sent again
// after a reconnection.
func (c *Conn) API(ctx context.Context, cmd string, args ...string) (string, error) {
	if err := checkCommand(cmd, args); err != nil {
		return "", err
	}
	line := apiLine(cmd, args, false)
	if len(line) > MaxCommandLength {
		return "", fmt.Errorf("%w: command of %d bytes (max %d)", ErrTooLong, len(line), MaxCommandLength)
	}
	r, err := c.do(ctx, cmd, []byte(line+terminator), nil)
	if err != nil {
		return "", err
	}
	if r.kind == kindReply {
		// Refused before running, such as "-ERR permission denied" for a
		// userauth account.
		if isErrorReply(r.replyText) {
			return r.replyText, &Error{Command: cmd, Reply: r.replyText}
		}
		return r.replyText, nil
	}
	if isErrorReply(r.body) {
		return r.body, &Error{Command: cmd, Reply: r.body}
	}
	return r.body, nil
}

// Job is a command started by BackgroundAPI. It is safe for concurrent
// use.
type Job struct {
	// ID is the Job-UUID, chosen by the Conn and sent with the command (or
	// the one FreeSWITCH chose, if it ignored the header).
	ID string
	// Command is the command word.
	Command string

	sess   *session
	done   chan struct{}
	once   sync.Once
	result string
	err    error
}

func (j *Job) finish(result string, err error) {
	j.once.Do(func() {
		j.result, j.err = result, err
		close(j.done)
	})
}

// Done is closed when the job's result (or failure) is known.
func (j *Job) Done() <-chan struct{} { return j.done }

// Wait waits for the job's BACKGROUND_JOB event and returns its body, the
// command's output. A body starting with "-ERR" or "-USAGE" is returned
// with a *Error. If the connection is lost before the result arrives, the
// result is lost with it and Wait returns ErrDisconnected: the command may
// or may not have run. Wait returns ctx's error if ctx ends first; the job
// is not cancelled and Wait may be called again.
func (j *Job) Wait(ctx context.Context) (string, error) {
	select {
	case <-j.done:
		return j.result, j.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// BackgroundAPI runs "bgapi cmd args..." with a Job-UUID header chosen by
// the Conn, and returns once FreeSWITCH has accepted the job ("+OK
// Job-UUID: ..."). The result arrives later in a BACKGROUND_JOB event,
// which the Conn correlates by its Job-UUID: use Job.Wait. The command is
// validated and sent as API describes.
func (c *Conn) BackgroundAPI(ctx context.Context, cmd string, args ...string) (*Job, error) {
	if err := checkCommand(cmd, args); err != nil {
		return nil, err
	}
	id := newUUID()
	line := apiLine(cmd, args, true) + "\nJob-UUID: " + id
	if len(line) > MaxCommandLength {
		return nil, fmt.Errorf("%w: command of %d bytes (max %d)", ErrTooLong, len(line), MaxCommandLength)
	}
	j := &Job{ID: id, Command: cmd, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("esl: %s: %w", cmd, ErrClosed)
	}
	if c.sess != nil {
		j.sess = c.sess
		c.jobs[id] = j // before the command: the event may follow at once
	}
	c.mu.Unlock()
	r, err := c.do(ctx, cmd, []byte(line+terminator), j.sess)
	if err == nil && !strings.HasPrefix(r.replyText, "+OK") {
		err = &Error{Command: cmd, Reply: r.replyText}
	}
	if err != nil {
		c.mu.Lock()
		if c.jobs[id] == j {
			delete(c.jobs, id)
		}
		c.mu.Unlock()
		return nil, err
	}
	if r.jobUUID != "" && r.jobUUID != id {
		// A server that ignored the Job-UUID header chose its own.
		c.mu.Lock()
		if c.jobs[id] == j {
			delete(c.jobs, id)
			j.ID = r.jobUUID
			c.jobs[j.ID] = j
		}
		c.mu.Unlock()
	}
	return j, nil
}

// do sends wire on s (the live session if s is nil) and waits for the
// reply.
func (c *Conn) do(ctx context.Context, name string, wire []byte, s *session) (*reply, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	internal := s != nil
	cl := &call{name: name, wire: wire, done: make(chan struct{})}
	c.mu.Lock()
	switch {
	case !internal && c.closed:
		c.mu.Unlock()
		return nil, fmt.Errorf("esl: %s: %w", name, ErrClosed)
	case !internal:
		s = c.sess
	case c.sess != s:
		s = nil
	}
	c.mu.Unlock()
	if s == nil {
		return nil, fmt.Errorf("esl: %s: not sent: %w", name, ErrUnavailable)
	}

	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(c.opts.CommandTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case s.wq <- cl:
	case <-s.done:
		return nil, c.notSent(name, s)
	case <-ctx.Done():
		return nil, fmt.Errorf("esl: %s: not sent: %w", name, ctx.Err())
	case <-timeout:
		return nil, fmt.Errorf("esl: %s: not sent within %v: %w", name, c.opts.CommandTimeout, context.DeadlineExceeded)
	}

	var werr error
	select {
	case <-cl.done:
		return cl.resp, cl.err
	case <-s.done:
		if cl.state.CompareAndSwap(callQueued, callCanceled) {
			return nil, c.notSent(name, s)
		}
		<-cl.done // it was written: the failure finishes it
		return cl.resp, cl.err
	case <-ctx.Done():
		werr = ctx.Err()
	case <-timeout:
		werr = fmt.Errorf("no reply within %v: %w", c.opts.CommandTimeout, context.DeadlineExceeded)
	}
	if cl.state.CompareAndSwap(callQueued, callCanceled) {
		return nil, fmt.Errorf("esl: %s: not sent: %w", name, werr)
	}
	select {
	case <-cl.done:
		return cl.resp, cl.err // the reply won the race
	default:
	}
	// Written, no reply: the reply may still come, and ESL cannot tell
	// whose it is. Discard the connection so that it never reaches the
	// next command.
	c.log.Warn("esl: command timed out; discarding the connection", "command", name)
	s.fail(fmt.Errorf("esl: %s timed out with its reply pending; connection discarded: %w", name, werr))
	return nil, fmt.Errorf("esl: %s: no reply (connection discarded; the command may have run): %w", name, werr)
}

// notSent is the error of a command whose session ended before it was
// written.
func (c *Conn) notSent(name string, s *session) error {
	if c.isClosed() {
		return fmt.Errorf("esl: %s: %w", name, ErrClosed)
	}
	return fmt.Errorf("esl: %s: not sent: %w: %w", name, ErrUnavailable, s.err)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 36)
	j := 0
	for i, x := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[x>>4], hex[x&0x0f]
		j += 2
	}
	return string(out)
}
