package mock

import (
	"fmt"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// call is one leg, with what the mock needs to move it along.
type call struct {
	pbx.Call
	ext      *extension // the leg's extension, nil for outside lines
	peer     *call      // the leg it dials or is bridged with
	owner    bool       // writes the CDR when it ends (the calling leg)
	dst      string     // CDR dst
	lastPeer string     // CDR dstchannel
	outcome  pbx.Disposition
	room     pbx.ConferenceID
	queue    pbx.QueueID
	timer    Timer
	ended    bool
}

// newLeg creates a leg and emits CallStarted. p.mu must be held.
func (p *PBX) newLeg(x *extension, id, linked pbx.CallID, caller pbx.Party) *call {
	p.chanSeq++
	channel := fmt.Sprintf("PJSIP/trunk-%08x", p.chanSeq)
	var ext pbx.ExtensionID
	if x != nil {
		channel = fmt.Sprintf("%s-%08x", x.Dial, p.chanSeq)
		ext = x.ID
	}
	if id == "" {
		id = pbx.CallID(fmt.Sprintf("%d.%d", p.started.Unix(), p.chanSeq))
	}
	if linked == "" {
		linked = id
	}
	c := &call{
		Call: pbx.Call{
			ID: id, LinkedID: linked, Channel: channel, Extension: ext, Caller: caller,
			State: pbx.CallStateDown, Started: p.now(), Context: "from-internal",
		},
		ext: x,
	}
	p.calls[id] = c
	p.emit(&pbx.CallStarted{Call: p.snapshot(c)})
	if x != nil {
		p.refreshDevice(x)
	}
	return c
}

// snapshot returns the leg as a reader sees it now.
func (p *PBX) snapshot(c *call) pbx.Call {
	s := c.Call
	s.Duration = p.now().Sub(c.Started)
	return s
}

func (p *PBX) setState(c *call, s pbx.CallState) {
	c.State = s
	if c.ext != nil {
		p.refreshDevice(c.ext)
	}
}

// ring makes a leg ring and applies its phone's behavior: answer (now or
// after a delay), busy, or ring until timeout. then runs once it answers.
func (p *PBX) ring(c *call, timeout time.Duration, then func(*call)) {
	p.setState(c, pbx.CallStateRinging)
	p.emit(&pbx.CallRinging{Call: p.snapshot(c)})
	behavior, delay := Answer, time.Duration(0)
	if c.ext != nil {
		behavior, delay = c.ext.behavior, c.ext.delay
	}
	switch behavior {
	case Busy:
		p.fail(c, pbx.DispositionBusy, pbx.CauseBusy)
	case NoAnswer:
		c.timer = p.clock.AfterFunc(timeout, p.locked(func() {
			if !c.ended && c.State == pbx.CallStateRinging {
				p.fail(c, pbx.DispositionNoAnswer, pbx.CauseNoAnswer)
			}
		}))
	default:
		if delay <= 0 {
			p.answer(c, then)
			return
		}
		c.timer = p.clock.AfterFunc(delay, p.locked(func() {
			if !c.ended && c.State == pbx.CallStateRinging {
				p.answer(c, then)
			}
		}))
	}
}

// fail ends a leg that could not be connected, and the leg dialing it, with
// the outcome their CDR records.
func (p *PBX) fail(c *call, d pbx.Disposition, cause pbx.HangupCause) {
	c.outcome = d
	if c.peer != nil {
		c.peer.outcome = d
	}
	p.hangupGroup(c, cause)
}

// locked wraps f to run with p.mu held, as timers need.
func (p *PBX) locked(f func()) func() {
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		f()
	}
}

func (p *PBX) answer(c *call, then func(*call)) {
	c.Answered = p.now()
	c.outcome = pbx.DispositionAnswered
	p.setState(c, pbx.CallStateUp)
	p.emit(&pbx.CallAnswered{Call: p.snapshot(c)})
	if then != nil {
		then(c)
	}
}

// originate places a call for a validated request; an empty req.ID gets a
// generated one. p.mu must be held.
func (p *PBX) originate(req *pbx.OriginateRequest) error {
	if _, dup := p.calls[req.ID]; dup && req.ID != "" {
		return pbx.Errorf(pbx.AlreadyExists, "call ID %s is in use", req.ID)
	}
	from := req.From
	if req.FromEndpoint != "" {
		from = pbx.InterfaceExtension(req.FromEndpoint)
	}
	x, err := p.ext(from)
	if err != nil {
		return err
	}
	if req.FromEndpoint != "" && req.FromEndpoint != x.Dial {
		return notFound("no endpoint %s", req.FromEndpoint)
	}
	if x.Tech == pbx.TechVirtual {
		return pbx.Errorf(pbx.FailedPrecondition, "extension %s has no device", x.ID)
	}
	if len(x.contacts) == 0 {
		return pbx.Errorf(pbx.FailedPrecondition, "extension %s has no registered device", x.ID)
	}
	p.calledIn++
	c := p.newLeg(x, req.ID, "", req.CallerID)
	c.owner = true
	c.AccountCode = req.AccountCode
	c.dst = req.To
	if req.Context != "" {
		c.Context = req.Context
	}
	switch req.Mode {
	case pbx.ModeMusicOnHold, pbx.ModeEchoTest, pbx.ModePark:
		c.dst = "s"
	}
	mode, to := req.Mode, req.To
	p.ring(c, req.Timeout, func(c *call) { p.connect(c, mode, to) })
	return nil
}

// connect runs what an answered originated leg does.
func (p *PBX) connect(c *call, mode pbx.CallMode, to string) {
	switch mode {
	case pbx.ModeMusicOnHold:
		c.Application, c.ApplicationData = "MusicOnHold", "default"
	case pbx.ModeEchoTest:
		c.Application, c.ApplicationData = "Echo", ""
	case pbx.ModePark:
		c.Application, c.ApplicationData = "Park", ""
	case pbx.ModeConference:
		c.Application, c.ApplicationData = "ConfBridge", to
		if !p.join(c, pbx.ConferenceID(to)) {
			p.hangupGroup(c, pbx.CauseNormal)
		}
	default:
		p.dial(c, to)
	}
}

// dial makes leg a call a number: an extension's device, or an outside line
// that answers at once.
func (p *PBX) dial(a *call, number string) {
	x := p.exts[pbx.ExtensionID(number)]
	if x != nil && x.forward.Always != "" && x.forward.Always != number {
		number, x = x.forward.Always, p.exts[pbx.ExtensionID(x.forward.Always)]
	}
	a.Application, a.ApplicationData = "Dial", number
	a.dst = number
	if x != nil {
		a.ApplicationData = x.Dial + ",30"
		if x.dnd || (x.noCW && p.deviceState(x) == pbx.DeviceInUse) {
			p.fail(a, pbx.DispositionBusy, pbx.CauseBusy)
			return
		}
		if x.Tech == pbx.TechVirtual || len(x.contacts) == 0 {
			p.fail(a, pbx.DispositionFailed, pbx.CauseUnavailable)
			return
		}
	}
	// As on Asterisk, a dialed leg's caller ID is its own endpoint's and the
	// caller shows as its connected line.
	from := a.Caller
	if a.ext != nil {
		from = pbx.Party{Name: a.ext.Name, Number: string(a.ext.ID)}
	}
	self := pbx.Party{Number: number}
	if x != nil {
		self.Name = x.Name
	}
	b := p.newLeg(x, "", a.LinkedID, self)
	b.Connected = from
	a.peer, b.peer = b, a
	a.lastPeer = b.Channel
	b.Application, b.ApplicationData = "AppDial", "(Outgoing Line)"
	p.ring(b, 30*time.Second, func(b *call) { p.bridge(a, b) })
}

// bridge connects two answered legs.
func (p *PBX) bridge(a, b *call) {
	id := "bridge-" + p.newID()
	a.BridgeID, b.BridgeID = id, id
	a.Connected = pbx.Party{Name: b.Caller.Name, Number: b.Caller.Number}
	if b.ext != nil {
		a.Connected = pbx.Party{Name: b.ext.Name, Number: string(b.ext.ID)}
	}
	a.outcome = pbx.DispositionAnswered
	p.emit(&pbx.CallBridged{Call: p.snapshot(a), BridgeID: id})
	p.emit(&pbx.CallBridged{Call: p.snapshot(b), BridgeID: id})
}

// hangupGroup ends a leg and the leg it dials or is bridged with, then posts
// the CDRs of the calling legs among them.
func (p *PBX) hangupGroup(c *call, cause pbx.HangupCause) {
	legs := []*call{c}
	if c.peer != nil && !c.peer.ended {
		legs = append(legs, c.peer)
	}
	for _, l := range legs {
		p.end(l, cause)
	}
	for _, l := range legs {
		if l.owner {
			p.postCDR(l, cause)
		}
	}
}

// end removes one leg and emits what its leaving causes.
func (p *PBX) end(c *call, cause pbx.HangupCause) {
	if c.ended {
		return
	}
	c.ended = true
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.room != "" {
		p.leave(c)
	}
	if c.queue != "" {
		p.dequeue(c, true)
	}
	delete(p.calls, c.ID)
	p.emit(&pbx.CallEnded{Call: p.snapshot(c), Cause: cause, CauseText: cause.String()})
	if c.ext != nil {
		p.refreshDevice(c.ext)
	}
	if c.peer != nil {
		c.peer.peer = nil
		c.peer = nil
	}
}

func (p *PBX) postCDR(c *call, cause pbx.HangupCause) {
	end := p.now()
	r := pbx.CDR{
		Start: c.Started, Answer: c.Answered, End: end,
		Caller: c.Caller, Src: c.Caller.Number, Dst: c.dst, Context: c.Context,
		Channel: c.Channel, DstChannel: c.lastPeer, LastApp: c.Application, LastData: c.ApplicationData,
		Duration:    end.Sub(c.Started).Truncate(time.Second),
		Disposition: c.outcome, AccountCode: c.AccountCode, UniqueID: c.ID, LinkedID: c.LinkedID,
	}
	if r.Src == "" {
		r.Src = string(c.Extension)
	}
	if !c.Answered.IsZero() {
		r.Billable = end.Sub(c.Answered).Truncate(time.Second)
	}
	if r.Disposition == pbx.DispositionUnknown {
		switch cause {
		case pbx.CauseBusy:
			r.Disposition = pbx.DispositionBusy
		case pbx.CauseNoAnswer:
			r.Disposition = pbx.DispositionNoAnswer
		default:
			r.Disposition = pbx.DispositionFailed
		}
	}
	r.Sequence = int64(len(p.cdrs))
	p.cdrs = append(p.cdrs, r)
	p.emit(&pbx.CDRPosted{CDR: r})
}

// transfer redirects a leg to a number: the leg it was connected to hangs
// up and the leg dials the number.
func (p *PBX) transfer(c *call, to string) {
	p.emit(&pbx.CallTransferred{Call: p.snapshot(c), To: to})
	if c.room != "" {
		p.leave(c)
	}
	if c.queue != "" {
		p.dequeue(c, false)
	}
	if old := c.peer; old != nil {
		c.peer, old.peer = nil, nil
		p.end(old, pbx.CauseNormal)
		if old.owner {
			p.postCDR(old, pbx.CauseNormal)
		}
	}
	c.BridgeID = ""
	c.owner = true
	p.dial(c, to)
}
