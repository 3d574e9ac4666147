package mock

import (
	"bytes"
	"context"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// conn is one client's connection to the PBX: the pbx.Backend.
type conn struct {
	p     *PBX
	owner bool // closing the connection closes the PBX (URL-opened)

	mu     sync.Mutex
	sink   pbx.EventSink
	closed bool
}

var (
	_ pbx.Backend            = (*conn)(nil)
	_ pbx.ExtensionBackend   = (*conn)(nil)
	_ pbx.DeviceBackend      = (*conn)(nil)
	_ pbx.CallBackend        = (*conn)(nil)
	_ pbx.VoicemailBackend   = (*conn)(nil)
	_ pbx.ConferenceBackend  = (*conn)(nil)
	_ pbx.QueueBackend       = (*conn)(nil)
	_ pbx.CDRBackend         = (*conn)(nil)
	_ pbx.SystemBackend      = (*conn)(nil)
	_ pbx.QueueConfigBackend = (*conn)(nil)
	_ pbx.RoomBackend        = (*conn)(nil)
	_ pbx.RecordingBackend   = (*conn)(nil)
)

func (p *PBX) newConn(owner bool) *conn { return &conn{p: p, owner: owner} }

func (c *conn) Name() string { return "mock" }

// Capabilities declares everything, unless Options.Disable removed some.
func (c *conn) Capabilities() pbx.Capabilities { return c.p.caps }

func (c *conn) Attach(sink pbx.EventSink) {
	c.mu.Lock()
	c.sink = sink
	c.mu.Unlock()
	c.p.mu.Lock()
	c.p.conns = append(c.p.conns, c)
	c.p.mu.Unlock()
}

func (c *conn) publish(e pbx.Event) {
	c.mu.Lock()
	sink, closed := c.sink, c.closed
	c.mu.Unlock()
	if sink != nil && !closed {
		sink.Publish(e)
	}
}

// ErrorCode classifies errors: the mock returns coded errors only, so
// anything else is internal.
func (c *conn) ErrorCode(error) pbx.ErrorCode { return pbx.Internal }

// As supports *PBX: it reaches the PBX behind the client.
func (c *conn) As(target any) bool {
	if t, ok := target.(**PBX); ok {
		*t = c.p
		return true
	}
	return false
}

func (c *conn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.p.mu.Lock()
	c.p.conns = slices.DeleteFunc(c.p.conns, func(x *conn) bool { return x == c })
	c.p.mu.Unlock()
	if c.owner {
		c.p.Close()
	}
	return nil
}

// do runs fn with the PBX locked, after latency, injected failures and the
// down check.
func do[T any](ctx context.Context, c *conn, op string, fn func() (T, error)) (T, error) {
	if err := c.p.enter(ctx, op); err != nil {
		var zero T
		return zero, err
	}
	defer c.p.mu.Unlock()
	return fn()
}

func do0(ctx context.Context, c *conn, op string, fn func() error) error {
	_, err := do(ctx, c, op, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

// Extensions.

func (c *conn) ListExtensions(ctx context.Context) ([]pbx.Extension, error) {
	return do(ctx, c, "Extensions.List", func() ([]pbx.Extension, error) {
		out := make([]pbx.Extension, 0, len(c.p.exts))
		for _, x := range c.p.exts {
			out = append(out, x.Extension)
		}
		return out, nil
	})
}

func (c *conn) GetExtension(ctx context.Context, id pbx.ExtensionID) (*pbx.Extension, error) {
	return do(ctx, c, "Extensions.Get", func() (*pbx.Extension, error) {
		x, err := c.p.ext(id)
		if err != nil {
			return nil, err
		}
		e := x.Extension
		return &e, nil
	})
}

func (c *conn) CreateExtension(ctx context.Context, e *pbx.Extension) error {
	return do0(ctx, c, "Extensions.Create", func() error {
		ext := *e
		return c.p.addExtension(&ext, string(e.Secret))
	})
}

func (c *conn) UpdateExtension(ctx context.Context, e *pbx.Extension) error {
	return do0(ctx, c, "Extensions.Update", func() error {
		x, err := c.p.ext(e.ID)
		if err != nil {
			return err
		}
		if e.Secret != "" {
			x.secret = string(e.Secret)
		}
		tech := e.Tech
		if tech == pbx.TechUnknown {
			tech = x.Tech
		}
		ctxName := e.Context
		if ctxName == "" {
			ctxName = x.Context
		}
		x.Extension = *e
		x.Tech, x.Context, x.Secret, x.Dial = tech, ctxName, "", dialString(tech, e.ID)
		if e.Mailbox != "" && c.p.boxes[e.Mailbox] == nil {
			c.p.boxes[e.Mailbox] = &mailbox{id: e.Mailbox, name: e.Name}
		}
		c.p.emit(&pbx.ExtensionUpdated{Extension: x.Extension})
		return nil
	})
}

func (c *conn) DeleteExtension(ctx context.Context, id pbx.ExtensionID) error {
	return do0(ctx, c, "Extensions.Delete", func() error {
		if _, err := c.p.ext(id); err != nil {
			return err
		}
		delete(c.p.exts, id)
		c.p.emit(&pbx.ExtensionDeleted{ID: id})
		return nil
	})
}

func (c *conn) SetSecret(ctx context.Context, id pbx.ExtensionID, secret string) error {
	return do0(ctx, c, "Extensions.ResetSecret", func() error {
		x, err := c.p.ext(id)
		if err != nil {
			return err
		}
		x.secret = secret
		c.p.emit(&pbx.ExtensionUpdated{Extension: x.Extension})
		return nil
	})
}

func (c *conn) RevealSecret(ctx context.Context, id pbx.ExtensionID) (string, error) {
	return do(ctx, c, "Extensions.RevealSecret", func() (string, error) {
		x, err := c.p.ext(id)
		if err != nil {
			return "", err
		}
		return x.secret, nil
	})
}

// Devices.

func (c *conn) ListDevices(ctx context.Context) ([]pbx.Device, error) {
	return do(ctx, c, "Devices.List", func() ([]pbx.Device, error) {
		out := make([]pbx.Device, 0, len(c.p.exts))
		for _, x := range c.p.exts {
			if x.Tech != pbx.TechVirtual {
				out = append(out, c.p.device(x))
			}
		}
		return out, nil
	})
}

func (c *conn) GetDevice(ctx context.Context, ext pbx.ExtensionID) (*pbx.Device, error) {
	return do(ctx, c, "Devices.Get", func() (*pbx.Device, error) {
		x, err := c.p.ext(ext)
		if err != nil {
			return nil, err
		}
		d := c.p.device(x)
		return &d, nil
	})
}

func (c *conn) DND(ctx context.Context, ext pbx.ExtensionID) (bool, error) {
	return do(ctx, c, "Devices.DND", func() (bool, error) {
		x, err := c.p.ext(ext)
		return err == nil && x.dnd, err
	})
}

func (c *conn) SetDND(ctx context.Context, ext pbx.ExtensionID, on bool) error {
	return do0(ctx, c, "Devices.SetDND", func() error {
		x, err := c.p.ext(ext)
		if err != nil {
			return err
		}
		x.dnd = on
		c.p.emit(&pbx.DNDChanged{Extension: ext, Enabled: on})
		return nil
	})
}

func (c *conn) CallWaiting(ctx context.Context, ext pbx.ExtensionID) (bool, error) {
	return do(ctx, c, "Devices.CallWaiting", func() (bool, error) {
		x, err := c.p.ext(ext)
		return err == nil && !x.noCW, err
	})
}

func (c *conn) SetCallWaiting(ctx context.Context, ext pbx.ExtensionID, on bool) error {
	return do0(ctx, c, "Devices.SetCallWaiting", func() error {
		x, err := c.p.ext(ext)
		if err != nil {
			return err
		}
		x.noCW = !on
		c.p.emit(&pbx.CallWaitingChanged{Extension: ext, Enabled: on})
		return nil
	})
}

func (c *conn) Forward(ctx context.Context, ext pbx.ExtensionID) (pbx.CallForward, error) {
	return do(ctx, c, "Devices.Forward", func() (pbx.CallForward, error) {
		x, err := c.p.ext(ext)
		if err != nil {
			return pbx.CallForward{}, err
		}
		return x.forward, nil
	})
}

func (c *conn) SetForward(ctx context.Context, ext pbx.ExtensionID, f pbx.CallForward) error {
	return do0(ctx, c, "Devices.SetForward", func() error {
		x, err := c.p.ext(ext)
		if err != nil {
			return err
		}
		x.forward = f
		c.p.emit(&pbx.ForwardChanged{Extension: ext, Forward: f})
		return nil
	})
}

func (c *conn) FollowMe(ctx context.Context, ext pbx.ExtensionID) (*pbx.FollowMe, error) {
	return do(ctx, c, "Devices.FollowMe", func() (*pbx.FollowMe, error) {
		x, err := c.p.ext(ext)
		if err != nil {
			return nil, err
		}
		f := x.followMe
		f.Numbers = slices.Clone(f.Numbers)
		if f.Numbers == nil {
			f.Numbers = []string{}
		}
		return &f, nil
	})
}

func (c *conn) SetFollowMe(ctx context.Context, ext pbx.ExtensionID, f *pbx.FollowMe) error {
	return do0(ctx, c, "Devices.SetFollowMe", func() error {
		x, err := c.p.ext(ext)
		if err != nil {
			return err
		}
		x.followMe = *f
		c.p.emit(&pbx.FollowMeChanged{Extension: ext, FollowMe: *f})
		return nil
	})
}

// Calls.

func (c *conn) ListCalls(ctx context.Context) ([]pbx.Call, error) {
	return do(ctx, c, "Calls.List", func() ([]pbx.Call, error) {
		out := make([]pbx.Call, 0, len(c.p.calls))
		for _, call := range c.p.calls {
			out = append(out, c.p.snapshot(call))
		}
		return out, nil
	})
}

func (c *conn) GetCall(ctx context.Context, id pbx.CallID) (*pbx.Call, error) {
	return do(ctx, c, "Calls.Get", func() (*pbx.Call, error) {
		call := c.p.calls[id]
		if call == nil {
			return nil, notFound("no call %s", id)
		}
		s := c.p.snapshot(call)
		return &s, nil
	})
}

func (c *conn) Originate(ctx context.Context, req *pbx.OriginateRequest) error {
	return do0(ctx, c, "Calls.Originate", func() error { return c.p.originate(req) })
}

func (c *conn) Hangup(ctx context.Context, id pbx.CallID) error {
	return do0(ctx, c, "Calls.Hangup", func() error {
		call := c.p.calls[id]
		if call == nil {
			return notFound("no call %s", id)
		}
		c.p.hangupGroup(call, pbx.CauseNormal)
		return nil
	})
}

// Transfer ignores the dialplan context: the mock has one numbering plan.
func (c *conn) Transfer(ctx context.Context, id pbx.CallID, to, _ string) error {
	return do0(ctx, c, "Calls.Transfer", func() error {
		call := c.p.calls[id]
		if call == nil {
			return notFound("no call %s", id)
		}
		c.p.transfer(call, to)
		return nil
	})
}

// Voicemail.

func (c *conn) Mailboxes(ctx context.Context) ([]pbx.Mailbox, error) {
	return do(ctx, c, "Voicemail.Mailboxes", func() ([]pbx.Mailbox, error) {
		out := make([]pbx.Mailbox, 0, len(c.p.boxes))
		for _, b := range c.p.boxes {
			out = append(out, b.info())
		}
		return out, nil
	})
}

func (c *conn) Mailbox(ctx context.Context, id pbx.MailboxID) (*pbx.Mailbox, error) {
	return do(ctx, c, "Voicemail.Mailbox", func() (*pbx.Mailbox, error) {
		b, err := c.p.mailbox(id)
		if err != nil {
			return nil, err
		}
		info := b.info()
		return &info, nil
	})
}

func (c *conn) Messages(ctx context.Context, id pbx.MailboxID, folder pbx.Folder) ([]pbx.Message, error) {
	return do(ctx, c, "Voicemail.Messages", func() ([]pbx.Message, error) {
		b, err := c.p.mailbox(id)
		if err != nil {
			return nil, err
		}
		return b.messages(folder), nil
	})
}

func (c *conn) Audio(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID) (*pbx.Audio, error) {
	return do(ctx, c, "Voicemail.Audio", func() (*pbx.Audio, error) {
		b, err := c.p.mailbox(id)
		if err != nil {
			return nil, err
		}
		f, i, err := b.find(msg)
		if err != nil {
			return nil, err
		}
		m := b.folders[f][i]
		data := wavTone(m.Duration, m.tone)
		return &pbx.Audio{ReadCloser: io.NopCloser(bytes.NewReader(data)), ContentType: m.ContentType, Size: int64(len(data))}, nil
	})
}

func (c *conn) MoveMessage(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID, to pbx.Folder) (*pbx.Message, error) {
	return do(ctx, c, "Voicemail.Move", func() (*pbx.Message, error) {
		b, err := c.p.mailbox(id)
		if err != nil {
			return nil, err
		}
		f, i, err := b.find(msg)
		if err != nil {
			return nil, err
		}
		m := b.folders[f][i]
		if t := to.Index(); t != f {
			b.folders[f] = slices.Delete(b.folders[f], i, i+1)
			b.renumber(f)
			m.Folder = to
			b.folders[t] = append(b.folders[t], m)
			b.renumber(t)
			c.p.emit(&pbx.MailboxChanged{Mailbox: id, Counts: b.counts()})
		}
		out := m.Message
		return &out, nil
	})
}

func (c *conn) DeleteMessage(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID) error {
	return do0(ctx, c, "Voicemail.Delete", func() error {
		b, err := c.p.mailbox(id)
		if err != nil {
			return err
		}
		f, i, err := b.find(msg)
		if err != nil {
			return err
		}
		b.folders[f] = slices.Delete(b.folders[f], i, i+1)
		b.renumber(f)
		c.p.emit(&pbx.MailboxChanged{Mailbox: id, Counts: b.counts()})
		return nil
	})
}

// Conferences.

func (c *conn) Conferences(ctx context.Context) ([]pbx.Conference, error) {
	return do(ctx, c, "Conferences.List", func() ([]pbx.Conference, error) {
		out := make([]pbx.Conference, 0, len(c.p.rooms))
		for _, r := range c.p.rooms {
			out = append(out, r.info())
		}
		return out, nil
	})
}

func (c *conn) Participants(ctx context.Context, id pbx.ConferenceID) ([]pbx.Participant, error) {
	return do(ctx, c, "Conferences.Participants", func() ([]pbx.Participant, error) {
		r := c.p.rooms[id]
		if r == nil {
			return nil, notFound("no active conference %s", id)
		}
		out := make([]pbx.Participant, 0, len(r.parts))
		for _, part := range r.parts {
			out = append(out, part.Participant)
		}
		return out, nil
	})
}

func (c *conn) Kick(ctx context.Context, id pbx.ConferenceID, pid pbx.ParticipantID) error {
	return do0(ctx, c, "Conferences.Kick", func() error {
		_, part, err := c.p.participant(id, pid)
		if err != nil {
			return err
		}
		c.p.hangupGroup(part.call, pbx.CauseNormal)
		return nil
	})
}

func (c *conn) Mute(ctx context.Context, id pbx.ConferenceID, pid pbx.ParticipantID, muted bool) error {
	return do0(ctx, c, "Conferences.Mute", func() error {
		_, part, err := c.p.participant(id, pid)
		if err != nil {
			return err
		}
		part.Muted = muted
		c.p.emit(&pbx.ParticipantMuted{Participant: part.Participant, Muted: muted})
		return nil
	})
}

func (c *conn) Lock(ctx context.Context, id pbx.ConferenceID, locked bool) error {
	return do0(ctx, c, "Conferences.Lock", func() error {
		r := c.p.rooms[id]
		if r == nil {
			return notFound("no active conference %s", id)
		}
		r.locked = locked
		c.p.emit(&pbx.ConferenceLocked{Conference: id, Locked: locked})
		return nil
	})
}

// Queues.

func (c *conn) Queues(ctx context.Context) ([]pbx.Queue, error) {
	return do(ctx, c, "Queues.List", func() ([]pbx.Queue, error) {
		out := make([]pbx.Queue, 0, len(c.p.queues))
		for _, q := range c.p.queues {
			out = append(out, c.p.queueInfo(q))
		}
		return out, nil
	})
}

func (c *conn) Queue(ctx context.Context, id pbx.QueueID) (*pbx.Queue, error) {
	return do(ctx, c, "Queues.Get", func() (*pbx.Queue, error) {
		q := c.p.queues[id]
		if q == nil {
			return nil, notFound("no queue %s", id)
		}
		info := c.p.queueInfo(q)
		return &info, nil
	})
}

func (c *conn) AddMember(ctx context.Context, id pbx.QueueID, m *pbx.QueueMember) error {
	return do0(ctx, c, "Queues.AddMember", func() error {
		q := c.p.queues[id]
		if q == nil {
			return notFound("no queue %s", id)
		}
		if _, err := q.member(m.Interface); err == nil {
			return pbx.Errorf(pbx.AlreadyExists, "%s is a member of queue %s", m.Interface, id)
		}
		member := &pbx.QueueMember{Interface: m.Interface, Name: m.Name, Penalty: m.Penalty, Paused: m.Paused, PauseReason: m.PauseReason, Dynamic: true}
		if member.Name == "" {
			member.Name = m.Interface
		}
		q.members = append(q.members, member)
		c.p.emit(&pbx.QueueMemberAdded{Queue: id, Member: c.p.memberInfo(member)})
		return nil
	})
}

func (c *conn) RemoveMember(ctx context.Context, id pbx.QueueID, iface string) error {
	return do0(ctx, c, "Queues.RemoveMember", func() error {
		q := c.p.queues[id]
		if q == nil {
			return notFound("no queue %s", id)
		}
		m, err := q.member(iface)
		if err != nil {
			return err
		}
		q.members = slices.DeleteFunc(q.members, func(x *pbx.QueueMember) bool { return x == m })
		c.p.emit(&pbx.QueueMemberRemoved{Queue: id, Member: c.p.memberInfo(m)})
		return nil
	})
}

func (c *conn) PauseMember(ctx context.Context, id pbx.QueueID, iface string, paused bool, reason string) error {
	return do0(ctx, c, "Queues.PauseMember", func() error {
		q := c.p.queues[id]
		if q == nil {
			return notFound("no queue %s", id)
		}
		m, err := q.member(iface)
		if err != nil {
			return err
		}
		m.Paused, m.PauseReason = paused, reason
		if !paused {
			m.PauseReason = ""
		}
		c.p.emit(&pbx.QueueMemberPaused{Queue: id, Member: c.p.memberInfo(m), Paused: paused})
		return nil
	})
}

// Queue and room provisioning: the mock applies configuration at once.

func (c *conn) QueueConfigs(ctx context.Context) ([]pbx.QueueConfig, error) {
	return do(ctx, c, "Queues.Configs", func() ([]pbx.QueueConfig, error) {
		out := make([]pbx.QueueConfig, 0, len(c.p.queues))
		for _, q := range c.p.queues {
			out = append(out, q.configuration())
		}
		return out, nil
	})
}

func (c *conn) CreateQueue(ctx context.Context, cfg *pbx.QueueConfig) error {
	return do0(ctx, c, "Queues.Create", func() error {
		if c.p.queues[cfg.ID] != nil {
			return pbx.Errorf(pbx.AlreadyExists, "queue %s exists", cfg.ID)
		}
		q := &queue{id: cfg.ID}
		q.configure(cfg)
		c.p.queues[cfg.ID] = q
		return nil
	})
}

func (c *conn) UpdateQueue(ctx context.Context, cfg *pbx.QueueConfig) error {
	return do0(ctx, c, "Queues.Update", func() error {
		q := c.p.queues[cfg.ID]
		if q == nil {
			return notFound("no queue %s", cfg.ID)
		}
		q.configure(cfg)
		return nil
	})
}

func (c *conn) DeleteQueue(ctx context.Context, id pbx.QueueID) error {
	return do0(ctx, c, "Queues.Delete", func() error {
		q := c.p.queues[id]
		if q == nil {
			return notFound("no queue %s", id)
		}
		for len(q.callers) > 0 {
			c.p.hangupGroup(q.callers[0].call, pbx.CauseNormal)
		}
		delete(c.p.queues, id)
		return nil
	})
}

func (c *conn) Rooms(ctx context.Context) ([]pbx.Room, error) {
	return do(ctx, c, "Conferences.Rooms", func() ([]pbx.Room, error) {
		out := make([]pbx.Room, 0, len(c.p.roomCfg))
		for _, r := range c.p.roomCfg {
			out = append(out, *r)
		}
		return out, nil
	})
}

func (c *conn) CreateRoom(ctx context.Context, r *pbx.Room) error {
	return do0(ctx, c, "Conferences.CreateRoom", func() error {
		if c.p.roomCfg[r.ID] != nil {
			return pbx.Errorf(pbx.AlreadyExists, "conference room %s exists", r.ID)
		}
		room := *r
		c.p.roomCfg[r.ID] = &room
		return nil
	})
}

func (c *conn) UpdateRoom(ctx context.Context, r *pbx.Room) error {
	return do0(ctx, c, "Conferences.UpdateRoom", func() error {
		if c.p.roomCfg[r.ID] == nil {
			return notFound("no conference room %s", r.ID)
		}
		room := *r
		c.p.roomCfg[r.ID] = &room
		return nil
	})
}

func (c *conn) DeleteRoom(ctx context.Context, id pbx.ConferenceID) error {
	return do0(ctx, c, "Conferences.DeleteRoom", func() error {
		if c.p.roomCfg[id] == nil {
			return notFound("no conference room %s", id)
		}
		delete(c.p.roomCfg, id)
		return nil
	})
}

// Recording synthesises the audio of a recorded call in the CDR history; the
// mock keeps no files, so nothing else can be opened.
func (c *conn) Recording(ctx context.Context, r *pbx.CDR) (*pbx.Audio, error) {
	return do(ctx, c, "CDR.Recording", func() (*pbx.Audio, error) {
		for i := range c.p.cdrs {
			if rec := &c.p.cdrs[i]; rec.Recording == r.Recording {
				d := min(rec.Billable, 30*time.Second).Truncate(time.Second)
				data := wavTone(max(d, time.Second), 440)
				return &pbx.Audio{ReadCloser: io.NopCloser(bytes.NewReader(data)), ContentType: "audio/wav", Size: int64(len(data))}, nil
			}
		}
		return nil, notFound("no recording %q", r.Recording)
	})
}

// CDR and system.

func (c *conn) QueryCDR(ctx context.Context, q *pbx.CDRQuery) (*pbx.CDRPage, error) {
	return do(ctx, c, "CDR.Query", func() (*pbx.CDRPage, error) { return pbx.PageCDRs(c.p.cdrs, q) })
}

func (c *conn) SystemInfo(ctx context.Context) (*pbx.SystemInfo, error) {
	return do(ctx, c, "System.Info", func() (*pbx.SystemInfo, error) {
		linked := map[pbx.CallID]bool{}
		for _, call := range c.p.calls {
			linked[call.LinkedID] = true
		}
		now := c.p.now()
		return &pbx.SystemInfo{
			Version: c.p.version, Started: c.p.started, Reloaded: c.p.started, Uptime: now.Sub(c.p.started),
			ActiveCalls: len(linked), ActiveChannels: len(c.p.calls), CallsProcessed: c.p.calledIn,
		}, nil
	})
}
