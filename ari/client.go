package ari

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/internal/dialer"
	"github.com/pbxkit/pbxkit/internal/evq"
)

// Client is a connection to Asterisk's REST Interface: REST calls over
// HTTP, and the event websocket of one Stasis application, which it keeps
// up by itself. It is safe for concurrent use by multiple goroutines.
//
// A Client runs one supervisor goroutine (the websocket reader, which
// reconnects after a loss) and, while the websocket is up, one keepalive
// goroutine. Close ends them all.
type Client struct {
	cfg    *config
	log    *slog.Logger
	dialer func(ctx context.Context, network, addr string) (net.Conn, error)
	tr     *http.Transport
	hc     *http.Client

	mu       sync.Mutex
	ws       *wsConn // nil while down
	closed   bool
	entityID string
	version  string
	inflight sync.WaitGroup // REST calls in progress

	hub *evq.Hub[Event] // subscriptions and state

	closing     chan struct{}
	closeCtx    context.Context
	cancelClose context.CancelCauseFunc
	closeOnce   sync.Once
	wg          sync.WaitGroup
}

// Dial checks that the REST interface is reachable and accepts the
// credentials (GET /asterisk/info), opens the event websocket of
// Options.Application and returns the Client. ctx bounds this setup only;
// when it has no deadline, Options.ConnectTimeout applies. opts is copied,
// never modified; its URL is required.
//
// Refused credentials give an error matching ErrAuth; a server that cannot
// be reached (connection refused, timeout) gives one matching
// ErrUnavailable.
func Dial(ctx context.Context, opts *Options) (*Client, error) {
	cfg, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		log:     cfg.Logger.With("ari", cfg.base, "app", cfg.Application),
		closing: make(chan struct{}),
		hub:     newHub(),
	}
	c.dialer = cfg.Dialer
	if c.dialer == nil {
		c.dialer = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	c.tr = &http.Transport{
		Proxy:               nil, // never read proxy settings from the environment
		DialContext:         c.dialer,
		TLSClientConfig:     cfg.TLS,
		TLSHandshakeTimeout: cfg.ConnectTimeout,
		MaxIdleConns:        16,
		MaxIdleConnsPerHost: 16,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	c.hc = &http.Client{
		Transport: c.tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse // never resend credentials elsewhere
		},
	}
	c.closeCtx, c.cancelClose = context.WithCancelCause(context.Background())
	c.setState(StateConnected, nil)

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.ConnectTimeout)
		defer cancel()
	}
	w, err := c.connect(ctx)
	if err != nil {
		c.cancelClose(ErrClosed)
		c.tr.CloseIdleConnections()
		return nil, err
	}
	c.install(w)
	c.log.Info("ari: connected", "version", c.version)
	if cfg.auth != "" && clearText(cfg) {
		c.log.Warn("ari: credentials sent in clear text (http or ws) to a host that is not loopback; use https")
	}
	c.wg.Add(1)
	go c.supervise(w)
	return c, nil
}

// clearText reports whether the URLs are plain http or ws to a host that
// is not a loopback address.
func clearText(cfg *config) bool {
	for _, raw := range []string{cfg.base, cfg.wsURL} {
		u, err := url.Parse(raw)
		if err != nil || u.Scheme == "https" || u.Scheme == "wss" {
			continue
		}
		host := u.Hostname()
		if host == "localhost" {
			continue
		}
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			continue
		}
		return true
	}
	return false
}

// connect checks REST and credentials, then opens the websocket.
func (c *Client) connect(ctx context.Context) (*wsConn, error) {
	info, err := c.info(ctx, false)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ErrUnavailable) && !errors.Is(err, ErrClosed) {
			err = fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		return nil, err
	}
	w, err := c.dialWebsocket(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entityID != "" && c.entityID != info.EntityID {
		c.log.Warn("ari: the server's entity ID changed", "was", c.entityID, "now", info.EntityID)
	}
	c.entityID, c.version = info.EntityID, info.Version
	c.mu.Unlock()
	return w, nil
}

// install makes w the live websocket. It returns false (and closes w) if the
// Client was closed meanwhile.
func (c *Client) install(w *wsConn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		w.fail(fmt.Errorf("ari: %w", ErrClosed))
		return false
	}
	c.ws = w
	return true
}

// supervise reads the live websocket and, after its loss, reconnects, until
// Close.
func (c *Client) supervise(w *wsConn) {
	defer c.wg.Done()
	for {
		var kwg sync.WaitGroup
		if c.cfg.PingInterval > 0 {
			kwg.Add(1)
			go func() {
				defer kwg.Done()
				w.keepalive(c.cfg.PingInterval, c.cfg.PingTimeout, c.closing)
			}()
		}
		err := w.readLoop(c.cfg.MaxMessageSize, c.dispatch, c.tooLarge)
		w.fail(fmt.Errorf("ari: websocket: %w", err))
		kwg.Wait()
		c.mu.Lock()
		c.ws = nil
		closed := c.closed
		c.mu.Unlock()
		if closed {
			c.setState(StateClosed, nil)
			return
		}
		lost := w.err
		c.log.Warn("ari: event websocket lost", "err", lost)
		c.setState(StateDisconnected, lost)
		c.tr.CloseIdleConnections() // they likely died with the server
		if w = c.reconnect(); w == nil {
			c.setState(StateClosed, nil)
			return
		}
	}
}

// reconnect dials until it succeeds (it returns the new live websocket,
// already reported as StateReconnected) or the Client is closed (nil).
func (c *Client) reconnect() *wsConn {
	r := dialer.Retry{Min: c.cfg.ReconnectMin, Max: c.cfg.ReconnectMax, Timeout: c.cfg.ConnectTimeout, Log: c.log, Name: "ari", Auth: ErrAuth}
	w, attempts, ok := dialer.Redial(c.closeCtx, r, c.connect)
	if !ok || !c.install(w) {
		return nil
	}
	c.setState(StateReconnected, nil)
	c.log.Info("ari: reconnected", "attempts", attempts, "version", c.version)
	return w
}

// dispatch hands one websocket message to every subscriber, in order.
func (c *Client) dispatch(data []byte) {
	ev, partial, err := parseEvent(data)
	if err != nil {
		c.log.Warn("ari: discarded a websocket message that is not an ARI event", "bytes", len(data), "err", err)
		return
	}
	if partial {
		c.log.Debug("ari: event with unexpected members; only Raw is complete", "type", ev.Type)
	}
	if ev.Type == "ApplicationReplaced" {
		c.log.Warn("ari: another client registered the same application; this one receives no more events", "app", c.cfg.Application)
	}
	c.hub.Broadcast(ev)
}

func (c *Client) tooLarge(n int64) {
	c.log.Warn("ari: discarded an event larger than Options.MaxMessageSize", "bytes", n, "limit", c.cfg.MaxMessageSize)
}

// setState records st and reports it to every subscriber. StateClosed also
// ends every Subscription.
func (c *Client) setState(st State, err error) {
	current := st
	if st == StateReconnected {
		current = StateConnected
	}
	c.hub.SetState(Event{State: st, Err: err}, Event{State: current}, st == StateClosed)
}

// Close closes the event websocket (with a close frame), cancels the REST
// calls in flight (they fail with ErrClosed), ends every Subscription
// (after its queued items; the last is StateClosed) and waits for the
// Client's goroutines to end, and for its idle HTTP connections to close.
// It is idempotent and always returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		w := c.ws
		c.mu.Unlock()
		c.cancelClose(ErrClosed)
		close(c.closing)
		if w != nil {
			w.closeGracefully(fmt.Errorf("ari: %w", ErrClosed))
		}
		c.wg.Wait()
		c.inflight.Wait()
		c.tr.CloseIdleConnections()
		c.log.Info("ari: closed")
	})
	return nil
}

// State returns the websocket's current state: StateConnected (also after
// a reconnection), StateDisconnected or StateClosed.
func (c *Client) State() State {
	return c.hub.State().State
}

// Application returns the name of the Stasis application the Client
// registered.
func (c *Client) Application() string { return c.cfg.Application }

// Subscribe returns a new Subscription to the Client's events and state
// changes, with a queue of buffer items (Options.EventBuffer if buffer <=
// 0). Its first item is the current state (StateConnected or
// StateDisconnected). Every event that arrives after Subscribe returns is
// delivered (or counted as dropped). Subscribe on a closed Client returns a
// Subscription whose Next returns ErrClosed.
func (c *Client) Subscribe(buffer int) *Subscription {
	if buffer <= 0 {
		buffer = c.cfg.EventBuffer
	}
	return &Subscription{hub: c.hub, q: c.hub.Subscribe(buffer)}
}
