package dialer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/internal/dialer"
)

var (
	errUnavailable = errors.New("unavailable")
	errAuth        = errors.New("auth")
)

// listen starts a loopback listener whose peers get greeting and are then
// held open until the test ends.
func listen(t *testing.T, greeting string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() })
			_, _ = c.Write([]byte(greeting))
		}
	}()
	return ln.Addr().String()
}

func readLine(c net.Conn) (string, error) {
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	return string(buf[:n]), err
}

func TestConnect(t *testing.T) {
	addr := listen(t, "hello\n")
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		a := ln.Addr().String()
		_ = ln.Close()
		return a
	}()
	tests := []struct {
		name      string
		addr      string
		timeout   time.Duration
		tls       *tls.Config
		handshake func(net.Conn) (string, error)
		want      string
		wantErr   []error
	}{
		{name: "ok", addr: addr, handshake: readLine, want: "hello\n"},
		{name: "TLS to a plain server", addr: addr, tls: &tls.Config{ServerName: "pbx.test"}, handshake: readLine,
			wantErr: []error{errUnavailable}},
		{name: "refused", addr: closed, handshake: readLine, wantErr: []error{errUnavailable}},
		{
			name: "handshake outlives ctx", addr: addr, timeout: 50 * time.Millisecond,
			handshake: func(c net.Conn) (string, error) {
				if _, err := readLine(c); err != nil {
					return "", err
				}
				return readLine(c) // nothing more comes: blocks until ctx ends
			},
			wantErr: []error{errUnavailable, context.DeadlineExceeded},
		},
		{
			name: "auth refused", addr: addr,
			handshake: func(net.Conn) (string, error) { return "", errAuth },
			wantErr:   []error{errAuth},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}
			got, err := dialer.Connect(ctx, nil, tt.addr, tt.tls, "greet", errUnavailable, errAuth, tt.handshake)
			for _, want := range tt.wantErr {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want it to wrap %v", err, want)
				}
			}
			if len(tt.wantErr) == 0 && (err != nil || got != tt.want) {
				t.Fatalf("Connect = %q, %v; want %q", got, err, tt.want)
			}
			if errors.Is(err, errAuth) && errors.Is(err, errUnavailable) {
				t.Fatalf("auth failure also reported unavailable: %v", err)
			}
		})
	}
}
