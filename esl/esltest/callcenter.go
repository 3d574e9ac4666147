package esltest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// callcenter is mod_callcenter's state: queues, agents, tiers and the
// callers waiting in queues (members). It has no ACD: members wait until
// they hang up or are transferred.
type callcenter struct {
	queues  []string
	agents  []*ccAgent
	tiers   []*ccTier
	members []*ccMember
}

type ccAgent struct {
	name, typ, contact, status, state string
	lastStatusChange                  time.Time
}

type ccTier struct {
	queue, agent, state string
	level, position     int
}

type ccMember struct {
	queue, uuid, session, cidNum, cidName, state string
	joined                                       time.Time
}

func newCallcenter(queues []string) *callcenter {
	return &callcenter{queues: append([]string(nil), queues...)}
}

var agentStatuses = []string{"Logged Out", "Available", "Available (On Demand)", "On Break"}
var agentStates = []string{"Idle", "Waiting", "Receiving", "In a queue call"}

func oneOf(v string, set []string) (string, bool) {
	for _, s := range set {
		if strings.EqualFold(s, v) {
			return s, true
		}
	}
	return "", false
}

func (cc *callcenter) agent(name string) *ccAgent {
	for _, a := range cc.agents {
		if a.name == name {
			return a
		}
	}
	return nil
}

func (cc *callcenter) hasQueue(name string) bool {
	for _, q := range cc.queues {
		if q == name {
			return true
		}
	}
	return false
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
	tierCols   = []string{"queue", "agent", "state", "level", "position"}
	memberCols = []string{"queue", "instance_id", "uuid", "session_uuid", "cid_number", "cid_name",
		"system_epoch", "joined_epoch", "rejoined_epoch", "bridge_epoch", "abandoned_epoch",
		"base_score", "skill_score", "serving_agent", "serving_system", "state", "score"}
)

func (sw *switchState) fireCCLocked(ch *channel, kv ...string) {
	ev := &Event{Name: "CUSTOM", Subclass: "callcenter::info", callFile: "mod_callcenter.c", callFunc: "cc_agent_update", callLine: 1}
	if ch != nil {
		ev.Headers = append(ev.Headers, sw.channelData(ch, "")...)
	}
	ev.Add(kv...)
	sw.s.fireLocked(ev)
}

// memberJoinLocked puts ch in queue as a waiting member.
func (cc *callcenter) memberJoinLocked(sw *switchState, ch *channel, queue string) {
	if !cc.hasQueue(queue) {
		sw.hangupLocked(ch, "NORMAL_TEMPORARY_FAILURE")
		return
	}
	m := &ccMember{queue: queue, uuid: newUUID(), session: ch.uuid, cidNum: ch.cidNum, cidName: ch.cidName, state: "Waiting", joined: time.Now()}
	cc.members = append(cc.members, m)
	ch.queue = queue
	ch.app, ch.appData = "callcenter", queue
	sw.fireCCLocked(ch, "CC-Queue", queue, "CC-Action", "member-queue-start",
		"CC-Member-UUID", m.uuid, "CC-Member-Session-UUID", ch.uuid,
		"CC-Member-CID-Name", ch.cidName, "CC-Member-CID-Number", ch.cidNum)
	sw.fireCCLocked(nil, "CC-Queue", queue, "CC-Action", "members-count",
		"CC-Count", strconv.Itoa(cc.countMembers(queue)), "CC-Selection", "Single-Queue")
}

func (cc *callcenter) countMembers(queue string) int {
	n := 0
	for _, m := range cc.members {
		if m.queue == queue {
			n++
		}
	}
	return n
}

// memberLeaveLocked removes ch's member from its queue.
func (cc *callcenter) memberLeaveLocked(sw *switchState, ch *channel, cause string) {
	queue := ch.queue
	ch.queue = ""
	for i, m := range cc.members {
		if m.session != ch.uuid {
			continue
		}
		cc.members = append(cc.members[:i], cc.members[i+1:]...)
		sw.fireCCLocked(ch, "CC-Queue", queue, "CC-Action", "member-queue-end",
			"CC-Member-Joined-Time", strconv.FormatInt(m.joined.Unix(), 10),
			"CC-Member-Leaving-Time", strconv.FormatInt(time.Now().Unix(), 10),
			"CC-Cause", cause, "CC-Cancel-Reason", "BREAK_OUT",
			"CC-Member-UUID", m.uuid, "CC-Member-Session-UUID", ch.uuid,
			"CC-Member-CID-Name", ch.cidName, "CC-Member-CID-Number", ch.cidNum)
		sw.fireCCLocked(nil, "CC-Queue", queue, "CC-Action", "members-count",
			"CC-Count", strconv.Itoa(cc.countMembers(queue)), "CC-Selection", "Single-Queue")
		return
	}
}

func epoch(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// apiCallcenter implements callcenter_config.
func (sw *switchState) apiCallcenter(arg string) string {
	a := args(arg, 10)
	if len(a) < 2 {
		return "-ERR Usage: callcenter_config <section> <action> ...\n"
	}
	s := sw.s
	s.mu.Lock()
	defer s.mu.Unlock()
	cc := sw.cc
	sec, act := strings.ToLower(a[0]), strings.ToLower(a[1])
	get := func(i int) string {
		if i < len(a) {
			return a[i]
		}
		return ""
	}
	switch sec + " " + act {
	case "agent add":
		if len(a) < 4 {
			return "-ERR Invalid!\n"
		}
		if cc.agent(a[2]) != nil {
			return "-ERR Agent already exist!\n"
		}
		if a[3] != "callback" && a[3] != "uuid-standby" {
			return "-ERR Invalid Agent Type!\n"
		}
		cc.agents = append(cc.agents, &ccAgent{name: a[2], typ: a[3], status: "Logged Out", state: "Waiting", lastStatusChange: time.Now()})
		return "+OK\n"
	case "agent del":
		for i, ag := range cc.agents {
			if ag.name == get(2) {
				cc.agents = append(cc.agents[:i], cc.agents[i+1:]...)
				kept := cc.tiers[:0]
				for _, t := range cc.tiers {
					if t.agent != ag.name {
						kept = append(kept, t)
					}
				}
				cc.tiers = kept
				return "+OK\n"
			}
		}
		return "-ERR Agent not found!\n"
	case "agent set":
		if len(a) < 5 {
			return "-ERR Invalid!\n"
		}
		ag := cc.agent(a[3])
		if ag == nil {
			return "-ERR Invalid Agent!\n"
		}
		switch strings.ToLower(a[2]) {
		case "status":
			st, ok := oneOf(a[4], agentStatuses)
			if !ok {
				return "-ERR Invalid Status!\n"
			}
			ag.status, ag.lastStatusChange = st, time.Now()
			sw.fireCCLocked(nil, "CC-Agent", ag.name, "CC-Action", "agent-status-change", "CC-Agent-Status", st)
			return "+OK\n"
		case "state":
			st, ok := oneOf(a[4], agentStates)
			if !ok {
				return "-ERR Invalid State!\n"
			}
			ag.state = st
			sw.fireCCLocked(nil, "CC-Agent", ag.name, "CC-Action", "agent-state-change", "CC-Agent-State", st)
			return "+OK\n"
		case "contact":
			ag.contact = a[4]
			return "+OK\n"
		}
		return "-ERR Invalid Agent Key!\n"
	case "agent get":
		ag := cc.agent(get(3))
		if ag == nil {
			return "-ERR Invalid Agent!\n"
		}
		switch strings.ToLower(get(2)) {
		case "status":
			return ag.status + "\n"
		case "state":
			return ag.state + "\n"
		}
		return "-ERR Invalid Agent Key!\n"
	case "agent list":
		var rows [][]string
		for _, ag := range cc.agents {
			if get(2) != "" && ag.name != get(2) {
				continue
			}
			rows = append(rows, []string{ag.name, "single_box", "", ag.typ, ag.contact, ag.status, ag.state,
				"0", "0", "0", "0", "0", "0", "0", "0", epoch(ag.lastStatusChange), "0", "0", "0", "0", "0"})
		}
		return table(agentCols, rows)
	case "tier add":
		if len(a) < 4 {
			return "-ERR Invalid!\n"
		}
		if !cc.hasQueue(a[2]) {
			return "-ERR Invalid Queue!\n"
		}
		if cc.agent(a[3]) == nil {
			return "-ERR Invalid Agent!\n"
		}
		for _, t := range cc.tiers {
			if t.queue == a[2] && t.agent == a[3] {
				return "-ERR Tier already exist!\n"
			}
		}
		level, position := 1, 1
		if n, err := strconv.Atoi(get(4)); err == nil {
			level = n
		}
		if n, err := strconv.Atoi(get(5)); err == nil {
			position = n
		}
		cc.tiers = append(cc.tiers, &ccTier{queue: a[2], agent: a[3], state: "Ready", level: level, position: position})
		return "+OK\n"
	case "tier del":
		for i, t := range cc.tiers {
			if t.queue == get(2) && t.agent == get(3) {
				cc.tiers = append(cc.tiers[:i], cc.tiers[i+1:]...)
				return "+OK\n"
			}
		}
		return "-ERR Tier not found!\n"
	case "tier list":
		var rows [][]string
		for _, t := range cc.tiers {
			rows = append(rows, []string{t.queue, t.agent, t.state, strconv.Itoa(t.level), strconv.Itoa(t.position)})
		}
		return table(tierCols, rows)
	case "queue list":
		if strings.EqualFold(get(2), "members") {
			q := get(3)
			var rows [][]string
			now := time.Now()
			for _, m := range cc.members {
				if q != "" && m.queue != q {
					continue
				}
				score := strconv.FormatInt(int64(now.Sub(m.joined).Seconds()), 10)
				rows = append(rows, []string{m.queue, "single_box", m.uuid, m.session, m.cidNum, m.cidName,
					epoch(m.joined), epoch(m.joined), "0", "0", "0", "0", "0", "", "", m.state, score})
			}
			return table(memberCols, rows)
		}
		if strings.EqualFold(get(2), "agents") || strings.EqualFold(get(2), "tiers") {
			return table(tierCols, nil)
		}
		var rows [][]string
		for _, q := range cc.queues {
			if get(2) != "" && q != get(2) {
				continue
			}
			rows = append(rows, []string{q, "longest-idle-agent", "local_stream://moh", "system", "false", "300",
				"true", "false", "60", "false", "0", "0", "5", "", "0", "0", "0", "true", "On Break"})
		}
		return table(queueCols, rows)
	case "queue count":
		if strings.EqualFold(get(2), "members") {
			return strconv.Itoa(cc.countMembers(get(3))) + "\n"
		}
		return strconv.Itoa(len(cc.queues)) + "\n"
	}
	return fmt.Sprintf("-ERR Unknown Command %s %s!\n", a[0], a[1])
}
