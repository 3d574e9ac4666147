package main

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/mock"
	"github.com/pbxkit/pbxkit/pbx"
)

const channel = "777777777777777777"

// notifyEnv is a notifier on a demo PBX with a fake clock.
type notifyEnv struct {
	*env
	clock  *mock.FakeClock
	client *pbx.Client
	n      *Notifier

	mu  sync.Mutex
	now time.Time // the limiter's clock
}

func newNotifyEnv(t *testing.T, cfg notifierConfig) *notifyEnv {
	t.Helper()
	clock := mock.NewFakeClock(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	e := &notifyEnv{env: newEnv(t, &envOptions{mock: &mock.Options{Clock: clock}}), clock: clock, now: clock.Now()}
	e.client = e.pbx.Client()
	t.Cleanup(func() { e.client.Close() })
	cfg.PBX, cfg.Discord, cfg.Links, cfg.Channel, cfg.Log = e.client, e.dc, e.links, channel, e.logger
	cfg.Now = func() time.Time {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.now
	}
	if cfg.Burst == 0 {
		cfg.Burst, cfg.Every = 100, time.Second
	}
	n, err := startNotifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.n = n
	t.Cleanup(n.Stop)
	return e
}

func (e *notifyEnv) advanceLimiter(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// call places a call from one extension to another, as a phone would.
func (e *notifyEnv) call(from, to pbx.ExtensionID, name string) {
	e.t.Helper()
	_, err := e.client.Calls().Originate(context.Background(), pbx.OriginateRequest{
		From: from, To: string(to), CallerID: pbx.Party{Name: name, Number: string(from)},
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *notifyEnv) voicemail(box pbx.MailboxID, caller pbx.Party) {
	e.t.Helper()
	if _, err := e.pbx.LeaveVoicemail(box, caller, 9*time.Second); err != nil {
		e.t.Fatal(err)
	}
}

// checkPost checks a post's channel and that it may ping only users.
func checkPost(t *testing.T, p fakePost, users ...string) {
	t.Helper()
	if p.channel != channel {
		t.Errorf("posted to %q", p.channel)
	}
	m := p.mentions
	if m == nil || m.Parse == nil || len(m.Parse) > 0 || len(m.Roles) > 0 || !slices.Equal(m.Users, users) {
		t.Errorf("post %q may ping %+v, want only %v", p.content, m, users)
	}
}

func TestNotifyMissedNoAnswer(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	if err := e.pbx.SetBehavior("1010", mock.NoAnswer, 0); err != nil {
		t.Fatal(err)
	}
	e.call("1002", "1010", "Bob Smith")
	e.clock.Advance(31 * time.Second) // the ringing times out
	posts := e.dc.waitPosts(t, 1)
	wantContains(t, posts[0].content, "📵 Missed call for <@"+alice+"> (extension 1010) from Bob Smith (1002)", "<t:", "(no answer)")
	checkPost(t, posts[0], alice)
}

func TestNotifyMissedBusy(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	if err := e.client.Devices().SetDND(context.Background(), "1001", true); err != nil {
		t.Fatal(err)
	}
	e.call("1002", "1001", "") // do-not-disturb answers busy at once
	posts := e.dc.waitPosts(t, 1)
	wantContains(t, posts[0].content, "Missed call for <@"+bob+"> (extension 1001) from 1002", "busy or do-not-disturb")
	checkPost(t, posts[0], bob)
}

func TestNotifyIgnoresTheRest(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	// A missed call to an extension nobody linked, an answered call, and an
	// unanswered call-me (to no extension): nothing to tell.
	if err := e.pbx.SetBehavior("1003", mock.NoAnswer, 0); err != nil {
		t.Fatal(err)
	}
	e.call("1004", "1003", "Dave Brown")
	e.call("1006", "1002", "Frank Miller")
	if err := e.pbx.SetBehavior("1010", mock.NoAnswer, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Calls().CallMe(context.Background(), "1010", pbx.CallMeRequest{Mode: pbx.ModeEchoTest}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(31 * time.Second)
	if _, err := e.client.Calls().HangupExtension(context.Background(), "1006"); err != nil {
		t.Fatal(err)
	}
	e.voicemail("1002", pbx.Party{Number: "+15550000000"}) // nobody linked to 1002
	e.voicemail("1010", pbx.Party{Name: "Last One"})       // a sentinel: events come in order
	e.dc.waitPosts(t, 1)
	time.Sleep(20 * time.Millisecond)
	if posts := e.dc.postList(); len(posts) != 1 || !strings.Contains(posts[0].content, "Last One") {
		t.Errorf("posts: %+v", posts)
	}
}

func TestNotifyVoicemail(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	e.voicemail("1010", pbx.Party{Name: "Carol White", Number: "1003"})
	posts := e.dc.waitPosts(t, 1)
	wantContains(t, posts[0].content, "📨 New voicemail for <@"+alice+"> (extension 1010) from Carol White (1003), 9s long", "/voicemail")
	checkPost(t, posts[0], alice)

	// Asterisk reports only the new counts.
	text, users := e.n.message(&pbx.VoicemailReceived{Mailbox: "1001@default", Counts: pbx.MailboxCounts{New: 3}})
	wantContains(t, text, "New voicemail for <@"+bob+"> (extension 1001): 3 new messages.")
	if !slices.Equal(users, []string{bob}) {
		t.Errorf("users %v", users)
	}
}

func TestNotifyConferenceStarted(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	if _, err := e.client.Conferences().Join(context.Background(), "500", "1002", nil); err != nil {
		t.Fatal(err)
	}
	// A second participant starts nothing.
	if _, err := e.client.Conferences().Join(context.Background(), "500", "1003", nil); err != nil {
		t.Fatal(err)
	}
	e.voicemail("1010", pbx.Party{Name: "Sentinel"})
	posts := e.dc.waitPosts(t, 2)
	wantContains(t, posts[0].content, "🎙️ Conference **500** has started.", "/conference join room:500")
	checkPost(t, posts[0])
	wantContains(t, posts[1].content, "Sentinel")
}

func TestNotifyEscapesCallerID(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	e.voicemail("1010", pbx.Party{Name: "@everyone **FREE** <@&123> [prize](https://evil.example)\n# big", Number: "+1555"})
	p := e.dc.waitPosts(t, 1)[0]
	checkPost(t, p, alice)
	for _, bad := range []string{"@everyone", "**FREE**", "<@&", "[prize]", "\n#"} {
		if strings.Contains(p.content, bad) {
			t.Errorf("post %q holds %q unescaped", p.content, bad)
		}
	}
	wantContains(t, p.content, `@`+"\u200b"+`everyone \*\*FREE\*\*`)
}

func TestNotifyRateLimit(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{Burst: 2, Every: time.Minute})
	for i := range 5 {
		e.voicemail("1010", pbx.Party{Name: "Caller " + string(rune('A'+i))})
	}
	e.dc.waitPosts(t, 2)
	e.waitSuppressed(3)
	posts := e.dc.postList()
	if len(posts) != 2 {
		t.Fatalf("%d posts over a burst of 2", len(posts))
	}
	wantContains(t, posts[0].content, "Caller A")
	wantContains(t, posts[1].content, "Caller B")

	e.advanceLimiter(time.Minute)
	e.voicemail("1010", pbx.Party{Name: "Caller F"})
	posts = e.dc.waitPosts(t, 3)
	wantContains(t, posts[2].content, "Caller F", "3 earlier notifications were left out")
	e.voicemail("1010", pbx.Party{Name: "Caller G"}) // no token yet
	e.waitSuppressed(1)
	e.advanceLimiter(time.Minute)
	e.voicemail("1010", pbx.Party{Name: "Caller H"})
	posts = e.dc.waitPosts(t, 4)
	wantContains(t, posts[3].content, "Caller H", "1 earlier notification was left out")
}

// waitSuppressed waits until the notifier has suppressed n notifications.
func (e *notifyEnv) waitSuppressed(n int) {
	e.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		e.n.mu.Lock()
		s := e.n.suppressed
		e.n.mu.Unlock()
		if s == n {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("suppressed %d, want %d", s, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNotifyEventsDroppedCounted(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	e.n.handle(context.Background(), &pbx.EventsDropped{Count: 7})
	e.voicemail("1010", pbx.Party{Name: "After"})
	wantContains(t, e.dc.waitPosts(t, 1)[0].content, "After", "7 earlier notifications were left out")
}

func TestNotifyPostFailureLogged(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	e.dc.mu.Lock()
	e.dc.failPost = errors.New("HTTP 403 Forbidden, Missing Permissions")
	e.dc.mu.Unlock()
	e.voicemail("1010", pbx.Party{Name: "Lost"})
	<-e.dc.posted
	e.dc.mu.Lock()
	e.dc.failPost = nil
	e.dc.mu.Unlock()
	e.voicemail("1010", pbx.Party{Name: "Found"})
	wantContains(t, e.dc.waitPosts(t, 1)[0].content, "Found")
	wantContains(t, e.log.String(), "could not post a notification", "Missing Permissions")
}

func TestNotifyKinds(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{Kinds: []string{notifyConference}})
	e.voicemail("1010", pbx.Party{Name: "Not posted"})
	if _, err := e.client.Conferences().Join(context.Background(), "501", "1002", nil); err != nil {
		t.Fatal(err)
	}
	e.dc.waitPosts(t, 1)
	time.Sleep(20 * time.Millisecond)
	if posts := e.dc.postList(); len(posts) != 1 || !strings.Contains(posts[0].content, "501") {
		t.Errorf("posts: %+v", posts)
	}

	if _, err := startNotifier(notifierConfig{PBX: e.client, Kinds: []string{"everything"}}); err == nil {
		t.Error("an unknown kind was accepted")
	}
}

func TestNotifyUnsupported(t *testing.T) {
	p := mock.NewDemo(&mock.Options{Disable: []pbx.Capability{pbx.CapEvents}})
	defer p.Close()
	c := p.Client()
	defer c.Close()
	links, _ := OpenLinks("", false, nil)
	_, err := startNotifier(notifierConfig{PBX: c, Discord: newFakeDiscord(), Links: links, Channel: channel})
	if !errors.Is(err, pbx.ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}

func TestNotifyStopsWhenPBXCloses(t *testing.T) {
	e := newNotifyEnv(t, notifierConfig{})
	e.client.Close() // the subscription ends; the goroutine must too
	select {
	case <-e.n.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the notifier did not stop when its client closed")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(2, 10*time.Second, func() time.Time { return now })
	got := []bool{l.allow(), l.allow(), l.allow()}
	now = now.Add(5 * time.Second)
	got = append(got, l.allow())
	now = now.Add(5 * time.Second)
	got = append(got, l.allow(), l.allow())
	now = now.Add(time.Hour)
	got = append(got, l.allow(), l.allow(), l.allow())
	want := []bool{true, true, false, false, true, false, true, true, false}
	if !slices.Equal(got, want) {
		t.Errorf("allow: %v, want %v", got, want)
	}
	unlimited := newLimiter(1, 0, nil)
	for range 100 {
		if !unlimited.allow() {
			t.Fatal("a limiter without interval refused")
		}
	}
}
