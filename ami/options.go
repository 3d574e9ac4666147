package ami

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"time"
)

// Default values of Options.
const (
	DefaultPingInterval   = 15 * time.Second
	DefaultPingTimeout    = 5 * time.Second
	DefaultReconnectMin   = 500 * time.Millisecond
	DefaultReconnectMax   = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultActionTimeout  = 10 * time.Second
	DefaultEventBuffer    = 1024
	DefaultMaxMessageSize = 4 << 20
	DefaultMaxHeaders     = 65536
)

// Options configure a Conn. The zero value and nil mean defaults. Dial copies
// the Options; changing them afterwards has no effect, and Dial never
// modifies them.
type Options struct {
	// Username and Secret are the manager.conf credentials, sent with a
	// plain Login. The secret never appears in logs or errors.
	Username string
	Secret   string

	// TLS, when set, wraps the connection in TLS (Asterisk's tlsenable,
	// port 5039 by default). The config is cloned; an empty ServerName is
	// set to the host of addr.
	TLS *tls.Config

	// Dialer opens the network connection. Default: a net.Dialer.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

	// Events logs in with "Events: on", so that the server sends events.
	// Without it (the default) the server sends only responses and list
	// items ("Events: off").
	Events bool

	// EventMask, when set, is sent as the Login's Events value instead (for
	// example "call,system"), whatever Events says.
	EventMask string

	// PingInterval is the time between keepalive Pings. Default 15s; a
	// negative value disables keepalive.
	PingInterval time.Duration

	// PingTimeout is how long a keepalive Ping may wait for its pong before
	// the connection is declared dead. Default 5s.
	PingTimeout time.Duration

	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// reconnection attempts (each delay is jittered between half and all of
	// its value). Defaults 500ms and 30s.
	ReconnectMin time.Duration
	ReconnectMax time.Duration

	// ConnectTimeout bounds one reconnection attempt (dial, TLS, greeting,
	// Login), and Dial when its ctx has no deadline. Default 10s.
	ConnectTimeout time.Duration

	// ActionTimeout bounds an action whose ctx has no deadline, and each
	// write to the server. Default 10s.
	ActionTimeout time.Duration

	// EventBuffer is the queue length of a Subscription made with
	// Subscribe(0). Default 1024.
	EventBuffer int

	// MaxMessageSize and MaxHeaders bound one message read from the
	// server; a larger message is discarded (an action waiting for it fails
	// with ErrTooLong). Defaults 4 MiB and 65536 headers.
	MaxMessageSize int
	MaxHeaders     int

	// Logger receives the Conn's diagnostics. Default: discard.
	Logger *slog.Logger

	// IDPrefix starts every ActionID the Conn generates, before a random
	// per-connection part and a counter. Default "".
	IDPrefix string
}

// withDefaults returns a copy of o with defaults applied; o may be nil.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.ReconnectMin <= 0 {
		c.ReconnectMin = DefaultReconnectMin
	}
	if c.ReconnectMax <= 0 {
		c.ReconnectMax = DefaultReconnectMax
	}
	if c.ReconnectMax < c.ReconnectMin {
		c.ReconnectMax = c.ReconnectMin
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ActionTimeout <= 0 {
		c.ActionTimeout = DefaultActionTimeout
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.MaxHeaders <= 0 {
		c.MaxHeaders = DefaultMaxHeaders
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLS != nil {
		c.TLS = c.TLS.Clone()
	}
	for _, f := range []struct{ name, value string }{
		{"Username", c.Username},
		{"Secret", c.Secret},
		{"EventMask", c.EventMask},
		{"IDPrefix", c.IDPrefix},
	} {
		if b := badValueByte(f.value); b != "" {
			return c, fmt.Errorf("%w: Options.%s contains %s", ErrInvalidField, f.name, b)
		}
	}
	return c, nil
}
