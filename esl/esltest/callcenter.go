package esltest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// callcenter is mod_callcenter's state: the queues callcenter.conf defines
// and those loaded, the agents, the tiers and the callers in queues
// (members). It has no ACD: members wait until they hang up or are
// transferred; their rows then stay, Abandoned, for the queue's
// discard-abandoned-after, as mod_callcenter keeps them.
type callcenter struct {
	configured []string // the queues of callcenter.conf: what "queue load" finds
	queues     []string // the loaded queues
	agents     []*ccAgent
	tiers      []*ccTier
	members    []*ccMember
}

// ccAgent is a row of mod_callcenter's agents table.
type ccAgent struct {
	name, typ, uuid, contact, status, state string
	maxNoAnswer, wrapUpTime, readyTime      int64
	rejectDelay, busyDelay, noAnswerDelay   int64
	lastOffered, lastStatusChange           time.Time
}

// ccTier is a row of the tiers table.
type ccTier struct {
	queue, agent, state string
	level, position     int64
}

// ccMember is a row of the members table. system is when the caller's
// channel was answered (zero if it was not).
type ccMember struct {
	queue, uuid, session, cidNum, cidName, state string
	system, joined, abandoned                    time.Time
	baseScore                                    int64
}

// discardAbandonedAfter is the queues' discard-abandoned-after: how long an
// Abandoned member row stays before the dispatcher deletes it.
const discardAbandonedAfter = 60 * time.Second

func newCallcenter(queues []string) *callcenter {
	return &callcenter{configured: slices.Clone(queues), queues: slices.Clone(queues)}
}

// The values mod_callcenter's str2status/str2state functions accept
// (case-insensitively); "Unknown" is refused.
var (
	agentStatuses = []string{"Logged Out", "Available", "Available (On Demand)", "On Break"}
	agentStates   = []string{"Waiting", "Receiving", "In a queue call", "Idle", "Reserved"}
	tierStates    = []string{"No Answer", "Ready", "Offering", "Active Inbound", "Standby"}
)

func oneOf(v string, set []string) (string, bool) {
	for _, s := range set {
		if strings.EqualFold(s, v) {
			return s, true
		}
	}
	return "", false
}

// atol reads a number as C's atol does: leading blanks, a sign, then the
// digits that follow; anything else reads as 0.
func atol(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	neg := strings.HasPrefix(s, "-")
	if neg || strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	var n int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int64(s[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

func (cc *callcenter) agent(name string) *ccAgent {
	for _, a := range cc.agents {
		if a.name == name {
			return a
		}
	}
	return nil
}

// tier returns the agent's tier in the queue, or nil.
func (cc *callcenter) tier(queue, agent string) *ccTier {
	for _, t := range cc.tiers {
		if t.queue == queue && t.agent == agent {
			return t
		}
	}
	return nil
}

func (cc *callcenter) hasQueue(name string) bool {
	return slices.Contains(cc.queues, name)
}

// getQueue reports whether the queue is loaded, loading it first if
// callcenter.conf defines it, as get_queue does.
func (cc *callcenter) getQueue(name string) bool {
	if cc.hasQueue(name) {
		return true
	}
	if !slices.Contains(cc.configured, name) {
		return false
	}
	cc.queues = append(cc.queues, name)
	return true
}

// table renders a mod_callcenter list: the header on the first row, rows
// separated by '|', then "+OK".
func table(cols []string, rows [][]string) string {
	var b strings.Builder
	if len(rows) > 0 {
		b.WriteString(strings.Join(cols, "|"))
		b.WriteByte('\n')
		for _, r := range rows {
			b.WriteString(strings.Join(r, "|"))
			b.WriteByte('\n')
		}
	}
	b.WriteString("+OK\n")
	return b.String()
}

var (
	agentCols = []string{"name", "instance_id", "uuid", "type", "contact", "status", "state",
		"max_no_answer", "wrap_up_time", "reject_delay_time", "busy_delay_time",
		"no_answer_delay_time", "last_bridge_start", "last_bridge_end", "last_offered_call",
		"last_status_change", "no_answer_count", "calls_answered", "talk_time", "ready_time",
		"external_calls_count"}
	queueCols = []string{"name", "strategy", "moh_sound", "time_base_score", "tier_rules_apply",
		"tier_rule_wait_second", "tier_rule_wait_multiply_level", "tier_rule_no_agent_no_wait",
		"discard_abandoned_after", "abandoned_resume_allowed", "max_wait_time",
		"max_wait_time_with_no_agent", "max_wait_time_with_no_agent_time_reached",
		"record_template", "calls_answered", "calls_abandoned", "ring_progressively_delay",
		"skip_agents_with_external_calls", "agent_no_answer_status"}
	tierCols = []string{"queue", "agent", "state", "level", "position"}
	// memberCols are the members table's columns, then the score that
	// "queue list members" computes.
	memberCols = []string{"queue", "instance_id", "uuid", "session_uuid", "cid_number", "cid_name",
		"system_epoch", "joined_epoch", "rejoined_epoch", "bridge_epoch", "abandoned_epoch",
		"base_score", "skill_score", "serving_agent", "serving_system", "state", "score"}
)

// row is the agent's row of "agent list" (and "queue list agents").
func (a *ccAgent) row() []string {
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []string{a.name, "single_box", a.uuid, a.typ, a.contact, a.status, a.state,
		n(a.maxNoAnswer), n(a.wrapUpTime), n(a.rejectDelay), n(a.busyDelay), n(a.noAnswerDelay),
		"0", "0", epoch(a.lastOffered), epoch(a.lastStatusChange), "0", "0", "0", n(a.readyTime), "0"}
}

// row is the tier's row of "tier list" (and "queue list tiers").
func (t *ccTier) row() []string {
	return []string{t.queue, t.agent, t.state, strconv.FormatInt(t.level, 10), strconv.FormatInt(t.position, 10)}
}

// score is the member's place in its queue: the seconds it waited plus its
// base and skill scores.
func (m *ccMember) score(now time.Time) int64 {
	return now.Unix() - m.joined.Unix() + m.baseScore
}

// row is the member's row of "queue list members" at now.
func (m *ccMember) row(now time.Time) []string {
	return []string{m.queue, "single_box", m.uuid, m.session, m.cidNum, m.cidName,
		epoch(m.system), epoch(m.joined), "0", "0", epoch(m.abandoned),
		strconv.FormatInt(m.baseScore, 10), "0", "", "", m.state, strconv.FormatInt(m.score(now), 10)}
}

// fireCCLocked fires a callcenter::info event, made by the C function fn,
// with ch's channel data if ch is not nil.
func (sw *switchState) fireCCLocked(fn string, ch *channel, kv ...string) {
	ev := &Event{Name: "CUSTOM", Subclass: "callcenter::info", callFile: "mod_callcenter.c", callFunc: fn, callLine: 1}
	if ch != nil {
		ev.Headers = append(ev.Headers, sw.channelData(ch, "")...)
	}
	ev.Add(kv...)
	sw.s.fireLocked(ev)
}

// memberJoinLocked puts ch in queue as a waiting member.
func (cc *callcenter) memberJoinLocked(sw *switchState, ch *channel, queue string) {
	if !cc.getQueue(queue) {
		sw.hangupLocked(ch, "NORMAL_TEMPORARY_FAILURE")
		return
	}
	now := time.Now()
	m := &ccMember{queue: queue, uuid: newUUID(), session: ch.uuid, cidNum: ch.cidNum, cidName: ch.cidName,
		state: "Waiting", system: ch.answered, joined: now}
	// The queues' time-base-score is "system": the time since the call
	// was answered counts (all of the epoch if it was not).
	m.baseScore = now.Unix() - unix(ch.answered)
	cc.members = append(cc.members, m)
	ch.queue = queue
	ch.app, ch.appData = "callcenter", queue
	sw.fireCCLocked("callcenter_function", ch, "CC-Queue", queue, "CC-Action", "member-queue-start",
		"CC-Member-UUID", m.uuid, "CC-Member-Session-UUID", ch.uuid,
		"CC-Member-CID-Name", ch.cidName, "CC-Member-CID-Number", ch.cidNum)
	cc.fireCountLocked(sw, queue)
}

// fireCountLocked fires members-count: the members of queue waiting or
// being offered to an agent.
func (cc *callcenter) fireCountLocked(sw *switchState, queue string) {
	n := 0
	for _, m := range cc.members {
		if m.queue == queue && (m.state == "Waiting" || m.state == "Trying") {
			n++
		}
	}
	sw.fireCCLocked("cc_queue_count", nil, "CC-Queue", queue, "CC-Action", "members-count",
		"CC-Count", strconv.Itoa(n), "CC-Selection", "Single-Queue")
}

// memberLeaveLocked ends the wait of ch's member: its row stays, Abandoned
// and without its session, until the dispatcher discards it.
func (cc *callcenter) memberLeaveLocked(sw *switchState, ch *channel, cause string) {
	queue := ch.queue
	ch.queue = ""
	for _, m := range cc.members {
		if m.session != ch.uuid {
			continue
		}
		now := time.Now()
		m.state, m.session, m.abandoned = "Abandoned", "", now
		sw.fireCCLocked("callcenter_function", ch, "CC-Queue", queue, "CC-Action", "member-queue-end",
			"CC-Member-Leaving-Time", strconv.FormatInt(now.Unix(), 10),
			"CC-Member-Joined-Time", strconv.FormatInt(m.joined.Unix(), 10),
			"CC-Cause", cause, "CC-Cancel-Reason", "BREAK_OUT",
			"CC-Member-UUID", m.uuid, "CC-Member-Session-UUID", ch.uuid,
			"CC-Member-CID-Name", ch.cidName, "CC-Member-CID-Number", ch.cidNum)
		cc.fireCountLocked(sw, queue)
		return
	}
}

// discardAbandoned deletes the Abandoned members older than
// discardAbandonedAfter, as the dispatcher does on its rounds.
func (cc *callcenter) discardAbandoned(now time.Time) {
	cc.members = slices.DeleteFunc(cc.members, func(m *ccMember) bool {
		return m.state == "Abandoned" && m.abandoned.Add(discardAbandonedAfter).Before(now)
	})
}

// unix returns t in seconds since the epoch; the zero time is 0.
func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func epoch(t time.Time) string { return strconv.FormatInt(unix(t), 10) }

// apiCallcenter implements callcenter_config. Replies are mod_callcenter's
// (cc_config_api_function); an unknown section or action prints nothing.
func (sw *switchState) apiCallcenter(arg string) string {
	if strings.TrimSpace(arg) == "" {
		return "-USAGE: \ncallcenter_config <target> <args>\n"
	}
	a := args(arg, 8)
	if len(a) < 2 {
		return "-ERR Invalid!\n"
	}
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	sw.cc.discardAbandoned(time.Now())
	sec, act, rest := strings.ToLower(a[0]), strings.ToLower(a[1]), a[2:]
	switch sec {
	case "agent":
		return sw.ccAgentCommand(act, rest)
	case "tier":
		return sw.cc.tierCommand(act, rest)
	case "queue":
		return sw.cc.queueCommand(act, rest)
	}
	return ""
}

// arg returns a[i], or "" past its end.
func arg(a []string, i int) string {
	if i < len(a) {
		return a[i]
	}
	return ""
}

// ccAgentCommand runs callcenter_config agent <act> <a...>.
func (sw *switchState) ccAgentCommand(act string, a []string) string {
	cc := sw.cc
	switch act {
	case "add":
		if len(a) < 2 {
			return "-ERR Invalid!\n"
		}
		name, typ := a[0], a[1]
		if !strings.EqualFold(typ, "Callback") && !strings.EqualFold(typ, "uuid-standby") {
			return "-ERR Agent type invalid!\n"
		}
		if cc.agent(name) != nil {
			return "-ERR Agent already exist!\n"
		}
		cc.agents = append(cc.agents, &ccAgent{name: name, typ: typ, status: "Logged Out", state: "Waiting"})
		sw.fireCCLocked("cc_agent_add", nil, "CC-Agent", name, "CC-Agent-Type", typ, "CC-Action", "agent-add")
		return "+OK\n"
	case "del":
		if len(a) < 1 {
			return "-ERR Invalid!\n"
		}
		cc.agents = slices.DeleteFunc(cc.agents, func(ag *ccAgent) bool { return ag.name == a[0] })
		cc.tiers = slices.DeleteFunc(cc.tiers, func(t *ccTier) bool { return t.agent == a[0] })
		return "+OK\n"
	case "set":
		if len(a) < 3 {
			return "-ERR Invalid!\n"
		}
		return sw.ccAgentSet(a[0], a[1], a[2])
	case "get":
		if len(a) < 2 {
			return "-ERR Invalid!\n"
		}
		key, ag := a[0], cc.agent(a[1])
		if ag == nil {
			return "-ERR Agent not found!\n"
		}
		var v string
		switch strings.ToLower(key) {
		case "status":
			v = ag.status
		case "state":
			v = ag.state
		case "uuid":
			v = ag.uuid
		default:
			return "-ERR Invalid Agent Update KEY!\n"
		}
		header := "CC-Agent-" + strings.ToUpper(key[:1]) + key[1:]
		if strings.EqualFold(key, "uuid") {
			header = "CC-Agent-UUID"
		}
		sw.fireCCLocked("cc_agent_get", nil, "CC-Agent", ag.name, "CC-Action", "agent-"+key+"-get", header, v)
		return v // without a newline
	case "list":
		if len(a) > 1 {
			return "-ERR Invalid!\n"
		}
		var rows [][]string
		for _, ag := range cc.agents {
			if len(a) == 0 || ag.name == a[0] {
				rows = append(rows, ag.row())
			}
		}
		return table(agentCols, rows)
	}
	return ""
}

// ccAgentSet runs callcenter_config agent set <key> <agent> <value>, as
// cc_agent_update does: the values are kept as given.
func (sw *switchState) ccAgentSet(key, name, value string) string {
	ag := sw.cc.agent(name)
	if ag == nil {
		return "-ERR Agent not found!\n"
	}
	now := time.Now()
	switch strings.ToLower(key) {
	case "status":
		st, ok := oneOf(value, agentStatuses)
		if !ok {
			return "-ERR Invalid Agent Status!\n"
		}
		// Becoming Available changes nothing for an agent whose status
		// is that very text already.
		if st != "Available" || ag.status != value {
			ag.status, ag.lastStatusChange = value, now
		}
		sw.fireCCLocked("cc_agent_update", nil, "CC-Agent", name, "CC-Action", "agent-status-change", "CC-Agent-Status", value)
	case "state":
		st, ok := oneOf(value, agentStates)
		if !ok {
			return "-ERR Invalid Agent State!\n"
		}
		ag.state = value
		if st == "Receiving" {
			ag.lastOffered = now
		}
		sw.fireCCLocked("cc_agent_update", nil, "CC-Agent", name, "CC-Action", "agent-state-change", "CC-Agent-State", value)
	case "state_if_waiting":
		if _, ok := oneOf(value, agentStates); !ok {
			return "-ERR Invalid Agent State!\n"
		}
		if ag.state != "Waiting" || (ag.status != "Available" && ag.status != "Available (On Demand)") {
			return "-ERR Agent not found!\n"
		}
		ag.state = value
		sw.fireCCLocked("cc_agent_update", nil, "CC-Agent", name, "CC-Action", "agent-state-change", "CC-Agent-State", value)
	case "uuid":
		ag.uuid = value
	case "contact":
		ag.contact = value
		sw.fireCCLocked("cc_agent_update", nil, "CC-Agent", name, "CC-Action", "agent-contact-change", "CC-Agent-Contact", value)
	case "type":
		if !strings.EqualFold(value, "Callback") && !strings.EqualFold(value, "uuid-standby") {
			return "-ERR Invalid Agent Type!\n"
		}
		ag.typ = value
	case "ready_time":
		ag.readyTime = atol(value)
	case "busy_delay_time":
		ag.busyDelay = atol(value)
	case "reject_delay_time":
		ag.rejectDelay = atol(value)
	case "no_answer_delay_time":
		ag.noAnswerDelay = atol(value)
	case "max_no_answer":
		ag.maxNoAnswer = atol(value)
	case "wrap_up_time":
		ag.wrapUpTime = atol(value)
	default:
		return "-ERR Invalid Agent Update KEY!\n"
	}
	return "+OK\n"
}

// tierCommand runs callcenter_config tier <act> <a...>.
func (cc *callcenter) tierCommand(act string, a []string) string {
	switch act {
	case "add":
		if len(a) < 2 {
			return "-ERR Invalid!\n"
		}
		level, position := int64(1), int64(1)
		if arg(a, 2) != "" {
			level = atol(a[2])
		}
		if arg(a, 3) != "" {
			position = atol(a[3])
		}
		switch {
		case !cc.getQueue(a[0]):
			return "-ERR Queue not found!\n"
		case cc.agent(a[1]) == nil:
			return "-ERR Agent not found!\n"
		case cc.tier(a[0], a[1]) != nil:
			return "-ERR Tier already exist!\n"
		}
		cc.tiers = append(cc.tiers, &ccTier{queue: a[0], agent: a[1], state: "Ready", level: level, position: position})
		return "+OK\n"
	case "set":
		if len(a) < 4 {
			return "-ERR Invalid!\n"
		}
		key, value, t := a[0], a[3], cc.tier(a[1], a[2])
		switch {
		case t == nil:
			return "-ERR Unknown Error!\n"
		case cc.agent(t.agent) == nil, !cc.getQueue(t.queue):
			return "-ERR Agent not found!\n" // sic, for a missing queue too
		}
		switch strings.ToLower(key) {
		case "state":
			if _, ok := oneOf(value, tierStates); !ok {
				return "-ERR Invalid Tier State!\n"
			}
			t.state = value
		case "level":
			t.level = atol(value)
		case "position":
			t.position = atol(value)
		default:
			return "-ERR Invalid Tier Update KEY!\n"
		}
		return "+OK\n"
	case "del":
		if len(a) < 2 {
			return "-ERR Invalid!\n"
		}
		cc.tiers = slices.DeleteFunc(cc.tiers, func(t *ccTier) bool { return t.queue == a[0] && t.agent == a[1] })
		return "+OK\n"
	case "list":
		tiers := slices.Clone(cc.tiers)
		slices.SortStableFunc(tiers, func(x, y *ccTier) int {
			return cmp.Or(cmp.Compare(x.level, y.level), cmp.Compare(x.position, y.position))
		})
		var rows [][]string
		for _, t := range tiers {
			rows = append(rows, t.row())
		}
		return table(tierCols, rows)
	}
	return ""
}

// queueCommand runs callcenter_config queue <act> <a...>.
func (cc *callcenter) queueCommand(act string, a []string) string {
	switch act {
	case "load", "unload", "reload":
		if len(a) < 1 {
			return "-ERR Invalid!\n"
		}
		if act != "load" {
			cc.queues = slices.DeleteFunc(cc.queues, func(q string) bool { return q == a[0] })
		}
		if act != "unload" && !cc.getQueue(a[0]) {
			return "-ERR Invalid Queue not found!\n"
		}
		return "+OK\n"
	case "list":
		if len(a) == 0 {
			// The header is printed whether or not a queue is loaded.
			var b strings.Builder
			b.WriteString(strings.Join(queueCols, "|") + "\n")
			for _, q := range cc.queues {
				b.WriteString(q + "|longest-idle-agent|local_stream://moh|system|false|300|true|false|60|false|0|0|5||0|0|0|true|On Break\n")
			}
			return b.String() + "+OK\n"
		}
		switch strings.ToLower(a[0]) {
		case "agents":
			return table(agentCols, cc.queueAgentRows(a[1:]))
		case "members":
			return table(memberCols, cc.memberRows(arg(a, 1)))
		case "tiers":
			var rows [][]string
			for _, t := range cc.tiers {
				if t.queue == arg(a, 1) {
					rows = append(rows, t.row())
				}
			}
			return table(tierCols, rows)
		}
		return "-ERR Invalid!\n"
	case "count":
		if len(a) == 0 {
			return strconv.Itoa(len(cc.queues)) + "\n"
		}
		n := 0
		switch strings.ToLower(a[0]) {
		case "agents":
			n = len(cc.queueAgentRows(a[1:]))
		case "members":
			for _, m := range cc.members {
				if m.queue == arg(a, 1) {
					n++
				}
			}
		case "tiers":
			for _, t := range cc.tiers {
				if t.queue == arg(a, 1) {
					n++
				}
			}
		default:
			return "-ERR Invalid!\n"
		}
		return strconv.Itoa(n) + "\n"
	}
	return ""
}

// queueAgentRows returns the agents with a tier in the queue a[0], with the
// status a[1] and the state a[2] when given.
func (cc *callcenter) queueAgentRows(a []string) [][]string {
	var rows [][]string
	for _, t := range cc.tiers {
		ag := cc.agent(t.agent)
		if t.queue != arg(a, 0) || ag == nil || (len(a) > 1 && ag.status != a[1]) || (len(a) > 2 && ag.state != a[2]) {
			continue
		}
		rows = append(rows, ag.row())
	}
	return rows
}

// memberRows returns the members of the queue, best score first, or of all
// queues by queue name when queue is "".
func (cc *callcenter) memberRows(queue string) [][]string {
	now := time.Now()
	var ms []*ccMember
	for _, m := range cc.members {
		if queue == "" || m.queue == queue {
			ms = append(ms, m)
		}
	}
	slices.SortStableFunc(ms, func(x, y *ccMember) int {
		return cmp.Or(cmp.Compare(x.queue, y.queue), cmp.Compare(y.score(now), x.score(now)))
	})
	var rows [][]string
	for _, m := range ms {
		rows = append(rows, m.row(now))
	}
	return rows
}
