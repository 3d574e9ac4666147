package esltest

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// vmMessage is a row of mod_voicemail's voicemail_msgs table.
type vmMessage struct {
	created     time.Time
	read        int64
	user        string
	domain      string
	uuid        string
	cidName     string
	cidNum      string
	folder      string
	path        string
	length      int
	flags       string // "", "save", "delete"
	readFlags   string // "B_NORMAL" or "A_URGENT"
	forwardedBy string
}

// writeWAV writes a silent 8 kHz mono 16-bit WAV file of d (at most 10s).
func writeWAV(path string, d time.Duration) error {
	if d > 10*time.Second {
		d = 10 * time.Second
	}
	samples := int(d.Seconds() * 8000)
	data := make([]byte, 44+2*samples)
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*samples))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)
	binary.LittleEndian.PutUint16(data[20:], 1)
	binary.LittleEndian.PutUint16(data[22:], 1)
	binary.LittleEndian.PutUint32(data[24:], 8000)
	binary.LittleEndian.PutUint32(data[28:], 16000)
	binary.LittleEndian.PutUint16(data[32:], 2)
	binary.LittleEndian.PutUint16(data[34:], 16)
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*samples))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// counts returns new, saved, urgent new, urgent saved messages of a
// mailbox, as message_count does.
func (sw *switchState) counts(user, domain string) (nw, saved, unw, usaved int) {
	for _, m := range sw.vm {
		if m.user != user || m.domain != domain || m.folder != "inbox" || m.flags == "delete" {
			continue
		}
		urgent := m.readFlags == "A_URGENT"
		switch {
		case m.read == 0 && urgent:
			unw++
		case m.read == 0:
			nw++
		case urgent:
			usaved++
		default:
			saved++
		}
	}
	return
}

// mwiLocked does what update_mwi does: it fires MESSAGE_WAITING for a
// mailbox, then vm::maintenance mwi-update. message_count's new and saved
// totals include the urgent messages; the profile's send-full-vm-header is
// off, so MWI-Voice-Message carries only "new/saved".
func (sw *switchState) mwiLocked(user, domain, reason string) {
	nw, saved, unw, usaved := sw.counts(user, domain)
	nw, saved = nw+unw, saved+usaved
	yn := "no"
	if nw > 0 {
		yn = "yes"
	}
	ev := &Event{Name: "MESSAGE_WAITING", callFile: "mod_voicemail.c", callFunc: "update_mwi", callLine: 1}
	ev.Add("MWI-Messages-Waiting", yn,
		"Update-Reason", reason,
		"MWI-Message-Account", user+"@"+domain,
		"MWI-Voice-Message", fmt.Sprintf("%d/%d", nw, saved))
	sw.s.fireLocked(ev)
	ev = &Event{Name: "CUSTOM", Subclass: "vm::maintenance", callFile: "mod_voicemail.c", callFunc: "update_mwi", callLine: 1}
	ev.Add("VM-Action", "mwi-update", "VM-User", user, "VM-Domain", domain,
		"VM-Total-New", strconv.Itoa(nw), "VM-Total-Saved", strconv.Itoa(saved),
		"VM-Total-New-Urgent", strconv.Itoa(unw), "VM-Total-Saved-Urgent", strconv.Itoa(usaved))
	sw.s.fireLocked(ev)
}

// standardHeadersLocked returns the headers switch_event_create gives a
// REQUEST_PARAMS event (which mod_voicemail serializes to JSON); it takes
// an Event-Sequence, as creating an event does.
func (sw *switchState) standardHeadersLocked(fn string) []Header {
	sw.s.seq++
	now := time.Now()
	o := sw.s.opts
	return []Header{
		{"Event-Name", "REQUEST_PARAMS"},
		{"Core-UUID", sw.coreUUID},
		{"FreeSWITCH-Hostname", o.Hostname},
		{"FreeSWITCH-Switchname", o.Hostname},
		{"FreeSWITCH-IPv4", o.IPv4},
		{"FreeSWITCH-IPv6", "::1"},
		{"Event-Date-Local", now.Format("2006-01-02 15:04:05")},
		{"Event-Date-GMT", rfc822(now)},
		{"Event-Date-Timestamp", strconv.FormatInt(now.UnixMicro(), 10)},
		{"Event-Calling-File", "mod_voicemail.c"},
		{"Event-Calling-Function", fn},
		{"Event-Calling-Line-Number", "1"},
		{"Event-Sequence", strconv.FormatUint(sw.s.seq, 10)},
	}
}

// sortedVM returns a mailbox's messages ordered by read_flags, then
// created_epoch.
func (sw *switchState) sortedVM(user, domain string) []*vmMessage {
	var out []*vmMessage
	for _, m := range sw.vm {
		if m.user == user && m.domain == domain {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].readFlags != out[j].readFlags {
			return out[i].readFlags < out[j].readFlags
		}
		return out[i].created.Before(out[j].created)
	})
	return out
}

// parseBox parses "<id>@<domain>[/profile] rest...".
func parseBox(arg string) (id, domain, profile, rest string) {
	arg = strings.TrimSpace(arg)
	box, rest, _ := strings.Cut(arg, " ")
	id, domain, _ = strings.Cut(box, "@")
	profile = "default"
	if d, p, ok := strings.Cut(domain, "/"); ok {
		domain, profile = d, p
	}
	return id, domain, profile, rest
}

func (sw *switchState) apiVMList(arg string) string {
	if strings.TrimSpace(arg) == "" {
		return "Usage: <id>@<domain>[/profile] [xml]\n"
	}
	id, domain, profile, rest := parseBox(arg)
	if id == "" || domain == "" || profile != "default" {
		return "-ERR can't find user or profile.\n"
	}
	format, uuid, _ := strings.Cut(rest, " ")
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	var b strings.Builder
	xml := strings.EqualFold(format, "xml")
	if xml {
		b.WriteString("<voicemail>\n")
	}
	for _, m := range sw.vm {
		if m.user != id || m.domain != domain || (uuid != "" && m.uuid != uuid) {
			continue
		}
		if xml {
			fmt.Fprintf(&b, " <message>\n  <created_epoch>%d</created_epoch>\n  <read_epoch>%d</read_epoch>\n  <username>%s</username>\n  <domain>%s</domain>\n  <folder>%s</folder>\n  <path>%s</path>\n  <uuid>%s</uuid>\n  <cid-name>%s</cid-name>\n  <cid-number>%s</cid-number>\n  <message-len>%d</message-len>\n </message>\n",
				m.created.Unix(), m.read, m.user, m.domain, m.folder, m.path, m.uuid, m.cidName, m.cidNum, m.length)
		} else {
			fmt.Fprintf(&b, "%d:%d:%s:%s:%s:%s:%s:%s:%s:%d\n", m.created.Unix(), m.read, m.user, m.domain,
				m.folder, m.path, m.uuid, m.cidName, m.cidNum, m.length)
		}
	}
	if xml {
		b.WriteString("</voicemail>\n")
	}
	return b.String()
}

func (sw *switchState) apiVMDelete(arg string) string {
	if strings.TrimSpace(arg) == "" {
		return "Usage: <id>@<domain>[/profile] [<uuid>]\n"
	}
	id, domain, profile, uuid := parseBox(arg)
	if id == "" || domain == "" || profile != "default" {
		return "-ERR can't find user or profile.\n"
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	kept := sw.vm[:0]
	for _, m := range sw.vm {
		if (uuid != "" && m.uuid == uuid) || (uuid == "" && m.user == id && m.domain == domain) {
			_ = os.Remove(m.path)
			continue
		}
		kept = append(kept, m)
	}
	sw.vm = kept
	sw.mwiLocked(id, domain, "DELETE")
	return "+OK\n"
}

func (sw *switchState) apiVMRead(arg string) string {
	if strings.TrimSpace(arg) == "" {
		return "Usage: <id>@<domain>[/profile] <read|unread> [<uuid>]\n"
	}
	id, domain, profile, rest := parseBox(arg)
	ru, uuid, _ := strings.Cut(rest, " ")
	if id == "" || domain == "" || profile != "default" || (!strings.EqualFold(ru, "read") && !strings.EqualFold(ru, "unread")) {
		return "-ERR can't find user or profile.\n"
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	for _, m := range sw.vm {
		if (uuid != "" && m.uuid != uuid) || (uuid == "" && m.domain != domain) {
			continue
		}
		if strings.EqualFold(ru, "read") {
			m.read = time.Now().Unix()
		} else {
			m.read, m.flags = 0, ""
		}
	}
	sw.mwiLocked(id, domain, "READ")
	return "+OK\n"
}

// fsdbArgs parses "[<format>] <profile> <domain> <user> ..." (withFormat
// says whether the first argument is a format) as the vm_fsdb_* functions
// check it, and returns the arguments, or the reply when fewer than n are
// given or the profile is unknown. With orderArg, an argument past the n-th
// is the optional order, which vm_fsdb_msg_list tests (before the profile)
// with "!= ASC || != DESC": every value is refused, so only the default
// order works.
func fsdbArgs(arg string, withFormat bool, n int, orderArg bool) ([]string, string) {
	a := args(arg, 7)
	if withFormat {
		if len(a) == 0 {
			return nil, "-ERR Missing Arguments\n"
		}
		a = a[1:]
	}
	switch {
	case len(a) < n:
		return nil, "-ERR Missing Arguments\n"
	case orderArg && len(a) > n:
		return nil, fmt.Sprintf("-ERR Bad Argument: '%s'\n", a[n])
	case a[0] != "default":
		return nil, "-ERR Profile not found\n"
	}
	return a, ""
}

func (sw *switchState) apiVMFsdbList(arg string) string {
	a, reply := fsdbArgs(arg, true, 5, true)
	if reply != "" {
		return reply
	}
	domain, user, filter := a[1], a[2], strings.ToLower(a[4])
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	hs := sw.standardHeadersLocked("vm_fsdb_msg_list_function")
	n := 0
	for _, m := range sw.sortedVM(user, domain) {
		var take bool
		switch filter {
		case "not-read":
			take = m.read == 0
		case "new":
			take = m.flags == ""
		case "save":
			take = m.flags == "save"
		default:
			take = m.read != 0
		}
		if take {
			n++
			hs = append(hs, Header{fmt.Sprintf("VM-List-Message-%d-UUID", n), m.uuid})
		}
	}
	hs = append(hs, Header{"VM-List-Count", strconv.Itoa(n)})
	return jsonObject(hs)
}

func (sw *switchState) apiVMFsdbGet(arg string) string {
	a, reply := fsdbArgs(arg, true, 4, false)
	if reply != "" {
		return reply
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	hs := sw.standardHeadersLocked("vm_fsdb_msg_get_function")
	for _, m := range sw.vm {
		if m.user == a[2] && m.domain == a[1] && m.uuid == a[3] {
			hs = append(hs,
				Header{"VM-Message-Received-Epoch", strconv.FormatInt(m.created.Unix(), 10)},
				Header{"VM-Message-Read-Epoch", strconv.FormatInt(m.read, 10)},
				Header{"VM-Message-UUID", m.uuid},
				Header{"VM-Message-Caller-Name", m.cidName},
				Header{"VM-Message-Caller-Number", m.cidNum},
				Header{"VM-Message-Folder", m.folder},
				Header{"VM-Message-File-Path", m.path},
				Header{"VM-Message-Duration", strconv.Itoa(m.length)},
				Header{"VM-Message-Flags", m.flags},
				Header{"VM-Message-Read-Flags", m.readFlags},
				Header{"VM-Message-Forwarded-By", m.forwardedBy},
			)
		}
	}
	return jsonObject(hs)
}

func (sw *switchState) apiVMFsdbCount(arg string) string {
	a, reply := fsdbArgs(arg, true, 4, false)
	if reply != "" {
		return reply
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	var nw, nu, sv, su int
	for _, m := range sw.vm {
		if m.user != a[2] || m.domain != a[1] || m.folder != a[3] || m.folder != "inbox" {
			continue
		}
		urgent := m.readFlags == "A_URGENT"
		switch m.flags {
		case "":
			if urgent {
				nu++
			} else {
				nw++
			}
		case "save":
			if urgent {
				su++
			} else {
				sv++
			}
		}
	}
	hs := sw.standardHeadersLocked("vm_fsdb_msg_count_function")
	hs = append(hs,
		Header{"VM-Total-New-Messages", strconv.Itoa(nw + nu)},
		Header{"VM-Total-New-Urgent-Messages", strconv.Itoa(nu)},
		Header{"VM-Total-Saved-Messages", strconv.Itoa(sv + su)},
		Header{"VM-Total-Saved-Urgent-Messages", strconv.Itoa(su)},
	)
	return jsonObject(hs)
}

// apiVMFsdbFlag implements vm_fsdb_msg_delete (flags "delete"),
// vm_fsdb_msg_save ("save") and vm_fsdb_msg_undelete (""): they only
// change the flags, and answer "-OK".
func (sw *switchState) apiVMFsdbFlag(arg, flags string) string {
	a, reply := fsdbArgs(arg, false, 4, false)
	if reply != "" {
		return reply
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	for _, m := range sw.vm {
		if m.user == a[2] && m.domain == a[1] && m.uuid == a[3] {
			m.flags = flags
		}
	}
	return "-OK\n"
}

func (sw *switchState) apiVMFsdbPurge(arg string) string {
	a, reply := fsdbArgs(arg, false, 3, false)
	if reply != "" {
		return reply
	}
	sw.s.mu.Lock()
	defer sw.s.mu.Unlock()
	kept := sw.vm[:0]
	for _, m := range sw.vm {
		if m.user == a[2] && m.domain == a[1] && m.flags == "delete" {
			_ = os.Remove(m.path)
			continue
		}
		kept = append(kept, m)
	}
	sw.vm = kept
	sw.mwiLocked(a[2], a[1], "PURGE")
	return "-OK\n"
}

func (sw *switchState) apiVMFsdbEmail(arg string) string {
	if _, reply := fsdbArgs(arg, false, 5, false); reply != "" {
		return reply
	}
	return "-OK\n"
}

// leaveVoicemailLocked records a message: the file, the row,
// vm::maintenance leave-message and MESSAGE_WAITING.
func (sw *switchState) leaveVoicemailLocked(user, cidName, cidNum string, length time.Duration, urgent bool) (*vmMessage, error) {
	domain := sw.s.opts.IPv4
	uuid := newUUID()
	path := sw.s.voicemailPath(domain, user, uuid)
	if err := writeWAV(path, length); err != nil {
		return nil, err
	}
	m := &vmMessage{created: time.Now(), user: user, domain: domain, uuid: uuid, cidName: cidName,
		cidNum: cidNum, folder: "inbox", path: path, length: int(length.Seconds()), readFlags: "B_NORMAL"}
	if urgent {
		m.readFlags = "A_URGENT"
	}
	sw.vm = append(sw.vm, m)
	ev := &Event{Name: "CUSTOM", Subclass: "vm::maintenance", callFile: "mod_voicemail.c", callFunc: "deliver_vm", callLine: 1}
	ev.Add("VM-Action", "leave-message", "VM-User", user, "VM-Domain", domain,
		"VM-Caller-ID-Name", cidName, "VM-Caller-ID-Number", cidNum, "VM-File-Path", path,
		"VM-Flags", m.readFlags, "VM-Folder", "inbox", "VM-UUID", uuid,
		"VM-Message-Len", strconv.Itoa(m.length), "VM-Timestamp", strconv.FormatInt(m.created.Unix(), 10))
	sw.s.fireLocked(ev)
	sw.mwiLocked(user, domain, "NEW")
	return m, nil
}
