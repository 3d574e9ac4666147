// Package fpbx is what the freepbx and issabel backends share: extensions,
// follow-me, queues and conference rooms kept in the distribution's
// `asterisk` database and astdb exactly as its GUI writes them, and the ways
// to apply configuration. The two distributions differ only through a
// Dialect.
package fpbx

import (
	"slices"
	"strconv"
	"strings"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/pbx"
)

// Dialect holds what differs between FreePBX and Issabel.
type Dialect struct {
	// Name is the backend's name ("freepbx", "issabel").
	Name string
	// SettingsTable is freepbx_settings or issabelpbx_settings.
	SettingsTable string
	// HintOverride: the devices table has FreePBX's hint_override column.
	HintOverride bool
	// DeviceTech: the GUI writes DEVICE/<ext>/tech (FreePBX does, Issabel
	// does not).
	DeviceTech bool
	// SIPRows returns the `sip` keyword rows of a new extension, in the
	// order the GUI inserts them.
	SIPRows func(tech pbx.Technology, e *pbx.Extension, secret string) []SIPRow
	// ParenthesizeNames: the GUI writes < and > in users.name as ( and ).
	ParenthesizeNames bool
	// UserKeys returns the AMPUSER/<ext>/... astdb keys of a new extension
	// (key relative to AMPUSER/<ext>, value).
	UserKeys func(e *pbx.Extension, voicemail string) [][2]string
	// FindMeFollowExtra are the findmefollow columns FreePBX has and Issabel
	// lacks (rvolume, calendar_*), with their defaults.
	FindMeFollowExtra [][2]string
	// MeetmeExtra are the meetme columns FreePBX has and Issabel lacks.
	MeetmeExtra [][2]string
	// ApplyCommand is the local command that applies configuration.
	ApplyCommand []string
	// OriginateChannel is the channel a call to an extension is
	// originated on; nil means its device.
	OriginateChannel func(pbx.ExtensionID) string
	// Dialplan is where originated calls go when Options leave it unset.
	Dialplan asterisk.Dialplan
}

// distroDialplan is where the distributions' originated calls go: numbers
// and rooms in from-internal (conference rooms are extensions there), the
// echo test on the *43 feature code. Neither has a music-on-hold extension:
// Hold expects pbxkit-callme,hold in extensions_custom.conf.
var distroDialplan = asterisk.Dialplan{
	DialContext:       "from-internal",
	Hold:              asterisk.Location{Context: "pbxkit-callme", Exten: "hold"},
	Echo:              asterisk.Location{Context: "from-internal", Exten: "*43"},
	ConferenceContext: "from-internal",
}

// SIPRow is one row of the sip table: a keyword, its data, and its flags
// (numbered from 2; 1 would mean "disabled").
type SIPRow struct {
	Keyword, Data string
	Flags         int
}

// numbered gives rows the flags 2, 3, 4, ... in order, as FreePBX does.
func numbered(rows [][2]string) []SIPRow {
	out := make([]SIPRow, len(rows))
	for i, r := range rows {
		out[i] = SIPRow{Keyword: r[0], Data: r[1], Flags: i + 2}
	}
	return out
}

// parenthesize replaces < and > in a name, as FreePBX's GUI does, so that
// "Name <ext>" stays parseable.
func parenthesize(name string) string { return strings.NewReplacer("<", "(", ">", ")").Replace(name) }

// callerID is the callerid row the GUIs write when a device is saved with a
// name: "Name <ext>".
func callerID(name string, ext pbx.ExtensionID) string {
	return parenthesize(name) + " <" + string(ext) + ">"
}

// userName is the users.name the dialect's GUI writes for a name.
func (d *Dialect) userName(name string) string {
	if d.ParenthesizeNames {
		return parenthesize(name)
	}
	return name
}

// FreePBX is FreePBX 16 (and 15, 17: the rows differ only by the keywords
// that version added, which older versions ignore).
var FreePBX = Dialect{
	Name:              "freepbx",
	SettingsTable:     "freepbx_settings",
	HintOverride:      true,
	DeviceTech:        true,
	ParenthesizeNames: true,
	// The driver's rows come first: Core::generateDefaultDeviceSettings
	// hands its flag counter to the driver, then adds the generic rows.
	SIPRows: func(tech pbx.Technology, e *pbx.Extension, secret string) []SIPRow {
		ext := string(e.ID)
		var rows [][2]string
		if tech == pbx.TechSIP {
			rows = [][2]string{
				{"sipdriver", "chan_sip"}, {"dtmfmode", "rfc2833"}, {"canreinvite", "no"}, {"host", "dynamic"},
				{"trustrpid", "yes"}, {"sendrpid", "pai"}, {"type", "friend"}, {"nat", "yes"}, {"port", "5060"},
				{"qualify", "yes"}, {"qualifyfreq", "60"}, {"transport", "udp,tcp,tls"}, {"avpf", "no"},
				{"force_avp", "no"}, {"sessiontimers", "accept"}, {"videosupport", "inherit"}, {"icesupport", "no"},
				{"encryption", "no"}, {"namedcallgroup", ""}, {"namedpickupgroup", ""}, {"disallow", ""},
				{"allow", ""}, {"accountcode", ""}, {"vmexten", ""}, {"deny", "0.0.0.0/0.0.0.0"},
				{"permit", "0.0.0.0/0.0.0.0"}, {"defaultuser", ""}, {"rtcp_mux", "no"}, {"webrtc", ""},
			}
		} else {
			rows = [][2]string{
				{"sipdriver", "chan_pjsip"}, {"md5_cred", ""}, {"dtmfmode", "rfc4733"}, {"trustrpid", "yes"}, {"sendrpid", "pai"},
				{"qualifyfreq", "60"}, {"transport", ""}, {"avpf", "no"}, {"timers", "yes"}, {"icesupport", "no"},
				{"send_connected_line", "yes"}, {"user_eq_phone", "no"}, {"namedcallgroup", ""},
				{"namedpickupgroup", ""}, {"disallow", ""}, {"allow", ""}, {"accountcode", ""},
				{"max_contacts", "1"}, {"remove_existing", "yes"}, {"media_use_received_transport", "no"},
				{"media_address", ""}, {"rtp_symmetric", "yes"}, {"force_rport", "yes"}, {"rewrite_contact", "yes"},
				{"mwi_subscription", "auto"}, {"aggregate_mwi", "no"}, {"media_encryption", "no"},
				{"media_encryption_optimistic", "no"}, {"device_state_busy_at", "0"}, {"rtcp_mux", "no"},
				{"bundle", "no"}, {"minimum_expiration", "60"}, {"maximum_expiration", "7200"}, {"match", ""},
				{"rtp_timeout", "0"}, {"rtp_timeout_hold", "0"}, {"timers_min_se", "90"}, {"direct_media", "yes"},
				{"force_callerid", "no"}, {"max_audio_streams", "1"}, {"max_video_streams", "1"}, {"webrtc", "no"},
				{"defaultuser", ""}, {"message_context", ""}, {"refer_blind_progress", "yes"}, {"vmexten", ""},
				{"outbound_auth", "no"},
			}
		}
		return numbered(append(rows,
			[2]string{"dial", dialString(tech, e.ID)}, [2]string{"secret", secret},
			[2]string{"context", contextOf(e)}, [2]string{"mailbox", ext + "@device"},
			[2]string{"account", ext}, [2]string{"callerid", callerID(e.Name, e.ID)},
			[2]string{"outbound_proxy", ""},
		))
	},
	UserKeys: func(e *pbx.Extension, voicemail string) [][2]string {
		return [][2]string{
			{"device", string(e.ID)}, {"cwtone", "disabled"}, {"accountcode", ""}, {"rvolume", ""},
			{"password", ""}, {"ringtimer", seconds(e)}, {"cfringtimer", "0"}, {"concurrency_limit", "3"},
			{"noanswer", e.NoAnswerDestination}, {"recording", ""}, {"outboundcid", e.OutboundCallerID},
			{"cidname", e.Name}, {"cidnum", string(e.ID)}, {"voicemail", voicemail}, {"answermode", "disabled"},
			{"intercom", "enabled"}, {"recording/in/external", "dontcare"}, {"recording/out/external", "dontcare"},
			{"recording/in/internal", "dontcare"}, {"recording/out/internal", "dontcare"},
			{"recording/ondemand", "disabled"}, {"recording/priority", "10"},
		}
	},
	FindMeFollowExtra: [][2]string{{"rvolume", ""}, {"calendar_enable", "0"}, {"calendar_id", ""}, {"calendar_group_id", ""}, {"calendar_match", "yes"}},
	MeetmeExtra:       [][2]string{{"language", ""}, {"timeout", "21600"}},
	ApplyCommand:      []string{"fwconsole", "reload"},
	// As FreePBX's own click-to-call: originate-skipvm rings the extension
	// (and its follow-me) without falling into voicemail.
	OriginateChannel: func(ext pbx.ExtensionID) string { return "Local/" + string(ext) + "@originate-skipvm" },
	Dialplan:         distroDialplan,
}

// Issabel is Issabel 4 (IssabelPBX 2.11): the rows its REST API writes,
// "the most concise statement of a typical Issabel extension".
var Issabel = Dialect{
	Name:          "issabel",
	SettingsTable: "issabelpbx_settings",
	// The rows and flags of the Issabel REST API's create_param. chan_sip
	// adds its own rows in the flags the PJSIP list leaves free.
	SIPRows: func(tech pbx.Technology, e *pbx.Extension, secret string) []SIPRow {
		ext := string(e.ID)
		rows := []SIPRow{
			{"secret", secret, 2}, {"dtmfmode", "rfc2833", 3}, {"context", contextOf(e), 5}, {"trustrpid", "yes", 7},
			{"sendrpid", "no", 8}, {"nat", "yes", 9}, {"qualify_timeout", "3.0", 10}, {"qualifyfreq", "60", 13},
			{"transport", "transport-udp", 14}, {"avpf", "no", 15}, {"icesupport", "no", 16}, {"dtlsenable", "no", 18},
			{"dtlsverify", "no", 19}, {"dtlssetup", "actpass", 20}, {"encryption", "no", 21}, {"callgroup", "", 22},
			{"pickupgroup", "", 23}, {"disallow", "", 24}, {"allow", "", 25}, {"dial", dialString(tech, e.ID), 26},
			{"accountcode", "", 27}, {"parkinglot", "default", 28}, {"mailbox", ext + "@device", 29},
			{"deny", "0.0.0.0/0.0.0.0", 30}, {"permit", "0.0.0.0/0.0.0.0", 31}, {"account", ext, 32},
			{"callerid", "device <" + ext + ">", 33}, {"dtlscertfile", "", 34}, {"dtlsprivatekey", "", 35},
			{"max_contacts", "1", 36}, {"subscribe_context", "", 37}, {"message_context", "", 38}, {"allow_subscribe", "no", 39},
		}
		if tech != pbx.TechSIP {
			return rows
		}
		rows[8].Data = "udp" // transport
		rows = append(rows, SIPRow{"canreinvite", "no", 4}, SIPRow{"host", "dynamic", 6}, SIPRow{"port", "5060", 11},
			SIPRow{"qualify", "yes", 12}, SIPRow{"force_avp", "no", 17}, SIPRow{"type", "friend", 40})
		slices.SortStableFunc(rows, func(a, b SIPRow) int { return a.Flags - b.Flags })
		return rows
	},
	UserKeys: func(e *pbx.Extension, voicemail string) [][2]string {
		return [][2]string{
			{"answermode", "disabled"}, {"cfringtimer", "0"}, {"cidname", e.Name}, {"cidnum", string(e.ID)},
			{"concurrency_limit", "0"}, {"device", string(e.ID)}, {"language", ""}, {"noanswer", e.NoAnswerDestination},
			{"outboundcid", e.OutboundCallerID}, {"password", ""}, {"queues/qnostate", "usestate"}, {"recording", ""},
			{"recording/in/external", "dontcare"}, {"recording/out/external", "dontcare"},
			{"recording/in/internal", "dontcare"}, {"recording/out/internal", "dontcare"},
			{"recording/ondemand", "disabled"}, {"ringtimer", seconds(e)}, {"voicemail", voicemail},
			{"followme/changecid", "default"}, {"followme/ddial", "DIRECT"}, {"followme/fixedcid", ""},
			{"followme/grpconf", "DISABLED"}, {"followme/grplist", string(e.ID)}, {"followme/grptime", "20"},
			{"followme/prering", "0"},
		}
	},
	// IssabelPBX has no originate-skipvm context: calls ring the device.
	ApplyCommand: []string{"amportal", "a", "r"},
	Dialplan:     distroDialplan,
}

func dialString(tech pbx.Technology, id pbx.ExtensionID) string {
	if tech == pbx.TechSIP {
		return "SIP/" + string(id)
	}
	return "PJSIP/" + string(id)
}

func contextOf(e *pbx.Extension) string {
	if e.Context != "" {
		return e.Context
	}
	return "from-internal"
}

func seconds(e *pbx.Extension) string { return strconv.Itoa(int(e.RingTime.Seconds())) }
