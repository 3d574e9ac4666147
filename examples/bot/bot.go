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

// discord is the part of the Discord API the bot uses. *discordgo.Session
// implements it; the tests use a fake.
type discord interface {
	ApplicationCommandBulkOverwrite(appID, guildID string, cmds []*discordgo.ApplicationCommand, options ...discordgo.RequestOption) ([]*discordgo.ApplicationCommand, error)
	InteractionRespond(i *discordgo.Interaction, r *discordgo.InteractionResponse, options ...discordgo.RequestOption) error
	InteractionResponseEdit(i *discordgo.Interaction, e *discordgo.WebhookEdit, options ...discordgo.RequestOption) (*discordgo.Message, error)
	ChannelMessageSendComplex(channelID string, m *discordgo.MessageSend, options ...discordgo.RequestOption) (*discordgo.Message, error)
}

var _ discord = (*discordgo.Session)(nil)

// Bot answers slash commands. Create it with newBot, register its commands
// with RegisterCommands, feed it interactions with HandleInteraction (from
// any number of goroutines) and Close it to wait for the interactions in
// flight.
type Bot struct {
	pbx      *pbx.Client
	dc       discord
	links    *Links
	appID    string
	guildID  string
	timeout  time.Duration
	linkHint string
	log      *slog.Logger
	commands map[string]*command

	mu      sync.Mutex
	closed  bool
	running sync.WaitGroup
}

// botConfig holds what newBot needs.
type botConfig struct {
	PBX      *pbx.Client
	Discord  discord
	Links    *Links
	AppID    string
	GuildID  string        // "" registers global commands
	Timeout  time.Duration // bound on the PBX requests of one command
	LinkHint string        // told to unlinked users after "run /link"
	Log      *slog.Logger
}

func newBot(cfg botConfig) *Bot {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bot{
		pbx: cfg.PBX, dc: cfg.Discord, links: cfg.Links, appID: cfg.AppID, guildID: cfg.GuildID,
		timeout: cfg.Timeout, linkHint: cfg.LinkHint, log: cfg.Log,
	}
	b.commands = b.commandSet()
	return b
}

// RegisterCommands replaces the application's slash commands (in the guild,
// or globally without one) with the bot's.
func (b *Bot) RegisterCommands() error {
	defs := make([]*discordgo.ApplicationCommand, 0, len(b.commands))
	for _, name := range commandOrder {
		defs = append(defs, b.commands[name].def)
	}
	_, err := b.dc.ApplicationCommandBulkOverwrite(b.appID, b.guildID, defs)
	return err
}

// Close stops taking interactions and waits for those in flight; each is
// bounded by the command timeout.
func (b *Bot) Close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.running.Wait()
}

// request is one slash command as a handler sees it.
type request struct {
	i    *discordgo.Interaction
	user string          // the Discord user ID
	ext  pbx.ExtensionID // the user's extension, for commands that need a link
	opts map[string]*discordgo.ApplicationCommandInteractionDataOption
	sub  string // the subcommand, if any
}

// str returns a string option, or "".
func (r *request) str(name string) string {
	if o := r.opts[name]; o != nil {
		s, _ := o.Value.(string)
		return strings.TrimSpace(s)
	}
	return ""
}

// reply is what a command answers. Every reply is ephemeral: only the user
// who ran the command sees it.
type reply struct {
	content string
	file    *discordgo.File
}

func say(format string, args ...any) reply {
	return reply{content: strings.TrimSpace(fmt.Sprintf(format, args...))}
}

// command is one slash command.
type command struct {
	def *discordgo.ApplicationCommand
	// linked commands need the user's extension; others run for anybody.
	linked bool
	// local commands do not reach the PBX and are answered at once; others
	// are acknowledged first ("thinking…") and answered by an edit, as the
	// PBX may take longer than the three seconds Discord waits.
	local bool
	run   func(ctx context.Context, r *request) reply
	// complete returns autocomplete choices for the focused option.
	complete func(ctx context.Context, r *request, focused string) []*discordgo.ApplicationCommandOptionChoice
}

// HandleInteraction answers one interaction. discordgo calls it in a new
// goroutine per event; it returns once the answer is sent.
func (b *Bot) HandleInteraction(i *discordgo.Interaction) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.running.Add(1)
	b.mu.Unlock()
	defer b.running.Done()

	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		b.command(i)
	case discordgo.InteractionApplicationCommandAutocomplete:
		b.autocomplete(i)
	}
}

// parse extracts the user, command and options of an interaction.
func (b *Bot) parse(i *discordgo.Interaction) (*request, *command) {
	r := &request{i: i, opts: map[string]*discordgo.ApplicationCommandInteractionDataOption{}}
	switch {
	case i.Member != nil && i.Member.User != nil:
		r.user = i.Member.User.ID
	case i.User != nil:
		r.user = i.User.ID
	}
	data, ok := i.Data.(discordgo.ApplicationCommandInteractionData)
	if !ok || r.user == "" {
		return r, nil
	}
	opts := data.Options
	if len(opts) == 1 && opts[0].Type == discordgo.ApplicationCommandOptionSubCommand {
		r.sub = opts[0].Name
		opts = opts[0].Options
	}
	for _, o := range opts {
		r.opts[o.Name] = o
	}
	return r, b.commands[data.Name]
}

func (b *Bot) command(i *discordgo.Interaction) {
	r, cmd := b.parse(i)
	if cmd == nil {
		b.respond(i, say("This bot does not know that command; its command list may be out of date."))
		return
	}
	deferred := false
	defer func() {
		if p := recover(); p != nil {
			// No stack: it could hold option values. The command name is enough to reproduce.
			b.log.Error("command panicked", "command", cmd.def.Name, "panic", fmt.Sprintf("%v", p))
			rep := say("Something went wrong in the bot; the admin can find it in the bot's log.")
			if deferred {
				b.edit(i, rep)
			} else {
				b.respond(i, rep)
			}
		}
	}()
	if cmd.linked {
		ext, ok := b.links.Extension(r.user)
		if !ok {
			b.respond(i, say("Your Discord account is not linked to a PBX extension yet. Run `/link token:<your token>` with your link token. %s", b.linkHint))
			return
		}
		r.ext = ext
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	if cmd.local {
		b.respond(i, cmd.run(ctx, r))
		return
	}
	thinking := &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
	}
	if err := b.dc.InteractionRespond(i, thinking); err != nil {
		b.logDiscord("could not acknowledge a command", err, i)
		return
	}
	deferred = true
	b.edit(i, cmd.run(ctx, r))
}

// edit answers an acknowledged interaction.
func (b *Bot) edit(i *discordgo.Interaction, rep reply) {
	edit := &discordgo.WebhookEdit{Content: &rep.content, AllowedMentions: &discordgo.MessageAllowedMentions{}}
	if rep.file != nil {
		edit.Files = []*discordgo.File{rep.file}
	}
	if _, err := b.dc.InteractionResponseEdit(i, edit); err != nil {
		b.logDiscord("could not answer a command", err, i)
	}
}

// respond answers an interaction at once, ephemerally.
func (b *Bot) respond(i *discordgo.Interaction, rep reply) {
	data := &discordgo.InteractionResponseData{
		Content: rep.content, Flags: discordgo.MessageFlagsEphemeral,
		AllowedMentions: &discordgo.MessageAllowedMentions{},
	}
	if rep.file != nil {
		data.Files = []*discordgo.File{rep.file}
	}
	err := b.dc.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data,
	})
	if err != nil {
		b.logDiscord("could not answer a command", err, i)
	}
}

func (b *Bot) autocomplete(i *discordgo.Interaction) {
	r, cmd := b.parse(i)
	var choices []*discordgo.ApplicationCommandOptionChoice
	var focused string
	for name, o := range r.opts {
		if o.Focused {
			focused = name
		}
	}
	if cmd != nil && cmd.complete != nil && focused != "" {
		ok := true
		if cmd.linked {
			r.ext, ok = b.links.Extension(r.user)
		}
		if ok {
			// Discord drops suggestions that take longer than three seconds.
			ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
			choices = b.completeSafely(ctx, cmd, r, focused)
			cancel()
		}
	}
	if len(choices) > 25 {
		choices = choices[:25]
	}
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	err := b.dc.InteractionRespond(i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	})
	if err != nil {
		b.logDiscord("could not send suggestions", err, i)
	}
}

func (b *Bot) completeSafely(ctx context.Context, cmd *command, r *request, focused string) (out []*discordgo.ApplicationCommandOptionChoice) {
	defer func() {
		if p := recover(); p != nil {
			b.log.Error("autocomplete panicked", "command", cmd.def.Name, "panic", fmt.Sprintf("%v", p))
			out = nil
		}
	}()
	return cmd.complete(ctx, r, focused)
}

// choice makes an autocomplete choice, within Discord's 100-character limits.
func choice(name, value string) *discordgo.ApplicationCommandOptionChoice {
	if r := []rune(name); len(r) > 100 {
		name = string(r[:99]) + "…"
	}
	return &discordgo.ApplicationCommandOptionChoice{Name: name, Value: value}
}

// logDiscord logs a failed Discord request without the interaction's token,
// which Discord's URLs (and so net/http's errors) carry.
func (b *Bot) logDiscord(msg string, err error, i *discordgo.Interaction) {
	b.log.Warn(msg, "interaction", i.ID, "err", redact(err.Error(), i.Token))
}

// redact replaces each secret in s.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[REDACTED]")
		}
	}
	return s
}

// failure turns a PBX error into a message for the user, and logs it for the
// admin. action completes "This PBX cannot …" ("place calls"). The user never
// sees the error's own text: it is for the log.
func (b *Bot) failure(r *request, action string, err error) reply {
	b.log.Info("command failed", "command", r.cmdName(), "user", r.user, "ext", r.ext, "code", pbx.Code(err).String(), "err", err)
	switch pbx.Code(err) {
	case pbx.Unsupported:
		return say("This PBX cannot %s.", action)
	case pbx.Unavailable:
		return say("The PBX is unreachable right now; try again in a moment.")
	case pbx.DeadlineExceeded, pbx.Canceled:
		return say("The PBX took too long to answer; try again in a moment.")
	case pbx.NotFound:
		return say("The PBX does not know extension %s; ask an admin to check your link.", r.ext)
	case pbx.PermissionDenied:
		return say("The bot is not allowed to %s on this PBX; ask an admin.", action)
	case pbx.FailedPrecondition:
		return say("The PBX cannot %s right now (is your phone registered?).", action)
	case pbx.ResourceExhausted:
		return say("The PBX is too busy to %s right now; try again later.", action)
	case pbx.InvalidArgument:
		return say("The PBX refused that request as invalid.")
	}
	return say("Something went wrong talking to the PBX; the admin can find it in the bot's log.")
}

func (r *request) cmdName() string {
	if data, ok := r.i.Data.(discordgo.ApplicationCommandInteractionData); ok {
		return strings.TrimSpace(data.Name + " " + r.sub)
	}
	return ""
}

// isCode reports whether err carries the code c.
func isCode(err error, c pbx.ErrorCode) bool { return err != nil && pbx.Code(err) == c }
