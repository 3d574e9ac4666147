package main

import (
	"math"
	"net"
	"net/netip"
	"sync"
	"time"
)

// limiter is a set of token buckets, one per key: a token's hash for signed-in
// requests, the client's address (its /64 for IPv6) otherwise. Each bucket
// holds up to burst requests and refills at rate per second. Memory is
// bounded: full buckets are swept away, and past maxBuckets keys new ones
// are refused until the sweep frees some.
type limiter struct {
	rate  float64 // per second; 0 disables the limiter
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

const maxBuckets = 100_000

func newLimiter(rate float64, burst int) *limiter {
	return &limiter{rate: rate, burst: float64(burst), now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes one request from key's bucket. When the bucket is empty it
// returns false and how long until a request would be allowed.
func (l *limiter) allow(key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			return false, time.Second
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	return false, wait
}

// sweep drops the buckets that have refilled: they hold no state worth keeping.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// clientKey returns the rate-limit key of an unauthenticated client: its IP
// address, or its /64 for IPv6, where one host often owns a whole /64.
// pbxd does not trust X-Forwarded-For; behind a proxy every client shares
// the proxy's bucket (see README.md).
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return "addr:" + host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "net:" + p.String()
	}
	return "ip:" + ip.String()
}

// streamCounter bounds the concurrent event streams of each token.
type streamCounter struct {
	max int // 0: unlimited
	mu  sync.Mutex
	n   map[[32]byte]int
}

func (c *streamCounter) acquire(key [32]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.n[key] >= c.max {
		return false
	}
	c.n[key]++
	return true
}

func (c *streamCounter) release(key [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[key]--; c.n[key] <= 0 {
		delete(c.n, key)
	}
}
