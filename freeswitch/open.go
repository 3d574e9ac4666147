package freeswitch

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/cdrstore"
	"github.com/pbxkit/pbxkit/pbx"
)

// Scheme is the URL scheme the package registers on pbx.DefaultURLMux.
const Scheme = "freeswitch"

func init() {
	pbx.DefaultURLMux().Register(Scheme, &URLOpener{})
}

// URLOpener opens "freeswitch" URLs:
//
//	freeswitch://:password@host[:8021][?param=value&...]
//
// The password is the Event Socket password (the user part is unused); the
// port defaults to 8021. Parameters (values URL-encoded):
//
//	tls=1                       connect over TLS, to a terminator in front of mod_event_socket
//	domain=example.com          the directory domain (default: the switch's "domain" variable)
//	profiles=internal,internal-ipv6   the Sofia profiles of the extensions' registrations
//	directory=/etc/freeswitch/directory/default   the user files: enables extension management
//	voicemail=/var/lib/freeswitch/storage/voicemail   mod_voicemail's storage: enables voicemail
//	vm_profile=default          the mod_voicemail profile
//	cdr_csv=/var/log/freeswitch/cdr-csv/Master.csv   read CDRs from mod_cdr_csv
//	cdr_tz=Europe/Paris         the time zone mod_cdr_csv writes in (default UTC)
//	store=db                    where DND, forwarding and follow-me live: db or hash
//	realm=pbxkit                the db or hash realm of their keys
//	dial_context=default        the XML dialplan context of dialed numbers and transfers
//	hold_music=local_stream://moh   what music-on-hold calls play
//	conference_profile=default  the mod_conference profile of joined rooms
//	queue_domain=default        the domain part queue IDs leave out ("support@default" is "support")
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

// ParseURL reads a freeswitch URL (see URLOpener for the grammar) into a
// copy of defaults and returns it with the Event Socket address. Errors
// never contain the password.
func ParseURL(u *url.URL, defaults *Options) (*Options, string, error) {
	opts := *defaults
	bad := func(format string, args ...any) error {
		return &pbx.Error{Code: pbx.InvalidArgument, Op: "Open", Backend: Scheme, ID: pbx.RedactURL(u), Err: fmt.Errorf(format, args...)}
	}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			opts.Password = pw
		}
	}
	port := "8021"
	cdrTZ := time.UTC
	var csvPath string
	for key, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch key {
		case "tls":
			on, err := strconv.ParseBool(v)
			if err != nil {
				return nil, "", bad("tls=%q: want a boolean", v)
			}
			if on && opts.TLS == nil {
				opts.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
			}
		case "domain":
			opts.Domain = v
		case "profiles":
			opts.Profiles = strings.Split(v, ",")
		case "directory":
			opts.Directory = v
		case "voicemail":
			opts.VoicemailDir = v
		case "vm_profile":
			opts.VoicemailProfile = v
		case "cdr_csv":
			csvPath = v
		case "cdr_tz":
			loc, err := time.LoadLocation(v)
			if err != nil {
				return nil, "", bad("cdr_tz=%q: %v", v, err)
			}
			cdrTZ = loc
		case "store":
			opts.Store.Kind = v
		case "realm":
			opts.Store.Realm = v
		case "dial_context":
			opts.Dialplan.Context = v
		case "hold_music":
			opts.Dialplan.HoldMusic = v
		case "conference_profile":
			opts.Dialplan.ConferenceProfile = v
		case "queue_domain":
			opts.QueueDomain = v
		default:
			return nil, "", bad("unknown parameter %q", key)
		}
	}
	if opts.Password == "" {
		return nil, "", bad("no Event Socket password: want freeswitch://:password@host:8021")
	}
	if _, err := opts.withDefaults(); err != nil {
		return nil, "", bad("%v", err)
	}
	if csvPath != "" {
		opts.CDR = cdrstore.NewCSV(csvPath, &cdrstore.CSVOptions{Location: cdrTZ, Layout: cdrstore.LayoutFreeSWITCH})
	}
	host := u.Host
	if u.Hostname() == "" {
		return nil, "", bad("no host")
	}
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), port)
	}
	return &opts, host, nil
}
