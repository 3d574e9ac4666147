// Package dialer opens the connections of the TCP transports (ami, esl):
// dial, TLS when configured, then the protocol's handshake, all bounded by
// one context whose end interrupts the handshake's reads and writes.
package dialer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"
)

// Func dials a network address, as net.Dialer.DialContext does.
type Func func(ctx context.Context, network, addr string) (net.Conn, error)

// Connect dials addr over TCP (with dial, or a net.Dialer when nil), runs
// the TLS handshake when tlsConfig is set, then handshake on the
// connection, and returns its result with the connection's deadline
// cleared. Failures to reach the peer wrap unavailable; step names the
// handshake in messages ("login to"). A handshake error that wraps auth is
// returned as it is, even when ctx ended meanwhile.
func Connect[S any](ctx context.Context, dial Func, addr string, tlsConfig *tls.Config, step string,
	unavailable, auth error, handshake func(net.Conn) (S, error)) (S, error) {
	var zero S
	if dial == nil {
		d := &net.Dialer{}
		dial = d.DialContext
	}
	nc, err := dial(ctx, "tcp", addr)
	if err != nil {
		return zero, fmt.Errorf("%w: dial %s: %w", unavailable, addr, err)
	}
	if tlsConfig != nil {
		tc := tls.Client(nc, tlsConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return zero, fmt.Errorf("%w: TLS handshake with %s: %w", unavailable, addr, err)
		}
		nc = tc
	}
	// ctx's end interrupts every read and write of the handshake.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	s, err := handshake(nc)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = nc.Close()
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, auth) {
			return zero, fmt.Errorf("%w: %s %s: %w", unavailable, step, addr, ctxErr)
		}
		return zero, err
	}
	_ = nc.SetDeadline(time.Time{})
	return s, nil
}
