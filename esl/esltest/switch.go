package esltest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// eventNames are FreeSWITCH's event type names (switch_event.c
// EVENT_NAMES), for "event" and "nixevent".
var eventNames = []string{
	"CUSTOM", "CLONE", "CHANNEL_CREATE", "CHANNEL_DESTROY", "CHANNEL_STATE",
	"CHANNEL_CALLSTATE", "CHANNEL_ANSWER", "CHANNEL_HANGUP", "CHANNEL_HANGUP_COMPLETE",
	"CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HOLD", "CHANNEL_UNHOLD",
	"CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA",
	"CHANNEL_OUTGOING", "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_APPLICATION",
	"CHANNEL_ORIGINATE", "CHANNEL_UUID", "API", "LOG", "INBOUND_CHAN", "OUTBOUND_CHAN",
	"STARTUP", "SHUTDOWN", "PUBLISH", "UNPUBLISH", "TALK", "NOTALK", "SESSION_CRASH",
	"MODULE_LOAD", "MODULE_UNLOAD", "DTMF", "MESSAGE", "PRESENCE_IN", "NOTIFY_IN",
	"PRESENCE_OUT", "PRESENCE_PROBE", "MESSAGE_WAITING", "MESSAGE_QUERY", "ROSTER",
	"CODEC", "BACKGROUND_JOB", "DETECTED_SPEECH", "DETECTED_TONE", "PRIVATE_COMMAND",
	"HEARTBEAT", "TRAP", "ADD_SCHEDULE", "DEL_SCHEDULE", "EXE_SCHEDULE", "RE_SCHEDULE",
	"RELOADXML", "NOTIFY", "PHONE_FEATURE", "PHONE_FEATURE_SUBSCRIBE", "SEND_MESSAGE",
	"RECV_MESSAGE", "REQUEST_PARAMS", "CHANNEL_DATA", "GENERAL", "COMMAND",
	"SESSION_HEARTBEAT", "CLIENT_DISCONNECTED", "SERVER_DISCONNECTED", "SEND_INFO",
	"RECV_INFO", "RECV_RTCP_MESSAGE", "SEND_RTCP_MESSAGE", "CALL_SECURE", "NAT",
	"RECORD_START", "RECORD_STOP", "PLAYBACK_START", "PLAYBACK_STOP", "CALL_UPDATE",
	"FAILURE", "SOCKET_DATA", "MEDIA_BUG_START", "MEDIA_BUG_STOP",
	"CONFERENCE_DATA_QUERY", "CONFERENCE_DATA", "CALL_SETUP_REQ", "CALL_SETUP_RESULT",
	"CALL_DETAIL", "DEVICE_STATE", "TEXT", "SHUTDOWN_REQUESTED", "ALL",
}

// eventName returns the canonical name of an event type, case-insensitive.
func eventName(s string) (string, bool) {
	for _, n := range eventNames {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	return "", false
}

// version strings of the simulated switch: FreeSWITCH 1.10.12.
const (
	versionFull  = "1.10.12-release-10222002881-a88d069d6f~64bit"
	versionHuman = "-release-10222002881-a88d069d6f 64bit"
	statusBanner = "FreeSWITCH (Version 1.10.12 -release-10222002881-a88d069d6fgit a88d069 2024-08-02 21:02:27Z 64bit) is ready"
)

// AnswerMode is what a simulated phone does when it is called.
type AnswerMode int

const (
	// Answer: the phone answers after Phone.Delay (the default).
	Answer AnswerMode = iota
	// Busy: the phone rejects the call at once with USER_BUSY.
	Busy
	// NoAnswer: the phone rings until the originate or call timeout, then
	// the call fails with NO_ANSWER.
	NoAnswer
	// Reject: the phone rejects the call with Phone.Cause (CALL_REJECTED by
	// default).
	Reject
)

// Phone is the behaviour of a user's phone when it is called.
type Phone struct {
	Mode  AnswerMode
	Delay time.Duration // before answering (Answer) or rejecting
	Cause string        // for Reject
}

// Registration is a phone's SIP registration on the "internal" profile.
type Registration struct {
	UserAgent string        // default "esltest-phone/1.0"
	IP        string        // network IP; default "192.168.1.<n>"
	Port      int           // network port; default 5060
	PingTime  float64       // OPTIONS ping round trip in ms
	Expires   time.Duration // default 3600s
	Transport string        // "UDP" (default), "TCP", "TLS"
	NAT       bool          // Status "Registered(UDP-NAT)"
	CallID    string        // default random
}

type registration struct {
	Registration
	user    string
	contact string
	expires time.Time
}

// channel is a simulated channel (one leg).
type channel struct {
	uuid        string
	name        string
	direction   string
	created     time.Time
	answered    time.Time
	state       string
	callState   string
	answerState string
	cidName     string
	cidNum      string
	ipAddr      string
	dest        string
	app         string
	appData     string
	context     string
	calleeName  string
	calleeNum   string
	callUUID    string
	presenceID  string
	user        string   // the directory user this leg belongs to
	peer        string   // bridged leg
	originator  *channel // the leg that created this one (a B leg's A leg)
	originatee  *channel // the leg this one bridged to (an A leg's B leg)
	conf        string   // conference room
	member      int      // conference member id
	queue       string   // callcenter queue
	vars        []Header
	hangup      bool
	cause       string
	gone        chan struct{} // closed on hangup
	initialCID  [2]string
	initialDest string
}

var stateNumbers = map[string]int{
	"CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
	"CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
	"CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12,
}

// switchState is the simulated switch. Everything is guarded by Server.mu.
type switchState struct {
	s             *Server
	coreUUID      string
	started       time.Time
	sessionsTotal int
	peak          int
	users         []*User
	regs          map[string]*registration
	phones        map[string]Phone
	channels      map[string]*channel
	order         []string // channel uuids in creation order
	confs         map[string]*conference
	lastMemberID  int // conference member IDs are drawn from one pool (next_member_id)
	cc            *callcenter
	vm            []*vmMessage
	db            map[string]string
	hash          map[string]string
	globals       []Header
	nextIP        int
	callsCreated  map[string]time.Time // caller uuid -> bridge time
}

func newSwitchState(s *Server) *switchState {
	sw := &switchState{
		s:            s,
		coreUUID:     newUUID(),
		started:      time.Now(),
		regs:         make(map[string]*registration),
		phones:       make(map[string]Phone),
		channels:     make(map[string]*channel),
		confs:        make(map[string]*conference),
		db:           make(map[string]string),
		hash:         make(map[string]string),
		callsCreated: make(map[string]time.Time),
		nextIP:       20,
	}
	sw.globals = []Header{
		{"hostname", s.opts.Hostname},
		{"local_ip_v4", s.opts.IPv4},
		{"local_mask_v4", "255.255.255.0"},
		{"local_ip_v6", "::1"},
		{"switch_serial", "a88d069d6f"},
		{"core_uuid", sw.coreUUID},
		{"domain", s.opts.IPv4},
		{"domain_name", s.opts.IPv4},
		{"hold_music", "local_stream://moh"},
		{"use_profile", "external"},
		{"default_password", "1234"},
		{"internal_sip_port", "5060"},
		{"external_sip_port", "5080"},
	}
	sw.cc = newCallcenter(s.opts.Queues)
	return sw
}

// withDefaults fills in the defaults of a directory user.
func withDefaults(u User) *User {
	if u.Context == "" {
		u.Context = "default"
	}
	if u.Group == "" {
		u.Group = "default"
	}
	if u.CallGroup == "" {
		u.CallGroup = "techsupport"
	}
	if u.CIDName == "" {
		u.CIDName = "Extension " + u.ID
	}
	if u.CIDNumber == "" {
		u.CIDNumber = u.ID
	}
	return &u
}

func (sw *switchState) user(id string) *User {
	id, _, _ = strings.Cut(id, "@")
	for _, u := range sw.users {
		if u.ID == id {
			return u
		}
	}
	return nil
}

// apiFunc is one simulated API command.
type apiFunc func(sw *switchState, arg string) string

var apis map[string]apiFunc

func init() {
	apis = map[string]apiFunc{
		"status":             (*switchState).apiStatus,
		"version":            (*switchState).apiVersion,
		"hostname":           func(sw *switchState, _ string) string { return sw.s.opts.Hostname },
		"switchname":         func(sw *switchState, _ string) string { return sw.s.opts.Hostname },
		"uptime":             (*switchState).apiUptime,
		"global_getvar":      (*switchState).apiGlobalGetvar,
		"reloadxml":          (*switchState).apiReloadXML,
		"echo":               func(_ *switchState, arg string) string { return arg },
		"msleep":             (*switchState).apiMsleep,
		"list_users":         (*switchState).apiListUsers,
		"sofia_contact":      (*switchState).apiSofiaContact,
		"sofia":              (*switchState).apiSofia,
		"show":               (*switchState).apiShow,
		"originate":          (*switchState).apiOriginate,
		"uuid_kill":          (*switchState).apiUUIDKill,
		"uuid_transfer":      (*switchState).apiUUIDTransfer,
		"uuid_exists":        (*switchState).apiUUIDExists,
		"uuid_getvar":        (*switchState).apiUUIDGetvar,
		"uuid_setvar":        (*switchState).apiUUIDSetvar,
		"conference":         (*switchState).apiConference,
		"callcenter_config":  (*switchState).apiCallcenter,
		"vm_list":            (*switchState).apiVMList,
		"vm_delete":          (*switchState).apiVMDelete,
		"vm_read":            (*switchState).apiVMRead,
		"vm_fsdb_msg_list":   (*switchState).apiVMFsdbList,
		"vm_fsdb_msg_get":    (*switchState).apiVMFsdbGet,
		"vm_fsdb_msg_count":  (*switchState).apiVMFsdbCount,
		"vm_fsdb_msg_delete": func(sw *switchState, a string) string { return sw.apiVMFsdbFlag(a, "delete") },
		"vm_fsdb_msg_save":   func(sw *switchState, a string) string { return sw.apiVMFsdbFlag(a, "save") },
		"vm_fsdb_msg_undelete": func(sw *switchState, a string) string {
			return sw.apiVMFsdbFlag(a, "")
		},
		"vm_fsdb_msg_purge": (*switchState).apiVMFsdbPurge,
		"vm_fsdb_msg_email": (*switchState).apiVMFsdbEmail,
		"db":                (*switchState).apiDB,
		"hash":              (*switchState).apiHash,
	}
	// The commands pbxkit refuses on the client side exist on a real
	// switch: the server answers them (without doing anything) so that a
	// test can prove they never arrive.
	for _, n := range []string{"system", "bg_system", "spawn", "bg_spawn", "expand", "eval", "sched_api", "lua", "luarun"} {
		n := n
		apis[n] = func(*switchState, string) string { return "-ERR " + n + " is disabled in esltest\n" }
	}
}

// execute runs an API command, as switch_api_execute does: an API event
// first, then the command's output.
func (sw *switchState) execute(name, arg string) string {
	fn, ok := apis[strings.ToLower(name)]
	if !ok {
		return fmt.Sprintf("-ERR %s Command not found!\n", name)
	}
	ev := &Event{Name: "API", callFile: "switch_loadable_module.c", callFunc: "switch_api_execute", callLine: 2950}
	ev.Add("API-Command", name)
	if arg != "" {
		ev.Add("API-Command-Argument", arg)
	}
	sw.s.Fire(ev)
	return fn(sw, arg)
}

func plural(n int64, unit string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, unit)
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func uptimeString(d time.Duration) string {
	us := d.Microseconds()
	y := us / (365 * 24 * 3600 * 1e6)
	us -= y * 365 * 24 * 3600 * 1e6
	days := us / (24 * 3600 * 1e6)
	us -= days * 24 * 3600 * 1e6
	h := us / (3600 * 1e6)
	us -= h * 3600 * 1e6
	m := us / (60 * 1e6)
	us -= m * 60 * 1e6
	sec := us / 1e6
	us -= sec * 1e6
	ms := us / 1000
	us -= ms * 1000
	return strings.Join([]string{plural(y, "year"), plural(days, "day"), plural(h, "hour"),
		plural(m, "minute"), plural(sec, "second"), plural(ms, "millisecond"), plural(us, "microsecond")}, ", ")
}

func (sw *switchState) apiStatus(string) string {
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	n := len(sw.channels)
	var b strings.Builder
	fmt.Fprintf(&b, "UP %s\n", uptimeString(time.Since(sw.started)))
	fmt.Fprintf(&b, "%s\n", statusBanner)
	fmt.Fprintf(&b, "%d session(s) since startup\n", sw.sessionsTotal)
	fmt.Fprintf(&b, "%d session(s) - peak %d, last 5min %d \n", n, sw.peak, sw.peak)
	fmt.Fprintf(&b, "%d session(s) per Sec out of max 30, peak %d, last 5min %d \n", 0, 1, 0)
	b.WriteString("1000 session(s) max\nmin idle cpu 0.00/99.00\nCurrent Stack Size/Max 240K/8192K\n")
	return b.String()
}

func (sw *switchState) apiVersion(arg string) string {
	if a := args(arg, 2); len(a) > 0 && strings.Contains(strings.ToLower(a[0]), "short") {
		return "1.10.12\n"
	}
	return "FreeSWITCH Version " + versionFull + " (" + versionHuman + ")\n"
}

func (sw *switchState) apiUptime(arg string) string {
	d := time.Since(sw.started)
	switch strings.TrimSpace(arg) {
	case "us", "microseconds":
		return strconv.FormatInt(d.Microseconds(), 10)
	case "ms", "milliseconds":
		return strconv.FormatInt(d.Milliseconds(), 10)
	}
	return strconv.FormatInt(int64(d.Seconds()), 10)
}

func (sw *switchState) apiGlobalGetvar(arg string) string {
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	arg = strings.TrimSpace(arg)
	if arg == "" {
		var b strings.Builder
		for _, h := range sw.globals {
			fmt.Fprintf(&b, "%s=%s\n", h.Name, h.Value)
		}
		return b.String()
	}
	for _, h := range sw.globals {
		if h.Name == arg {
			return h.Value
		}
	}
	return ""
}

func (sw *switchState) apiReloadXML(string) string {
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	if err := sw.loadUsersLocked(); err != nil {
		return "-ERR [" + err.Error() + "]\n"
	}
	ev := &Event{Name: "RELOADXML", callFile: "switch_xml.c", callFunc: "switch_xml_open_root", callLine: 2347}
	sw.s.fireLocked(ev)
	return "+OK [Success]\n"
}

func (sw *switchState) apiMsleep(arg string) string {
	ms, _ := strconv.Atoi(strings.TrimSpace(arg))
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
	case <-sw.s.done:
	}
	return "+OK"
}

// contactLocked returns the user's dial contact (sofia_contact), or
// error/user_not_registered.
func (sw *switchState) contactLocked(id string) string {
	if r := sw.regs[id]; r != nil {
		return "sofia/internal/" + r.contact
	}
	return "error/user_not_registered"
}

func (sw *switchState) apiSofiaContact(arg string) string {
	arg = strings.TrimSpace(arg)
	if i := strings.IndexByte(arg, '/'); i >= 0 {
		arg = arg[i+1:]
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	return sw.contactLocked(strings.TrimPrefix(strings.SplitN(arg, "@", 2)[0], "*"))
}

func (sw *switchState) apiListUsers(arg string) string {
	a := args(arg, 8)
	if len(a) >= 8 {
		return "-USAGE: [group <group>] [domain <domain>] [user <user>] [context <context>]\n"
	}
	var fUser, fDomain, fContext, fGroup string
	for i := 0; i+1 < len(a); i++ {
		switch strings.ToLower(a[i]) {
		case "user":
			fUser = a[i+1]
		case "domain":
			fDomain = a[i+1]
		case "context":
			fContext = a[i+1]
		case "group":
			fGroup = a[i+1]
		}
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	var b strings.Builder
	b.WriteString("userid|context|domain|group|contact|callgroup|effective_caller_id_name|effective_caller_id_number\n")
	domain := sw.s.opts.IPv4
	if fDomain == "" || strings.EqualFold(fDomain, domain) {
		for _, u := range sw.users {
			if fUser != "" && !strings.EqualFold(fUser, u.ID) || fGroup != "" && !strings.EqualFold(fGroup, u.Group) ||
				fContext != "" && !strings.EqualFold(fContext, u.Context) {
				continue
			}
			fmt.Fprintf(&b, "%s|%s|%s|%s|%s|%s|%s|%s\n", u.ID, u.Context, domain, u.Group,
				sw.contactLocked(u.ID), u.CallGroup, u.CIDName, u.CIDNumber)
		}
	}
	b.WriteString("\n+OK\n")
	return b.String()
}

const sofiaLine = "================================================================================================="

func (sw *switchState) apiSofia(arg string) string {
	a := args(arg, 10)
	if len(a) == 0 {
		return "-ERR Usage: sofia status|xmlstatus ...\n"
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	switch strings.ToLower(a[0]) {
	case "status":
		return sw.sofiaStatus(a[1:])
	case "xmlstatus":
		return sw.sofiaXMLStatus(a[1:])
	}
	return "-ERR Unknown command!\n"
}

func (sw *switchState) sortedRegs(filter string) []*registration {
	var out []*registration
	for _, r := range sw.regs {
		if filter == "" || strings.Contains(r.contact, filter) || strings.Contains(r.user, filter) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].user < out[j].user })
	return out
}

func (r *registration) status() string {
	t := r.Transport
	if r.NAT {
		t += "-NAT"
	}
	return "Registered(" + t + ")"
}

func (sw *switchState) sofiaStatus(a []string) string {
	ip := sw.s.opts.IPv4
	var b strings.Builder
	if len(a) == 0 {
		fmt.Fprintf(&b, "%25s\t%s\t  %40s\t%s\n", "Name", "   Type", "Data", "State")
		fmt.Fprintf(&b, "%s\n", sofiaLine)
		fmt.Fprintf(&b, "%25s\t%s\t  %40s\t%s (%d)\n", "external", "profile", "sip:mod_sofia@"+ip+":5080", "RUNNING", 0)
		fmt.Fprintf(&b, "%25s\t%s\t  %40s\t%s\n", ip, "  alias", "internal", "ALIASED")
		fmt.Fprintf(&b, "%25s\t%s\t  %40s\t%s (%d)\n", "internal", "profile", "sip:mod_sofia@"+ip+":5060", "RUNNING", len(sw.channels))
		fmt.Fprintf(&b, "%s\n", sofiaLine)
		b.WriteString("2 profiles 1 alias\n")
		return b.String()
	}
	if !strings.EqualFold(a[0], "profile") || len(a) < 2 {
		return "Invalid Syntax!\n"
	}
	if a[1] != "internal" && a[1] != ip && a[1] != "external" {
		return "Invalid Profile!\n"
	}
	if len(a) < 3 || (!strings.EqualFold(a[2], "reg") && !strings.EqualFold(a[2], "user")) {
		port := "5060"
		if a[1] == "external" {
			port = "5080"
		}
		fmt.Fprintf(&b, "%s\n", sofiaLine)
		for _, kv := range [][2]string{
			{"Name", a[1]}, {"Domain Name", "N/A"}, {"Auto-NAT", "false"}, {"DBName", "sofia_reg_" + a[1]},
			{"Pres Hosts", ip + "," + ip}, {"Dialplan", "XML"}, {"Context", "public"}, {"Challenge Realm", "auto_from"},
			{"RTP-IP", ip}, {"SIP-IP", ip}, {"URL", "sip:mod_sofia@" + ip + ":" + port},
			{"BIND-URL", "sip:mod_sofia@" + ip + ":" + port + ";maddr=" + ip},
			{"HOLD-MUSIC", "local_stream://moh"}, {"OUTBOUND-PROXY", "N/A"},
			{"CODECS IN", "OPUS,G722,PCMU,PCMA,H264,VP8"}, {"CODECS OUT", "OPUS,G722,PCMU,PCMA,H264,VP8"},
			{"TEL-EVENT", "101"}, {"DTMF-MODE", "rfc2833"}, {"CNG", "13"}, {"SESSION-TO", "0"},
			{"MAX-DIALOG", "0"}, {"NOMEDIA", "false"}, {"LATE-NEG", "true"}, {"PROXY-MEDIA", "false"},
			{"ZRTP-PASSTHRU", "true"}, {"AGGRESSIVENAT", "false"},
			{"CALLS-IN", "0"}, {"FAILED-CALLS-IN", "0"}, {"CALLS-OUT", "0"}, {"FAILED-CALLS-OUT", "0"},
			{"REGISTRATIONS", strconv.Itoa(len(sw.regs))},
		} {
			fmt.Fprintf(&b, "%-17s\t%s\n", kv[0], kv[1])
		}
		return b.String()
	}
	filter := ""
	if len(a) > 3 {
		filter = a[3]
	}
	b.WriteString("\nRegistrations:\n" + sofiaLine + "\n")
	regs := sw.sortedRegs(filter)
	for _, r := range regs {
		exp := r.expires
		fmt.Fprintf(&b, "Call-ID:    \t%s\n", r.CallID)
		fmt.Fprintf(&b, "User:       \t%s@%s\n", r.user, ip)
		fmt.Fprintf(&b, "Contact:    \t%s\n", "\""+r.user+"\" <sip:"+r.user+"@"+r.IP+":"+strconv.Itoa(r.Port)+">")
		fmt.Fprintf(&b, "Agent:      \t%s\n", r.UserAgent)
		fmt.Fprintf(&b, "Status:     \t%s(%s) EXP(%s) EXPSECS(%d)\n", r.status(), "unknown", exp.Format("2006-01-02 15:04:05"), int(time.Until(exp).Seconds()))
		fmt.Fprintf(&b, "Ping-Status:\t%s\n", "Reachable")
		fmt.Fprintf(&b, "Ping-Time:\t%0.2f\n", r.PingTime)
		fmt.Fprintf(&b, "Host:       \t%s\n", sw.s.opts.Hostname)
		fmt.Fprintf(&b, "IP:         \t%s\n", r.IP)
		fmt.Fprintf(&b, "Port:       \t%d\n", r.Port)
		fmt.Fprintf(&b, "Auth-User:  \t%s\n", r.user)
		fmt.Fprintf(&b, "Auth-Realm: \t%s\n", ip)
		fmt.Fprintf(&b, "MWI-Account:\t%s@%s\n\n", r.user, ip)
	}
	fmt.Fprintf(&b, "Total items returned: %d\n", len(regs))
	fmt.Fprintf(&b, "%s\n", sofiaLine)
	return b.String()
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\"", "&quot;", "'", "&apos;")
	return r.Replace(s)
}

func (sw *switchState) sofiaXMLStatus(a []string) string {
	ip := sw.s.opts.IPv4
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n")
	if len(a) < 3 || !strings.EqualFold(a[0], "profile") || !strings.EqualFold(a[2], "reg") {
		b.WriteString("<profiles>\n")
		fmt.Fprintf(&b, "<profile>\n<name>internal</name>\n<type>profile</type>\n<data>sip:mod_sofia@%s:5060</data>\n<state>RUNNING (%d)</state>\n</profile>\n", ip, len(sw.channels))
		fmt.Fprintf(&b, "<profile>\n<name>external</name>\n<type>profile</type>\n<data>sip:mod_sofia@%s:5080</data>\n<state>RUNNING (0)</state>\n</profile>\n", ip)
		b.WriteString("</profiles>\n")
		return b.String()
	}
	filter := ""
	if len(a) > 3 {
		filter = a[3]
	}
	b.WriteString("<profile>\n  <registrations>\n")
	for _, r := range sw.sortedRegs(filter) {
		exp := r.expires
		contact := "\"" + r.user + "\" <sip:" + r.user + "@" + r.IP + ":" + strconv.Itoa(r.Port) + ">"
		b.WriteString("    <registration>\n")
		fmt.Fprintf(&b, "        <call-id>%s</call-id>\n", xmlEscape(r.CallID))
		fmt.Fprintf(&b, "        <user>%s@%s</user>\n", r.user, ip)
		fmt.Fprintf(&b, "        <contact>%s</contact>\n", xmlEscape(contact))
		fmt.Fprintf(&b, "        <agent>%s</agent>\n", xmlEscape(r.UserAgent))
		fmt.Fprintf(&b, "        <status>%s(unknown) exp(%s) expsecs(%d)</status>\n", r.status(), exp.Format("2006-01-02 15:04:05"), int(time.Until(exp).Seconds()))
		b.WriteString("        <ping-status>Reachable</ping-status>\n")
		fmt.Fprintf(&b, "        <ping-time>%0.2f</ping-time>\n", r.PingTime)
		fmt.Fprintf(&b, "        <host>%s</host>\n", sw.s.opts.Hostname)
		fmt.Fprintf(&b, "        <network-ip>%s</network-ip>\n", r.IP)
		fmt.Fprintf(&b, "        <network-port>%d</network-port>\n", r.Port)
		fmt.Fprintf(&b, "        <sip-auth-user>%s</sip-auth-user>\n", r.user)
		fmt.Fprintf(&b, "        <sip-auth-realm>%s</sip-auth-realm>\n", ip)
		fmt.Fprintf(&b, "        <mwi-account>%s@%s</mwi-account>\n", r.user, ip)
		b.WriteString("    </registration>\n")
	}
	b.WriteString("  </registrations>\n</profile>\n")
	return b.String()
}

// channelColumns are the columns of the channels table (FreeSWITCH 1.10).
var channelColumns = []string{"uuid", "direction", "created", "created_epoch", "name", "state",
	"cid_name", "cid_num", "ip_addr", "dest", "application", "application_data", "dialplan",
	"context", "read_codec", "read_rate", "read_bit_rate", "write_codec", "write_rate",
	"write_bit_rate", "secure", "hostname", "presence_id", "presence_data", "accountcode",
	"callstate", "callee_name", "callee_num", "callee_direction", "call_uuid",
	"sent_callee_name", "sent_callee_num", "initial_cid_name", "initial_cid_num",
	"initial_ip_addr", "initial_dest", "initial_dialplan", "initial_context"}

// callColumns are the columns of the basic_calls view (FreeSWITCH 1.10).
var callColumns = []string{"uuid", "direction", "created", "created_epoch", "name", "state",
	"cid_name", "cid_num", "ip_addr", "dest", "presence_id", "presence_data", "accountcode",
	"callstate", "callee_name", "callee_num", "callee_direction", "call_uuid", "hostname",
	"sent_callee_name", "sent_callee_num", "b_uuid", "b_direction", "b_created",
	"b_created_epoch", "b_name", "b_state", "b_cid_name", "b_cid_num", "b_ip_addr", "b_dest",
	"b_presence_id", "b_presence_data", "b_accountcode", "b_callstate", "b_callee_name",
	"b_callee_num", "b_callee_direction", "b_sent_callee_name", "b_sent_callee_num",
	"call_created_epoch"}

func (sw *switchState) channelRow(ch *channel) []string {
	return []string{ch.uuid, ch.direction, ch.created.Format("2006-01-02 15:04:05"),
		strconv.FormatInt(ch.created.Unix(), 10), ch.name, ch.state, ch.cidName, ch.cidNum,
		ch.ipAddr, ch.dest, ch.app, ch.appData, "XML", ch.context, "PCMU", "8000", "64000",
		"PCMU", "8000", "64000", "", sw.s.opts.Hostname, ch.presenceID, "", ch.user,
		ch.callState, ch.calleeName, ch.calleeNum, "", ch.callUUID, "", "",
		ch.initialCID[0], ch.initialCID[1], ch.ipAddr, ch.initialDest, "XML", ch.context}
}

func (sw *switchState) callRow(a, b *channel) []string {
	row := []string{a.uuid, a.direction, a.created.Format("2006-01-02 15:04:05"),
		strconv.FormatInt(a.created.Unix(), 10), a.name, a.state, a.cidName, a.cidNum, a.ipAddr,
		a.dest, a.presenceID, "", a.user, a.callState, a.calleeName, a.calleeNum, "", a.callUUID,
		sw.s.opts.Hostname, "", ""}
	if b == nil {
		row = append(row, make([]string, 20)...)
		return row
	}
	created := ""
	if t, ok := sw.callsCreated[a.uuid]; ok {
		created = strconv.FormatInt(t.Unix(), 10)
	}
	return append(row, b.uuid, b.direction, b.created.Format("2006-01-02 15:04:05"),
		strconv.FormatInt(b.created.Unix(), 10), b.name, b.state, b.cidName, b.cidNum, b.ipAddr,
		b.dest, b.presenceID, "", b.user, b.callState, b.calleeName, b.calleeNum, "", "", "",
		created)
}

// showTable renders rows as "show" does: delimited with a header and an
// "N total." line, or as JSON.
func showTable(cols []string, rows [][]string, as string, count bool) string {
	if count {
		return fmt.Sprintf("\n%d total.\n", len(rows))
	}
	if as == "json" {
		if len(rows) == 0 {
			return "{\"row_count\": 0}\n"
		}
		b := []byte(`{"row_count":` + strconv.Itoa(len(rows)) + `,"rows":[`)
		for i, r := range rows {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			for j, c := range cols {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendCJSONString(b, c)
				b = append(b, ':')
				b = appendCJSONString(b, validUTF8(r[j]))
			}
			b = append(b, '}')
		}
		return string(append(b, "]}"...))
	}
	var b strings.Builder
	if len(rows) > 0 {
		b.WriteString(strings.Join(cols, ","))
		b.WriteByte('\n')
		for _, r := range rows {
			b.WriteString(strings.Join(r, ","))
			b.WriteByte('\n')
		}
	}
	fmt.Fprintf(&b, "\n%d total.\n", len(rows))
	return b.String()
}

const showSyntax = "codec|endpoint|application|api|dialplan|file|timer|calls [count]|channels [count|like <match string>]|calls|detailed_calls|bridged_calls|detailed_bridged_calls|aliases|complete|chat|management|modules|nat_map|say|interfaces|interface_types|tasks|limits"

func (sw *switchState) apiShow(arg string) string {
	a := args(arg, 6)
	if len(a) == 0 {
		return "-USAGE: " + showSyntax + "\n"
	}
	as, count := "delim", false
	if len(a) > 2 && strings.EqualFold(a[1], "as") {
		as = strings.ToLower(a[2])
	}
	if len(a) > 1 && strings.EqualFold(a[1], "count") {
		count = true
		if len(a) > 3 && strings.EqualFold(a[2], "as") {
			as = strings.ToLower(a[3])
		}
	}
	if as != "delim" && as != "csv" && as != "json" {
		return "-ERR Cannot find format " + as + "\n"
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	switch strings.ToLower(a[0]) {
	case "channels":
		var rows [][]string
		for _, id := range sw.order {
			rows = append(rows, sw.channelRow(sw.channels[id]))
		}
		return showTable(channelColumns, rows, as, count)
	case "calls":
		callees := make(map[string]bool)
		for _, id := range sw.order {
			ch := sw.channels[id]
			if _, ok := sw.callsCreated[id]; ok && ch.peer != "" {
				callees[ch.peer] = true
			}
		}
		var rows [][]string
		for _, id := range sw.order {
			if callees[id] {
				continue
			}
			a := sw.channels[id]
			var b *channel
			if _, ok := sw.callsCreated[id]; ok && a.peer != "" {
				b = sw.channels[a.peer]
			}
			rows = append(rows, sw.callRow(a, b))
		}
		return showTable(callColumns, rows, as, count)
	}
	return "-USAGE: " + showSyntax + "\n"
}

func (sw *switchState) apiUUIDExists(arg string) string {
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	if sw.channels[strings.TrimSpace(arg)] != nil {
		return "true"
	}
	return "false"
}

func (sw *switchState) apiUUIDGetvar(arg string) string {
	a := args(arg, 4)
	if len(a) < 2 {
		return "-USAGE: <uuid> <var>\n"
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	ch := sw.channels[a[0]]
	if ch == nil {
		return "-ERR No Such Channel!\n"
	}
	for i := len(ch.vars) - 1; i >= 0; i-- {
		if ch.vars[i].Name == a[1] {
			return ch.vars[i].Value
		}
	}
	return "_undef_"
}

func (sw *switchState) apiUUIDSetvar(arg string) string {
	a := args(arg, 3)
	if len(a) < 2 {
		return "-USAGE: <uuid> <var> [value]\n"
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	ch := sw.channels[a[0]]
	if ch == nil {
		return "-ERR No Such Channel!\n"
	}
	v := ""
	if len(a) > 2 {
		v = a[2]
	}
	ch.setVar(a[1], v)
	return "+OK\n"
}

func (ch *channel) setVar(name, value string) {
	for i := range ch.vars {
		if ch.vars[i].Name == name {
			ch.vars[i].Value = value
			return
		}
	}
	ch.vars = append(ch.vars, Header{name, value})
}

func (ch *channel) getVar(name string) string {
	for _, h := range ch.vars {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// --- db and hash ---

// apiDB implements mod_db's db api (db_api_function): "+OK" and values
// without a newline, "!err!" for anything it cannot run, "+OK" deleting a
// missing key and an empty reply selecting one. A value comes back cut to
// 255 bytes, the size of the buffer select reads into.
func (sw *switchState) apiDB(arg string) string {
	const fail = "!err!"
	a := separate(strings.TrimSpace(arg), '/', 4)
	if len(a) < 1 || a[0] == "" {
		return fail
	}
	dbKey := func() string { return a[1] + "/" + a[2] }
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	switch strings.ToLower(a[0]) {
	case "insert":
		if len(a) < 4 {
			return fail
		}
		sw.db[dbKey()] = a[3]
		return "+OK"
	case "delete":
		if len(a) < 2 {
			return fail
		}
		if len(a) > 2 {
			delete(sw.db, dbKey())
		}
		return "+OK"
	case "select", "exists":
		if len(a) < 3 {
			return fail
		}
		v := sw.db[dbKey()]
		if len(v) > 255 {
			v = v[:255]
		}
		if strings.EqualFold(a[0], "select") {
			return v
		}
		return strconv.FormatBool(v != "")
	case "count", "list":
		if len(a) > 2 {
			return fail
		}
		// The realms, or the keys of the realm a[1]; sorted (the
		// database's order is unspecified).
		seen := map[string]bool{}
		var names []string
		for k := range sw.db {
			realm, key, _ := strings.Cut(k, "/")
			name := realm
			if len(a) == 2 {
				if realm != a[1] {
					continue
				}
				name = key
			}
			if !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
		if strings.EqualFold(a[0], "count") {
			return strconv.Itoa(len(names))
		}
		sort.Strings(names)
		return strings.Join(names, ",")
	}
	return fail
}

// apiHash implements mod_hash's hash api (hash_api_function): "+OK\n",
// "-ERR Not found\n" deleting a missing key, an empty reply selecting one.
func (sw *switchState) apiHash(arg string) string {
	const usage = "-ERR Usage: hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]\n"
	a := separate(strings.TrimSpace(arg), '/', 4)
	if len(a) < 3 || a[0] == "" {
		return usage
	}
	k := a[1] + "/" + a[2]
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	v, ok := sw.hash[k]
	switch strings.ToLower(a[0]) {
	case "insert", "insert_ifempty":
		if len(a) < 4 {
			return usage
		}
		if ok && strings.EqualFold(a[0], "insert_ifempty") {
			return "-ERR key already exists\n"
		}
		sw.hash[k] = a[3]
		return "+OK\n"
	case "delete", "delete_ifmatch":
		ifmatch := strings.EqualFold(a[0], "delete_ifmatch")
		switch {
		case ifmatch && len(a) < 4:
			return usage
		case !ok:
			return "-ERR Not found\n"
		case ifmatch && a[3] != v:
			return "-ERR Doesn't match\n"
		}
		delete(sw.hash, k)
		return "+OK\n"
	case "select":
		return v
	}
	return usage
}
