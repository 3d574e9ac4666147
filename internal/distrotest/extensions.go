package distrotest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// FixtureExtension is one extension of the fixture PBX.
type FixtureExtension struct {
	// Number is the extension number, device id and SIP user ("1001").
	Number string
	// Tech is "pjsip" (the default when empty) or "sip" (chan_sip).
	Tech string
	// Name is the user's display name ("Alice").
	Name string
	// Secret is the SIP secret (the `secret` keyword row).
	Secret string
	// VoicemailContext is users.voicemail: the voicemail context ("default"),
	// or "" for no voicemail (written as "novm").
	VoicemailContext string
}

// DefaultExtensions returns the fixture extensions 1001-1006 (Alice, Bob,
// Carol, Dave, Erin, Frank), secret "pbxkit-<number>", voicemail context
// "default": the extensions of testdata/asterisk (asterisktest).
func DefaultExtensions() []FixtureExtension {
	names := []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank"}
	exts := make([]FixtureExtension, len(names))
	for i, name := range names {
		num := fmt.Sprintf("%d", 1001+i)
		exts[i] = FixtureExtension{Number: num, Name: name, Secret: "pbxkit-" + num, VoicemailContext: "default"}
	}
	return exts
}

// Row is one row of a table: the columns the writer inserts, in its order,
// and their values (string, int, or nil for NULL). Columns left out keep
// their defaults.
type Row struct {
	Table   string
	Columns []string
	Values  []any
}

// Value returns the value of a column of the row.
func (r Row) Value(column string) (any, bool) {
	for i, c := range r.Columns {
		if c == column {
			return r.Values[i], true
		}
	}
	return nil, false
}

// KeywordRow is one row of the sip table.
type KeywordRow struct {
	ID, Keyword, Data string
	Flags             int
}

// ExtensionRows are the rows a distribution's GUI writes for one PJSIP
// extension: one users row, one devices row and the sip keyword rows.
type ExtensionRows struct {
	Users   Row
	Devices Row
	SIP     []KeywordRow
}

// Keyword returns the sip row with that keyword.
func (r ExtensionRows) Keyword(keyword string) (KeywordRow, bool) {
	for _, k := range r.SIP {
		if k.Keyword == keyword {
			return k, true
		}
	}
	return KeywordRow{}, false
}

// keyword is the template of one sip row. data may hold {ext}, {name} and
// {secret}; flags 0 means "one more than the previous row" (from 2).
type keyword struct {
	name  string
	data  string
	flags int
}

// freepbxPJSIP are the sip rows FreePBX 16 writes for a new PJSIP extension
// (notes section 1.1): the generic rows of core16 Core.class.php
// generateDefaultDeviceSettings, then the rows of core16
// drivers/PJSip.class.php getDefaultDeviceSettings with the Advanced Settings
// defaults of a new install. Values for the fixture: an empty transport (the
// "default transport" choice), max_contacts 1 and therefore
// remove_existing=yes, mwi_subscription auto (Asterisk >= 13.9.1).
//
// Not verified: the notes say the flags are numbered 2, 3, 4, ... but not in
// which order the keywords come; the order here is the notes' (generic rows
// first, then the driver table row by row).
var freepbxPJSIP = []keyword{
	{name: "sipdriver", data: "chan_pjsip"},
	{name: "md5_cred", data: ""},
	{name: "dtmfmode", data: "rfc4733"},
	{name: "trustrpid", data: "yes"},
	{name: "sendrpid", data: "pai"},
	{name: "qualifyfreq", data: "60"},
	{name: "transport", data: ""},
	{name: "avpf", data: "no"},
	{name: "timers", data: "yes"},
	{name: "icesupport", data: "no"},
	{name: "send_connected_line", data: "yes"},
	{name: "user_eq_phone", data: "no"},
	{name: "namedcallgroup", data: ""},
	{name: "namedpickupgroup", data: ""},
	{name: "disallow", data: ""},
	{name: "allow", data: ""},
	{name: "accountcode", data: ""},
	{name: "max_contacts", data: "1"},
	{name: "remove_existing", data: "yes"},
	{name: "media_use_received_transport", data: "no"},
	{name: "media_address", data: ""},
	{name: "rtp_symmetric", data: "yes"},
	{name: "force_rport", data: "yes"},
	{name: "rewrite_contact", data: "yes"},
	{name: "mwi_subscription", data: "auto"},
	{name: "aggregate_mwi", data: "no"},
	{name: "media_encryption", data: "no"},
	{name: "media_encryption_optimistic", data: "no"},
	{name: "device_state_busy_at", data: "0"},
	{name: "rtcp_mux", data: "no"},
	{name: "bundle", data: "no"},
	{name: "minimum_expiration", data: "60"},
	{name: "maximum_expiration", data: "7200"},
	{name: "match", data: ""},
	{name: "rtp_timeout", data: "0"},
	{name: "rtp_timeout_hold", data: "0"},
	{name: "timers_min_se", data: "90"},
	{name: "direct_media", data: "yes"},
	{name: "force_callerid", data: "no"},
	{name: "max_audio_streams", data: "1"},
	{name: "max_video_streams", data: "1"},
	{name: "webrtc", data: "no"},
	{name: "defaultuser", data: ""},
	{name: "message_context", data: ""},
	{name: "refer_blind_progress", data: "yes"},
	{name: "vmexten", data: ""},
	{name: "outbound_auth", data: "no"},
}

// freepbxSIP are the chan_sip driver rows of FreePBX 16 (notes section
// 1.1, core16 drivers/Sip.class.php getDefaultDeviceSettings).
var freepbxSIP = []keyword{
	{name: "sipdriver", data: "chan_sip"},
	{name: "dtmfmode", data: "rfc2833"},
	{name: "canreinvite", data: "no"},
	{name: "host", data: "dynamic"},
	{name: "trustrpid", data: "yes"},
	{name: "sendrpid", data: "pai"},
	{name: "type", data: "friend"},
	{name: "nat", data: "yes"},
	{name: "port", data: "5060"},
	{name: "qualify", data: "yes"},
	{name: "qualifyfreq", data: "60"},
	{name: "transport", data: "udp,tcp,tls"},
	{name: "avpf", data: "no"},
	{name: "force_avp", data: "no"},
	{name: "sessiontimers", data: "accept"},
	{name: "videosupport", data: "inherit"},
	{name: "icesupport", data: "no"},
	{name: "encryption", data: "no"},
	{name: "namedcallgroup", data: ""},
	{name: "namedpickupgroup", data: ""},
	{name: "disallow", data: ""},
	{name: "allow", data: ""},
	{name: "accountcode", data: ""},
	{name: "vmexten", data: ""},
	{name: "deny", data: "0.0.0.0/0.0.0.0"},
	{name: "permit", data: "0.0.0.0/0.0.0.0"},
	{name: "defaultuser", data: ""},
	{name: "rtcp_mux", data: "no"},
	{name: "webrtc", data: ""},
}

// freepbxGeneric are the rows Core.generateDefaultDeviceSettings adds after
// the driver's (notes section 1.1): it passes the flag counter to the
// driver first, so the driver rows are numbered from 2 and these follow.
var freepbxGeneric = []keyword{
	{name: "dial", data: "{dial}"},
	{name: "secret", data: "{secret}"},
	{name: "context", data: "from-internal"},
	{name: "mailbox", data: "{ext}@device"},
	{name: "account", data: "{ext}"},
	{name: "callerid", data: "{name} <{ext}>"},
	{name: "outbound_proxy", data: ""},
}

// issabelPJSIP are the sip rows of a "typical Issabel extension" (notes
// section 1.4): the PJSIP defaults of the Issabel REST API (ifw
// pbxapi/controllers/extensions.php create_param), which the notes call the
// most concise statement of what Issabel writes; the GUI's own PJSIP form
// defaults are only described there as a difference from its chan_sip list.
// Note the literal callerid "device <ext>" and mailbox "<ext>@device".
//
// Flags: 2, 3, 5, 7, 8, 9, 10, 13, 14 and 26 are the notes'. The others are
// inferred from the chan_sip list of a stored copy of the same file, whose
// flags the PJSIP list keeps for the keywords both share (it drops
// canreinvite 4, host 6, port 11, qualify 12, force_avp 17 and puts nat at 9
// and qualify_timeout at 10); max_contacts .. allow_subscribe (PJSIP only)
// follow at 36-39. Not verified.
var issabelPJSIP = []keyword{
	{"secret", "{secret}", 2},
	{"dtmfmode", "rfc2833", 3},
	{"context", "from-internal", 5},
	{"trustrpid", "yes", 7},
	{"sendrpid", "no", 8},
	{"nat", "yes", 9},
	{"qualify_timeout", "3.0", 10},
	{"qualifyfreq", "60", 13},
	{"transport", "transport-udp", 14},
	{"avpf", "no", 15},
	{"icesupport", "no", 16},
	{"dtlsenable", "no", 18},
	{"dtlsverify", "no", 19},
	{"dtlssetup", "actpass", 20},
	{"encryption", "no", 21},
	{"callgroup", "", 22},
	{"pickupgroup", "", 23},
	{"disallow", "", 24},
	{"allow", "", 25},
	{"dial", "{dial}", 26},
	{"accountcode", "", 27},
	{"parkinglot", "default", 28},
	{"mailbox", "{ext}@device", 29},
	{"deny", "0.0.0.0/0.0.0.0", 30},
	{"permit", "0.0.0.0/0.0.0.0", 31},
	{"account", "{ext}", 32},
	{"callerid", "device <{ext}>", 33},
	{"dtlscertfile", "", 34},
	{"dtlsprivatekey", "", 35},
	{"max_contacts", "1", 36},
	{"subscribe_context", "", 37},
	{"message_context", "", 38},
	{"allow_subscribe", "no", 39},
}

// issabelSIP are the rows a chan_sip extension has besides (or instead
// of) issabelPJSIP's: notes section 1.4 says "the same idea plus"
// canreinvite, host, type, port, qualify, transport=udp and force_avp. The
// flags 4, 6, 11, 12 and 17 are the ones the PJSIP list leaves free; type's
// is not known and follows the list at 40. Not verified.
var issabelSIP = []keyword{
	{"canreinvite", "no", 4},
	{"host", "dynamic", 6},
	{"port", "5060", 11},
	{"qualify", "yes", 12},
	{"transport", "udp", 14},
	{"force_avp", "no", 17},
	{"type", "friend", 40},
}

// usersColumns are the users columns both GUIs (and the Issabel REST API)
// insert; mohclass is left to its default 'default'.
var usersColumns = []string{
	"extension", "password", "name", "voicemail", "ringtimer", "noanswer", "recording",
	"outboundcid", "sipname", "noanswer_cid", "busy_cid", "chanunavail_cid",
	"noanswer_dest", "busy_dest", "chanunavail_dest",
}

// Rows returns the rows the distribution writes for the extension e (notes
// section 1.1 for FreePBX, 1.4 for Issabel). It is the one place the
// fixture's row data lives: SeedExtensions inserts exactly these rows, and
// golden tests compare against them.
//
// Issabel's PJSIP auth section is named auth<ext> (FreePBX: <ext>-auth), but
// that name exists only in the generated pjsip configuration, not in these
// rows.
func Rows(distro Distro, e FixtureExtension) ExtensionRows {
	vm := e.VoicemailContext
	if vm == "" {
		vm = "novm"
	}
	name := e.Name
	if distro == FreePBX {
		// core16 addUser turns < and > into ( and ).
		name = strings.NewReplacer("<", "(", ">", ")").Replace(name)
	}
	tech, dial := "pjsip", "PJSIP/"+e.Number
	if e.Tech == "sip" {
		tech, dial = "sip", "SIP/"+e.Number
	}
	var r ExtensionRows
	r.Users = Row{Table: "users", Columns: usersColumns, Values: []any{
		e.Number, "", name, vm, 0, "", "", "", "", "", "", "", "", "", "",
	}}
	r.Devices = Row{
		Table:   "devices",
		Columns: []string{"id", "tech", "dial", "devicetype", "user", "description", "emergency_cid"},
		Values:  []any{e.Number, tech, dial, "fixed", e.Number, e.Name, ""},
	}
	var templates []keyword
	switch {
	case distro == FreePBX && tech == "sip":
		templates = append(slices.Clone(freepbxSIP), freepbxGeneric...)
	case distro == FreePBX:
		templates = append(slices.Clone(freepbxPJSIP), freepbxGeneric...)
	case tech == "sip":
		templates = withIssabelSIP()
	default:
		templates = issabelPJSIP
	}
	if distro == FreePBX {
		r.Devices.Columns = append(r.Devices.Columns, "hint_override")
		r.Devices.Values = append(r.Devices.Values, nil)
	}
	fill := strings.NewReplacer("{ext}", e.Number, "{name}", name, "{secret}", e.Secret, "{dial}", dial)
	flags := 1
	for _, k := range templates {
		if k.flags != 0 {
			flags = k.flags
		} else {
			flags++
		}
		r.SIP = append(r.SIP, KeywordRow{ID: e.Number, Keyword: k.name, Data: fill.Replace(k.data), Flags: flags})
	}
	return r
}

// withIssabelSIP returns issabelPJSIP with issabelSIP's rows replacing or
// joining it, in flags order.
func withIssabelSIP() []keyword {
	out := slices.Clone(issabelPJSIP)
	for _, k := range issabelSIP {
		if i := slices.IndexFunc(out, func(o keyword) bool { return o.name == k.name }); i >= 0 {
			out[i] = k
		} else {
			out = append(out, k)
		}
	}
	slices.SortStableFunc(out, func(a, b keyword) int { return a.flags - b.flags })
	return out
}

// SeedExtensions inserts the rows of Rows for each extension (the
// DefaultExtensions when none are given) into the asterisk database db, in
// one transaction. It writes no AstDB keys and leaves admin.need_reload as
// it is: the result is the database of a PBX whose configuration has been
// applied.
func SeedExtensions(t testing.TB, db *sql.DB, distro Distro, exts ...FixtureExtension) {
	t.Helper()
	if distro != FreePBX && distro != Issabel {
		t.Fatalf("distrotest: unknown distro %q", distro)
	}
	if len(exts) == 0 {
		exts = DefaultExtensions()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for _, e := range exts {
		r := Rows(distro, e)
		for _, row := range []Row{r.Users, r.Devices} {
			if err := insert(ctx, tx, row); err != nil {
				t.Fatalf("seeding extension %s: %v", e.Number, err)
			}
		}
		for _, k := range r.SIP {
			row := Row{Table: "sip", Columns: []string{"id", "keyword", "data", "flags"}, Values: []any{k.ID, k.Keyword, k.Data, k.Flags}}
			if err := insert(ctx, tx, row); err != nil {
				t.Fatalf("seeding extension %s: %v", e.Number, err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func insert(ctx context.Context, tx *sql.Tx, r Row) error {
	cols := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		cols[i] = "`" + c + "`"
	}
	q := "INSERT INTO `" + r.Table + "` (" + strings.Join(cols, ", ") + ") VALUES (?" + strings.Repeat(", ?", len(cols)-1) + ")"
	if _, err := tx.ExecContext(ctx, q, r.Values...); err != nil {
		return fmt.Errorf("%s: %w", r.Table, err)
	}
	return nil
}

// AstDBKeys returns the astdb keys ("family/key" → value) the
// distribution writes for the new extension e: for FreePBX those of core16
// addDevice and addUser (notes section 1.2; emergency_cid is written only
// when not empty), for Issabel those of the REST API's create_user (section
// 1.4), less the keys whose values the notes do not give (pinless,
// recording/priority, dictate/*).
func AstDBKeys(distro Distro, e FixtureExtension) map[string]string {
	n := e.Number
	vm := e.VoicemailContext
	if vm == "" {
		vm = "novm"
	}
	tech, dial := "pjsip", "PJSIP/"+n
	if e.Tech == "sip" {
		tech, dial = "sip", "SIP/"+n
	}
	keys := map[string]string{
		"DEVICE/" + n + "/user": n, "DEVICE/" + n + "/dial": dial, "DEVICE/" + n + "/type": "fixed",
		"DEVICE/" + n + "/default_user": n, "CW/" + n: "ENABLED",
	}
	user := map[string]string{
		"device": n, "password": "", "ringtimer": "0", "cfringtimer": "0", "noanswer": "", "recording": "",
		"outboundcid": "", "cidname": e.Name, "cidnum": n, "voicemail": vm, "answermode": "disabled",
		"recording/in/external": "dontcare", "recording/out/external": "dontcare",
		"recording/in/internal": "dontcare", "recording/out/internal": "dontcare", "recording/ondemand": "disabled",
	}
	if distro == FreePBX {
		keys["DEVICE/"+n+"/tech"] = tech
		for k, v := range map[string]string{"cwtone": "disabled", "accountcode": "", "rvolume": "",
			"concurrency_limit": "3", "intercom": "enabled", "recording/priority": "10"} {
			user[k] = v
		}
	} else {
		for k, v := range map[string]string{"concurrency_limit": "0", "language": "", "queues/qnostate": "usestate",
			"followme/changecid": "default", "followme/ddial": "DIRECT", "followme/fixedcid": "",
			"followme/grpconf": "DISABLED", "followme/grplist": n, "followme/grptime": "20", "followme/prering": "0"} {
			user[k] = v
		}
	}
	for k, v := range user {
		keys["AMPUSER/"+n+"/"+k] = v
	}
	return keys
}
