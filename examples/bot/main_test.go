package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"go.uber.org/goleak"
)

const botToken = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.SECRET-BOT-TOKEN-xyz"

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseConfig(t *testing.T) {
	base := map[string]string{"DISCORD_BOT_TOKEN": "Bot " + botToken, "DISCORD_APP_ID": "999999999999999999"}
	c, err := parseConfig(nil, envFunc(base), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.pbxURL != defaultURL || c.token != botToken || c.appID != "999999999999999999" || c.guildID != "" || c.channel != "" ||
		c.timeout != 10*time.Second || !slices.Equal(c.notify, notifyKinds) || c.notifyBurst != 5 || !c.register {
		t.Errorf("defaults: %+v", c)
	}

	env := map[string]string{
		"DISCORD_BOT_TOKEN": botToken, "DISCORD_APP_ID": "999999999999999999", "DISCORD_GUILD_ID": "888888888888888888",
		"DISCORD_NOTIFY_CHANNEL": "777777777777777777", "PBX_URL": "mock://empty", "PBXBOT_LINKS": "/tmp/env.json",
	}
	c, err = parseConfig([]string{"--pbx", "mock://demo", "--guild", "123456789012345678", "--links", "/tmp/flag.json",
		"--notify", "missed, voicemail", "--notify-every", "0", "--timeout", "3s", "--register=false"}, envFunc(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.pbxURL != "mock://demo" || c.guildID != "123456789012345678" || c.channel != "777777777777777777" ||
		c.linksPath != "/tmp/flag.json" || !slices.Equal(c.notify, []string{"missed", "voicemail"}) || c.notifyEvery != 0 ||
		c.timeout != 3*time.Second || c.register {
		t.Errorf("flags over environment: %+v", c)
	}

	for _, bad := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{nil, map[string]string{"DISCORD_APP_ID": "999999999999999999"}, "DISCORD_BOT_TOKEN is not set"},
		{nil, map[string]string{"DISCORD_BOT_TOKEN": botToken}, "no application ID"},
		{[]string{"--app", "my-bot"}, map[string]string{"DISCORD_BOT_TOKEN": botToken}, "is not a Discord ID"},
		{[]string{"--notify-channel", "#general"}, base, "is not a Discord ID"},
		{[]string{"--notify", "missed,everything"}, base, `unknown notification "everything"`},
		{[]string{"--timeout", "0s"}, base, "--timeout must be positive"},
		{[]string{"--notify-burst", "0"}, base, "--notify-burst"},
		{[]string{"extra"}, base, `unexpected argument "extra"`},
		{[]string{"--nope"}, base, "flag provided but not defined"},
	} {
		_, err := parseConfig(bad.args, envFunc(bad.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v %v: got %v, want %q", bad.args, bad.env, err, bad.want)
		}
		if err != nil && strings.Contains(err.Error(), botToken) {
			t.Errorf("error shows the token: %v", err)
		}
	}
}

func TestHelpHidesSecrets(t *testing.T) {
	var out bytes.Buffer
	env := map[string]string{"DISCORD_BOT_TOKEN": botToken, "PBX_URL": "asterisk://admin:hunter2@pbx:5038"}
	if code := mainExit(context.Background(), []string{"--help"}, envFunc(env), &out, nil); code != 0 {
		t.Errorf("--help exited %d", code)
	}
	if strings.Contains(out.String(), "hunter2") || strings.Contains(out.String(), botToken) {
		t.Errorf("--help shows a secret:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "-notify-channel") {
		t.Errorf("--help:\n%s", out.String())
	}
	out.Reset()
	if code := mainExit(context.Background(), nil, envFunc(map[string]string{}), &out, nil); code != 2 {
		t.Errorf("no token: exit %d", code)
	}
}

// fakeGateway is a Discord connection that delivers what the test sends.
type fakeGateway struct {
	*fakeDiscord
	openErr error

	mu       sync.Mutex
	handlers []any
	opened   chan struct{}
	closed   bool
}

func newFakeGateway() *fakeGateway {
	return &fakeGateway{fakeDiscord: newFakeDiscord(), opened: make(chan struct{})}
}

func (g *fakeGateway) AddHandler(h any) func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.handlers = append(g.handlers, h)
	return func() {}
}

func (g *fakeGateway) Open() error {
	if g.openErr != nil {
		return g.openErr
	}
	close(g.opened)
	return nil
}

func (g *fakeGateway) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return nil
}

// deliver sends an interaction to the bot the way discordgo does: to each
// InteractionCreate handler, in a goroutine of its own.
func (g *fakeGateway) deliver(i *discordgo.Interaction) {
	g.mu.Lock()
	hs := slices.Clone(g.handlers)
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, h := range hs {
		if h, ok := h.(func(*discordgo.Session, *discordgo.InteractionCreate)); ok {
			wg.Go(func() { h(nil, &discordgo.InteractionCreate{Interaction: i}) })
		}
	}
	wg.Wait()
}

func TestRunAndShutdown(t *testing.T) {
	defer goleak.VerifyNone(t)
	links := writeLinks(t)
	g := newFakeGateway()
	var logs bytes.Buffer
	env := map[string]string{
		"DISCORD_BOT_TOKEN": botToken, "DISCORD_APP_ID": "999999999999999999",
		"DISCORD_GUILD_ID": "888888888888888888", "DISCORD_NOTIFY_CHANNEL": channel,
		"PBX_URL": "mock://demo", "PBXBOT_LINKS": links,
	}
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int)
	gotToken := ""
	go func() {
		exit <- mainExit(ctx, nil, envFunc(env), &syncWriter{w: &logs}, func(token string, _ *slog.Logger) (gateway, error) {
			gotToken = token
			return g, nil
		})
	}()
	select {
	case <-g.opened:
	case code := <-exit:
		t.Fatalf("exited %d before connecting:\n%s", code, logs.String())
	}
	if gotToken != botToken {
		t.Errorf("gateway got token %q", gotToken)
	}
	g.fakeDiscord.mu.Lock()
	registered := len(g.commands)
	g.fakeDiscord.mu.Unlock()
	if registered != len(commandOrder) {
		t.Errorf("%d commands registered", registered)
	}

	i := &discordgo.Interaction{ID: "1", AppID: "999999999999999999", Type: discordgo.InteractionApplicationCommand, Token: "tok",
		Member: &discordgo.Member{User: &discordgo.User{ID: alice}},
		Data:   discordgo.ApplicationCommandInteractionData{Name: "calls"}}
	g.deliver(i)
	if a := g.answers("1"); len(a) != 2 || !strings.Contains(a[1].content, "1700000000.101") {
		t.Errorf("/calls answers: %+v", a)
	}

	cancel()
	select {
	case code := <-exit:
		if code != 0 {
			t.Errorf("exit %d:\n%s", code, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the bot did not stop")
	}
	g.mu.Lock()
	closed := g.closed
	g.mu.Unlock()
	if !closed {
		t.Error("the Discord connection was left open")
	}
	out := logs.String()
	wantContains(t, out, "PBX connected", "slash commands registered in server 888888888888888888", "notifications on", "shutting down")
	if strings.Contains(out, botToken) {
		t.Errorf("the log holds the bot token:\n%s", out)
	}
}

func TestRunFailuresHideToken(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		gw   func(*fakeGateway)
		want string
	}{
		{"open", nil, func(g *fakeGateway) {
			g.openErr = errors.New("websocket: close 4004: Authentication failed for Bot " + botToken)
		}, "connecting to Discord"},
		{"pbx", map[string]string{"PBX_URL": "nope://admin:hunter2@pbx:5038"}, nil, "no backend registered"},
		{"links", map[string]string{"PBXBOT_LINKS": "-"}, nil, "link file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			env := map[string]string{"DISCORD_BOT_TOKEN": botToken, "DISCORD_APP_ID": "999999999999999999", "PBX_URL": "mock://demo"}
			for k, v := range c.env {
				env[k] = v
			}
			if env["PBXBOT_LINKS"] == "-" {
				bad := filepath.Join(t.TempDir(), "links.json")
				if err := os.WriteFile(bad, []byte(`{"tokens": [{"token": "`+botToken+`x", "sha256": "00"}]}`), 0o600); err != nil {
					t.Fatal(err)
				}
				env["PBXBOT_LINKS"] = bad
			}
			g := newFakeGateway()
			if c.gw != nil {
				c.gw(g)
			}
			var out bytes.Buffer
			code := mainExit(context.Background(), nil, envFunc(env), &out, func(string, *slog.Logger) (gateway, error) { return g, nil })
			if code != 1 {
				t.Errorf("exit %d", code)
			}
			wantContains(t, out.String(), c.want)
			for _, secret := range []string{botToken, "hunter2"} {
				if strings.Contains(out.String(), secret) {
					t.Errorf("output shows a secret:\n%s", out.String())
				}
			}
		})
	}
}
