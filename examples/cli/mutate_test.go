package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var callIDRe = regexp.MustCompile(`^[0-9a-f]{32}\n$`)

// TestMutate runs every mutation against a fresh demo PBX and checks its
// output and exit status.
func TestMutate(t *testing.T) {
	t.Parallel()
	inbox := firstMessage(t, "1010", "INBOX")
	parts := pbxctl(t, "--json", "conferences", "get", "400").ok(t).jsonObject(t)["participants"].([]any)
	participant := parts[0].(map[string]any)["id"].(string)

	tests := []struct {
		args  []string
		want  []string
		check func(t *testing.T, r result)
	}{
		{args: []string{"extensions", "create", "2001", "--name", "Zed", "--mailbox", "2001", "--secret", "Sup3rSecret"},
			want: []string{"2001", "Zed", "PJSIP/2001", "Secret:", "Sup3rSecret"}},
		{args: []string{"extensions", "create", "2002", "--tech", "sip", "--context", "from-test", "--ring-time", "15s"},
			want: []string{"SIP/2002", "from-test", "15s", "Secret:"}},
		{args: []string{"--json", "extensions", "create", "2003"}, check: func(t *testing.T, r result) {
			v := r.jsonObject(t)
			if s, _ := v["secret"].(string); len(s) != 26 {
				t.Errorf("random secret %q, want 26 characters", s)
			}
		}},
		{args: []string{"extensions", "update", "1001", "--name", "Alicia", "--ring-time", "30s"}, check: func(t *testing.T, r result) {
			containsAll(t, "update", r.stdout, "Alicia", "30s")
			// Flags not given keep their values.
			if !strings.Contains(r.row("Mailbox:"), "1001") || !strings.Contains(r.row("Context:"), "from-internal") {
				t.Errorf("update lost the mailbox or context:\n%s", r.stdout)
			}
		}},
		{args: []string{"extensions", "delete", "1005"}, want: []string{"deleted extension 1005"}},
		{args: []string{"extensions", "reset-secret", "1001"}, check: func(t *testing.T, r result) {
			if !regexp.MustCompile(`^[A-Z0-9]{26}\n$`).MatchString(r.stdout) {
				t.Errorf("secret = %q", r.stdout)
			}
		}},
		{args: []string{"dnd", "on", "1001"}, want: []string{"1001: DND on"}},
		{args: []string{"dnd", "off", "1006"}, want: []string{"1006: DND off"}},
		{args: []string{"forward", "set", "1001", "--busy", "1002"}, check: func(t *testing.T, r result) {
			if !strings.Contains(r.row("Busy:"), "1002") || !strings.Contains(r.row("Always:"), "off") {
				t.Errorf("forward:\n%s", r.stdout)
			}
		}},
		{args: []string{"forward", "set", "1003", "--noanswer", ""}, check: func(t *testing.T, r result) {
			if !strings.Contains(r.row("No answer:"), "off") {
				t.Errorf("forward:\n%s", r.stdout)
			}
		}},
		{args: []string{"followme", "set", "1001", "--enabled", "--numbers", "1001,+15550001", "--ring-time", "25s"},
			want: []string{"yes", "1001, +15550001", "25s"}},
		{args: []string{"followme", "set", "1004", "--enabled=false"}, check: func(t *testing.T, r result) {
			// Numbers are kept.
			containsAll(t, "followme", r.stdout, "no", "+15550001004")
		}},
		{args: []string{"calls", "originate", "--from", "1010", "--to", "1002"}, check: func(t *testing.T, r result) {
			if !callIDRe.MatchString(r.stdout) {
				t.Errorf("call ID = %q", r.stdout)
			}
		}},
		{args: []string{"calls", "originate", "--from-endpoint", "PJSIP/1006", "--mode", "echo", "--var", "FOO=bar", "--var", "X=a=b",
			"--account-code", "acc1", "--caller-id-name", "Test Call", "--caller-id-number", "555", "--timeout", "10s", "--auto-answer"},
			check: func(t *testing.T, r result) {
				if !callIDRe.MatchString(r.stdout) {
					t.Errorf("call ID = %q", r.stdout)
				}
			}},
		{args: []string{"calls", "originate", "--from", "1001", "--mode", "conference", "--to", "400", "--id", "my-call.1"}, want: []string{"my-call.1"}},
		{args: []string{"--json", "calls", "originate", "--from", "1006", "--mode", "park"}, check: func(t *testing.T, r result) {
			if id, _ := r.jsonObject(t)["id"].(string); len(id) != 32 {
				t.Errorf("id = %q", id)
			}
		}},
		{args: []string{"calls", "callme", "1006", "--mode", "echo"}, check: func(t *testing.T, r result) {
			if !callIDRe.MatchString(r.stdout) {
				t.Errorf("call ID = %q", r.stdout)
			}
		}},
		{args: []string{"calls", "callme", "1006", "--caller-id-name", "Ring Test"}, check: func(t *testing.T, r result) {
			if !callIDRe.MatchString(r.stdout) {
				t.Errorf("call ID = %q", r.stdout)
			}
		}},
		{args: []string{"calls", "hangup", "1700000000.101"}, want: []string{"hung up 1700000000.101"}},
		{args: []string{"calls", "hangup", "--ext", "1010"}, want: []string{"1700000000.101", "MusicOnHold"}},
		{args: []string{"calls", "hangup", "--ext", "1006"}, want: []string{"no calls on 1006"}},
		{args: []string{"calls", "transfer", "1700000000.102", "1006"}, want: []string{"transferred 1700000000.102 to 1006"}},
		{args: []string{"calls", "transfer", "1700000000.102", "1006", "--context", "from-internal"}, want: []string{"transferred"}},
		{args: []string{"voicemail", "move", "1010", inbox, "Old"}, want: []string{"moved " + inbox + " to Old (number 2)"}},
		{args: []string{"voicemail", "move", "1010", inbox, "work"}, want: []string{"to Work"}},
		{args: []string{"--json", "voicemail", "move", "1010", inbox, "Family"}, check: func(t *testing.T, r result) {
			if v := r.jsonObject(t); v["folder"] != "Family" || v["id"] != inbox {
				t.Errorf("moved message = %v", v)
			}
		}},
		{args: []string{"voicemail", "delete", "1010", inbox}, want: []string{"deleted " + inbox + " from mailbox 1010"}},
		{args: []string{"conferences", "join", "400", "1006"}, check: func(t *testing.T, r result) {
			if !callIDRe.MatchString(r.stdout) {
				t.Errorf("call ID = %q", r.stdout)
			}
		}},
		{args: []string{"conferences", "kick", "400", participant}, want: []string{"kicked " + participant + " from room 400"}},
		{args: []string{"conferences", "mute", "400", participant}, want: []string{"muted"}},
		{args: []string{"conferences", "unmute", "400", participant}, want: []string{"unmuted"}},
		{args: []string{"conferences", "lock", "400"}, want: []string{"room 400 locked"}},
		{args: []string{"conferences", "unlock", "400"}, want: []string{"room 400 unlocked"}},
		{args: []string{"queues", "add", "sales", "PJSIP/1006", "--name", "Frank", "--penalty", "2", "--paused"}, want: []string{"added PJSIP/1006 to queue sales"}},
		{args: []string{"queues", "remove", "sales", "PJSIP/1001"}, want: []string{"removed PJSIP/1001 from queue sales"}},
		{args: []string{"queues", "pause", "sales", "PJSIP/1001", "--reason", "break"}, want: []string{"paused PJSIP/1001 in queue sales"}},
		{args: []string{"queues", "unpause", "sales", "PJSIP/1004"}, want: []string{"unpaused PJSIP/1004 in queue sales"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := pbxctl(t, tt.args...).ok(t)
			containsAll(t, "stdout", r.stdout, tt.want...)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestMutateThenRead changes a PBX and reads the change back with a second
// run on the same PBX (through the tests' "shared" scheme).
func TestMutateThenRead(t *testing.T) {
	t.Parallel()
	t.Run("dnd", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		pbxctl(t, "--pbx", u, "dnd", "on", "1001").ok(t)
		containsAll(t, "dnd get", pbxctl(t, "--pbx", u, "dnd", "get", "1001").ok(t).stdout, "1001: DND on")
	})
	t.Run("forward", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		pbxctl(t, "--pbx", u, "forward", "set", "1001", "--always", "1002").ok(t)
		pbxctl(t, "--pbx", u, "forward", "set", "1001", "--busy", "1003").ok(t)
		f := pbxctl(t, "--pbx", u, "--json", "forward", "get", "1001").ok(t).jsonObject(t)
		if f["always"] != "1002" || f["busy"] != "1003" {
			t.Errorf("forward = %v, want always 1002 kept and busy 1003", f)
		}
	})
	t.Run("followme", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		pbxctl(t, "--pbx", u, "followme", "set", "1002", "--enabled", "--numbers", "1002,+15550002", "--ring-time", "15s").ok(t)
		containsAll(t, "followme get", pbxctl(t, "--pbx", u, "followme", "get", "1002").ok(t).stdout, "yes", "1002, +15550002", "15s")
	})
	t.Run("extension lifecycle", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		pbxctl(t, "--pbx", u, "extensions", "create", "2001", "--name", "Zed", "--mailbox", "2001", "--secret", "Sup3rSecret").ok(t)
		containsAll(t, "get", pbxctl(t, "--pbx", u, "extensions", "get", "2001").ok(t).stdout, "Zed", "2001")
		if s := pbxctl(t, "--pbx", u, "extensions", "reveal-secret", "2001").ok(t).stdout; s != "Sup3rSecret\n" {
			t.Errorf("revealed secret %q", s)
		}
		secret := pbxctl(t, "--pbx", u, "extensions", "reset-secret", "2001").ok(t).stdout
		if s := pbxctl(t, "--pbx", u, "extensions", "reveal-secret", "2001").ok(t).stdout; s != secret {
			t.Errorf("revealed secret %q, want the reset one %q", s, secret)
		}
		pbxctl(t, "--pbx", u, "extensions", "update", "2001", "--name", "Zoe").ok(t)
		e := pbxctl(t, "--pbx", u, "--json", "extensions", "get", "2001").ok(t).jsonObject(t)
		if e["name"] != "Zoe" || e["mailbox"] != "2001" {
			t.Errorf("updated extension = %v", e)
		}
		containsAll(t, "list", pbxctl(t, "--pbx", u, "voicemail", "mailboxes").ok(t).stdout, "2001")
		pbxctl(t, "--pbx", u, "extensions", "delete", "2001").ok(t)
		if r := pbxctl(t, "--pbx", u, "extensions", "get", "2001"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
			t.Errorf("get after delete: exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("calls", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		if id := pbxctl(t, "--pbx", u, "calls", "originate", "--from", "1006", "--mode", "hold", "--id", "test.1").ok(t).stdout; id != "test.1\n" {
			t.Errorf("originate printed %q", id)
		}
		pbxctl(t, "--pbx", u, "calls", "get", "test.1").ok(t)
		pbxctl(t, "--pbx", u, "calls", "hangup", "test.1").ok(t)
		if r := pbxctl(t, "--pbx", u, "calls", "get", "test.1"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
			t.Errorf("get after hangup: exit %d, stderr %q", r.code, r.stderr)
		}
		pbxctl(t, "--pbx", u, "calls", "hangup", "--ext", "1010").ok(t)
		if calls := pbxctl(t, "--pbx", u, "--json", "calls", "list", "--ext", "1010").ok(t).jsonArray(t); len(calls) != 0 {
			t.Errorf("calls on 1010 after hangup: %v", calls)
		}
	})
	t.Run("voicemail", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		id := pbxctl(t, "--pbx", u, "--json", "voicemail", "list", "1010", "--folder", "INBOX").ok(t).jsonArray(t)[0]["id"].(string)
		pbxctl(t, "--pbx", u, "voicemail", "move", "1010", id, "Old").ok(t)
		if r := pbxctl(t, "--pbx", u, "voicemail", "list", "1010", "--folder", "Old").ok(t); !strings.Contains(r.stdout, id) {
			t.Errorf("moved message %s not in Old:\n%s", id, r.stdout)
		}
		pbxctl(t, "--pbx", u, "voicemail", "delete", "1010", id).ok(t)
		if msgs := pbxctl(t, "--pbx", u, "--json", "voicemail", "list", "1010").ok(t).jsonArray(t); len(msgs) != 3 {
			t.Errorf("%d messages after delete, want 3", len(msgs))
		}
	})
	t.Run("conference", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		pbxctl(t, "--pbx", u, "conferences", "lock", "400").ok(t)
		room := pbxctl(t, "--pbx", u, "--json", "conferences", "get", "400").ok(t).jsonObject(t)
		if room["conference"].(map[string]any)["locked"] != true {
			t.Errorf("room not locked: %v", room)
		}
		p := room["participants"].([]any)[0].(map[string]any)["id"].(string)
		pbxctl(t, "--pbx", u, "conferences", "kick", "400", p).ok(t)
		if r := pbxctl(t, "--pbx", u, "conferences", "get", "400").ok(t); strings.Contains(r.stdout, p) {
			t.Errorf("kicked participant %s still listed:\n%s", p, r.stdout)
		}
	})
	t.Run("queue", func(t *testing.T) {
		t.Parallel()
		u := sharedDemo(t)
		pbxctl(t, "--pbx", u, "queues", "add", "support", "PJSIP/1010", "--name", "Rocord", "--penalty", "3").ok(t)
		pbxctl(t, "--pbx", u, "queues", "pause", "support", "PJSIP/1010", "--reason", "training").ok(t)
		row := pbxctl(t, "--pbx", u, "queues", "get", "support").ok(t).row("PJSIP/1010")
		containsAll(t, "member row", row, "Rocord", "3", "yes", "training")
		pbxctl(t, "--pbx", u, "queues", "remove", "support", "PJSIP/1010").ok(t)
		if r := pbxctl(t, "--pbx", u, "queues", "get", "support").ok(t); strings.Contains(r.stdout, "PJSIP/1010") {
			t.Errorf("removed member still listed:\n%s", r.stdout)
		}
	})
}

// TestDownload saves voicemail audio to a named file, to stdout, and to the
// default file name in the working directory.
func TestDownload(t *testing.T) {
	id := firstMessage(t, "1010", "INBOX")
	isWAV := func(t *testing.T, b []byte) {
		t.Helper()
		if len(b) < 44 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
			t.Errorf("not a WAV file: % x", b[:min(len(b), 16)])
		}
	}

	path := filepath.Join(t.TempDir(), "msg.wav")
	r := pbxctl(t, "voicemail", "download", "1010", id, "-o", path).ok(t)
	containsAll(t, "stdout", r.stdout, "saved "+path, "audio/wav")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	isWAV(t, b)

	r = pbxctl(t, "voicemail", "download", "1010", id, "-o", "-").ok(t)
	isWAV(t, []byte(r.stdout))
	if !bytes.Equal([]byte(r.stdout), b) {
		t.Errorf("stdout audio differs from the file")
	}

	t.Chdir(t.TempDir())
	v := pbxctl(t, "--json", "voicemail", "download", "1010", id).ok(t).jsonObject(t)
	if v["file"] != id+".wav" || v["bytes"].(float64) != float64(len(b)) {
		t.Errorf("download = %v", v)
	}
	b, err = os.ReadFile(id + ".wav")
	if err != nil {
		t.Fatal(err)
	}
	isWAV(t, b)

	// An unwritable file is a failure.
	if r := pbxctl(t, "voicemail", "download", "1010", id, "-o", filepath.Join("nodir", "x.wav")); r.code != 1 || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}

	// A failed download leaves no file behind.
	if r := pbxctl(t, "voicemail", "download", "1010", "nosuch"); r.code != 1 {
		t.Errorf("exit %d", r.code)
	}
	if _, err := os.Stat("nosuch.wav"); !os.IsNotExist(err) {
		t.Errorf("nosuch.wav: %v", err)
	}
}
