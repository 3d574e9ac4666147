package main

import (
	"strings"
	"testing"

	"github.com/pbxkit/pbxkit/esl/esltest"
)

// TestAgainstFreeSWITCH runs pbxctl against esltest's simulated FreeSWITCH
// with its default Event Socket password: it lists calls, places a call-me
// to a registered phone, sees it listed and followed as events, and hangs
// it up.
func TestAgainstFreeSWITCH(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	if err := srv.Register("1000", esltest.Registration{UserAgent: "Yealink SIP-T46S"}); err != nil {
		t.Fatal(err)
	}
	pbxURL := "freeswitch://:ClueCon@" + srv.Addr()

	if out := pbxctl(t, "--pbx", pbxURL, "calls", "list").ok(t).stdout; strings.Contains(out, "sofia/internal") {
		t.Fatalf("a call exists before any was placed:\n%s", out)
	}

	waitFor(t, "the first run's connection to close", func() bool { return srv.Connections() == 0 })
	checkEvents := followCallEvents(t, pbxURL, "1000")

	id := strings.TrimSpace(pbxctl(t, "--pbx", pbxURL, "calls", "callme", "1000", "--mode", "hold").ok(t).stdout)
	waitFor(t, "the call-me playing music on hold", func() bool {
		out := pbxctl(t, "--pbx", pbxURL, "calls", "list", "--ext", "1000").ok(t).stdout
		return strings.Contains(out, "playback") && strings.Contains(out, id)
	})
	if out := pbxctl(t, "--pbx", pbxURL, "calls", "hangup", "--ext", "1000").ok(t).stdout; !strings.Contains(out, id) {
		t.Fatalf("hangup --ext did not name the call-me:\n%s", out)
	}
	checkEvents(id)
	if out := pbxctl(t, "--pbx", pbxURL, "calls", "list").ok(t).stdout; strings.Contains(out, id) {
		t.Fatalf("the call is still listed after the hang-up:\n%s", out)
	}
}
