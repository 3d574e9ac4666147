package esltest

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Register registers user's phone on the internal profile and fires the
// CUSTOM sofia::register event. Registering again replaces the
// registration.
func (s *Server) Register(user string, r Registration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := s.sw
	if sw.user(user) == nil {
		return fmt.Errorf("esltest: no user %q in the directory", user)
	}
	if r.UserAgent == "" {
		r.UserAgent = "esltest-phone/1.0"
	}
	if r.IP == "" {
		r.IP = "192.168.1." + strconv.Itoa(sw.nextIP)
		sw.nextIP++
	}
	if r.Port == 0 {
		r.Port = 5060
	}
	if r.Expires <= 0 {
		r.Expires = time.Hour
	}
	if r.Transport == "" {
		r.Transport = "UDP"
	}
	if r.CallID == "" {
		r.CallID = newUUID()
	}
	reg := &registration{Registration: r, user: user, expires: time.Now().Add(r.Expires)}
	reg.contact = "sip:" + user + "@" + r.IP + ":" + strconv.Itoa(r.Port)
	sw.regs[user] = reg
	ip := s.opts.IPv4
	ev := &Event{Name: "CUSTOM", Subclass: "sofia::register", callFile: "sofia_reg.c", callFunc: "sofia_reg_handle_register_token", callLine: 2048}
	ev.Add("profile-name", "internal", "from-user", user, "from-host", ip, "presence-hosts", ip+","+ip,
		"contact", reg.contactStr(), "call-id", r.CallID, "rpid", "unknown",
		"status", reg.status(), "expires", strconv.Itoa(int(r.Expires.Seconds())),
		"to-user", user, "to-host", ip, "network-ip", r.IP, "network-port", strconv.Itoa(r.Port),
		"username", user, "realm", ip, "user-agent", r.UserAgent)
	s.fireLocked(ev)
	return nil
}

// expiresLateMargin is sofia's sip-expires-late-margin in seconds: a
// registration row expires that long after its Expires ran out.
const expiresLateMargin = 60

// contactStr is the Contact as sofia stores it and puts in its
// registration events (contact_str).
func (r *registration) contactStr() string {
	return "\"" + r.user + "\" <" + r.contact + ";fs_nat=no>"
}

// Unregister removes user's registration as a REGISTER with Expires: 0
// does and fires sofia::unregister (sofia_reg_handle_register_token).
func (s *Server) Unregister(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg := s.sw.dropRegLocked(user)
	if reg == nil {
		return
	}
	ip := s.opts.IPv4
	ev := &Event{Name: "CUSTOM", Subclass: "sofia::unregister", callFile: "sofia_reg.c", callFunc: "sofia_reg_handle_register_token", callLine: 1}
	ev.Add("profile-name", "internal", "username", user, "from-user", user, "from-host", ip,
		"contact", reg.contactStr(), "call-id", reg.CallID, "rpid", "unknown", "realm", ip, "expires", "0")
	s.fireLocked(ev)
}

// dropRegLocked removes user's registration and returns it, or nil.
func (sw *switchState) dropRegLocked(user string) *registration {
	reg := sw.regs[user]
	delete(sw.regs, user)
	return reg
}

// Expire removes user's registration as sofia's expiry check does and
// fires sofia::expire (sofia_reg_del_callback, from the registration's
// row: its expires is the epoch time the row expired).
func (s *Server) Expire(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reg := s.sw.dropRegLocked(user)
	if reg == nil {
		return
	}
	ip := s.opts.IPv4
	ev := &Event{Name: "CUSTOM", Subclass: "sofia::expire", callFile: "sofia_reg.c", callFunc: "sofia_reg_del_callback", callLine: 1}
	ev.Add("profile-name", "internal", "call-id", reg.CallID, "user", user, "host", ip,
		"contact", reg.contactStr(), "expires", strconv.FormatInt(reg.expires.Unix()+expiresLateMargin, 10),
		"user-agent", reg.UserAgent, "realm", ip)
	s.fireLocked(ev)
}

// SetPhone sets what user's phone does when it is called (by originate, or
// bridged to by the dialplan). The default is Phone{Mode: Answer}.
func (s *Server) SetPhone(user string, p Phone) {
	s.mu.Lock()
	s.sw.phones[user] = p
	s.mu.Unlock()
}

// Hangup hangs up a channel as its far end would (cause default
// NORMAL_CLEARING). It reports whether the channel existed.
func (s *Server) Hangup(uuid, cause string) bool {
	if cause == "" {
		cause = "NORMAL_CLEARING"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.sw.channels[uuid]
	if ch == nil {
		return false
	}
	s.sw.hangupLocked(ch, cause)
	return true
}

// inboundLocked creates an answered inbound channel from an outside caller
// to dest.
func (s *Server) inboundLocked(cidName, cidNum, dest string) *channel {
	sw := s.sw
	ip := "203.0.113." + strconv.Itoa(sw.nextIP%250+1)
	sw.nextIP++
	ch := sw.newChannelLocked("", "inbound", "sofia/external/"+cidNum+"@"+ip)
	ch.cidName, ch.cidNum, ch.ipAddr, ch.dest = cidName, cidNum, ip, dest
	ch.initialCID = [2]string{cidName, cidNum}
	ch.initialDest = dest
	ch.context = "public"
	sw.fireChannelLocked("CHANNEL_CREATE", ch, "switch_core_state_machine.c", "switch_core_session_run", 627)
	sw.answerLocked(ch)
	return ch
}

// QueueCaller simulates an outside caller joining a mod_callcenter queue:
// an answered inbound channel, then callcenter::info member-queue-start.
// It returns the channel's UUID.
func (s *Server) QueueCaller(queue, cidName, cidNum string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.sw.cc.hasQueue(queue) {
		return "", fmt.Errorf("esltest: no queue %q", queue)
	}
	ch := s.inboundLocked(cidName, cidNum, queue)
	s.sw.cc.memberJoinLocked(s.sw, ch, queue)
	return ch.uuid, nil
}

// JoinConference simulates an outside caller joining a conference room
// (created if needed). It returns the channel's UUID.
func (s *Server) JoinConference(room, cidName, cidNum string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.inboundLocked(cidName, cidNum, room)
	s.sw.joinConferenceLocked(room, ch)
	return ch.uuid
}

// LeaveVoicemail simulates a caller leaving a message of the given length
// in user's mailbox: a WAV file is written under Dir, the message is
// listed by vm_list and vm_fsdb_*, and vm::maintenance (leave-message) and
// MESSAGE_WAITING are fired. It returns the message's UUID and file path.
func (s *Server) LeaveVoicemail(user, cidName, cidNum string, length time.Duration, urgent bool) (uuid, path string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sw.user(user) == nil {
		return "", "", fmt.Errorf("esltest: no user %q in the directory", user)
	}
	m, err := s.sw.leaveVoicemailLocked(user, cidName, cidNum, length, urgent)
	if err != nil {
		return "", "", err
	}
	return m.uuid, m.path, nil
}

// Heartbeat fires a HEARTBEAT event, as the switch does every 20 seconds.
func (s *Server) Heartbeat() {
	s.mu.Lock()
	defer s.mu.Unlock()
	sw := s.sw
	up := time.Since(sw.started)
	ev := &Event{Name: "HEARTBEAT", callFile: "switch_core.c", callFunc: "send_heartbeat", callLine: 82}
	ev.Add("Event-Info", "System Ready", "Up-Time", uptimeString(up),
		"FreeSWITCH-Version", versionFull, "Uptime-msec", strconv.FormatInt(up.Milliseconds(), 10),
		"Session-Count", strconv.Itoa(len(sw.channels)), "Max-Sessions", "1000",
		"Session-Per-Sec", "30", "Session-Per-Sec-Last", "0", "Session-Per-Sec-Max", "1",
		"Session-Per-Sec-FiveMin", "0", "Session-Since-Startup", strconv.Itoa(sw.sessionsTotal),
		"Session-Peak-Max", strconv.Itoa(sw.peak), "Session-Peak-FiveMin", strconv.Itoa(sw.peak),
		"Idle-CPU", "99.000000")
	s.fireLocked(ev)
}

// ChannelInfo describes a simulated channel, for test assertions.
type ChannelInfo struct {
	UUID, Name, Direction, State, CallState string
	CIDName, CIDNumber, Dest                string
	Peer                                    string // bridged channel's UUID
	Conference, Queue                       string
	Variables                               map[string]string
}

// Channels returns the live channels in creation order.
func (s *Server) Channels() []ChannelInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ChannelInfo
	for _, id := range s.sw.order {
		ch := s.sw.channels[id]
		vars := make(map[string]string, len(ch.vars))
		for _, v := range ch.vars {
			vars[v.Name] = v.Value
		}
		out = append(out, ChannelInfo{UUID: ch.uuid, Name: ch.name, Direction: ch.direction, State: ch.state,
			CallState: ch.callState, CIDName: ch.cidName, CIDNumber: ch.cidNum, Dest: ch.dest,
			Peer: ch.peer, Conference: ch.conf, Queue: ch.queue, Variables: vars})
	}
	return out
}

// DBValue returns the value mod_db holds for realm/key.
func (s *Server) DBValue(realm, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.sw.db[realm+"/"+key]
	return v, ok
}

// HashValue returns the value mod_hash holds for realm/key.
func (s *Server) HashValue(realm, key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.sw.hash[realm+"/"+key]
	return v, ok
}

// SampleEvents returns n realistic events as FreeSWITCH 1.10 would send
// them in format ("plain" or "json"): the lifecycle of calls between two
// directory users (CHANNEL_CREATE, CHANNEL_PROGRESS, CHANNEL_ANSWER,
// CHANNEL_BRIDGE, CHANNEL_UNBRIDGE, CHANNEL_HANGUP,
// CHANNEL_HANGUP_COMPLETE, CHANNEL_DESTROY) with the real header sets
// (about 2 KB each), numbered by consecutive Event-Sequence values from
// first (at least 1). The events are not fired: the bytes are for replay
// benchmarks (Server.WriteRaw).
func SampleEvents(n int, format string, first uint64) ([]byte, error) {
	sampler, err := Start(nil)
	if err != nil {
		return nil, err
	}
	defer sampler.Close()
	capture := &conn{authed: true, listening: true, all: true, format: format,
		events: map[string]bool{}, subs: map[string]bool{}}
	sampler.mu.Lock()
	sampler.seq = max(first, 1) - 1
	sampler.conns[capture] = struct{}{}
	sw := sampler.sw
	ip := sampler.opts.IPv4
	for len(capture.queue) < n {
		a := sw.newChannelLocked("", "inbound", "sofia/internal/1000@"+ip)
		a.user, a.cidName, a.cidNum, a.ipAddr, a.dest = "1000", "Extension 1000", "1000", "192.168.1.20", "1001"
		a.initialCID, a.initialDest = [2]string{a.cidName, a.cidNum}, "1001"
		a.presenceID = "1000@" + ip
		sw.fireChannelLocked("CHANNEL_CREATE", a, "switch_core_state_machine.c", "switch_core_session_run", 627)
		b := sw.newChannelLocked("", "outbound", "sofia/internal/sip:1001@192.168.1.21:5060")
		b.user, b.cidName, b.cidNum, b.ipAddr, b.dest = "1001", "Extension 1000", "1000", "192.168.1.21", "1001"
		b.initialCID, b.initialDest = [2]string{b.cidName, b.cidNum}, "1001"
		b.presenceID = "1001@" + ip
		sw.fireChannelLocked("CHANNEL_CREATE", b, "switch_core_state_machine.c", "switch_core_session_run", 627)
		b.callState = "RINGING"
		sw.fireChannelLocked("CHANNEL_PROGRESS", b, "switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 1380)
		sw.answerLocked(b)
		sw.answerLocked(a)
		sw.bridgeLocked(a, b)
		sw.hangupLocked(a, "NORMAL_CLEARING")
		// The small events of a monitored switch: API events of the
		// monitoring commands, scheduler and heartbeat events.
		for _, cmd := range []string{"show calls as json", "sofia status profile internal reg", "status", "show channels as json"} {
			c, arg, _ := strings.Cut(cmd, " ")
			ev := &Event{Name: "API", callFile: "switch_loadable_module.c", callFunc: "switch_api_execute", callLine: 2950}
			ev.Add("API-Command", c, "API-Command-Argument", arg)
			sampler.fireLocked(ev)
		}
		for _, task := range []string{"heartbeat", "check_ip"} {
			ev := &Event{Name: "RE_SCHEDULE", callFile: "switch_scheduler.c", callFunc: "switch_scheduler_execute", callLine: 65}
			ev.Add("Task-ID", "2", "Task-Desc", task, "Task-Group", "core", "Task-Runtime", strconv.FormatInt(time.Now().Unix()+20, 10))
			sampler.fireLocked(ev)
		}
	}
	q := capture.queue[:n]
	delete(sampler.conns, capture)
	sampler.mu.Unlock()
	var out []byte
	for _, ev := range q {
		if format == "json" {
			out = ev.appendJSON(out)
		} else {
			out = ev.appendPlain(out)
		}
	}
	return out, nil
}

// Restart stands for a restart of FreeSWITCH: every connection gets the
// shutdown disconnect notice and is closed, every channel ends (cause
// SYSTEM_SHUTDOWN, its CDR written, its events sent to nobody), what
// mod_hash keeps in memory is lost, and the switch comes back at once with
// a new Core-UUID and start time. The directory, registrations (sofia
// keeps them in its database), voicemail and mod_db's store survive.
func (s *Server) Restart() {
	s.RefuseConnections(true)
	s.SendDisconnectNotice("")
	s.mu.Lock()
	sw := s.sw
	for _, uuid := range slices.Clone(sw.order) {
		if ch := sw.channels[uuid]; ch != nil {
			sw.hangupLocked(ch, "SYSTEM_SHUTDOWN")
		}
	}
	clear(sw.hash)
	sw.coreUUID, sw.started, sw.sessionsTotal, sw.peak = newUUID(), time.Now(), 0, 0
	for i := range sw.globals {
		if sw.globals[i].Name == "core_uuid" {
			sw.globals[i].Value = sw.coreUUID
		}
	}
	s.mu.Unlock()
	s.RefuseConnections(false)
}
