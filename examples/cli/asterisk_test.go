package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/pbxkit/pbxkit/asterisktest"
)

// asteriskURL is the URL of a test Asterisk, with its spool and Master.csv.
func asteriskURL(srv *asterisktest.Server) string {
	u := url.URL{Scheme: "asterisk", User: url.UserPassword(srv.AMIUser, srv.AMISecret), Host: srv.AMIAddr}
	q := url.Values{"spool": {srv.SpoolDir}, "cdr_csv": {srv.CDRCSVPath}}
	u.RawQuery = q.Encode()
	return u.String()
}

// TestAgainstAsterisk runs pbxctl against a real Asterisk: it lists calls,
// places a call-me to a registered phone, sees it listed and followed as
// events, and hangs it up.
func TestAgainstAsterisk(t *testing.T) {
	srv := asterisktest.Start(t, nil)
	ctx := context.Background()
	phone, err := srv.Register(ctx, "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	pbxURL := asteriskURL(srv)

	if out := pbxctl(t, "--pbx", pbxURL, "calls", "list").ok(t).stdout; strings.Contains(out, "PJSIP/1001") {
		t.Fatalf("a call exists before any was placed:\n%s", out)
	}

	// Follow the events while a call-me is placed and hung up.
	checkEvents := followCallEvents(t, pbxURL, "1001")

	id := strings.TrimSpace(pbxctl(t, "--pbx", pbxURL, "calls", "callme", "1001", "--mode", "hold").ok(t).stdout)
	if err := phone.WaitFor(ctx, func(s asterisktest.PhoneStats) bool { return s.Answered >= 1 }); err != nil {
		t.Fatal(err)
	}
	if out := pbxctl(t, "--pbx", pbxURL, "calls", "list", "--ext", "1001").ok(t).stdout; !strings.Contains(out, "MusicOnHold") {
		t.Fatalf("calls list during the call-me:\n%s", out)
	}
	pbxctl(t, "--pbx", pbxURL, "calls", "hangup", "--ext", "1001").ok(t)
	checkEvents(id)
}
