// Package freepbx is the pbxkit backend for FreePBX (15, 16 and 17): the
// Asterisk backend's core for everything live (calls, devices, conferences,
// queues at run time, voicemail, events), and FreePBX's own databases and
// astdb keys for configuration, written exactly as FreePBX's GUI writes
// them. It registers the "freepbx" URL scheme on pbx.DefaultURLMux:
//
//	import _ "github.com/pbxkit/pbxkit/freepbx"
//	c, err := pbx.Open(ctx, "freepbx://admin:amisecret@pbx.example.com?db="+
//		url.QueryEscape("freepbxuser:dbsecret@tcp(pbx.example.com:3306)/asterisk")+
//		"&cdrdb="+url.QueryEscape("freepbxuser:dbsecret@tcp(pbx.example.com:3306)/asteriskcdrdb"))
//
// A program running on the FreePBX host itself can read the credentials
// from /etc/freepbx.conf and /etc/amportal.conf: "freepbx:///?local=1", or
// HostOptions.
//
// # Configuration, as the GUI writes it
//
//   - Extensions: one users row, one devices row and the sip keyword rows
//     of a PJSIP (sipdriver=chan_pjsip) or chan_sip extension, with FreePBX
//     16's defaults, then the AMPUSER/<ext>, DEVICE/<ext> and CW/<ext> astdb
//     keys that a reload does not rebuild. The rows are written in one
//     transaction, the astdb keys after it commits; if the astdb step fails,
//     the rows and the keys already written are removed again, so no half
//     made extension remains. FreePBX's tables have no primary key: the
//     backend checks for duplicates itself, under a lock on
//     admin.need_reload.
//   - DND, call forwarding (CF, CFB, CFU), call waiting: astdb, with the
//     custom device states FreePBX's BLF hints watch.
//   - Follow-me: the findmefollow row and its AMPUSER/<ext>/followme keys.
//   - Queues: queues_config and queues_details (members as static member
//     rows); live members through app_queue.
//   - Conference rooms: the conferences module's meetme table and its
//     CONFERENCE/<room> astdb keys.
//   - CDR: asteriskcdrdb.cdr, with its columns discovered at run time.
//     Recordings: the recordingfile of a CDR, looked up in the monitor tree
//     by the date in its name (the call date otherwise); nothing outside
//     that tree is ever opened.
//   - Calls to an extension are originated as FreePBX's own click-to-call:
//     on Local/<ext>@originate-skipvm, which rings the extension (and its
//     follow-me) without falling into voicemail.
//
// # Applying configuration
//
// Changes set admin.need_reload, as the GUI does; the GUI's Apply Config
// button then applies them. Admin.Apply does it from Go: by running
// "fwconsole reload" (Options.ApplyCommand, for programs on the PBX host),
// or through the API module's GraphQL doreload mutation with an OAuth2
// client (Options.GraphQL), polling the transaction until FreePBX reports
// it executed or failed. Progress goes to Options.OnApply; the outcome is
// returned, never assumed. Options.AutoApply applies after every change.
//
// # Dialplan
//
// Echo tests dial FreePBX's *43 and conference rooms are dialed in
// from-internal. FreePBX has no music-on-hold extension; for call-me with
// music on hold, add to extensions_custom.conf:
//
//	[pbxkit-callme]
//	exten => hold,1,Answer()
//	 same => n,MusicOnHold(default)
//
// # Events
//
// The Asterisk backend's events (package asterisk), plus what the backend
// does itself: ExtensionCreated, Updated and Deleted, DNDChanged,
// ForwardChanged, CallWaitingChanged and FollowMeChanged after it wrote
// them. Changes made in FreePBX's GUI are not reported until they reach
// Asterisk (an applied configuration, a feature code dialed).
//
// # Errors
//
// AMI errors are classified as by the asterisk backend. Database errors: a
// lost or killed connection is pbx.ErrUnavailable, a duplicate
// pbx.ErrAlreadyExists; the message says what was and was not written (a
// failed create says its transaction wrote nothing, or that the astdb step
// failed and the extension was removed again). Apply failures carry the
// command's output or FreePBX's GraphQL message.
//
// # Concurrency
//
// A client is safe for concurrent use. Configuration writes take turns on
// a row lock of admin.need_reload, so two pbxkit clients never interleave
// the rows of one extension; FreePBX's GUI does not take that lock, so do
// not edit one extension from both at the same moment.
//
// # As
//
// Client.As accepts a **Admin (need_reload and Apply) and a **ami.Conn
// (the backend's AMI connection).
package freepbx
