// Command ssebench measures pbxd's event stream under fan-out: it opens N
// streams (GET /extensions/me/events) for one token, makes the PBX emit
// events by toggling do-not-disturb (POST /extensions/me/dnd), and reports
// how long each event took from the PBX to every subscriber (the event's
// own timestamp against the time a subscriber parsed it), and, given the
// server's process ID, the server's resident memory per subscriber.
//
// Run pbxd without the per-token limits, then ssebench (see README.md,
// "Load figures"):
//
//	go build -o /tmp/pbxd ./examples/rest
//	/tmp/pbxd --listen 127.0.0.1:3001 --rate 0 --max-streams 0 --log-level warn &
//	go run ./examples/rest/internal/ssebench -n 1000 -events 200 -pid $!
//
// Client and server share the machine: the figures include the client's own
// parsing of N streams.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3001", "pbxd's base URL")
	token := flag.String("token", "6f1c0b6e-1010-4d3b-9a6e-5c0ffee01010", "bearer token (default: the demo token)")
	n := flag.Int("n", 1000, "number of event streams")
	events := flag.Int("events", 200, "number of events to trigger")
	interval := flag.Duration("interval", 20*time.Millisecond, "pause between triggered events")
	pid := flag.Int("pid", 0, "pbxd's process ID, to report its memory (Linux /proc)")
	flag.Parse()
	if err := bench(*base, *token, *n, *events, *interval, *pid); err != nil {
		fmt.Fprintln(os.Stderr, "ssebench:", err)
		os.Exit(1)
	}
}

// recorder collects delivery latencies from all streams.
type recorder struct {
	mu        sync.Mutex
	latencies []time.Duration
	received  atomic.Int64
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	r.latencies = append(r.latencies, d)
	r.mu.Unlock()
	r.received.Add(1)
}

func bench(base, token string, n, events int, interval time.Duration, pid int) error {
	client := &http.Client{Transport: &http.Transport{
		MaxIdleConnsPerHost: n + 10, DisableCompression: true, ForceAttemptHTTP2: false,
	}}
	rssBefore := rss(pid)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	rec := &recorder{}
	var ready, ended sync.WaitGroup
	ready.Add(n)
	ended.Add(n)
	errs := make(chan error, n)
	start := time.Now()
	sem := make(chan struct{}, 64) // connect 64 at a time
	for range n {
		sem <- struct{}{}
		go func() {
			defer ended.Done()
			err := stream(ctx, client, base, token, &ready, sem, rec)
			if err != nil && ctx.Err() == nil {
				errs <- err
			}
		}()
	}
	waitReady := make(chan struct{})
	go func() { ready.Wait(); close(waitReady) }()
	select {
	case <-waitReady:
	case err := <-errs:
		return err
	case <-time.After(60 * time.Second):
		return fmt.Errorf("streams did not open within 60s")
	}
	connectTime := time.Since(start)
	time.Sleep(2 * time.Second) // let the server settle before reading its memory
	rssStreams := rss(pid)
	fmt.Printf("streams: %d open in %v\n", n, connectTime.Round(time.Millisecond))

	// Trigger the events.
	on := false
	sent := time.Now()
	for i := range events {
		on = !on
		body := fmt.Sprintf(`{"dndStatus":%t}`, on)
		req, _ := http.NewRequestWithContext(ctx, "POST", base+"/extensions/me/dnd", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("event %d: %w", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("event %d: POST /extensions/me/dnd: %s", i, resp.Status)
		}
		time.Sleep(interval)
	}
	want := int64(n * events)
	deadline := time.Now().Add(30 * time.Second)
	for rec.received.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(sent)
	cancel()
	ended.Wait()

	rec.mu.Lock()
	lat := slices.Clone(rec.latencies)
	rec.mu.Unlock()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("events: %d triggered, %d of %d deliveries received (%.1f%%), %.0f deliveries/s\n",
		events, len(lat), want, 100*float64(len(lat))/float64(want), float64(len(lat))/elapsed.Seconds())
	fmt.Printf("delivery latency: p50 %v  p90 %v  p99 %v  max %v\n",
		pct(0.50).Round(time.Microsecond), pct(0.90).Round(time.Microsecond),
		pct(0.99).Round(time.Microsecond), pct(1).Round(time.Microsecond))
	if pid > 0 && rssBefore > 0 {
		fmt.Printf("server RSS: %.1f MiB before, %.1f MiB with %d streams: %.1f KiB per stream\n",
			float64(rssBefore)/(1<<20), float64(rssStreams)/(1<<20), n, float64(rssStreams-rssBefore)/1024/float64(n))
	}
	return nil
}

// stream reads one event stream until ctx ends, recording the latency of
// every dnd.changed event.
func stream(ctx context.Context, client *http.Client, base, token string, ready *sync.WaitGroup, sem chan struct{}, rec *recorder) error {
	once := sync.OnceFunc(func() { ready.Done(); <-sem })
	defer once()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/extensions/me/events", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET /extensions/me/events: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	var kind string
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("event: ")):
			kind = string(line[7:])
			if kind == "hello" {
				once()
			}
		case bytes.HasPrefix(line, []byte("data: ")) && kind == "dnd.changed":
			now := time.Now()
			var ev struct {
				Time time.Time `json:"time"`
			}
			if err := json.Unmarshal(line[6:], &ev); err == nil {
				rec.add(now.Sub(ev.Time))
			}
		case len(line) == 0:
			kind = ""
		}
	}
	return sc.Err()
}

// rss returns a process's resident set size in bytes, or 0.
func rss(pid int) int64 {
	if pid <= 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
