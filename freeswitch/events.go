package freeswitch

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/cdrstore"
	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

// channel is the backend's mirror of one live channel, built from events.
type channel struct {
	pbx.Call
	rang bool
}

// snapshot returns the call as of at.
func (ch *channel) snapshot(at time.Time) pbx.Call {
	c := ch.Call
	if !c.Started.IsZero() && at.After(c.Started) {
		c.Duration = at.Sub(c.Started)
	}
	return c
}

// waiter is a one-shot wait for an event, registered before the command
// that causes it is sent.
type waiter struct {
	match func(*esl.Event) bool
	ch    chan *esl.Event
}

// agent is what the backend knows of a mod_callcenter agent: the queues
// it is a tier of, its status ("Available", "On Break", ...) and state
// ("Waiting", "In a queue call", ...).
type agent struct {
	member        pbx.QueueMember
	queues        []pbx.QueueID
	status, state string
}

// state is what the events tell of the switch. It is guarded by backend.mu.
type state struct {
	chans    map[pbx.CallID]*channel
	waiters  []*waiter
	regs     map[pbx.ExtensionID]map[string]pbx.Contact // registered contacts by URI
	devState map[pbx.ExtensionID]pbx.DeviceState
	mwi      map[pbx.MailboxID]pbx.MailboxCounts
	waiting  map[pbx.QueueID][]pbx.QueueCaller // queue callers, first served first
	agents   map[string]*agent                 // callcenter agents by name
	downAt   time.Time
	coreUUID string // the switch's Core-UUID, new at each start
}

func newState() state {
	return state{
		chans:    map[pbx.CallID]*channel{},
		regs:     map[pbx.ExtensionID]map[string]pbx.Contact{},
		devState: map[pbx.ExtensionID]pbx.DeviceState{},
		mwi:      map[pbx.MailboxID]pbx.MailboxCounts{},
		waiting:  map[pbx.QueueID][]pbx.QueueCaller{},
		agents:   map[string]*agent{},
	}
}

// await registers a waiter; the caller must call the returned cancel.
func (b *backend) await(match func(*esl.Event) bool) (<-chan *esl.Event, func()) {
	w := &waiter{match: match, ch: make(chan *esl.Event, 1)}
	b.mu.Lock()
	b.state.waiters = append(b.state.waiters, w)
	b.mu.Unlock()
	return w.ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.state.waiters = slices.DeleteFunc(b.state.waiters, func(x *waiter) bool { return x == w })
	}
}

// loop turns FreeSWITCH events into pbx events, in wire order, until Close.
func (b *backend) loop(ctx context.Context) {
	defer close(b.done)
	stale := false // events were lost: read the state again once caught up
	for {
		ev, err := b.sub.Next(ctx)
		if err != nil {
			return
		}
		if ev.Dropped > 0 {
			b.publishLocked(&pbx.EventsDropped{Count: int(ev.Dropped)})
			stale = true
		}
		switch ev.State {
		case esl.StateNone:
			b.handle(ctx, &ev)
			if stale && b.sub.Len() == 0 {
				// The events lost may have ended calls or registrations.
				stale = false
				b.resync(ctx, true)
			}
		case esl.StateConnected:
			id := b.readCoreUUID(ctx)
			b.mu.Lock()
			b.state.coreUUID = id
			b.mu.Unlock()
			b.resync(ctx, false)
		case esl.StateDisconnected:
			reason := "connection lost"
			if ev.Err != nil {
				reason = ev.Err.Error()
			}
			b.mu.Lock()
			b.state.downAt = time.Now()
			b.publish(&pbx.BackendDisconnected{Reason: reason})
			b.mu.Unlock()
		case esl.StateReconnected:
			id := b.readCoreUUID(ctx)
			b.mu.Lock()
			restarted := b.state.coreUUID != "" && id != "" && id != b.state.coreUUID
			if id != "" {
				b.state.coreUUID = id
			}
			b.publish(&pbx.BackendReconnected{Downtime: time.Since(b.state.downAt), Restarted: restarted})
			b.mu.Unlock()
			stale = false
			b.resync(ctx, true)
		case esl.StateClosed:
			return
		}
	}
}

// readCoreUUID returns the switch's Core-UUID, which FreeSWITCH makes anew
// at each start, or "" if it cannot be read.
func (b *backend) readCoreUUID(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	id, err := b.conn.API(ctx, "global_getvar", "core_uuid")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(id)
}

// handle maps one FreeSWITCH event. What needs a command (message counts,
// an agent's queues) is read first, still in order since the loop handles
// one event at a time.
func (b *backend) handle(ctx context.Context, ev *esl.Event) {
	var counts *pbx.MailboxCounts
	var ag *agent
	switch {
	case ev.Name() == "HEARTBEAT":
		// The switch's session count checks the mirror (events may have
		// been lost without a trace, to a FreeSWITCH that dropped them).
		b.mu.Lock()
		mirrored := len(b.state.chans)
		b.mu.Unlock()
		if n, err := strconv.Atoi(get(ev, "Session-Count")); err == nil && n != mirrored {
			b.log.Debug("the switch counts other channels than the events told: resynchronising", "switch", n, "events", mirrored)
			b.resync(ctx, true)
		}
		return
	case ev.Name() == "MESSAGE_WAITING":
		counts = b.mwiCounts(ctx, ev)
	case ev.Subclass == "vm::maintenance" && get(ev, "VM-Action") == "leave-message":
		counts = b.countsOf(ctx, get(ev, "VM-User"), get(ev, "VM-Domain"))
	case ev.Subclass == "callcenter::info" && (get(ev, "CC-Action") == "agent-status-change" || get(ev, "CC-Action") == "agent-state-change"):
		ag = b.agentInfo(ctx, get(ev, "CC-Agent"))
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	for i := 0; i < len(b.state.waiters); {
		if w := b.state.waiters[i]; w.match(ev) {
			w.ch <- ev
			b.state.waiters = slices.Delete(b.state.waiters, i, i+1)
			continue
		}
		i++
	}
	at := eventTime(ev)
	if at.IsZero() {
		at = time.Now()
	}
	h := pbx.EventHeader{Time: at}
	switch ev.Name() {
	case "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
		"CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HANGUP_COMPLETE":
		b.channelEvent(ev, h)
	case "MESSAGE_WAITING":
		if box := b.mailboxID(get(ev, "MWI-Message-Account")); box != "" {
			b.mailboxCounts(box, *counts, h, false)
		}
	case "CUSTOM":
		switch ev.Subclass {
		case "sofia::register", "sofia::unregister", "sofia::expire":
			b.registrationEvent(ev, h)
		case "conference::maintenance":
			b.conferenceEvent(ev, h)
		case "callcenter::info":
			b.callcenterEvent(ev, h, ag)
		case "vm::maintenance":
			b.voicemailEvent(ev, h, counts)
		}
	}
}

// channelEvent maps the channel lifecycle. b.mu is held.
func (b *backend) channelEvent(ev *esl.Event, h pbx.EventHeader) {
	id := callID(ev.UniqueID())
	if id == "" {
		return
	}
	ch := b.state.chans[id]
	switch ev.Name() {
	case "CHANNEL_CREATE":
		ch = &channel{Call: callFromEvent(ev)}
		b.state.chans[id] = ch
		b.publish(&pbx.CallStarted{EventHeader: h, Call: ch.snapshot(h.Time)})
	case "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA":
		if ch == nil || ch.rang {
			return
		}
		ch.update(ev)
		ch.rang = true
		if ch.State != pbx.CallStateUp {
			ch.State = pbx.CallStateRinging
		}
		b.publish(&pbx.CallRinging{EventHeader: h, Call: ch.snapshot(h.Time)})
	case "CHANNEL_ANSWER":
		if ch == nil {
			return
		}
		ch.update(ev)
		ch.State = pbx.CallStateUp
		if ch.Answered.IsZero() {
			ch.Answered = h.Time
		}
		b.publish(&pbx.CallAnswered{EventHeader: h, Call: ch.snapshot(h.Time)})
	case "CHANNEL_BRIDGE":
		legA := pbx.CallID(get(ev, "Bridge-A-Unique-ID"))
		if legA == "" {
			legA = id
		}
		legB := pbx.CallID(get(ev, "Bridge-B-Unique-ID"))
		if legB == "" {
			legB = pbx.CallID(get(ev, "Other-Leg-Unique-ID"))
		}
		for _, leg := range []pbx.CallID{legA, legB} {
			if c := b.state.chans[leg]; c != nil {
				c.BridgeID = string(legA)
				b.publish(&pbx.CallBridged{EventHeader: h, Call: c.snapshot(h.Time), BridgeID: c.BridgeID})
			}
		}
		return
	case "CHANNEL_UNBRIDGE":
		if ch == nil {
			return
		}
		for _, c := range b.state.chans {
			if c.BridgeID != "" && c.BridgeID == ch.BridgeID {
				c.BridgeID = ""
			}
		}
		return
	case "CHANNEL_HANGUP_COMPLETE":
		if ch == nil {
			ch = &channel{Call: callFromEvent(ev)}
		}
		ch.update(ev)
		delete(b.state.chans, id)
		cause := get(ev, "Hangup-Cause")
		if cause == "" {
			cause = get(ev, "variable_hangup_cause")
		}
		b.publish(&pbx.CallEnded{EventHeader: h, Call: ch.snapshot(h.Time),
			Cause: hangupCause(cause, get(ev, "variable_hangup_cause_q850")), CauseText: cause})
		// mod_cdr_csv writes the records of A legs only (legs="a", its
		// default), before the core fires CHANNEL_HANGUP_COMPLETE.
		if get(ev, "Other-Type") != "originator" {
			b.publish(&pbx.CDRPosted{EventHeader: h, CDR: cdrFromEvent(ev, cause)})
		}
	}
	b.updateDevice(ch.Extension, h, true)
}

// callFromEvent builds a call from a channel event's headers.
func callFromEvent(ev *esl.Event) pbx.Call {
	ch := channel{Call: pbx.Call{
		ID:      pbx.CallID(ev.UniqueID()),
		Channel: get(ev, "Channel-Name"),
		Started: usec(get(ev, "Caller-Channel-Created-Time")),
	}}
	if ch.Started.IsZero() {
		ch.Started = eventTime(ev)
	}
	ch.update(ev)
	return ch.Call
}

// update copies the fields a channel event carries. The caller ID of a
// FreeSWITCH leg is the party presented on it (for an originated leg, what
// the phone shows), its callee ID the party at the other end.
func (ch *channel) update(ev *esl.Event) {
	set := func(dst *string, header string) {
		if v, ok := ev.Lookup(header); ok && v != "_undef_" {
			*dst = v
		}
	}
	set(&ch.Caller.Name, "Caller-Caller-ID-Name")
	set(&ch.Caller.Number, "Caller-Caller-ID-Number")
	set(&ch.Connected.Name, "Caller-Callee-ID-Name")
	set(&ch.Connected.Number, "Caller-Callee-ID-Number")
	set(&ch.Context, "Caller-Context")
	set(&ch.Exten, "Caller-Destination-Number")
	set(&ch.AccountCode, "variable_accountcode")
	var linked string
	set(&linked, "Channel-Call-UUID")
	if linked != "" {
		ch.LinkedID = pbx.CallID(linked)
	}
	if st := get(ev, "Channel-Call-State"); st != "" && ch.State != pbx.CallStateUp {
		ch.State = callState(st)
	}
	presence := get(ev, "Channel-Presence-ID")
	if presence == "" {
		presence = get(ev, "variable_presence_id")
	}
	if ext := presenceExtension(presence); ext != "" {
		ch.Extension = ext
	}
	if t := usec(get(ev, "Caller-Channel-Answered-Time")); !t.IsZero() {
		ch.Answered = t
	}
}

// cdrFromEvent builds the record mod_cdr_csv writes for a leg from the
// variables of its CHANNEL_HANGUP_COMPLETE: the columns of its default
// template, so that CDRPosted and CDR queries agree.
func cdrFromEvent(ev *esl.Event, cause string) pbx.CDR {
	r := pbx.CDR{
		Caller:      pbx.Party{Name: get(ev, "Caller-Caller-ID-Name"), Number: get(ev, "Caller-Caller-ID-Number")},
		Src:         get(ev, "Caller-Caller-ID-Number"),
		Dst:         get(ev, "Caller-Destination-Number"),
		Context:     get(ev, "Caller-Context"),
		Start:       epochTime(get(ev, "variable_start_epoch")),
		Answer:      epochTime(get(ev, "variable_answer_epoch")),
		End:         epochTime(get(ev, "variable_end_epoch")),
		Duration:    seconds(get(ev, "variable_duration")),
		Billable:    seconds(get(ev, "variable_billsec")),
		AccountCode: get(ev, "variable_accountcode"),
		UniqueID:    pbx.CallID(ev.UniqueID()),
	}
	r.Disposition = cdrstore.HangupDisposition(cause, !r.Answer.IsZero())
	return r
}

// deviceState derives an extension's device state: unavailable unless
// registered, else from the states of its calls.
func deviceState(registered bool, calls []pbx.CallState) pbx.DeviceState {
	if !registered {
		return pbx.DeviceUnavailable
	}
	var up, ringing, held bool
	for _, st := range calls {
		switch st {
		case pbx.CallStateUp:
			up = true
		case pbx.CallStateRinging, pbx.CallStateDialing, pbx.CallStateDown:
			ringing = true
		case pbx.CallStateHeld:
			held = true
		}
	}
	switch {
	case up && ringing:
		return pbx.DeviceRingInUse
	case up:
		return pbx.DeviceInUse
	case held:
		return pbx.DeviceOnHold
	case ringing:
		return pbx.DeviceRinging
	}
	return pbx.DeviceNotInUse
}

// updateDevice recomputes an extension's device state from the mirror and
// reports a change (or records it silently). b.mu is held.
func (b *backend) updateDevice(ext pbx.ExtensionID, h pbx.EventHeader, report bool) {
	if ext == "" {
		return
	}
	var calls []pbx.CallState
	for _, ch := range b.state.chans {
		if ch.Extension == ext {
			calls = append(calls, ch.State)
		}
	}
	st := deviceState(len(b.state.regs[ext]) > 0, calls)
	if old, known := b.state.devState[ext]; known && old == st {
		return
	}
	b.state.devState[ext] = st
	if report {
		b.publish(&pbx.DeviceStateChanged{EventHeader: h, Extension: ext, Device: b.dialString(ext), State: st})
	}
}

// registrationEvent maps sofia::register, sofia::unregister and
// sofia::expire on the profiles the backend follows. b.mu is held.
func (b *backend) registrationEvent(ev *esl.Event, h pbx.EventHeader) {
	if !slices.Contains(b.opts.Profiles, get(ev, "profile-name")) {
		return
	}
	var ext pbx.ExtensionID
	for _, k := range []string{"from-user", "user", "username"} {
		if ext = pbx.ExtensionID(get(ev, k)); ext.Validate() == nil {
			break
		}
	}
	if ext.Validate() != nil {
		return
	}
	ct := pbx.Contact{URI: contactURI(get(ev, "contact")), UserAgent: get(ev, "user-agent"), IP: get(ev, "network-ip")}
	ct.Port, _ = strconv.Atoi(get(ev, "network-port"))
	regs := b.state.regs[ext]
	if ev.Subclass == "sofia::register" {
		if secs, err := strconv.Atoi(get(ev, "expires")); err == nil && secs > 0 {
			ct.Expires = h.Time.Add(time.Duration(secs) * time.Second).Truncate(time.Second)
		}
		if regs == nil {
			regs = map[string]pbx.Contact{}
			b.state.regs[ext] = regs
		}
		_, known := regs[ct.URI]
		regs[ct.URI] = ct
		if !known {
			b.publish(&pbx.ContactRegistered{EventHeader: h, Extension: ext, Contact: ct})
		}
	} else {
		if old, ok := regs[ct.URI]; ok {
			ct = old
		}
		delete(regs, ct.URI)
		if len(regs) == 0 {
			delete(b.state.regs, ext)
		}
		b.publish(&pbx.ContactUnregistered{EventHeader: h, Extension: ext, Contact: ct})
	}
	b.updateDevice(ext, h, true)
}

// resync reads the live state after a (re)connection, or after events were
// lost. With report set it publishes what changed meanwhile: calls that
// ended or started, contacts that registered or went away, devices that
// changed state.
func (b *backend) resync(ctx context.Context, report bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	calls, errCalls := b.showChannels(ctx)
	users, errUsers := b.listUsers(ctx, b.domain, "")
	regs, errRegs := b.registrations(ctx)
	var queues *queueState
	var errQueues error
	if b.caps.Has(pbx.CapQueues) {
		queues, errQueues = b.readQueueState(ctx)
	}
	h := pbx.EventHeader{Time: time.Now()}
	b.mu.Lock()
	defer b.mu.Unlock()
	touched := map[pbx.ExtensionID]bool{}
	if errCalls == nil {
		live := map[pbx.CallID]bool{}
		for _, call := range calls {
			live[call.ID] = true
			if _, known := b.state.chans[call.ID]; !known {
				b.state.chans[call.ID] = &channel{Call: call, rang: call.State != pbx.CallStateDown}
				touched[call.Extension] = true
				if report {
					b.publish(&pbx.CallStarted{EventHeader: h, Call: call})
				}
			}
		}
		for _, id := range slices.Sorted(maps.Keys(b.state.chans)) {
			if !live[id] {
				ch := b.state.chans[id]
				delete(b.state.chans, id)
				touched[ch.Extension] = true
				if report {
					b.publish(&pbx.CallEnded{EventHeader: h, Call: ch.snapshot(h.Time), CauseText: "ended while disconnected"})
				}
			}
		}
	}
	for _, u := range users { // their devices' states are known from now on
		touched[u.id] = true
	}
	if errRegs == nil {
		now := map[pbx.ExtensionID]map[string]pbx.Contact{}
		for _, r := range regs {
			if now[r.ext] == nil {
				now[r.ext] = map[string]pbx.Contact{}
			}
			now[r.ext][r.contact.URI] = r.contact
		}
		for _, ext := range slices.Sorted(maps.Keys(now)) {
			touched[ext] = true
			for _, uri := range slices.Sorted(maps.Keys(now[ext])) {
				if _, known := b.state.regs[ext][uri]; !known && report {
					b.publish(&pbx.ContactRegistered{EventHeader: h, Extension: ext, Contact: now[ext][uri]})
				}
			}
		}
		for _, ext := range slices.Sorted(maps.Keys(b.state.regs)) {
			touched[ext] = true
			for _, uri := range slices.Sorted(maps.Keys(b.state.regs[ext])) {
				if _, still := now[ext][uri]; !still && report {
					b.publish(&pbx.ContactUnregistered{EventHeader: h, Extension: ext, Contact: b.state.regs[ext][uri]})
				}
			}
		}
		b.state.regs = now
	}
	for _, ext := range slices.Sorted(maps.Keys(touched)) {
		b.updateDevice(ext, h, report)
	}
	if errQueues == nil && queues != nil {
		b.state.waiting, b.state.agents = queues.waiting, queues.agents
	}
	if errCalls != nil || errUsers != nil || errRegs != nil || errQueues != nil {
		b.log.Warn("resynchronising with the switch", "calls", errCalls, "users", errUsers, "registrations", errRegs, "queues", errQueues)
	}
}
