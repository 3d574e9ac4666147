package ami_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/asterisktest"
)

// BenchmarkRealRoundTrip measures the round trip of a Ping through one
// ami.Conn to a real Asterisk 16.28 (asterisktest, loopback), with 1, 10
// and 100 goroutines calling Do at once. One op is one action; besides
// ns/op (the inverse of the throughput) it reports the latency of each
// action as seen by its caller: p50-us and p99-us (microseconds), and
// actions/s.
//
//	go test ./ami -run '^$' -bench RealRoundTrip -benchtime 20000x
func BenchmarkRealRoundTrip(b *testing.B) {
	srv := asterisktest.Start(b, nil)
	c, err := ami.Dial(context.Background(), srv.AMIAddr, &ami.Options{
		Username: srv.AMIUser, Secret: srv.AMISecret, PingInterval: -1,
	})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	for _, callers := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			benchRoundTrip(b, c, callers)
		})
	}
}

func benchRoundTrip(b *testing.B, c *ami.Conn, callers int) {
	ctx := context.Background()
	lat := make([][]time.Duration, callers)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/callers+1)
			for next.Add(1) <= int64(b.N) {
				began := time.Now()
				if _, err := c.Do(ctx, ami.NewAction("Ping")); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				mine = append(mine, time.Since(began))
			}
			lat[g] = mine
		}()
	}
	wg.Wait()
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	all := slices.Concat(lat...)
	if len(all) != b.N {
		b.Fatalf("%d round trips measured for %d actions", len(all), b.N)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-us")
	b.ReportMetric(pct(0.99), "p99-us")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "actions/s")
}
