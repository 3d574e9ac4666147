package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/pbxkit/pbxkit/mock"
	"github.com/pbxkit/pbxkit/pbx"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// fakeDiscord records what the bot sends to Discord. It is safe for
// concurrent use.
type fakeDiscord struct {
	mu        sync.Mutex
	responses []fakeResponse // InteractionRespond and InteractionResponseEdit, in order
	posts     []fakePost
	commands  []*discordgo.ApplicationCommand
	appID     string
	guildID   string
	posted    chan struct{} // one token per post

	failRespond error
	failEdit    error
	failPost    error
}

// fakeResponse is one answer to an interaction: a response or an edit.
type fakeResponse struct {
	interaction string
	edit        bool
	typ         discordgo.InteractionResponseType
	flags       discordgo.MessageFlags
	content     string
	files       []fakeFile
	choices     []*discordgo.ApplicationCommandOptionChoice
	mentions    *discordgo.MessageAllowedMentions
}

type fakeFile struct {
	name, contentType string
	data              []byte
}

type fakePost struct {
	channel  string
	content  string
	mentions *discordgo.MessageAllowedMentions
}

func newFakeDiscord() *fakeDiscord { return &fakeDiscord{posted: make(chan struct{}, 1000)} }

func readFiles(files []*discordgo.File) []fakeFile {
	var out []fakeFile
	for _, f := range files {
		data, _ := io.ReadAll(f.Reader)
		out = append(out, fakeFile{f.Name, f.ContentType, data})
	}
	return out
}

func (f *fakeDiscord) ApplicationCommandBulkOverwrite(appID, guildID string, cmds []*discordgo.ApplicationCommand, _ ...discordgo.RequestOption) ([]*discordgo.ApplicationCommand, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.appID, f.guildID, f.commands = appID, guildID, cmds
	return cmds, nil
}

func (f *fakeDiscord) InteractionRespond(i *discordgo.Interaction, r *discordgo.InteractionResponse, _ ...discordgo.RequestOption) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failRespond != nil {
		return f.failRespond
	}
	resp := fakeResponse{interaction: i.ID, typ: r.Type}
	if d := r.Data; d != nil {
		resp.flags, resp.content, resp.choices, resp.mentions = d.Flags, d.Content, d.Choices, d.AllowedMentions
		resp.files = readFiles(d.Files)
	}
	f.responses = append(f.responses, resp)
	return nil
}

func (f *fakeDiscord) InteractionResponseEdit(i *discordgo.Interaction, e *discordgo.WebhookEdit, _ ...discordgo.RequestOption) (*discordgo.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failEdit != nil {
		return nil, f.failEdit
	}
	resp := fakeResponse{interaction: i.ID, edit: true, files: readFiles(e.Files), mentions: e.AllowedMentions}
	if e.Content != nil {
		resp.content = *e.Content
	}
	f.responses = append(f.responses, resp)
	return &discordgo.Message{}, nil
}

func (f *fakeDiscord) ChannelMessageSendComplex(channelID string, m *discordgo.MessageSend, options ...discordgo.RequestOption) (*discordgo.Message, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	defer func() { f.posted <- struct{}{} }()
	if f.failPost != nil {
		return nil, f.failPost
	}
	f.posts = append(f.posts, fakePost{channel: channelID, content: m.Content, mentions: m.AllowedMentions})
	return &discordgo.Message{}, nil
}

// answers returns the responses to one interaction.
func (f *fakeDiscord) answers(id string) []fakeResponse {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeResponse
	for _, r := range f.responses {
		if r.interaction == id {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeDiscord) postList() []fakePost {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakePost(nil), f.posts...)
}

// waitPosts waits until n posts were attempted in all.
func (f *fakeDiscord) waitPosts(t *testing.T, n int) []fakePost {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		f.mu.Lock()
		got := len(f.posts)
		f.mu.Unlock()
		if got >= n {
			return f.postList()
		}
		select {
		case <-f.posted:
		case <-deadline:
			t.Fatalf("waited for %d posts, got %d: %+v", n, got, f.postList())
		}
	}
}

// The test users. alice is linked to the demo's 1010 and bob to 1001; carol
// has no link.
const (
	alice = "111111111111111111"
	bob   = "222222222222222222"
	carol = "333333333333333333"

	aliceToken = "0f0e0d0c-0b0a-4999-8888-777766665555"
	bobToken   = "9d3c6a2e-1c1b-4a4a-9b9b-000011112222"
	expToken   = "ee000000-0000-4000-8000-000000000001"
)

// writeLinks writes a link file for the test users and returns its path.
func writeLinks(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "links.json")
	bobHash := sha256Hex(bobToken)
	file := map[string]any{
		"discord": map[string]string{alice: "1010"},
		"tokens": []map[string]any{
			{"token": aliceToken, "extension": "1010", "label": "alice"},
			{"sha256": bobHash, "extension": "1001"},
			{"token": expToken, "extension": "1002", "expires": "2001-01-01T00:00:00Z"},
		},
	}
	data, _ := json.Marshal(file)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// env is a bot on a mock PBX with a fake Discord.
type env struct {
	t      *testing.T
	pbx    *mock.PBX
	dc     *fakeDiscord
	bot    *Bot
	links  *Links
	log    *bytes.Buffer // what logger wrote
	logger *slog.Logger
	n      int // interactions sent
}

type envOptions struct {
	mock  *mock.Options
	links string // path; "" writes the default test file
}

// newEnv returns a bot on mock.NewDemo with alice linked to 1010 and bob to
// 1001 (linked through the file's "discord" after a /link).
func newEnv(t *testing.T, o *envOptions) *env {
	t.Helper()
	if o == nil {
		o = &envOptions{}
	}
	p := mock.NewDemo(o.mock)
	client := p.Client()
	path := o.links
	if path == "" {
		path = writeLinks(t)
	}
	logBuf := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(&syncWriter{w: logBuf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	links, err := OpenLinks(path, false, log)
	if err != nil {
		t.Fatal(err)
	}
	if o.links == "" {
		if _, err := links.Link(bob, bobToken); err != nil {
			t.Fatal(err)
		}
	}
	dc := newFakeDiscord()
	b := newBot(botConfig{PBX: client, Discord: dc, Links: links, AppID: "999999999999999999", GuildID: "888888888888888888",
		Timeout: 5 * time.Second, LinkHint: "Ask an admin.", Log: log})
	e := &env{t: t, pbx: p, dc: dc, bot: b, links: links, log: logBuf, logger: log}
	t.Cleanup(func() {
		b.Close()
		client.Close()
		p.Close()
	})
	return e
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

// opt is a slash command option.
func opt(name string, value any) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value}
}

func sub(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionSubCommand, Options: opts}
}

func (e *env) interaction(typ discordgo.InteractionType, user, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) *discordgo.Interaction {
	e.n++
	return &discordgo.Interaction{
		ID: fmt.Sprintf("interaction-%d", e.n), AppID: "999999999999999999",
		Type: typ, Token: "SECRET-INTERACTION-TOKEN", GuildID: "888888888888888888",
		Member: &discordgo.Member{User: &discordgo.User{ID: user}},
		Data:   discordgo.ApplicationCommandInteractionData{Name: name, Options: opts},
	}
}

// run sends a slash command and returns the final answer, checking that
// every answer is ephemeral and pings nobody.
func (e *env) run(user, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) fakeResponse {
	e.t.Helper()
	i := e.interaction(discordgo.InteractionApplicationCommand, user, name, opts...)
	e.bot.HandleInteraction(i)
	answers := e.dc.answers(i.ID)
	if len(answers) == 0 {
		e.t.Fatalf("/%s: no answer", name)
	}
	first := answers[0]
	if first.edit || first.flags&discordgo.MessageFlagsEphemeral == 0 {
		e.t.Fatalf("/%s: first answer %+v is not an ephemeral response", name, first)
	}
	last := answers[len(answers)-1]
	if first.typ == discordgo.InteractionResponseDeferredChannelMessageWithSource {
		if len(answers) != 2 || !last.edit {
			e.t.Fatalf("/%s: deferred, then %d answers: %+v", name, len(answers), answers)
		}
	} else if len(answers) != 1 || first.typ != discordgo.InteractionResponseChannelMessageWithSource {
		e.t.Fatalf("/%s: answers %+v", name, answers)
	}
	if m := last.mentions; m == nil || len(m.Parse) > 0 || len(m.Users) > 0 || len(m.Roles) > 0 {
		e.t.Errorf("/%s: answer may ping: %+v", name, m)
	}
	if strings.Contains(last.content, "pbx:") || strings.Contains(last.content, "mock") {
		e.t.Errorf("/%s: answer shows an internal error: %q", name, last.content)
	}
	return last
}

// complete sends an autocomplete request with the named option focused.
func (e *env) complete(user, name, focused string, opts ...*discordgo.ApplicationCommandInteractionDataOption) []*discordgo.ApplicationCommandOptionChoice {
	e.t.Helper()
	for _, o := range opts {
		if o.Name == focused {
			o.Focused = true
		}
		for _, so := range o.Options {
			if so.Name == focused {
				so.Focused = true
			}
		}
	}
	i := e.interaction(discordgo.InteractionApplicationCommandAutocomplete, user, name, opts...)
	e.bot.HandleInteraction(i)
	answers := e.dc.answers(i.ID)
	if len(answers) != 1 || answers[0].typ != discordgo.InteractionApplicationCommandAutocompleteResult {
		e.t.Fatalf("/%s autocomplete: answers %+v", name, answers)
	}
	return answers[0].choices
}

func wantContains(t *testing.T, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%q does not contain %q", got, w)
		}
	}
}

// callsOn lists the live calls of an extension through a client of its own.
func callsOn(t *testing.T, p *mock.PBX, ext pbx.ExtensionID) []pbx.Call {
	t.Helper()
	c := p.Client()
	defer c.Close()
	calls, err := c.Calls().List(context.Background(), &pbx.CallFilter{Extension: ext})
	if err != nil {
		t.Fatal(err)
	}
	return calls
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
