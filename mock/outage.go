package mock

import (
	"slices"

	"github.com/pbxkit/pbxkit/pbx"
)

// snapshot is what clients knew when the PBX went down, to tell them what
// changed when it comes back.
type snapshot struct {
	calls     map[pbx.CallID]pbx.Call
	states    map[pbx.ExtensionID]pbx.DeviceState
	counts    map[pbx.MailboxID]pbx.MailboxCounts
	restarted bool // the PBX restarted while down
}

// Disconnect makes the PBX unreachable, as if it stopped or the network
// failed: every client gets BackendDisconnected, calls fail with
// ErrUnavailable, and events are lost until Reconnect. The PBX itself goes on
// (calls still end, phones still register) through the hooks.
func (p *PBX) Disconnect(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.disconnect(reason)
}

// Restart makes the PBX restart while clients are connected: they get
// BackendDisconnected, every call ends (its CDR is posted), and at once the
// PBX is back: clients get BackendReconnected with Restarted set, then
// CallEnded for the calls they knew, as a backend reports a real PBX's
// restart. DND, forwarding, voicemail and the rest survive, as a PBX keeps
// them on disk.
func (p *PBX) Restart(reason string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.disconnect(reason)
	p.down.restarted = true
	for _, id := range sortedKeys(p.calls) {
		if c := p.calls[id]; c != nil {
			p.hangupGroup(c, pbx.CauseFailure)
		}
	}
	p.reconnect()
}

// disconnect is Disconnect with p.mu held.
func (p *PBX) disconnect(reason string) {
	if p.down != nil {
		return
	}
	p.emit(&pbx.BackendDisconnected{Reason: reason})
	s := &snapshot{
		calls:  map[pbx.CallID]pbx.Call{},
		states: map[pbx.ExtensionID]pbx.DeviceState{},
		counts: map[pbx.MailboxID]pbx.MailboxCounts{},
	}
	for id, c := range p.calls {
		s.calls[id] = p.snapshot(c)
	}
	for id, x := range p.exts {
		s.states[id] = p.deviceState(x)
	}
	for id, b := range p.boxes {
		s.counts[id] = b.counts()
	}
	p.down, p.downAt = s, p.now()
}

// Reconnect makes the PBX reachable again. Clients get BackendReconnected,
// then, as a real backend resynchronising would report them, CallEnded for
// calls that ended meanwhile, CallStarted for calls that began, and
// DeviceStateChanged and MailboxChanged for what differs.
func (p *PBX) Reconnect() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reconnect()
}

// reconnect is Reconnect with p.mu held.
func (p *PBX) reconnect() {
	s := p.down
	if s == nil {
		return
	}
	p.down = nil
	p.emit(&pbx.BackendReconnected{Downtime: p.now().Sub(p.downAt), Restarted: s.restarted})
	for _, id := range sortedKeys(s.calls) {
		if p.calls[id] == nil {
			p.emit(&pbx.CallEnded{Call: s.calls[id], Cause: pbx.CauseUnknown, CauseText: "ended while disconnected"})
		}
	}
	for _, id := range sortedKeys(p.calls) {
		if _, known := s.calls[id]; !known {
			p.emit(&pbx.CallStarted{Call: p.snapshot(p.calls[id])})
		}
	}
	for _, id := range sortedKeys(p.exts) {
		x := p.exts[id]
		if st := p.deviceState(x); st != s.states[id] {
			x.lastState = st
			p.emit(&pbx.DeviceStateChanged{Extension: id, Device: x.Dial, State: st})
		}
	}
	for _, id := range sortedKeys(p.boxes) {
		if c := p.boxes[id].counts(); c != s.counts[id] {
			p.emit(&pbx.MailboxChanged{Mailbox: id, Counts: c})
		}
	}
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
