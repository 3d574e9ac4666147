package freepbx

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/internal/fpbx"
	"github.com/pbxkit/pbxkit/pbx"
)

// Scheme is the URL scheme the package registers on pbx.DefaultURLMux.
const Scheme = "freepbx"

func init() {
	pbx.DefaultURLMux().Register(Scheme, &URLOpener{})
}

// Options configure a FreePBX backend. The embedded asterisk.Options reach
// the Asterisk under FreePBX (AMI credentials, spool, recordings, ARI,
// dialplan); the rest reach FreePBX's databases and its Apply Config. The
// zero value of each field is the default described; Open copies the
// Options and never modifies them.
type Options struct {
	asterisk.Options

	// DB is FreePBX's `asterisk` database; or set DBDSN, a go-sql-driver
	// DSN ("freepbxuser:secret@tcp(127.0.0.1:3306)/asterisk").
	DB    *sql.DB
	DBDSN string
	// CDRDB is the `asteriskcdrdb` database (or CDRDSN); when set, CDRs are
	// read from its cdr table (CDRTable), unless Options.CDR is set.
	CDRDB    *sql.DB
	CDRDSN   string
	CDRTable string

	// ApplyCommand applies configuration on this host; empty means
	// "fwconsole reload". GraphQL, when set, applies it remotely through the
	// API module instead (FreePBX 15 and later). NoApply leaves applying to
	// the GUI: changes only set need_reload.
	ApplyCommand []string
	GraphQL      *GraphQL
	NoApply      bool
	// AutoApply applies configuration after every change (a reload takes
	// seconds on a real FreePBX); otherwise call Admin.Apply.
	AutoApply bool
	// OnApply receives the steps of applying configuration.
	OnApply func(Progress)
}

// GraphQL reaches FreePBX's API module with a Machine-to-Machine
// application's credentials (Admin → API → Applications).
type GraphQL struct {
	// BaseURL is the web root, "https://pbx.example.com".
	BaseURL string
	// ClientID and ClientSecret are the application's.
	ClientID, ClientSecret string
	// HTTPClient is used for the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// PollInterval is the pause between status polls; 0 means 1s.
	PollInterval time.Duration
}

// Progress is one step of applying configuration.
type Progress = fpbx.Progress

// ApplyResult is the outcome of applying configuration.
type ApplyResult = fpbx.ApplyResult

// Admin is what only FreePBX has: the need_reload flag and Apply Config.
// Get it with Client.As:
//
//	var admin *freepbx.Admin
//	if c.As(&admin) { res, err := admin.Apply(ctx) }
type Admin = fpbx.Admin

// Open connects to FreePBX: its Asterisk's AMI at addr ("127.0.0.1:5038")
// and its database. ctx bounds connecting only; the connections live until
// Close. Extensions are written as FreePBX's GUI writes them; calls are
// originated as FreePBX's own click-to-call, on Local/<ext>@originate-skipvm.
func Open(ctx context.Context, addr string, opts *Options) (*pbx.Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	return fpbx.Open(ctx, &fpbx.FreePBX, addr, o.core())
}

// core returns the options in the shared backend's terms.
func (o *Options) core() fpbx.Options {
	f := fpbx.Options{
		Options: o.Options, DB: o.DB, CDRDB: o.CDRDB, DBDSN: o.DBDSN, CDRDSN: o.CDRDSN, CDRTable: o.CDRTable,
		ApplyCommand: o.ApplyCommand, NoApply: o.NoApply, AutoApply: o.AutoApply, OnApply: o.OnApply,
	}
	if o.GraphQL != nil {
		f.GraphQL = o.GraphQL.applier()
	}
	return f
}

func (g *GraphQL) applier() *fpbx.GraphQLApplier {
	return &fpbx.GraphQLApplier{BaseURL: g.BaseURL, ClientID: g.ClientID, ClientSecret: g.ClientSecret,
		HTTPClient: g.HTTPClient, PollInterval: g.PollInterval}
}

// HostOptions reads what a program running on the FreePBX host needs from
// /etc/freepbx.conf (database credentials) and /etc/amportal.conf (AMI
// credentials, spool and recordings directories), or from the given paths.
// It returns the Options and the AMI address.
func HostOptions(paths ...string) (*Options, string, error) {
	if len(paths) == 0 {
		paths = []string{"/etc/amportal.conf", "/etc/asterisk/freepbx.conf", "/etc/freepbx.conf"}
	}
	s, err := fpbx.ReadSettings(paths...)
	if err != nil {
		return nil, "", err
	}
	if s["AMPDBUSER"] == "" && s["AMPMGRUSER"] == "" {
		return nil, "", pbx.Errorf(pbx.FailedPrecondition, "no FreePBX settings in %s", strings.Join(paths, ", "))
	}
	o := &Options{Options: asterisk.Options{
		Username: s["AMPMGRUSER"], Secret: s["AMPMGRPASS"],
		SpoolDir:   or(s["ASTSPOOLDIR"], "/var/spool/asterisk") + "/voicemail",
		MonitorDir: or(s["MIXMON_DIR"], or(s["ASTSPOOLDIR"], "/var/spool/asterisk")+"/monitor"),
	}}
	db := dsn(s["AMPDBUSER"], s["AMPDBPASS"], or(s["AMPDBHOST"], "localhost"), s["AMPDBPORT"], or(s["AMPDBNAME"], "asterisk"))
	o.DBDSN = db
	o.CDRDSN = dsn(s["AMPDBUSER"], s["AMPDBPASS"], or(s["CDRDBHOST"], or(s["AMPDBHOST"], "localhost")), s["CDRDBPORT"], or(s["CDRDBNAME"], "asteriskcdrdb"))
	addr := net.JoinHostPort(or(s["ASTMANAGERHOST"], "127.0.0.1"), or(s["ASTMANAGERPORT"], "5038"))
	return o, addr, nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// dsn builds a go-sql-driver DSN; "localhost" means the local socket.
func dsn(user, pass, host, port, db string) string {
	addr := "tcp(" + net.JoinHostPort(host, or(port, "3306")) + ")"
	if host == "localhost" && port == "" {
		addr = "unix(/var/lib/mysql/mysql.sock)"
	}
	return fmt.Sprintf("%s:%s@%s/%s", user, pass, addr, db)
}

// URLOpener opens "freepbx" URLs:
//
//	freepbx://amiuser:amisecret@host[:5038]?db=<DSN>[&cdrdb=<DSN>][&param=value...]
//	freepbx:///?local=1     read /etc/freepbx.conf and /etc/amportal.conf on this host
//
// db and cdrdb are go-sql-driver DSNs (URL-encoded). apply=command (the
// default, "fwconsole reload"), apply=none, or apply=graphql with
// graphql_url, graphql_id and graphql_secret; autoapply=1 applies after
// every change. The asterisk backend's parameters (spool, monitor,
// vmcontext, ari, hold, echo, park, conference_context, dial_context) work
// too. Unknown parameters are refused.
type URLOpener struct {
	// Options are the defaults that the URL overrides.
	Options Options
}

// OpenClientURL implements pbx.URLOpener.
func (o *URLOpener) OpenClientURL(ctx context.Context, u *url.URL, copts *pbx.ClientOptions) (*pbx.Client, error) {
	var gql GraphQL
	useGQL := false
	own := func(key, v string) (bool, error) {
		switch key {
		case "apply":
			useGQL = v == "graphql"
			return useGQL, nil
		case "graphql_url":
			gql.BaseURL = v
		case "graphql_id":
			gql.ClientID = v
		case "graphql_secret":
			gql.ClientSecret = v
		default:
			return false, nil
		}
		return true, nil
	}
	host := func() (fpbx.Options, string, error) {
		h, addr, err := HostOptions()
		if err != nil {
			return fpbx.Options{}, "", err
		}
		return h.core(), addr, nil
	}
	f, addr, err := fpbx.ParseURL(u, &fpbx.FreePBX, o.Options.core(), host, own)
	if err != nil {
		return nil, err
	}
	if useGQL {
		f.GraphQL = gql.applier()
	}
	if copts != nil {
		f.Client = copts
	}
	return fpbx.Open(ctx, &fpbx.FreePBX, addr, f)
}
