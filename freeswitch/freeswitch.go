package freeswitch

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

// Store says where the backend keeps the per-extension settings
// FreeSWITCH has no model of: do-not-disturb, call forwarding and
// follow-me. They are keys of mod_db or mod_hash that the dialplan reads
// (see the package documentation for the keys and a dialplan snippet).
type Store struct {
	// Kind is "db" (mod_db: kept in FreeSWITCH's database across restarts,
	// the default) or "hash" (mod_hash: in memory until FreeSWITCH stops).
	Kind string
	// Realm is the db or hash realm of the keys; default "pbxkit".
	Realm string
}

// Dialplan says where originated calls go once the first phone answers.
// The zero value uses the defaults shown for each field.
type Dialplan struct {
	// Context is the XML dialplan context a dialed number (pbx.ModeDial)
	// and a transfer target are routed in when the request names none.
	// Default "default".
	Context string
	// HoldMusic is what the music-on-hold mode plays. Default
	// "local_stream://moh".
	HoldMusic string
	// ConferenceProfile is the mod_conference profile of the rooms calls
	// join. Default "default".
	ConferenceProfile string
}

// Options configure a connection to FreeSWITCH. The zero value and nil are
// the defaults; Open copies the Options and never modifies them.
type Options struct {
	// Password is the Event Socket password (event_socket.conf.xml). It
	// never appears in logs or errors; a warning is logged when it is
	// FreeSWITCH's default, ClueCon.
	Password string
	// TLS, when set, connects over TLS (to a TLS terminator in front of
	// mod_event_socket, which speaks plain TCP).
	TLS *tls.Config
	// Dialer opens the connection; nil means a net.Dialer.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

	// Domain is the directory domain of the extensions. Empty means the
	// switch's "domain" global variable, read when connecting.
	Domain string
	// Profiles are the Sofia profiles whose registrations are the
	// extensions' contacts. Default: "internal".
	Profiles []string

	// Directory is the directory of the domain's user files
	// ("/etc/freeswitch/directory/default"), one <id>.xml per extension,
	// which must be readable and writable by this process. When set,
	// extensions can be created, updated and deleted, and their secrets
	// reset and revealed: the files are written there, then FreeSWITCH
	// reloads its XML ("reloadxml"). Empty leaves those capabilities out.
	Directory string

	// VoicemailDir is mod_voicemail's storage root
	// ("/var/lib/freeswitch/storage/voicemail"), which the message files it
	// reports must be under; it must be readable by this process. Empty
	// leaves voicemail out.
	VoicemailDir string
	// VoicemailProfile is the mod_voicemail profile; default "default".
	VoicemailProfile string

	// CDR is where call detail records are read from, typically a
	// cdrstore.CSV in the LayoutFreeSWITCH layout on mod_cdr_csv's
	// Master.csv. Nil leaves CDR queries out (live CDRPosted events still
	// arrive).
	CDR pbx.CDRBackend

	// Store is where DND, call forwarding and follow-me are kept.
	Store Store

	// Dialplan says where originated calls go.
	Dialplan Dialplan

	// QueueDomain is the domain part of mod_callcenter queue names that
	// queue IDs leave out: the queue "support@default" is the pbx queue
	// "support". Default "default".
	QueueDomain string

	// PingInterval and ReconnectMax tune the Event Socket keepalive and the
	// backoff cap between reconnection attempts; zero means 20s and 30s.
	PingInterval, ReconnectMax time.Duration

	// Logger receives diagnostics; nil discards them. Nothing secret is
	// ever logged.
	Logger *slog.Logger

	// Client tunes the returned *pbx.Client (timeouts, retries).
	Client *pbx.ClientOptions
}

// String describes the options without secrets.
func (o *Options) String() string {
	return fmt.Sprintf("freeswitch.Options{Password: %s, Domain: %q, Directory: %q, VoicemailDir: %q}",
		pbx.Secret(o.Password), o.Domain, o.Directory, o.VoicemailDir)
}

// withDefaults returns a copy of o with the defaults filled in, validated.
func (o *Options) withDefaults() (Options, error) {
	c := *o
	c.Profiles = append([]string(nil), c.Profiles...)
	if len(c.Profiles) == 0 {
		c.Profiles = []string{"internal"}
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.VoicemailProfile, "default")
	def(&c.Store.Kind, "db")
	def(&c.Store.Realm, "pbxkit")
	def(&c.Dialplan.Context, "default")
	def(&c.Dialplan.HoldMusic, "local_stream://moh")
	def(&c.Dialplan.ConferenceProfile, "default")
	def(&c.QueueDomain, "default")
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Store.Kind != "db" && c.Store.Kind != "hash" {
		return c, fmt.Errorf("store kind %q: want db or hash", c.Store.Kind)
	}
	for _, n := range []struct{ what, v string }{
		{"store realm", c.Store.Realm}, {"voicemail profile", c.VoicemailProfile},
		{"dial context", c.Dialplan.Context}, {"conference profile", c.Dialplan.ConferenceProfile},
		{"queue domain", c.QueueDomain},
	} {
		if !isToken(n.v) {
			return c, fmt.Errorf("%s %q: want letters, digits, '.', '_' and '-'", n.what, n.v)
		}
	}
	for _, p := range c.Profiles {
		if !isToken(p) {
			return c, fmt.Errorf("sofia profile %q: want letters, digits, '.', '_' and '-'", p)
		}
	}
	if c.Domain != "" && !isToken(c.Domain) {
		return c, fmt.Errorf("domain %q: want a host name", c.Domain)
	}
	if !isStream(c.Dialplan.HoldMusic) {
		return c, fmt.Errorf("hold music %q: want a file or stream name such as local_stream://moh", c.Dialplan.HoldMusic)
	}
	return c, nil
}

// isNameByte reports whether c may appear in a name: a letter, a digit,
// '.', '_' or '-'.
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// isToken reports whether s is a name of letters, digits, '.', '_' and '-'
// not starting with '.' or '-': safe as a command argument, a db key part
// or a path element.
func isToken(s string) bool {
	return s != "" && len(s) <= 128 && s[0] != '.' && s[0] != '-' && allBytes(s, isNameByte)
}

// isStream reports whether s can be played by &playback(s): a name that
// may also hold ':' and '/', and nothing an argument list would split.
func isStream(s string) bool {
	return s != "" && len(s) <= 256 && allBytes(s, func(c byte) bool { return isNameByte(c) || c == ':' || c == '/' })
}

// backend is the FreeSWITCH pbx.Backend. It is safe for concurrent use.
type backend struct {
	conn   *esl.Conn
	opts   Options
	log    *slog.Logger
	domain string
	caps   pbx.Capabilities
	dir    *os.Root // the user directory, nil without Options.Directory
	vm     *os.Root // mod_voicemail's storage, nil without Options.VoicemailDir
	vmPath string   // its absolute, cleaned path

	sub    *esl.Subscription
	cancel context.CancelFunc
	done   chan struct{}

	dirMu sync.Mutex // serialises directory writes and the reloads after them

	mu    sync.Mutex // guards the state below and orders published events
	sink  pbx.EventSink
	state state
}

// Open connects to FreeSWITCH's Event Socket at addr ("127.0.0.1:8021"),
// authenticates, subscribes to the events it needs and returns a Client.
// ctx bounds connecting only; afterwards the connection lives,
// reconnecting as needed, until Close.
func Open(ctx context.Context, addr string, opts *Options) (*pbx.Client, error) {
	var in Options
	if opts != nil {
		in = *opts
	}
	fail := func(code pbx.ErrorCode, id string, err error) (*pbx.Client, error) {
		if c, ok := in.CDR.(io.Closer); ok {
			c.Close()
		}
		return nil, &pbx.Error{Code: code, Op: "Open", Backend: Scheme, ID: id, Err: err}
	}
	o, err := in.withDefaults()
	if err != nil {
		return fail(pbx.InvalidArgument, "", err)
	}
	b := &backend{opts: o, log: o.Logger.With("backend", Scheme), done: make(chan struct{}), state: newState()}
	if err := b.openDirs(); err != nil {
		return fail(pbx.InvalidArgument, "", err)
	}
	conn, err := esl.Dial(ctx, addr, &esl.Options{
		Password: o.Password, TLS: o.TLS, Dialer: o.Dialer,
		Events:       subscribedEvents,
		PingInterval: o.PingInterval, ReconnectMax: o.ReconnectMax,
		EventBuffer: eventBuffer, Logger: b.log,
	})
	if err != nil {
		b.closeDirs()
		return fail(ErrorCode(err), addr, err)
	}
	b.conn = conn
	if err := b.setup(ctx); err != nil {
		conn.Close()
		b.closeDirs()
		return fail(ErrorCode(err), addr, err)
	}
	b.sub = conn.Subscribe(0)
	loopCtx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go b.loop(loopCtx)
	c, err := pbx.NewClient(b, o.Client)
	if err != nil {
		b.Close()
		return nil, err
	}
	return c, nil
}

// eventBuffer is the length of the backend's queue of FreeSWITCH events.
const eventBuffer = 16384

// subscribedEvents are the events the backend follows.
var subscribedEvents = []string{
	"CHANNEL_CREATE CHANNEL_PROGRESS CHANNEL_PROGRESS_MEDIA CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_UNBRIDGE",
	"CHANNEL_HANGUP_COMPLETE MESSAGE_WAITING HEARTBEAT BACKGROUND_JOB",
	"CUSTOM conference::maintenance callcenter::info sofia::register sofia::unregister sofia::expire vm::maintenance",
}

// openDirs opens the directory and voicemail roots the Options name.
func (b *backend) openDirs() error {
	if b.opts.Directory != "" {
		r, err := os.OpenRoot(b.opts.Directory)
		if err != nil {
			return fmt.Errorf("user directory: %w", err)
		}
		b.dir = r
	}
	if b.opts.VoicemailDir != "" {
		abs, err := filepath.Abs(b.opts.VoicemailDir)
		if err == nil {
			b.vm, err = os.OpenRoot(abs)
		}
		if err != nil {
			b.closeDirs()
			return fmt.Errorf("voicemail storage: %w", err)
		}
		b.vmPath = abs
	}
	return nil
}

func (b *backend) closeDirs() error {
	var errs []error
	for _, r := range []*os.Root{b.dir, b.vm} {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	return errors.Join(errs...)
}

// setup learns the domain and the modules FreeSWITCH has loaded, which
// decide the capabilities.
func (b *backend) setup(ctx context.Context) error {
	b.domain = b.opts.Domain
	if b.domain == "" {
		d, err := b.conn.API(ctx, "global_getvar", "domain")
		if err != nil {
			return err
		}
		if d = strings.TrimSpace(d); !isToken(d) {
			return pbx.Errorf(pbx.FailedPrecondition, "the switch's domain variable %q is not a host name: set Options.Domain", d)
		}
		b.domain = d
	}
	caps := pbx.NewCapabilities(
		pbx.CapExtensionsRead, pbx.CapDevices, pbx.CapDND, pbx.CapCallForward, pbx.CapFollowMe,
		pbx.CapCallsRead, pbx.CapOriginate, pbx.CapHangup, pbx.CapTransfer,
		pbx.CapSystem, pbx.CapEvents,
	)
	if b.dir != nil {
		caps = caps.With(pbx.CapExtensionsWrite).With(pbx.CapSecretReset).With(pbx.CapSecretReveal)
	}
	if b.opts.CDR != nil {
		caps = caps.With(pbx.CapCDR)
	}
	for _, m := range []struct {
		cmd  string
		args []string
		caps []pbx.Capability
	}{
		{"conference", []string{"list"}, []pbx.Capability{pbx.CapConferences, pbx.CapConferenceControl}},
		{"callcenter_config", []string{"queue", "count"}, []pbx.Capability{pbx.CapQueues, pbx.CapQueueMembers}},
		{"vm_fsdb_msg_count", nil, []pbx.Capability{pbx.CapVoicemail, pbx.CapVoicemailWrite}},
	} {
		if m.cmd == "vm_fsdb_msg_count" && b.vm == nil {
			continue
		}
		loaded, err := b.loaded(ctx, m.cmd, m.args...)
		if err != nil {
			return err
		}
		if !loaded {
			b.log.Info("module not loaded: leaving its services out", "command", m.cmd)
			continue
		}
		for _, c := range m.caps {
			caps = caps.With(c)
		}
	}
	b.caps = caps
	return nil
}

// loaded runs a harmless command and reports whether FreeSWITCH knows it
// (its module is loaded).
func (b *backend) loaded(ctx context.Context, cmd string, args ...string) (bool, error) {
	_, err := b.conn.API(ctx, cmd, args...)
	var fe *esl.Error
	if errors.As(err, &fe) {
		return !strings.HasSuffix(fe.Text(), "Command not found!"), nil
	}
	return err == nil, err
}

// Name implements pbx.Backend.
func (b *backend) Name() string { return Scheme }

// Capabilities implements pbx.Backend.
func (b *backend) Capabilities() pbx.Capabilities { return b.caps }

// Attach implements pbx.Backend.
func (b *backend) Attach(sink pbx.EventSink) {
	b.mu.Lock()
	b.sink = sink
	b.mu.Unlock()
}

// As implements pbx.Backend: it accepts **esl.Conn.
func (b *backend) As(target any) bool {
	if t, ok := target.(**esl.Conn); ok {
		*t = b.conn
		return true
	}
	return false
}

// ErrorCode implements pbx.Backend.
func (b *backend) ErrorCode(err error) pbx.ErrorCode { return ErrorCode(err) }

// Close stops the event loop and closes the connection, the directories
// and the CDR store.
func (b *backend) Close() error {
	b.cancel()
	b.sub.Close()
	<-b.done
	err := b.conn.Close()
	if c, ok := b.opts.CDR.(io.Closer); ok {
		err = errors.Join(err, c.Close())
	}
	return errors.Join(err, b.closeDirs())
}

// publish sends an event to the client. b.mu must be held, which keeps the
// events in order.
func (b *backend) publish(e pbx.Event) {
	if e.Header().Time.IsZero() {
		e.Header().Time = time.Now()
	}
	if b.sink != nil {
		b.sink.Publish(e)
	}
}

// publishLocked takes b.mu to publish one event.
func (b *backend) publishLocked(e pbx.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.publish(e)
}
