package esltest

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// confEnergyLevel is the energy-level param of the vanilla configuration's
// "default" conference profile, which every member starts with.
const confEnergyLevel = 100

// conference is a mod_conference room.
type conference struct {
	name    string
	uuid    string
	created time.Time
	locked  bool
	members []*member
}

// member is a conference member. Its input and output volumes stay 0 and
// its energy level confEnergyLevel: the simulation has no command that
// changes them.
type member struct {
	id        int
	ch        *channel
	muted     bool
	deaf      bool
	floor     bool
	moderator bool
	joined    time.Time
}

// confData returns conference_event_add_data's headers (the vanilla
// profile sets no conference variables, which would follow).
func (sw *switchState) confData(cf *conference) []Header {
	return []Header{
		{"Conference-Name", cf.name},
		{"Conference-Domain", sw.s.opts.IPv4},
		{"Conference-Size", strconv.Itoa(len(cf.members))},
		{"Conference-Ghosts", "0"},
		{"Conference-Profile-Name", "default"},
		{"Conference-Unique-ID", cf.uuid},
	}
}

// memberData returns conference_member_add_event_data's headers: the
// conference's, Floor, the channel's basic data (the profile's
// verbose-events is off), then the member's flags and energy. The
// simulation has no video, talking, mute-detect, held or ghost members.
func (sw *switchState) memberData(cf *conference, m *member) []Header {
	h := append(sw.confData(cf), Header{"Floor", boolStr(m.floor)})
	cause := ""
	if m.ch.hangup {
		cause = m.ch.cause
	}
	h = append(h, sw.channelBasicData(m.ch, cause)...)
	return append(h,
		Header{"Video", "false"},
		Header{"Hear", boolStr(!m.deaf)},
		Header{"See", "true"},
		Header{"Speak", boolStr(!m.muted)},
		Header{"Talking", "false"},
		Header{"Mute-Detect", "false"},
		Header{"Hold", "false"},
		Header{"Member-ID", strconv.Itoa(m.id)},
		Header{"Member-Type", memberType(m)},
		Header{"Member-Ghost", "false"},
		Header{"Energy-Level", strconv.Itoa(confEnergyLevel)},
		Header{"Current-Energy", "0"},
	)
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// fireConfLocked fires a CUSTOM conference::maintenance event: the
// conference's data, or the member's when m is not nil, then Action and
// extra.
func (sw *switchState) fireConfLocked(cf *conference, m *member, action, file, fn string, extra ...Header) {
	ev := &Event{Name: "CUSTOM", Subclass: "conference::maintenance", callFile: file, callFunc: fn, callLine: 1}
	if m != nil {
		ev.Headers = sw.memberData(cf, m)
	} else {
		ev.Headers = sw.confData(cf)
	}
	ev.Headers = append(ev.Headers, Header{"Action", action})
	ev.Headers = append(ev.Headers, extra...)
	sw.s.fireLocked(ev)
}

// setFloorLocked gives the floor to m, or takes it from its holder when m
// is nil, and fires floor-change as conference_member_set_floor_holder
// does: the conference's data, Action, Old-ID, then the new holder's
// member data (which repeats the conference's) and New-ID. Old-ID is
// "none" unless the old holder is still in the room.
func (sw *switchState) setFloorLocked(cf *conference, m *member) {
	oldID := "none"
	for _, o := range cf.members {
		if o.floor {
			o.floor = false
			oldID = strconv.Itoa(o.id)
		}
	}
	ev := &Event{Name: "CUSTOM", Subclass: "conference::maintenance", callFile: "conference_member.c", callFunc: "conference_member_set_floor_holder", callLine: 1}
	ev.Headers = append(sw.confData(cf), Header{"Action", "floor-change"}, Header{"Old-ID", oldID})
	if m != nil {
		m.floor = true
		ev.Headers = append(ev.Headers, sw.memberData(cf, m)...)
		ev.Headers = append(ev.Headers, Header{"New-ID", strconv.Itoa(m.id)})
	} else {
		ev.Headers = append(ev.Headers, Header{"New-ID", "none"})
	}
	sw.s.fireLocked(ev)
}

// floorLocked does what the conference thread does on its next tick when
// nobody holds the floor: it gives it to the first member of its list,
// the newest.
func (sw *switchState) floorLocked(cf *conference) {
	if len(cf.members) == 0 || slices.ContainsFunc(cf.members, func(m *member) bool { return m.floor }) {
		return
	}
	sw.setFloorLocked(cf, cf.listed()[0])
}

func memberType(m *member) string {
	if m.moderator {
		return "moderator"
	}
	return "member"
}

// joinConferenceLocked puts ch into room, creating it if needed: the
// room's conference-create (conference_new), the member's add-member
// (conference_member_add), then the floor if nobody holds it.
func (sw *switchState) joinConferenceLocked(room string, ch *channel) {
	cf := sw.confs[room]
	if cf == nil {
		cf = &conference{name: room, uuid: newUUID(), created: time.Now()}
		sw.confs[room] = cf
		sw.fireConfLocked(cf, nil, "conference-create", "mod_conference.c", "conference_new")
	}
	sw.lastMemberID++ // mod_conference numbers members across every room
	m := &member{id: sw.lastMemberID, ch: ch, joined: time.Now(), moderator: ch.getVar("conference_moderator") == "true"}
	cf.members = append(cf.members, m)
	ch.conf, ch.member = room, m.id
	ch.app, ch.appData = "conference", room+"@default"
	sw.fireConfLocked(cf, m, "add-member", "conference_member.c", "conference_member_add")
	sw.floorLocked(cf)
}

// leaveConferenceLocked removes ch from its room as conference_member_del
// does: a floor holder drops the floor first (while still counted), then
// del-member; the conference thread then passes the floor on, or destroys
// the emptied room.
func (sw *switchState) leaveConferenceLocked(ch *channel) {
	cf := sw.confs[ch.conf]
	ch.conf = ""
	if cf == nil {
		return
	}
	i := slices.IndexFunc(cf.members, func(m *member) bool { return m.ch == ch })
	if i < 0 {
		return
	}
	m := cf.members[i]
	if m.floor {
		// The holder is already out of the list when the floor is
		// dropped, so Old-ID is "none".
		m.floor = false
		sw.setFloorLocked(cf, nil)
	}
	cf.members = slices.Delete(cf.members, i, i+1)
	sw.fireConfLocked(cf, m, "del-member", "conference_member.c", "conference_member_del")
	if len(cf.members) == 0 {
		delete(sw.confs, cf.name)
		sw.fireConfLocked(cf, nil, "conference-destroy", "mod_conference.c", "conference_thread_run")
		return
	}
	sw.floorLocked(cf)
}

func (sw *switchState) confNames() []string {
	names := make([]string, 0, len(sw.confs))
	for n := range sw.confs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// listed returns the members in mod_conference's list order: a member
// joins at the head of the list, so the newest comes first.
func (cf *conference) listed() []*member {
	ms := slices.Clone(cf.members)
	slices.Reverse(ms)
	return ms
}

func confFlags(cf *conference) string {
	f := []string{}
	if cf.locked {
		f = append(f, "locked")
	}
	f = append(f, "running", "answered", "dynamic", "exit_sound", "enter_sound")
	return strings.Join(f, "|")
}

// confHeader is the line conference_api_sub_list writes before each room's
// members in "conference list".
func (sw *switchState) confHeader(cf *conference) string {
	n := len(cf.members)
	s := ""
	if n != 1 {
		s = "s"
	}
	locked := ""
	if cf.locked {
		locked = " locked"
	}
	return fmt.Sprintf("+OK Conference %s (%d member%s rate: %d%s flags: %s)\n", cf.name, n, s, 8000, locked, confFlags(cf))
}

// memberFlags are the flag words of a member line, in conference_list's
// order (hear, speak, talking, hold, video, floor, vid-floor, moderator,
// ghost); the simulation has no talking, held, video or ghost members.
func memberFlags(m *member) string {
	var f []string
	if !m.deaf {
		f = append(f, "hear")
	}
	if !m.muted {
		f = append(f, "speak")
	}
	if m.floor {
		f = append(f, "floor")
	}
	if m.moderator {
		f = append(f, "moderator")
	}
	return strings.Join(f, "|")
}

// confMembers writes conference_list's member lines:
// id, channel name, UUID, caller ID name and number, flags, input volume,
// output volume and energy level, separated by d.
func (sw *switchState) confMembers(cf *conference, d string) string {
	var b strings.Builder
	for _, m := range cf.listed() {
		fmt.Fprintf(&b, "%d%s%s%s%s%s%s%s%s%s%s%s%d%s%d%s%d\n", m.id, d, m.ch.name, d, m.ch.uuid, d,
			m.ch.cidName, d, m.ch.cidNum, d, memberFlags(m), d, 0, d, 0, d, confEnergyLevel)
	}
	return b.String()
}

// A cJSON tree: cjObject and cjArray hold strings, ints, bools and further
// objects and arrays.
type (
	cjObject []cjMember
	cjMember struct {
		key string
		val any
	}
	cjArray []any
)

// appendCJSON appends v as FreeSWITCH's cJSON_Print (formatted) or
// cJSON_PrintUnformatted writes it. Formatted, an object puts each member
// on a line of its own, indented with one tab per level and with a tab
// after the colon, and closes at its parent's indentation; an array stays
// on one line with ", " between its elements.
func appendCJSON(b []byte, v any, depth int, format bool) []byte {
	switch v := v.(type) {
	case string:
		return appendCJSONString(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case bool:
		return strconv.AppendBool(b, v)
	case cjArray:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
				if format {
					b = append(b, ' ')
				}
			}
			b = appendCJSON(b, e, depth+1, format)
		}
		return append(b, ']')
	case cjObject:
		depth++
		b = append(b, '{')
		if format {
			b = append(b, '\n')
		}
		for i, m := range v {
			if format {
				b = append(b, strings.Repeat("\t", depth)...)
			}
			b = appendCJSONString(b, m.key)
			b = append(b, ':')
			if format {
				b = append(b, '\t')
			}
			b = appendCJSON(b, m.val, depth, format)
			if i < len(v)-1 {
				b = append(b, ',')
			}
			if format {
				b = append(b, '\n')
			}
		}
		if format {
			b = append(b, strings.Repeat("\t", depth-1)...)
		}
		return append(b, '}')
	}
	panic(fmt.Sprintf("esltest: no cJSON form for %T", v))
}

// confJSON is a room as conference_jlist builds it for json_list.
func (sw *switchState) confJSON(cf *conference) cjObject {
	members := cjArray{}
	for _, m := range cf.listed() {
		members = append(members, cjObject{
			{"type", "caller"},
			{"id", m.id},
			{"flags", cjObject{
				{"can_hear", !m.deaf},
				{"can_see", true},
				{"can_speak", !m.muted},
				{"hold", false},
				{"mute_detect", false},
				{"talking", false},
				{"has_video", false},
				{"video_bridge", false},
				{"has_floor", m.floor},
				{"is_moderator", m.moderator},
				{"end_conference", false},
			}},
			{"uuid", m.ch.uuid},
			{"caller_id_name", m.ch.cidName},
			{"caller_id_number", m.ch.cidNum},
			{"join_time", int(time.Since(m.joined).Seconds())},
			{"last_talking", 0},
			{"energy", confEnergyLevel},
			{"volume_in", 0},
			{"volume_out", 0},
			{"output-volume", 0},
			{"input-volume", 0},
		})
	}
	return cjObject{
		{"conference_name", cf.name},
		{"member_count", len(cf.members)},
		{"ghost_count", 0},
		{"rate", 8000},
		{"run_time", int(time.Since(cf.created).Seconds())},
		{"conference_uuid", cf.uuid},
		{"canvas_count", 0},
		{"max_bw_in", 0},
		{"force_bw_in", 0},
		{"video_floor_packets", 0},
		{"locked", cf.locked},
		{"destruct", false},
		{"wait_mod", false},
		{"audio_always", false},
		{"running", true},
		{"answered", true},
		{"enforce_min", false},
		{"bridge_to", false},
		{"dynamic", true},
		{"exit_sound", true},
		{"enter_sound", true},
		{"recording", false},
		{"video_bridge", false},
		{"video_floor_only", false},
		{"video_rfc4579", false},
		{"variables", cjObject{}},
		{"members", members},
	}
}

// confJSONList is conference_api_sub_json_list: an array of the rooms,
// formatted unless compact, with no newline after it.
func (sw *switchState) confJSONList(rooms []*conference, compact bool) string {
	list := cjArray{}
	for _, cf := range rooms {
		list = append(list, sw.confJSON(cf))
	}
	return string(appendCJSON(nil, list, 0, !compact))
}

// memberSyntax is the syntax of the member commands, which the dispatcher
// writes (without a newline) when the member argument is missing or not
// understood.
var memberSyntax = map[string]string{
	"kick":   "<[member_id|all|last|non_moderator]> [<optional sound file>]",
	"hup":    "<[member_id|all|last|non_moderator]>",
	"mute":   "<[member_id|all]|last|non_moderator> [<quiet>]",
	"tmute":  "<[member_id|all]|last|non_moderator> [<quiet>]",
	"unmute": "<[member_id|all]|last|non_moderator> [<quiet>]",
	"deaf":   "<[member_id|all]|last|non_moderator>",
	"undeaf": "<[member_id|all]|last|non_moderator>",
}

// cAtoi converts s as glibc's atoi does (strtol: leading blanks, a sign,
// then digits, 0 if none, clamped on overflow) and the result as storing
// it in a uint32_t does.
func cAtoi(s string) uint32 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.ParseInt(s[:i], 10, 64) // out of range: clamped, as strtol does
	return uint32(n)
}

// apiConference implements the conference API commands the backend uses,
// dispatched as conference_api_main_real and conference_api_dispatch do:
// a running room's name first, then the commands that need no room.
func (sw *switchState) apiConference(arg string) string {
	a := args(arg, 25)
	if len(a) == 0 {
		return "-ERR Usage: conference <conference_name> <command> [args]\n"
	}
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	cf := sw.confs[a[0]]
	if cf == nil {
		var rooms []*conference
		for _, n := range sw.confNames() {
			rooms = append(rooms, sw.confs[n])
		}
		switch strings.ToLower(a[0]) {
		case "list":
			return sw.confList(rooms, a)
		case "count":
			return strconv.Itoa(len(rooms))
		case "json_list":
			return sw.confJSONList(rooms, len(a) == 2 && a[1] == "compact")
		}
		return fmt.Sprintf("-ERR Conference %s not found\n", a[0])
	}
	if len(a) < 2 {
		return "Conference command, not specified.\nTry 'help'\n"
	}
	sub := strings.ToLower(a[1])
	switch sub {
	case "list":
		d := ";"
		if len(a) > 3 && strings.EqualFold(a[2], "delim") {
			d = a[3]
		} else if len(a) > 2 && strings.EqualFold(a[2], "count") {
			return strconv.Itoa(len(cf.members))
		}
		return sw.confMembers(cf, d)
	case "json_list":
		return sw.confJSONList([]*conference{cf}, len(a) == 3 && a[2] == "compact")
	case "count":
		return strconv.Itoa(len(cf.members))
	case "lock", "unlock":
		cf.locked = sub == "lock"
		sw.fireConfLocked(cf, nil, sub, "conference_api.c", "conference_api_sub_"+sub)
		return fmt.Sprintf("+OK %s %sed\n", a[0], sub)
	case "kick", "hup", "mute", "unmute", "tmute", "deaf", "undeaf":
		return sw.confMemberCommand(cf, sub, a[2:])
	}
	return fmt.Sprintf("-ERR Conference command '%s' not found.\n", a[1])
}

// confList is "conference list" of every room: a header line per room,
// then its members unless the argument is "summary"; or "+OK No active
// conferences." when there is none.
func (sw *switchState) confList(rooms []*conference, a []string) string {
	if len(rooms) == 0 {
		return "+OK No active conferences.\n"
	}
	d := ";"
	if len(a) > 2 && strings.EqualFold(a[1], "delim") {
		d = a[2]
	}
	var b strings.Builder
	for _, cf := range rooms {
		b.WriteString(sw.confHeader(cf))
		if !(len(a) > 1 && strings.EqualFold(a[1], "summary")) {
			b.WriteString(sw.confMembers(cf, d))
		}
	}
	return b.String()
}

// confMemberCommand runs a member command on the members its first
// argument names: an ID (read as atoi does), all, non_moderator (which
// skips moderators, saying so), last (the highest ID) or var=value (the
// first member whose channel has the variable set to the value).
func (sw *switchState) confMemberCommand(cf *conference, cmd string, a []string) string {
	target := ""
	if len(a) > 0 {
		target = a[0]
	}
	var b strings.Builder
	id := cAtoi(target)
	switch {
	case id != 0:
		i := slices.IndexFunc(cf.members, func(m *member) bool { return uint32(m.id) == id })
		if i < 0 {
			return fmt.Sprintf("-ERR Non-Existant ID %d\n", id)
		}
		sw.confMemberDo(cf, cf.members[i], cmd, &b)
	case strings.EqualFold(target, "all"), strings.EqualFold(target, "non_moderator"):
		nonMod := strings.EqualFold(target, "non_moderator")
		for _, m := range cf.listed() {
			if nonMod && m.moderator {
				fmt.Fprintf(&b, "Skipping moderator (member id %d).\n", m.id)
				continue
			}
			sw.confMemberDo(cf, m, cmd, &b)
		}
	case strings.EqualFold(target, "last"):
		if len(cf.members) > 0 {
			sw.confMemberDo(cf, slices.MaxFunc(cf.members, func(x, y *member) int { return x.id - y.id }), cmd, &b)
		}
	case strings.Contains(target, "="):
		name, value, _ := strings.Cut(target, "=")
		ms := cf.listed()
		i := slices.IndexFunc(ms, func(m *member) bool { return m.ch.getVar(name) == value })
		if i < 0 {
			return "-ERR Non-Existant member\n"
		}
		sw.confMemberDo(cf, ms[i], cmd, &b)
	default:
		return cmd + " " + memberSyntax[cmd]
	}
	return b.String()
}

// confMemberDo runs cmd on m and writes its reply to b.
func (sw *switchState) confMemberDo(cf *conference, m *member, cmd string, b *strings.Builder) {
	switch cmd {
	case "kick":
		fmt.Fprintf(b, "+OK kicked %d\n", m.id)
		sw.fireConfLocked(cf, m, "kick-member", "conference_api.c", "conference_api_sub_kick")
		// The kicked member leaves the room; the conference application
		// returns and the call, at the end of its dialplan, hangs up.
		sw.leaveConferenceLocked(m.ch)
		sw.hangupLocked(m.ch, "NORMAL_CLEARING")
	case "hup":
		fmt.Fprintf(b, "+OK hup %d\n", m.id)
		sw.fireConfLocked(cf, m, "hup-member", "conference_api.c", "conference_api_sub_hup")
		sw.hangupLocked(m.ch, "NORMAL_CLEARING")
	case "mute", "unmute", "tmute":
		op := cmd
		if op == "tmute" {
			op = map[bool]string{true: "unmute", false: "mute"}[m.muted]
		}
		m.muted = op == "mute"
		fmt.Fprintf(b, "+OK %s %d\n", op, m.id)
		sw.fireConfLocked(cf, m, op+"-member", "conference_api.c", "conference_api_sub_"+op)
	case "deaf", "undeaf":
		m.deaf = cmd == "deaf"
		fmt.Fprintf(b, "+OK %s %d\n", cmd, m.id)
		sw.fireConfLocked(cf, m, cmd+"-member", "conference_api.c", "conference_api_sub_"+cmd)
	}
}
