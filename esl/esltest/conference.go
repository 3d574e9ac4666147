package esltest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// conference is a mod_conference room.
type conference struct {
	name    string
	uuid    string
	created time.Time
	locked  bool
	members []*member
	nextID  int
}

type member struct {
	id        int
	ch        *channel
	muted     bool
	deaf      bool
	floor     bool
	moderator bool
	joined    time.Time
}

// confDataLocked returns conference_event_add_data's headers.
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

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// fireConfLocked fires a CUSTOM conference::maintenance event; m may be
// nil for a conference-wide action.
func (sw *switchState) fireConfLocked(cf *conference, m *member, action string, extra ...Header) {
	ev := &Event{Name: "CUSTOM", Subclass: "conference::maintenance", callFile: "mod_conference.c", callFunc: "conference_member_add_event_data", callLine: 1}
	ev.Headers = append(ev.Headers, sw.confData(cf)...)
	if m != nil {
		ev.Headers = append(ev.Headers, sw.channelData(m.ch, "")...)
		ev.Headers = append(ev.Headers,
			Header{"Hear", boolStr(!m.deaf)},
			Header{"See", "true"},
			Header{"Speak", boolStr(!m.muted)},
			Header{"Talking", "false"},
			Header{"Mute-Detect", "false"},
			Header{"Member-ID", strconv.Itoa(m.id)},
			Header{"Member-Type", memberType(m)},
			Header{"Energy-Level", "100"},
		)
	}
	ev.Headers = append(ev.Headers, Header{"Action", action})
	ev.Headers = append(ev.Headers, extra...)
	sw.s.fireLocked(ev)
}

func memberType(m *member) string {
	if m.moderator {
		return "moderator"
	}
	return "member"
}

// joinConferenceLocked puts ch into room, creating it if needed.
func (sw *switchState) joinConferenceLocked(room string, ch *channel) {
	cf := sw.confs[room]
	if cf == nil {
		cf = &conference{name: room, uuid: newUUID(), created: time.Now(), nextID: 1}
		sw.confs[room] = cf
		sw.fireConfLocked(cf, nil, "conference-create")
	}
	m := &member{id: cf.nextID, ch: ch, joined: time.Now(), moderator: ch.getVar("conference_moderator") == "true"}
	cf.nextID++
	cf.members = append(cf.members, m)
	ch.conf, ch.member = room, m.id
	ch.app, ch.appData = "conference", room+"@default"
	sw.fireConfLocked(cf, m, "add-member")
	if len(cf.members) == 1 {
		m.floor = true
		sw.fireConfLocked(cf, m, "floor-change", Header{"Old-ID", "none"}, Header{"New-ID", strconv.Itoa(m.id)})
	}
}

// leaveConferenceLocked removes ch from its room; the room is destroyed
// when empty.
func (sw *switchState) leaveConferenceLocked(ch *channel, _ string) {
	cf := sw.confs[ch.conf]
	ch.conf = ""
	if cf == nil {
		return
	}
	for i, m := range cf.members {
		if m.ch == ch {
			cf.members = append(cf.members[:i], cf.members[i+1:]...)
			sw.fireConfLocked(cf, m, "del-member")
			if m.floor && len(cf.members) > 0 {
				cf.members[0].floor = true
				sw.fireConfLocked(cf, cf.members[0], "floor-change", Header{"Old-ID", strconv.Itoa(m.id)}, Header{"New-ID", strconv.Itoa(cf.members[0].id)})
			}
			break
		}
	}
	if len(cf.members) == 0 {
		delete(sw.confs, cf.name)
		sw.fireConfLocked(cf, nil, "conference-destroy")
	}
}

func (sw *switchState) confNames() []string {
	names := make([]string, 0, len(sw.confs))
	for n := range sw.confs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func confFlags(cf *conference) string {
	f := []string{}
	if cf.locked {
		f = append(f, "locked")
	}
	f = append(f, "running", "answered", "dynamic", "exit_sound", "enter_sound")
	return strings.Join(f, "|")
}

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

func (sw *switchState) confMembers(cf *conference, d string) string {
	var b strings.Builder
	for _, m := range cf.members {
		fmt.Fprintf(&b, "%d%s%s%s%s%s%s%s%s%s%s%s%d%s%d%s%d%s%d\n", m.id, d, m.ch.name, d, m.ch.uuid, d,
			m.ch.cidName, d, m.ch.cidNum, d, memberFlags(m), d, 0, d, 0, d, 0, d, 100)
	}
	return b.String()
}

func (sw *switchState) confJSON(cf *conference) []byte {
	b := []byte(`{"conference_name":`)
	b = appendCJSONString(b, cf.name)
	b = fmt.Appendf(b, `,"member_count":%d,"ghost_count":0,"rate":8000,"run_time":%d,"conference_uuid":`, len(cf.members), int(time.Since(cf.created).Seconds()))
	b = appendCJSONString(b, cf.uuid)
	b = append(b, `,"machine_name":`...)
	b = appendCJSONString(b, sw.s.opts.Hostname)
	b = fmt.Appendf(b, `,"locked":%t,"destruct":false,"wait_mod":false,"audio_always":false,"running":true,"answered":true,"enforce_min":false,"bridge_to":false,"dynamic":true,"exit_sound":true,"enter_sound":true,"recording":false,"video_bridge":false,"video_floor_only":false,"video_rfc4579":false,"variables":{},"members":[`, cf.locked)
	for i, m := range cf.members {
		if i > 0 {
			b = append(b, ',')
		}
		b = fmt.Appendf(b, `{"type":"caller","id":%d,"flags":{"can_hear":%t,"can_see":true,"can_speak":%t,"hold":false,"mute_detect":false,"talking":false,"has_video":false,"video_bridge":false,"has_floor":%t,"is_moderator":%t,"end_conference":false,"is_ghost":false},"uuid":`,
			m.id, !m.deaf, !m.muted, m.floor, m.moderator)
		b = appendCJSONString(b, m.ch.uuid)
		b = append(b, `,"caller_id_name":`...)
		b = appendCJSONString(b, validUTF8(m.ch.cidName))
		b = append(b, `,"caller_id_number":`...)
		b = appendCJSONString(b, m.ch.cidNum)
		b = fmt.Appendf(b, `,"join_time":%d,"last_talking":0,"energy":100,"volume_in":0,"volume_out":0,"output-volume":0,"input-volume":0}`, int(time.Since(m.joined).Seconds()))
	}
	return append(b, "]}"...)
}

// apiConference implements the conference API commands the backend uses.
func (sw *switchState) apiConference(arg string) string {
	a := args(arg, 10)
	if len(a) == 0 {
		return "-ERR Usage: conference <conference_name> <command> [args]\n"
	}
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	switch strings.ToLower(a[0]) {
	case "list":
		if len(sw.confs) == 0 {
			return "No active conferences.\n"
		}
		d := ";"
		if len(a) > 2 && strings.EqualFold(a[1], "delim") {
			d = a[2]
		}
		var b strings.Builder
		for _, n := range sw.confNames() {
			cf := sw.confs[n]
			b.WriteString(sw.confHeader(cf))
			if !(len(a) > 1 && strings.EqualFold(a[1], "summary")) {
				b.WriteString(sw.confMembers(cf, d))
			}
		}
		return b.String()
	case "json_list":
		b := []byte{'['}
		for i, n := range sw.confNames() {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, sw.confJSON(sw.confs[n])...)
		}
		return string(append(b, ']'))
	}
	cf := sw.confs[a[0]]
	if cf == nil {
		return fmt.Sprintf("-ERR Conference %s not found\n", a[0])
	}
	if len(a) < 2 {
		return "-ERR Usage: conference <conference_name> <command> [args]\n"
	}
	members := func() []*member {
		if len(a) < 3 {
			return nil
		}
		switch strings.ToLower(a[2]) {
		case "all":
			return append([]*member(nil), cf.members...)
		case "last":
			if len(cf.members) > 0 {
				return []*member{cf.members[len(cf.members)-1]}
			}
			return nil
		}
		id, _ := strconv.Atoi(a[2])
		for _, m := range cf.members {
			if m.id == id {
				return []*member{m}
			}
		}
		return nil
	}
	sub := strings.ToLower(a[1])
	switch sub {
	case "list":
		d := ";"
		if len(a) > 3 && strings.EqualFold(a[2], "delim") {
			d = a[3]
		}
		if len(a) > 2 && strings.EqualFold(a[2], "count") {
			return strconv.Itoa(len(cf.members)) + "\n"
		}
		return sw.confMembers(cf, d)
	case "json_list":
		return "[" + string(sw.confJSON(cf)) + "]"
	case "count":
		return strconv.Itoa(len(cf.members)) + "\n"
	case "lock", "unlock":
		cf.locked = sub == "lock"
		sw.fireConfLocked(cf, nil, sub)
		return fmt.Sprintf("OK %s %sed\n", cf.name, sub)
	case "kick", "hup", "mute", "unmute", "deaf", "undeaf", "tmute":
		ms := members()
		if len(ms) == 0 {
			if len(a) < 3 {
				return "-ERR Usage: conference <conference_name> " + sub + " <[member_id|all|last|non_moderator]>\n"
			}
			return fmt.Sprintf("Non-Existant ID %s\n", a[2])
		}
		var b strings.Builder
		for _, m := range ms {
			switch sub {
			case "kick":
				fmt.Fprintf(&b, "OK kicked %d\n", m.id)
				sw.fireConfLocked(cf, m, "kick-member")
				sw.hangupLocked(m.ch, "NORMAL_CLEARING")
			case "hup":
				fmt.Fprintf(&b, "OK hup %d\n", m.id)
				sw.hangupLocked(m.ch, "NORMAL_CLEARING")
			case "mute", "unmute", "tmute":
				op := sub
				if op == "tmute" {
					op = map[bool]string{true: "unmute", false: "mute"}[m.muted]
				}
				m.muted = op == "mute"
				fmt.Fprintf(&b, "OK %s %d\n", op, m.id)
				sw.fireConfLocked(cf, m, op+"-member")
			case "deaf", "undeaf":
				m.deaf = sub == "deaf"
				fmt.Fprintf(&b, "OK %s %d\n", sub, m.id)
				sw.fireConfLocked(cf, m, sub+"-member")
			}
		}
		return b.String()
	}
	return "-ERR Unknown conference command\n"
}
