// Package pbx is pbxkit's portable API: one Go API over the PBXes people run
// (plain Asterisk over AMI and ARI, FreePBX, Issabel, FreeSWITCH over the Event
// Socket) and an in-memory mock.
//
// An application opens a [Client] and uses its services without knowing which
// PBX is on the other end:
//
//	c, err := pbx.Open(ctx, "asterisk://pbxkit:secret@127.0.0.1:5038")
//	...
//	defer c.Close()
//	calls, err := c.Calls().List(ctx, nil)
//	id, err := c.Calls().CallMe(ctx, "1010", pbx.CallMeRequest{Mode: pbx.ModeMusicOnHold})
//
// The services are [ExtensionService], [DeviceService] (device states,
// registered contacts, DND, call forwarding, follow-me), [CallService],
// [VoicemailService], [ConferenceService], [QueueService], [CDRService] and
// [SystemService]; live events come from [Client.Subscribe].
//
// # Backends and URLs
//
// Each backend package registers a URL scheme on [DefaultURLMux] when it is
// imported, as database/sql drivers do:
//
//	import _ "github.com/pbxkit/pbxkit/mock"       // mock://demo
//	import _ "github.com/pbxkit/pbxkit/asterisk"   // asterisk://user:secret@host:5038
//
// Backend packages also offer a typed Open(ctx, addr, *Options) for settings a
// URL cannot carry (a TLS config, a dialer, a logger). The context given to
// Open bounds connecting only; the connection lives until Close.
//
// # Capabilities
//
// Backends differ. Each declares its [Capabilities]; an operation needing a
// capability the backend lacks fails with [ErrUnsupported] before anything is
// sent. The conformance suite in package pbxtest verifies every declared
// capability of every backend, the mock included, so code tested against the
// mock behaves the same on a real PBX.
//
// # Errors
//
// Every error a Client returns is a [*Error] naming the operation and the
// backend, with an [ErrorCode]. Test for a class of errors with errors.Is and
// the sentinels ([ErrNotFound], [ErrInvalid], [ErrUnsupported],
// [ErrUnavailable], ...), or read the code with [Code]; reach the backend's own
// error (an *ami.Error, say) with errors.As. Input is validated before anything
// reaches the PBX: control characters (CR, LF, NUL above all) in any string,
// malformed extension numbers, unknown voicemail folders and dial-string
// separators get ErrInvalid. Idempotent reads that fail with ErrUnavailable are
// retried a few times; mutations (originate, hang up, transfer) never are.
//
// # Events
//
// Subscribe returns a [Subscription] once its filter is registered, so an
// action taken afterwards is never missed; pull events with Next or range
// over All. Events are the pointer types of events.go, such as *CallStarted
// and *CDRPosted; a type switch over them is exhaustive. Each subscription has
// a bounded buffer: a slow subscriber never holds up the PBX connection or
// other subscribers, and when it falls behind, the oldest events are dropped
// and it receives one [EventsDropped] with their count before the next event.
// An [EventFilter] narrows a subscription by kind, extension, call, mailbox,
// room or queue; its AnyOf joins several such filters in one ordered stream.
// Connection loss and recovery arrive in the same stream as
// [BackendDisconnected] and [BackendReconnected]. A caller may choose a call's
// ID before originating ([OriginateRequest].ID, [NewCallID]) and subscribe to
// it first, so the call's first event is never missed.
//
// # Concurrency
//
// A Client, its services and [URLMux] are safe for concurrent use. A
// Subscription's Next must not be called from two goroutines at once; its
// Close may be called from anywhere. Events are shared between subscribers and
// must be treated as read-only.
//
// # JSON
//
// The domain types and events encode to JSON with camelCase member names
// ([MarshalEvent] adds an event's kind). Times are RFC 3339; durations are
// integer nanoseconds, as encoding/json writes a [time.Duration], so that Go
// programs decode them back unchanged; enums are their String names; a
// [HangupCause] is its Q.850 code. A [Secret] encodes as "[REDACTED]".
//
// # As
//
// [Client.As] reaches backend-specific types (the AMI connection of the
// asterisk backend, the *mock.PBX of the mock); each backend documents the
// types it accepts.
//
// # Implementing a backend
//
// backend.go holds the interfaces backends implement: [Backend] and one
// interface per service. The Client does what every backend would otherwise
// repeat: capability checks, validation, defaults, timeouts, retries, error
// wrapping, event filtering and fan-out.
package pbx
