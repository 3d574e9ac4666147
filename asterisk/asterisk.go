package asterisk

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/ari"
	"github.com/pbxkit/pbxkit/internal/astcore"
	"github.com/pbxkit/pbxkit/pbx"
)

// Location is a place in the dialplan: a context and an extension.
type Location struct {
	Context string
	Exten   string
}

// Dialplan says where originated calls go once the first phone answers. Each
// location must exist in extensions.conf (see the package documentation for
// a snippet). The zero value uses the defaults shown for each field.
type Dialplan struct {
	// DialContext is where a dialed number goes when the request names no
	// context. Default "from-internal".
	DialContext string
	// Hold plays music on hold (call-me, hold mode). Default
	// pbxkit-callme,hold.
	Hold Location
	// Echo echoes the caller's audio (call-me, echo mode). Default
	// pbxkit-callme,echo.
	Echo Location
	// Park parks the call. Default parkedcalls,700.
	Park Location
	// ConferenceContext runs ConfBridge with the room as the extension.
	// Default pbxkit-conference.
	ConferenceContext string
}

func (d Dialplan) core() astcore.Dialplan {
	or := func(l Location, ctx, exten string) astcore.Location {
		if l.Context == "" && l.Exten == "" {
			return astcore.Location{Context: ctx, Exten: exten}
		}
		return astcore.Location(l)
	}
	conf := d.ConferenceContext
	if conf == "" {
		conf = "pbxkit-conference"
	}
	return astcore.Dialplan{
		DialContext:       d.DialContext,
		Hold:              or(d.Hold, "pbxkit-callme", "hold"),
		Echo:              or(d.Echo, "pbxkit-callme", "echo"),
		Park:              or(d.Park, "parkedcalls", "700"),
		ConferenceContext: conf,
	}
}

// AstDB names the astdb families of per-extension settings. Empty fields
// take FreePBX's names (also Issabel's), which FreePBX's dialplan reads.
type AstDB struct {
	// DND is the family of do-not-disturb keys, <DND>/<ext> = YES. Default "DND".
	DND string
	// CF, CFB and CFU are the families of unconditional, busy and no-answer
	// forwarding, <CF>/<ext> = number. Defaults "CF", "CFB", "CFU".
	CF, CFB, CFU string
	// User is the family of per-user keys such as <User>/<ext>/followme/grplist
	// and <User>/<ext>/ringtimer. Default "AMPUSER".
	User string
	// CW is the family of call waiting keys, <CW>/<ext> = ENABLED (no key:
	// off). Default "CW".
	CW string
}

// ARIOptions reach the Asterisk REST Interface (http.conf and ari.conf).
type ARIOptions struct {
	// URL is ARI's base URL, "http://127.0.0.1:8088/ari"; use https for a
	// remote host (ARI authenticates with HTTP Basic).
	URL string
	// Username and Password are the ari.conf user.
	Username, Password string
	// Application is the Stasis application name; empty means "pbxkit".
	Application string
}

// Options configure a connection to Asterisk. The zero value and nil are the
// defaults; Open copies the Options and never modifies them.
type Options struct {
	// Username and Secret are the manager.conf (AMI) credentials.
	Username, Secret string
	// TLS, when set, connects to AMI over TLS (Asterisk's tlsenable).
	TLS *tls.Config
	// Dialer opens the AMI connection; nil means a net.Dialer.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

	// ARI, when set, makes the backend use the Asterisk REST Interface too:
	// calls are originated through it (failures are reported at once, not
	// after an asynchronous OriginateResponse) and hung up by ID. Events
	// still come from AMI.
	ARI *ARIOptions

	// Dialplan says where originated calls go.
	Dialplan Dialplan

	// ExtensionsFile is the PJSIP configuration file whose endpoints are the
	// extensions, read and written through AMI (GetConfig, UpdateConfig)
	// followed by a res_pjsip reload; empty means "pjsip.conf". Set
	// NoExtensions to leave extension management out.
	ExtensionsFile string
	// NoExtensions leaves the extension capabilities out (for an AMI user
	// without the config privilege).
	NoExtensions bool

	// SpoolDir is app_voicemail's spool ("/var/spool/asterisk/voicemail"),
	// which must be readable (and writable, to move and delete messages) by
	// this process. Empty leaves voicemail out.
	SpoolDir string
	// VoicemailContext is the context of mailboxes named without one;
	// empty means "default".
	VoicemailContext string

	// MonitorDir is the tree MixMonitor records calls into
	// ("/var/spool/asterisk/monitor"), whose files CDRs name; empty leaves
	// recordings out.
	MonitorDir string

	// CDR is where call detail records are read from: a cdrstore.CSV on
	// Master.csv or a cdrstore.SQL on a cdr table. Nil leaves CDR out (live
	// CDRPosted events still arrive from cdr_manager).
	CDR pbx.CDRBackend

	// AstDB names the astdb keys of DND, call forwarding, call waiting and
	// follow-me; the
	// zero value is FreePBX's layout.
	AstDB AstDB

	// PingInterval and ReconnectMax tune the AMI keepalive and the backoff
	// cap between reconnection attempts; zero means 15s and 30s.
	PingInterval, ReconnectMax time.Duration

	// Logger receives diagnostics; nil discards them. Nothing secret is
	// ever logged.
	Logger *slog.Logger

	// Client tunes the returned *pbx.Client (timeouts, retries).
	Client *pbx.ClientOptions
}

// backend is the asterisk pbx.Backend: the shared Asterisk core over the
// connections it owns.
type backend struct {
	*astcore.Core
	release func() error
}

// Close stops the core, then closes the connections.
func (b *backend) Close() error {
	return errors.Join(b.Core.Close(), b.release())
}

// Open connects to Asterisk's AMI at addr ("127.0.0.1:5038"), logs in with
// events on and returns a Client. ctx bounds connecting and logging in only;
// afterwards the connection lives, reconnecting as needed, until Close.
func Open(ctx context.Context, addr string, opts *Options) (*pbx.Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	cfg, release, err := Connect(ctx, addr, &o, Scheme)
	if err != nil {
		return nil, err
	}
	if !o.NoExtensions {
		cfg.Extensions = astcore.NewPJSIPStore(astcore.PJSIPOptions{File: o.ExtensionsFile, VoicemailContext: vmContext(o.VoicemailContext)})
	}
	b := &backend{Core: astcore.New(cfg), release: release}
	c, err := pbx.NewClient(b, o.Client)
	if err != nil {
		b.Close()
		return nil, err
	}
	return c, nil
}

// Connect opens what the Options describe (the AMI connection, ARI, the
// voicemail spool, the recordings tree) and returns the shared core's
// configuration and a function releasing the connections and the CDR store
// (the core releases the directories). It is for the backends built on this
// one, freepbx and issabel, whose Options embed these; applications use
// Open. Errors are *pbx.Error values naming the backend.
func Connect(ctx context.Context, addr string, o *Options, backendName string) (astcore.Config, func() error, error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("backend", backendName)
	fail := func(code pbx.ErrorCode, id string, err error) (astcore.Config, func() error, error) {
		return astcore.Config{}, nil, &pbx.Error{Code: code, Op: "Open", Backend: backendName, ID: id, Err: err}
	}
	var closers []func() error
	release := func() error {
		var errs []error
		for i := len(closers) - 1; i >= 0; i-- {
			errs = append(errs, closers[i]())
		}
		return errors.Join(errs...)
	}
	cfg := astcore.Config{
		Name: backendName, Dialplan: o.Dialplan.core(), AstDB: astcore.AstDB(o.AstDB),
		VoicemailContext: vmContext(o.VoicemailContext), CDR: o.CDR, Logger: logger,
	}
	if c, ok := o.CDR.(io.Closer); ok {
		closers = append(closers, c.Close)
	}
	if o.SpoolDir != "" {
		s, err := astcore.OpenSpool(o.SpoolDir, cfg.VoicemailContext)
		if err != nil {
			release()
			return fail(pbx.InvalidArgument, "", err)
		}
		cfg.Spool = s
	}
	if o.MonitorDir != "" {
		r, err := astcore.OpenRecordings(o.MonitorDir)
		if err != nil {
			release()
			if cfg.Spool != nil {
				cfg.Spool.Close()
			}
			return fail(pbx.InvalidArgument, "", err)
		}
		cfg.Recordings = r
	}
	closeDirs := func() {
		if cfg.Spool != nil {
			cfg.Spool.Close()
		}
		if cfg.Recordings != nil {
			cfg.Recordings.Close()
		}
	}
	conn, err := ami.Dial(ctx, addr, &ami.Options{
		Username: o.Username, Secret: o.Secret, TLS: o.TLS, Dialer: o.Dialer,
		Events: true, PingInterval: o.PingInterval, ReconnectMax: o.ReconnectMax,
		Logger: logger, IDPrefix: "pbxkit-",
	})
	if err != nil {
		release()
		closeDirs()
		return fail(astcore.ErrorCode(err), addr, err)
	}
	cfg.Conn = conn
	closers = append(closers, conn.Close)
	if o.ARI != nil {
		a, err := ari.Dial(ctx, &ari.Options{
			URL: o.ARI.URL, Username: o.ARI.Username, Password: o.ARI.Password,
			Application: o.ARI.Application, Logger: logger,
		})
		if err != nil {
			release()
			closeDirs()
			return fail(astcore.ErrorCode(err), o.ARI.URL, err)
		}
		cfg.ARI = a
		closers = append(closers, a.Close)
	}
	return cfg, release, nil
}

func vmContext(s string) string {
	if s == "" {
		return "default"
	}
	return s
}

// String describes the options without secrets.
func (o *Options) String() string {
	return fmt.Sprintf("asterisk.Options{Username: %q, Secret: %s, SpoolDir: %q, ExtensionsFile: %q}",
		o.Username, pbx.Secret(o.Secret), o.SpoolDir, o.ExtensionsFile)
}
