// Package asttest is the pbxtest harness of the Asterisk-based backends: a
// private Asterisk (asterisktest) with real SIP phones, and the outside
// world's actions on it. The asterisk, freepbx and issabel conformance tests
// share it.
package asttest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// Harness runs pbxtest on a private Asterisk with three registered phones
// (1001-1003). Open makes the backend's clients.
type Harness struct {
	Srv  *asterisktest.Server
	AMI  *ami.Conn // the outside world's own AMI connection
	Open func(ctx context.Context) (*pbx.Client, error)

	mu     sync.Mutex
	phones map[pbx.ExtensionID]*asterisktest.Phone
}

// Options returns asterisk backend options for a test server: its AMI
// user, spool, Master.csv and a recordings directory.
func Options(srv *asterisktest.Server) asterisk.Options {
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

// New starts a harness on srv, registering phones for 1001-1003 and waiting
// until Asterisk reaches them.
func New(ctx context.Context, t *testing.T, srv *asterisktest.Server) (*Harness, error) {
	conn, err := ami.Dial(ctx, srv.AMIAddr, &ami.Options{Username: srv.AMIUser, Secret: srv.AMISecret, ReconnectMax: time.Second})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close() })
	h := &Harness{Srv: srv, AMI: conn, phones: map[pbx.ExtensionID]*asterisktest.Phone{}}
	t.Cleanup(h.closePhones)
	for _, ext := range []pbx.ExtensionID{"1001", "1002", "1003"} {
		if err := h.RegisterDevice(ctx, ext); err != nil {
			return nil, err
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := srv.CLI(ctx, "pjsip show contacts")
		if err == nil && strings.Count(out, "Avail") >= 3 {
			return h, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("phones not reachable: %s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (h *Harness) closePhones() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.phones {
		p.Close()
	}
}

// NewClient implements pbxtest.Harness.
func (h *Harness) NewClient(ctx context.Context) (*pbx.Client, error) { return h.Open(ctx) }

// Fixtures implements pbxtest.Harness.
func (h *Harness) Fixtures() pbxtest.Fixtures {
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

// World implements pbxtest.Harness.
func (h *Harness) World() pbxtest.World { return h }

// RegisterDevice registers a phone for a fixture extension.
func (h *Harness) RegisterDevice(ctx context.Context, ext pbx.ExtensionID) error {
	p, err := h.Srv.Register(ctx, string(ext), &asterisktest.PhoneOptions{UserAgent: "pbxkit-test-phone/1.0 " + string(ext)})
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

// UnregisterDevice unregisters and closes an extension's phone.
func (h *Harness) UnregisterDevice(ctx context.Context, ext pbx.ExtensionID) error {
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

// SetAnswerMode sets how an extension's phone treats incoming calls.
func (h *Harness) SetAnswerMode(_ context.Context, ext pbx.ExtensionID, mode pbxtest.AnswerMode) error {
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

// LeaveVoicemail originates a Local channel into the voicemail context,
// whose other half plays hello-world into the recording.
func (h *Harness) LeaveVoicemail(ctx context.Context, box pbx.MailboxID, from pbx.Party) error {
	_, err := h.AMI.Do(ctx, ami.NewAction("Originate").
		Add("Channel", "Local/"+string(box.Extension())+"@"+asterisktest.ContextLeaveVoicemail).
		Add("Context", asterisktest.ContextCallMe).Add("Exten", asterisktest.ExtenHello).Add("Priority", "1").
		Add("CallerID", astutil.FormatCallerID(from)).Add("Async", "true"))
	return err
}

// QueueCaller originates a Local channel into the queue context: its ;2
// half waits in the queue, its ;1 half listens to music on hold.
func (h *Harness) QueueCaller(ctx context.Context, q pbx.QueueID, from pbx.Party) (pbx.CallID, error) {
	id := pbx.NewCallID()
	_, err := h.AMI.Do(ctx, ami.NewAction("Originate").
		Add("Channel", "Local/"+string(q)+"@"+asterisktest.ContextQueue).
		Add("Context", asterisktest.ContextCallMe).Add("Exten", asterisktest.ExtenHold).Add("Priority", "1").
		Add("CallerID", astutil.FormatCallerID(from)).Add("Async", "true").
		Add("ChannelId", string(id)+"-1").Add("OtherChannelId", string(id)))
	return id, err
}

// Outage stops Asterisk; restore starts it again on the same ports and
// re-registers the phones.
func (h *Harness) Outage(ctx context.Context) (func(context.Context) error, error) {
	if err := h.Srv.Stop(ctx); err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		if err := h.Srv.Start(ctx); err != nil {
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
