package mock

import (
	"fmt"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// The demo PBX's data, public so that tests and examples can name it.
const (
	// DemoExtension is the demo's LiteNet user: extension 1010, registered,
	// with voicemail, on a call-me (music on hold) call.
	DemoExtension pbx.ExtensionID = "1010"
	// DemoConference is the demo's active conference room.
	DemoConference pbx.ConferenceID = "400"
	// DemoQueue is the demo's queue with members and waiting callers.
	DemoQueue pbx.QueueID = "sales"
)

type demoExt struct {
	id    pbx.ExtensionID
	name  string
	ua    string // "" for a device that is not registered
	ip    string
	port  int
	rttMs int
}

var demoExts = []demoExt{
	{"1001", "Alice Johnson", "Yealink SIP-T46S 66.86.0.15", "192.0.2.11", 5060, 12},
	{"1002", "Bob Smith", "Linphone/5.2.5 (belle-sip/5.2.4)", "192.0.2.12", 5062, 35},
	{"1003", "Carol White", "Z 5.6.4 v2.10.20.2", "198.51.100.23", 51234, 48},
	{"1004", "Dave Brown", "Grandstream GXP2170 1.0.11.23", "192.0.2.14", 5060, 9},
	{"1005", "Erin Davis", "", "", 0, 0},
	{"1006", "Frank Miller", "MicroSIP/3.21.3", "203.0.113.5", 49152, 61},
	{"1010", "rocord", "Linphone/4.4.0 (belle-sip/4.4.0)", "192.168.1.100", 5060, 12},
}

// NewDemo returns a PBX seeded with demo data: seven extensions (six
// registered, with the user agents of real phones), live calls (a call-me on
// music on hold, a two-party call, a conference), voicemail with audio in
// several folders, queues with members and waiting callers, and 60 days of
// CDR history. opts works as for [New]; with the same seed and clock the
// demo is the same every time.
func NewDemo(opts *Options) *PBX {
	p := New(opts)
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	for _, d := range demoExts {
		e := pbx.Extension{ID: d.id, Name: d.name, Tech: pbx.TechPJSIP, Mailbox: pbx.MailboxID(d.id), RingTime: 20 * time.Second}
		_ = p.addExtension(&e, pbx.NewSecret())
		if d.ua != "" {
			x := p.exts[d.id]
			x.contacts = []pbx.Contact{{
				URI:       fmt.Sprintf("sip:%s@%s:%d", d.id, d.ip, d.port),
				UserAgent: d.ua, IP: d.ip, Port: d.port, RTT: time.Duration(d.rttMs) * time.Millisecond,
				Status: pbx.ContactReachable, Expires: now.Add(50 * time.Minute),
			}}
			x.lastState = pbx.DeviceNotInUse
		}
	}
	p.exts["1003"].forward = pbx.CallForward{NoAnswer: "1001"}
	p.exts["1004"].followMe = pbx.FollowMe{Enabled: true, Numbers: []string{"1004", "+15550001004"}, RingTime: 20 * time.Second}
	p.exts["1006"].dnd = true

	// Live calls, made through the real call flow, then aged.
	age := func(id pbx.CallID, d time.Duration) {
		if c := p.calls[id]; c != nil {
			c.Started = c.Started.Add(-d)
			c.Answered = c.Answered.Add(-d + 2*time.Second)
			if c.peer != nil {
				c.peer.Started, c.peer.Answered = c.Started.Add(time.Second), c.Answered
			}
		}
	}
	mustOriginate := func(req pbx.OriginateRequest) {
		req.Timeout = 30 * time.Second
		if err := p.originate(&req); err != nil {
			panic("mock: demo: " + err.Error())
		}
	}
	mustOriginate(pbx.OriginateRequest{ID: "1700000000.101", From: DemoExtension, Mode: pbx.ModeMusicOnHold,
		CallerID: pbx.Party{Name: "Call Me Test (MusicOnHold)", Number: string(DemoExtension)}})
	age("1700000000.101", 109*time.Second)
	mustOriginate(pbx.OriginateRequest{ID: "1700000000.102", From: "1002", Mode: pbx.ModeDial, To: "1003",
		CallerID: pbx.Party{Name: "Bob Smith", Number: "1002"}})
	age("1700000000.102", 4*time.Minute+12*time.Second)
	for i, ext := range []pbx.ExtensionID{"1004", "1001"} {
		id := pbx.CallID(fmt.Sprintf("1700000000.2%02d", i))
		mustOriginate(pbx.OriginateRequest{ID: id, From: ext, Mode: pbx.ModeConference, To: string(DemoConference)})
		age(id, time.Duration(10-i*3)*time.Minute)
	}
	if r := p.rooms[DemoConference]; r != nil {
		r.started = r.started.Add(-10 * time.Minute)
		r.parts[0].Admin, r.parts[0].Marked = true, true
		r.parts[1].Muted = true
		for _, part := range r.parts {
			part.Joined = part.call.Answered
		}
	}

	p.roomCfg[DemoConference] = &pbx.Room{ID: DemoConference, Name: "Community room", MaxParticipants: 50}
	p.roomCfg["401"] = &pbx.Room{ID: "401", Name: "Staff", PIN: "7788", AdminPIN: "9911", MaxParticipants: 10}

	// Queues: sales has members and two callers waiting; support is quiet.
	p.queues[DemoQueue] = &queue{id: DemoQueue, strategy: pbx.StrategyRoundRobin, completed: 41, abandoned: 3,
		config:    pbx.QueueConfig{Name: "Sales", RingTimeout: 15 * time.Second, MaxWait: 10 * time.Minute},
		holdTotal: 41 * 38 * time.Second, talkTotal: 41 * 245 * time.Second,
		members: []*pbx.QueueMember{
			{Interface: "PJSIP/1001", Name: "Alice Johnson", CallsTaken: 23, LastCall: now.Add(-25 * time.Minute)},
			{Interface: "PJSIP/1004", Name: "Dave Brown", Penalty: 1, Paused: true, PauseReason: "lunch", CallsTaken: 18, LastCall: now.Add(-time.Hour)},
		}}
	p.queues["support"] = &queue{id: "support", strategy: pbx.StrategyLeastRecent,
		config:  pbx.QueueConfig{Name: "Support", RingTimeout: 20 * time.Second},
		members: []*pbx.QueueMember{{Interface: "PJSIP/1005", Name: "Erin Davis"}, {Interface: "PJSIP/1006", Name: "Frank Miller"}}}
	for _, caller := range []pbx.Party{{Name: "JOHN CALLER", Number: "+15551234567"}, {Name: "", Number: "+15559876543"}} {
		id, _ := p.queueCall(DemoQueue, caller)
		age(id, 2*time.Minute)
		q := p.queues[DemoQueue]
		q.callers[len(q.callers)-1].joined = p.calls[id].Started
	}

	// Voicemail in several folders.
	vm := []struct {
		box    pbx.MailboxID
		folder pbx.Folder
		from   pbx.Party
		ago    time.Duration
		dur    time.Duration
	}{
		{"1010", pbx.FolderInbox, pbx.Party{Name: "Alice Johnson", Number: "1001"}, 2 * time.Hour, 7 * time.Second},
		{"1010", pbx.FolderOld, pbx.Party{Name: "WIRELESS CALLER", Number: "+15557654321"}, 26 * time.Hour, 12 * time.Second},
		{"1010", pbx.FolderOld, pbx.Party{Name: "Bob Smith", Number: "1002"}, 50 * time.Hour, 4 * time.Second},
		{"1010", pbx.FolderWork, pbx.Party{Name: "Dave Brown", Number: "1004"}, 8 * 24 * time.Hour, 9 * time.Second},
		{"1001", pbx.FolderInbox, pbx.Party{Name: "JOHN CALLER", Number: "+15551234567"}, 40 * time.Minute, 15 * time.Second},
		{"1001", pbx.FolderInbox, pbx.Party{Name: "Carol White", Number: "1003"}, 3 * time.Hour, 6 * time.Second},
		{"1001", pbx.FolderOld, pbx.Party{Name: "Frank Miller", Number: "1006"}, 30 * time.Hour, 5 * time.Second},
		{"1002", pbx.FolderUrgent, pbx.Party{Name: "Alice Johnson", Number: "1001"}, 10 * time.Minute, 8 * time.Second},
	}
	for _, m := range vm {
		_, _ = p.leaveVoicemail(m.box, m.from, m.dur, now.Add(-m.ago), m.folder)
	}

	p.seedCDR(now, 60)
	return p
}

// seedCDR fills the CDR history with plausible calls over the last days.
func (p *PBX) seedCDR(now time.Time, days int) {
	exts := []string{"1001", "1002", "1003", "1004", "1005", "1006", "1010"}
	outside := []string{"+15551234567", "+15559876543", "+15557654321", "+442071838750", "+15550001004"}
	seq := 0
	day0 := now.Add(-time.Duration(days) * 24 * time.Hour).Truncate(24 * time.Hour)
	for d := 0; d <= days; d++ {
		day := day0.Add(time.Duration(d) * 24 * time.Hour)
		n := 8 + p.rng.IntN(25)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			n /= 3
		}
		for range n {
			start := day.Add(8*time.Hour + time.Duration(p.rng.IntN(11*3600))*time.Second)
			if !start.Before(now) {
				continue
			}
			seq++
			src := exts[p.rng.IntN(len(exts))]
			dst := exts[p.rng.IntN(len(exts))]
			if p.rng.IntN(4) == 0 {
				dst = outside[p.rng.IntN(len(outside))]
			} else if p.rng.IntN(5) == 0 {
				src = outside[p.rng.IntN(len(outside))]
			}
			ring := time.Duration(3+p.rng.IntN(20)) * time.Second
			r := pbx.CDR{
				Start: start, Caller: pbx.Party{Number: src}, Src: src, Dst: dst, Context: "from-internal",
				Channel:    fmt.Sprintf("PJSIP/%s-%08x", src, seq),
				DstChannel: fmt.Sprintf("PJSIP/%s-%08x", dst, seq+1),
				LastApp:    "Dial", LastData: "PJSIP/" + dst + ",30",
				UniqueID: pbx.CallID(fmt.Sprintf("%d.%d", start.Unix(), seq)),
			}
			if src[0] == '+' {
				r.Channel, r.Context = fmt.Sprintf("PJSIP/trunk-%08x", seq), "from-trunk"
			}
			if dst[0] == '+' {
				r.DstChannel = fmt.Sprintf("PJSIP/trunk-%08x", seq+1)
			}
			r.LinkedID = r.UniqueID
			talk := time.Duration(0)
			switch k := p.rng.IntN(100); {
			case k < 70:
				r.Disposition = pbx.DispositionAnswered
				talk = time.Duration(10+p.rng.IntN(900)) * time.Second
				r.Answer = start.Add(ring)
				if p.rng.IntN(3) == 0 {
					r.Recording = fmt.Sprintf("internal-%s-%s-%s-%s.wav", dst, src, start.Format("20060102-150405"), r.UniqueID)
				}
			case k < 82:
				r.Disposition, ring = pbx.DispositionNoAnswer, 30*time.Second
			case k < 92:
				r.Disposition, ring = pbx.DispositionBusy, time.Second
			default:
				r.Disposition, ring = pbx.DispositionFailed, 0
			}
			if p.rng.IntN(6) == 0 {
				r.AccountCode = "sales"
			}
			r.End = start.Add(ring + talk)
			r.Duration, r.Billable = ring+talk, talk
			r.Sequence = int64(len(p.cdrs))
			p.cdrs = append(p.cdrs, r)
		}
	}
}
