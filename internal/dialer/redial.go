package dialer

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Retry says how Redial tries again.
type Retry struct {
	// Min and Max bound the backoff: the delay before attempt n doubles
	// from Min up to Max, and is jittered (Delay).
	Min, Max time.Duration
	// Timeout bounds each attempt.
	Timeout time.Duration
	// Log receives a line per failed attempt, prefixed with Name ("ami").
	Log  *slog.Logger
	Name string
	// Auth marks refused credentials: such failures are logged as errors,
	// others as warnings.
	Auth error
}

// Delay returns the delay before attempt n (from 0): a random duration
// between half and all of min(Min·2ⁿ, Max).
func (r Retry) Delay(n int) time.Duration {
	d := r.Min
	for i := 0; i < n && d < r.Max; i++ {
		d *= 2
	}
	d = min(d, r.Max)
	half := d / 2
	return half + rand.N(half+1)
}

// Redial calls connect, after r.Delay(attempt) and bounded by r.Timeout,
// until it succeeds, and returns its result and the number of attempts. It
// gives up, returning ok false, once ctx ends.
func Redial[S any](ctx context.Context, r Retry, connect func(context.Context) (S, error)) (s S, attempts int, ok bool) {
	for attempt := 0; ; attempt++ {
		t := time.NewTimer(r.Delay(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return s, attempt, false
		case <-t.C:
		}
		actx, cancel := context.WithTimeout(ctx, r.Timeout)
		s, err := connect(actx)
		cancel()
		if err == nil {
			return s, attempt + 1, true
		}
		if ctx.Err() != nil {
			return s, attempt + 1, false
		}
		level := slog.LevelWarn
		if errors.Is(err, r.Auth) {
			level = slog.LevelError
		}
		r.Log.Log(context.Background(), level, r.Name+": reconnection failed", "attempt", attempt+1, "err", err)
	}
}

// Keepalive calls ping every interval until done or closing is closed; an
// interval <= 0 disables the pings, and Keepalive only waits. ping runs on
// the caller's goroutine, so a slow ping delays the next one.
func Keepalive(interval time.Duration, done, closing <-chan struct{}, ping func()) {
	var tick <-chan time.Time
	if interval > 0 {
		t := time.NewTicker(interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-done:
			return
		case <-closing:
			return
		case <-tick:
			ping()
		}
	}
}
