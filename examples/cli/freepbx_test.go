package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/internal/distrotest"
)

// TestAgainstFreePBX runs pbxctl against FreePBX's databases and a real
// Asterisk: extensions come from the database, a new one is written as the
// GUI writes it, a call-me rings the phone through originate-skipvm, and
// the seeded call's CDR shows its recording.
func TestAgainstFreePBX(t *testing.T) {
	ctx := context.Background()
	env, err := asttest.NewDistro(ctx, t, distrotest.FreePBX)
	if err != nil {
		t.Fatal(err)
	}
	pbxURL := env.URL(t, "freepbx")

	out := pbxctl(t, "--pbx", pbxURL, "extensions", "list").ok(t).stdout
	for _, name := range []string{"Alice", "Bob", "Frank"} {
		if !strings.Contains(out, name) {
			t.Fatalf("extensions list lacks %s:\n%s", name, out)
		}
	}
	out = pbxctl(t, "--pbx", pbxURL, "extensions", "create", "1080", "--name", "Grace", "--mailbox", "1080").ok(t).stdout
	if !strings.Contains(out, "Grace") {
		t.Fatalf("extensions create:\n%s", out)
	}
	var n int
	if err := env.DBs.Asterisk.QueryRow("SELECT COUNT(*) FROM sip WHERE id = '1080' AND keyword = 'sipdriver' AND data = 'chan_pjsip'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("sipdriver rows for 1080: %d, %v", n, err)
	}

	id := strings.TrimSpace(pbxctl(t, "--pbx", pbxURL, "calls", "callme", "1001", "--mode", "hold").ok(t).stdout)
	if id == "" {
		t.Fatal("callme printed no call ID")
	}
	waitFor(t, "the call-me in MusicOnHold", func() bool {
		out := pbxctl(t, "--pbx", pbxURL, "calls", "list", "--ext", "1001").ok(t).stdout
		return strings.Contains(out, "MusicOnHold") && strings.Contains(out, "originate-skipvm")
	})
	pbxctl(t, "--pbx", pbxURL, "calls", "hangup", "--ext", "1001").ok(t)

	out = pbxctl(t, "--pbx", pbxURL, "cdr", "list", "--src", "1002", "--format", "json").ok(t).stdout
	if !strings.Contains(out, env.Recording) {
		t.Fatalf("cdr list lacks the recording %s:\n%s", env.Recording, out)
	}
}

// waitFor polls cond for up to 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
