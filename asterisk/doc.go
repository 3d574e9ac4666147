// Package asterisk is the pbxkit backend for plain Asterisk (16 and later),
// over the Asterisk Manager Interface. It registers the "asterisk" URL
// scheme on pbx.DefaultURLMux:
//
//	import _ "github.com/pbxkit/pbxkit/asterisk"
//	c, err := pbx.Open(ctx, "asterisk://pbxkit:secret@127.0.0.1:5038?spool=/var/spool/asterisk/voicemail&cdr_csv=/var/log/asterisk/cdr-csv/Master.csv")
//
// or, with settings a URL cannot carry:
//
//	c, err := asterisk.Open(ctx, "127.0.0.1:5038", &asterisk.Options{
//		Username: "pbxkit", Secret: secret, TLS: tlsConfig,
//		SpoolDir: "/var/spool/asterisk/voicemail",
//		CDR:      cdrstore.NewCSV("/var/log/asterisk/cdr-csv/Master.csv", nil),
//	})
//
// # What it does, and how
//
//   - Calls: CoreShowChannels, Originate (asynchronous, with the call's ID as
//     ChannelId, returning once the channel exists), Hangup, Redirect.
//   - Devices: PJSIP endpoints and contacts (user agent, source address,
//     qualify round trip), device states; DND, call forwarding and follow-me
//     in astdb, in FreePBX's key layout by default (Options.AstDB).
//   - Extensions: the PJSIP endpoints, auths and AORs of a configuration
//     file (Options.ExtensionsFile), through GetConfig and UpdateConfig and a
//     res_pjsip reload.
//   - Voicemail: app_voicemail's spool directory (Options.SpoolDir), read and
//     reorganised as app_voicemail does, then VoicemailRefresh.
//   - Conferences: ConfBridge actions. Queues: app_queue actions.
//   - CDR: a cdrstore on Master.csv or a cdr table (Options.CDR); live
//     CDRPosted events from cdr_manager.
//   - Events: AMI events normalised into pbx events; a lost connection is
//     reported as BackendDisconnected, and after reconnecting the backend
//     reports BackendReconnected, then what changed meanwhile.
//
// # URLs
//
// [URLOpener] lists the URL's parameters: TLS, the voicemail spool, the
// recordings tree, the extensions file, the CDR source, the dialplan
// locations and ARI. Unknown parameters are refused, so that a typo does
// not pass unnoticed. Credentials in the URL never appear in errors or logs.
//
// # Events
//
// The backend keeps one AMI connection with events on and turns channel
// (Newchannel, Newstate, NewCallerid, BridgeEnter, Hangup, ...), device
// (DeviceStateChange, ContactStatus), ConfBridge, app_queue,
// MessageWaiting and Cdr events into pbx events; the event reader never
// delays an action's response. On connecting it reads the live calls and
// device states. When the connection drops, subscribers get
// BackendDisconnected; once it is back, BackendReconnected (with the
// downtime, and Restarted when Asterisk's start time, which CoreStatus
// tells to the second, changed: it restarted meanwhile), then CallStarted,
// CallEnded ("ended while disconnected") and
// DeviceStateChanged for what changed meanwhile. Events that happened
// during the outage are not replayed: Asterisk does not keep them.
//
// # Dialplan
//
// Originated calls go, once the phone answers, to dialplan locations
// (Options.Dialplan). The defaults expect this in extensions.conf:
//
//	[pbxkit-callme]
//	exten => hold,1,Answer()
//	 same => n,MusicOnHold(default)
//	exten => echo,1,Answer()
//	 same => n,Echo()
//
//	[pbxkit-conference]
//	exten => _[0-9a-zA-Z]!,1,Answer()
//	 same => n,ConfBridge(${EXTEN})
//
// Dialed numbers go to from-internal. The backend never originates into an
// application directly (Application=), which Asterisk's own security notes
// advise against.
//
// # AMI permissions
//
// The manager.conf user needs read = system,call,agent,user,config,dtmf,
// reporting,cdr,dialplan and write = system,call,agent,user,config,
// originate,reporting. config is needed only for extension management and
// system only for astdb and reloads; without config, set NoExtensions. The
// only Command the backend sends is "core show calls", for the count of calls
// processed, which is left at zero when the user lacks the command privilege.
//
// # Errors
//
// AMI errors are classified once: Asterisk's "No such channel" and the like
// become pbx.ErrNotFound, refused fields (CR, LF, NUL) pbx.ErrInvalid, and
// a lost connection pbx.ErrUnavailable. An action cut off in flight when
// the connection dropped is Unavailable too, and its message says it was
// sent: it may have been carried out, so the client never retries a
// mutation. errors.As reaches the *ami.Error with Asterisk's own message.
//
// # Concurrency
//
// A client is safe for concurrent use. Actions share the AMI connection and
// are matched to their responses by ActionID, so concurrent calls do not
// wait for one another; a lost connection fails the actions in flight at
// once with pbx.ErrUnavailable.
//
// # As
//
// Client.As accepts a **ami.Conn: the backend's AMI connection.
package asterisk
