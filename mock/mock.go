package mock

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// Options configures a mock PBX. The zero value and nil are the defaults.
type Options struct {
	// Clock is the time source; nil means the real clock.
	Clock Clock
	// Seed seeds the PBX's pseudo-random choices (generated IDs, background
	// activity). The same seed, clock and calls give the same PBX.
	Seed uint64
	// Activity, if positive, makes the PBX do something by itself at this
	// interval (calls start and end, devices register, voicemail arrives,
	// callers queue), so that a live event stream shows movement.
	Activity time.Duration
	// Latency delays every backend call, to exercise timeouts.
	Latency time.Duration
	// Version is the version string System.Info reports; empty means
	// "pbxkit mock".
	Version string
	// Disable removes capabilities from the PBX, to see how an application
	// copes with a backend that lacks them: the client then answers
	// pbx.ErrUnsupported for their operations.
	Disable []pbx.Capability
}

// Behavior is how an extension's phone reacts to a call.
type Behavior int

// The phone behaviors.
const (
	// Answer answers after the extension's answer delay (default 0).
	Answer Behavior = iota
	// Busy rejects the call as busy.
	Busy
	// NoAnswer lets it ring until the caller gives up.
	NoAnswer
)

// PBX is an in-memory PBX. It is complete (every service of package pbx),
// deterministic for a given seed and clock, and safe for concurrent use. Tests
// drive the outside world through its methods (a device registers, a caller
// joins a queue, voicemail arrives, the PBX goes down) and use the PBX
// through Client.
type PBX struct {
	clock   Clock
	latency time.Duration
	version string
	caps    pbx.Capabilities

	mu       sync.Mutex
	rng      *rand.Rand
	started  time.Time
	exts     map[pbx.ExtensionID]*extension
	calls    map[pbx.CallID]*call
	chanSeq  int
	boxes    map[pbx.MailboxID]*mailbox
	rooms    map[pbx.ConferenceID]*room     // active conferences
	roomCfg  map[pbx.ConferenceID]*pbx.Room // provisioned rooms
	queues   map[pbx.QueueID]*queue
	cdrs     []pbx.CDR
	conns    []*conn
	down     *snapshot // state when the PBX went down; nil while up
	downAt   time.Time
	failNext map[string][]error
	calledIn int // calls processed since start
	activity Timer
	closed   bool
}

type extension struct {
	pbx.Extension
	secret    string
	contacts  []pbx.Contact
	dnd       bool
	noCW      bool // call waiting off (it is on by default, as on FreePBX)
	forward   pbx.CallForward
	followMe  pbx.FollowMe
	behavior  Behavior
	delay     time.Duration
	lastState pbx.DeviceState
}

// New returns an empty PBX. See [NewDemo] for one seeded with demo data.
func New(opts *Options) *PBX {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Clock == nil {
		o.Clock = realClock{}
	}
	if o.Version == "" {
		o.Version = "pbxkit mock"
	}
	p := &PBX{
		clock:    o.Clock,
		latency:  o.Latency,
		version:  o.Version,
		caps:     pbx.NewCapabilities(pbx.AllCapabilities()...),
		rng:      rand.New(rand.NewPCG(o.Seed, 0x7062786b6974)),
		started:  o.Clock.Now(),
		exts:     map[pbx.ExtensionID]*extension{},
		calls:    map[pbx.CallID]*call{},
		boxes:    map[pbx.MailboxID]*mailbox{},
		rooms:    map[pbx.ConferenceID]*room{},
		roomCfg:  map[pbx.ConferenceID]*pbx.Room{},
		queues:   map[pbx.QueueID]*queue{},
		failNext: map[string][]error{},
	}
	for _, c := range o.Disable {
		p.caps = p.caps.Without(c)
	}
	if o.Activity > 0 {
		p.startActivity(o.Activity)
	}
	return p
}

// Client opens a new client on the PBX, as a new connection would on a real
// one. Closing the client does not close the PBX.
func (p *PBX) Client() *pbx.Client {
	c, err := pbx.NewClient(p.newConn(false), nil)
	if err != nil {
		panic("mock: " + err.Error()) // the mock implements every capability it declares
	}
	return c
}

// Close stops the PBX's background activity. Clients stay usable.
func (p *PBX) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.activity != nil {
		p.activity.Stop()
	}
}

// FailNext makes the next call of op (as named in errors, such as
// "Calls.Originate") fail with err. Calls queue up: two FailNext calls fail
// the next two calls.
func (p *PBX) FailNext(op string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failNext[op] = append(p.failNext[op], err)
}

// now returns the clock's time; p.mu must be held or not, it does not matter.
func (p *PBX) now() time.Time { return p.clock.Now() }

// emit publishes e to every connection. p.mu must be held, which keeps every
// connection's events in one order.
func (p *PBX) emit(e pbx.Event) {
	if p.down != nil {
		return // nobody is connected while the PBX is down
	}
	if e.Header().Time.IsZero() {
		e.Header().Time = p.now()
	}
	for _, c := range p.conns {
		c.publish(cloneEvent(e))
	}
}

// cloneEvent returns a shallow copy of e: each client numbers its own copy.
func cloneEvent(e pbx.Event) pbx.Event {
	v := reflect.ValueOf(e).Elem()
	n := reflect.New(v.Type())
	n.Elem().Set(v)
	return n.Interface().(pbx.Event)
}

// enter starts a backend call: it applies latency, injected failures and the
// down state, and locks p.mu. The caller must call p.mu.Unlock.
func (p *PBX) enter(ctx context.Context, op string) error {
	if p.latency > 0 {
		t := time.NewTimer(p.latency)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	p.mu.Lock()
	if errs := p.failNext[op]; len(errs) > 0 {
		p.failNext[op] = errs[1:]
		p.mu.Unlock()
		return errs[0]
	}
	if p.down != nil {
		p.mu.Unlock()
		return pbx.Errorf(pbx.Unavailable, "mock PBX is down")
	}
	if err := ctx.Err(); err != nil {
		p.mu.Unlock()
		return err
	}
	return nil
}

func notFound(format string, args ...any) error {
	return pbx.Errorf(pbx.NotFound, format, args...)
}

// ext returns an extension or a NotFound error. p.mu must be held.
func (p *PBX) ext(id pbx.ExtensionID) (*extension, error) {
	e := p.exts[id]
	if e == nil {
		return nil, notFound("no extension %s", id)
	}
	return e, nil
}

// AddExtension adds an extension with a device that is not registered. It is
// the outside world's way of provisioning, and emits ExtensionCreated.
func (p *PBX) AddExtension(e pbx.Extension, secret string) error {
	if err := e.ID.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addExtension(&e, secret)
}

func (p *PBX) addExtension(e *pbx.Extension, secret string) error {
	if _, dup := p.exts[e.ID]; dup {
		return pbx.Errorf(pbx.AlreadyExists, "extension %s exists", e.ID)
	}
	if e.Tech == pbx.TechUnknown {
		e.Tech = pbx.TechPJSIP
	}
	if e.Context == "" {
		e.Context = "from-internal"
	}
	e.Secret = ""
	e.Dial = dialString(e.Tech, e.ID)
	x := &extension{Extension: *e, secret: secret, lastState: pbx.DeviceUnavailable}
	p.exts[e.ID] = x
	if e.Mailbox != "" && p.boxes[e.Mailbox] == nil {
		p.boxes[e.Mailbox] = &mailbox{id: e.Mailbox, name: e.Name}
	}
	p.emit(&pbx.ExtensionCreated{Extension: x.Extension})
	return nil
}

func dialString(t pbx.Technology, id pbx.ExtensionID) string {
	switch t {
	case pbx.TechSIP:
		return "SIP/" + string(id)
	case pbx.TechIAX2:
		return "IAX2/" + string(id)
	case pbx.TechFreeSWITCH:
		return "user/" + string(id)
	case pbx.TechVirtual:
		return ""
	}
	return "PJSIP/" + string(id)
}

// Register registers a contact for an extension's device, as a phone would,
// and emits ContactRegistered and DeviceStateChanged. A contact with the
// same URI replaces the old one.
func (p *PBX) Register(ext pbx.ExtensionID, c pbx.Contact) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	x, err := p.ext(ext)
	if err != nil {
		return err
	}
	if c.URI == "" {
		c.URI = fmt.Sprintf("sip:%s@%s:%d", ext, c.IP, c.Port)
	}
	if c.Expires.IsZero() {
		c.Expires = p.now().Add(time.Hour)
	}
	x.contacts = slices.DeleteFunc(x.contacts, func(old pbx.Contact) bool { return old.URI == c.URI })
	x.contacts = append(x.contacts, c)
	p.emit(&pbx.ContactRegistered{Extension: ext, Contact: c})
	p.refreshDevice(x)
	return nil
}

// Unregister removes every contact of an extension's device and emits
// ContactUnregistered for each, then DeviceStateChanged.
func (p *PBX) Unregister(ext pbx.ExtensionID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	x, err := p.ext(ext)
	if err != nil {
		return err
	}
	gone := x.contacts
	x.contacts = nil
	for _, c := range gone {
		p.emit(&pbx.ContactUnregistered{Extension: ext, Contact: c})
	}
	p.refreshDevice(x)
	return nil
}

// SetBehavior sets how an extension's phone reacts to calls, and its answer
// delay for Answer.
func (p *PBX) SetBehavior(ext pbx.ExtensionID, b Behavior, answerDelay time.Duration) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	x, err := p.ext(ext)
	if err != nil {
		return err
	}
	x.behavior, x.delay = b, answerDelay
	return nil
}

// deviceState derives an extension's device state from its contacts and calls.
func (p *PBX) deviceState(x *extension) pbx.DeviceState {
	if x.Tech == pbx.TechVirtual {
		return pbx.DeviceNotInUse
	}
	if len(x.contacts) == 0 {
		return pbx.DeviceUnavailable
	}
	var ringing, up, held bool
	for _, c := range p.calls {
		if c.Extension != x.ID {
			continue
		}
		switch c.State {
		case pbx.CallStateRinging, pbx.CallStateDown, pbx.CallStateDialing:
			ringing = true
		case pbx.CallStateHeld:
			held = true
		default:
			up = true
		}
	}
	switch {
	case ringing && (up || held):
		return pbx.DeviceRingInUse
	case ringing:
		return pbx.DeviceRinging
	case up:
		return pbx.DeviceInUse
	case held:
		return pbx.DeviceOnHold
	}
	return pbx.DeviceNotInUse
}

// refreshDevice emits DeviceStateChanged if the device's state changed.
func (p *PBX) refreshDevice(x *extension) {
	s := p.deviceState(x)
	if s == x.lastState {
		return
	}
	x.lastState = s
	p.emit(&pbx.DeviceStateChanged{Extension: x.ID, Device: x.Dial, State: s})
}

func (p *PBX) device(x *extension) pbx.Device {
	return pbx.Device{Extension: x.ID, Name: x.Dial, State: p.deviceState(x), Contacts: slices.Clone(x.contacts)}
}

// newID returns a short pseudo-random hexadecimal ID. p.mu must be held.
func (p *PBX) newID() string {
	return fmt.Sprintf("%08x", p.rng.Uint32())
}
