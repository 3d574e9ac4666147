package dialer_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/internal/dialer"
)

func TestRetryDelay(t *testing.T) {
	r := dialer.Retry{Min: 100 * time.Millisecond, Max: time.Second}
	for n, ceil := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		ceil *= time.Millisecond
		for range 50 {
			if d := r.Delay(n); d < ceil/2 || d > ceil {
				t.Fatalf("Delay(%d) = %v, want within [%v, %v]", n, d, ceil/2, ceil)
			}
		}
	}
	if d := r.Delay(1 << 20); d > time.Second {
		t.Fatalf("Delay(huge) = %v, want at most Max", d)
	}
}

func TestRedial(t *testing.T) {
	var logs bytes.Buffer
	r := dialer.Retry{
		Min: time.Millisecond, Max: 4 * time.Millisecond, Timeout: time.Second,
		Log: slog.New(slog.NewTextHandler(&logs, nil)), Name: "test", Auth: errAuth,
	}
	t.Run("succeeds after failures", func(t *testing.T) {
		logs.Reset()
		fails := []error{errUnavailable, errAuth}
		got, attempts, ok := dialer.Redial(context.Background(), r, func(ctx context.Context) (string, error) {
			if _, has := ctx.Deadline(); !has {
				t.Error("attempt without a deadline")
			}
			if len(fails) > 0 {
				err := fails[0]
				fails = fails[1:]
				return "", err
			}
			return "up", nil
		})
		if !ok || got != "up" || attempts != 3 {
			t.Fatalf("Redial = %q, %d, %v; want up, 3, true", got, attempts, ok)
		}
		out := logs.String()
		if !strings.Contains(out, "level=WARN msg=\"test: reconnection failed\" attempt=1") ||
			!strings.Contains(out, "level=ERROR msg=\"test: reconnection failed\" attempt=2") {
			t.Errorf("log does not report the failures at their level:\n%s", out)
		}
	})
	t.Run("gives up when ctx ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		n := 0
		_, _, ok := dialer.Redial(ctx, r, func(context.Context) (int, error) {
			if n++; n == 3 {
				cancel()
			}
			return 0, errors.New("refused")
		})
		if ok || n != 3 {
			t.Fatalf("Redial after cancel: ok %v after %d attempts; want false after 3", ok, n)
		}
	})
}

func TestKeepalive(t *testing.T) {
	done, closing := make(chan struct{}), make(chan struct{})
	pings := 0
	returned := make(chan struct{})
	go func() {
		defer close(returned)
		dialer.Keepalive(time.Millisecond, done, closing, func() {
			if pings++; pings == 3 {
				close(done)
			}
		})
	}()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Keepalive did not return once done was closed")
	}
	if pings != 3 {
		t.Fatalf("%d pings, want 3 before done", pings)
	}

	// Without pings it still returns when the connection closes.
	returned = make(chan struct{})
	go func() {
		defer close(returned)
		dialer.Keepalive(0, make(chan struct{}), closing, func() { t.Error("ping with a zero interval") })
	}()
	close(closing)
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Keepalive did not return once closing was closed")
	}
}
