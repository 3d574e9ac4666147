package asterisk_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/asterisktest"
	"github.com/pbxkit/pbxkit/cdrstore"
	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
	"github.com/pbxkit/pbxkit/pbx/pbxtest"
)

// harness runs the suite on a private Asterisk with real SIP phones.
type harness struct {
	srv  *asterisktest.Server
	ami  *ami.Conn // the outside world's own AMI connection
	opts asterisk.Options

	mu     sync.Mutex
	phones map[pbx.ExtensionID]*asterisktest.Phone
}

// testOptions are the backend options for a test server.
func testOptions(srv *asterisktest.Server) asterisk.Options {
	monitor := filepath.Join(srv.Dir, "spool", "monitor")
	_ = os.MkdirAll(monitor, 0o755)
	return asterisk.Options{
		Username: srv.AMIUser, Secret: srv.AMISecret,
		SpoolDir:     srv.SpoolDir,
		MonitorDir:   monitor,
		CDR:          cdrstore.NewCSV(srv.CDRCSVPath, &cdrstore.CSVOptions{Location: time.Local}),
		PingInterval: time.Second, ReconnectMax: time.Second,
	}
}

func newHarness(ctx context.Context, t *testing.T) (*harness, error) {
	srv := asterisktest.Start(t, nil)
	conn, err := ami.Dial(ctx, srv.AMIAddr, &ami.Options{Username: srv.AMIUser, Secret: srv.AMISecret, ReconnectMax: time.Second})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	h := &harness{srv: srv, ami: conn, opts: testOptions(srv), phones: map[pbx.ExtensionID]*asterisktest.Phone{}}
	t.Cleanup(h.closePhones)
	for _, ext := range []pbx.ExtensionID{"1001", "1002", "1003"} {
		if err := h.RegisterDevice(ctx, ext); err != nil {
			return nil, err
		}
	}
	// Wait until Asterisk sees the three phones as reachable.
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := srv.CLI(ctx, "pjsip show contacts")
		if err == nil && countReachable(out) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("phones not reachable: %s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return h, nil
}

func countReachable(cli string) int {
	n := 0
	for i := 0; i+5 <= len(cli); i++ {
		if cli[i:i+5] == "Avail" {
			n++
		}
	}
	return n
}

func (h *harness) closePhones() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.phones {
		p.Close()
	}
}

func (h *harness) NewClient(ctx context.Context) (*pbx.Client, error) {
	return asterisk.Open(ctx, h.srv.AMIAddr, &h.opts)
}

func (h *harness) Fixtures() pbxtest.Fixtures {
	return pbxtest.Fixtures{
		Extensions:      [3]pbx.ExtensionID{"1001", "1002", "1003"},
		Unregistered:    "1005",
		Missing:         "9999",
		Free:            "1077",
		Mailbox:         "1001",
		Conference:      "pbxtest",
		Queue:           asterisktest.QueueSupport,
		MemberInterface: "PJSIP/1004",
		Timeout:         10 * time.Second,
	}
}

func (h *harness) World() pbxtest.World { return h }

func (h *harness) RegisterDevice(ctx context.Context, ext pbx.ExtensionID) error {
	p, err := h.srv.Register(ctx, string(ext), &asterisktest.PhoneOptions{UserAgent: "pbxkit-test-phone/1.0 " + string(ext)})
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if old := h.phones[ext]; old != nil {
		old.Close()
	}
	h.phones[ext] = p
	return nil
}

func (h *harness) UnregisterDevice(ctx context.Context, ext pbx.ExtensionID) error {
	h.mu.Lock()
	p := h.phones[ext]
	delete(h.phones, ext)
	h.mu.Unlock()
	if p == nil {
		return nil
	}
	defer p.Close()
	return p.Unregister(ctx)
}

func (h *harness) SetAnswerMode(_ context.Context, ext pbx.ExtensionID, mode pbxtest.AnswerMode) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.phones[ext]
	if p == nil {
		return fmt.Errorf("no phone for %s", ext)
	}
	p.SetMode(map[pbxtest.AnswerMode]asterisktest.PhoneMode{
		pbxtest.AnswerCalls: asterisktest.Answer, pbxtest.RejectBusy: asterisktest.Busy, pbxtest.RingForever: asterisktest.RingForever,
	}[mode])
	return nil
}

// LeaveVoicemail originates a Local channel into the voicemail context, whose
// other half plays hello-world into the recording.
func (h *harness) LeaveVoicemail(ctx context.Context, box pbx.MailboxID, from pbx.Party) error {
	_, err := h.ami.Do(ctx, ami.NewAction("Originate").
		Add("Channel", "Local/"+string(box.Extension())+"@"+asterisktest.ContextLeaveVoicemail).
		Add("Context", asterisktest.ContextCallMe).Add("Exten", asterisktest.ExtenHello).Add("Priority", "1").
		Add("CallerID", astutil.FormatCallerID(from)).Add("Async", "true"))
	return err
}

// QueueCaller originates a Local channel into the queue context: its ;2 half
// waits in the queue, its ;1 half listens to music on hold.
func (h *harness) QueueCaller(ctx context.Context, q pbx.QueueID, from pbx.Party) (pbx.CallID, error) {
	id := pbx.NewCallID()
	_, err := h.ami.Do(ctx, ami.NewAction("Originate").
		Add("Channel", "Local/"+string(q)+"@"+asterisktest.ContextQueue).
		Add("Context", asterisktest.ContextCallMe).Add("Exten", asterisktest.ExtenHold).Add("Priority", "1").
		Add("CallerID", astutil.FormatCallerID(from)).Add("Async", "true").
		Add("ChannelId", string(id)+"-1").Add("OtherChannelId", string(id)))
	return id, err
}

// Outage stops Asterisk; restore starts it again on the same ports and
// re-registers the phones.
func (h *harness) Outage(ctx context.Context) (func(context.Context) error, error) {
	if err := h.srv.Stop(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		if err := h.srv.Start(ctx); err != nil {
			return err
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		for _, p := range h.phones {
			if err := p.Reregister(ctx); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func TestConformance(t *testing.T) {
	pbxtest.Run(t, func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) {
		return newHarness(ctx, t)
	})
}

// TestConformanceARI runs the suite with ARI configured: calls are then
// originated and hung up through ARI.
func TestConformanceARI(t *testing.T) {
	pbxtest.Run(t, func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) {
		h, err := newHarness(ctx, t)
		if err != nil {
			return nil, err
		}
		h.opts.ARI = &asterisk.ARIOptions{URL: h.srv.ARIURL, Username: h.srv.ARIUser, Password: h.srv.ARIPassword}
		return h, nil
	})
}
