package freeswitch

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

// mod_callcenter's model: queues, agents (a name, a contact to ring and a
// status) and tiers (an agent's place in a queue, with a level). A queue
// member is an agent with a tier in the queue; its interface is the
// agent's contact. Agents are global: pausing one pauses it in every
// queue, and mod_callcenter keeps no pause reason.

// queueID names a callcenter queue ("support@default") as a queue ID
// ("support"), dropping Options.QueueDomain; "" when it is not a valid one.
func (b *backend) queueID(name string) pbx.QueueID {
	if n, d, ok := strings.Cut(name, "@"); ok && d == b.opts.QueueDomain {
		name = n
	}
	if id := pbx.QueueID(name); id.Validate() == nil {
		return id
	}
	return ""
}

// callcenter runs callcenter_config and reads its table.
func (b *backend) callcenter(ctx context.Context, args ...string) ([]map[string]string, error) {
	body, err := b.conn.API(ctx, "callcenter_config", args...)
	if err != nil {
		return nil, err
	}
	return parseTable(body), nil
}

// ccTables are the callcenter tables a queue listing needs.
type ccTables struct {
	queues, agents, tiers []map[string]string
	members               map[string][]map[string]string // by queue name
}

// readTables reads the queues (all, or the one named id), the agents and
// the tiers, and the callers waiting in the queues.
func (b *backend) readTables(ctx context.Context, id pbx.QueueID) (*ccTables, error) {
	t := &ccTables{members: map[string][]map[string]string{}}
	var err error
	if t.queues, err = b.callcenter(ctx, "queue", "list"); err != nil {
		return nil, err
	}
	if id != "" {
		t.queues = slices.DeleteFunc(t.queues, func(q map[string]string) bool { return b.queueID(q["name"]) != id })
		if len(t.queues) == 0 {
			return nil, pbx.Errorf(pbx.NotFound, "no callcenter queue %s", id)
		}
	}
	if t.agents, err = b.callcenter(ctx, "agent", "list"); err != nil {
		return nil, err
	}
	if t.tiers, err = b.callcenter(ctx, "tier", "list"); err != nil {
		return nil, err
	}
	for _, q := range t.queues {
		if t.members[q["name"]], err = b.callcenter(ctx, "queue", "list", "members", q["name"]); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// agentInterface is what an agent's contact rings, without its variable
// blocks ("[leg_timeout=10]user/1000@default" is "user/1000@default").
func agentInterface(row map[string]string) string {
	c := strings.TrimSpace(row["contact"])
	for len(c) > 0 && (c[0] == '{' || c[0] == '[' || c[0] == '<') {
		end := map[byte]byte{'{': '}', '[': ']', '<': '>'}[c[0]]
		i := strings.IndexByte(c, end)
		if i < 0 {
			break
		}
		c = c[i+1:]
	}
	if pbx.ValidateEndpoint(c) == nil {
		return c
	}
	return row["name"]
}

// agentState maps an agent's status and state to a device state.
func agentState(status, st string) pbx.DeviceState {
	switch {
	case status == "Logged Out":
		return pbx.DeviceUnavailable
	case st == "In a queue call":
		return pbx.DeviceInUse
	case st == "Receiving":
		return pbx.DeviceRinging
	}
	return pbx.DeviceNotInUse
}

// member builds a queue member from an agent's row and its tier.
func member(ag, tier map[string]string) pbx.QueueMember {
	m := pbx.QueueMember{
		Interface: agentInterface(ag), Name: ag["name"], Paused: ag["status"] == "On Break",
		Status:  agentState(ag["status"], ag["state"]),
		Dynamic: true, // every agent is a row of mod_callcenter's database, added and removed at run time
	}
	m.Penalty, _ = strconv.Atoi(tier["level"])
	m.CallsTaken, _ = strconv.Atoi(ag["calls_answered"])
	m.LastCall = epochTime(ag["last_bridge_end"])
	return m
}

// strategy maps mod_callcenter's strategy names.
func strategy(s string) pbx.QueueStrategy {
	if s == "sequentially-by-agent-order" {
		return pbx.StrategyLinear
	}
	st, _ := pbx.ParseQueueStrategy(s)
	return st
}

// waitingCallers returns the callers of a queue waiting for an agent,
// first served first.
func waitingCallers(rows []map[string]string) []pbx.QueueCaller {
	var out []pbx.QueueCaller
	for _, r := range rows {
		if r["state"] != "Waiting" && r["state"] != "Trying" {
			continue
		}
		out = append(out, pbx.QueueCaller{
			CallID: pbx.CallID(r["session_uuid"]),
			Caller: pbx.Party{Name: r["cid_name"], Number: r["cid_number"]},
			Joined: epochTime(r["joined_epoch"]),
		})
	}
	slices.SortStableFunc(out, func(a, b pbx.QueueCaller) int { return a.Joined.Compare(b.Joined) })
	for i := range out {
		out[i].Position = i + 1
	}
	return out
}

// queues builds the portable queues from the tables.
func (b *backend) queues(t *ccTables) []pbx.Queue {
	agents := map[string]map[string]string{}
	for _, a := range t.agents {
		agents[a["name"]] = a
	}
	var out []pbx.Queue
	for _, row := range t.queues {
		id := b.queueID(row["name"])
		if id == "" {
			continue
		}
		q := pbx.Queue{ID: id, Strategy: strategy(row["strategy"]), Members: []pbx.QueueMember{}}
		q.Completed, _ = strconv.Atoi(row["calls_answered"])
		q.Abandoned, _ = strconv.Atoi(row["calls_abandoned"])
		for _, tier := range t.tiers {
			if ag := agents[tier["agent"]]; tier["queue"] == row["name"] && ag != nil {
				q.Members = append(q.Members, member(ag, tier))
			}
		}
		q.Callers = waitingCallers(t.members[row["name"]])
		if q.Callers == nil {
			q.Callers = []pbx.QueueCaller{}
		}
		q.Waiting = len(q.Callers)
		b.callerChannels(q.Callers)
		out = append(out, q)
	}
	return out
}

// callerChannels fills in the callers' channel names from the mirror.
func (b *backend) callerChannels(callers []pbx.QueueCaller) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range callers {
		if ch := b.state.chans[callers[i].CallID]; ch != nil {
			callers[i].Channel = ch.Channel
		}
	}
}

// Queues implements pbx.QueueBackend with callcenter_config.
func (b *backend) Queues(ctx context.Context) ([]pbx.Queue, error) {
	t, err := b.readTables(ctx, "")
	if err != nil {
		return nil, err
	}
	return b.queues(t), nil
}

// Queue implements pbx.QueueBackend.
func (b *backend) Queue(ctx context.Context, id pbx.QueueID) (*pbx.Queue, error) {
	t, err := b.readTables(ctx, id)
	if err != nil {
		return nil, err
	}
	qs := b.queues(t)
	if len(qs) == 0 {
		return nil, pbx.Errorf(pbx.NotFound, "no callcenter queue %s", id)
	}
	return &qs[0], nil
}

// findMember finds the agent whose name or contact is iface, and its tier
// in the queue named name (nil if it has none).
func findMember(t *ccTables, name, iface string) (ag, tier map[string]string) {
	for _, a := range t.agents {
		if a["name"] == iface || agentInterface(a) == iface {
			ag = a
			break
		}
	}
	if ag != nil {
		for _, tr := range t.tiers {
			if tr["queue"] == name && tr["agent"] == ag["name"] {
				return ag, tr
			}
		}
	}
	return ag, nil
}

// memberOf reads the queue's tables and finds a member.
func (b *backend) memberOf(ctx context.Context, id pbx.QueueID, iface string) (t *ccTables, ag, tier map[string]string, err error) {
	if t, err = b.readTables(ctx, id); err != nil {
		return nil, nil, nil, err
	}
	ag, tier = findMember(t, t.queues[0]["name"], iface)
	return t, ag, tier, nil
}

// AddMember implements pbx.QueueBackend: an agent named after the
// interface, ringing it (callback type), with a tier in the queue at the
// member's penalty as its level. An existing agent with that contact just
// gets the tier.
func (b *backend) AddMember(ctx context.Context, id pbx.QueueID, m *pbx.QueueMember) error {
	t, ag, tier, err := b.memberOf(ctx, id, m.Interface)
	if err != nil {
		return err
	}
	if tier != nil {
		return pbx.Errorf(pbx.AlreadyExists, "%s is a member of %s", m.Interface, id)
	}
	queue := t.queues[0]["name"]
	name := m.Interface
	if ag == nil {
		for _, args := range [][]string{
			{"agent", "add", name, "callback"},
			{"agent", "set", "contact", name, m.Interface},
		} {
			if _, err := b.callcenter(ctx, args...); err != nil {
				return err
			}
		}
		ag = map[string]string{"name": name, "contact": m.Interface, "status": "Logged Out", "state": "Waiting"}
	} else {
		name = ag["name"]
	}
	level := strconv.Itoa(m.Penalty)
	if _, err := b.callcenter(ctx, "tier", "add", queue, name, level, "1"); err != nil {
		return err
	}
	status := "Available"
	if m.Paused {
		status = "On Break"
	}
	added := member(ag, map[string]string{"level": level})
	b.mu.Lock()
	a := b.state.agents[name]
	if a == nil {
		a = &agent{member: added, status: ag["status"], state: ag["state"]}
		b.state.agents[name] = a
	}
	a.queues = append(slices.DeleteFunc(a.queues, func(q pbx.QueueID) bool { return q == id }), id)
	b.publish(&pbx.QueueMemberAdded{Queue: id, Member: added})
	b.mu.Unlock()
	return b.setStatus(ctx, name, status)
}

// setStatus sets an agent's status ("Available", "On Break", ...); the
// callcenter::info event that follows is reported as QueueMemberPaused.
func (b *backend) setStatus(ctx context.Context, name, status string) error {
	quoted, err := esl.QuoteArg(status)
	if err != nil {
		return err
	}
	_, err = b.callcenter(ctx, "agent", "set", "status", name, quoted)
	return err
}

// RemoveMember implements pbx.QueueBackend: the tier goes, and so does the
// agent when it has no tier left and carries the interface as its name
// (AddMember made it).
func (b *backend) RemoveMember(ctx context.Context, id pbx.QueueID, iface string) error {
	t, ag, tier, err := b.memberOf(ctx, id, iface)
	if err != nil {
		return err
	}
	if tier == nil {
		return pbx.Errorf(pbx.NotFound, "%s is not a member of %s", iface, id)
	}
	name := ag["name"]
	if _, err := b.callcenter(ctx, "tier", "del", t.queues[0]["name"], name); err != nil {
		return err
	}
	others := slices.ContainsFunc(t.tiers, func(tr map[string]string) bool { return tr["agent"] == name && tr["queue"] != t.queues[0]["name"] })
	if !others && name == iface {
		if _, err := b.callcenter(ctx, "agent", "del", name); err != nil {
			return err
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if a := b.state.agents[name]; a != nil {
		a.queues = slices.DeleteFunc(a.queues, func(q pbx.QueueID) bool { return q == id })
	}
	b.publish(&pbx.QueueMemberRemoved{Queue: id, Member: member(ag, tier)})
	return nil
}

// PauseMember implements pbx.QueueBackend: the agent's status becomes
// "On Break", or "Available". The reason is not kept.
func (b *backend) PauseMember(ctx context.Context, id pbx.QueueID, iface string, paused bool, _ string) error {
	_, ag, tier, err := b.memberOf(ctx, id, iface)
	if err != nil {
		return err
	}
	if tier == nil {
		return pbx.Errorf(pbx.NotFound, "%s is not a member of %s", iface, id)
	}
	status := "Available"
	if paused {
		status = "On Break"
	}
	return b.setStatus(ctx, ag["name"], status)
}

// queueState is the callcenter state the event loop keeps.
type queueState struct {
	waiting map[pbx.QueueID][]pbx.QueueCaller
	agents  map[string]*agent
}

// readQueueState reads the waiting callers and the agents with their
// queues.
func (b *backend) readQueueState(ctx context.Context) (*queueState, error) {
	t, err := b.readTables(ctx, "")
	if err != nil {
		return nil, err
	}
	st := &queueState{waiting: map[pbx.QueueID][]pbx.QueueCaller{}, agents: b.agentsOf(t.agents, t.tiers)}
	for _, q := range t.queues {
		if id := b.queueID(q["name"]); id != "" {
			st.waiting[id] = waitingCallers(t.members[q["name"]])
		}
	}
	return st, nil
}

// agentsOf builds the agents of the event loop from the tables.
func (b *backend) agentsOf(agents, tiers []map[string]string) map[string]*agent {
	out := map[string]*agent{}
	for _, row := range agents {
		a := &agent{status: row["status"], state: row["state"]}
		var first map[string]string
		for _, tr := range tiers {
			if tr["agent"] != row["name"] {
				continue
			}
			if id := b.queueID(tr["queue"]); id != "" {
				a.queues = append(a.queues, id)
			}
			if first == nil {
				first = tr
			}
		}
		a.member = member(row, first)
		out[row["name"]] = a
	}
	return out
}

// agentInfo returns what the loop knows of an agent, reading it from the
// switch if it does not know it yet; nil if it cannot.
func (b *backend) agentInfo(ctx context.Context, name string) *agent {
	b.mu.Lock()
	a := b.state.agents[name]
	b.mu.Unlock()
	if a != nil || name == "" || !b.caps.Has(pbx.CapQueues) {
		return a
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	agents, err := b.callcenter(ctx, "agent", "list", name)
	if err == nil && len(agents) == 0 {
		return nil
	}
	var tiers []map[string]string
	if err == nil {
		tiers, err = b.callcenter(ctx, "tier", "list")
	}
	if err != nil {
		b.log.Debug("reading a callcenter agent", "agent", name, "err", err)
		return nil
	}
	a = b.agentsOf(agents, tiers)[name]
	b.mu.Lock()
	defer b.mu.Unlock()
	if known := b.state.agents[name]; known != nil {
		return known
	}
	b.state.agents[name] = a
	return a
}

// callcenterEvent maps callcenter::info. b.mu is held.
func (b *backend) callcenterEvent(ev *esl.Event, h pbx.EventHeader, a *agent) {
	q := b.queueID(get(ev, "CC-Queue"))
	switch get(ev, "CC-Action") {
	case "member-queue-start":
		if q == "" {
			return
		}
		c := pbx.QueueCaller{
			CallID: callID(get(ev, "CC-Member-Session-UUID")), Channel: get(ev, "Channel-Name"),
			Caller: pbx.Party{Name: get(ev, "CC-Member-CID-Name"), Number: get(ev, "CC-Member-CID-Number")},
			Joined: h.Time,
		}
		c.Position = len(b.state.waiting[q]) + 1
		b.state.waiting[q] = append(b.state.waiting[q], c)
		b.publish(&pbx.QueueCallerJoined{EventHeader: h, Queue: q, Caller: c})
	case "member-queue-end":
		if q == "" {
			return
		}
		id := callID(get(ev, "CC-Member-Session-UUID"))
		c := pbx.QueueCaller{CallID: id, Channel: get(ev, "Channel-Name"),
			Caller: pbx.Party{Name: get(ev, "CC-Member-CID-Name"), Number: get(ev, "CC-Member-CID-Number")}}
		waiting := b.state.waiting[q]
		if i := slices.IndexFunc(waiting, func(x pbx.QueueCaller) bool { return x.CallID == id }); i >= 0 {
			c = waiting[i]
			waiting = slices.Delete(waiting, i, i+1)
			for j := i; j < len(waiting); j++ {
				waiting[j].Position = j + 1
			}
			b.state.waiting[q] = waiting
		}
		// "Terminated": an agent took the call; "Cancel": the caller left
		// (hung up, timed out, pressed a key) before that.
		b.publish(&pbx.QueueCallerLeft{EventHeader: h, Queue: q, Caller: c, Abandoned: get(ev, "CC-Cause") == "Cancel"})
	case "agent-status-change", "agent-state-change":
		if a == nil {
			return
		}
		wasPaused, wasStatus := a.member.Paused, a.member.Status
		if v := get(ev, "CC-Agent-Status"); v != "" {
			a.status = v
		}
		if v := get(ev, "CC-Agent-State"); v != "" {
			a.state = v
		}
		a.member.Paused = a.status == "On Break"
		a.member.Status = agentState(a.status, a.state)
		for _, q := range a.queues {
			if a.member.Paused != wasPaused {
				b.publish(&pbx.QueueMemberPaused{EventHeader: h, Queue: q, Member: a.member, Paused: a.member.Paused})
			}
			if a.member.Status != wasStatus {
				b.publish(&pbx.QueueMemberStatusChanged{EventHeader: h, Queue: q, Member: a.member})
			}
		}
	}
}
