package astcore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/pbx"
)

// Voicemail.

// voicemailBox names a mailbox as Asterisk does ("1001@default").
func (c *Core) voicemailBox(id pbx.MailboxID) string {
	ctx := id.Context()
	if ctx == "" {
		ctx = c.cfg.VoicemailContext
	}
	return string(id.Extension()) + "@" + ctx
}

// Mailboxes implements pbx.VoicemailBackend with VoicemailUsersList.
func (c *Core) Mailboxes(ctx context.Context) ([]pbx.Mailbox, error) {
	list, err := c.conn.DoList(ctx, action("VoicemailUsersList"))
	if err != nil && !ami.IsEmptyList(err) {
		return nil, err
	}
	var out []pbx.Mailbox
	if list != nil {
		for _, m := range list.Items {
			if m.Event() != "VoicemailUserEntry" {
				continue
			}
			id := c.mailboxID(m.Get("VoiceMailbox") + "@" + m.Get("VMContext"))
			if id == "" {
				continue
			}
			box := pbx.Mailbox{ID: id, Name: m.Get("Fullname"), Email: m.Get("Email")}
			box.Counts.New, _ = strconv.Atoi(m.Get("NewMessageCount"))
			box.Counts.Old, _ = strconv.Atoi(m.Get("OldMessageCount"))
			box.Counts = c.cfg.Spool.Counts(id)
			out = append(out, box)
		}
	}
	return out, nil
}

// Mailbox implements pbx.VoicemailBackend with MailboxCount.
func (c *Core) Mailbox(ctx context.Context, id pbx.MailboxID) (*pbx.Mailbox, error) {
	boxes, err := c.Mailboxes(ctx)
	if err != nil {
		return nil, err
	}
	for i := range boxes {
		if boxes[i].ID == id {
			resp, err := c.conn.Do(ctx, action("MailboxCount", "Mailbox", c.voicemailBox(id)))
			if err != nil {
				return nil, err
			}
			boxes[i].Counts.New, _ = strconv.Atoi(resp.Get("NewMessages"))
			boxes[i].Counts.Old, _ = strconv.Atoi(resp.Get("OldMessages"))
			boxes[i].Counts.Urgent, _ = strconv.Atoi(resp.Get("UrgMessages"))
			return &boxes[i], nil
		}
	}
	return nil, pbx.Errorf(pbx.NotFound, "no mailbox %s", c.voicemailBox(id))
}

// Messages implements pbx.VoicemailBackend from the spool.
func (c *Core) Messages(ctx context.Context, id pbx.MailboxID, folder pbx.Folder) ([]pbx.Message, error) {
	if _, err := c.Mailbox(ctx, id); err != nil {
		return nil, err
	}
	msgs, err := c.cfg.Spool.Messages(id, folder)
	if pbx.Code(err) == pbx.NotFound {
		return []pbx.Message{}, nil // a configured mailbox with no messages yet
	}
	return msgs, err
}

// Audio implements pbx.VoicemailBackend from the spool.
func (c *Core) Audio(_ context.Context, id pbx.MailboxID, msg pbx.MessageID) (*pbx.Audio, error) {
	return c.cfg.Spool.Open(id, msg)
}

// MoveMessage implements pbx.VoicemailBackend: the spool, then
// VoicemailRefresh so that message waiting indicators are right.
func (c *Core) MoveMessage(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID, to pbx.Folder) (*pbx.Message, error) {
	m, err := c.cfg.Spool.Move(id, msg, to)
	if err != nil {
		return nil, err
	}
	return m, c.refreshMailbox(ctx, id)
}

// DeleteMessage implements pbx.VoicemailBackend.
func (c *Core) DeleteMessage(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID) error {
	if err := c.cfg.Spool.Delete(id, msg); err != nil {
		return err
	}
	return c.refreshMailbox(ctx, id)
}

// refreshMailbox reports a mailbox's new counts, read from the spool, and
// makes app_voicemail re-read the mailbox so that phones' message waiting
// indicators follow. app_voicemail compares with counts it last polled, which
// messages left since do not update, so its own MessageWaiting may not come.
func (c *Core) refreshMailbox(ctx context.Context, id pbx.MailboxID) error {
	c.mu.Lock()
	counts := c.cfg.Spool.Counts(id)
	c.mwi[id] = counts
	// Always reported: the counts held may predate a message whose
	// MessageWaiting has not arrived yet.
	c.publish(&pbx.MailboxChanged{Mailbox: id, Counts: counts})
	c.mu.Unlock()
	ctxName := id.Context()
	if ctxName == "" {
		ctxName = c.cfg.VoicemailContext
	}
	_, err := c.conn.Do(ctx, action("VoicemailRefresh", "Context", ctxName, "Mailbox", string(id.Extension())))
	return err
}

// Conferences.

// Conferences implements pbx.ConferenceBackend with ConfbridgeListRooms.
func (c *Core) Conferences(ctx context.Context) ([]pbx.Conference, error) {
	list, err := c.conn.DoList(ctx, action("ConfbridgeListRooms"))
	if ami.IsEmptyList(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []pbx.Conference
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range list.Items {
		if m.Event() != "ConfbridgeListRooms" {
			continue
		}
		room := pbx.Conference{ID: pbx.ConferenceID(m.Get("Conference")), Locked: yes(m.Get("Locked"))}
		room.Parties, _ = strconv.Atoi(m.Get("Parties"))
		room.Marked, _ = strconv.Atoi(m.Get("Marked"))
		if st := c.rooms[room.ID]; st != nil {
			room.Started = st.started
		}
		out = append(out, room)
	}
	return out, nil
}

// Participants implements pbx.ConferenceBackend with ConfbridgeList.
func (c *Core) Participants(ctx context.Context, id pbx.ConferenceID) ([]pbx.Participant, error) {
	list, err := c.conn.DoList(ctx, action("ConfbridgeList", "Conference", string(id)))
	if ami.IsEmptyList(err) {
		return nil, pbx.Errorf(pbx.NotFound, "no active conference %s", id)
	}
	if err != nil {
		return nil, err
	}
	var out []pbx.Participant
	for _, m := range list.Items {
		if m.Event() == "ConfbridgeList" {
			out = append(out, participantFromEvent(m))
		}
	}
	if len(out) == 0 {
		return nil, pbx.Errorf(pbx.NotFound, "no active conference %s", id)
	}
	return out, nil
}

// confAction runs a Confbridge* action on a participant or room; Asterisk's
// vague failures become NotFound after checking the room.
func (c *Core) confAction(ctx context.Context, id pbx.ConferenceID, a *ami.Message) error {
	if _, err := c.conn.Do(ctx, a); err != nil {
		if _, perr := c.Participants(ctx, id); pbx.Code(perr) == pbx.NotFound {
			return perr
		}
		if ErrorCode(err) == pbx.Unknown {
			return pbx.Errorf(pbx.NotFound, "%s", err)
		}
		return err
	}
	return nil
}

// Kick implements pbx.ConferenceBackend.
func (c *Core) Kick(ctx context.Context, id pbx.ConferenceID, p pbx.ParticipantID) error {
	return c.confAction(ctx, id, action("ConfbridgeKick", "Conference", string(id), "Channel", string(p)))
}

// Mute implements pbx.ConferenceBackend.
func (c *Core) Mute(ctx context.Context, id pbx.ConferenceID, p pbx.ParticipantID, muted bool) error {
	name := "ConfbridgeUnmute"
	if muted {
		name = "ConfbridgeMute"
	}
	return c.confAction(ctx, id, action(name, "Conference", string(id), "Channel", string(p)))
}

// Lock implements pbx.ConferenceBackend. ConfBridge reports no event for
// it, so the Core reports ConferenceLocked itself.
func (c *Core) Lock(ctx context.Context, id pbx.ConferenceID, locked bool) error {
	name := "ConfbridgeUnlock"
	if locked {
		name = "ConfbridgeLock"
	}
	if err := c.confAction(ctx, id, action(name, "Conference", string(id))); err != nil {
		return err
	}
	c.publishLocked(&pbx.ConferenceLocked{Conference: id, Locked: locked})
	return nil
}

// Queues.

// queueStatus runs QueueStatus for one queue or all.
func (c *Core) queueStatus(ctx context.Context, id pbx.QueueID) ([]pbx.Queue, error) {
	a := action("QueueStatus")
	if id != "" {
		a.Add("Queue", string(id))
	}
	list, err := c.conn.DoList(ctx, a)
	if err != nil {
		return nil, err
	}
	byName := map[pbx.QueueID]*pbx.Queue{}
	var order []pbx.QueueID
	for _, m := range list.Items {
		q := pbx.QueueID(m.Get("Queue"))
		if byName[q] == nil && m.Event() == "QueueParams" {
			qq := &pbx.Queue{ID: q, Members: []pbx.QueueMember{}, Callers: []pbx.QueueCaller{}}
			qq.Strategy, _ = pbx.ParseQueueStrategy(m.Get("Strategy"))
			qq.Waiting, _ = strconv.Atoi(m.Get("Calls"))
			qq.Completed, _ = strconv.Atoi(m.Get("Completed"))
			qq.Abandoned, _ = strconv.Atoi(m.Get("Abandoned"))
			if n, err := strconv.Atoi(m.Get("Holdtime")); err == nil {
				qq.HoldTime = time.Duration(n) * time.Second
			}
			if n, err := strconv.Atoi(m.Get("TalkTime")); err == nil {
				qq.TalkTime = time.Duration(n) * time.Second
			}
			byName[q] = qq
			order = append(order, q)
		}
		qq := byName[q]
		if qq == nil {
			continue
		}
		switch m.Event() {
		case "QueueMember":
			qq.Members = append(qq.Members, memberFromEvent(m))
		case "QueueEntry":
			caller := queueCallerFromEvent(m)
			if wait, err := strconv.Atoi(m.Get("Wait")); err == nil {
				caller.Joined = c.cfg.Now().Add(-time.Duration(wait) * time.Second)
			}
			qq.Callers = append(qq.Callers, caller)
		}
	}
	out := make([]pbx.Queue, 0, len(order))
	for _, q := range order {
		out = append(out, *byName[q])
	}
	return out, nil
}

// Queues implements pbx.QueueBackend.
func (c *Core) Queues(ctx context.Context) ([]pbx.Queue, error) { return c.queueStatus(ctx, "") }

// Queue implements pbx.QueueBackend. QueueStatus answers an unknown queue
// with an empty list.
func (c *Core) Queue(ctx context.Context, id pbx.QueueID) (*pbx.Queue, error) {
	qs, err := c.queueStatus(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range qs {
		if qs[i].ID == id {
			return &qs[i], nil
		}
	}
	return nil, pbx.Errorf(pbx.NotFound, "no queue %s", id)
}

// AddMember implements pbx.QueueBackend with QueueAdd.
func (c *Core) AddMember(ctx context.Context, id pbx.QueueID, m *pbx.QueueMember) error {
	a := action("QueueAdd", "Queue", string(id), "Interface", m.Interface,
		"Penalty", strconv.Itoa(m.Penalty), "Paused", strconv.FormatBool(m.Paused))
	if m.Name != "" {
		a.Add("MemberName", m.Name)
	}
	if m.Paused && m.PauseReason != "" {
		a.Add("Reason", m.PauseReason)
	}
	_, err := c.conn.Do(ctx, a)
	return queueError(err)
}

// RemoveMember implements pbx.QueueBackend with QueueRemove.
func (c *Core) RemoveMember(ctx context.Context, id pbx.QueueID, iface string) error {
	_, err := c.conn.Do(ctx, action("QueueRemove", "Queue", string(id), "Interface", iface))
	return queueError(err)
}

// PauseMember implements pbx.QueueBackend with QueuePause.
func (c *Core) PauseMember(ctx context.Context, id pbx.QueueID, iface string, paused bool, reason string) error {
	a := action("QueuePause", "Queue", string(id), "Interface", iface, "Paused", strconv.FormatBool(paused))
	if reason != "" {
		a.Add("Reason", reason)
	}
	_, err := c.conn.Do(ctx, a)
	return queueError(err)
}

// queueError maps app_queue's messages: "Unable to add interface: Already
// there", "Unable to remove interface: Not there", "... No such queue",
// "Interface not found".
func queueError(err error) error {
	if err == nil {
		return nil
	}
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "already there"):
		return pbx.Errorf(pbx.AlreadyExists, "%w", err)
	case strings.Contains(msg, "not there"), strings.Contains(msg, "no such queue"), strings.Contains(msg, "not found"):
		return pbx.Errorf(pbx.NotFound, "%w", err)
	}
	return err
}

// CDR and system.

// QueryCDR implements pbx.CDRBackend through the configured store.
func (c *Core) QueryCDR(ctx context.Context, q *pbx.CDRQuery) (*pbx.CDRPage, error) {
	return c.cfg.CDR.QueryCDR(ctx, q)
}

// SystemInfo implements pbx.SystemBackend with CoreSettings, CoreStatus and
// the "core show calls" counters.
func (c *Core) SystemInfo(ctx context.Context) (*pbx.SystemInfo, error) {
	settings, err := c.conn.Do(ctx, action("CoreSettings"))
	if err != nil {
		return nil, err
	}
	status, err := c.conn.Do(ctx, action("CoreStatus"))
	if err != nil {
		return nil, err
	}
	info := &pbx.SystemInfo{Version: "Asterisk " + settings.Get("AsteriskVersion")}
	parse := func(date, clock string) time.Time {
		t, _ := time.ParseInLocation("2006-01-02 15:04:05", date+" "+clock, time.Local)
		return t
	}
	info.Started = parse(status.Get("CoreStartupDate"), status.Get("CoreStartupTime"))
	info.Reloaded = parse(status.Get("CoreReloadDate"), status.Get("CoreReloadTime"))
	if !info.Started.IsZero() {
		info.Uptime = c.cfg.Now().Sub(info.Started)
	}
	info.ActiveChannels, _ = strconv.Atoi(status.Get("CoreCurrentCalls"))
	// Only "core show calls" tells the calls processed; it needs the command
	// privilege, which an AMI user may rightly lack.
	lines, err := c.conn.Command(ctx, "core show calls")
	if err != nil && ErrorCode(err) != pbx.PermissionDenied {
		return nil, err
	}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(f[1], "active"):
			info.ActiveCalls = n
		case strings.Contains(l, "processed"):
			info.CallsProcessed = n
		}
	}
	if info.ActiveChannels < info.ActiveCalls {
		info.ActiveChannels = info.ActiveCalls
	}
	return info, nil
}
