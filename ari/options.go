package ari

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"
)

// Default values of Options.
const (
	DefaultApplication    = "pbxkit"
	DefaultRequestTimeout = 10 * time.Second
	DefaultConnectTimeout = 10 * time.Second
	DefaultPingInterval   = 15 * time.Second
	DefaultPingTimeout    = 5 * time.Second
	DefaultReconnectMin   = 500 * time.Millisecond
	DefaultReconnectMax   = 30 * time.Second
	DefaultEventBuffer    = 1024
	DefaultMaxMessageSize = 16 << 20
)

// Options configure a Client. The zero value and nil mean defaults, except
// for URL, which is required. Dial copies the Options; changing them
// afterwards has no effect, and Dial never modifies them. Nothing is read
// from the environment (unlike ari/v5's native.New, which reads ARI_*
// variables and fills in the caller's options).
type Options struct {
	// URL is the ARI base URL, such as "http://127.0.0.1:8088/ari" (http or
	// https). It must not contain credentials (user:password@ or an api_key
	// query): they belong in Username and Password, which are sent in the
	// Authorization header only.
	URL string

	// WebsocketURL is the URL of the event websocket, without query. Default:
	// URL with the scheme ws (wss for https) and "/events" appended, such as
	// "ws://127.0.0.1:8088/ari/events". The query (app, subscribeAll) is
	// added by the Client.
	WebsocketURL string

	// Username and Password are the ari.conf credentials, sent with HTTP
	// basic authentication in the Authorization header of every request and
	// of the websocket handshake. They never appear in URLs, logs or errors.
	// Username must not contain ':'.
	Username string
	Password string

	// Application is the Stasis application the websocket registers:
	// channels originated with OriginateRequest.App set to it, or sent to
	// Stasis(<Application>) by the dialplan, are controlled by this Client.
	// Default "pbxkit". A single name: ',' is refused (Asterisk would read a
	// list of applications).
	Application string

	// SubscribeAll asks Asterisk to send the application every event of the
	// system (ChannelCreated, DeviceStateChanged, BridgeCreated, ...), not
	// only those of the channels, bridges and endpoints it controls or
	// subscribed to. Other applications' StasisStart and StasisEnd are never
	// sent.
	SubscribeAll bool

	// RequestTimeout bounds a REST call whose ctx has no deadline. Default
	// 10s.
	RequestTimeout time.Duration

	// ConnectTimeout bounds Dial when its ctx has no deadline, and each
	// reconnection attempt (REST check plus websocket handshake). Default
	// 10s.
	ConnectTimeout time.Duration

	// PingInterval is the time between websocket pings; a connection from
	// which nothing (not even the pong) has been read within PingTimeout of
	// a ping is declared lost. Defaults 15s and 5s; a negative PingInterval
	// disables keepalive.
	PingInterval time.Duration
	PingTimeout  time.Duration

	// ReconnectMin and ReconnectMax bound the exponential backoff between
	// reconnection attempts (each delay is jittered between half and all of
	// its value). Defaults 500ms and 30s.
	ReconnectMin time.Duration
	ReconnectMax time.Duration

	// EventBuffer is the queue length of a Subscription made with
	// Subscribe(0). Default 1024.
	EventBuffer int

	// MaxMessageSize bounds one event and one REST response body. A larger
	// event is discarded (and logged); a larger response fails with
	// ErrProtocol. Default 16 MiB.
	MaxMessageSize int

	// TLS configures https and wss connections. The config is cloned.
	// Default: Go's defaults.
	TLS *tls.Config

	// Dialer opens the network connections (REST and websocket). Default: a
	// net.Dialer. No proxy is used.
	Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

	// Logger receives the Client's diagnostics (connection losses,
	// reconnections, discarded events). Default: discard.
	Logger *slog.Logger
}

// config is the validated copy of Options a Client works with.
type config struct {
	Options
	base  string // URL without trailing slash
	wsURL string // WebsocketURL with its query
	auth  string // value of the Authorization header, "" for none
}

// withDefaults returns a validated copy of o with defaults applied; o may be
// nil but URL is required. Errors match ErrInvalid and never quote
// credentials.
func (o *Options) withDefaults() (*config, error) {
	var c config
	if o != nil {
		c.Options = *o
	}
	if c.Application == "" {
		c.Application = DefaultApplication
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ConnectTimeout <= 0 {
		c.ConnectTimeout = DefaultConnectTimeout
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
	if c.EventBuffer <= 0 {
		c.EventBuffer = DefaultEventBuffer
	}
	if c.MaxMessageSize <= 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.TLS != nil {
		c.TLS = c.TLS.Clone()
	}

	for _, f := range []struct{ name, value string }{
		{"Username", c.Username},
		{"Password", c.Password},
		{"Application", c.Application},
	} {
		if hasControl(f.value) {
			return nil, fmt.Errorf("%w: Options.%s contains a control character", ErrInvalid, f.name)
		}
	}
	if strings.Contains(c.Username, ":") {
		return nil, fmt.Errorf("%w: Options.Username contains ':'", ErrInvalid)
	}
	if strings.Contains(c.Application, ",") {
		return nil, fmt.Errorf("%w: Options.Application contains ','", ErrInvalid)
	}

	u, err := checkURL("URL", c.URL, "http", "https")
	if err != nil {
		return nil, err
	}
	c.base = strings.TrimRight(u.String(), "/")
	if c.WebsocketURL == "" {
		w := *u
		w.Scheme = map[string]string{"http": "ws", "https": "wss"}[u.Scheme]
		w.Path = strings.TrimRight(u.Path, "/") + "/events"
		w.RawPath = ""
		c.WebsocketURL = w.String()
	}
	w, err := checkURL("WebsocketURL", c.WebsocketURL, "ws", "wss")
	if err != nil {
		return nil, err
	}
	q := url.Values{"app": {c.Application}}
	if c.SubscribeAll {
		q.Set("subscribeAll", "true")
	}
	w.RawQuery = q.Encode()
	c.wsURL = w.String()
	if c.Username != "" || c.Password != "" {
		c.auth = basicAuth(c.Username, c.Password)
	}
	return &c, nil
}

// checkURL parses an absolute URL of one of the schemes, without
// credentials, query or fragment. The error never quotes the URL, which
// may hold a password.
func checkURL(field, raw string, schemes ...string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("%w: Options.%s is required", ErrInvalid, field)
	}
	if hasControl(raw) {
		return nil, fmt.Errorf("%w: Options.%s contains a control character", ErrInvalid, field)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: Options.%s is not a valid URL", ErrInvalid, field)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: Options.%s must not contain credentials; set Username and Password", ErrInvalid, field)
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, fmt.Errorf("%w: Options.%s must not have a query or fragment", ErrInvalid, field)
	}
	ok := false
	for _, s := range schemes {
		if u.Scheme == s {
			ok = true
		}
	}
	if !ok || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("%w: Options.%s must be an absolute %s URL", ErrInvalid, field, strings.Join(schemes, " or "))
	}
	return u, nil
}
