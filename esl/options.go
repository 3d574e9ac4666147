package esl

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
	DefaultPingInterval   = 20 * time.Second
	DefaultReconnectMin   = 500 * time.Millisecond
	DefaultReconnectMax   = 30 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultCommandTimeout = 30 * time.Second
	DefaultEventBuffer    = 4096
	DefaultMaxBodySize    = 8 << 20
)

// DefaultPassword is the Event Socket password of a vanilla FreeSWITCH. The
// Conn logs a warning when it is used: whoever knows it can run shell
// commands on the switch (see Security in the package documentation).
const DefaultPassword = "ClueCon"

// Filter is one "filter <header> <value>" line sent after authentication.
// FreeSWITCH then delivers only the events whose header matches one of the
// filters (a value starting with "/" is a regular expression).
type Filter struct {
	Header string
	Value  string
}

// Options configure a Conn. The zero value and nil mean defaults. Dial
// copies the Options; changing them afterwards has no effect, and Dial
// never modifies them.
type Options struct {
	// Password is the Event Socket password (event_socket.conf.xml). It
	// never appears in logs or errors. A warning is logged when it is
	// DefaultPassword.
	Password string

	// TLS, when set, wraps the connection in TLS (FreeSWITCH itself speaks
	// plain TCP; use it behind a TLS terminator such as stunnel). The
	// config is cloned; an empty ServerName is set to the host of addr.
	TLS *tls.Config

	// Dialer opens the network connection. Default: a net.Dialer.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

	// Events are the event names to subscribe to ("CHANNEL_CREATE",
	// "CUSTOM conference::maintenance sofia::register", "ALL", ...): each
	// element is one or more space-separated names; subclasses follow
	// CUSTOM. BACKGROUND_JOB is always subscribed (BackgroundAPI needs it)
	// but delivered to subscribers only if listed here or with ALL. Empty:
	// no other event.
	Events []string

	// Format is the event format, "plain" (default) or "json".
	Format string

	// Filters restrict the events FreeSWITCH sends. When set, a filter on
	// Event-Name BACKGROUND_JOB is added so that BackgroundAPI still works.
	Filters []Filter

	// PingInterval is the time between keepalive commands ("api status").
	// A keepalive without reply within CommandTimeout drops the connection.
	// Default 20s; a negative value disables keepalive.
	PingInterval time.Duration

	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// reconnection attempts (each delay is jittered between half and all of
	// its value). Defaults 500ms and 30s.
	ReconnectMin time.Duration
	ReconnectMax time.Duration

	// ConnectTimeout bounds one reconnection attempt (dial, TLS,
	// authentication, subscription), and Dial when its ctx has no deadline.
	// Default 10s.
	ConnectTimeout time.Duration

	// CommandTimeout bounds a command whose ctx has no deadline, and each
	// write. Default 30s (an originate waits for the far end to answer).
	CommandTimeout time.Duration

	// EventBuffer is the queue length of a Subscription made with
	// Subscribe(0). Default 4096.
	EventBuffer int

	// MaxBodySize caps the Content-Length of a message from FreeSWITCH; a
	// larger message is discarded (a command waiting for it fails with
	// ErrTooLong). Default 8 MiB (FreeSWITCH caps what it reads at 16 MiB).
	MaxBodySize int

	// Logger receives the Conn's diagnostics. Default: discard.
	Logger *slog.Logger
}

// withDefaults returns a copy of o with defaults applied; o may be nil.
func (o *Options) withDefaults() (Options, error) {
	var c Options
	if o != nil {
		c = *o
	}
	c.Events = append([]string(nil), c.Events...)
	c.Filters = append([]Filter(nil), c.Filters...)
	if c.Format == "" {
		c.Format = "plain"
	}
	if c.Format != "plain" && c.Format != "json" {
		return c, fmt.Errorf("%w: Options.Format %q (want plain or json)", ErrInvalid, c.Format)
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
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
	if c.CommandTimeout <= 0 {
		c.CommandTimeout = DefaultCommandTimeout
	}
	if c.EventBuffer <= 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.MaxBodySize <= 0 {
		c.MaxBodySize = DefaultMaxBodySize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLS != nil {
		c.TLS = c.TLS.Clone()
	}
	if err := checkLine(c.Password); err != nil {
		return c, fmt.Errorf("%w: Options.Password contains %s", ErrInvalid, err)
	}
	if c.Password == "" {
		return c, fmt.Errorf("%w: Options.Password is empty", ErrInvalid)
	}
	for _, e := range c.Events {
		if err := checkEventNames(e); err != nil {
			return c, fmt.Errorf("Options.Events: %w", err)
		}
	}
	for _, f := range c.Filters {
		if err := checkFilter(f); err != nil {
			return c, fmt.Errorf("Options.Filters: %w", err)
		}
	}
	return c, nil
}
