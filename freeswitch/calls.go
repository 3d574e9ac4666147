package freeswitch

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

// showChannels lists the live channels with "show channels as json".
func (b *backend) showChannels(ctx context.Context) ([]pbx.Call, error) {
	body, err := b.conn.API(ctx, "show", "channels", "as", "json")
	if err != nil {
		return nil, err
	}
	rows, err := parseShowRows(body)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	calls := make([]pbx.Call, 0, len(rows))
	for _, r := range rows {
		id := pbx.CallID(r["uuid"])
		if id.Validate() != nil {
			continue
		}
		c := pbx.Call{
			ID: id, LinkedID: pbx.CallID(r["call_uuid"]), Channel: r["name"],
			Extension:   presenceExtension(r["presence_id"]),
			Caller:      pbx.Party{Name: r["cid_name"], Number: r["cid_num"]},
			Connected:   pbx.Party{Name: r["callee_name"], Number: r["callee_num"]},
			State:       callState(r["callstate"]),
			Started:     epochTime(r["created_epoch"]),
			Application: r["application"], ApplicationData: r["application_data"],
			Context: r["context"], Exten: r["dest"], AccountCode: r["accountcode"],
		}
		if !c.Started.IsZero() {
			c.Duration = now.Sub(c.Started)
		}
		calls = append(calls, c)
	}
	return calls, nil
}

// ListCalls implements pbx.CallBackend.
func (b *backend) ListCalls(ctx context.Context) ([]pbx.Call, error) {
	calls, err := b.showChannels(ctx)
	if err != nil {
		return nil, err
	}
	// The events know more precisely when a leg started and was answered,
	// and which bridge it is in.
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range calls {
		if ch := b.state.chans[calls[i].ID]; ch != nil {
			calls[i].Started, calls[i].Answered, calls[i].BridgeID = ch.Started, ch.Answered, ch.BridgeID
			calls[i].Duration = time.Since(ch.Started)
		}
	}
	return calls, nil
}

// GetCall implements pbx.CallBackend.
func (b *backend) GetCall(ctx context.Context, id pbx.CallID) (*pbx.Call, error) {
	calls, err := b.ListCalls(ctx)
	if err != nil {
		return nil, err
	}
	for i := range calls {
		if calls[i].ID == id {
			return &calls[i], nil
		}
	}
	return nil, pbx.Errorf(pbx.NotFound, "no channel %s", id)
}

// dialString is the FreeSWITCH endpoint of an extension.
func (b *backend) dialString(ext pbx.ExtensionID) string {
	return "user/" + string(ext) + "@" + b.domain
}

// destination returns the arguments of originate after the dial string:
// where the answered leg goes.
func (b *backend) destination(req *pbx.OriginateRequest) []string {
	dp := b.opts.Dialplan
	switch req.Mode {
	case pbx.ModeMusicOnHold:
		return []string{"&playback(" + dp.HoldMusic + ")"}
	case pbx.ModeEchoTest:
		return []string{"&echo()"}
	case pbx.ModePark:
		return []string{"&park()"}
	case pbx.ModeConference:
		return []string{"&conference(" + req.To + "@" + dp.ConferenceProfile + ")"}
	}
	ctx := req.Context
	if ctx == "" {
		ctx = dp.Context
	}
	return []string{req.To, "XML", ctx}
}

// Originate implements pbx.CallBackend. It checks the extension first
// (unknown: NotFound, not registered: FailedPrecondition) and the call ID
// (in use: AlreadyExists), then runs originate in the background (it
// blocks until the phone answers) with the call ID as origination_uuid,
// and returns when the leg exists (CHANNEL_CREATE) or the originate
// failed without creating it.
func (b *backend) Originate(ctx context.Context, req *pbx.OriginateRequest) error {
	dial := req.FromEndpoint
	if req.From != "" {
		u, err := b.user(ctx, req.From)
		if err != nil {
			return err
		}
		if !u.registered() {
			return pbx.Errorf(pbx.FailedPrecondition, "extension %s has no registered device", req.From)
		}
		dial = b.dialString(req.From)
	}
	exists, err := b.conn.API(ctx, "uuid_exists", string(req.ID))
	if err != nil {
		return err
	}
	if strings.TrimSpace(exists) == "true" {
		return pbx.Errorf(pbx.AlreadyExists, "a channel with UUID %s exists", req.ID)
	}
	vars := maps.Clone(req.Variables)
	if vars == nil {
		vars = map[string]string{}
	}
	vars["origination_uuid"] = string(req.ID)
	vars["originate_timeout"] = strconv.Itoa(int((req.Timeout + time.Second - 1) / time.Second))
	for k, v := range map[string]string{
		"origination_caller_id_name": req.CallerID.Name, "origination_caller_id_number": req.CallerID.Number,
		"accountcode": req.AccountCode,
	} {
		if v != "" {
			vars[k] = v
		}
	}
	if req.AutoAnswer {
		vars["sip_auto_answer"] = "true" // Call-Info: answer-after=0
	}
	block, err := esl.OriginateVars(vars)
	if err != nil {
		return err
	}
	created, cancelCreated := b.await(func(ev *esl.Event) bool {
		return ev.Name() == "CHANNEL_CREATE" && ev.UniqueID() == string(req.ID)
	})
	defer cancelCreated()
	// The result arrives as a BACKGROUND_JOB in the same stream as the
	// channel events, so that a failure after the leg was created (a busy
	// phone) is never taken for a refusal: its arguments name the UUID.
	finished, cancelFinished := b.await(func(ev *esl.Event) bool {
		arg := ev.Get("Job-Command-Arg")
		return ev.Name() == "BACKGROUND_JOB" && ev.Get("Job-Command") == "originate" &&
			(strings.Contains(arg, "origination_uuid="+string(req.ID)+",") || strings.Contains(arg, "origination_uuid="+string(req.ID)+"}"))
	})
	defer cancelFinished()
	job, err := b.conn.BackgroundAPI(ctx, "originate", append([]string{block + dial}, b.destination(req)...)...)
	if err != nil {
		return err
	}
	done := job.Done()
	var grace <-chan time.Time
	var result string
	for {
		select {
		case <-created:
			return nil
		case ev := <-finished:
			select {
			case <-created: // handed over first, in wire order
				return nil
			default:
			}
			return originateResult(ev.Body)
		case <-done:
			// The job's own result. A lost connection ends the wait; a
			// reply is read, in order with the channel events, above,
			// unless the loop lost those events: then it is used.
			var err error
			if result, err = job.Wait(ctx); errors.Is(err, esl.ErrUnavailable) || errors.Is(err, esl.ErrClosed) {
				return err
			}
			done = nil
			t := time.NewTimer(time.Second)
			defer t.Stop()
			grace = t.C
		case <-grace:
			return originateResult(result)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// originateResult reads originate's result: "+OK <uuid>", or "-ERR
// <CAUSE>" when it was refused before its leg existed.
func originateResult(body string) error {
	if strings.HasPrefix(strings.TrimSpace(body), "+OK") {
		return nil
	}
	return originateFailure(body)
}

// originateFailure explains an originate refused before its leg existed:
// "-ERR <CAUSE>".
func originateFailure(body string) error {
	fe := &esl.Error{Command: "originate", Reply: body}
	cause := fe.Text()
	switch cause {
	case "SUBSCRIBER_ABSENT", "NO_ROUTE_DESTINATION", "UNALLOCATED_NUMBER", "INVALID_NUMBER_FORMAT":
		return &pbx.Error{Code: pbx.NotFound, Err: fe}
	case "CHAN_NOT_IMPLEMENTED":
		return &pbx.Error{Code: pbx.InvalidArgument, Err: fe}
	}
	return &pbx.Error{Code: pbx.FailedPrecondition, Err: fe}
}

// Hangup implements pbx.CallBackend with uuid_kill.
func (b *backend) Hangup(ctx context.Context, id pbx.CallID) error {
	_, err := b.conn.API(ctx, "uuid_kill", string(id), "NORMAL_CLEARING")
	return err
}

// Transfer implements pbx.CallBackend with uuid_transfer into the XML
// dialplan.
func (b *backend) Transfer(ctx context.Context, id pbx.CallID, to, dialContext string) error {
	if dialContext == "" {
		dialContext = b.opts.Dialplan.Context
	}
	if _, err := b.conn.API(ctx, "uuid_transfer", string(id), to, "XML", dialContext); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	call := pbx.Call{ID: id}
	if ch := b.state.chans[id]; ch != nil {
		call = ch.snapshot(time.Now())
	}
	b.publish(&pbx.CallTransferred{Call: call, To: to + "@" + dialContext})
	return nil
}
