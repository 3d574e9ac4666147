// Package astcore is the Asterisk logic shared by the asterisk, freepbx and
// issabel backends: live calls, devices, conferences, queues, voicemail and
// events over AMI, astdb settings in FreePBX's key layout, PJSIP extensions
// through AMI's configuration actions. The distribution backends compose a
// Core with their own provisioning, so that no Asterisk code path exists
// twice.
package astcore

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/ari"
	"github.com/pbxkit/pbxkit/pbx"
)

// Location is a place in the dialplan.
type Location struct {
	Context string
	Exten   string
}

// Dialplan says where originated calls go once answered, for each
// pbx.CallMode. Empty locations disable the mode (Originate then fails with
// Unsupported for it).
type Dialplan struct {
	// DialContext is where ModeDial dials its number when the request names
	// no context ("from-internal").
	DialContext string
	// Hold, Echo and Park are reached for ModeMusicOnHold, ModeEchoTest and
	// ModePark.
	Hold, Echo, Park Location
	// ConferenceContext is where ModeConference dials the room name as an
	// extension (which runs ConfBridge).
	ConferenceContext string
}

// AstDB names the astdb keys of per-extension settings. The zero value is
// FreePBX's layout (also Issabel's), which FreePBX's dialplan reads.
type AstDB struct {
	// DND is the family of do-not-disturb keys: <DND>/<ext> = YES.
	DND string
	// CF, CFB and CFU are the families of unconditional, busy and
	// no-answer forwarding: <CF>/<ext> = number.
	CF, CFB, CFU string
	// User is the family of per-user keys: <User>/<ext>/followme/...,
	// <User>/<ext>/ringtimer, ... (AMPUSER).
	User string
	// CW is the family of call waiting keys: <CW>/<ext> = ENABLED, no key
	// when off.
	CW string
}

func (d AstDB) withDefaults() AstDB {
	if d.DND == "" {
		d.DND = "DND"
	}
	if d.CF == "" {
		d.CF = "CF"
	}
	if d.CFB == "" {
		d.CFB = "CFB"
	}
	if d.CFU == "" {
		d.CFU = "CFU"
	}
	if d.User == "" {
		d.User = "AMPUSER"
	}
	if d.CW == "" {
		d.CW = "CW"
	}
	return d
}

// Config configures a Core.
type Config struct {
	// Name is the backend's name ("asterisk", "freepbx").
	Name string
	// Conn is the AMI connection, logged in with events on. The Core does
	// not close it; the backend does.
	Conn *ami.Conn
	// ARI, when set, is used to originate and hang up calls (a synchronous
	// originate that reports failures at once, and hang-up by ID); events
	// still come from AMI. The Core does not close it.
	ARI *ari.Client
	// Dialplan says where originated calls go.
	Dialplan Dialplan
	// OriginateChannel returns the channel to ring for an extension
	// ("Local/<ext>@originate-skipvm" on FreePBX); nil means the
	// extension's device, its PJSIP endpoint or chan_sip peer.
	OriginateChannel func(pbx.ExtensionID) string
	// AstDB names the astdb keys of DND, forwarding and follow-me.
	AstDB AstDB
	// Extensions makes the store that manages extension configuration (see
	// NewPJSIPStore); nil leaves the extension capabilities out.
	Extensions func(*Core) ExtensionStore
	// Spool is the voicemail spool; nil leaves the voicemail capabilities
	// out, since messages live only there.
	Spool *Spool
	// VoicemailContext is the voicemail context of mailboxes named without
	// one ("default").
	VoicemailContext string
	// CDR is the CDR store; nil leaves the CDR capability out.
	CDR pbx.CDRBackend
	// Recordings is the monitor tree; nil leaves recordings out.
	Recordings *Recordings
	// Logger receives diagnostics; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Core implements pbx.Backend and the service interfaces over AMI. It is
// safe for concurrent use.
type Core struct {
	cfg  Config
	conn *ami.Conn
	log  *slog.Logger
	db   AstDB
	caps pbx.Capabilities
	ext  ExtensionStore

	sub          *ami.Subscription
	done         chan struct{}
	cancel       context.CancelFunc
	shuttingDown atomic.Bool // from the Shutdown event until the connection is back

	mu       sync.Mutex
	sink     pbx.EventSink
	chans    map[pbx.CallID]*channel  // live channels by Uniqueid, from events
	ended    map[pbx.CallID]time.Time // channels whose Hangup event came, when
	waiters  []*waiter
	cdrHold  map[pbx.CallID][]*pbx.CDRPosted // CDRs waiting for their channel's hang-up
	contacts map[string]pbx.Contact          // known contacts by URI
	devState map[pbx.ExtensionID]pbx.DeviceState
	rooms    map[pbx.ConferenceID]*roomState
	mwi      map[pbx.MailboxID]pbx.MailboxCounts
	abandon  map[pbx.CallID]bool // queue callers that abandoned
	downAt   time.Time

	startup string // Asterisk's start time (CoreStatus); owned by the event loop
}

// New starts a Core on a logged-in connection. Its event loop runs until
// Close.
func New(cfg Config) *Core {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.VoicemailContext == "" {
		cfg.VoicemailContext = "default"
	}
	if cfg.Dialplan.DialContext == "" {
		cfg.Dialplan.DialContext = "from-internal"
	}
	c := &Core{
		cfg:      cfg,
		conn:     cfg.Conn,
		log:      cfg.Logger,
		db:       cfg.AstDB.withDefaults(),
		chans:    map[pbx.CallID]*channel{},
		ended:    map[pbx.CallID]time.Time{},
		cdrHold:  map[pbx.CallID][]*pbx.CDRPosted{},
		contacts: map[string]pbx.Contact{},
		devState: map[pbx.ExtensionID]pbx.DeviceState{},
		rooms:    map[pbx.ConferenceID]*roomState{},
		mwi:      map[pbx.MailboxID]pbx.MailboxCounts{},
		abandon:  map[pbx.CallID]bool{},
		done:     make(chan struct{}),
	}
	if cfg.Extensions != nil {
		c.ext = cfg.Extensions(c)
	}
	c.caps = c.capabilities()
	c.sub = cfg.Conn.Subscribe(0)
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go c.loop(ctx)
	return c
}

func (c *Core) capabilities() pbx.Capabilities {
	caps := pbx.NewCapabilities(
		pbx.CapDevices, pbx.CapDND, pbx.CapCallForward, pbx.CapFollowMe, pbx.CapCallWaiting,
		pbx.CapCallsRead, pbx.CapOriginate, pbx.CapHangup, pbx.CapTransfer,
		pbx.CapConferences, pbx.CapConferenceControl,
		pbx.CapQueues, pbx.CapQueueMembers,
		pbx.CapSystem, pbx.CapEvents,
	)
	if c.cfg.Spool != nil {
		caps = caps.With(pbx.CapVoicemail).With(pbx.CapVoicemailWrite)
	}
	if c.cfg.CDR != nil {
		caps = caps.With(pbx.CapCDR)
	}
	if c.cfg.Recordings != nil {
		caps = caps.With(pbx.CapRecordings)
	}
	if c.ext != nil {
		caps = caps.With(pbx.CapExtensionsRead).With(pbx.CapExtensionsWrite).
			With(pbx.CapSecretReset).With(pbx.CapSecretReveal)
	}
	return caps
}

// Name implements pbx.Backend.
func (c *Core) Name() string { return c.cfg.Name }

// Capabilities implements pbx.Backend.
func (c *Core) Capabilities() pbx.Capabilities { return c.caps }

// Attach implements pbx.Backend.
func (c *Core) Attach(sink pbx.EventSink) {
	c.mu.Lock()
	c.sink = sink
	c.mu.Unlock()
}

// As implements pbx.Backend: it accepts **ami.Conn and, when ARI is
// configured, **ari.Client.
func (c *Core) As(target any) bool {
	switch t := target.(type) {
	case **ami.Conn:
		*t = c.conn
		return true
	case **ari.Client:
		if c.cfg.ARI != nil {
			*t = c.cfg.ARI
			return true
		}
	}
	return false
}

// Close stops the event loop. It does not close the AMI connection, which
// belongs to the backend.
func (c *Core) Close() error {
	c.cancel()
	c.sub.Close()
	<-c.done
	var err error
	if c.cfg.Spool != nil {
		err = c.cfg.Spool.Close()
	}
	if c.cfg.Recordings != nil {
		err = errors.Join(err, c.cfg.Recordings.Close())
	}
	return err
}

// publish sends an event to the client. c.mu must be held, which keeps the
// events in order.
func (c *Core) publish(e pbx.Event) {
	if e.Header().Time.IsZero() {
		e.Header().Time = c.cfg.Now()
	}
	if c.sink != nil {
		c.sink.Publish(e)
	}
}

// publishLocked takes c.mu to publish one event.
func (c *Core) publishLocked(e pbx.Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.publish(e)
}

// ErrorCode implements pbx.Backend: it maps AMI errors and Asterisk's
// messages to codes, in one place. While Asterisk is shutting down (it sent
// the Shutdown event and the connection has not come back), its modules
// unload and answer with errors of their own ("Variable not set"): those
// are Unavailable too.
func (c *Core) ErrorCode(err error) pbx.ErrorCode {
	code := ErrorCode(err)
	var ae *ami.Error
	if code == pbx.Unknown && errors.As(err, &ae) && (c.shuttingDown.Load() || !c.answers()) {
		return pbx.Unavailable
	}
	return code
}

// answers reports whether Asterisk still answers a Ping: an unexplained
// error from a server that no longer answers (it may not have sent the
// Shutdown event yet) is an availability problem.
func (c *Core) answers() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.conn.Do(ctx, ami.NewAction("Ping"))
	return err == nil
}

// ErrorCode classifies errors from AMI and Asterisk.
func ErrorCode(err error) pbx.ErrorCode {
	switch {
	case err == nil:
		return pbx.Unknown
	case errors.Is(err, ami.ErrInvalidField), errors.Is(err, ami.ErrTooLong):
		return pbx.InvalidArgument
	case errors.Is(err, ari.ErrNotFound):
		return pbx.NotFound
	case errors.Is(err, ari.ErrConflict):
		return pbx.AlreadyExists
	case errors.Is(err, ari.ErrInvalid):
		return pbx.InvalidArgument
	case errors.Is(err, ari.ErrAuth):
		return pbx.PermissionDenied
	case errors.Is(err, ari.ErrAllocationFailed):
		return pbx.FailedPrecondition
	case errors.Is(err, ari.ErrUnavailable), errors.Is(err, ari.ErrClosed):
		return pbx.Unavailable
	case errors.Is(err, ami.ErrUnavailable), errors.Is(err, ami.ErrClosed):
		// Includes ami.ErrDisconnected: cut off in flight. The message says
		// so; a mutation's outcome is then unknown, and the client never
		// retries mutations.
		return pbx.Unavailable
	case errors.Is(err, ami.ErrAuth):
		return pbx.PermissionDenied
	case errors.Is(err, context.DeadlineExceeded):
		return pbx.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return pbx.Canceled
	}
	var ae *ami.Error
	if !errors.As(err, &ae) {
		return pbx.Unknown
	}
	msg := strings.ToLower(ae.Message)
	switch {
	case strings.Contains(msg, "shutting down"):
		// "Asterisk is shutting down": refused while Asterisk stops.
		return pbx.Unavailable
	case strings.Contains(msg, "permission denied"):
		return pbx.PermissionDenied
	case strings.Contains(msg, "no such channel"), strings.Contains(msg, "does not exist"),
		strings.Contains(msg, "not found"), strings.Contains(msg, "no such queue"),
		strings.Contains(msg, "not there"), strings.Contains(msg, "no active conferences"),
		strings.Contains(msg, "no conference"), strings.Contains(msg, "unable to retrieve endpoint"),
		strings.Contains(msg, "unable to find"):
		return pbx.NotFound
	case strings.Contains(msg, "already there"), strings.Contains(msg, "already exists"):
		return pbx.AlreadyExists
	case strings.Contains(msg, "invalid/unknown command"):
		return pbx.Unsupported
	case strings.Contains(msg, "missing"), strings.Contains(msg, "invalid"), strings.Contains(msg, "not specified"):
		return pbx.InvalidArgument
	}
	return pbx.Unknown
}

// action builds an AMI action from key/value pairs.
func action(name string, kv ...string) *ami.Message {
	m := ami.NewAction(name)
	for i := 0; i+1 < len(kv); i += 2 {
		m.Add(kv[i], kv[i+1])
	}
	return m
}

// isNotFound reports whether err is Asterisk answering that something does
// not exist (a missing astdb key, an unknown channel).
func isNotFound(err error) bool {
	var ae *ami.Error
	return errors.As(err, &ae) && ErrorCode(err) == pbx.NotFound
}
