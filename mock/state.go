package mock

import (
	"slices"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// room is an active conference.
type room struct {
	id      pbx.ConferenceID
	locked  bool
	started time.Time
	parts   []*participant
}

type participant struct {
	pbx.Participant
	call *call
}

func (r *room) info() pbx.Conference {
	c := pbx.Conference{ID: r.id, Parties: len(r.parts), Locked: r.locked, Started: r.started}
	for _, p := range r.parts {
		if p.Marked {
			c.Marked++
		}
	}
	return c
}

// join puts an answered leg into a room, creating the room if needed. It
// reports false if the room is locked. p.mu must be held.
func (p *PBX) join(c *call, id pbx.ConferenceID) bool {
	r := p.rooms[id]
	if r != nil && r.locked {
		return false
	}
	if r == nil {
		r = &room{id: id, started: p.now()}
		p.rooms[id] = r
		p.emit(&pbx.ConferenceStarted{Conference: id})
	}
	part := &participant{call: c, Participant: pbx.Participant{
		ID: pbx.ParticipantID(c.Channel), Conference: id, CallID: c.ID, Channel: c.Channel,
		Caller: pbx.Party{Name: c.Caller.Name, Number: string(c.Extension)}, Joined: p.now(),
	}}
	if c.ext != nil {
		part.Caller.Name = c.ext.Name
	}
	if part.Caller.Number == "" {
		part.Caller = c.Caller
	}
	r.parts = append(r.parts, part)
	c.room = id
	p.emit(&pbx.ConferenceJoined{Participant: part.Participant})
	return true
}

// leave takes a leg out of its room, ending the room when it empties.
func (p *PBX) leave(c *call) {
	r := p.rooms[c.room]
	c.room = ""
	if r == nil {
		return
	}
	i := slices.IndexFunc(r.parts, func(x *participant) bool { return x.call == c })
	if i < 0 {
		return
	}
	part := r.parts[i]
	r.parts = slices.Delete(r.parts, i, i+1)
	p.emit(&pbx.ConferenceLeft{Participant: part.Participant})
	if len(r.parts) == 0 {
		delete(p.rooms, r.id)
		p.emit(&pbx.ConferenceEnded{Conference: r.id})
	}
}

func (p *PBX) participant(id pbx.ConferenceID, pid pbx.ParticipantID) (*room, *participant, error) {
	r := p.rooms[id]
	if r == nil {
		return nil, nil, notFound("no active conference %s", id)
	}
	for _, part := range r.parts {
		if part.ID == pid {
			return r, part, nil
		}
	}
	return nil, nil, notFound("no participant %s in conference %s", pid, id)
}

// queue is a call queue.
type queue struct {
	id        pbx.QueueID
	strategy  pbx.QueueStrategy
	config    pbx.QueueConfig // Name, RingTimeout, MaxWait, MaxCallers
	members   []*pbx.QueueMember
	callers   []*queued
	completed int
	abandoned int
	holdTotal time.Duration
	talkTotal time.Duration
}

type queued struct {
	call   *call
	joined time.Time
}

// AddQueue creates a queue with static members (the outside world's
// provisioning).
func (p *PBX) AddQueue(id pbx.QueueID, strategy pbx.QueueStrategy, members ...pbx.QueueMember) error {
	if err := id.Validate(); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.queues[id] != nil {
		return pbx.Errorf(pbx.AlreadyExists, "queue %s exists", id)
	}
	q := &queue{id: id, strategy: strategy}
	for _, m := range members {
		m := m
		q.members = append(q.members, &m)
	}
	p.queues[id] = q
	return nil
}

// configuration returns the queue's provisioned configuration.
func (q *queue) configuration() pbx.QueueConfig {
	cfg := q.config
	cfg.ID, cfg.Strategy, cfg.Members = q.id, q.strategy, []pbx.QueueMember{}
	for _, m := range q.members {
		if !m.Dynamic {
			cfg.Members = append(cfg.Members, pbx.QueueMember{Interface: m.Interface, Penalty: m.Penalty})
		}
	}
	return cfg
}

// configure applies a configuration: static members are replaced, dynamic
// ones kept.
func (q *queue) configure(cfg *pbx.QueueConfig) {
	q.strategy = cfg.Strategy
	q.config = pbx.QueueConfig{Name: cfg.Name, RingTimeout: cfg.RingTimeout, MaxWait: cfg.MaxWait, MaxCallers: cfg.MaxCallers}
	q.members = slices.DeleteFunc(q.members, func(m *pbx.QueueMember) bool { return !m.Dynamic })
	for _, m := range cfg.Members {
		q.members = append(q.members, &pbx.QueueMember{Interface: m.Interface, Name: m.Interface, Penalty: m.Penalty})
	}
}

func (p *PBX) queueInfo(q *queue) pbx.Queue {
	out := pbx.Queue{
		ID: q.id, Strategy: q.strategy, Waiting: len(q.callers),
		Completed: q.completed, Abandoned: q.abandoned,
		Members: make([]pbx.QueueMember, 0, len(q.members)), Callers: make([]pbx.QueueCaller, 0, len(q.callers)),
	}
	if n := q.completed; n > 0 {
		out.HoldTime = (q.holdTotal / time.Duration(n)).Truncate(time.Second)
		out.TalkTime = (q.talkTotal / time.Duration(n)).Truncate(time.Second)
	}
	for _, m := range q.members {
		out.Members = append(out.Members, p.memberInfo(m))
	}
	for i, c := range q.callers {
		out.Callers = append(out.Callers, p.callerInfo(c, i))
	}
	return out
}

func (p *PBX) memberInfo(m *pbx.QueueMember) pbx.QueueMember {
	info := *m
	info.Status = pbx.DeviceInvalid
	if x := p.exts[pbx.InterfaceExtension(m.Interface)]; x != nil {
		info.Status = p.deviceState(x)
	}
	return info
}

func (p *PBX) callerInfo(c *queued, i int) pbx.QueueCaller {
	return pbx.QueueCaller{Position: i + 1, CallID: c.call.ID, Channel: c.call.Channel, Caller: c.call.Caller, Joined: c.joined}
}

// QueueCall places an outside call from caller into a queue, as if it came
// in on a trunk, and returns the caller's call ID. It emits CallStarted,
// CallAnswered and QueueCallerJoined.
func (p *PBX) QueueCall(id pbx.QueueID, caller pbx.Party) (pbx.CallID, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.queueCall(id, caller)
}

func (p *PBX) queueCall(id pbx.QueueID, caller pbx.Party) (pbx.CallID, error) {
	q := p.queues[id]
	if q == nil {
		return "", notFound("no queue %s", id)
	}
	p.calledIn++
	c := p.newLeg(nil, "", "", caller)
	c.owner, c.dst, c.Context = true, string(id), "from-trunk"
	p.answer(c, nil)
	c.Application, c.ApplicationData = "Queue", string(id)
	c.queue = id
	q.callers = append(q.callers, &queued{call: c, joined: p.now()})
	p.emit(&pbx.QueueCallerJoined{Queue: id, Caller: p.callerInfo(q.callers[len(q.callers)-1], len(q.callers)-1)})
	return c.ID, nil
}

// ServeQueueCaller connects the queue's first caller to the first unpaused
// member whose device is free and not in do-not-disturb, as app_queue would. It fails with
// FailedPrecondition if no caller waits or no member is free.
func (p *PBX) ServeQueueCaller(id pbx.QueueID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.serveQueueCaller(id)
}

func (p *PBX) serveQueueCaller(id pbx.QueueID) error {
	q := p.queues[id]
	if q == nil {
		return notFound("no queue %s", id)
	}
	if len(q.callers) == 0 {
		return pbx.Errorf(pbx.FailedPrecondition, "nobody waits in queue %s", id)
	}
	for _, m := range q.members {
		x := p.exts[pbx.InterfaceExtension(m.Interface)]
		if m.Paused || x == nil || x.dnd || p.deviceState(x) != pbx.DeviceNotInUse {
			continue
		}
		c := q.callers[0].call
		q.holdTotal += p.now().Sub(q.callers[0].joined)
		p.dequeue(c, false)
		q.completed++
		m.CallsTaken++
		m.LastCall = p.now()
		p.dial(c, string(x.ID))
		return nil
	}
	return pbx.Errorf(pbx.FailedPrecondition, "no member of queue %s is free", id)
}

// dequeue takes a caller out of its queue.
func (p *PBX) dequeue(c *call, abandoned bool) {
	q := p.queues[c.queue]
	c.queue = ""
	if q == nil {
		return
	}
	i := slices.IndexFunc(q.callers, func(x *queued) bool { return x.call == c })
	if i < 0 {
		return
	}
	info := p.callerInfo(q.callers[i], i)
	q.callers = slices.Delete(q.callers, i, i+1)
	if abandoned {
		q.abandoned++
	}
	p.emit(&pbx.QueueCallerLeft{Queue: q.id, Caller: info, Abandoned: abandoned})
}

func (q *queue) member(iface string) (*pbx.QueueMember, error) {
	for _, m := range q.members {
		if m.Interface == iface {
			return m, nil
		}
	}
	return nil, notFound("no member %s in queue %s", iface, q.id)
}

// mailbox is a voicemail box with its six folders.
type mailbox struct {
	id      pbx.MailboxID
	name    string
	folders [len(pbx.Folders)][]*message
}

// message is a voicemail message; its audio is synthesised on demand.
type message struct {
	pbx.Message
	tone float64 // Hz
}

func (b *mailbox) counts() pbx.MailboxCounts {
	return pbx.MailboxCounts{
		New:    len(b.folders[pbx.FolderInbox.Index()]),
		Old:    len(b.folders[pbx.FolderOld.Index()]),
		Urgent: len(b.folders[pbx.FolderUrgent.Index()]),
	}
}

func (b *mailbox) find(id pbx.MessageID) (folder, index int, err error) {
	for f, msgs := range b.folders {
		for i, m := range msgs {
			if m.ID == id {
				return f, i, nil
			}
		}
	}
	return 0, 0, notFound("no message %s in mailbox %s", id, b.id)
}

// renumber gives a folder's messages consecutive numbers from 0, as
// app_voicemail does after a move or delete.
func (b *mailbox) renumber(f int) {
	for i, m := range b.folders[f] {
		m.Number = i
	}
}

// LeaveVoicemail delivers a new message to a mailbox's INBOX, as if a caller
// had left it, and returns its ID. It emits VoicemailReceived and
// MailboxChanged.
func (p *PBX) LeaveVoicemail(box pbx.MailboxID, caller pbx.Party, duration time.Duration) (pbx.MessageID, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.leaveVoicemail(box, caller, duration, p.now(), pbx.FolderInbox)
}

func (p *PBX) leaveVoicemail(box pbx.MailboxID, caller pbx.Party, duration time.Duration, at time.Time, f pbx.Folder) (pbx.MessageID, error) {
	b := p.boxes[box]
	if b == nil {
		return "", notFound("no mailbox %s", box)
	}
	if duration <= 0 {
		duration = 5 * time.Second
	}
	duration = duration.Truncate(time.Second)
	fi := f.Index()
	m := &message{tone: 330 + float64(p.rng.IntN(400)), Message: pbx.Message{
		ID: pbx.MessageID(p.newID()), Mailbox: box, Folder: f, Number: len(b.folders[fi]),
		Caller: caller, Time: at, Duration: duration, ContentType: "audio/wav",
	}}
	m.Size = wavSize(duration)
	b.folders[fi] = append(b.folders[fi], m)
	msg := m.Message
	p.emit(&pbx.VoicemailReceived{Mailbox: box, Message: &msg, Counts: b.counts()})
	p.emit(&pbx.MailboxChanged{Mailbox: box, Counts: b.counts()})
	return m.ID, nil
}

// messages returns a mailbox's messages in one folder or all.
func (b *mailbox) messages(folder pbx.Folder) []pbx.Message {
	out := []pbx.Message{}
	for f, msgs := range b.folders {
		if folder != "" && f != folder.Index() {
			continue
		}
		for _, m := range msgs {
			out = append(out, m.Message)
		}
	}
	return out
}

func (p *PBX) mailbox(id pbx.MailboxID) (*mailbox, error) {
	b := p.boxes[id]
	if b == nil {
		return nil, notFound("no mailbox %s", id)
	}
	return b, nil
}

func (b *mailbox) info() pbx.Mailbox {
	return pbx.Mailbox{ID: b.id, Name: b.name, Counts: b.counts()}
}
