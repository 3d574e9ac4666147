// Package pbxtest is the conformance suite every pbxkit backend runs. It
// drives a backend only through the public pbx API and checks results,
// events (kind and order) and errors. It is capability-aware: the tests of a
// capability the backend does not declare are skipped with the capability's
// name, and every declared capability must pass.
//
// A backend runs it from a test named TestConformance:
//
//	func TestConformance(t *testing.T) {
//		pbxtest.Run(t, func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) {
//			return newHarness(ctx, t)
//		})
//	}
//
// The suite runs its cases one after the other (a real PBX is shared state)
// and leaves the fixtures as it found them.
package pbxtest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// Harness connects the suite to one backend and the PBX behind it.
type Harness interface {
	// NewClient opens a new client on the PBX under test. The suite closes it.
	NewClient(ctx context.Context) (*pbx.Client, error)
	// Fixtures names the objects of the PBX that the suite may use.
	Fixtures() Fixtures
	// World makes things happen outside the client: phones registering,
	// answering or refusing calls, callers queueing, voicemail arriving, the
	// PBX going away.
	World() World
}

// HarnessMaker makes a Harness for one run of the suite; the harness is
// released through t.Cleanup.
type HarnessMaker func(ctx context.Context, t *testing.T) (Harness, error)

// Fixtures names the objects the suite may use and must find as described.
// The suite restores what it changes (DND, forwarding, members it adds, calls
// it places).
type Fixtures struct {
	// Extensions are three existing extensions whose devices are registered
	// and answer calls. The suite calls them, toggles their DND and so on.
	Extensions [3]pbx.ExtensionID
	// Unregistered exists but its device is not registered.
	Unregistered pbx.ExtensionID
	// Missing is a well-formed number that is not an extension.
	Missing pbx.ExtensionID
	// Free is a number the suite may create and delete an extension on.
	Free pbx.ExtensionID
	// Mailbox is the voicemail box of Extensions[0].
	Mailbox pbx.MailboxID
	// Conference is a room the Extensions may join.
	Conference pbx.ConferenceID
	// Queue is an existing queue; MemberInterface is an interface that is not
	// a member of it, which the suite adds and removes.
	Queue           pbx.QueueID
	MemberInterface string
	// FreeQueue and FreeRoom are a queue and a conference room the suite
	// may provision and remove; empty means "8950" and "8960".
	FreeQueue pbx.QueueID
	FreeRoom  pbx.ConferenceID
	// Timeout bounds each wait for an event; 0 means 10 seconds.
	Timeout time.Duration
	// VoicemailFolders are the folders the PBX keeps messages in; nil means
	// all of pbx.Folders. A move to another folder must fail with
	// pbx.ErrUnsupported.
	VoicemailFolders []pbx.Folder
}

// AnswerMode is how a fixture phone treats incoming calls.
type AnswerMode int

// The answer modes.
const (
	AnswerCalls AnswerMode = iota // answer at once
	RejectBusy                    // reject as busy
	RingForever                   // ring and never answer
)

// World is how the suite acts outside the client. A method that the harness
// cannot do returns an error matching pbx.ErrUnsupported, and the tests that
// need it are skipped.
type World interface {
	// RegisterDevice registers a phone for ext; UnregisterDevice removes
	// every registration of ext.
	RegisterDevice(ctx context.Context, ext pbx.ExtensionID) error
	UnregisterDevice(ctx context.Context, ext pbx.ExtensionID) error
	// SetAnswerMode sets how ext's phone treats incoming calls.
	SetAnswerMode(ctx context.Context, ext pbx.ExtensionID, mode AnswerMode) error
	// LeaveVoicemail delivers a new message to box's INBOX.
	LeaveVoicemail(ctx context.Context, box pbx.MailboxID, from pbx.Party) error
	// QueueCaller puts an outside caller into a queue and returns the
	// caller's call ID.
	QueueCaller(ctx context.Context, q pbx.QueueID, from pbx.Party) (pbx.CallID, error)
	// Outage makes the PBX unreachable (it stops, or the network fails) and
	// returns a function that brings it back and returns once clients can
	// reach it again.
	Outage(ctx context.Context) (restore func(context.Context) error, err error)
}

// suite is one run's shared state.
type suite struct {
	h   Harness
	fx  Fixtures
	c   *pbx.Client // the main client
	cap pbx.Capabilities
}

// Run runs the conformance suite.
func Run(t *testing.T, newHarness HarnessMaker) {
	ctx := context.Background()
	h, err := newHarness(ctx, t)
	if err != nil {
		t.Fatalf("making harness: %v", err)
	}
	s := &suite{h: h, fx: h.Fixtures()}
	if s.fx.Timeout == 0 {
		s.fx.Timeout = 10 * time.Second
	}
	if s.fx.FreeQueue == "" {
		s.fx.FreeQueue = "8950"
	}
	if s.fx.FreeRoom == "" {
		s.fx.FreeRoom = "8960"
	}
	s.c = s.client(t)
	s.cap = s.c.Capabilities()
	t.Logf("backend %s declares %d capabilities: %s", s.c.Backend(), s.cap.Len(), s.cap)

	t.Run("Client", s.testClient)
	t.Run("Extensions", s.testExtensions)
	t.Run("Devices", s.testDevices)
	t.Run("Calls", s.testCalls)
	t.Run("Voicemail", s.testVoicemail)
	t.Run("Conferences", s.testConferences)
	t.Run("Rooms", s.testRooms)
	t.Run("Queues", s.testQueues)
	t.Run("CDR", s.testCDR)
	t.Run("System", s.testSystem)
	t.Run("Events", s.testEvents)
}

// client opens a client closed at the end of the test.
func (s *suite) client(t *testing.T) *pbx.Client {
	t.Helper()
	c, err := s.h.NewClient(context.Background())
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// need skips the test unless every capability is declared.
func (s *suite) need(t *testing.T, caps ...pbx.Capability) {
	t.Helper()
	for _, c := range caps {
		if !s.cap.Has(c) {
			t.Skipf("backend does not declare capability %s", c)
		}
	}
}

// world runs a World action and skips the test if the harness cannot do it.
func world(t *testing.T, err error, what string) {
	t.Helper()
	if errors.Is(err, pbx.ErrUnsupported) {
		t.Skipf("harness cannot %s: %v", what, err)
	}
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// ctx returns a context bounded by the fixture timeout.
func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 3*s.fx.Timeout)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails unless err carries code and matches its sentinel.
func wantCode(t *testing.T, err error, code pbx.ErrorCode, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: got no error, want %s", what, code)
	}
	if got := pbx.Code(err); got != code {
		t.Fatalf("%s: got code %s (%v), want %s", what, got, err, code)
	}
	var e *pbx.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %T is not a *pbx.Error", what, err)
	}
}

// ok fails on an error.
func ok(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// subscribe opens a subscription closed at the end of the test.
func (s *suite) subscribe(t *testing.T, c *pbx.Client, f *pbx.EventFilter) *pbx.Subscription {
	t.Helper()
	sub, err := c.Subscribe(context.Background(), f, &pbx.SubscribeOptions{Buffer: 4096})
	ok(t, err, "Subscribe")
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// until reads events until one satisfies stop and returns them all, the last
// one included. It fails the test after the fixture timeout.
func (s *suite) until(t *testing.T, sub *pbx.Subscription, what string, stop func(pbx.Event) bool) []pbx.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), s.fx.Timeout)
	defer cancel()
	var seen []pbx.Event
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v; saw %s", what, err, kinds(seen))
		}
		seen = append(seen, e)
		if stop(e) {
			return seen
		}
	}
}

// waitFor returns the first event of type E that satisfies match.
func waitFor[E pbx.Event](t *testing.T, s *suite, sub *pbx.Subscription, what string, match func(E) bool) E {
	t.Helper()
	seen := s.until(t, sub, what, func(e pbx.Event) bool {
		x, isE := e.(E)
		return isE && (match == nil || match(x))
	})
	return seen[len(seen)-1].(E)
}

func kinds(events []pbx.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Kind().String()
	}
	return out
}

// indexOf returns the index of the first event of type E matching match, or -1.
func indexOf[E pbx.Event](events []pbx.Event, match func(E) bool) int {
	return slices.IndexFunc(events, func(e pbx.Event) bool {
		x, isE := e.(E)
		return isE && (match == nil || match(x))
	})
}

// hangupLater hangs a call up at the end of the test, if it still exists.
func (s *suite) hangupLater(t *testing.T, id pbx.CallID) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.fx.Timeout)
		defer cancel()
		if err := s.c.Calls().Hangup(ctx, id); err != nil && pbx.Code(err) != pbx.NotFound {
			t.Logf("cleanup: hang up %s: %v", id, err)
		}
	})
}

// originateHold places a music-on-hold call to ext with a chosen ID, and
// waits until it is answered.
func (s *suite) originateHold(t *testing.T, ext pbx.ExtensionID) pbx.CallID {
	t.Helper()
	id := pbx.NewCallID()
	sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
	got, err := s.c.Calls().Originate(s.ctx(t), pbx.OriginateRequest{ID: id, From: ext, Mode: pbx.ModeMusicOnHold,
		CallerID: pbx.Party{Name: "pbxtest", Number: string(ext)}})
	ok(t, err, "Originate")
	s.hangupLater(t, id)
	if got != id {
		t.Fatalf("Originate returned ID %q, want the chosen %q", got, id)
	}
	waitFor(t, s, sub, "CallAnswered", func(e *pbx.CallAnswered) bool { return e.Call.ID == id })
	return id
}

// hangupAndWait hangs a call up and waits for its CallEnded.
func (s *suite) hangupAndWait(t *testing.T, id pbx.CallID) []pbx.Event {
	t.Helper()
	sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
	ok(t, s.c.Calls().Hangup(s.ctx(t), id), "Hangup")
	return s.until(t, sub, "CallEnded", func(e pbx.Event) bool {
		x, isEnd := e.(*pbx.CallEnded)
		return isEnd && x.Call.ID == id
	})
}

// eventually retries check until it returns nil or the fixture timeout passes.
func (s *suite) eventually(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(s.fx.Timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
