// Package freeswitch is the pbxkit backend for FreeSWITCH (1.10), over its
// Event Socket (mod_event_socket, inbound mode) through package esl. It
// registers the "freeswitch" URL scheme on pbx.DefaultURLMux:
//
//	import _ "github.com/pbxkit/pbxkit/freeswitch"
//	c, err := pbx.Open(ctx, "freeswitch://:secret@127.0.0.1:8021?directory=/etc/freeswitch/directory/default&voicemail=/var/lib/freeswitch/storage/voicemail&cdr_csv=/var/log/freeswitch/cdr-csv/Master.csv")
//
// or, with settings a URL cannot carry:
//
//	c, err := freeswitch.Open(ctx, "127.0.0.1:8021", &freeswitch.Options{
//		Password: secret, Logger: logger,
//		Directory:    "/etc/freeswitch/directory/default",
//		VoicemailDir: "/var/lib/freeswitch/storage/voicemail",
//		CDR: cdrstore.NewCSV("/var/log/freeswitch/cdr-csv/Master.csv",
//			&cdrstore.CSVOptions{Layout: cdrstore.LayoutFreeSWITCH, Location: time.Local}),
//	})
//
// # URLs
//
//	freeswitch://:password@host[:8021][?param=value&...]
//
// The password is the Event Socket password; the port defaults to 8021.
// The parameters are listed on [URLOpener]: domain, profiles, directory,
// voicemail, vm_profile, cdr_csv, cdr_tz, store, realm, dial_context,
// hold_music, conference_profile, queue_domain and tls. Unknown parameters
// are refused with pbx.ErrInvalid, and no error shows the password.
//
// # What it does, and how
//
//   - Calls: "show channels as json"; originate, run with bgapi (it blocks
//     until the phone answers) with the call's ID as origination_uuid so
//     that its first event is never missed, returning once the leg exists;
//     uuid_kill; uuid_transfer into the XML dialplan. Once answered, an
//     originated call plays Dialplan.HoldMusic (&playback), echoes (&echo),
//     parks (&park), joins a room (&conference(room@profile)) or is routed
//     to the dialed number in Dialplan.Context.
//   - Devices: every directory user (list_users) is an extension's device;
//     its contacts are its Sofia registrations ("sofia xmlstatus profile P
//     reg": user agent, source address and port, ping time, expiry), its
//     state is derived from them and from its channels. DND, call
//     forwarding and follow-me are keys of mod_db or mod_hash (Options.Store,
//     below) that the dialplan reads.
//   - Extensions: read from the directory with list_users. With
//     Options.Directory, created, updated and deleted as <id>.xml user files
//     in that directory, followed by "reloadxml"; secrets are reset and
//     revealed there ($${var} references are read from the global
//     variables). Files are written atomically, XML-escaped, named from
//     validated extension numbers only, and nothing outside the directory
//     is touched (os.Root); values FreeSWITCH would expand ("${", "$${") are
//     refused. A file's other params, variables and elements are kept (its
//     comments are not).
//   - Voicemail (with Options.VoicemailDir): mod_voicemail's
//     vm_fsdb_msg_count, _list, _get, _save, _undelete, _delete and _purge.
//     New messages are the INBOX folder, saved ones the Old folder; audio is
//     the file mod_voicemail reports, opened only inside the storage root.
//   - Conferences: mod_conference's json_list, kick, mute, unmute, lock and
//     unlock; the participant ID is the member ID.
//   - Queues: mod_callcenter's callcenter_config. A member is an agent with
//     a tier in the queue; its interface is the agent's contact, its
//     penalty the tier's level, and pausing sets the agent "On Break".
//     AddMember creates a callback agent named after the interface.
//   - CDR (with Options.CDR): a cdrstore.CSV in the LayoutFreeSWITCH layout
//     on mod_cdr_csv's Master.csv, with the portable filters and paging.
//   - System: "status" (uptime, sessions), "version", "show calls count".
//   - Capabilities: conferences, queues and voicemail are declared only when
//     FreeSWITCH has mod_conference, mod_callcenter and mod_voicemail
//     loaded (probed when connecting).
//
// # Store: DND, forwarding and follow-me
//
// FreeSWITCH has no notion of these: the backend keeps them in mod_db
// (store=db, the default) or mod_hash (store=hash) under the realm
// Options.Store.Realm ("pbxkit"), and your dialplan must read them. The
// keys, for extension 1000:
//
//	dnd_1000                 "true" while do-not-disturb is on
//	cf_always_1000           number to forward every call to
//	cf_busy_1000             number to forward to while busy
//	cf_noanswer_1000         number to forward to when unanswered
//	followme_1000            "true" or "false"
//	followme_numbers_1000    the numbers, comma-separated
//	followme_time_1000       seconds each step rings
//
// mod_db keeps at most 255 bytes of a value: a longer one (a long
// follow-me list) is refused with pbx.ErrInvalid rather than cut.
//
// A missing key means off. A Local_Extension that honours DND and
// unconditional forwarding could start with:
//
//	<condition field="${db(select/pbxkit/dnd_${destination_number})}" expression="^true$" break="on-true">
//	  <action application="respond" data="486"/>
//	</condition>
//	<condition field="${db(select/pbxkit/cf_always_${destination_number})}" expression="^(.+)$" break="on-true">
//	  <action application="transfer" data="$1 XML default"/>
//	</condition>
//
// # Unsupported
//
// These capabilities are not declared, and their operations fail with
// pbx.ErrUnsupported:
//
//   - queues.write and conferences.rooms: mod_callcenter queues and
//     mod_conference profiles live in callcenter.conf.xml and
//     conference.conf.xml, which the backend does not manage.
//   - cdr.recordings: mod_cdr_csv's template names no recording.
//   - devices.callwaiting: FreeSWITCH has no call-waiting setting of its own.
//   - Without Options.Directory, extension writes and secrets; without
//     Options.VoicemailDir, voicemail; without Options.CDR, CDR queries.
//
// Within declared capabilities: a voicemail move to Work, Family, Friends
// or Urgent is unsupported (mod_voicemail has new and saved messages
// only); an extension's RingTime and NoAnswerDestination are unsupported
// (the dialplan decides); its mailbox is the user's own or none
// (vm-enabled); its Tech is ignored (every extension is a directory user);
// a queue member's pause reason is not kept; CDRs name no channel.
//
// # Events
//
// The backend follows CHANNEL_CREATE, _PROGRESS, _ANSWER, _BRIDGE,
// _UNBRIDGE and _HANGUP_COMPLETE, conference::maintenance,
// callcenter::info, sofia::register, ::unregister and ::expire,
// vm::maintenance, MESSAGE_WAITING and HEARTBEAT, in wire order (one
// reader, one event loop), and publishes the portable events: CallStarted,
// CallRinging, CallAnswered, CallBridged, CallEnded then CDRPosted (for A
// legs, the ones mod_cdr_csv records by default), DeviceStateChanged,
// ContactRegistered and ContactUnregistered, ConferenceStarted, Joined,
// Left, Ended, ParticipantMuted and ConferenceLocked, QueueCallerJoined and
// Left, QueueMemberPaused and StatusChanged, VoicemailReceived and
// MailboxChanged. What FreeSWITCH does not report is published by the
// backend once it has done it: DNDChanged, ForwardChanged,
// FollowMeChanged, ExtensionCreated, Updated and Deleted, QueueMemberAdded
// and Removed, CallTransferred, MailboxChanged after a move or delete.
// HEARTBEAT's session count checks the backend's view of the channels.
//
// A lost connection is reported as BackendDisconnected; requests fail fast
// with pbx.ErrUnavailable meanwhile. Once reconnected (with backoff), the
// backend reports BackendReconnected (Restarted when the switch's
// Core-UUID changed: FreeSWITCH restarted meanwhile), then what changed
// while it was down: calls that ended or started, contacts that registered
// or went away, devices that changed state. Events the backend's queue had to
// drop are reported as EventsDropped, and the state is read again.
//
// # Errors
//
// Errors are classified once (ErrorCode): a command that esl refuses to
// send (CR, LF, a space outside quotes, a shell-reaching command or
// variable) is pbx.ErrInvalid, FreeSWITCH's "No such channel" and "not
// found" pbx.ErrNotFound, "Command not found" (a module not loaded)
// pbx.ErrUnsupported, a lost connection pbx.ErrUnavailable (a mutation
// cut off in flight may or may not have been carried out, as the message
// says). errors.As reaches the *esl.Error with FreeSWITCH's reply.
//
// # Security
//
// Every value reaches the Event Socket through esl, which refuses control
// characters, arguments FreeSWITCH would split, ${...} expansion and the
// commands and channel variables that reach a shell; originate variables
// are escaped by esl.OriginateVars. The backend never sends system,
// bg_system or any command that runs another. The Event Socket password
// gives a shell to whoever knows it: a warning is logged when it is
// FreeSWITCH's default, ClueCon. Give pbxkit an account limited with
// esl-allowed-api, and keep the port off the network.
//
// # Concurrency
//
// The Client is safe for concurrent use. Commands share one Event Socket
// connection, one at a time (ESL has no request IDs); originates run in the
// background and do not hold it.
//
// # As
//
// Client.As accepts a **esl.Conn: the backend's Event Socket connection.
package freeswitch
