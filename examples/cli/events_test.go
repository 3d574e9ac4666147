package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// follow runs "events --follow" with args in the background and returns
// the first n lines it prints, then interrupts it and returns its exit
// status and stderr.
func follow(t *testing.T, n int, args ...string) (lines []map[string]any, code int, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	var errBuf strings.Builder
	done := make(chan int, 1)
	go func() {
		c := run(ctx, append([]string{"events", "--follow"}, args...), pw, &errBuf)
		pw.Close()
		done <- c
	}()

	sc := bufio.NewScanner(pr)
	sc.Buffer(nil, 1<<20)
	deadline := time.AfterFunc(10*time.Second, func() { pr.CloseWithError(io.ErrUnexpectedEOF) })
	defer deadline.Stop()
	for len(lines) < n && sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("line %d is not a JSON object: %v: %s", len(lines)+1, err, sc.Text())
		}
		lines = append(lines, v)
	}
	if len(lines) < n {
		t.Fatalf("got %d lines, want %d (scan error: %v)", len(lines), n, sc.Err())
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

func TestEventsFollow(t *testing.T) {
	t.Parallel()
	lines, code, stderr := follow(t, 10, "--pbx", "mock://demo?activity=50ms")
	if code != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr)
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
