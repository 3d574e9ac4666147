package freeswitch_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/esl/esltest"
	"github.com/pbxkit/pbxkit/freeswitch"
	"github.com/pbxkit/pbxkit/pbx"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		name, url, addr string
		check           func(*freeswitch.Options) bool
	}{
		{"defaults", "freeswitch://:pw@pbx.example.net", "pbx.example.net:8021",
			func(o *freeswitch.Options) bool { return o.Password == "pw" && o.CDR == nil && o.Directory == "" }},
		{"every parameter", "freeswitch://:pw@127.0.0.1:9021?directory=/etc/freeswitch/directory/default&voicemail=/var/lib/freeswitch/storage/voicemail" +
			"&cdr_csv=/var/log/freeswitch/cdr-csv/Master.csv&cdr_tz=Europe/Paris&domain=example.com&profiles=internal,internal-ipv6" +
			"&store=hash&realm=features&dial_context=public&hold_music=local_stream://jazz&conference_profile=wideband&vm_profile=vm&queue_domain=example.com&tls=1",
			"127.0.0.1:9021", func(o *freeswitch.Options) bool {
				return o.Directory == "/etc/freeswitch/directory/default" && o.VoicemailDir == "/var/lib/freeswitch/storage/voicemail" &&
					o.CDR != nil && o.Domain == "example.com" && len(o.Profiles) == 2 && o.Store == (freeswitch.Store{Kind: "hash", Realm: "features"}) &&
					o.Dialplan == (freeswitch.Dialplan{Context: "public", HoldMusic: "local_stream://jazz", ConferenceProfile: "wideband"}) &&
					o.VoicemailProfile == "vm" && o.QueueDomain == "example.com" && o.TLS != nil
			}},
		{"user part ignored", "freeswitch://anyone:pw@[::1]", "[::1]:8021", func(o *freeswitch.Options) bool { return o.Password == "pw" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := url.Parse(tc.url)
			if err != nil {
				t.Fatal(err)
			}
			o, addr, err := freeswitch.ParseURL(u, &freeswitch.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if addr != tc.addr || !tc.check(o) {
				t.Fatalf("ParseURL = %+v, %q", o, addr)
			}
		})
	}
}

func TestParseURLRefuses(t *testing.T) {
	for _, tc := range []struct{ name, url string }{
		{"unknown parameter", "freeswitch://:hunter2@host?directroy=/etc"},
		{"no password", "freeswitch://host"},
		{"no host", "freeswitch://:hunter2@"},
		{"bad store", "freeswitch://:hunter2@host?store=redis"},
		{"bad realm", "freeswitch://:hunter2@host?realm=a/b"},
		{"bad profile", "freeswitch://:hunter2@host?profiles=internal,in ternal"},
		{"bad domain", "freeswitch://:hunter2@host?domain=a%20b"},
		{"bad hold music", "freeswitch://:hunter2@host?hold_music=a(b)"},
		{"bad time zone", "freeswitch://:hunter2@host?cdr_tz=Mars/Olympus"},
		{"bad tls", "freeswitch://:hunter2@host?tls=maybe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pbx.Open(context.Background(), tc.url)
			if !errors.Is(err, pbx.ErrInvalid) {
				t.Fatalf("Open(%q) = %v, want ErrInvalid", tc.url, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// TestOpenFailures: a refused password is PermissionDenied, a switch that
// is down Unavailable; neither error shows the password, and the default
// password is warned about.
func TestOpenFailures(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := pbx.Open(ctx, "freeswitch://:hunter2@"+srv.Addr())
	if pbx.Code(err) != pbx.PermissionDenied || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("wrong password: %v", err)
	}
	srv.RefuseConnections(true)
	_, err = pbx.Open(ctx, "freeswitch://:ClueCon@"+srv.Addr())
	if pbx.Code(err) != pbx.Unavailable || strings.Contains(err.Error(), "ClueCon") {
		t.Fatalf("switch down: %v", err)
	}
	srv.RefuseConnections(false)

	var logs bytes.Buffer
	c, err := freeswitch.Open(ctx, srv.Addr(), &freeswitch.Options{Password: esl.DefaultPassword, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "ClueCon") {
		t.Fatalf("no warning about the default password:\n%s", logs.String())
	}
}

// TestOptionsNotModified: Open copies its Options.
func TestOptionsNotModified(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	opts := &freeswitch.Options{Password: srv.Password(), Profiles: []string{"internal"}}
	before := *opts
	c, err := freeswitch.Open(context.Background(), srv.Addr(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if opts.Domain != before.Domain || opts.Store != before.Store || opts.Dialplan != before.Dialplan || opts.Logger != nil {
		t.Fatalf("Open modified its options: %+v", opts)
	}
	if s := opts.String(); strings.Contains(s, srv.Password()) {
		t.Fatalf("Options.String shows the password: %s", s)
	}
	var conn *esl.Conn
	if !c.As(&conn) || conn == nil {
		t.Fatal("As(**esl.Conn) failed")
	}
}
