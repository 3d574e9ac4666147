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

	// AstDB names the astdb keys of DND, call forwarding and follow-me; the
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

// backend is the asterisk pbx.Backend: the shared Asterisk core over an AMI
// connection it owns.
type backend struct {
	*astcore.Core
	conn *ami.Conn
	ari  *ari.Client // nil without ARI
	cdr  pbx.CDRBackend
}

// Close stops the core, closes the AMI connection and releases a CDR store
// that has a Close method (one opened from a URL).
func (b *backend) Close() error {
	errs := []error{b.Core.Close(), b.conn.Close()}
	if b.ari != nil {
		errs = append(errs, b.ari.Close())
	}
	if c, ok := b.cdr.(io.Closer); ok {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// Open connects to Asterisk's AMI at addr ("127.0.0.1:5038"), logs in with
// events on and returns a Client. ctx bounds connecting and logging in only;
// afterwards the connection lives, reconnecting as needed, until Close.
func Open(ctx context.Context, addr string, opts *Options) (*pbx.Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var spool *astcore.Spool
	if o.SpoolDir != "" {
		s, err := astcore.OpenSpool(o.SpoolDir, vmContext(o.VoicemailContext))
		if err != nil {
			return nil, &pbx.Error{Code: pbx.InvalidArgument, Op: "Open", Backend: Scheme, Err: err}
		}
		spool = s
	}
	var recs *astcore.Recordings
	if o.MonitorDir != "" {
		r, err := astcore.OpenRecordings(o.MonitorDir)
		if err != nil {
			if spool != nil {
				spool.Close()
			}
			return nil, &pbx.Error{Code: pbx.InvalidArgument, Op: "Open", Backend: Scheme, Err: err}
		}
		recs = r
	}
	closeDirs := func() {
		if spool != nil {
			spool.Close()
		}
		if recs != nil {
			recs.Close()
		}
	}
	conn, err := ami.Dial(ctx, addr, &ami.Options{
		Username: o.Username, Secret: o.Secret, TLS: o.TLS, Dialer: o.Dialer,
		Events: true, PingInterval: o.PingInterval, ReconnectMax: o.ReconnectMax,
		Logger: logger.With("backend", Scheme), IDPrefix: "pbxkit-",
	})
	if err != nil {
		closeDirs()
		return nil, &pbx.Error{Code: astcore.ErrorCode(err), Op: "Open", Backend: Scheme, ID: addr, Err: err}
	}
	var ariClient *ari.Client
	if o.ARI != nil {
		ariClient, err = ari.Dial(ctx, &ari.Options{
			URL: o.ARI.URL, Username: o.ARI.Username, Password: o.ARI.Password,
			Application: o.ARI.Application, Logger: logger.With("backend", Scheme),
		})
		if err != nil {
			conn.Close()
			closeDirs()
			return nil, &pbx.Error{Code: astcore.ErrorCode(err), Op: "Open", Backend: Scheme, ID: o.ARI.URL, Err: err}
		}
	}
	cfg := astcore.Config{
		Name: Scheme, Conn: conn, ARI: ariClient, Dialplan: o.Dialplan.core(), AstDB: astcore.AstDB(o.AstDB),
		Spool: spool, Recordings: recs, VoicemailContext: vmContext(o.VoicemailContext), CDR: o.CDR, Logger: logger,
	}
	if !o.NoExtensions {
		cfg.Extensions = astcore.NewPJSIPStore(astcore.PJSIPOptions{File: o.ExtensionsFile, VoicemailContext: vmContext(o.VoicemailContext)})
	}
	b := &backend{Core: astcore.New(cfg), conn: conn, ari: ariClient, cdr: o.CDR}
	c, err := pbx.NewClient(b, o.Client)
	if err != nil {
		b.Close()
		return nil, err
	}
	return c, nil
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
