package astcore

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/ari"
	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// showChannels lists the live channels with CoreShowChannels.
func (c *Core) showChannels(ctx context.Context) ([]pbx.Call, error) {
	list, err := c.conn.DoList(ctx, action("CoreShowChannels"))
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	calls := make([]pbx.Call, 0, len(list.Items))
	for _, m := range list.Items {
		if m.Event() != "CoreShowChannel" {
			continue
		}
		call := callFromEvent(m, now)
		call.Application, call.ApplicationData = m.Get("Application"), m.Get("ApplicationData")
		call.BridgeID = m.Get("BridgeId")
		if d, ok := parseHMS(m.Get("Duration")); ok {
			call.Started = now.Add(-d)
			call.Duration = d
		}
		if call.State == pbx.CallStateUp {
			call.Answered = call.Started // CoreShowChannels does not say when
		}
		calls = append(calls, call)
	}
	return calls, nil
}

// parseHMS parses CoreShowChannels' "00:01:49".
func parseHMS(s string) (time.Duration, bool) {
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return 0, false
	}
	var total time.Duration
	for i, unit := range []time.Duration{time.Hour, time.Minute, time.Second} {
		n, err := strconv.Atoi(parts[i])
		if err != nil {
			return 0, false
		}
		total += time.Duration(n) * unit
	}
	return total, true
}

// ListCalls implements pbx.CallBackend.
func (c *Core) ListCalls(ctx context.Context) ([]pbx.Call, error) {
	calls, err := c.showChannels(ctx)
	if err != nil {
		return nil, err
	}
	// Events know when a channel was answered; CoreShowChannels does not.
	// A channel whose Hangup event came may still be listed for a moment,
	// until Asterisk destroys it: it is left out, so that a call is never
	// listed after its CallEnded.
	c.mu.Lock()
	defer c.mu.Unlock()
	listed := make(map[pbx.CallID]bool, len(calls))
	for _, call := range calls {
		listed[call.ID] = true
	}
	for id := range c.ended {
		if !listed[id] {
			delete(c.ended, id) // destroyed: nothing left to hide
		}
	}
	calls = slices.DeleteFunc(calls, func(call pbx.Call) bool { _, gone := c.ended[call.ID]; return gone })
	for i := range calls {
		if ch := c.chans[calls[i].ID]; ch != nil && !ch.Answered.IsZero() {
			calls[i].Answered = ch.Answered
		}
	}
	return calls, nil
}

// endedMemory is how long a hung-up channel is kept out of listings when
// no listing comes to see it gone.
const endedMemory = time.Minute

// markEnded records that id's Hangup event came, and forgets the channels
// that ended long ago. c.mu is held.
func (c *Core) markEnded(id pbx.CallID) {
	now := c.cfg.Now()
	c.ended[id] = now
	if len(c.ended) < 64 {
		return
	}
	for x, at := range c.ended {
		if now.Sub(at) > endedMemory {
			delete(c.ended, x)
		}
	}
}

// GetCall implements pbx.CallBackend.
func (c *Core) GetCall(ctx context.Context, id pbx.CallID) (*pbx.Call, error) {
	calls, err := c.ListCalls(ctx)
	if err != nil {
		return nil, err
	}
	for i := range calls {
		if calls[i].ID == id {
			return &calls[i], nil
		}
	}
	return nil, pbx.Errorf(pbx.NotFound, "no call %s", id)
}

// channelName finds a live channel's name from its Uniqueid: from events,
// else from CoreShowChannels.
func (c *Core) channelName(ctx context.Context, id pbx.CallID) (string, error) {
	c.mu.Lock()
	ch := c.chans[id]
	c.mu.Unlock()
	if ch != nil {
		return ch.Channel, nil
	}
	call, err := c.GetCall(ctx, id)
	if err != nil {
		return "", err
	}
	return call.Channel, nil
}

// destination returns where an originated call goes once answered.
func (c *Core) destination(req *pbx.OriginateRequest) (Location, error) {
	dp := c.cfg.Dialplan
	var loc Location
	switch req.Mode {
	case pbx.ModeDial:
		loc = Location{Context: req.Context, Exten: req.To}
		if loc.Context == "" {
			loc.Context = dp.DialContext
		}
	case pbx.ModeMusicOnHold:
		loc = dp.Hold
	case pbx.ModeEchoTest:
		loc = dp.Echo
	case pbx.ModePark:
		loc = dp.Park
	case pbx.ModeConference:
		loc = Location{Context: dp.ConferenceContext, Exten: req.To}
	}
	if loc.Context == "" || loc.Exten == "" {
		return loc, pbx.Errorf(pbx.Unsupported, "no dialplan is configured for call mode %s", req.Mode)
	}
	return loc, nil
}

// Originate implements pbx.CallBackend. It checks the device first (an
// unknown extension is NotFound, an unregistered one FailedPrecondition),
// originates asynchronously with the request's ID as the channel's Uniqueid,
// and returns when the channel exists or the OriginateResponse reports
// failure.
func (c *Core) Originate(ctx context.Context, req *pbx.OriginateRequest) error {
	loc, err := c.destination(req)
	if err != nil {
		return err
	}
	chanName := req.FromEndpoint
	if req.From != "" {
		dev, st, err := c.device(ctx, req.From)
		if err != nil {
			return err
		}
		if st == pbx.DeviceUnavailable {
			return pbx.Errorf(pbx.FailedPrecondition, "extension %s has no registered device", req.From)
		}
		chanName = dev
		if c.cfg.OriginateChannel != nil {
			chanName = c.cfg.OriginateChannel(req.From)
		}
	}
	c.mu.Lock()
	_, dup := c.chans[req.ID]
	c.mu.Unlock()
	if dup {
		return pbx.Errorf(pbx.AlreadyExists, "a call with ID %s exists", req.ID)
	}

	if c.cfg.ARI != nil {
		return c.originateARI(ctx, req, chanName, loc)
	}
	a := action("Originate",
		"Channel", chanName,
		"Context", loc.Context, "Exten", loc.Exten, "Priority", "1",
		"Timeout", strconv.FormatInt(req.Timeout.Milliseconds(), 10),
		"Async", "true",
		"ChannelId", string(req.ID),
	)
	if other := otherHalfID(chanName, req.ID); other != "" {
		a.Add("OtherChannelId", other)
	}
	actionID := "pbxkit-originate-" + string(req.ID)
	a.Set("ActionID", actionID)
	if cid := astutil.FormatCallerID(req.CallerID); cid != "" {
		a.Add("CallerID", cid)
	}
	if req.AccountCode != "" {
		a.Add("Account", req.AccountCode)
	}
	keys := make([]string, 0, len(req.Variables))
	for k := range req.Variables {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a.Add("Variable", k+"="+req.Variables[k])
	}
	if req.AutoAnswer {
		// Understood by most SIP phones: answer without ringing.
		a.Add("Variable", "PJSIP_HEADER(add,Call-Info)=<uri>;answer-after=0")
		a.Add("Variable", "PJSIP_HEADER(add,Alert-Info)=<http://example.com>;info=alert-autoanswer")
	}

	started, cancelStarted := c.await(func(m *ami.Message) bool {
		return m.Event() == "Newchannel" && m.Get("Uniqueid") == string(req.ID)
	})
	defer cancelStarted()
	failed, cancelFailed := c.await(func(m *ami.Message) bool {
		return m.Event() == "OriginateResponse" && m.ActionID() == actionID && m.Response() != "Success"
	})
	defer cancelFailed()

	if _, err := c.conn.Do(ctx, a); err != nil {
		return err
	}
	select {
	case <-started:
		return nil
	case m := <-failed:
		return originateFailure(m)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// originateARI originates through ARI: POST /channels answers once the
// channel exists, or with the reason it could not be made.
func (c *Core) originateARI(ctx context.Context, req *pbx.OriginateRequest, chanName string, loc Location) error {
	vars := maps.Clone(req.Variables)
	if vars == nil {
		vars = map[string]string{}
	}
	if req.AccountCode != "" {
		vars["CHANNEL(accountcode)"] = req.AccountCode
	}
	if req.AutoAnswer {
		vars["PJSIP_HEADER(add,Call-Info)"] = "<uri>;answer-after=0"
	}
	_, err := c.cfg.ARI.Originate(ctx, ari.OriginateRequest{
		Endpoint: chanName, Context: loc.Context, Extension: loc.Exten, Priority: 1,
		CallerID: astutil.FormatCallerID(req.CallerID), Timeout: req.Timeout,
		ChannelID: string(req.ID), OtherChannelID: otherHalfID(chanName, req.ID), Variables: vars,
	})
	return err
}

// otherHalfID is the ID of the second half of a Local channel originated
// with the call ID id: id with "-2" appended, a valid call ID like id
// (Asterisk's own choice, id followed by ";2", is not). It is "" for other
// channels, and when id is too long to extend.
func otherHalfID(chanName string, id pbx.CallID) string {
	other := pbx.CallID(string(id) + "-2")
	if !strings.HasPrefix(chanName, "Local/") || other.Validate() != nil {
		return ""
	}
	return string(other)
}

// originateFailure explains an OriginateResponse failure.
func originateFailure(m *ami.Message) error {
	reason, _ := strconv.Atoi(m.Get("Reason"))
	return pbx.Errorf(pbx.FailedPrecondition, "originating %s failed (reason %d: %s)", m.Get("Channel"), reason, originateReasons[reason])
}

// originateReasons are Asterisk's AST_CONTROL codes that OriginateResponse
// reports as Reason.
var originateReasons = map[int]string{
	0: "unknown or unreachable endpoint, or rejected",
	1: "hung up", 3: "ringing timed out", 4: "answered", 5: "busy", 8: "congestion",
}

// deviceState reads one device's state through the DEVICE_STATE function.
func (c *Core) deviceState(ctx context.Context, device string) (pbx.DeviceState, error) {
	resp, err := c.conn.Do(ctx, action("Getvar", "Variable", "DEVICE_STATE("+device+")"))
	if err != nil {
		return pbx.DeviceUnknown, err
	}
	return astutil.DeviceState(resp.Get("Value")), nil
}

// Hangup implements pbx.CallBackend: by ID through ARI when configured,
// else by channel name through AMI.
func (c *Core) Hangup(ctx context.Context, id pbx.CallID) error {
	if c.cfg.ARI != nil {
		return c.cfg.ARI.Hangup(ctx, string(id), "normal")
	}
	name, err := c.channelName(ctx, id)
	if err != nil {
		return err
	}
	_, err = c.conn.Do(ctx, action("Hangup", "Channel", name, "Cause", "16"))
	return err
}

// Transfer implements pbx.CallBackend with a Redirect of the channel.
func (c *Core) Transfer(ctx context.Context, id pbx.CallID, to, dialContext string) error {
	name, err := c.channelName(ctx, id)
	if err != nil {
		return err
	}
	if dialContext == "" {
		dialContext = c.cfg.Dialplan.DialContext
	}
	if _, err := c.conn.Do(ctx, action("Redirect", "Channel", name, "Context", dialContext, "Exten", to, "Priority", "1")); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	call := pbx.Call{ID: id, Channel: name, Extension: astutil.ChannelExtension(name)}
	if ch := c.chans[id]; ch != nil {
		call = ch.snapshot(c.cfg.Now())
	}
	c.publish(&pbx.CallTransferred{Call: call, To: fmt.Sprintf("%s@%s", to, dialContext)})
	return nil
}
