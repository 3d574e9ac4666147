// Package ami is a client for the Asterisk Manager Interface (AMI): the
// transport only, with no PBX model on top.
//
// Dial connects over TCP or TLS, logs in and returns a *Conn that keeps the
// session alive (Ping every Options.PingInterval with a pong deadline) and
// reconnects after a loss. Actions are built with NewAction and Add, sent
// with Do (one response), DoList (a list action: the response, its item
// events and its Complete event) or Command (a CLI command's output lines).
// Events are read from a Subscription.
//
//	conn, err := ami.Dial(ctx, "pbx.example.net:5038", &ami.Options{
//		Username: "pbxkit", Secret: secret, Events: true,
//	})
//	...
//	resp, err := conn.Do(ctx, ami.NewAction("Redirect").
//		Add("Channel", ch).Add("Context", "from-internal").Add("Exten", "1002").Add("Priority", "1"))
//
// Messages are ordered lists of headers (keys may repeat, as Variable and
// Output do); lookups are case-insensitive. The reader follows what Asterisk
// 16 actually sends: a greeting line without a blank line after it, stray
// blank lines between messages, a bare LF before the CRLF in some error
// messages, ActionID in any position, OriginateResponse (an event) carrying
// a Response header, and the "Response: Follows" Command reply of Asterisk
// before 14.
//
// The sub-package amitest is a scripted fake AMI server for tests.
//
// # Concurrency
//
// A Conn is safe for concurrent use by multiple goroutines. Any number of
// actions may be in flight: each gets a unique ActionID (a random
// per-connection part plus a counter, after Options.IDPrefix) and its own
// response, whatever the order of the responses. Actions are written by a
// single writer, in the order Do, DoList and Command were called.
//
// Each Conn runs a reader, a writer and a supervisor goroutine (keepalive
// and reconnection); Close ends them all before it returns. No callback is
// ever run by the Conn: events are pulled with Subscription.Next.
//
// Messages built by the caller are never modified. Messages received are
// shared (between subscribers, for instance) and must be treated as
// read-only; Message.Clone gives a private copy.
//
// # Errors
//
// A "Response: Error" from the server is a *Error carrying Asterisk's
// message (trimmed), the action name and the ActionID; IsEmptyList
// recognises the errors with which some list actions answer an empty list.
// Other failures wrap sentinel errors, to be tested with errors.Is:
//
//   - ErrAuth: the server refused the Login (Dial, or reconnections).
//   - ErrUnavailable: the connection is down; the action was not written
//     and may be retried.
//   - ErrDisconnected (which also matches ErrUnavailable): the connection
//     was lost while the action was in flight; it may or may not have been
//     executed. Never retry a call-control action blindly on this error.
//   - ErrClosed: the Conn or Subscription was closed.
//   - ErrInvalidField, ErrTooLong: the action was refused before anything
//     was written (see Security); ErrTooLong also reports a server message
//     over Options.MaxMessageSize or Options.MaxHeaders, which is skipped.
//   - ErrProtocol: the peer is not an AMI server.
//   - context.DeadlineExceeded and context.Canceled: ctx ended (or
//     Options.ActionTimeout passed, for a ctx without deadline) before the
//     response; a late response is dropped.
//
// # Events
//
// Subscribe returns a Subscription: a bounded queue fed by the reader in
// wire order. The reader never waits for a subscriber. When a queue is
// full, the event is dropped for that subscriber only and counted: the next
// item it receives carries the number lost in Event.Dropped, and
// Subscription.Dropped returns the total. A fast subscriber is not affected
// by a slow one. When a queue is half full the reader yields the processor
// once per event (it still never waits), so that on a small machine a
// consumer that keeps up on average does not lose events in a burst; size
// the queue (Options.EventBuffer, or Subscribe's argument) for the longest
// pause of the consumer: at full speed, 1024 events last about 2 ms.
//
// Subscribers receive broadcast events only: list items (events carrying
// the ActionID of a DoList in progress) go to their DoList, never to
// subscribers. Events are classified by their Event header first, so an
// OriginateResponse is an event even though it has a Response header; it
// carries the Originate's ActionID, which is how it is correlated. Unknown
// events (such as the TestEvent of builds with TEST_FRAMEWORK) are
// delivered like any other.
//
// The server sends events only to a session that logged in with events on:
// set Options.Events or Options.EventMask.
//
// Connection state changes are delivered in the same queue, in order with
// the events: a Subscription starts with the current state
// (StateConnected or StateDisconnected), then reports StateDisconnected
// (with the reason), StateReconnected and finally StateClosed. State
// changes are never dropped while the queue has its reserve room.
//
// # Reconnect
//
// The connection is declared lost on a read or write error, or when a
// keepalive Ping gets no response within Options.PingTimeout. Then, at
// once, every action in flight fails with ErrDisconnected (or
// ErrUnavailable if it was not written yet), subscribers receive
// StateDisconnected, and the Conn redials with exponential backoff between
// Options.ReconnectMin and Options.ReconnectMax, jittered, logging in again
// with the same options (a refused Login is logged as an error and retried).
// Actions issued while disconnected fail immediately with ErrUnavailable.
// No action is ever sent again after a reconnection: replaying an
// Originate would place a second call. Events sent by the server while the
// connection was down are lost; StateReconnected is the signal to
// resynchronise (CoreShowChannels and the like).
//
// # Security
//
// Asterisk ends a line at CRLF or at a bare LF, and an empty line ends the
// action. A value that reached the wire with a line break in it could add
// headers or start a second action (a Command, say) under the client's
// account. So every action is validated before anything is written: header
// names must be tokens of letters, digits, '-' and '_', and values must not
// contain CR, LF or NUL (they are refused with ErrInvalidField, never
// stripped); a line longer than MaxLineLength (1024 bytes) or more than
// MaxHeaders (128) headers, limits beyond which Asterisk silently drops
// data, are refused with ErrTooLong. Login, Challenge and Logoff cannot be
// sent through Do.
//
// On the read side, every message is bounded (Options.MaxMessageSize,
// Options.MaxHeaders) and every queue is bounded.
//
// The secret is sent only in the Login and never appears in logs or
// errors; Message.String masks Secret headers, and validation errors name
// the offending header but never quote its value. Use Options.TLS when the
// server is not on the same host, and an AMI account with only the read and
// write classes the application needs.
package ami
