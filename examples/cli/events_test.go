package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// follow runs "events --follow" with args in the background and returns
// the first n lines it prints, then interrupts it and returns its exit
// status and stderr.
func follow(t *testing.T, n int, args ...string) (lines []map[string]any, code int, stderr string) {
	return followReady(t, n, nil, args...)
}

// readyWriter collects stderr and closes ready once the command says it is
// following events.
type readyWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	ready chan<- struct{}
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if w.ready != nil && strings.Contains(w.buf.String(), "following events") {
		close(w.ready)
		w.ready = nil
	}
	return len(p), nil
}

func (w *readyWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// followReady is follow that also closes ready (when not nil) once the
// subscription is up.
func followReady(t *testing.T, n int, ready chan<- struct{}, args ...string) (lines []map[string]any, code int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	errBuf := &readyWriter{ready: ready}
	done := make(chan int, 1)
	go func() {
		c := run(ctx, append([]string{"events", "--follow"}, args...), pw, errBuf)
		pw.Close()
		done <- c
	}()

	sc := bufio.NewScanner(pr)
	sc.Buffer(nil, 1<<20)
	deadline := time.AfterFunc(30*time.Second, func() { pr.CloseWithError(io.ErrUnexpectedEOF) })
	defer deadline.Stop()
	for len(lines) < n && sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d is not a JSON object: %v: %s", len(lines)+1, err, sc.Text())
		}
		lines = append(lines, v)
	}
	if len(lines) < n {
		t.Fatalf("got %d lines, want %d (scan error: %v): %v", len(lines), n, sc.Err(), lines)
	}

	// Interrupt, as Ctrl-C would, and keep draining so that a write in
	// progress does not block the command.
	cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); io.Copy(io.Discard, pr) }()
	select {
	case code = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("events --follow did not stop when interrupted")
	}
	wg.Wait()
	return lines, code, errBuf.String()
}

// followCallEvents runs "events --follow" in the background for the
// call.started, call.answered and call.ended events of ext, and returns
// once it is following. The returned function waits for the three and
// checks that they follow the call whose ID the callme command printed.
func followCallEvents(t *testing.T, pbxURL, ext string) (check func(callme string)) {
	t.Helper()
	type followed struct {
		lines []map[string]any
		code  int
	}
	done := make(chan followed, 1)
	ready := make(chan struct{})
	go func() {
		var r followed
		// Sent even when follow fails the test, which ends this goroutine.
		defer func() { done <- r }()
		r.lines, r.code, _ = followReady(t, 3, ready, "--pbx", pbxURL, "--kind", "call.started,call.answered,call.ended", "--ext", ext)
	}()
	select {
	case <-ready:
	case r := <-done:
		done <- r // follow failed before subscribing; check reports it
	case <-time.After(15 * time.Second):
		t.Fatal("events --follow did not start following")
	}
	return func(callme string) {
		t.Helper()
		r := <-done
		if t.Failed() {
			t.FailNow() // follow reported why
		}
		if r.code != 0 {
			t.Fatalf("events --follow exited %d", r.code)
		}
		var kinds []string
		for _, l := range r.lines {
			kinds = append(kinds, l["kind"].(string))
		}
		if strings.Join(kinds, " ") != "call.started call.answered call.ended" {
			t.Fatalf("events %v", kinds)
		}
		if got := r.lines[0]["call"].(map[string]any)["id"]; !strings.Contains(callme, got.(string)) {
			t.Fatalf("callme printed %q, events followed call %v", callme, got)
		}
	}
}

func TestEventsFollow(t *testing.T) {
	t.Parallel()
	lines, code, stderr := follow(t, 10, "--pbx", "mock://demo?activity=50ms")
	if want := "pbxctl: following events; interrupt to stop\n"; code != 0 || stderr != want {
		t.Errorf("exit %d, stderr %q; want 0 and %q", code, stderr, want)
	}
	var seq float64
	for i, v := range lines {
		if k, _ := v["kind"].(string); k == "" {
			t.Errorf("line %d has no kind: %v", i+1, v)
		}
		if v["backend"] != "mock" {
			t.Errorf("line %d: backend %v", i+1, v["backend"])
		}
		s, _ := v["seq"].(float64)
		if s <= seq {
			t.Errorf("line %d: seq %v after %v", i+1, s, seq)
		}
		seq = s
	}
}

func TestEventsFilter(t *testing.T) {
	t.Parallel()
	kinds := []string{"call.started", "call.ended", "dnd.changed"}
	lines, code, _ := follow(t, 5, "--pbx=mock://demo?activity=20ms", "--kind", strings.Join(kinds, ","))
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	for _, v := range lines {
		if k := v["kind"].(string); !slices.Contains(kinds, k) && k != "events.dropped" {
			t.Errorf("kind %s passed the filter %v", k, kinds)
		}
	}
}

// TestEventsWindow: without --follow, events prints what arrives within
// --for and exits 0.
func TestEventsWindow(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := pbxctl(t, "--pbx", "mock://demo?activity=20ms", "events", "--for", "500ms").ok(t)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
	lines := r.lines()
	if len(lines) < 2 {
		t.Fatalf("%d events in 500ms of activity every 20ms:\n%s", len(lines), r.stdout)
	}
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil || v["kind"] == nil {
			t.Errorf("bad line %q: %v", l, err)
		}
	}
}

func TestScopeFlags(t *testing.T) {
	s := scopeFlags{exts: []string{"1010", "1011"}, rooms: []string{"400"}}
	var all pbx.EventFilter
	s.apply(&all, false)
	if len(all.Extensions) != 2 || len(all.Conferences) != 1 || len(all.AnyOf) != 0 {
		t.Errorf("without --any: %+v", all)
	}
	var anyOf pbx.EventFilter
	s.apply(&anyOf, true)
	want := []pbx.EventFilter{{Extensions: []pbx.ExtensionID{"1010", "1011"}}, {Conferences: []pbx.ConferenceID{"400"}}}
	if len(anyOf.Extensions) != 0 || len(anyOf.Conferences) != 0 || !reflect.DeepEqual(anyOf.AnyOf, want) {
		t.Errorf("with --any: %+v", anyOf)
	}
	// It selects events about either subject.
	for _, tc := range []struct {
		e    pbx.Event
		want bool
	}{
		{&pbx.DNDChanged{Extension: "1011"}, true},
		{&pbx.ConferenceLocked{Conference: "400"}, true},
		{&pbx.ConferenceLocked{Conference: "401"}, false},
		{&pbx.DNDChanged{Extension: "1001"}, false},
	} {
		if got := anyOf.Match(tc.e); got != tc.want {
			t.Errorf("Match(%+v) = %v, want %v", tc.e, got, tc.want)
		}
	}
}

func TestEventsAny(t *testing.T) {
	t.Parallel()
	r := pbxctl(t, "events", "--any", "--ext", "10;10", "--for", "10ms")
	if r.code != 1 || !strings.Contains(r.stderr, "invalid") {
		t.Errorf("a bad extension under --any: exit %d, %q", r.code, r.stderr)
	}
	pbxctl(t, "events", "--any", "--ext", "1010", "--conference", "400", "--for", "10ms").ok(t)
}
