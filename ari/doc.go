// Package ari is a client for the Asterisk REST Interface (ARI): the
// transport only, with no PBX model on top. It gives context-aware calls
// for what a PBX backend needs (channels, bridges, endpoints, device
// states, system information) and the event websocket of one Stasis
// application, kept up by reconnecting.
//
//	c, err := ari.Dial(ctx, &ari.Options{
//		URL:      "http://127.0.0.1:8088/ari",
//		Username: "pbxkit", Password: password,
//	})
//	...
//	sub := c.Subscribe(0) // before acting, so that no event is missed
//	ch, err := c.Originate(ctx, ari.OriginateRequest{
//		Endpoint: "PJSIP/1001", App: c.Application(), ChannelID: "call-42",
//	})
//
// Results are plain structs of this package (Channel, Bridge, Endpoint,
// DeviceState, Info), so that callers need not import ari/v5's types.
//
// # Relation to CyCoreSystems/ari
//
// The package builds on github.com/CyCoreSystems/ari/v5 (v5.3.1) where it
// is sound: its generated event types (Event.Decode returns them) and its
// OriginateRequest, whose JSON is the body of POST /channels. Its native
// client is not used, for reasons found in its sources and checked
// against Asterisk 16:
//
//   - REST calls take no context; the package variable RequestTimeout is
//     not even used by v5.3.1 (its http.Client has no timeout), so a call
//     to a server that stopped answering hangs forever; Close cannot
//     cancel one. The server's error message is discarded ("Non-2XX
//     response: 404 Not Found").
//   - native.New reads the ARI_* environment variables and fills in the
//     caller's Options.
//   - Connect blocks until the first websocket connection succeeds,
//     forever if the server is down, with no context.
//   - The websocket loop gives no signal when the connection drops (its
//     connected flag is written without synchronisation), redials after a
//     fixed second that Close cannot interrupt, and has no keepalive.
//   - An event of a type it does not know (any added after Asterisk 16)
//     is sent to its bus as a nil event, which panics as soon as a
//     subscription exists; a decoding error also drops the connection.
//   - Its bus drops events silently when a subscription has 100 queued.
//
// So REST calls use the Client's own net/http client, with ctx, and the
// websocket is run with github.com/gobwas/ws (context-bounded handshake,
// the refused handshake's status, ping/pong).
//
// # Concurrency
//
// A Client is safe for concurrent use by multiple goroutines; any number
// of REST calls may be in flight. Each method takes a ctx: when it ends,
// the call returns ctx's error at once and the request is cancelled (its
// connection closed); when it has no deadline, Options.RequestTimeout
// applies. The ctx given to Dial bounds the setup only.
//
// A Client runs one supervisor goroutine, which reads the websocket and
// reconnects, and one keepalive goroutine while the websocket is up. Close
// cancels the calls in flight, waits for them and for every goroutine of
// the Client to end, and closes the idle HTTP connections (whose net/http
// goroutines end with them) before it returns. No callback is ever run by the Client:
// events are pulled with Subscription.Next.
//
// Snapshots returned by the Client are owned by the caller. Events are
// shared between subscribers and must be treated as read-only.
//
// # Errors
//
// An HTTP error status from the server is a *Error carrying the method,
// the path (below the base URL, unescaped), the status code and the
// server's message: the "message" member of the JSON body, or its "error"
// member (Originate's {"error":"Allocation failed"}), or else the reason
// phrase, which Asterisk customises ("404 Variable Not Found"). A *Error
// matches the sentinel errors with errors.Is, by status code:
//
//   - ErrNotFound (404): no such channel, bridge, endpoint or variable.
//   - ErrConflict (409, 412): a ChannelID already in use; a channel not in
//     a Stasis application; a device that is not a Stasis: device.
//   - ErrAuth (401, 403): credentials refused (also by the websocket).
//   - ErrInvalid (400, 422): parameters refused by the server.
//   - ErrAllocationFailed (500 "Allocation failed"): Originate to an
//     unknown channel technology or PJSIP endpoint (Asterisk 16 answers the
//     same for both).
//   - ErrUnavailable (503).
//
// Other failures wrap sentinel errors:
//
//   - ErrUnavailable: the server cannot be reached (the request was not
//     sent, and may be retried), or the event websocket is down and the
//     Client is reconnecting: calls then fail at once rather than waiting.
//   - ErrDisconnected (which also matches ErrUnavailable): the connection
//     was lost after the request was written; the server may or may not
//     have executed it. Never retry an Originate blindly on this error.
//   - ErrInvalid: the call was refused before anything was sent (see
//     Security), or Options are invalid.
//   - ErrClosed: the Client was closed (calls in flight at Close return
//     it too).
//   - ErrProtocol: a response that is not the JSON expected, or larger
//     than Options.MaxMessageSize.
//   - context.DeadlineExceeded and context.Canceled: ctx ended (or
//     Options.RequestTimeout passed); a late response is discarded.
//
// Requests are sent once: nothing is retried by this package (Go's HTTP
// client resends a GET only if the connection was found dead before
// anything was written).
//
// # Events
//
// Subscribe returns a Subscription: a bounded queue fed by the websocket
// reader in wire order, which never waits for a subscriber. When a queue
// is full, the event is dropped for that subscriber only and counted: the
// next item it receives carries the number lost in Event.Dropped, and
// Subscription.Dropped returns the total. Size the queue (Options.EventBuffer,
// or Subscribe's argument) for the longest pause of the consumer.
//
// Each Event has the event's Type, Application, AsteriskID, Timestamp and
// its JSON (Raw), with a small typed view of common members (Channel,
// Peer, Bridge, Endpoint, DeviceState, Args, Cause, Variable, ...);
// Event.Decode returns ari/v5's typed event. Events of types unknown to
// this package or to ari/v5 are delivered like any other; a message that
// is not a JSON object with a "type" is logged and skipped.
//
// The websocket registers Options.Application. Without SubscribeAll,
// Asterisk sends the events of the channels in that application (those
// originated with OriginateRequest.App set to it, or sent to
// Stasis(<app>) by the dialplan): StasisStart, ChannelVarset, StasisEnd,
// ChannelDestroyed, and so on, but not ChannelCreated. With SubscribeAll
// it sends every event of the system (ChannelCreated,
// DeviceStateChanged, BridgeCreated, ...) except other applications'
// StasisStart and StasisEnd. A second client registering the same
// application takes the events over (this one gets ApplicationReplaced).
//
// Connection state changes are delivered in the same queue, in order with
// the events: a Subscription starts with the current state
// (StateConnected or StateDisconnected), then reports StateDisconnected
// (with the reason), StateReconnected and finally StateClosed. State
// changes are never dropped while the queue has its reserve room.
//
// # Reconnect
//
// The websocket is declared lost on a read error, a close frame from the
// server, or when nothing (not even the pong) is read within
// Options.PingTimeout of a ping (sent every Options.PingInterval). Then
// subscribers receive StateDisconnected, REST calls fail at once with
// ErrUnavailable, and the Client reconnects with exponential backoff
// between Options.ReconnectMin and Options.ReconnectMax, jittered: each
// attempt checks REST and the credentials (GET /asterisk/info) and opens
// the websocket again. Events sent meanwhile are lost; StateReconnected is
// the signal to resynchronise (Channels, DeviceStates, ...). Asterisk
// closes the websocket without a close frame when it stops or restarts.
//
// # Security
//
// Credentials are sent in the Authorization header (HTTP basic
// authentication) only: never in a URL (Options.URL and WebsocketURL with
// user:password@ or a query are refused; Asterisk's api_key parameter is
// never used), never in logs or errors. Use https and wss when the server
// is not on the same host: basic authentication is clear text otherwise.
// Redirects are not followed.
//
// Every ID or name that becomes a URL path segment (channel and bridge
// IDs, device names, endpoint technology and resource) must be non-empty,
// valid UTF-8 without control characters, not "." or "..", and at most
// 512 bytes; it is then escaped, so "PJSIP/1001" is one device name
// (Asterisk decodes each segment after splitting the path). Values sent as
// query parameters or in the JSON body (endpoints, caller IDs, variable
// names and values, ...) must be valid UTF-8 without control characters:
// a line break in a channel variable would reach AMI's events verbatim.
// Refused values give ErrInvalid, and are never quoted in errors.
//
// Responses and events are bounded by Options.MaxMessageSize, error
// messages are truncated and stripped of control characters, and every
// queue is bounded.
package ari
