package astcore

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// channel is the Core's mirror of one live channel, built from events.
type channel struct {
	pbx.Call
	rang bool
}

// waiter is a one-shot wait for an AMI event, registered before the action
// that causes it is sent.
type waiter struct {
	match func(*ami.Message) bool
	ch    chan *ami.Message
}

// await registers a waiter; the caller must call the returned cancel.
func (c *Core) await(match func(*ami.Message) bool) (<-chan *ami.Message, func()) {
	w := &waiter{match: match, ch: make(chan *ami.Message, 1)}
	c.mu.Lock()
	c.waiters = append(c.waiters, w)
	c.mu.Unlock()
	return w.ch, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.waiters = slices.DeleteFunc(c.waiters, func(x *waiter) bool { return x == w })
	}
}

// roomState is what events tell of an active conference.
type roomState struct {
	started time.Time
}

// loop turns AMI events into pbx events until Close.
func (c *Core) loop(ctx context.Context) {
	defer close(c.done)
	for {
		ev, err := c.sub.Next(ctx)
		if err != nil {
			return
		}
		if ev.Dropped > 0 {
			c.publishLocked(&pbx.EventsDropped{Count: int(ev.Dropped)})
		}
		switch ev.State {
		case ami.StateNone:
			c.handle(ev.Message)
		case ami.StateConnected:
			c.startup = c.startupTime(ctx)
			c.resync(ctx, false)
		case ami.StateDisconnected:
			reason := "connection lost"
			if ev.Err != nil {
				reason = ev.Err.Error()
			}
			c.mu.Lock()
			c.downAt = c.cfg.Now()
			c.publish(&pbx.BackendDisconnected{Reason: reason})
			c.mu.Unlock()
		case ami.StateReconnected:
			c.shuttingDown.Store(false)
			startup := c.startupTime(ctx)
			restarted := c.startup != "" && startup != "" && startup != c.startup
			if startup != "" {
				c.startup = startup
			}
			c.mu.Lock()
			c.publish(&pbx.BackendReconnected{Downtime: c.cfg.Now().Sub(c.downAt), Restarted: restarted})
			c.mu.Unlock()
			c.resync(ctx, true)
		case ami.StateClosed:
			return
		}
	}
}

// handle maps one AMI event.
func (c *Core) handle(m *ami.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := 0; i < len(c.waiters); {
		if w := c.waiters[i]; w.match(m) {
			w.ch <- m
			c.waiters = slices.Delete(c.waiters, i, i+1)
			continue
		}
		i++
	}
	id := pbx.CallID(m.Get("Uniqueid"))
	switch m.Event() {
	case "Shutdown":
		c.shuttingDown.Store(true)
	case "Newchannel":
		ch := &channel{Call: callFromEvent(m, c.cfg.Now())}
		c.chans[ch.ID] = ch
		delete(c.ended, ch.ID) // a caller may reuse the ID it chose
		c.publish(&pbx.CallStarted{Call: ch.snapshot(c.cfg.Now())})
	case "Newstate":
		if ch := c.chans[id]; ch != nil {
			ch.State = astutil.ChannelState(m.Get("ChannelState"))
			ch.update(m)
			switch {
			case ch.State == pbx.CallStateRinging && !ch.rang:
				ch.rang = true
				c.publish(&pbx.CallRinging{Call: ch.snapshot(c.cfg.Now())})
			case ch.State == pbx.CallStateUp && ch.Answered.IsZero():
				ch.Answered = c.cfg.Now()
				c.publish(&pbx.CallAnswered{Call: ch.snapshot(c.cfg.Now())})
			}
		}
	case "NewCallerid", "NewConnectedLine", "Newexten", "VarSet", "NewAccountCode":
		if ch := c.chans[id]; ch != nil {
			ch.update(m)
		}
	case "BridgeEnter":
		if ch := c.chans[id]; ch != nil {
			ch.BridgeID = m.Get("BridgeUniqueid")
			ch.update(m)
			c.publish(&pbx.CallBridged{Call: ch.snapshot(c.cfg.Now()), BridgeID: ch.BridgeID})
		}
	case "BridgeLeave":
		if ch := c.chans[id]; ch != nil {
			ch.BridgeID = ""
		}
	case "Hangup":
		ch := c.chans[id]
		if ch == nil {
			ch = &channel{Call: callFromEvent(m, c.cfg.Now())}
		}
		delete(c.chans, id)
		c.markEnded(id)
		cause, _ := strconv.Atoi(m.Get("Cause"))
		c.publish(&pbx.CallEnded{Call: ch.snapshot(c.cfg.Now()), Cause: pbx.HangupCause(cause), CauseText: m.Get("Cause-txt")})
		for _, e := range c.cdrHold[id] {
			c.publish(e)
		}
		delete(c.cdrHold, id)
	case "Cdr":
		e := &pbx.CDRPosted{CDR: c.cdrFromEvent(m)}
		// cdr_manager posts the CDR before the Hangup events: hold it until
		// its channel has ended, so that CallEnded comes first.
		if _, live := c.chans[e.CDR.UniqueID]; live {
			c.cdrHold[e.CDR.UniqueID] = append(c.cdrHold[e.CDR.UniqueID], e)
		} else {
			c.publish(e)
		}
	case "DeviceStateChange":
		ext := deviceExtension(m.Get("Device"))
		if ext == "" {
			return
		}
		st := astutil.DeviceState(m.Get("State"))
		if c.devState[ext] != st {
			c.devState[ext] = st
			c.publish(&pbx.DeviceStateChanged{Extension: ext, Device: m.Get("Device"), State: st})
		}
	case "ContactStatus":
		c.contactStatus(m)
	case "ConfbridgeStart":
		room := pbx.ConferenceID(m.Get("Conference"))
		c.rooms[room] = &roomState{started: c.cfg.Now()}
		c.publish(&pbx.ConferenceStarted{Conference: room})
	case "ConfbridgeEnd":
		room := pbx.ConferenceID(m.Get("Conference"))
		delete(c.rooms, room)
		c.publish(&pbx.ConferenceEnded{Conference: room})
	case "ConfbridgeJoin":
		c.publish(&pbx.ConferenceJoined{Participant: participantFromEvent(m)})
	case "ConfbridgeLeave":
		c.publish(&pbx.ConferenceLeft{Participant: participantFromEvent(m)})
	case "ConfbridgeMute", "ConfbridgeUnmute":
		p := participantFromEvent(m)
		p.Muted = m.Event() == "ConfbridgeMute"
		c.publish(&pbx.ParticipantMuted{Participant: p, Muted: p.Muted})
	case "QueueCallerJoin":
		c.publish(&pbx.QueueCallerJoined{Queue: pbx.QueueID(m.Get("Queue")), Caller: queueCallerFromEvent(m)})
	case "QueueCallerAbandon":
		c.abandon[id] = true
	case "QueueCallerLeave":
		abandoned := c.abandon[id]
		delete(c.abandon, id)
		c.publish(&pbx.QueueCallerLeft{Queue: pbx.QueueID(m.Get("Queue")), Caller: queueCallerFromEvent(m), Abandoned: abandoned})
	case "QueueMemberAdded":
		c.publish(&pbx.QueueMemberAdded{Queue: pbx.QueueID(m.Get("Queue")), Member: memberFromEvent(m)})
	case "QueueMemberRemoved":
		c.publish(&pbx.QueueMemberRemoved{Queue: pbx.QueueID(m.Get("Queue")), Member: memberFromEvent(m)})
	case "QueueMemberPause", "QueueMemberPaused":
		mem := memberFromEvent(m)
		c.publish(&pbx.QueueMemberPaused{Queue: pbx.QueueID(m.Get("Queue")), Member: mem, Paused: mem.Paused})
	case "QueueMemberStatus":
		c.publish(&pbx.QueueMemberStatusChanged{Queue: pbx.QueueID(m.Get("Queue")), Member: memberFromEvent(m)})
	case "MessageWaiting":
		c.messageWaiting(m)
	}
}

// deviceExtension returns the extension of a device name ("PJSIP/1001").
func deviceExtension(device string) pbx.ExtensionID {
	return astutil.ChannelExtension(device)
}

// callFromEvent builds a call from a channel event's snapshot fields.
func callFromEvent(m *ami.Message, now time.Time) pbx.Call {
	call := pbx.Call{
		ID:       pbx.CallID(m.Get("Uniqueid")),
		LinkedID: pbx.CallID(m.Get("Linkedid")),
		Channel:  m.Get("Channel"),
		State:    astutil.ChannelState(m.Get("ChannelState")),
		Started:  now,
	}
	call.Extension = astutil.ChannelExtension(call.Channel)
	ch := channel{Call: call}
	ch.update(m)
	return ch.Call
}

// update copies the snapshot fields an event carries.
//
// The first half of a Local channel ("Local/1001@ctx-00000001;1") is
// always an outgoing channel, but Asterisk gives it the far end's identity
// as its caller ID once the far end answers (core_unreal copies the
// connected line across the halves), while its connected line keeps the
// caller ID it was originated or dialed with. Its Caller, the party
// presented to the extension, is therefore its connected line, and the
// other way around.
func (ch *channel) update(m *ami.Message) {
	caller, connected := &ch.Caller, &ch.Connected
	if astutil.IsLocalFirstHalf(ch.Channel) {
		caller, connected = connected, caller
	}
	if v, ok := m.Lookup("CallerIDNum"); ok {
		caller.Number = cleanCID(v)
	}
	if v, ok := m.Lookup("CallerIDName"); ok {
		caller.Name = cleanCID(v)
	}
	if v, ok := m.Lookup("ConnectedLineNum"); ok {
		connected.Number = cleanCID(v)
	}
	if v, ok := m.Lookup("ConnectedLineName"); ok {
		connected.Name = cleanCID(v)
	}
	if v, ok := m.Lookup("AccountCode"); ok {
		ch.AccountCode = v
	}
	if v, ok := m.Lookup("Context"); ok {
		ch.Context = v
	}
	if v, ok := m.Lookup("Exten"); ok {
		ch.Exten = v
	}
	if m.Event() == "Newexten" {
		ch.Application, ch.ApplicationData = m.Get("Application"), m.Get("AppData")
	}
}

// cleanCID turns Asterisk's "<unknown>" into "".
func cleanCID(v string) string {
	if v == "<unknown>" {
		return ""
	}
	return v
}

func (ch *channel) snapshot(now time.Time) pbx.Call {
	s := ch.Call
	s.Duration = now.Sub(ch.Started)
	return s
}

func (c *Core) cdrFromEvent(m *ami.Message) pbx.CDR {
	parse := func(key string) time.Time {
		t, _ := time.ParseInLocation(time.DateTime, m.Get(key), time.Local)
		return t
	}
	secs := func(key string) time.Duration {
		n, _ := strconv.Atoi(m.Get(key))
		return time.Duration(n) * time.Second
	}
	r := pbx.CDR{
		AccountCode: m.Get("AccountCode"), Src: m.Get("Source"), Dst: m.Get("Destination"),
		Context: m.Get("DestinationContext"), Caller: astutil.ParseCallerID(m.Get("CallerID")),
		Channel: m.Get("Channel"), DstChannel: m.Get("DestinationChannel"),
		LastApp: m.Get("LastApplication"), LastData: m.Get("LastData"),
		Start: parse("StartTime"), Answer: parse("AnswerTime"), End: parse("EndTime"),
		Duration: secs("Duration"), Billable: secs("BillableSeconds"),
		UniqueID: pbx.CallID(m.Get("UniqueID")),
	}
	r.Disposition, _ = pbx.ParseDisposition(m.Get("Disposition"))
	return r
}

func participantFromEvent(m *ami.Message) pbx.Participant {
	return pbx.Participant{
		ID:         pbx.ParticipantID(m.Get("Channel")),
		Conference: pbx.ConferenceID(m.Get("Conference")),
		CallID:     pbx.CallID(m.Get("Uniqueid")),
		Channel:    m.Get("Channel"),
		Caller:     pbx.Party{Name: cleanCID(m.Get("CallerIDName")), Number: cleanCID(m.Get("CallerIDNum"))},
		Admin:      yes(m.Get("Admin")),
		Marked:     yes(m.Get("MarkedUser")),
		Muted:      yes(m.Get("Muted")),
		Talking:    yes(m.Get("Talking")),
	}
}

func queueCallerFromEvent(m *ami.Message) pbx.QueueCaller {
	pos, _ := strconv.Atoi(m.Get("Position"))
	return pbx.QueueCaller{
		Position: pos, CallID: pbx.CallID(m.Get("Uniqueid")), Channel: m.Get("Channel"),
		Caller: pbx.Party{Name: cleanCID(m.Get("CallerIDName")), Number: cleanCID(m.Get("CallerIDNum"))},
	}
}

// memberFromEvent reads a queue member from QueueMember list items and the
// QueueMember* events (Interface is called Location in the list).
func memberFromEvent(m *ami.Message) pbx.QueueMember {
	iface := m.Get("Interface")
	if iface == "" {
		iface = m.Get("Location")
	}
	penalty, _ := strconv.Atoi(m.Get("Penalty"))
	taken, _ := strconv.Atoi(m.Get("CallsTaken"))
	mem := pbx.QueueMember{
		Interface: iface, Name: m.Get("MemberName"), Penalty: penalty, CallsTaken: taken,
		Paused: m.Get("Paused") == "1", PauseReason: m.Get("PausedReason"),
		Status:  astutil.DeviceState(m.Get("Status")),
		Dynamic: m.Get("Membership") == "dynamic",
	}
	if mem.Name == "" {
		mem.Name = m.Get("Name")
	}
	if last, _ := strconv.ParseInt(m.Get("LastCall"), 10, 64); last > 0 {
		mem.LastCall = time.Unix(last, 0)
	}
	return mem
}

func yes(v string) bool {
	return strings.EqualFold(v, "yes") || v == "1" || strings.EqualFold(v, "true")
}

// contactStatus maps PJSIP ContactStatus: the first status of a URI is a
// registration, Removed an unregistration, a later change a status change.
func (c *Core) contactStatus(m *ami.Message) {
	uri := m.Get("URI")
	ext := pbx.ExtensionID(m.Get("EndpointName"))
	if ext.Validate() != nil {
		ext = pbx.ExtensionID(m.Get("AOR"))
		if ext.Validate() != nil {
			return
		}
	}
	status := m.Get("ContactStatus")
	old, known := c.contacts[uri]
	ct := contactFromURI(uri)
	ct.Status = contactStatusWord(status)
	if us, err := strconv.ParseInt(m.Get("RoundtripUsec"), 10, 64); err == nil && us > 0 {
		ct.RTT = time.Duration(us) * time.Microsecond
	}
	if known {
		ct.UserAgent, ct.Expires = old.UserAgent, old.Expires
	}
	switch {
	case status == "Removed":
		delete(c.contacts, uri)
		c.publish(&pbx.ContactUnregistered{Extension: ext, Contact: ct})
	case !known:
		c.contacts[uri] = ct
		c.publish(&pbx.ContactRegistered{Extension: ext, Contact: ct})
	case old.Status != ct.Status:
		c.contacts[uri] = ct
		c.publish(&pbx.ContactStatusChanged{Extension: ext, Contact: ct})
	default:
		c.contacts[uri] = ct
	}
}

func contactStatusWord(s string) pbx.ContactStatus {
	switch s {
	case "Reachable":
		return pbx.ContactReachable
	case "Unreachable":
		return pbx.ContactUnreachable
	}
	return pbx.ContactUnknown
}

// contactFromURI fills a contact's IP and port from its URI
// ("sip:1001@127.0.0.1:5070;ob").
func contactFromURI(uri string) pbx.Contact {
	ct := pbx.Contact{URI: uri}
	rest := uri
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.IndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.IndexAny(rest, ";>?"); i >= 0 {
		rest = rest[:i]
	}
	if u, err := url.Parse("sip://" + rest); err == nil {
		ct.IP = u.Hostname()
		ct.Port, _ = strconv.Atoi(u.Port())
	}
	if ct.Port == 0 && ct.IP != "" {
		ct.Port = 5060
	}
	return ct
}

// messageWaiting maps MessageWaiting: new counts, and a new message when the
// count of new messages grew.
func (c *Core) messageWaiting(m *ami.Message) {
	box := c.mailboxID(m.Get("Mailbox"))
	if box == "" {
		return
	}
	counts := pbx.MailboxCounts{}
	counts.New, _ = strconv.Atoi(m.Get("New"))
	counts.Old, _ = strconv.Atoi(m.Get("Old"))
	if c.cfg.Spool != nil {
		counts = c.cfg.Spool.Counts(box)
	}
	prev, known := c.mwi[box]
	if known && counts.New > prev.New {
		c.publish(&pbx.VoicemailReceived{Mailbox: box, Counts: counts})
	}
	c.mailboxCounts(box, counts)
}

// mailboxCounts reports a mailbox's counts if they changed. c.mu must be held.
func (c *Core) mailboxCounts(box pbx.MailboxID, counts pbx.MailboxCounts) {
	if prev, known := c.mwi[box]; known && prev == counts {
		return
	}
	c.mwi[box] = counts
	c.publish(&pbx.MailboxChanged{Mailbox: box, Counts: counts})
}

// mailboxID turns Asterisk's "1001@default" into a MailboxID, dropping the
// default context.
func (c *Core) mailboxID(s string) pbx.MailboxID {
	box, ctx, _ := strings.Cut(s, "@")
	id := pbx.MailboxID(box)
	if ctx != "" && ctx != c.cfg.VoicemailContext {
		id = pbx.MailboxID(box + "@" + ctx)
	}
	if id.Validate() != nil {
		return ""
	}
	return id
}

// startupTime returns when Asterisk started, as CoreStatus tells it, or ""
// if it cannot tell (CoreStatus needs the system or reporting write
// class). A new value after a reconnection means that Asterisk restarted.
func (c *Core) startupTime(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m, err := c.conn.Do(ctx, action("CoreStatus"))
	if err != nil || m.Get("CoreStartupDate") == "" {
		return ""
	}
	return m.Get("CoreStartupDate") + " " + m.Get("CoreStartupTime")
}

// resync reads the live state after a (re)connection. After a reconnection
// it reports what changed while the connection was down: calls that ended
// or started, devices that changed state.
func (c *Core) resync(ctx context.Context, report bool) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	calls, errCalls := c.showChannels(ctx)
	states, errStates := c.deviceStates(ctx)
	now := c.cfg.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if errCalls == nil {
		live := map[pbx.CallID]bool{}
		for _, call := range calls {
			live[call.ID] = true
			if _, known := c.chans[call.ID]; !known {
				ch := &channel{Call: call, rang: true}
				c.chans[call.ID] = ch
				if report {
					c.publish(&pbx.CallStarted{Call: ch.snapshot(now)})
				}
			}
		}
		for _, id := range sortedIDs(c.chans) {
			if !live[id] {
				ch := c.chans[id]
				delete(c.chans, id)
				if report {
					c.publish(&pbx.CallEnded{Call: ch.snapshot(now), CauseText: "ended while disconnected"})
				}
			}
		}
		for id, held := range c.cdrHold {
			if !live[id] {
				for _, e := range held {
					c.publish(e)
				}
				delete(c.cdrHold, id)
			}
		}
	}
	if errStates == nil {
		for _, ext := range sortedIDs(states) {
			st := states[ext]
			if c.devState[ext] != st {
				c.devState[ext] = st
				if report {
					c.publish(&pbx.DeviceStateChanged{Extension: ext, Device: "PJSIP/" + string(ext), State: st})
				}
			}
		}
	}
	if errCalls != nil || errStates != nil {
		c.log.Warn("resynchronising after connecting", "calls", errCalls, "devices", errStates)
	}
}

func sortedIDs[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
