package freeswitch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/cdrstore"
	"github.com/pbxkit/pbxkit/esl/esltest"
	"github.com/pbxkit/pbxkit/freeswitch"
	"github.com/pbxkit/pbxkit/pbx"
	"github.com/pbxkit/pbxkit/pbx/pbxtest"
)

// userFile is a directory user file as the vanilla configuration has them.
const userFile = `<include>
  <user id="%[1]s">
    <params>
      <param name="password" value="$${default_password}"/>
      <param name="vm-password" value="%[1]s"/>
    </params>
    <variables>
      <variable name="toll_allow" value="domestic,international,local"/>
      <variable name="accountcode" value="%[1]s"/>
      <variable name="user_context" value="default"/>
      <variable name="effective_caller_id_name" value="Extension %[1]s"/>
      <variable name="effective_caller_id_number" value="%[1]s"/>
      <variable name="callgroup" value="techsupport"/>
    </variables>
  </user>
</include>
`

// switchEnv is an esltest switch with a directory of users 1000-1004 (the
// first three registered) and the backend options that reach all of it.
type switchEnv struct {
	srv  *esltest.Server
	opts freeswitch.Options
}

func newSwitch(t *testing.T) *switchEnv {
	t.Helper()
	dir := t.TempDir()
	for i := 1000; i <= 1004; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprint(i)+".xml"), fmt.Appendf(nil, userFile, fmt.Sprint(i)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv := esltest.NewServer(t, &esltest.Options{Password: "s3cret-esl", Directory: dir})
	for _, ext := range []string{"1000", "1001", "1002"} {
		if err := srv.Register(ext, esltest.Registration{UserAgent: "Yealink SIP-T46S 66.86.0.15"}); err != nil {
			t.Fatal(err)
		}
	}
	vm := filepath.Join(srv.Dir(), "voicemail")
	if err := os.MkdirAll(vm, 0o755); err != nil {
		t.Fatal(err)
	}
	return &switchEnv{srv: srv, opts: freeswitch.Options{
		Password: srv.Password(), Directory: dir, VoicemailDir: vm,
		PingInterval: time.Second, ReconnectMax: 200 * time.Millisecond,
	}}
}

// open opens a client with a CDR store of its own.
func (e *switchEnv) open(ctx context.Context) (*pbx.Client, error) {
	o := e.opts
	o.CDR = cdrstore.NewCSV(e.srv.CDRPath(), &cdrstore.CSVOptions{Location: time.Local, Layout: cdrstore.LayoutFreeSWITCH})
	return freeswitch.Open(ctx, e.srv.Addr(), &o)
}

// client opens a client that is closed when the test ends.
func (e *switchEnv) client(t *testing.T) *pbx.Client {
	t.Helper()
	c, err := e.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// subscribe subscribes to the events f selects until the test ends.
func subscribe(t *testing.T, c *pbx.Client, f *pbx.EventFilter, opts *pbx.SubscribeOptions) *pbx.Subscription {
	t.Helper()
	sub, err := c.Subscribe(context.Background(), f, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sub.Close() })
	return sub
}

// harness is the pbxtest harness on esltest.
type harness struct{ *switchEnv }

func (h harness) NewClient(ctx context.Context) (*pbx.Client, error) { return h.open(ctx) }

func (h harness) Fixtures() pbxtest.Fixtures {
	return pbxtest.Fixtures{
		Extensions:      [3]pbx.ExtensionID{"1000", "1001", "1002"},
		Unregistered:    "1003",
		Missing:         "9999",
		Free:            "1077",
		Mailbox:         "1000",
		Conference:      "pbxtest",
		Queue:           "support",
		MemberInterface: "user/1004",
		Timeout:         5 * time.Second,
		// mod_voicemail keeps messages new (INBOX) or saved (Old) only.
		VoicemailFolders: []pbx.Folder{pbx.FolderInbox, pbx.FolderOld},
	}
}

func (h harness) World() pbxtest.World { return h }

func (h harness) RegisterDevice(_ context.Context, ext pbx.ExtensionID) error {
	return h.srv.Register(string(ext), esltest.Registration{UserAgent: "pbxtest-phone/1.0"})
}

func (h harness) UnregisterDevice(_ context.Context, ext pbx.ExtensionID) error {
	h.srv.Unregister(string(ext))
	return nil
}

func (h harness) SetAnswerMode(_ context.Context, ext pbx.ExtensionID, mode pbxtest.AnswerMode) error {
	h.srv.SetPhone(string(ext), esltest.Phone{Mode: map[pbxtest.AnswerMode]esltest.AnswerMode{
		pbxtest.AnswerCalls: esltest.Answer, pbxtest.RejectBusy: esltest.Busy, pbxtest.RingForever: esltest.NoAnswer,
	}[mode]})
	return nil
}

func (h harness) LeaveVoicemail(_ context.Context, box pbx.MailboxID, from pbx.Party) error {
	_, _, err := h.srv.LeaveVoicemail(string(box.Extension()), from.Name, from.Number, 3*time.Second, false)
	return err
}

func (h harness) QueueCaller(_ context.Context, q pbx.QueueID, from pbx.Party) (pbx.CallID, error) {
	id, err := h.srv.QueueCaller(string(q)+"@default", from.Name, from.Number)
	return pbx.CallID(id), err
}

// Outage stops the switch from accepting connections and drops the open
// ones; restore accepts them again.
func (h harness) Outage(context.Context) (func(context.Context) error, error) {
	h.srv.RefuseConnections(true)
	h.srv.DropConnections()
	return func(context.Context) error {
		h.srv.RefuseConnections(false)
		return nil
	}, nil
}

// TestConformance runs the pbxtest suite on esltest's simulated switch.
func TestConformance(t *testing.T) {
	pbxtest.Run(t, func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) {
		return harness{newSwitch(t)}, nil
	})
}
