package pbx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// stub is a tiny backend whose calls do what the test says.
type stub struct {
	caps     pbx.Capabilities
	sink     pbx.EventSink
	listErr  []error // errors returned by successive ListCalls calls
	lists    atomic.Int32
	hangups  atomic.Int32
	hangErr  error
	codeOf   func(error) pbx.ErrorCode
	closeErr error
	closed   atomic.Bool
	block    chan struct{} // ListCalls waits on it when set
}

func (s *stub) Name() string                   { return "stub" }
func (s *stub) Capabilities() pbx.Capabilities { return s.caps }
func (s *stub) Attach(sink pbx.EventSink)      { s.sink = sink }
func (s *stub) As(any) bool                    { return false }
func (s *stub) Close() error                   { s.closed.Store(true); return s.closeErr }
func (s *stub) ErrorCode(err error) pbx.ErrorCode {
	if s.codeOf != nil {
		return s.codeOf(err)
	}
	return pbx.Unknown
}

func (s *stub) ListCalls(ctx context.Context) ([]pbx.Call, error) {
	n := int(s.lists.Add(1)) - 1
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if n < len(s.listErr) && s.listErr[n] != nil {
		return nil, s.listErr[n]
	}
	return []pbx.Call{{ID: "b", Extension: "1002", Started: time.Unix(20, 0)}, {ID: "a", Extension: "1001", Started: time.Unix(10, 0)}}, nil
}
func (s *stub) GetCall(context.Context, pbx.CallID) (*pbx.Call, error) { return nil, pbx.ErrNotFound }
func (s *stub) Originate(context.Context, *pbx.OriginateRequest) error {
	return nil
}
func (s *stub) Hangup(context.Context, pbx.CallID) error {
	s.hangups.Add(1)
	return s.hangErr
}
func (s *stub) Transfer(context.Context, pbx.CallID, string, string) error { return nil }

func newStub(t *testing.T, s *stub, opts *pbx.ClientOptions) *pbx.Client {
	t.Helper()
	if s.caps.Len() == 0 {
		s.caps = pbx.NewCapabilities(pbx.CapCallsRead, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents)
	}
	c, err := pbx.NewClient(s, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestNewClientRefusesUnimplementedCapability(t *testing.T) {
	_, err := pbx.NewClient(&stub{caps: pbx.NewCapabilities(pbx.CapVoicemail)}, nil)
	if pbx.Code(err) != pbx.Internal || !strings.Contains(err.Error(), "VoicemailBackend") {
		t.Fatalf("NewClient = %v, want an internal error naming VoicemailBackend", err)
	}
}

func TestErrorsWrapOnce(t *testing.T) {
	raw := errors.New("No such channel")
	s := &stub{hangErr: raw, codeOf: func(err error) pbx.ErrorCode {
		if strings.Contains(err.Error(), "No such channel") {
			return pbx.NotFound
		}
		return pbx.Unknown
	}}
	c := newStub(t, s, nil)
	err := c.Calls().Hangup(context.Background(), "1700000000.1")
	if !errors.Is(err, pbx.ErrNotFound) || !errors.Is(err, raw) {
		t.Fatalf("Hangup error %v does not match both the sentinel and the raw error", err)
	}
	var e *pbx.Error
	if !errors.As(err, &e) || e.Op != "Calls.Hangup" || e.Backend != "stub" || e.ID != "1700000000.1" {
		t.Fatalf("error %#v: want op, backend and ID filled in", e)
	}
	if errors.Unwrap(e.Err) != nil {
		t.Fatalf("the cause is wrapped again: %v", e.Err)
	}
	want := "pbx: stub: Calls.Hangup 1700000000.1: not found: No such channel"
	if err.Error() != want {
		t.Fatalf("Error() = %q, want %q", err.Error(), want)
	}
}

func TestCode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		err  error
		want pbx.ErrorCode
	}{
		{nil, pbx.Unknown},
		{errors.New("x"), pbx.Unknown},
		{pbx.ErrNotFound, pbx.NotFound},
		{fmt.Errorf("wrapped: %w", pbx.ErrUnavailable), pbx.Unavailable},
		{pbx.Errorf(pbx.AlreadyExists, "dup %d", 1), pbx.AlreadyExists},
		{ctx.Err(), pbx.Canceled},
		{context.DeadlineExceeded, pbx.DeadlineExceeded},
		{pbx.ErrClosed, pbx.FailedPrecondition},
	}
	for _, tc := range tests {
		if got := pbx.Code(tc.err); got != tc.want {
			t.Errorf("Code(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
	if pbx.ErrorCode(99).String() != "ErrorCode(99)" {
		t.Error("unknown code does not print its number")
	}
}

func TestReadsRetryOnlyUnavailable(t *testing.T) {
	unavailable := pbx.Errorf(pbx.Unavailable, "down")
	tests := []struct {
		name      string
		errs      []error
		wantCalls int32
		wantCode  pbx.ErrorCode
	}{
		{"recovers", []error{unavailable, unavailable}, 3, pbx.Unknown},
		{"gives up", []error{unavailable, unavailable, unavailable, unavailable}, 3, pbx.Unavailable},
		{"no retry on not found", []error{pbx.ErrNotFound}, 1, pbx.NotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &stub{listErr: tc.errs}
			c := newStub(t, s, &pbx.ClientOptions{RetryBackoff: time.Millisecond})
			_, err := c.Calls().List(context.Background(), nil)
			if s.lists.Load() != tc.wantCalls || pbx.Code(err) != tc.wantCode {
				t.Fatalf("%d calls, error %v; want %d calls and code %s", s.lists.Load(), err, tc.wantCalls, tc.wantCode)
			}
		})
	}
}

func TestMutationsAreNotRetried(t *testing.T) {
	s := &stub{hangErr: pbx.Errorf(pbx.Unavailable, "down")}
	c := newStub(t, s, &pbx.ClientOptions{RetryBackoff: time.Millisecond})
	err := c.Calls().Hangup(context.Background(), "x")
	if pbx.Code(err) != pbx.Unavailable || s.hangups.Load() != 1 {
		t.Fatalf("Hangup tried %d times (%v), want once", s.hangups.Load(), err)
	}
}

func TestDefaultTimeoutBoundsCalls(t *testing.T) {
	s := &stub{block: make(chan struct{})}
	c := newStub(t, s, &pbx.ClientOptions{DefaultTimeout: 20 * time.Millisecond})
	_, err := c.Calls().List(context.Background(), nil)
	if pbx.Code(err) != pbx.DeadlineExceeded {
		t.Fatalf("blocked List = %v, want deadline exceeded", err)
	}
}

func TestListFiltersAndSorts(t *testing.T) {
	c := newStub(t, &stub{}, nil)
	calls, err := c.Calls().List(context.Background(), nil)
	if err != nil || len(calls) != 2 || calls[0].ID != "a" {
		t.Fatalf("List = %v, %v: want both calls, oldest first", calls, err)
	}
	calls, err = c.Calls().List(context.Background(), &pbx.CallFilter{Extension: "1002"})
	if err != nil || len(calls) != 1 || calls[0].ID != "b" {
		t.Fatalf("List for 1002 = %v, %v", calls, err)
	}
}

func TestUnsupportedNeverReachesBackend(t *testing.T) {
	s := &stub{caps: pbx.NewCapabilities(pbx.CapCallsRead)}
	c := newStub(t, s, nil)
	err := c.Calls().Hangup(context.Background(), "x")
	if !errors.Is(err, pbx.ErrUnsupported) || s.hangups.Load() != 0 {
		t.Fatalf("Hangup without the capability: %v after %d backend calls", err, s.hangups.Load())
	}
	if _, err := c.Voicemail().Mailboxes(context.Background()); !errors.Is(err, pbx.ErrUnsupported) {
		t.Fatalf("Mailboxes on a backend without voicemail: %v", err)
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	s := &stub{closeErr: errors.New("boom")}
	c := newStub(t, s, nil)
	sub, err := c.Subscribe(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := sub.Next(context.Background()); done <- err }()
	if err := c.Close(); err == nil || !s.closed.Load() {
		t.Fatalf("Close = %v: want the backend's error", err)
	}
	if err := <-done; !errors.Is(err, pbx.ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	if _, err := c.Subscribe(context.Background(), nil, nil); !errors.Is(err, pbx.ErrFailedPrecondition) {
		t.Fatalf("Subscribe after Close = %v", err)
	}
}

// TestSubscribeAnyOf: one subscription for a user's extension or their
// room delivers both in publication order; filters are checked first.
func TestSubscribeAnyOf(t *testing.T) {
	s := &stub{}
	c := newStub(t, s, nil)
	ctx := context.Background()
	for _, bad := range []pbx.EventFilter{
		{AnyOf: []pbx.EventFilter{{AnyOf: []pbx.EventFilter{{}}}}},
		{AnyOf: []pbx.EventFilter{{Extensions: []pbx.ExtensionID{"10;01"}}}},
	} {
		if _, err := c.Subscribe(ctx, &bad, nil); !errors.Is(err, pbx.ErrInvalid) {
			t.Errorf("Subscribe(%+v) = %v, want ErrInvalid", bad, err)
		}
	}
	f := &pbx.EventFilter{AnyOf: []pbx.EventFilter{
		{Extensions: []pbx.ExtensionID{"1001"}},
		{Conferences: []pbx.ConferenceID{"400"}},
	}}
	sub, err := c.Subscribe(ctx, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.AnyOf[0].Extensions[0] = "1002" // the subscription keeps its own copy
	s.sink.Publish(&pbx.DNDChanged{Extension: "1001", Enabled: true})
	s.sink.Publish(&pbx.DNDChanged{Extension: "1002", Enabled: true})
	s.sink.Publish(&pbx.ConferenceLocked{Conference: "400", Locked: true})
	s.sink.Publish(&pbx.ConferenceLocked{Conference: "401", Locked: true})
	s.sink.Publish(&pbx.DNDChanged{Extension: "1001", Enabled: false})
	var got []string
	for range 3 {
		e, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Kind().String())
	}
	if want := "dnd.changed conference.locked dnd.changed"; strings.Join(got, " ") != want {
		t.Fatalf("events %v, want %s", got, want)
	}
}

func TestSubscriptionOverflowKeepsNewest(t *testing.T) {
	s := &stub{}
	c := newStub(t, s, nil)
	sub, err := c.Subscribe(context.Background(), nil, &pbx.SubscribeOptions{Buffer: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		s.sink.Publish(&pbx.DNDChanged{Extension: pbx.ExtensionID(fmt.Sprint(1000 + i)), Enabled: true})
	}
	ctx := context.Background()
	e, _ := sub.Next(ctx)
	if d, ok := e.(*pbx.EventsDropped); !ok || d.Count != 7 || d.Backend != "stub" {
		t.Fatalf("first event %#v, want EventsDropped{Count: 7}", e)
	}
	for i := 7; i < 10; i++ {
		e, _ := sub.Next(ctx)
		if d := e.(*pbx.DNDChanged); d.Extension != pbx.ExtensionID(fmt.Sprint(1000+i)) || d.Seq != uint64(i+1) {
			t.Fatalf("event %d = %+v", i, d)
		}
	}
}

func TestFilterMatch(t *testing.T) {
	call := &pbx.CallStarted{Call: pbx.Call{ID: "leg2", LinkedID: "leg1", Extension: "1001"}}
	member := &pbx.QueueMemberPaused{Queue: "sales", Member: pbx.QueueMember{Interface: "Local/1004@from-queue/n"}}
	lost := &pbx.BackendDisconnected{}
	mine := []pbx.EventFilter{{Extensions: []pbx.ExtensionID{"1001"}}, {Queues: []pbx.QueueID{"sales"}}}
	tests := []struct {
		name string
		f    *pbx.EventFilter
		e    pbx.Event
		want bool
	}{
		{"nil", nil, call, true},
		{"zero", &pbx.EventFilter{}, call, true},
		{"kind", &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindCallEnded}}, call, false},
		{"extension", &pbx.EventFilter{Extensions: []pbx.ExtensionID{"1001"}}, call, true},
		{"other extension", &pbx.EventFilter{Extensions: []pbx.ExtensionID{"1002"}}, call, false},
		{"linked ID", &pbx.EventFilter{Calls: []pbx.CallID{"leg1"}}, call, true},
		{"queue and member extension", &pbx.EventFilter{Queues: []pbx.QueueID{"sales"}, Extensions: []pbx.ExtensionID{"1004"}}, member, true},
		{"other queue", &pbx.EventFilter{Queues: []pbx.QueueID{"support"}}, member, false},
		{"lifecycle passes any filter", &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindCallEnded}, Queues: []pbx.QueueID{"x"}}, lost, true},
		{"AnyOf: first alternative", &pbx.EventFilter{AnyOf: mine}, call, true},
		{"AnyOf: second alternative", &pbx.EventFilter{AnyOf: mine}, member, true},
		{"AnyOf: neither", &pbx.EventFilter{AnyOf: mine}, &pbx.CallStarted{Call: pbx.Call{ID: "x", Extension: "1002"}}, false},
		{"AnyOf and a field", &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindCallEnded}, AnyOf: mine}, call, false},
	}
	for _, tc := range tests {
		if got := tc.f.Match(tc.e); got != tc.want {
			t.Errorf("%s: Match = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"extension", pbx.ExtensionID("1010").Validate(), true},
		{"extension with letter", pbx.ExtensionID("12a;").Validate(), false},
		{"empty extension", pbx.ExtensionID("").Validate(), false},
		{"call ID", pbx.CallID("1700000000.12").Validate(), true},
		{"call ID with regex", pbx.CallID("/.*/").Validate(), false},
		{"mailbox with context", pbx.MailboxID("1010@default").Validate(), true},
		{"mailbox with domain", pbx.MailboxID("1000@example.com").Validate(), true},
		{"mailbox with parent context", pbx.MailboxID("1010@..").Validate(), false},
		{"mailbox with slash", pbx.MailboxID("1010@a/b").Validate(), false},
		{"message ID", pbx.MessageID("849c9236").Validate(), true},
		{"message ID with dots", pbx.MessageID("..").Validate(), false},
		{"folder", pbx.FolderFriends.Validate(), true},
		{"folder traversal", pbx.Folder("../x").Validate(), false},
		{"folder wrong case", pbx.Folder("inbox").Validate(), false},
		{"room", pbx.ConferenceID("400").Validate(), true},
		{"room starting with dash", pbx.ConferenceID("-x").Validate(), false},
		{"number", pbx.ValidateNumber("+15551234567"), true},
		{"number with star", pbx.ValidateNumber("*97"), true},
		{"number with ampersand", pbx.ValidateNumber("100&PJSIP/1"), false},
		{"endpoint", pbx.ValidateEndpoint("Local/1010@from-queue/n"), true},
		{"endpoint with comma", pbx.ValidateEndpoint("PJSIP/1,2"), false},
		{"endpoint with semicolon", pbx.ValidateEndpoint("Local/1@a;2"), false},
		{"text", pbx.ValidateText("name", "Zoë \"Z\" O'Neil", 80), true},
		{"text with CR", pbx.ValidateText("name", "a\rb", 80), false},
		{"text with NUL", pbx.ValidateText("name", "a\x00b", 80), false},
		{"text with bad UTF-8", pbx.ValidateText("name", "a\xffb", 80), false},
		{"text too long", pbx.ValidateText("name", strings.Repeat("a", 81), 80), false},
		{"variable", pbx.ValidateVariable("__FROM_PBXKIT", "yes"), true},
		{"variable starting with digit", pbx.ValidateVariable("1X", "yes"), false},
		{"variable with LF", pbx.ValidateVariable("X", "a\nb"), false},
		{"context", pbx.ValidateContext("from-internal"), true},
		{"context with space", pbx.ValidateContext("from internal"), false},
	}
	for _, tc := range tests {
		if (tc.err == nil) != tc.ok {
			t.Errorf("%s: error %v, want ok=%v", tc.name, tc.err, tc.ok)
		}
		if tc.err != nil && !errors.Is(tc.err, pbx.ErrInvalid) {
			t.Errorf("%s: error %v does not match ErrInvalid", tc.name, tc.err)
		}
	}
}

func TestEnumsRoundTrip(t *testing.T) {
	for _, s := range []pbx.DeviceState{pbx.DeviceUnknown, pbx.DeviceRingInUse, pbx.DeviceInvalid} {
		var back pbx.DeviceState
		b, _ := s.MarshalText()
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Errorf("device state %v: %v", s, err)
		}
	}
	for _, k := range pbx.EventKinds() {
		back, err := pbx.ParseEventKind(k.String())
		if err != nil || back != k {
			t.Errorf("event kind %v: %v", k, err)
		}
	}
	for in, want := range map[string]pbx.Disposition{"ANSWERED": pbx.DispositionAnswered, "no answer": pbx.DispositionNoAnswer, "NOANSWER": pbx.DispositionNoAnswer, "NO_ANSWER": pbx.DispositionNoAnswer} {
		if got, err := pbx.ParseDisposition(in); err != nil || got != want {
			t.Errorf("ParseDisposition(%q) = %v, %v", in, got, err)
		}
	}
	for in, want := range map[string]pbx.CallMode{"hold": pbx.ModeMusicOnHold, "moh": pbx.ModeMusicOnHold, "echo": pbx.ModeEchoTest, "dial": pbx.ModeDial} {
		if got, err := pbx.ParseCallMode(in); err != nil || got != want {
			t.Errorf("ParseCallMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := pbx.ParseFolder("../x"); !errors.Is(err, pbx.ErrInvalid) {
		t.Errorf("ParseFolder(../x) = %v", err)
	}
	if f, err := pbx.ParseFolder("friends"); err != nil || f != pbx.FolderFriends {
		t.Errorf("ParseFolder(friends) = %v, %v", f, err)
	}
	if _, err := pbx.ParseQueueStrategy("nope"); err == nil {
		t.Error("ParseQueueStrategy accepted nope")
	}
	if pbx.CauseBusy.String() != "user busy" || pbx.HangupCause(99).String() != "cause 99" {
		t.Error("hang-up cause names")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	e := pbx.Extension{ID: "1010", Secret: "hunter2"}
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("ext", "secret", e.Secret, "ext", e)
	js, _ := json.Marshal(e)
	for _, out := range []string{fmt.Sprint(e.Secret), fmt.Sprintf("%v %+v %#v", e, e, e), logs.String(), string(js)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("secret leaked: %s", out)
		}
	}
}

func TestMarshalEvent(t *testing.T) {
	e := &pbx.DNDChanged{Extension: "1010", Enabled: true}
	e.Seq = 7
	b, err := pbx.MarshalEvent(e)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if m["kind"] != "dnd.changed" || m["extension"] != "1010" || m["seq"] != float64(7) {
		t.Fatalf("MarshalEvent = %s", b)
	}
}

func TestCapabilities(t *testing.T) {
	s := pbx.NewCapabilities(pbx.CapCDR, pbx.CapDND)
	if !s.Has(pbx.CapDND) || s.Has(pbx.CapVoicemail) || s.Len() != 2 || s.String() != "devices.dnd,cdr" {
		t.Fatalf("set %v", s)
	}
	if s.Without(pbx.CapDND).Has(pbx.CapDND) {
		t.Fatal("Without kept the capability")
	}
	if _, err := pbx.ParseCapability("teleport"); !errors.Is(err, pbx.ErrInvalid) {
		t.Fatal("ParseCapability accepted an unknown name")
	}
}

func TestURLMux(t *testing.T) {
	var mux pbx.URLMux
	var got *url.URL
	mux.Register("fake", pbx.URLOpenerFunc(func(_ context.Context, u *url.URL, _ *pbx.ClientOptions) (*pbx.Client, error) {
		got = u
		return nil, errors.New("no server")
	}))
	if _, err := mux.Open(context.Background(), "fake://user:pw@host:1?x=1", nil); err == nil || got.Host != "host:1" {
		t.Fatalf("Open = %v, URL %v", err, got)
	}
	_, err := mux.Open(context.Background(), "nope://user:hunter2@host", nil)
	if !errors.Is(err, pbx.ErrInvalid) || strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "fake") {
		t.Fatalf("unknown scheme error %q: want invalid, naming the registered schemes, without the password", err)
	}
	_, err = mux.Open(context.Background(), "fake://user:hunter2@host:99999999999999999999999:x", nil)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("malformed URL error %q leaks the password", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("registering a scheme twice did not panic")
		}
	}()
	mux.Register("fake", pbx.URLOpenerFunc(nil))
}

func TestInterfaceExtension(t *testing.T) {
	for in, want := range map[string]pbx.ExtensionID{
		"PJSIP/1010":              "1010",
		"Local/1010@from-queue/n": "1010",
		"PJSIP/1010-00000002":     "1010",
		"SIP/trunk":               "",
		"PJSIP/10a":               "",
		"nothing":                 "",
	} {
		if got := pbx.InterfaceExtension(in); got != want {
			t.Errorf("InterfaceExtension(%q) = %q, want %q", in, got, want)
		}
	}
}
