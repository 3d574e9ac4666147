package asterisktest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// DefaultPhoneUserAgent is the User-Agent header a Phone sends by default.
const DefaultPhoneUserAgent = "pbxkit-test-phone/1.0"

// DefaultPhoneExpires is the registration lifetime a Phone asks for by
// default (Asterisk's minimum_expiration is 60 s).
const DefaultPhoneExpires = 60 * time.Second

// PhoneMode is how a Phone handles an incoming INVITE.
type PhoneMode int32

const (
	// Answer sends 180 Ringing, then (after PhoneOptions.AnswerDelay) 200 OK
	// with an SDP answer offering PCMU/8000 on a local RTP port. No media is sent.
	Answer PhoneMode = iota
	// Busy rejects with 486 Busy Here.
	Busy
	// RingForever sends 180 Ringing and never answers; the caller's CANCEL
	// ends the attempt (200 to the CANCEL, 487 to the INVITE).
	RingForever
)

// String returns "answer", "busy" or "ring-forever".
func (m PhoneMode) String() string {
	switch m {
	case Answer:
		return "answer"
	case Busy:
		return "busy"
	case RingForever:
		return "ring-forever"
	}
	return "PhoneMode(" + strconv.Itoa(int(m)) + ")"
}

// PhoneOptions configures Register. The zero value (or nil) gives the defaults.
type PhoneOptions struct {
	// UserAgent is the User-Agent header; "" means DefaultPhoneUserAgent.
	UserAgent string
	// Mode is the initial mode (the zero value is Answer); see SetMode.
	Mode PhoneMode
	// Secret replaces the fixture secret (to test a failing registration).
	Secret string
	// Expires is the registration lifetime asked for; 0 means
	// DefaultPhoneExpires. The Phone refreshes at half the granted lifetime.
	Expires time.Duration
	// AnswerDelay is how long an Answer-mode phone rings before it answers.
	AnswerDelay time.Duration
	// NoRefresh turns off refreshing the registration.
	NoRefresh bool
}

// PhoneStats are a Phone's counters since Register.
type PhoneStats struct {
	// Registers counts successful REGISTER exchanges (refreshes included, Unregister excluded).
	Registers int
	// Invites counts initial INVITEs received (re-INVITEs excluded).
	Invites int
	// Answered counts calls answered with 200 OK.
	Answered int
	// Rejected counts calls rejected with 486 Busy Here.
	Rejected int
	// Cancelled counts calls the caller cancelled while they rang.
	Cancelled int
	// ReInvites counts in-dialog INVITEs answered.
	ReInvites int
	// ByesReceived counts calls the PBX hung up with BYE.
	ByesReceived int
	// ByesSent counts calls the phone hung up with BYE.
	ByesSent int
	// Active is the number of calls ringing or answered right now (placed
	// calls count once answered).
	Active int
	// Options counts OPTIONS (qualify) requests answered.
	Options int
	// Notifies counts NOTIFY requests answered.
	Notifies int
	// Dialed counts calls the phone placed with Dial that were answered.
	Dialed int
}

// Invite describes an initial INVITE a Phone received.
type Invite struct {
	// CallID is the Call-ID.
	CallID string
	// From and To are the headers' values as received.
	From, To string
	// FromUser and FromDisplay are the caller's user part and display name.
	FromUser, FromDisplay string
	// Headers holds every header's values by lower-case name.
	Headers map[string][]string
	// SDP is the body (Asterisk's offer).
	SDP string
	// At is when it arrived.
	At time.Time
}

// Header returns the first value of the named header (case-insensitive), or "".
func (i Invite) Header(name string) string {
	if v := i.Headers[strings.ToLower(name)]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Notification is a NOTIFY a Phone received (for example unsolicited MWI).
type Notification struct {
	// Event is the Event header ("message-summary" for MWI).
	Event string
	// ContentType is the Content-Type header.
	ContentType string
	// Body is the body.
	Body string
}

// Phone is an in-process SIP user agent registered to a Server's PJSIP UDP
// transport as one fixture extension. It answers OPTIONS and NOTIFY with 200,
// handles INVITEs according to its mode, answers re-INVITEs, ACK and BYE,
// and supports any number of concurrent calls. It is safe for concurrent use.
type Phone struct {
	// Ext is the extension (SIP user) the phone registered as.
	Ext string
	// Addr is the phone's local SIP address, "127.0.0.1:port".
	Addr string
	// UserAgent is the User-Agent header it sends.
	UserAgent string

	secret    string
	server    string // Asterisk's host:port
	host      string
	port      int
	expires   time.Duration
	ansDelay  time.Duration
	mode      atomic.Int32
	conn      net.PacketConn
	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	client    *sipgo.Client
	dialogs   *sipgo.DialogClientCache
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	regMu      sync.Mutex // serializes REGISTER exchanges
	regCallID  string
	regFromTag string
	regCSeq    uint32
	refreshStp chan struct{}

	mu       sync.Mutex
	calls    map[string]*phoneCall
	stats    PhoneStats
	invites  []Invite
	notifies []Notification
	lastReg  error
	changed  chan struct{}
}

type phoneCall struct {
	callID   string
	answered bool
	local    sip.Uri // our address (To of the INVITE, with our tag)
	localTag string
	remote   sip.Uri // the INVITE's From
	remTag   string
	target   sip.Uri // the INVITE's Contact: where in-dialog requests go
	contact  sip.Uri // our Contact
	cseq     uint32
	rtp      net.PacketConn
	sessID   int64
	sessVer  int64
	hangup   chan struct{} // closed to make a ringing call give up
}

var sipLogOnce sync.Once

// Register starts a Phone for the fixture extension ext on a local UDP port
// of 127.0.0.1 and registers it to the server with digest authentication,
// returning once Asterisk accepted the registration. The registration is
// refreshed until Unregister or Close; the phone is closed when the test
// that started the server ends.
func (s *Server) Register(ctx context.Context, ext string, opts *PhoneOptions) (*Phone, error) {
	e, ok := s.Fixture.Extension(ext)
	if !ok {
		return nil, fmt.Errorf("asterisktest: %q is not a fixture extension", ext)
	}
	p, err := NewPhone(s.SIPAddr, e.Number, e.Secret, opts)
	if err != nil {
		return nil, err
	}
	s.t.Cleanup(p.Close)
	if err := p.Reregister(ctx); err != nil {
		p.Close()
		return nil, err
	}
	if opts == nil || !opts.NoRefresh {
		p.startRefresh()
	}
	return p, nil
}

// NewPhone creates a Phone for user/secret that will register to the PJSIP
// UDP transport at server ("host:port"), without registering yet: call
// Reregister. Server.Register is the usual way to get a Phone.
func NewPhone(server, user, secret string, opts *PhoneOptions) (*Phone, error) {
	if opts == nil {
		opts = &PhoneOptions{}
	}
	if opts.Secret != "" {
		secret = opts.Secret
	}
	sipLogOnce.Do(func() {
		sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	})
	host, portStr, err := net.SplitHostPort(server)
	if err != nil {
		return nil, fmt.Errorf("asterisktest: bad SIP address %q: %w", server, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("asterisktest: bad SIP address %q: %w", server, err)
	}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("asterisktest: phone socket: %w", err)
	}
	laddr := conn.LocalAddr().(*net.UDPAddr)
	p := &Phone{
		Ext:        user,
		Addr:       laddr.String(),
		UserAgent:  opts.UserAgent,
		secret:     secret,
		server:     server,
		host:       host,
		port:       port,
		expires:    opts.Expires,
		ansDelay:   opts.AnswerDelay,
		conn:       conn,
		calls:      map[string]*phoneCall{},
		changed:    make(chan struct{}),
		regCallID:  randomToken(24) + "@pbxkit-test-phone",
		regFromTag: randomToken(12),
		regCSeq:    uint32(rand.IntN(1000) + 1),
	}
	if p.UserAgent == "" {
		p.UserAgent = DefaultPhoneUserAgent
	}
	if p.expires <= 0 {
		p.expires = DefaultPhoneExpires
	}
	p.mode.Store(int32(opts.Mode))
	p.ctx, p.cancel = context.WithCancel(context.Background())

	ua, err := sipgo.NewUA(sipgo.WithUserAgent(user), sipgo.WithUserAgentHostname("127.0.0.1"))
	if err != nil {
		conn.Close()
		return nil, err
	}
	p.ua = ua
	p.srv, err = sipgo.NewServer(ua)
	if err == nil {
		p.client, err = sipgo.NewClient(ua,
			sipgo.WithClientConnectionAddr(p.Addr),
			sipgo.WithClientHostname("127.0.0.1"),
			sipgo.WithClientPort(laddr.Port))
	}
	if err != nil {
		ua.Close()
		conn.Close()
		return nil, err
	}
	p.dialogs = sipgo.NewDialogClientCache(p.client, *p.contact())
	p.srv.OnInvite(p.onInvite)
	p.srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	p.srv.OnBye(p.onBye)
	p.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		p.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
	})
	p.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		p.bump(func(st *PhoneStats) { st.Options++ })
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		res.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, INFO, UPDATE, MESSAGE"))
		res.AppendHeader(sip.NewHeader("Accept", "application/sdp"))
		p.send(tx, res)
	})
	p.srv.OnNotify(p.onNotify)
	for _, m := range []sip.RequestMethod{sip.INFO, sip.UPDATE, sip.MESSAGE} {
		p.srv.OnRequest(m, func(req *sip.Request, tx sip.ServerTransaction) {
			p.respond(tx, req, 200, "OK", nil)
		})
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.srv.ServeUDP(conn)
	}()
	// ServeUDP puts the socket into the connection pool first thing; requests
	// sent before that would go out of another socket.
	for i := 0; ; i++ {
		if c, err := ua.TransportLayer().GetConnection("udp", p.Addr); err == nil && c != nil {
			break
		}
		if i == 200 {
			p.Close()
			return nil, errors.New("asterisktest: phone transport did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return p, nil
}

// SetMode changes how the next INVITEs are handled.
func (p *Phone) SetMode(m PhoneMode) { p.mode.Store(int32(m)) }

// Mode returns the current mode.
func (p *Phone) Mode() PhoneMode { return PhoneMode(p.mode.Load()) }

// Calls returns the number of calls ringing or answered right now (placed
// calls count once answered).
func (p *Phone) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats.Active
}

// Answered returns how many calls the phone answered since Register.
func (p *Phone) Answered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats.Answered
}

// Stats returns a snapshot of the phone's counters.
func (p *Phone) Stats() PhoneStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Invites returns the initial INVITEs received so far, oldest first.
func (p *Phone) Invites() []Invite {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Invite(nil), p.invites...)
}

// Notifications returns the NOTIFY requests received so far, oldest first.
func (p *Phone) Notifications() []Notification {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Notification(nil), p.notifies...)
}

// RegisterError returns the error of the last registration refresh, or nil.
func (p *Phone) RegisterError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastReg
}

// WaitFor blocks until cond is true of the phone's counters or ctx ends.
func (p *Phone) WaitFor(ctx context.Context, cond func(PhoneStats) bool) error {
	for {
		p.mu.Lock()
		st, ch := p.stats, p.changed
		p.mu.Unlock()
		if cond(st) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("asterisktest: phone %s: %w (stats %+v)", p.Ext, ctx.Err(), st)
		case <-ch:
		}
	}
}

// bump changes the counters under the lock and wakes WaitFor.
func (p *Phone) bump(f func(*PhoneStats)) {
	p.mu.Lock()
	f(&p.stats)
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()
}

// Reregister sends a REGISTER now (answering the digest challenge) and
// returns once Asterisk accepted it. After a PBX restart it registers the
// phone again without waiting for the next refresh.
func (p *Phone) Reregister(ctx context.Context) error {
	_, err := p.register(ctx, p.expires)
	p.mu.Lock()
	p.lastReg = err
	p.mu.Unlock()
	if err == nil {
		p.bump(func(st *PhoneStats) { st.Registers++ })
	}
	return err
}

// Unregister stops refreshing and removes the phone's contact (REGISTER with
// Expires: 0). The phone still answers requests until Close.
func (p *Phone) Unregister(ctx context.Context) error {
	p.stopRefresh()
	_, err := p.register(ctx, 0)
	return err
}

// Close stops the phone without unregistering: its contact stays in Asterisk
// until it expires, as when a phone loses power. Calls in progress are
// dropped without BYE. Close is idempotent.
func (p *Phone) Close() {
	p.closeOnce.Do(func() {
		p.stopRefresh()
		p.cancel()
		p.mu.Lock()
		for id, c := range p.calls {
			c.close()
			delete(p.calls, id)
		}
		p.mu.Unlock()
		_ = p.ua.Close()
		_ = p.conn.Close()
		p.wg.Wait()
	})
}

func (p *Phone) startRefresh() {
	p.regMu.Lock()
	defer p.regMu.Unlock()
	if p.refreshStp != nil {
		return
	}
	stop := make(chan struct{})
	p.refreshStp = stop
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		wait := p.expires / 2
		for {
			select {
			case <-stop:
				return
			case <-p.ctx.Done():
				return
			case <-time.After(wait):
			}
			ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
			granted, err := p.register(ctx, p.expires)
			cancel()
			p.mu.Lock()
			p.lastReg = err
			p.mu.Unlock()
			if err != nil {
				wait = time.Second
				continue
			}
			p.bump(func(st *PhoneStats) { st.Registers++ })
			wait = granted / 2
			if wait < time.Second {
				wait = time.Second
			}
		}
	}()
}

func (p *Phone) stopRefresh() {
	p.regMu.Lock()
	defer p.regMu.Unlock()
	if p.refreshStp != nil {
		close(p.refreshStp)
		p.refreshStp = nil
	}
}

// register sends one REGISTER with the given lifetime and returns the
// lifetime Asterisk granted.
func (p *Phone) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	p.regMu.Lock()
	defer p.regMu.Unlock()
	p.regCSeq++
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: p.host, Port: p.port})
	aor := sip.Uri{Scheme: "sip", User: p.Ext, Host: p.host}
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", p.regFromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor, Params: sip.NewParams()})
	callID := sip.CallIDHeader(p.regCallID)
	req.AppendHeader(&callID)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: p.regCSeq, MethodName: sip.REGISTER})
	req.AppendHeader(p.contact())
	secs := int(expires / time.Second)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(secs)))
	req.AppendHeader(sip.NewHeader("User-Agent", p.UserAgent))
	req.AppendHeader(sip.NewHeader("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS, NOTIFY, INFO, UPDATE, MESSAGE"))
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("asterisktest: phone %s: REGISTER: %w", p.Ext, err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		res, err = p.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: p.Ext, Password: p.secret})
		if cs := req.CSeq(); cs != nil {
			p.regCSeq = cs.SeqNo
		}
		if err != nil {
			return 0, fmt.Errorf("asterisktest: phone %s: REGISTER (auth): %w", p.Ext, err)
		}
	}
	if res.StatusCode != 200 {
		return 0, fmt.Errorf("asterisktest: phone %s: REGISTER: %d %s", p.Ext, res.StatusCode, res.Reason)
	}
	granted := expires
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil {
			granted = time.Duration(n) * time.Second
		}
	}
	for _, h := range res.GetHeaders("Contact") {
		if c, ok := h.(*sip.ContactHeader); ok && c.Address.Port == p.localPort() {
			if v, ok := c.Params.Get("expires"); ok {
				if n, err := strconv.Atoi(v); err == nil {
					granted = time.Duration(n) * time.Second
				}
			}
		}
	}
	return granted, nil
}

func (p *Phone) localPort() int { return p.conn.LocalAddr().(*net.UDPAddr).Port }

func (p *Phone) contact() *sip.ContactHeader {
	return &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: p.Ext, Host: "127.0.0.1", Port: p.localPort()}}
}

func (p *Phone) send(tx sip.ServerTransaction, res *sip.Response) {
	_ = tx.Respond(res)
}

func (p *Phone) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, body []byte) {
	p.send(tx, sip.NewResponseFromRequest(req, code, reason, body))
}

func (p *Phone) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	to := req.To()
	if to != nil {
		if _, ok := to.Params.Get("tag"); ok {
			p.onReInvite(req, tx, callID)
			return
		}
	}
	from := req.From()
	if from == nil || to == nil || callID == "" {
		p.respond(tx, req, 400, "Bad Request", nil)
		return
	}
	rtp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		p.respond(tx, req, 500, "Server Internal Error", nil)
		return
	}
	go drain(rtp)
	c := &phoneCall{
		callID:   callID,
		local:    to.Address,
		localTag: randomToken(12),
		remote:   from.Address,
		target:   from.Address,
		contact:  p.contact().Address,
		cseq:     uint32(rand.IntN(1000) + 1),
		rtp:      rtp,
		sessID:   rand.Int64N(1 << 40),
		hangup:   make(chan struct{}),
	}
	c.sessVer = c.sessID
	c.remTag, _ = from.Params.Get("tag")
	if ct := req.Contact(); ct != nil {
		c.target = ct.Address
	}
	inv := Invite{CallID: callID, From: from.Value(), To: to.Value(), FromUser: from.Address.User,
		FromDisplay: from.DisplayName, Headers: map[string][]string{}, SDP: string(req.Body()), At: time.Now()}
	for _, h := range req.Headers() {
		n := strings.ToLower(h.Name())
		inv.Headers[n] = append(inv.Headers[n], h.Value())
	}
	mode := p.Mode()
	p.mu.Lock()
	if p.ctx.Err() != nil {
		p.mu.Unlock()
		c.close()
		p.respond(tx, req, 480, "Temporarily Unavailable", nil)
		return
	}
	p.invites = append(p.invites, inv)
	p.stats.Invites++
	if mode != Busy {
		p.calls[callID] = c
		p.stats.Active++
	}
	close(p.changed)
	p.changed = make(chan struct{})
	p.mu.Unlock()

	if mode == Busy {
		c.close()
		p.send(tx, c.response(req, 486, "Busy Here", nil))
		p.bump(func(st *PhoneStats) { st.Rejected++ })
		return
	}
	cancelled := make(chan struct{})
	var cancelOnce sync.Once
	cancel := func(*sip.Request) { cancelOnce.Do(func() { close(cancelled) }) }
	if !tx.OnCancel(cancel) {
		cancel(nil)
	}
	p.send(tx, c.response(req, 180, "Ringing", nil))

	var delay <-chan time.Time
	if mode == Answer {
		delay = time.After(p.ansDelay)
	}
	select {
	case <-delay:
	case <-cancelled: // sipgo answered the CANCEL 200 and the INVITE 487
		if p.endCall(callID) {
			p.bump(func(st *PhoneStats) { st.Cancelled++ })
		}
		return
	case <-tx.Done():
		if p.endCall(callID) {
			p.bump(func(st *PhoneStats) { st.Cancelled++ })
		}
		return
	case <-c.hangup:
		p.send(tx, c.response(req, 603, "Decline", nil))
		p.endCall(callID)
		return
	case <-p.ctx.Done():
		return
	}
	res := c.response(req, 200, "OK", c.sdp(req.Body()))
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	p.mu.Lock()
	c.answered = true
	p.mu.Unlock()
	p.send(tx, res)
	p.bump(func(st *PhoneStats) { st.Answered++ })
}

func (p *Phone) onReInvite(req *sip.Request, tx sip.ServerTransaction, callID string) {
	p.mu.Lock()
	c := p.calls[callID]
	p.mu.Unlock()
	if c == nil {
		p.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
		return
	}
	if ct := req.Contact(); ct != nil {
		p.mu.Lock()
		c.target = ct.Address
		p.mu.Unlock()
	}
	res := c.response(req, 200, "OK", c.sdp(req.Body()))
	res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	p.send(tx, res)
	p.bump(func(st *PhoneStats) { st.ReInvites++ })
}

func (p *Phone) onBye(req *sip.Request, tx sip.ServerTransaction) {
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	if !p.endCall(callID) {
		if err := p.dialogs.ReadBye(req, tx); err != nil {
			p.respond(tx, req, 481, "Call/Transaction Does Not Exist", nil)
			return
		}
	} else {
		p.respond(tx, req, 200, "OK", nil)
	}
	p.bump(func(st *PhoneStats) { st.ByesReceived++ })
}

func (p *Phone) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	n := Notification{Body: string(req.Body())}
	if h := req.GetHeader("Event"); h != nil {
		n.Event = h.Value()
	}
	if h := req.GetHeader("Content-Type"); h != nil {
		n.ContentType = h.Value()
	}
	p.mu.Lock()
	p.notifies = append(p.notifies, n)
	p.mu.Unlock()
	p.respond(tx, req, 200, "OK", nil)
	p.bump(func(st *PhoneStats) { st.Notifies++ })
}

// endCall forgets a call and frees its RTP port; false if it was unknown.
func (p *Phone) endCall(callID string) bool {
	p.mu.Lock()
	c := p.calls[callID]
	if c != nil {
		delete(p.calls, callID)
		p.stats.Active--
	}
	p.mu.Unlock()
	if c == nil {
		return false
	}
	c.close()
	p.bump(func(*PhoneStats) {})
	return true
}

// HangupAll ends every call: answered calls with BYE, ringing ones with
// 603 Decline. It returns the first error of a BYE.
func (p *Phone) HangupAll(ctx context.Context) error {
	p.mu.Lock()
	var answered []*phoneCall
	for _, c := range p.calls {
		if c.answered {
			answered = append(answered, c)
		} else {
			select {
			case <-c.hangup:
			default:
				close(c.hangup)
			}
		}
	}
	p.mu.Unlock()
	var first error
	for _, c := range answered {
		if err := p.bye(ctx, c); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (p *Phone) bye(ctx context.Context, c *phoneCall) error {
	p.mu.Lock()
	c.cseq++
	req := sip.NewRequest(sip.BYE, c.target)
	from := &sip.FromHeader{Address: c.local, Params: sip.NewParams()}
	from.Params.Add("tag", c.localTag)
	to := &sip.ToHeader{Address: c.remote, Params: sip.NewParams()}
	if c.remTag != "" {
		to.Params.Add("tag", c.remTag)
	}
	callID := sip.CallIDHeader(c.callID)
	cseq := &sip.CSeqHeader{SeqNo: c.cseq, MethodName: sip.BYE}
	p.mu.Unlock()
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&callID)
	req.AppendHeader(cseq)
	req.AppendHeader(sip.NewHeader("User-Agent", p.UserAgent))
	if !p.endCall(c.callID) {
		return nil // the PBX hung up first
	}
	res, err := p.client.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("asterisktest: phone %s: BYE: %w", p.Ext, err)
	}
	p.bump(func(st *PhoneStats) { st.ByesSent++ })
	if res.StatusCode != 200 {
		return fmt.Errorf("asterisktest: phone %s: BYE: %d %s", p.Ext, res.StatusCode, res.Reason)
	}
	return nil
}

// response builds a response to req carrying the call's To tag and Contact.
func (c *phoneCall) response(req *sip.Request, code int, reason string, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, code, reason, body)
	if to := res.To(); to != nil {
		to.Params.Remove("tag")
		to.Params.Add("tag", c.localTag)
	}
	if code >= 180 && code < 300 {
		res.AppendHeader(&sip.ContactHeader{Address: c.contact})
	}
	return res
}

// sdp answers an offer with PCMU/8000 (plus telephone-event) on the call's
// RTP port, mirroring a hold offer's direction.
func (c *phoneCall) sdp(offer []byte) []byte {
	c.sessVer++
	dir := "sendrecv"
	o := string(offer)
	switch {
	case strings.Contains(o, "a=sendonly"):
		dir = "recvonly"
	case strings.Contains(o, "a=inactive"):
		dir = "inactive"
	case strings.Contains(o, "a=recvonly"):
		dir = "sendonly"
	}
	port := c.rtp.LocalAddr().(*net.UDPAddr).Port
	return []byte(fmt.Sprintf("v=0\r\n"+
		"o=pbxkit %d %d IN IP4 127.0.0.1\r\n"+
		"s=pbxkit-test-phone\r\n"+
		"c=IN IP4 127.0.0.1\r\n"+
		"t=0 0\r\n"+
		"m=audio %d RTP/AVP 0 101\r\n"+
		"a=rtpmap:0 PCMU/8000\r\n"+
		"a=rtpmap:101 telephone-event/8000\r\n"+
		"a=fmtp:101 0-16\r\n"+
		"a=ptime:20\r\n"+
		"a=%s\r\n", c.sessID, c.sessVer, port, dir))
}

func (c *phoneCall) close() {
	if c.rtp != nil {
		_ = c.rtp.Close()
	}
}

// drain reads and drops whatever arrives on the RTP socket until it closes.
func drain(c net.PacketConn) {
	buf := make([]byte, 2048)
	for {
		if _, _, err := c.ReadFrom(buf); err != nil {
			return
		}
	}
}

func randomToken(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b)
}

// OutgoingCall is an answered call a Phone placed with Dial.
type OutgoingCall struct {
	// CallID is the call's Call-ID.
	CallID string
	p      *Phone
	sess   *sipgo.DialogClientSession
	rtp    net.PacketConn
	once   sync.Once
}

// Dial calls target (an extension of the phone's context, such as "1002",
// "9000", "sales" or "echo") with an SDP offer of PCMU/8000, answers
// Asterisk's digest challenge, and returns once the call is answered and
// acknowledged. A non-2xx final response is returned as an error naming the
// status; when ctx ends while it rings, the call is cancelled.
func (p *Phone) Dial(ctx context.Context, target string) (*OutgoingCall, error) {
	rtp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go drain(rtp)
	c := &phoneCall{rtp: rtp, sessID: rand.Int64N(1 << 40)}
	c.sessVer = c.sessID
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.Ext, Host: p.host}, Params: sip.NewParams()}
	from.Params.Add("tag", randomToken(12))
	sess, err := p.dialogs.Invite(ctx, sip.Uri{Scheme: "sip", User: target, Host: p.host, Port: p.port}, c.sdp(nil),
		from, sip.NewHeader("Content-Type", "application/sdp"), sip.NewHeader("User-Agent", p.UserAgent))
	if err != nil {
		rtp.Close()
		return nil, fmt.Errorf("asterisktest: phone %s: INVITE %s: %w", p.Ext, target, err)
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.Ext, Password: p.secret}); err != nil {
		_ = sess.Close()
		rtp.Close()
		return nil, fmt.Errorf("asterisktest: phone %s: call to %s: %w", p.Ext, target, err)
	}
	if err := sess.Ack(ctx); err != nil {
		_ = sess.Close()
		rtp.Close()
		return nil, fmt.Errorf("asterisktest: phone %s: ACK: %w", p.Ext, err)
	}
	oc := &OutgoingCall{p: p, sess: sess, rtp: rtp}
	if h := sess.InviteRequest.CallID(); h != nil {
		oc.CallID = h.Value()
	}
	p.bump(func(st *PhoneStats) { st.Dialed++; st.Active++ })
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-sess.Context().Done(): // BYE from Asterisk, or Hangup
		case <-p.ctx.Done():
		}
		oc.end()
	}()
	return oc, nil
}

// Done is closed when the call ended (either side hung up, or the phone closed).
func (c *OutgoingCall) Done() <-chan struct{} { return c.sess.Context().Done() }

// Hangup ends the call with BYE; it does nothing if the call already ended.
func (c *OutgoingCall) Hangup(ctx context.Context) error {
	select {
	case <-c.sess.Context().Done():
		return nil
	default:
	}
	err := c.sess.Bye(ctx)
	_ = c.sess.Close()
	c.end()
	if err == nil {
		c.p.bump(func(st *PhoneStats) { st.ByesSent++ })
	}
	return err
}

func (c *OutgoingCall) end() {
	c.once.Do(func() {
		c.rtp.Close()
		c.p.bump(func(st *PhoneStats) { st.Active-- })
	})
}
