package ami

import (
	"bufio"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pbxkit/pbxkit/internal/dialer"
	"github.com/pbxkit/pbxkit/internal/evq"
)

// logoffTimeout bounds the Logoff that Close sends.
const logoffTimeout = time.Second

// writeQueueLen is the length of a session's queue of actions to write.
const writeQueueLen = 1024

// Conn is a logged-in AMI connection that reconnects by itself. It is safe
// for concurrent use by multiple goroutines.
//
// Conn runs three goroutines: a reader, which parses every message and
// dispatches responses, list items and events; a writer, which writes the
// actions one after the other in the order they were issued; and a
// supervisor, which sends keepalive Pings and reconnects. Close ends them
// all.
type Conn struct {
	addr     string
	opts     Options
	log      *slog.Logger
	idPrefix string
	idSeq    atomic.Uint64

	mu      sync.Mutex
	sess    *session // nil while down
	pending map[string]*call
	closed  bool

	hub *evq.Hub[Event] // subscriptions and state

	closing     chan struct{}
	closeCtx    context.Context
	cancelClose context.CancelFunc
	closeOnce   sync.Once
	wg          sync.WaitGroup
}

// session is one TCP (or TLS) connection of a Conn, from Login to loss.
type session struct {
	c      *Conn
	nc     net.Conn
	rd     *frameReader
	banner string
	wq     chan *call
	done   chan struct{}
	once   sync.Once
	err    error // why it ended; set before done is closed
	wg     sync.WaitGroup
}

// Call states: written or not.
const (
	callQueued int32 = iota
	callSent
	callCanceled
)

// call is one action waiting for its response. It is finished by whoever
// removes it from Conn.pending (the reader, a session failure or Close);
// its waiter may abandon it by removing it first.
type call struct {
	action string
	id     string
	wire   []byte
	list   bool
	sess   *session
	state  atomic.Int32
	done   chan struct{}

	// Set before done is closed.
	resp     *Message
	items    []*Message
	complete *Message
	err      error
}

func (cl *call) finish(resp *Message, err error) {
	cl.resp, cl.err = resp, err
	close(cl.done)
}

// Dial connects to the AMI server at addr ("host:port", usually port 5038,
// or 5039 for TLS), logs in and returns the Conn. It returns an error
// matching ErrAuth if the server refuses the credentials. ctx bounds the
// connection and Login only; when it has no deadline, Options.ConnectTimeout
// applies. opts may be nil; it is copied, never modified.
//
// Once connected, the Conn pings the server every Options.PingInterval and
// reconnects after any loss until Close is called.
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
	var rnd [6]byte
	_, _ = crand.Read(rnd[:])
	c := &Conn{
		addr:     addr,
		opts:     o,
		log:      o.Logger.With("ami", addr),
		idPrefix: o.IDPrefix + hex.EncodeToString(rnd[:]) + "-",
		pending:  make(map[string]*call),
		hub:      newHub(),
		closing:  make(chan struct{}),
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
	c.log.Info("ami: connected", "banner", s.banner)
	c.install(s, StateConnected)
	c.wg.Add(1)
	go c.supervise(s)
	return c, nil
}

func (c *Conn) nextID() string {
	b := make([]byte, 0, len(c.idPrefix)+8)
	b = append(b, c.idPrefix...)
	b = strconv.AppendUint(b, c.idSeq.Add(1), 10)
	return string(b)
}

// connect dials, logs in and returns a session whose goroutines are not
// started yet.
func (c *Conn) connect(ctx context.Context) (*session, error) {
	return dialer.Connect(ctx, c.opts.Dialer, c.addr, c.opts.TLS, "login to", ErrUnavailable, ErrAuth, c.login)
}

// login sends the Login (without waiting for the greeting, which the
// protocol allows), reads the greeting and the Login's response.
func (c *Conn) login(nc net.Conn) (*session, error) {
	events := "off"
	if c.opts.Events {
		events = "on"
	}
	if c.opts.EventMask != "" {
		events = c.opts.EventMask
	}
	id := c.nextID()
	login := NewAction("Login").
		Add("Username", c.opts.Username).
		Add("Secret", c.opts.Secret).
		Add("Events", events)
	wire, _, err := appendAction(nil, login, id)
	if err != nil {
		return nil, err // names the header, never the value
	}
	if _, err := nc.Write(wire); err != nil {
		return nil, fmt.Errorf("%w: login to %s: write: %w", ErrUnavailable, c.addr, err)
	}
	rd := newFrameReader(bufio.NewReaderSize(nc, readBufferSize), c.opts.MaxMessageSize, c.opts.MaxHeaders)
	banner, err := rd.readBanner()
	if err != nil {
		if !errors.Is(err, ErrProtocol) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, fmt.Errorf("ami: greeting from %s: %w", c.addr, err)
	}
	for {
		msg, _, err := rd.next()
		if err != nil {
			return nil, fmt.Errorf("%w: login to %s: read: %w", ErrUnavailable, c.addr, err)
		}
		if msg.Event() != "" || msg.Response() == "" {
			continue
		}
		if got := msg.ActionID(); got != "" && got != id {
			continue
		}
		if !strings.EqualFold(msg.Response(), "Success") {
			return nil, fmt.Errorf("%w: %w", ErrAuth, newError("Login", id, msg))
		}
		break
	}
	return &session{
		c:      c,
		nc:     nc,
		rd:     rd,
		banner: banner,
		wq:     make(chan *call, writeQueueLen),
		done:   make(chan struct{}),
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

// fail ends the session once: it closes the network connection and fails
// every action in flight on it at once.
func (s *session) fail(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
		_ = s.nc.Close()
		s.c.dropSession(s)
	})
}

func (c *Conn) dropSession(s *session) {
	c.mu.Lock()
	if c.sess == s {
		c.sess = nil
	}
	closed := c.closed
	var calls []*call
	for id, cl := range c.pending {
		if cl.sess == s {
			delete(c.pending, id)
			calls = append(calls, cl)
		}
	}
	c.mu.Unlock()
	for _, cl := range calls {
		switch {
		case closed:
			cl.finish(nil, fmt.Errorf("ami: %s: %w", cl.action, ErrClosed))
		case cl.state.CompareAndSwap(callQueued, callCanceled):
			cl.finish(nil, fmt.Errorf("ami: %s: not sent: %w: %w", cl.action, ErrUnavailable, s.err))
		default:
			cl.finish(nil, fmt.Errorf("ami: %s (ActionID %s): %w: %w", cl.action, cl.id, ErrDisconnected, s.err))
		}
	}
}

func (s *session) readLoop() {
	defer s.wg.Done()
	for {
		msg, ovf, err := s.rd.next()
		if err != nil {
			s.fail(fmt.Errorf("ami: read: %w", err))
			return
		}
		if ovf != nil {
			s.c.overflowed(ovf)
			continue
		}
		s.c.dispatch(msg)
	}
}

func (s *session) writeLoop() {
	defer s.wg.Done()
	var buf []byte
	for {
		var cl *call
		select {
		case <-s.done:
			return
		case cl = <-s.wq:
		}
		buf = buf[:0]
	batch:
		for {
			if cl.state.CompareAndSwap(callQueued, callSent) {
				buf = append(buf, cl.wire...)
			}
			if len(buf) >= 64<<10 {
				break
			}
			select {
			case cl = <-s.wq:
			default:
				break batch
			}
		}
		if len(buf) == 0 {
			continue
		}
		_ = s.nc.SetWriteDeadline(time.Now().Add(s.c.opts.ActionTimeout))
		if _, err := s.nc.Write(buf); err != nil {
			s.fail(fmt.Errorf("ami: write: %w", err))
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
}

// dispatch routes one message from the server. Messages are classified by
// their Event header first: OriginateResponse is an event that carries a
// Response header.
func (c *Conn) dispatch(msg *Message) {
	var ev, resp, id, priv, elist string
	for i := range msg.headers {
		h := &msg.headers[i]
		switch len(h.Key) {
		case 5:
			if ev == "" && strings.EqualFold(h.Key, "Event") {
				ev = h.Value
			}
		case 8:
			if id == "" && strings.EqualFold(h.Key, "ActionID") {
				id = h.Value
			} else if resp == "" && strings.EqualFold(h.Key, "Response") {
				resp = h.Value
			}
		case 9:
			if priv == "" && strings.EqualFold(h.Key, "Privilege") {
				priv = h.Value
			} else if elist == "" && strings.EqualFold(h.Key, "EventList") {
				elist = h.Value
			}
		}
	}
	switch {
	case ev != "":
		if id != "" {
			c.mu.Lock()
			cl := c.pending[id]
			if cl != nil && cl.list {
				if strings.EqualFold(elist, "Complete") || (elist == "" && strings.HasSuffix(ev, "Complete")) {
					delete(c.pending, id)
					cl.complete = msg
					c.mu.Unlock()
					resp := cl.resp
					if resp == nil {
						resp = msg
					}
					cl.finish(resp, nil)
					return
				}
				cl.items = append(cl.items, msg)
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			if priv == "" {
				// A list item whose action is gone (timed out or
				// cancelled): it is no broadcast event.
				c.log.Debug("ami: dropped list item of an unknown action", "event", ev, "actionid", id)
				return
			}
		}
		c.hub.Broadcast(Event{Message: msg})
	case resp != "":
		if id == "" {
			c.log.Debug("ami: dropped response without ActionID", "response", resp)
			return
		}
		c.mu.Lock()
		cl := c.pending[id]
		if cl == nil {
			c.mu.Unlock()
			c.log.Debug("ami: dropped response of an unknown action", "actionid", id)
			return
		}
		isErr := strings.EqualFold(resp, "Error")
		if cl.list && !isErr && (strings.EqualFold(elist, "start") || willFollow(msg)) {
			cl.resp = msg // items follow
			c.mu.Unlock()
			return
		}
		delete(c.pending, id)
		c.mu.Unlock()
		if isErr {
			cl.finish(nil, newError(cl.action, id, msg))
		} else {
			cl.finish(msg, nil)
		}
	default:
		c.log.Debug("ami: dropped message without Event or Response", "headers", len(msg.headers))
	}
}

// willFollow reports a list acknowledgement without "EventList: start", as
// some actions of older Asterisk versions send ("Channel status will
// follow").
func willFollow(m *Message) bool {
	msg := strings.TrimSpace(m.Get("Message"))
	return len(msg) >= len("will follow") && strings.EqualFold(msg[len(msg)-len("will follow"):], "will follow")
}

// overflowed fails the action whose response was too large to keep.
func (c *Conn) overflowed(o *overflowError) {
	c.log.Warn("ami: discarded an oversized message", "event", o.event, "actionid", o.actionID, "limit", o.limit)
	if o.actionID == "" {
		return
	}
	c.mu.Lock()
	cl := c.pending[o.actionID]
	if cl != nil && (o.event == "" || cl.list) {
		delete(c.pending, o.actionID)
	} else {
		cl = nil
	}
	c.mu.Unlock()
	if cl != nil {
		cl.finish(nil, fmt.Errorf("ami: %s (ActionID %s): %w", cl.action, cl.id, o))
	}
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

// supervise pings the live session, and after its loss reconnects, until
// Close.
func (c *Conn) supervise(s *session) {
	defer c.wg.Done()
	for {
		c.keepalive(s)
		select {
		case <-c.closing:
			s.fail(fmt.Errorf("ami: %w", ErrClosed))
		default:
		}
		s.wg.Wait()
		if c.isClosed() {
			c.finalize()
			return
		}
		c.log.Warn("ami: connection lost", "err", s.err)
		c.setState(StateDisconnected, s.err)
		if s = c.reconnect(); s == nil {
			c.finalize()
			return
		}
	}
}

// keepalive pings s every PingInterval until s ends or the Conn closes. A
// Ping without a response within PingTimeout ends s.
func (c *Conn) keepalive(s *session) {
	dialer.Keepalive(c.opts.PingInterval, s.done, c.closing, func() {
		ctx, cancel := context.WithTimeout(c.closeCtx, c.opts.PingTimeout)
		_, err := c.do(ctx, NewAction("Ping"), false, s)
		cancel()
		var aerr *Error
		if err == nil || errors.As(err, &aerr) || c.closeCtx.Err() != nil {
			return // any response is a pong
		}
		if errors.Is(err, context.DeadlineExceeded) {
			s.fail(fmt.Errorf("ami: keepalive: no response to Ping within %v: %w", c.opts.PingTimeout, context.DeadlineExceeded))
		}
	})
}

// reconnect dials until it succeeds (it returns the new live session) or
// the Conn is closed (it returns nil).
func (c *Conn) reconnect() *session {
	r := dialer.Retry{Min: c.opts.ReconnectMin, Max: c.opts.ReconnectMax, Timeout: c.opts.ConnectTimeout, Log: c.log, Name: "ami", Auth: ErrAuth}
	s, attempts, ok := dialer.Redial(c.closeCtx, r, c.connect)
	if !ok || !c.install(s, StateReconnected) {
		return nil
	}
	c.log.Info("ami: reconnected", "banner", s.banner, "attempts", attempts)
	return s
}

// finalize fails what is left and ends every Subscription.
func (c *Conn) finalize() {
	c.mu.Lock()
	calls := make([]*call, 0, len(c.pending))
	for id, cl := range c.pending {
		delete(c.pending, id)
		calls = append(calls, cl)
	}
	c.sess = nil
	c.mu.Unlock()
	for _, cl := range calls {
		cl.finish(nil, fmt.Errorf("ami: %s: %w", cl.action, ErrClosed))
	}
	c.setState(StateClosed, nil)
}

func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// Close logs off (best effort, for at most a second), closes the
// connection, fails the actions in flight with ErrClosed, ends every
// Subscription (after its queued items) and waits for the Conn's
// goroutines to end. It is idempotent and always returns nil.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		s := c.sess
		c.mu.Unlock()
		if s != nil {
			ctx, cancel := context.WithTimeout(context.Background(), logoffTimeout)
			_, _ = c.do(ctx, NewAction("Logoff"), false, s)
			cancel()
			s.fail(fmt.Errorf("ami: %w", ErrClosed))
		}
		c.cancelClose()
		close(c.closing)
		c.wg.Wait()
		c.log.Info("ami: closed")
	})
	return nil
}

// State returns the connection's current state: StateConnected (also after
// a reconnection), StateDisconnected or StateClosed.
func (c *Conn) State() State {
	return c.hub.State().State
}

// Banner returns the greeting of the current connection, such as
// "Asterisk Call Manager/5.0.4", or "" while disconnected.
func (c *Conn) Banner() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return ""
	}
	return c.sess.banner
}

// Subscribe returns a new Subscription to the Conn's events and state
// changes, with a queue of buffer items (Options.EventBuffer if buffer <=
// 0). Its first item is the current state (StateConnected or
// StateDisconnected). Events are delivered only if the Conn logged in with
// Options.Events or Options.EventMask. Subscribe on a closed Conn returns a
// Subscription whose Next returns ErrClosed.
func (c *Conn) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = c.opts.EventBuffer
	}
	return &Subscription{hub: c.hub, q: c.hub.Subscribe(buffer)}
}

// Do sends action and returns its response. It assigns an ActionID unless
// the action has one (which must not be in flight already); action itself
// is never modified. Actions are written in the order Do is called, by one
// writer.
//
// A "Response: Error" is returned as a *Error. Do waits until ctx is done,
// or for Options.ActionTimeout if ctx has no deadline (the error then
// matches context.DeadlineExceeded); a response arriving later is dropped.
// If the connection is down, Do fails at once with ErrUnavailable; if it is
// lost while the action is in flight, with ErrDisconnected. Actions are
// never sent again after a reconnection.
//
// The action is validated before anything is written (see
// Message.Validate); Login, Challenge and Logoff are refused, as the Conn
// manages them. For list actions use DoList.
func (c *Conn) Do(ctx context.Context, action *Message) (*Message, error) {
	cl, err := c.do(ctx, action, false, nil)
	if err != nil {
		return nil, err
	}
	return cl.resp, nil
}

// List is the reply to a list action.
type List struct {
	// Response is the response that started the list ("EventList: start").
	// For an action that answered without starting a list, it is the whole
	// answer, and Items and Complete are empty.
	Response *Message
	// Items are the list's events, in wire order.
	Items []*Message
	// Complete is the final event ("EventList: Complete", such as
	// CoreShowChannelsComplete with ListItems; BridgeInfoComplete also
	// carries the bridge's fields).
	Complete *Message
}

// DoList sends a list action (CoreShowChannels, QueueStatus,
// PJSIPShowContacts, DBGet, ...) and collects its items: the events that
// carry its ActionID, until the one with "EventList: Complete". The items
// are not delivered to subscribers. It behaves as Do otherwise.
//
// Some list actions answer an empty list with an error instead (Asterisk
// 16: ConfbridgeListRooms and ConfbridgeList "No active conferences.",
// PJSIPShowContacts "No Contacts found"); DoList returns those as a *Error
// for which IsEmptyList reports true.
func (c *Conn) DoList(ctx context.Context, action *Message) (*List, error) {
	cl, err := c.do(ctx, action, true, nil)
	if err != nil {
		return nil, err
	}
	return &List{Response: cl.resp, Items: cl.items, Complete: cl.complete}, nil
}

// Command runs a CLI command (the Command action) and returns its output,
// one string per line; an empty output gives an empty slice. It accepts
// both Asterisk 14+'s "Output:" headers and the "Response: Follows" ...
// "--END COMMAND--" body of older versions. If the server answers with an
// error (such as an unknown command), Command returns the output it sent
// with the *Error.
func (c *Conn) Command(ctx context.Context, cli string) ([]string, error) {
	resp, err := c.Do(ctx, NewAction("Command").Add("Command", cli))
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Response != nil {
			return outputLines(e.Response), err
		}
		return nil, err
	}
	return outputLines(resp), nil
}

func outputLines(m *Message) []string {
	out := m.Values("Output")
	if len(out) == 1 && out[0] == "" {
		out = out[:0]
	}
	if out == nil {
		out = []string{}
	}
	return out
}

// do sends action on s (the live session if s is nil) and waits for its
// response. internal (s != nil) calls may send Login/Logoff and ignore
// closed.
func (c *Conn) do(ctx context.Context, action *Message, list bool, s *session) (*call, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	wire, id, err := appendAction(make([]byte, 0, 128), action, c.nextIDFor(action))
	if err != nil {
		return nil, err
	}
	name := action.Action()
	if s == nil {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "login", "logoff", "challenge":
			return nil, fmt.Errorf("%w: the %s action is managed by Conn", ErrInvalidField, name)
		}
	}
	cl := &call{action: name, id: id, wire: wire, list: list, done: make(chan struct{})}

	c.mu.Lock()
	switch {
	case s == nil && c.closed:
		c.mu.Unlock()
		return nil, fmt.Errorf("ami: %s: %w", name, ErrClosed)
	case s == nil:
		s = c.sess
	case c.sess != s:
		s = nil
	}
	if s == nil {
		c.mu.Unlock()
		return nil, fmt.Errorf("ami: %s: not sent: %w", name, ErrUnavailable)
	}
	if _, dup := c.pending[id]; dup {
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: ActionID %q is already in flight", ErrInvalidField, id)
	}
	cl.sess = s
	c.pending[id] = cl
	c.mu.Unlock()

	select {
	case s.wq <- cl:
	case <-s.done: // the session's failure finishes cl
	case <-ctx.Done():
		if c.abandon(cl) {
			return nil, fmt.Errorf("ami: %s: not sent: %w", name, ctx.Err())
		}
	}

	var timeout <-chan time.Time
	if _, ok := ctx.Deadline(); !ok {
		t := time.NewTimer(c.opts.ActionTimeout)
		defer t.Stop()
		timeout = t.C
	}
	var werr error
	select {
	case <-cl.done:
		return cl, cl.err
	case <-ctx.Done():
		werr = ctx.Err()
	case <-timeout:
		werr = fmt.Errorf("no response within %v: %w", c.opts.ActionTimeout, context.DeadlineExceeded)
	}
	if !c.abandon(cl) {
		<-cl.done // finished meanwhile: keep the result
		return cl, cl.err
	}
	if cl.state.Load() == callCanceled {
		return nil, fmt.Errorf("ami: %s: not sent: %w", name, werr)
	}
	return nil, fmt.Errorf("ami: %s (ActionID %s): %w", name, id, werr)
}

// nextIDFor returns a new ActionID unless action carries one.
func (c *Conn) nextIDFor(action *Message) string {
	if action != nil {
		if _, ok := action.Lookup("ActionID"); ok {
			return ""
		}
	}
	return c.nextID()
}

// abandon withdraws cl after its waiter gave up. It returns false if cl was
// already finished (or being finished) by someone else.
func (c *Conn) abandon(cl *call) bool {
	c.mu.Lock()
	mine := c.pending[cl.id] == cl
	if mine {
		delete(c.pending, cl.id)
	}
	c.mu.Unlock()
	if mine {
		cl.state.CompareAndSwap(callQueued, callCanceled)
	}
	return mine
}
