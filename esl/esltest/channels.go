package esltest

import (
	"strconv"
	"strings"
	"time"
)

// q850 maps hangup causes to their Q.850 codes (switch_channel.c).
var q850 = map[string]int{
	"NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_USER_RESPONSE": 18, "NO_ANSWER": 19,
	"SUBSCRIBER_ABSENT": 20, "CALL_REJECTED": 21, "NO_ROUTE_DESTINATION": 3,
	"NORMAL_TEMPORARY_FAILURE": 41, "ORIGINATOR_CANCEL": 487, "MANAGER_REQUEST": 503,
	"USER_NOT_REGISTERED": 606, "CHAN_NOT_IMPLEMENTED": 66, "INVALID_NUMBER_FORMAT": 28, "SYSTEM_SHUTDOWN": 501,
}

// newChannelLocked creates and registers a channel.
func (sw *switchState) newChannelLocked(uuid, direction, name string) *channel {
	if uuid == "" {
		uuid = newUUID()
	}
	ch := &channel{
		uuid:        uuid,
		name:        name,
		direction:   direction,
		created:     time.Now(),
		state:       "CS_INIT",
		callState:   "DOWN",
		answerState: "ringing",
		context:     "default",
		gone:        make(chan struct{}),
	}
	sw.channels[uuid] = ch
	sw.order = append(sw.order, uuid)
	sw.sessionsTotal++
	if len(sw.channels) > sw.peak {
		sw.peak = len(sw.channels)
	}
	return ch
}

func usecString(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}

// channelData returns the channel headers FreeSWITCH adds to channel events
// (switch_channel_event_set_data: channel, caller profile and variables).
func (sw *switchState) channelData(ch *channel, cause string) []Header {
	return append(sw.channelBasicData(ch, cause), sw.channelVariables(ch)...)
}

// channelBasicData returns the channel and caller profile headers without
// the variables (switch_channel_event_set_basic_data).
func (sw *switchState) channelBasicData(ch *channel, cause string) []Header {
	hit := "true"
	if ch.direction == "outbound" {
		hit = "false"
	}
	h := []Header{
		{"Channel-State", ch.state},
		{"Channel-Call-State", ch.callState},
		{"Channel-State-Number", strconv.Itoa(stateNumbers[ch.state])},
		{"Channel-Name", ch.name},
		{"Unique-ID", ch.uuid},
		{"Call-Direction", ch.direction},
		{"Presence-Call-Direction", ch.direction},
		{"Channel-HIT-Dialplan", hit},
	}
	if ch.presenceID != "" {
		h = append(h, Header{"Channel-Presence-ID", ch.presenceID})
	}
	callUUID := ch.callUUID
	if callUUID == "" {
		callUUID = ch.uuid
	}
	h = append(h, Header{"Channel-Call-UUID", callUUID}, Header{"Answer-State", ch.answerState})
	if cause != "" {
		h = append(h, Header{"Hangup-Cause", cause})
	}
	h = append(h,
		Header{"Channel-Read-Codec-Name", "PCMU"},
		Header{"Channel-Read-Codec-Rate", "8000"},
		Header{"Channel-Read-Codec-Bit-Rate", "64000"},
		Header{"Channel-Write-Codec-Name", "PCMU"},
		Header{"Channel-Write-Codec-Rate", "8000"},
		Header{"Channel-Write-Codec-Bit-Rate", "64000"},
	)
	h = append(h, sw.profileHeaders("Caller", ch)...)
	// switch_channel_event_set_basic_data: a B leg carries its originator's
	// profile, an A leg that bridged its originatee's.
	switch {
	case ch.originator != nil:
		h = append(h, Header{"Other-Type", "originator"})
		h = append(h, sw.profileHeaders("Other-Leg", ch.originator)...)
	case ch.originatee != nil:
		h = append(h, Header{"Other-Type", "originatee"})
		h = append(h, sw.profileHeaders("Other-Leg", ch.originatee)...)
	}
	return h
}

// channelVariables returns the variable_* headers
// (switch_channel_event_set_extended_data).
func (sw *switchState) channelVariables(ch *channel) []Header {
	host := sw.s.opts.IPv4
	user := ch.user
	if user == "" {
		user = ch.cidNum
	}
	callUUID := ch.callUUID
	if callUUID == "" {
		callUUID = ch.uuid
	}
	h := []Header{
		{"variable_direction", ch.direction},
		{"variable_uuid", ch.uuid},
		{"variable_call_uuid", callUUID},
		{"variable_session_id", strconv.Itoa(sw.sessionsTotal)},
		{"variable_sip_from_user", ch.cidNum},
		{"variable_sip_from_uri", ch.cidNum + "@" + host},
		{"variable_sip_from_host", host},
		{"variable_channel_name", ch.name},
		{"variable_sip_call_id", shortID(ch.uuid) + "@" + ch.ipAddr},
		{"variable_sip_local_network_addr", host},
		{"variable_sip_network_ip", ch.ipAddr},
		{"variable_sip_network_port", "5060"},
		{"variable_sip_via_protocol", "udp"},
		{"variable_sofia_profile_name", "internal"},
		{"variable_sip_req_user", ch.dest},
		{"variable_sip_req_uri", ch.dest + "@" + host},
		{"variable_sip_req_host", host},
		{"variable_sip_to_user", ch.dest},
		{"variable_sip_to_uri", ch.dest + "@" + host},
		{"variable_sip_to_host", host},
		{"variable_sip_contact_user", user},
		{"variable_sip_contact_port", "5060"},
		{"variable_sip_contact_uri", user + "@" + ch.ipAddr + ":5060"},
		{"variable_sip_contact_host", ch.ipAddr},
		{"variable_sip_user_agent", "esltest-phone/1.0"},
		{"variable_max_forwards", "70"},
		{"variable_presence_id", ch.presenceID},
	}
	for _, v := range ch.vars {
		h = append(h, Header{"variable_" + v.Name, v.Value})
	}
	return h
}

// profileHeaders returns a caller profile's headers with prefix ("Caller",
// "Other-Leg").
func (sw *switchState) profileHeaders(prefix string, ch *channel) []Header {
	user := ch.user
	if user == "" {
		user = ch.cidNum
	}
	created := usecString(ch.created)
	return []Header{
		{prefix + "-Direction", ch.direction},
		{prefix + "-Logical-Direction", ch.direction},
		{prefix + "-Username", user},
		{prefix + "-Dialplan", "XML"},
		{prefix + "-Caller-ID-Name", ch.cidName},
		{prefix + "-Caller-ID-Number", ch.cidNum},
		{prefix + "-Orig-Caller-ID-Name", ch.initialCID[0]},
		{prefix + "-Orig-Caller-ID-Number", ch.initialCID[1]},
		{prefix + "-Callee-ID-Name", ch.calleeName},
		{prefix + "-Callee-ID-Number", ch.calleeNum},
		{prefix + "-Network-Addr", ch.ipAddr},
		{prefix + "-ANI", ch.cidNum},
		{prefix + "-Destination-Number", ch.dest},
		{prefix + "-Unique-ID", ch.uuid},
		{prefix + "-Source", "mod_sofia"},
		{prefix + "-Context", ch.context},
		{prefix + "-Channel-Name", ch.name},
		{prefix + "-Profile-Index", "1"},
		{prefix + "-Profile-Created-Time", created},
		{prefix + "-Channel-Created-Time", created},
		{prefix + "-Channel-Answered-Time", usecString(ch.answered)},
		{prefix + "-Channel-Progress-Time", "0"},
		{prefix + "-Channel-Progress-Media-Time", "0"},
		{prefix + "-Channel-Hangup-Time", "0"},
		{prefix + "-Channel-Transfer-Time", "0"},
		{prefix + "-Channel-Resurrect-Time", "0"},
		{prefix + "-Channel-Bridged-Time", "0"},
		{prefix + "-Channel-Last-Hold", "0"},
		{prefix + "-Channel-Hold-Accum", "0"},
		{prefix + "-Screen-Bit", "true"},
		{prefix + "-Privacy-Hide-Name", "false"},
		{prefix + "-Privacy-Hide-Number", "false"},
	}
}

// fireChannelLocked fires a channel event: extra headers first, then the
// channel data.
func (sw *switchState) fireChannelLocked(name string, ch *channel, file, fn string, line int, extra ...Header) {
	cause := ""
	if name == "CHANNEL_HANGUP" || name == "CHANNEL_HANGUP_COMPLETE" || name == "CHANNEL_DESTROY" {
		cause = ch.cause
	}
	ev := &Event{Name: name, callFile: file, callFunc: fn, callLine: line}
	ev.Headers = append(ev.Headers, extra...)
	ev.Headers = append(ev.Headers, sw.channelData(ch, cause)...)
	sw.s.fireLocked(ev)
}

// answerLocked answers ch.
func (sw *switchState) answerLocked(ch *channel) {
	if !ch.answered.IsZero() || ch.hangup {
		return
	}
	ch.answered = time.Now()
	ch.state = "CS_EXECUTE"
	ch.callState = "ACTIVE"
	ch.answerState = "answered"
	sw.fireChannelLocked("CHANNEL_ANSWER", ch, "switch_channel.c", "switch_channel_perform_mark_answered", 3717)
}

// bridgeLocked bridges a (the originator) and b.
func (sw *switchState) bridgeLocked(a, b *channel) {
	a.peer, b.peer = b.uuid, a.uuid
	a.callUUID, b.callUUID = a.uuid, a.uuid
	a.app, a.appData = "bridge", b.name
	a.state, b.state = "CS_EXCHANGE_MEDIA", "CS_EXCHANGE_MEDIA"
	a.calleeName, a.calleeNum = b.cidName, b.dest
	a.originatee = b
	a.setVar("bleg_uuid", b.uuid)
	sw.callsCreated[a.uuid] = time.Now()
	ev := &Event{Name: "CHANNEL_BRIDGE", callFile: "switch_ivr_bridge.c", callFunc: "audio_bridge_on_exchange_media", callLine: 1333}
	ev.Add("Bridge-A-Unique-ID", a.uuid, "Bridge-B-Unique-ID", b.uuid)
	ev.Headers = append(ev.Headers, sw.channelData(a, "")...)
	sw.s.fireLocked(ev)
}

// unbridgeLocked ends a bridge and returns the other leg.
func (sw *switchState) unbridgeLocked(ch *channel) *channel {
	if ch.peer == "" {
		return nil
	}
	peer := sw.channels[ch.peer]
	a := ch
	if _, ok := sw.callsCreated[ch.uuid]; !ok && peer != nil {
		a = peer
	}
	if peer != nil {
		ev := &Event{Name: "CHANNEL_UNBRIDGE", callFile: "switch_ivr_bridge.c", callFunc: "audio_bridge_on_exchange_media", callLine: 1425}
		ev.Headers = append(ev.Headers, sw.channelData(a, "")...)
		sw.s.fireLocked(ev)
		peer.peer = ""
	}
	delete(sw.callsCreated, a.uuid)
	ch.peer = ""
	return peer
}

// hangupLocked hangs ch up with cause, and its bridged leg with
// NORMAL_CLEARING.
func (sw *switchState) hangupLocked(ch *channel, cause string) {
	if ch.hangup {
		return
	}
	ch.hangup = true
	close(ch.gone)
	ch.cause = cause
	peer := sw.unbridgeLocked(ch)
	if ch.queue != "" {
		sw.cc.memberLeaveLocked(sw, ch, "Cancel")
	}
	ch.state = "CS_HANGUP"
	ch.callState = "HANGUP"
	ch.answerState = "hangup"
	sw.fireChannelLocked("CHANNEL_HANGUP", ch, "switch_channel.c", "switch_channel_perform_hangup", 4741)
	// A conference member's thread notices the hangup and leaves after
	// the hangup itself fired CHANNEL_HANGUP.
	if ch.conf != "" {
		sw.leaveConferenceLocked(ch)
	}
	end := time.Now()
	billsec := 0
	if !ch.answered.IsZero() {
		billsec = int(end.Sub(ch.answered).Seconds())
	}
	ch.setVar("hangup_cause", cause)
	ch.setVar("hangup_cause_q850", strconv.Itoa(q850[cause]))
	ch.setVar("start_stamp", stamp(ch.created))
	ch.setVar("answer_stamp", stamp(ch.answered))
	ch.setVar("end_stamp", stamp(end))
	ch.setVar("start_epoch", epoch(ch.created))
	ch.setVar("answer_epoch", epoch(ch.answered))
	ch.setVar("end_epoch", epoch(end))
	ch.setVar("duration", strconv.Itoa(int(end.Sub(ch.created).Seconds())))
	ch.setVar("billsec", strconv.Itoa(billsec))
	ch.state = "CS_REPORTING"
	// The reporting state handlers (mod_cdr_csv's) run before the core
	// fires CHANNEL_HANGUP_COMPLETE.
	sw.writeCDRLocked(ch)
	sw.fireChannelLocked("CHANNEL_HANGUP_COMPLETE", ch, "switch_core_state_machine.c", "switch_core_session_reporting_state", 946)
	ch.state = "CS_DESTROY"
	sw.fireChannelLocked("CHANNEL_DESTROY", ch, "switch_core_session.c", "switch_core_session_perform_destroy", 1741)
	delete(sw.channels, ch.uuid)
	for i, id := range sw.order {
		if id == ch.uuid {
			sw.order = append(sw.order[:i], sw.order[i+1:]...)
			break
		}
	}
	if peer != nil && !peer.hangup {
		sw.hangupLocked(peer, "NORMAL_CLEARING")
	}
}

const originateSyntax = "<call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]"

// apiOriginate runs "originate": it creates the outbound leg, rings the
// simulated phone and blocks until it answers or fails, then answers "+OK
// <uuid>" and routes the call to exten, or answers "-ERR <CAUSE>".
func (sw *switchState) apiOriginate(arg string) string {
	a := args(arg, 10)
	if len(a) < 2 || len(a) > 7 {
		return "-USAGE: " + originateSyntax + "\n"
	}
	for i := range a {
		if strings.EqualFold(a[i], "undef") {
			a[i] = ""
		}
	}
	get := func(i int) string {
		if i < len(a) {
			return a[i]
		}
		return ""
	}
	dial, exten, cidName, cidNum := a[0], a[1], get(4), get(5)
	timeout := 60
	if t, err := strconv.Atoi(get(6)); err == nil && t > 0 {
		timeout = t
	}
	vars, rest, _ := brackets(dial, '{', '}')
	if more, r, ok := brackets(rest, '[', ']'); ok {
		vars, rest = append(vars, more...), r
	}
	varOf := func(name string) string {
		for i := len(vars) - 1; i >= 0; i-- {
			if vars[i][0] == name {
				return vars[i][1]
			}
		}
		return ""
	}
	if t, err := strconv.Atoi(varOf("originate_timeout")); err == nil && t > 0 {
		timeout = t
	}
	if v := varOf("origination_caller_id_name"); v != "" {
		cidName = v
	}
	if v := varOf("origination_caller_id_number"); v != "" {
		cidNum = v
	}
	if cidName == "" {
		cidName = "FreeSWITCH"
	}
	if cidNum == "" {
		cidNum = "0000000000"
	}
	tech, target, _ := strings.Cut(rest, "/")
	var id string
	switch strings.ToLower(tech) {
	case "error":
		return "-ERR " + strings.ToUpper(target) + "\n"
	case "user":
		id, _, _ = strings.Cut(target, "@")
	case "sofia":
		p := strings.SplitN(target, "/", 2)
		if len(p) == 2 {
			id, _, _ = strings.Cut(strings.TrimPrefix(p[1], "sip:"), "@")
		}
	case "loopback":
		id = ""
	default:
		return "-ERR CHAN_NOT_IMPLEMENTED\n"
	}

	s := sw.s
	s.mu.Lock()
	var phone Phone
	var ch *channel
	uuid := varOf("origination_uuid")
	if uuid != "" && sw.channels[uuid] != nil {
		s.mu.Unlock()
		return "-ERR NORMAL_TEMPORARY_FAILURE\n"
	}
	if strings.EqualFold(tech, "loopback") {
		ch = sw.newChannelLocked(uuid, "outbound", "loopback/"+target+"-a")
		phone = Phone{Mode: Answer}
		ch.ipAddr = s.opts.IPv4
		ch.dest = target
	} else {
		u := sw.user(id)
		if u == nil {
			s.mu.Unlock()
			return "-ERR SUBSCRIBER_ABSENT\n"
		}
		reg := sw.regs[u.ID]
		if reg == nil {
			s.mu.Unlock()
			return "-ERR USER_NOT_REGISTERED\n"
		}
		phone = sw.phones[u.ID]
		ch = sw.newChannelLocked(uuid, "outbound", "sofia/internal/"+reg.contact)
		ch.user = u.ID
		ch.ipAddr = reg.IP
		ch.dest = u.ID
		ch.presenceID = u.ID + "@" + s.opts.IPv4
	}
	ch.cidName, ch.cidNum = cidName, cidNum
	ch.initialCID = [2]string{cidName, cidNum}
	ch.calleeName, ch.calleeNum = "Outbound Call", ch.dest
	ch.initialDest = ch.dest
	for _, v := range vars {
		ch.setVar(v[0], v[1])
	}
	sw.fireChannelLocked("CHANNEL_CREATE", ch, "switch_core_state_machine.c", "switch_core_session_run", 627)
	ch.callState = "RINGING"
	sw.fireChannelLocked("CHANNEL_PROGRESS", ch, "switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 1380)
	s.mu.Unlock()

	cause := sw.ring(ch, phone, time.Duration(timeout)*time.Second)

	s.mu.Lock()
	defer s.mu.Unlock()
	if ch.hangup {
		return "-ERR " + ch.cause + "\n"
	}
	if cause != "" {
		sw.hangupLocked(ch, cause)
		return "-ERR " + cause + "\n"
	}
	sw.answerLocked(ch)
	sw.routeLocked(ch, exten)
	return "+OK " + ch.uuid + "\n"
}

// ring waits for the simulated phone's decision: "" when it answers, or
// the hangup cause.
func (sw *switchState) ring(ch *channel, p Phone, timeout time.Duration) string {
	wait := p.Delay
	cause := ""
	switch p.Mode {
	case Busy:
		cause = "USER_BUSY"
	case Reject:
		cause = p.Cause
		if cause == "" {
			cause = "CALL_REJECTED"
		}
	case NoAnswer:
		wait, cause = timeout, "NO_ANSWER"
	}
	if wait > timeout {
		wait, cause = timeout, "NO_ANSWER"
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ch.gone:
	case <-sw.s.done:
		return "NORMAL_TEMPORARY_FAILURE"
	}
	return cause
}

// routeLocked sends an answered channel to exten: "&app(args)" runs an
// application; a directory user is bridged to; 3000-3999 is a conference
// (as the vanilla dialplan does); "park" parks; anything else fails with
// NO_ROUTE_DESTINATION.
func (sw *switchState) routeLocked(ch *channel, exten string) {
	app, data := "", ""
	if strings.HasPrefix(exten, "&") {
		app = exten[1:]
		if i := strings.IndexByte(app, '('); i >= 0 {
			data = strings.TrimSuffix(app[i+1:], ")")
			app = app[:i]
		}
	} else {
		ch.dest = exten
		switch {
		case sw.user(exten) != nil:
			app, data = "bridge", "user/"+exten+"@"+sw.s.opts.IPv4
		case exten == "park":
			app = "park"
		case len(exten) == 4 && exten[0] == '3':
			app, data = "conference", exten+"-"+sw.s.opts.IPv4+"@default"
		case exten == "9196":
			app = "echo"
		default:
			sw.hangupLocked(ch, "NO_ROUTE_DESTINATION")
			return
		}
	}
	ch.app, ch.appData = app, data
	switch strings.ToLower(app) {
	case "park":
		ch.state = "CS_PARK"
		sw.fireChannelLocked("CHANNEL_PARK", ch, "switch_ivr.c", "switch_ivr_park", 1000)
	case "conference":
		room, _, _ := strings.Cut(data, "@")
		room, _, _ = strings.Cut(room, "+")
		if cf := sw.confs[room]; cf != nil && cf.locked {
			// mod_conference plays the locked sound and returns; with no
			// application left to run, the call hangs up.
			sw.hangupLocked(ch, "NORMAL_CLEARING")
			return
		}
		sw.joinConferenceLocked(room, ch)
	case "callcenter":
		sw.cc.memberJoinLocked(sw, ch, strings.TrimSpace(data))
	case "bridge":
		target := strings.TrimPrefix(data, "user/")
		target, _, _ = strings.Cut(target, "@")
		sw.s.wg.Add(1)
		go sw.bridgeTo(ch, target)
	case "hangup":
		cause := data
		if cause == "" {
			cause = "NORMAL_CLEARING"
		}
		sw.hangupLocked(ch, cause)
	}
}

// bridgeTo calls user id for a (asynchronously, as the dialplan's bridge
// does) and bridges the legs when the phone answers.
func (sw *switchState) bridgeTo(a *channel, id string) {
	defer sw.s.wg.Done()
	s := sw.s
	s.mu.Lock()
	reg := sw.regs[id]
	if a.hangup {
		s.mu.Unlock()
		return
	}
	if reg == nil {
		sw.hangupLocked(a, "USER_NOT_REGISTERED")
		s.mu.Unlock()
		return
	}
	phone := sw.phones[id]
	b := sw.newChannelLocked("", "outbound", "sofia/internal/"+reg.contact)
	b.originator = a
	b.user, b.ipAddr, b.dest = id, reg.IP, id
	b.presenceID = id + "@" + s.opts.IPv4
	b.cidName, b.cidNum = a.cidName, a.cidNum
	b.initialCID = [2]string{a.cidName, a.cidNum}
	b.calleeName, b.calleeNum = "Outbound Call", id
	b.initialDest = id
	sw.fireChannelLocked("CHANNEL_CREATE", b, "switch_core_state_machine.c", "switch_core_session_run", 627)
	b.callState = "RINGING"
	sw.fireChannelLocked("CHANNEL_PROGRESS", b, "switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 1380)
	timeout := 30 * time.Second
	if t, err := strconv.Atoi(a.getVar("call_timeout")); err == nil && t > 0 {
		timeout = time.Duration(t) * time.Second
	}
	s.mu.Unlock()

	done := make(chan string, 1)
	go func() { done <- sw.ring(b, phone, timeout) }()
	var cause string
	select {
	case cause = <-done:
	case <-a.gone:
		s.mu.Lock()
		sw.hangupLocked(b, "ORIGINATOR_CANCEL")
		s.mu.Unlock()
		<-done
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case b.hangup:
		if !a.hangup {
			sw.hangupLocked(a, b.cause)
		}
	case a.hangup:
		sw.hangupLocked(b, "ORIGINATOR_CANCEL")
	case cause != "":
		sw.hangupLocked(b, cause)
		sw.hangupLocked(a, cause)
	default:
		sw.answerLocked(b)
		sw.bridgeLocked(a, b)
	}
}

func (sw *switchState) apiUUIDKill(arg string) string {
	a := args(arg, 2)
	if len(a) == 0 {
		return "-USAGE: <uuid> [cause]\n"
	}
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := sw.channels[a[0]]
	if ch == nil {
		return "-ERR No such channel!\n"
	}
	cause := "MANAGER_REQUEST"
	if len(a) > 1 && a[1] != "" {
		cause = strings.ToUpper(a[1])
	}
	sw.hangupLocked(ch, cause)
	return "+OK\n"
}

// apiUUIDTransfer implements uuid_transfer as mod_commands'
// transfer_function does: "-bleg" transfers the bridged leg instead (the
// named one when there is none), "-both" the bridged leg too.
func (sw *switchState) apiUUIDTransfer(arg string) string {
	const usage = "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
	a := args(arg, 5)
	if len(a) < 2 {
		return usage
	}
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := sw.channels[a[0]]
	if ch == nil {
		return "-ERR No Such Channel!\n"
	}
	dest, flag := a[1], ""
	if strings.HasPrefix(dest, "-") {
		if len(a) < 3 {
			return usage // FreeSWITCH would transfer to no extension at all
		}
		flag, dest = strings.ToLower(dest[1:]), a[2]
	}
	target := ch
	if other := sw.channels[ch.peer]; flag == "bleg" && other != nil {
		target = other
	}
	// With -both the other leg is transferred too; otherwise, left
	// without a bridge, it has nothing more to run and hangs up.
	switch peer := sw.unbridgeLocked(target); {
	case peer != nil && flag == "both":
		sw.transferLocked(peer, dest)
	case peer != nil:
		sw.hangupLocked(peer, "NORMAL_CLEARING")
	}
	sw.transferLocked(target, dest)
	return "+OK\n"
}

// transferLocked sends an unbridged ch to dest in the dialplan.
func (sw *switchState) transferLocked(ch *channel, dest string) {
	if ch.conf != "" {
		sw.leaveConferenceLocked(ch)
	}
	if ch.queue != "" {
		sw.cc.memberLeaveLocked(sw, ch, "Cancel")
	}
	ch.state = "CS_ROUTING"
	ch.setVar("transfer_history", strconv.FormatInt(time.Now().Unix(), 10)+":"+ch.uuid+":uuid_br:"+dest)
	sw.routeLocked(ch, dest)
}

func shortID(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
