package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/pbxkit/pbxkit/pbx"
)

// The kinds of notification, as --notify names them.
const (
	notifyMissed     = "missed"
	notifyVoicemail  = "voicemail"
	notifyConference = "conference"
)

var notifyKinds = []string{notifyMissed, notifyVoicemail, notifyConference}

// notifierConfig holds what startNotifier needs.
type notifierConfig struct {
	PBX     *pbx.Client
	Discord discord
	Links   *Links
	Channel string
	// Kinds are the notifications to post (notifyMissed, ...); empty means all.
	Kinds []string
	// Burst and Every limit the posts: at most Burst at once, then one per
	// Every. What is over the limit is dropped and counted, and the count is
	// told with the next post.
	Burst int
	Every time.Duration
	Now   func() time.Time // the limiter's clock; nil means time.Now
	Log   *slog.Logger
}

// Notifier posts PBX events to a Discord channel: missed calls and new
// voicemail of linked users (mentioning them), and conferences that start.
// It reads one filtered subscription in one goroutine; Stop ends it.
type Notifier struct {
	cfg    notifierConfig
	sub    *pbx.Subscription
	lim    limiter
	cancel context.CancelFunc
	done   chan struct{}

	mu         sync.Mutex
	suppressed int // notifications dropped since the last post
}

// startNotifier subscribes and starts posting. Events after it returns are
// never missed. It fails with pbx.ErrUnsupported if the PBX has no events.
func startNotifier(cfg notifierConfig) (*Notifier, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = notifyKinds
	}
	filter := &pbx.EventFilter{}
	for _, k := range cfg.Kinds {
		switch k {
		case notifyMissed:
			filter.Kinds = append(filter.Kinds, pbx.KindCDRPosted)
		case notifyVoicemail:
			filter.Kinds = append(filter.Kinds, pbx.KindVoicemailReceived)
		case notifyConference:
			filter.Kinds = append(filter.Kinds, pbx.KindConferenceStarted)
		default:
			return nil, fmt.Errorf("unknown notification %q (want %s)", k, strings.Join(notifyKinds, ", "))
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := cfg.PBX.Subscribe(ctx, filter, nil)
	if err != nil {
		cancel()
		return nil, err
	}
	n := &Notifier{
		cfg: cfg, sub: sub, cancel: cancel, done: make(chan struct{}),
		lim: newLimiter(cfg.Burst, cfg.Every, cfg.Now),
	}
	go n.run(ctx)
	return n, nil
}

// Stop ends the subscription and waits for the goroutine, abandoning a post
// in flight.
func (n *Notifier) Stop() {
	n.cancel()
	n.sub.Close()
	<-n.done
}

func (n *Notifier) run(ctx context.Context) {
	defer close(n.done)
	for {
		e, err := n.sub.Next(ctx)
		if err != nil {
			return // closed or canceled: only Stop does either
		}
		n.handle(ctx, e)
	}
}

// handle posts the notification for one event, if it makes one.
func (n *Notifier) handle(ctx context.Context, e pbx.Event) {
	switch e := e.(type) {
	case *pbx.EventsDropped:
		n.log().Warn("notifications fell behind the PBX; events dropped", "count", e.Count)
		n.mu.Lock()
		n.suppressed += e.Count
		n.mu.Unlock()
		return
	case *pbx.BackendDisconnected:
		n.log().Warn("PBX connection lost; notifications pause", "reason", e.Reason)
		return
	case *pbx.BackendReconnected:
		n.log().Info("PBX connection back", "downtime", e.Downtime, "restarted", e.Restarted)
		return
	}
	text, users := n.message(e)
	if text == "" {
		return
	}
	n.mu.Lock()
	if !n.lim.allow() {
		n.suppressed++
		n.mu.Unlock()
		return
	}
	if n.suppressed > 0 {
		text += fmt.Sprintf("\n-# %s left out to keep this channel calm.", plural(n.suppressed, "earlier notification was", "earlier notifications were"))
		n.suppressed = 0
	}
	n.mu.Unlock()
	msg := &discordgo.MessageSend{
		Content: text,
		// Only the linked users named in the text may be pinged; never roles or @everyone.
		AllowedMentions: &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}, Users: users},
	}
	if _, err := n.cfg.Discord.ChannelMessageSendComplex(n.cfg.Channel, msg, discordgo.WithContext(ctx)); err != nil {
		n.log().Warn("could not post a notification", "err", err)
	}
}

func (n *Notifier) log() *slog.Logger { return n.cfg.Log }

// message formats an event, or returns "" for events that make no notification.
// users are the Discord users the text mentions.
func (n *Notifier) message(e pbx.Event) (text string, users []string) {
	switch e := e.(type) {
	case *pbx.CDRPosted:
		r := e.CDR
		if r.Disposition != pbx.DispositionNoAnswer && r.Disposition != pbx.DispositionBusy {
			return "", nil
		}
		ext := pbx.ExtensionID(r.Dst)
		if ext.Validate() != nil {
			return "", nil // not a call to an extension (a call-me, an outside number)
		}
		users = n.cfg.Links.Users(ext)
		if len(users) == 0 {
			return "", nil // nobody here to tell
		}
		why := "no answer"
		if r.Disposition == pbx.DispositionBusy {
			why = "busy or do-not-disturb"
		}
		from := r.Caller
		if from.Number == "" {
			from.Number = r.Src
		}
		return fmt.Sprintf("📵 Missed call for %s (extension %s) from %s, %s (%s).",
			mentions(users), ext, party(from), timestamp(r.Start), why), users
	case *pbx.VoicemailReceived:
		ext := e.Mailbox.Extension()
		users = n.cfg.Links.Users(ext)
		if len(users) == 0 {
			return "", nil
		}
		if m := e.Message; m != nil {
			return fmt.Sprintf("📨 New voicemail for %s (extension %s) from %s, %s long. `/voicemail` to listen.",
				mentions(users), ext, party(m.Caller), duration(m.Duration)), users
		}
		return fmt.Sprintf("📨 New voicemail for %s (extension %s): %s. `/voicemail` to listen.",
			mentions(users), ext, plural(e.Counts.New, "new message", "new messages")), users
	case *pbx.ConferenceStarted:
		return fmt.Sprintf("🎙️ Conference **%s** has started. `/conference join room:%s` to join it.", e.Conference, e.Conference), nil
	}
	return "", nil
}

func mentions(users []string) string {
	m := make([]string, len(users))
	for i, u := range users {
		m[i] = "<@" + u + ">"
	}
	return strings.Join(m, " ")
}

// limiter is a token bucket: burst tokens, one more every interval.
type limiter struct {
	burst  float64
	every  time.Duration
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newLimiter(burst int, every time.Duration, now func() time.Time) limiter {
	if burst < 1 {
		burst = 1
	}
	return limiter{burst: float64(burst), every: every, tokens: float64(burst), now: now}
}

// allow takes a token if there is one.
func (l *limiter) allow() bool {
	if l.every <= 0 {
		return true // no limit
	}
	now := l.now()
	if !l.last.IsZero() && now.After(l.last) {
		l.tokens = min(l.burst, l.tokens+float64(now.Sub(l.last))/float64(l.every))
	}
	l.last = now
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
