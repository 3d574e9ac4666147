package mock

import (
	"fmt"
	"slices"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// startActivity schedules the background activity of Options.Activity.
func (p *PBX) startActivity(every time.Duration) {
	var tick func()
	tick = func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.closed {
			return
		}
		p.act()
		p.activity = p.clock.AfterFunc(every, tick)
	}
	p.mu.Lock()
	p.activity = p.clock.AfterFunc(every, tick)
	p.mu.Unlock()
}

// act does one random thing, as people using the PBX would. p.mu is held.
func (p *PBX) act() {
	idle := p.idleExtensions()
	switch k := p.rng.IntN(12); {
	case k < 4 && len(idle) >= 2:
		// Someone calls a colleague.
		a, b := idle[p.rng.IntN(len(idle))], idle[p.rng.IntN(len(idle))]
		if a != b {
			_ = p.originate(&pbx.OriginateRequest{
				From: a.ID, Mode: pbx.ModeDial, To: string(b.ID), Timeout: 30 * time.Second,
				CallerID: pbx.Party{Name: a.Name, Number: string(a.ID)},
			})
		}
	case k < 7:
		// A call ends: the oldest one, so that calls last a few ticks.
		var oldest *call
		for _, c := range p.calls {
			if oldest == nil || c.Started.Before(oldest.Started) || (c.Started.Equal(oldest.Started) && c.ID < oldest.ID) {
				oldest = c
			}
		}
		if oldest != nil && len(p.calls) > 3 {
			p.hangupGroup(oldest, pbx.CauseNormal)
		}
	case k == 7:
		// A phone goes off line or comes back.
		x := p.exts["1005"]
		if x == nil {
			return
		}
		if len(x.contacts) == 0 {
			c := pbx.Contact{URI: "sip:1005@192.0.2.15:5060", UserAgent: "Cisco/SPA504G-7.6.2f", IP: "192.0.2.15", Port: 5060,
				RTT: 22 * time.Millisecond, Status: pbx.ContactReachable, Expires: p.now().Add(time.Hour)}
			x.contacts = []pbx.Contact{c}
			p.emit(&pbx.ContactRegistered{Extension: x.ID, Contact: c})
		} else {
			gone := x.contacts
			x.contacts = nil
			for _, c := range gone {
				p.emit(&pbx.ContactUnregistered{Extension: x.ID, Contact: c})
			}
		}
		p.refreshDevice(x)
	case k == 8:
		// Voicemail arrives; old messages are cleared so memory stays flat.
		boxes := sortedKeys(p.boxes)
		box := p.boxes[boxes[p.rng.IntN(len(boxes))]]
		old := &box.folders[pbx.FolderOld.Index()]
		for len(*old) > 5 {
			*old = slices.Delete(*old, 0, 1)
			box.renumber(pbx.FolderOld.Index())
		}
		if inbox := &box.folders[pbx.FolderInbox.Index()]; len(*inbox) > 5 {
			m := (*inbox)[0]
			*inbox = slices.Delete(*inbox, 0, 1)
			m.Folder = pbx.FolderOld
			*old = append(*old, m)
			box.renumber(pbx.FolderInbox.Index())
			box.renumber(pbx.FolderOld.Index())
		}
		_, _ = p.leaveVoicemail(box.id, pbx.Party{Name: "WIRELESS CALLER", Number: "+15557654321"},
			time.Duration(3+p.rng.IntN(20))*time.Second, p.now(), pbx.FolderInbox)
	case k == 9:
		// The queue moves.
		if q := p.queues[DemoQueue]; q != nil {
			if len(q.callers) < 3 && p.rng.IntN(2) == 0 {
				_, _ = p.queueCall(q.id, pbx.Party{Number: fmt.Sprintf("+1555%07d", p.rng.IntN(10_000_000))})
			} else {
				_ = p.serveQueueCaller(q.id)
			}
		}
	case k == 10 && len(idle) > 0:
		// Someone joins the conference.
		x := idle[p.rng.IntN(len(idle))]
		_ = p.originate(&pbx.OriginateRequest{
			From: x.ID, Mode: pbx.ModeConference, To: string(DemoConference), Timeout: 30 * time.Second,
			CallerID: pbx.Party{Name: "Conference " + string(DemoConference), Number: string(DemoConference)},
		})
	default:
		// Someone toggles do-not-disturb.
		ids := sortedKeys(p.exts)
		x := p.exts[ids[p.rng.IntN(len(ids))]]
		x.dnd = !x.dnd
		p.emit(&pbx.DNDChanged{Extension: x.ID, Enabled: x.dnd})
	}
}

// idleExtensions returns the registered extensions not on a call, in order.
func (p *PBX) idleExtensions() []*extension {
	var out []*extension
	for _, id := range sortedKeys(p.exts) {
		if x := p.exts[id]; p.deviceState(x) == pbx.DeviceNotInUse {
			out = append(out, x)
		}
	}
	return out
}
