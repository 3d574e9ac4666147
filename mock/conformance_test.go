package mock_test

import (
	"context"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/mock"
	"github.com/pbxkit/pbxkit/pbx"
	"github.com/pbxkit/pbxkit/pbx/pbxtest"
	"go.uber.org/goleak"
)

// harness runs the suite on the demo PBX plus three idle extensions of its own.
type harness struct{ p *mock.PBX }

func newHarness(_ context.Context, t *testing.T) (pbxtest.Harness, error) {
	return makeHarness(t, nil)
}

func makeHarness(t *testing.T, opts *mock.Options) (*harness, error) {
	p := mock.NewDemo(opts)
	t.Cleanup(p.Close)
	for i, ext := range []pbx.ExtensionID{"2001", "2002", "2003"} {
		if err := p.AddExtension(pbx.Extension{ID: ext, Name: "Test " + string(ext), Mailbox: pbx.MailboxID(ext)}, "secret"+string(ext)); err != nil {
			return nil, err
		}
		if err := p.Register(ext, pbx.Contact{UserAgent: "pbxtest/1.0", IP: "127.0.0.1", Port: 5070 + i, Status: pbx.ContactReachable}); err != nil {
			return nil, err
		}
	}
	return &harness{p: p}, nil
}

func (h *harness) NewClient(context.Context) (*pbx.Client, error) { return h.p.Client(), nil }

func (h *harness) Fixtures() pbxtest.Fixtures {
	return pbxtest.Fixtures{
		Extensions:      [3]pbx.ExtensionID{"2001", "2002", "2003"},
		Unregistered:    "1005",
		Missing:         "9999",
		Free:            "2999",
		Mailbox:         "2001",
		Conference:      "pbxtest",
		Queue:           "support",
		MemberInterface: "PJSIP/2001",
		Timeout:         5 * time.Second,
	}
}

func (h *harness) World() pbxtest.World { return world{h.p} }

type world struct{ p *mock.PBX }

func (w world) RegisterDevice(_ context.Context, ext pbx.ExtensionID) error {
	return w.p.Register(ext, pbx.Contact{UserAgent: "pbxtest/1.0", IP: "127.0.0.1", Port: 5090, Status: pbx.ContactReachable})
}

func (w world) UnregisterDevice(_ context.Context, ext pbx.ExtensionID) error {
	return w.p.Unregister(ext)
}

func (w world) SetAnswerMode(_ context.Context, ext pbx.ExtensionID, mode pbxtest.AnswerMode) error {
	b := map[pbxtest.AnswerMode]mock.Behavior{pbxtest.AnswerCalls: mock.Answer, pbxtest.RejectBusy: mock.Busy, pbxtest.RingForever: mock.NoAnswer}[mode]
	return w.p.SetBehavior(ext, b, 0)
}

func (w world) LeaveVoicemail(_ context.Context, box pbx.MailboxID, from pbx.Party) error {
	_, err := w.p.LeaveVoicemail(box, from, 3*time.Second)
	return err
}

func (w world) QueueCaller(_ context.Context, q pbx.QueueID, from pbx.Party) (pbx.CallID, error) {
	return w.p.QueueCall(q, from)
}

func (w world) Outage(context.Context) (func(context.Context) error, error) {
	w.p.Disconnect("test outage")
	return func(context.Context) error { w.p.Reconnect(); return nil }, nil
}

func TestConformance(t *testing.T) {
	defer goleak.VerifyNone(t)
	pbxtest.Run(t, newHarness)
}

// TestLimitedCapabilities runs the suite on a mock without some capabilities,
// so the suite's skipping and its Unsupported checks are exercised too.
func TestLimitedCapabilities(t *testing.T) {
	defer goleak.VerifyNone(t)
	pbxtest.Run(t, func(_ context.Context, t *testing.T) (pbxtest.Harness, error) {
		return makeHarness(t, &mock.Options{Disable: []pbx.Capability{
			pbx.CapSecretReveal, pbx.CapFollowMe, pbx.CapTransfer, pbx.CapVoicemailWrite, pbx.CapConferenceControl, pbx.CapCDR,
		}})
	})
}
