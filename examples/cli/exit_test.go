package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestExitCodes checks the exit status and the one-line error of failures
// (1) and usage errors (2).
func TestExitCodes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		code int
		want []string // substrings of the error line
	}{
		// Usage errors.
		{[]string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{[]string{"cals", "list"}, 2, []string{`unknown command "cals"`, `did you mean "calls"`}},
		{[]string{"calls"}, 2, []string{"calls: missing command", "list", "originate"}},
		{[]string{"calls", "frob"}, 2, []string{`calls: unknown command "frob"`}},
		{[]string{"calls", "list", "--bogus"}, 2, []string{"unknown flag: --bogus"}},
		{[]string{"--bogus", "calls", "list"}, 2, []string{"unknown flag: --bogus"}},
		{[]string{"calls", "hangup"}, 2, []string{"calls hangup: missing argument", "--ext"}},
		{[]string{"calls", "hangup", "1.1", "--ext", "1001"}, 2, []string{"not both"}},
		{[]string{"calls", "hangup", "1.1", "1.2"}, 2, []string{`unexpected argument "1.2"`}},
		{[]string{"calls", "get"}, 2, []string{"missing argument <id>"}},
		{[]string{"calls", "list", "extra"}, 2, []string{`unexpected argument "extra"`}},
		{[]string{"calls", "transfer", "1.1"}, 2, []string{"missing argument <to>"}},
		{[]string{"voicemail", "move", "1010", "abc"}, 2, []string{"missing argument <folder>"}},
		{[]string{"calls", "originate", "--to", "1002"}, 2, []string{"from", "from-endpoint", "required"}},
		{[]string{"calls", "originate", "--from", "1010", "--from-endpoint", "PJSIP/1010", "--to", "1"}, 2, []string{"from-endpoint"}},
		{[]string{"calls", "originate", "--from", "1010", "--mode", "bogus"}, 2, []string{`"--mode" flag`, `unknown call mode "bogus"`}},
		{[]string{"calls", "originate", "--from", "1010", "--var", "novalue"}, 2, []string{"want name=value"}},
		{[]string{"cdr", "list", "--limit", "abc"}, 2, []string{`"--limit" flag`}},
		{[]string{"cdr", "list", "--since", "yesterday"}, 2, []string{`"--since" flag`, "RFC 3339"}},
		{[]string{"cdr", "list", "--disposition", "answered,maybe"}, 2, []string{`unknown disposition "maybe"`}},
		{[]string{"cdr", "list", "--format", "xml"}, 2, []string{`unknown format "xml"`}},
		{[]string{"cdr", "stats", "--tz", "Mars/Olympus"}, 2, []string{`"--tz" flag`}},
		{[]string{"events", "--kind", "call.exploded"}, 2, []string{`unknown event kind "call.exploded"`}},
		{[]string{"extensions", "create", "2001", "--tech", "telepathy"}, 2, []string{`unknown technology "telepathy"`}},
		{[]string{"--timeout", "soon", "calls", "list"}, 2, []string{`"--timeout" flag`}},
		{[]string{"forward", "set", "1001"}, 2, []string{"nothing to set"}},
		{[]string{"followme", "set", "1001"}, 2, []string{"nothing to set"}},
		{[]string{}, 2, []string{"missing command"}},

		// Failures: the library's validation speaks.
		{[]string{"dnd", "on", "12a;"}, 1, []string{"pbx: mock: Devices.SetDND 12a;: invalid argument", `extension "12a;" contains the invalid character 'a'`}},
		{[]string{"voicemail", "move", "1010", "abc", "../x"}, 1, []string{"invalid argument", `unknown voicemail folder "../x"`}},
		{[]string{"calls", "originate", "--from", "1010", "--to", "1002", "--caller-id-name", "a\r\nb"}, 1, []string{"Calls.Originate", "invalid argument", "caller ID name contains the control character"}},
		{[]string{"calls", "originate", "--from", "12a;", "--to", "1002"}, 1, []string{`pbx: mock: Calls.Originate 12a;: invalid argument: extension "12a;" contains the invalid character 'a'`}},
		{[]string{"calls", "originate", "--from", "1010"}, 1, []string{"invalid argument", "number"}},
		{[]string{"calls", "originate", "--from", "1010", "--to", "1002", "--var", "1X=y"}, 1, []string{"invalid argument", "variable name"}},
		{[]string{"calls", "callme", "1010", "--mode", "dial"}, 1, []string{"invalid argument", "hold or echo"}},
		{[]string{"voicemail", "download", "1010", "../etc"}, 1, []string{"invalid argument", "message ID"}},
		{[]string{"voicemail", "list", "1010", "--folder", "Spam"}, 1, []string{`unknown voicemail folder "Spam"`}},
		{[]string{"cdr", "list", "--limit", "5000"}, 1, []string{"invalid argument", "limit 5000"}},
		{[]string{"cdr", "list", "--cursor", "!!!"}, 1, []string{"malformed CDR cursor"}},
		{[]string{"cdr", "list", "--since", "1h", "--until", "2h"}, 1, []string{"until"}},
		{[]string{"extensions", "create", "2001", "--name", "a\nb"}, 1, []string{"invalid argument", "extension name"}},
		{[]string{"queues", "add", "sales", "PJSIP/10 10"}, 1, []string{"invalid argument", "endpoint"}},
		{[]string{"events", "--ext", "12a"}, 1, []string{"invalid argument", "extension"}},
		{[]string{"calls", "get", "nosuch"}, 1, []string{"pbx: mock: Calls.Get nosuch: not found"}},
		{[]string{"extensions", "create", "1001"}, 1, []string{"already exists"}},
		{[]string{"queues", "get", "nosuch"}, 1, []string{"not found"}},
		{[]string{"conferences", "get", "999"}, 1, []string{"not found"}},
		{[]string{"calls", "originate", "--from", "1005", "--to", "1001"}, 1, []string{"failed precondition", "no registered device"}},
		{[]string{"--pbx", "foo://x", "calls", "list"}, 1, []string{`no backend registered for scheme "foo"`}},
		{[]string{"--pbx", "mock://nope", "calls", "list"}, 1, []string{"unknown mock PBX"}},
		{[]string{"--pbx", "mock://demo?latency=1s", "--timeout", "50ms", "calls", "list"}, 1, []string{"deadline exceeded"}},
		{[]string{"voicemail", "download", "1010", "nosuch", "-o", "/nonexistent/dir/x.wav"}, 1, []string{"not found"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := pbxctl(t, tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %q", r.code, tt.code, r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, "pbxctl: ") || strings.Count(r.stderr, "\n") != 1 || !strings.HasSuffix(r.stderr, "\n") {
				t.Errorf("stderr is not one line starting with %q: %q", "pbxctl: ", r.stderr)
			}
			containsAll(t, "stderr", r.stderr, tt.want...)
			if tt.code == 1 && strings.Contains(r.stderr, "--help") {
				t.Errorf("a failure refers to usage: %q", r.stderr)
			}
		})
	}
}

// TestWriteError: an I/O error on stdout is a failure.
func TestWriteError(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	if code := run(t.Context(), []string{"--pbx=mock://demo", "calls", "list"}, failWriter{}, &stderr); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "disk full") {
		t.Errorf("stderr = %q", stderr.String())
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

var errDiskFull = errorString("disk full")

type errorString string

func (e errorString) Error() string { return string(e) }

// TestHelp: help is not an error.
func TestHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--help"}, {"help"}, {"calls", "--help"}, {"calls", "originate", "-h"}, {"help", "cdr", "list"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := pbxctl(t, args...).ok(t)
			containsAll(t, "help", r.stdout, "Usage:")
		})
	}
	r := pbxctl(t, "--help").ok(t)
	for _, cmd := range []string{"extensions", "devices", "dnd", "forward", "followme", "calls", "voicemail", "conferences", "queues", "cdr", "system", "capabilities", "events"} {
		if !strings.Contains(r.stdout, "  "+cmd+" ") {
			t.Errorf("help does not list %s", cmd)
		}
	}
}

// TestEnv: PBX_URL chooses the PBX; --pbx overrides it.
func TestEnv(t *testing.T) {
	t.Setenv("PBX_URL", "mock://empty")
	if exts := pbxctlRaw(t, "--json", "extensions", "list").ok(t).jsonArray(t); len(exts) != 0 {
		t.Errorf("PBX_URL=mock://empty: %d extensions", len(exts))
	}
	if exts := pbxctlRaw(t, "--json", "--pbx", "mock://demo", "extensions", "list").ok(t).jsonArray(t); len(exts) != 7 {
		t.Errorf("--pbx mock://demo: %d extensions, want 7", len(exts))
	}
	t.Setenv("PBX_URL", "")
	if exts := pbxctlRaw(t, "--json", "extensions", "list").ok(t).jsonArray(t); len(exts) != 7 {
		t.Errorf("default PBX: %d extensions, want the demo's 7", len(exts))
	}
}

// pbxctlRaw runs the command line as given, without choosing a PBX.
func pbxctlRaw(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// TestNilArgs: run with no arguments at all is a usage error; it does not
// fall back to the test binary's own arguments.
func TestNilArgs(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), nil, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "missing command") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}
