package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
)

// TestRun serves through run, as main does, and shuts down as SIGINT would
// (by canceling run's context): an open event stream ends with "bye" and
// run returns 0 well within the grace period.
func TestRun(t *testing.T) {
	r := startRun(t, "--pbx=mock://demo", "--shutdown-timeout=5s")
	base, cancel, done, logs := r.base, r.cancel, r.done, r.logs
	defer cancel()

	get := func(path string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+tokenfile.DemoToken)
		return http.DefaultClient.Do(req)
	}
	resp, err := get("/extensions/me/calls")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"application":"MusicOnHold"`) {
		t.Fatalf("GET /extensions/me/calls: %d %s", resp.StatusCode, body)
	}

	stream, err := get("/extensions/me/events")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	events := make(chan string, 100)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			events <- sc.Text()
		}
	}()
	waitLine := func(want string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case l, ok := <-events:
				if !ok {
					t.Fatalf("the stream ended before %q", want)
				}
				if l == want {
					return
				}
			case <-timeout:
				t.Fatalf("timed out waiting for %q", want)
			}
		}
	}
	waitLine("event: hello")

	start := time.Now()
	cancel() // SIGINT
	waitLine("event: bye")
	waitLine(`data: {"reason":"shutdown"}`)
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("run returned %d; logs:\n%s", code, logs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("shutdown took %v: the event stream held it", d)
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Errorf("logs:\n%s", logs)
	}
	if _, err := get("/conferences"); err == nil {
		t.Error("the server still answers after run returned")
	}
}

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"--help"}, exitOK, "Usage: pbxd"},
		{[]string{"--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"--listen=nope"}, exitUsage, "--listen"},
		{[]string{"--pbx=nosuch://x", "--listen=127.0.0.1:0"}, exitFailure, "no backend registered"},
		{[]string{"--pbx=mock://demo", "--listen=127.0.0.1:0", "--tokens=" + writeTokens(t, "not json")}, exitFailure, "token store"},
	}
	for _, tt := range tests {
		var stdout, stderr strings.Builder
		code := run(t.Context(), tt.args, &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.err) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.err)
		}
	}
}

// running is a pbxd started by startRun.
type running struct {
	base   string // "http://127.0.0.1:port"
	cancel context.CancelFunc
	done   chan int // run's exit status
	logs   *syncBuffer
}

// startRun runs pbxd on a free loopback port, as main does, until the test
// ends or cancel is called.
func startRun(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	outR, outW := io.Pipe()
	r := &running{cancel: cancel, done: make(chan int, 1), logs: &syncBuffer{}}
	go func() {
		r.done <- run(ctx, append([]string{"--listen=127.0.0.1:0"}, args...), outW, r.logs)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	if !lines.Scan() {
		t.Fatalf("run printed nothing; logs:\n%s", r.logs)
	}
	m := regexp.MustCompile(`on (http://127\.0\.0\.1:\d+) `).FindStringSubmatch(lines.Text())
	if m == nil {
		t.Fatalf("no address in %q", lines.Text())
	}
	r.base = m[1]
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	return r
}
