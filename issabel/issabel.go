package issabel

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/internal/fpbx"
	"github.com/pbxkit/pbxkit/pbx"
)

// Scheme is the URL scheme the package registers on pbx.DefaultURLMux.
const Scheme = "issabel"

func init() {
	pbx.DefaultURLMux().Register(Scheme, &URLOpener{})
}

// Options configure an Issabel backend. The embedded asterisk.Options reach
// the Asterisk under Issabel; the rest reach IssabelPBX's databases and its
// "apply changes". The zero value of each field is the default described;
// Open copies the Options and never modifies them.
type Options struct {
	asterisk.Options

	// DB is IssabelPBX's `asterisk` database; or set DBDSN, a go-sql-driver
	// DSN ("asteriskuser:secret@tcp(127.0.0.1:3306)/asterisk").
	DB    *sql.DB
	DBDSN string
	// CDRDB is the `asteriskcdrdb` database (or CDRDSN); when set, CDRs are
	// read from its cdr table (CDRTable), unless Options.CDR is set. Its
	// columns are discovered: upgraded Issabel 4 tables lack some.
	CDRDB    *sql.DB
	CDRDSN   string
	CDRTable string

	// ApplyCommand applies configuration on this host; empty means
	// "amportal a r" (the GUI's apply: retrieve_conf, then a reload).
	// NoApply leaves applying to the GUI: changes only set need_reload.
	ApplyCommand []string
	NoApply      bool
	// AutoApply applies configuration after every change; otherwise call
	// Admin.Apply.
	AutoApply bool
	// OnApply receives the steps of applying configuration.
	OnApply func(Progress)
}

// Progress is one step of applying configuration.
type Progress = fpbx.Progress

// ApplyResult is the outcome of applying configuration.
type ApplyResult = fpbx.ApplyResult

// Admin is what only IssabelPBX has: the need_reload flag and apply changes.
// Get it with Client.As.
type Admin = fpbx.Admin

// Open connects to Issabel: its Asterisk's AMI at addr ("127.0.0.1:5038")
// and its database. ctx bounds connecting only. Extensions are written as
// IssabelPBX's REST API writes them. IssabelPBX has no originate-skipvm
// context, so calls are originated on the extension's device.
func Open(ctx context.Context, addr string, opts *Options) (*pbx.Client, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	return fpbx.Open(ctx, &fpbx.Issabel, addr, o.core())
}

// core returns the options in the shared backend's terms.
func (o *Options) core() fpbx.Options {
	return fpbx.Options{
		Options: o.Options, DB: o.DB, CDRDB: o.CDRDB, DBDSN: o.DBDSN, CDRDSN: o.CDRDSN, CDRTable: o.CDRTable,
		ApplyCommand: o.ApplyCommand, NoApply: o.NoApply, AutoApply: o.AutoApply, OnApply: o.OnApply,
	}
}

// HostOptions reads what a program running on the Issabel host needs from
// /etc/issabel.conf (the AMI admin password, amiadminpwd) and
// /etc/amportal.conf (the database user), or from the given paths. It
// returns the Options and the AMI address.
func HostOptions(paths ...string) (*Options, string, error) {
	if len(paths) == 0 {
		paths = []string{"/etc/amportal.conf", "/etc/issabel.conf"}
	}
	s, err := fpbx.ReadSettings(paths...)
	if err != nil {
		return nil, "", err
	}
	if s["AMPDBUSER"] == "" && s["amiadminpwd"] == "" {
		return nil, "", pbx.Errorf(pbx.FailedPrecondition, "no Issabel settings in %s", strings.Join(paths, ", "))
	}
	secret := s["amiadminpwd"]
	if secret == "" {
		secret = s["AMPMGRPASS"]
	}
	spool := s["ASTSPOOLDIR"]
	if spool == "" {
		spool = "/var/spool/asterisk"
	}
	user, pass := s["AMPDBUSER"], s["AMPDBPASS"]
	o := &Options{
		Options: asterisk.Options{Username: "admin", Secret: secret, SpoolDir: spool + "/voicemail", MonitorDir: spool + "/monitor"},
		DBDSN:   fmt.Sprintf("%s:%s@unix(/var/lib/mysql/mysql.sock)/asterisk", user, pass),
		CDRDSN:  fmt.Sprintf("%s:%s@unix(/var/lib/mysql/mysql.sock)/asteriskcdrdb", user, pass),
	}
	return o, net.JoinHostPort("127.0.0.1", "5038"), nil
}

// URLOpener opens "issabel" URLs:
//
//	issabel://admin:amisecret@host[:5038]?db=<DSN>[&cdrdb=<DSN>][&param=value...]
//	issabel:///?local=1     read /etc/issabel.conf and /etc/amportal.conf on this host
//
// db and cdrdb are go-sql-driver DSNs (URL-encoded); apply=command (the
// default, "amportal a r") or apply=none; apply_command=...; autoapply=1.
// The asterisk backend's parameters work too. Unknown parameters are
// refused.
type URLOpener struct {
	// Options are the defaults that the URL overrides.
	Options Options
}

// OpenClientURL implements pbx.URLOpener.
func (o *URLOpener) OpenClientURL(ctx context.Context, u *url.URL, copts *pbx.ClientOptions) (*pbx.Client, error) {
	host := func() (fpbx.Options, string, error) {
		h, addr, err := HostOptions()
		if err != nil {
			return fpbx.Options{}, "", err
		}
		return h.core(), addr, nil
	}
	none := func(string, string) (bool, error) { return false, nil }
	f, addr, err := fpbx.ParseURL(u, &fpbx.Issabel, o.Options.core(), host, none)
	if err != nil {
		return nil, err
	}
	if copts != nil {
		f.Client = copts
	}
	return fpbx.Open(ctx, &fpbx.Issabel, addr, f)
}
