package asterisk_test

import (
	"context"
	"errors"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/pbx"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		name, url, addr string
		check           func(*asterisk.Options) bool
	}{
		{"defaults", "asterisk://pbxkit:pw@pbx.example.net", "pbx.example.net:5038",
			func(o *asterisk.Options) bool {
				return o.Username == "pbxkit" && o.Secret == "pw" && o.TLS == nil && o.CDR == nil && o.ARI == nil && o.SpoolDir == ""
			}},
		{"tls moves the default port", "asterisk://u:pw@[::1]?tls=1", "[::1]:5039",
			func(o *asterisk.Options) bool { return o.TLS != nil && o.TLS.MinVersion != 0 }},
		{"explicit port wins", "asterisk://u:pw@10.0.0.5:6000?tls=true", "10.0.0.5:6000",
			func(o *asterisk.Options) bool { return o.TLS != nil }},
		{"every other parameter", "asterisk://u:pw@127.0.0.1:5038?spool=/var/spool/asterisk/voicemail&vmcontext=office" +
			"&monitor=/var/spool/asterisk/monitor&extensions=pjsip_custom.conf&cdr_csv=/var/log/asterisk/cdr-csv/Master.csv&cdr_tz=Europe/Paris" +
			"&dial_context=outbound&hold=moh,1&echo=tests,echo&park=parking,701&conference_context=rooms" +
			"&ari=" + url.QueryEscape("http://ariuser:aripw@127.0.0.1:8088/ari") + "&ari_app=myapp",
			"127.0.0.1:5038", func(o *asterisk.Options) bool {
				d := o.Dialplan
				return o.SpoolDir == "/var/spool/asterisk/voicemail" && o.VoicemailContext == "office" &&
					o.MonitorDir == "/var/spool/asterisk/monitor" && o.ExtensionsFile == "pjsip_custom.conf" && o.CDR != nil &&
					d.DialContext == "outbound" && d.Hold == (asterisk.Location{Context: "moh", Exten: "1"}) &&
					d.Echo == (asterisk.Location{Context: "tests", Exten: "echo"}) && d.Park == (asterisk.Location{Context: "parking", Exten: "701"}) &&
					d.ConferenceContext == "rooms" && o.ARI != nil &&
					*o.ARI == (asterisk.ARIOptions{URL: "http://127.0.0.1:8088/ari", Username: "ariuser", Password: "aripw", Application: "myapp"})
			}},
		{"extensions=none", "asterisk://u:pw@host?extensions=none", "host:5038",
			func(o *asterisk.Options) bool { return o.NoExtensions && o.ExtensionsFile == "" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			defaults := &asterisk.Options{}
			o, addr, err := asterisk.ParseURL(u, defaults)
			if err != nil {
				t.Fatal(err)
			}
			if addr != tc.addr || !tc.check(o) {
				t.Fatalf("ParseURL = %+v, %q", o, addr)
			}
			if defaults.ARI != nil || defaults.TLS != nil || defaults.Username != "" {
				t.Fatalf("ParseURL modified its defaults: %+v", defaults)
			}
		})
	}
}

func TestParseURLRefuses(t *testing.T) {
	for _, tc := range []struct{ name, url string }{
		{"unknown parameter", "asterisk://u:hunter2@host?spoll=/var/spool"},
		{"no host", "asterisk://u:hunter2@"},
		{"bad tls", "asterisk://u:hunter2@host?tls=maybe"},
		{"bad time zone", "asterisk://u:hunter2@host?cdr_tz=Mars/Olympus"},
		{"two CDR sources", "asterisk://u:hunter2@host?cdr_csv=/x.csv&cdr_mysql=u:p@tcp(db)/cdr"},
		{"malformed CDR DSN", "asterisk://u:hunter2@host?cdr_mysql=" + url.QueryEscape("u:hunter2@tcp(db")},
		{"location without exten", "asterisk://u:hunter2@host?hold=moh"},
		{"ARI without host", "asterisk://u:hunter2@host?ari=" + url.QueryEscape("http://ari:hunter2@/ari")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pbx.Open(context.Background(), tc.url)
			if !errors.Is(err, pbx.ErrInvalid) {
				t.Fatalf("Open(%q) = %v, want ErrInvalid", tc.url, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error shows a password: %v", err)
			}
		})
	}
}

// TestOpenUnreachable: an Asterisk that is not there is Unavailable, and
// the error does not show the secret.
func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pbx.Open(ctx, "asterisk://u:hunter2@"+addr+"?ari="+url.QueryEscape("http://ari:hunter2@"+addr+"/ari"))
	if pbx.Code(err) != pbx.Unavailable || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("Open of a closed port = %v, want Unavailable without the secret", err)
	}
}
