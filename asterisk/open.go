package asterisk

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pbxkit/pbxkit/cdrstore"
	"github.com/pbxkit/pbxkit/pbx"
)

// Scheme is the URL scheme the package registers on pbx.DefaultURLMux.
const Scheme = "asterisk"

func init() {
	pbx.DefaultURLMux().Register(Scheme, &URLOpener{})
}

// URLOpener opens "asterisk" URLs:
//
//	asterisk://user:secret@host[:5038][?param=value&...]
//
// The user and secret are the AMI credentials; the port defaults to 5038.
// Parameters (values URL-encoded):
//
//	tls=1                        connect to AMI over TLS (port 5039 by default)
//	spool=/var/spool/asterisk/voicemail   app_voicemail's spool: enables voicemail
//	vmcontext=default            voicemail context of bare mailbox numbers
//	monitor=/var/spool/asterisk/monitor   MixMonitor's tree: enables recordings
//	extensions=pjsip.conf        the PJSIP file holding the extensions
//	extensions=none              leave extension management out
//	cdr_csv=/var/log/asterisk/cdr-csv/Master.csv   read CDRs from cdr_csv
//	cdr_mysql=<DSN>              read CDRs from MySQL, a go-sql-driver DSN such
//	                             as user:pw@tcp(db:3306)/asteriskcdrdb
//	cdr_table=cdr                the CDR table (cdr_mysql)
//	cdr_tz=Europe/Paris          the time zone CDR times are written in (default UTC)
//	dial_context=from-internal   context of dialed numbers
//	hold=pbxkit-callme,hold      music-on-hold location (context,exten)
//	echo=pbxkit-callme,echo      echo-test location
//	park=parkedcalls,700         park location
//	conference_context=pbxkit-conference
//	ari=http://user:secret@127.0.0.1:8088/ari   also use ARI (see Options.ARI)
//	ari_app=pbxkit               the Stasis application name
//
// Unknown parameters are refused, so that a typo does not pass unnoticed.
type URLOpener struct {
	// Options are the defaults that the URL overrides; the TLS config,
	// dialer and logger can only be set here.
	Options Options
}

// OpenClientURL implements pbx.URLOpener.
func (o *URLOpener) OpenClientURL(ctx context.Context, u *url.URL, copts *pbx.ClientOptions) (*pbx.Client, error) {
	opts, addr, err := ParseURL(u, &o.Options)
	if err != nil {
		return nil, err
	}
	if copts != nil {
		opts.Client = copts
	}
	return Open(ctx, addr, opts)
}

// ParseURL reads an asterisk URL (see URLOpener for the grammar) into a copy
// of defaults and returns it with the AMI address. A CDR store it opens
// (cdr_mysql) is released when the client closes, or by Open when it fails.
// The freepbx and issabel openers use it for their Asterisk parameters.
func ParseURL(u *url.URL, defaults *Options) (*Options, string, error) {
	opts := *defaults
	bad := func(format string, args ...any) error {
		return &pbx.Error{Code: pbx.InvalidArgument, Op: "Open", Backend: u.Scheme, ID: pbx.RedactURL(u), Err: fmt.Errorf(format, args...)}
	}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Secret, _ = u.User.Password()
	}
	port := "5038"
	var cdrTZ *time.Location = time.UTC
	var csvPath, mysqlDSN, table string
	for key, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch key {
		case "tls":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, "", bad("tls=%q: want a boolean", v)
			}
			if on {
				if opts.TLS == nil {
					opts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
				}
				port = "5039"
			}
		case "spool":
			opts.SpoolDir = v
		case "monitor":
			opts.MonitorDir = v
		case "vmcontext":
			opts.VoicemailContext = v
		case "extensions":
			if v == "none" {
				opts.NoExtensions = true
			} else {
				opts.ExtensionsFile = v
			}
		case "cdr_csv":
			csvPath = v
		case "cdr_mysql":
			mysqlDSN = v
		case "cdr_table":
			table = v
		case "cdr_tz":
			loc, err := time.LoadLocation(v)
			if err != nil {
				return nil, "", bad("cdr_tz=%q: %v", v, err)
			}
			cdrTZ = loc
		case "ari":
			au, err := url.Parse(v)
			if err != nil || au.Host == "" {
				return nil, "", bad("ari: want http(s)://user:secret@host:port/ari")
			}
			if opts.ARI == nil {
				opts.ARI = &ARIOptions{}
			}
			if au.User != nil {
				opts.ARI.Username = au.User.Username()
				opts.ARI.Password, _ = au.User.Password()
				au.User = nil
			}
			opts.ARI.URL = au.String()
		case "ari_app":
			if opts.ARI == nil {
				opts.ARI = &ARIOptions{}
			}
			opts.ARI.Application = v
		case "dial_context":
			opts.Dialplan.DialContext = v
		case "conference_context":
			opts.Dialplan.ConferenceContext = v
		case "hold", "echo", "park":
			ctxName, exten, ok := strings.Cut(v, ",")
			if !ok || ctxName == "" || exten == "" {
				return nil, "", bad("%s=%q: want context,exten", key, v)
			}
			loc := Location{Context: ctxName, Exten: exten}
			switch key {
			case "hold":
				opts.Dialplan.Hold = loc
			case "echo":
				opts.Dialplan.Echo = loc
			default:
				opts.Dialplan.Park = loc
			}
		default:
			return nil, "", bad("unknown parameter %q", key)
		}
	}
	switch {
	case csvPath != "" && mysqlDSN != "":
		return nil, "", bad("set cdr_csv or cdr_mysql, not both")
	case csvPath != "":
		opts.CDR = cdrstore.NewCSV(csvPath, &cdrstore.CSVOptions{Location: cdrTZ})
	case mysqlDSN != "":
		cfg, err := mysql.ParseDSN(mysqlDSN)
		if err != nil {
			return nil, "", bad("cdr_mysql: malformed DSN") // the parser's message would quote the password
		}
		store, err := cdrstore.OpenSQL(cfg, &cdrstore.SQLOptions{Table: table, Location: cdrTZ})
		if err != nil {
			return nil, "", err
		}
		opts.CDR = store
	}
	host := u.Host
	if host == "" {
		return nil, "", bad("no host")
	}
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), port)
	}
	return &opts, host, nil
}
