// Command pbxbot is a Discord bot for a community PBX, built on pbxkit and
// github.com/bwmarrin/discordgo: the members of a Discord server (such as
// LiteNet's, whose users log in with Discord) drive their own extension with
// slash commands, and a channel is told about missed calls, new voicemail and
// conferences that start.
//
// Usage:
//
//	DISCORD_BOT_TOKEN=... pbxbot --app <application ID> [--guild <server ID>]
//	    [--notify-channel <channel ID>] [--links links.json] [--pbx URL]
//
// The commands are:
//
//	/callme [mode]            ring your phone: music on hold (default) or echo test
//	/dnd [on|off]             show or switch do-not-disturb
//	/calls                    your live calls
//	/hangup [call]            hang up all your calls, or one by ID
//	/voicemail [message] [folder]   list your messages, or get one's recording
//	/conference list | join <room>
//	/link <token>, /unlink    link your Discord account to your extension
//
// Every answer is ephemeral: only the user who asked sees it. Discord users
// are linked to extensions in a JSON file (--links); see README.md.
//
// The flags fall back on environment variables: --pbx on PBX_URL (else
// mock://demo, an in-memory demo PBX), --app on DISCORD_APP_ID, --guild on
// DISCORD_GUILD_ID, --notify-channel on DISCORD_NOTIFY_CHANNEL and --links on
// PBXBOT_LINKS. The bot token is read from DISCORD_BOT_TOKEN only, so that it
// never shows in a process list, and is never logged.
//
// The bot stops cleanly on SIGINT or SIGTERM: it disconnects from Discord,
// finishes the commands in flight and closes the PBX connection.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// defaultURL is the PBX used when neither --pbx nor PBX_URL names one.
const defaultURL = "mock://demo"

// config is the bot's configuration from flags and environment.
type config struct {
	pbxURL      string
	appID       string
	guildID     string
	channel     string
	linksPath   string
	linkHint    string
	timeout     time.Duration
	notify      []string
	notifyBurst int
	notifyEvery time.Duration
	register    bool
	debug       bool
	token       string // from DISCORD_BOT_TOKEN; never printed
}

// parseConfig reads the flags, then the environment for what they leave out.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("pbxbot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	// Defaults from the environment are resolved after parsing, not shown in
	// --help: PBX_URL may hold a password.
	fs.StringVar(&c.pbxURL, "pbx", "", "PBX URL (default $PBX_URL, else "+defaultURL+")")
	fs.StringVar(&c.appID, "app", "", "Discord application ID (default $DISCORD_APP_ID)")
	fs.StringVar(&c.guildID, "guild", "", "Discord server (guild) ID to register the commands in; empty registers them globally (default $DISCORD_GUILD_ID)")
	fs.StringVar(&c.channel, "notify-channel", "", "channel ID for notifications; empty posts none (default $DISCORD_NOTIFY_CHANNEL)")
	fs.StringVar(&c.linksPath, "links", "", "JSON file linking Discord users to extensions; empty keeps links in memory (default $PBXBOT_LINKS)")
	fs.StringVar(&c.linkHint, "link-hint", "Ask the PBX admin for your token.", "told to users who are not linked")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "bound on the PBX requests of one command")
	notify := fs.String("notify", strings.Join(notifyKinds, ","), "notifications to post: any of "+strings.Join(notifyKinds, ", ")+"; empty for none")
	fs.IntVar(&c.notifyBurst, "notify-burst", 5, "notifications posted at once before the rate limit applies")
	fs.DurationVar(&c.notifyEvery, "notify-every", 10*time.Second, "then at most one notification per this interval (0: no limit)")
	fs.BoolVar(&c.register, "register", true, "register the slash commands at start")
	fs.BoolVar(&c.debug, "debug", false, "log debug messages")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	env := func(v *string, name string) {
		if *v == "" {
			*v = strings.TrimSpace(getenv(name))
		}
	}
	env(&c.pbxURL, "PBX_URL")
	env(&c.appID, "DISCORD_APP_ID")
	env(&c.guildID, "DISCORD_GUILD_ID")
	env(&c.channel, "DISCORD_NOTIFY_CHANNEL")
	env(&c.linksPath, "PBXBOT_LINKS")
	if c.pbxURL == "" {
		c.pbxURL = defaultURL
	}
	c.token = strings.TrimSpace(getenv("DISCORD_BOT_TOKEN"))
	c.token = strings.TrimPrefix(c.token, "Bot ")
	for _, k := range strings.Split(*notify, ",") {
		if k = strings.TrimSpace(k); k != "" {
			c.notify = append(c.notify, k)
		}
	}
	switch {
	case c.token == "":
		return nil, errors.New("DISCORD_BOT_TOKEN is not set: put the bot's token there (Developer Portal, your application, Bot)")
	case c.appID == "":
		return nil, errors.New("no application ID: set --app or DISCORD_APP_ID (Developer Portal, your application, General Information)")
	case !isSnowflake(c.appID):
		return nil, fmt.Errorf("application ID %q is not a Discord ID", c.appID)
	case c.guildID != "" && !isSnowflake(c.guildID):
		return nil, fmt.Errorf("guild ID %q is not a Discord ID", c.guildID)
	case c.channel != "" && !isSnowflake(c.channel):
		return nil, fmt.Errorf("channel ID %q is not a Discord ID", c.channel)
	case c.timeout <= 0 || c.timeout > 14*time.Minute:
		// Discord takes answers for 15 minutes after a command.
		return nil, errors.New("--timeout must be positive and at most 14m")
	case c.notifyBurst < 1:
		return nil, errors.New("--notify-burst must be at least 1")
	case c.notifyEvery < 0:
		return nil, errors.New("--notify-every must not be negative")
	}
	for _, k := range c.notify {
		if !contains(notifyKinds, k) {
			return nil, fmt.Errorf("--notify: unknown notification %q (want %s)", k, strings.Join(notifyKinds, ", "))
		}
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// gateway is a Discord connection: the REST calls of discord plus the
// websocket that delivers interactions. *discordgo.Session implements it.
type gateway interface {
	discord
	AddHandler(handler any) func()
	Open() error
	Close() error
}

var _ gateway = (*discordgo.Session)(nil)

// newSession connects to Discord for real.
func newSession(token string, log *slog.Logger) (gateway, error) {
	// discordgo logs through a logger of its own; send it to ours, token-free.
	discordgo.Logger = func(level, _ int, format string, a ...any) {
		msg := "discordgo: " + redact(fmt.Sprintf(format, a...), token)
		if level <= discordgo.LogError {
			log.Error(msg)
		} else {
			log.Warn(msg)
		}
	}
	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, err
	}
	s.Identify.Intents = discordgo.IntentsGuilds // slash commands need no privileged intent
	s.LogLevel = discordgo.LogWarning
	return s, nil
}

// run runs the bot until ctx is done, then shuts it down. newGateway makes
// the Discord connection (newSession, or a fake in tests).
func run(ctx context.Context, c *config, newGateway func(token string, log *slog.Logger) (gateway, error), log *slog.Logger) error {
	client, err := pbx.DefaultURLMux().Open(ctx, c.pbxURL, &pbx.ClientOptions{Logger: log})
	if err != nil {
		return err // the library's errors never hold the URL's password
	}
	defer client.Close()
	log.Info("PBX connected", "backend", client.Backend())
	demo := c.linksPath == "" && client.Backend() == "mock"
	links, err := OpenLinks(c.linksPath, demo, log)
	if err != nil {
		return err
	}
	if demo {
		log.Info("demo: /link token:" + tokenfile.DemoToken + " links you to extension " + string(tokenfile.DemoExtension))
	}

	dg, err := newGateway(c.token, log)
	if err != nil {
		return fmt.Errorf("discord: %s", redact(err.Error(), c.token))
	}
	bot := newBot(botConfig{
		PBX: client, Discord: dg, Links: links, AppID: c.appID, GuildID: c.guildID,
		Timeout: c.timeout, LinkHint: c.linkHint, Log: log,
	})
	dg.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		if ic != nil && ic.Interaction != nil {
			bot.HandleInteraction(ic.Interaction)
		}
	})
	dg.AddHandler(func(_ *discordgo.Session, r *discordgo.Ready) {
		if r != nil && r.User != nil {
			log.Info("connected to Discord", "as", r.User.Username, "servers", len(r.Guilds))
		}
	})
	if c.register {
		if err := bot.RegisterCommands(); err != nil {
			return fmt.Errorf("registering the slash commands: %s", redact(err.Error(), c.token))
		}
		where := "globally (they may take up to an hour to show)"
		if c.guildID != "" {
			where = "in server " + c.guildID
		}
		log.Info("slash commands registered " + where)
	}
	if err := dg.Open(); err != nil {
		return fmt.Errorf("connecting to Discord: %s", redact(err.Error(), c.token))
	}

	var notifier *Notifier
	if c.channel != "" && len(c.notify) > 0 {
		notifier, err = startNotifier(notifierConfig{
			PBX: client, Discord: dg, Links: links, Channel: c.channel, Kinds: c.notify,
			Burst: c.notifyBurst, Every: c.notifyEvery, Log: log,
		})
		switch {
		case errors.Is(err, pbx.ErrUnsupported):
			log.Warn("notifications off: this PBX cannot stream events")
		case err != nil:
			log.Warn("notifications off", "err", err)
		default:
			log.Info("notifications on", "channel", c.channel, "kinds", strings.Join(c.notify, ","))
		}
	}

	<-ctx.Done()
	log.Info("shutting down")
	// Stop taking interactions, answer those in flight, then stop notifying.
	if err := dg.Close(); err != nil {
		log.Warn("closing the Discord connection", "err", redact(err.Error(), c.token))
	}
	bot.Close()
	if notifier != nil {
		notifier.Stop()
	}
	return nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := mainExit(ctx, os.Args[1:], os.Getenv, os.Stderr, newSession)
	stop()
	os.Exit(code)
}

// mainExit is main without the process: it returns the exit status, 2 for a
// bad command line and 1 when the bot cannot run.
func mainExit(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, newGateway func(string, *slog.Logger) (gateway, error)) int {
	c, err := parseConfig(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "pbxbot:", err)
		return 2
	}
	level := slog.LevelInfo
	if c.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if err := run(ctx, c, newGateway, log); err != nil {
		log.Error("pbxbot stopped", "err", redact(err.Error(), c.token))
		return 1
	}
	return 0
}

// isSnowflake reports whether s looks like a Discord ID: 15 to 20 digits.
func isSnowflake(s string) bool {
	return len(s) >= 15 && tokenfile.ValidDiscordID(s)
}
