// Package esl is a client for FreeSWITCH's Event Socket (mod_event_socket,
// inbound mode): the transport only, with no PBX model on top.
//
// Dial connects over TCP (or TLS through a terminator), reads the
// auth/request, authenticates, sends the event filters and subscribes to
// the events, and returns a *Conn that keeps the session alive ("api
// status" every Options.PingInterval) and reconnects after a loss. API runs
// an "api" command and returns its body; BackgroundAPI runs a "bgapi"
// command with a Job-UUID chosen by the Conn and returns a *Job whose Wait
// gives the result carried by the matching BACKGROUND_JOB event. Events
// are read from a Subscription.
//
//	conn, err := esl.Dial(ctx, "pbx.example.net:8021", &esl.Options{
//		Password: secret, Events: []string{"CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE", "CUSTOM sofia::register"},
//	})
//	...
//	vars, err := esl.OriginateVars(map[string]string{"origination_uuid": id, "origination_caller_id_name": "Front Desk"})
//	reply, err := conn.API(ctx, "originate", vars+"user/1001", "&park()") // "+OK <uuid>\n"
//
// The sub-package esltest is an in-process Event Socket server with a
// simulated switch, for tests; it does not import this package.
//
// # How this package uses eslgo
//
// The project builds its ESL transport on github.com/percipia/eslgo
// (v1.5.1). Its connection type has defects a PBX library cannot carry:
// each event listener runs in a goroutine of its own (order is lost), a
// reply that arrives after its command's context expired is handed to the
// next command, there is no reconnection, and its reader parses every
// message with net/textproto into a map (header order lost, values
// decoded with url.PathUnescape on every read). So this package owns the
// connection and the read loop, and uses eslgo for what it does right and
// cheaply: the command builders of its command package (command.Auth,
// command.Event, command.Filter, command.Exit, command.API for api and
// bgapi), every argument of which is validated here first, and its
// Content-Type constants. The header parser is this package's own: it
// splits by framing only, keeps header order, URL-decodes in place and
// makes two allocations per event.
//
// Measured in one run on the machine pbxkit is built on (go test -run XXX
// -bench 'Events|ParsePlain' -benchmem -cpu 1 -benchtime 200000x ./esl/),
// replaying esltest.SampleEvents (FreeSWITCH 1.10 header sets, 2.5 KB per
// event on average) over loopback to user code that counts the events:
//
//	                     events/s   B/event   allocs/event   out of order
//	esl (this package)   110k-136k     4680              2             0%
//	eslgo v1.5.1          27k-34k     16194            157            50%
//
// and parsing one 4.4 KB CHANNEL_BRIDGE body: 6-9 µs and 2 allocations
// here, 50-55 µs and 264 allocations with net/textproto plus
// url.PathUnescape, eslgo's method.
//
// # Concurrency
//
// A Conn is safe for concurrent use by multiple goroutines. The Event
// Socket has no request identifiers: replies come back in the order of the
// commands, and nothing in a reply says which command it answers. So each
// connection has exactly one command in flight: commands are queued (FIFO,
// in the order API and BackgroundAPI were called) and a single writer
// sends the next only after the reply to the previous one has been read.
// A command whose ctx ends while it is queued is withdrawn, unsent; a
// command whose ctx ends after it was written makes the Conn discard the
// connection and reconnect, so that its late reply can never be read as
// the reply to another command. An originate blocks its connection until
// the far end answers (up to 60 seconds by default, longer than the
// default CommandTimeout): run it with BackgroundAPI, which returns as soon
// as FreeSWITCH has accepted the job, or on a Conn of its own.
//
// Each Conn runs a reader, a writer and a supervisor goroutine (keepalive
// and reconnection); Close ends them all before it returns. No callback is
// ever run by the Conn.
//
// # Errors
//
// FreeSWITCH reports errors in the body of an api reply ("-ERR No such
// channel!", "-ERR USER_BUSY", "-USAGE: ...") or in the Reply-Text of a
// command/reply; API and Job.Wait return such replies as a *Error, with the
// raw body also returned (and in Error.Reply). mod_voicemail's success
// reply "-OK" is not an error. Other failures wrap sentinel errors, to be
// tested with errors.Is:
//
//   - ErrAuth: the password was refused ("-ERR invalid") or the ACL
//     rejected the client; Dial does not retry it.
//   - ErrUnavailable: the connection is down; the command was not written
//     and may be retried.
//   - ErrDisconnected (which also matches ErrUnavailable): the connection
//     was lost with the command in flight, or before a background job's
//     result arrived; the command may or may not have run. Never retry a
//     call-control command blindly on this error.
//   - ErrClosed: the Conn or Subscription was closed.
//   - ErrInvalid, ErrForbidden: the command was refused before anything was
//     written (see Security).
//   - ErrTooLong: a command over MaxCommandLength (not written), or a
//     message from FreeSWITCH over Options.MaxBodySize (skipped; the
//     command waiting for it fails, the connection stays up).
//   - ErrProtocol: the peer broke the framing, or sent a reply with no
//     command in flight; the connection is dropped and re-established.
//   - context.DeadlineExceeded and context.Canceled: ctx ended (or
//     Options.CommandTimeout passed, for a ctx without deadline).
//
// # Events
//
// The Conn subscribes once, at each (re)connection, with "event plain" (or
// "event json") and the names of Options.Events, always adding
// BACKGROUND_JOB (BackgroundAPI needs it; such events reach subscribers
// only if Options.Events asks for them or for ALL), after the
// Options.Filters. One read loop parses the stream in wire order and
// delivers every event to each Subscription, a bounded queue that never
// blocks the reader: FreeSWITCH disconnects a listener that falls 500
// events behind, so the reader drains the socket at once whatever the
// consumers do. When a queue is full the event is dropped for that
// subscriber only and counted: the next item it receives carries the count
// in Event.Dropped, and Subscription.Dropped returns the total.
//
// Event.Headers keeps the wire order; values of plain events are
// URL-decoded (an empty value is sent by FreeSWITCH as "_undef_", kept as
// is). The inner Content-Length is framing and becomes Event.Body.
// Event.Seq is the Event-Sequence header, which FreeSWITCH numbers across
// all events, so that gaps (events lost while disconnected) can be seen.
//
// Connection state changes are delivered in the same queue, in order with
// the events: a Subscription starts with the current state, then reports
// StateDisconnected (with the reason in Event.Err: the read error, the
// text of FreeSWITCH's disconnect notice, a keepalive timeout, a discarded
// connection), StateReconnected, and finally StateClosed.
//
// # Reconnect
//
// The connection is declared lost on a read or write error, on
// FreeSWITCH's text/disconnect-notice (sent on "exit", on shutdown, and
// when it kills a listener), on a framing error, or when a command or
// keepalive gets no reply in time. Then, at once, the command in flight
// fails with ErrDisconnected, queued commands with ErrUnavailable, pending
// background jobs with ErrDisconnected, and subscribers receive
// StateDisconnected. The Conn redials with exponential backoff between
// Options.ReconnectMin and Options.ReconnectMax, jittered, authenticates
// again and re-sends the filters and the subscription. Commands issued
// while disconnected fail immediately with ErrUnavailable. No command is
// ever sent again after a reconnection: replaying an originate would place
// a second call. Events fired while the connection was down are lost;
// StateReconnected is the signal to resynchronise ("show channels as
// json" and the like).
//
// # Security
//
// FreeSWITCH ends a command at two LFs (CR is ignored): a value that
// reached the wire with line breaks could add headers or start another
// command. Every command word and argument is validated before anything is
// written: control characters (CR, LF, NUL, TAB, ...) and invalid UTF-8
// are refused with ErrInvalid, never stripped; so is an empty argument, and
// an argument FreeSWITCH would split: its commands split their argument
// string at spaces outside single quotes (switch_separate_string), so an
// argument may contain spaces only inside single quotes (QuoteArg builds
// one). Channel-variable blocks for originate are built by OriginateVars,
// which escapes commas and quotes values as FreeSWITCH's parser needs, and
// refuses what it cannot represent safely.
//
// The Event Socket password gives a shell: mod_commands' system,
// bg_system and spawn run programs. The Conn never sends them; it refuses
// with ErrForbidden those commands, the commands that run other commands or
// code (bgapi as an api argument, sched_api, expand, eval, xml_wrap, the
// script runners; see ForbiddenCommands), any argument containing "${"
// (FreeSWITCH expands ${api(args)} calls in variables), originate and
// transfer targets running the system, bg_system or script applications,
// and channel variables that run commands later (api_hangup_hook,
// execute_on_answer, exec_after_bridge_app, ...). This guard is defence in
// depth, not a sandbox: give pbxkit an Event Socket account limited with
// esl-allowed-api and esl-allowed-events, set
// disable_system_api_commands, and keep the port off the network. The Conn
// logs a warning when the password is FreeSWITCH's default, ClueCon.
//
// On the read side every message is bounded (Options.MaxBodySize, a 64 KiB
// header line, 64 KiB of outer headers) and every queue is bounded. The
// password never appears in logs or errors.
package esl
