package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/bwmarrin/discordgo"
	"github.com/pbxkit/pbxkit/pbx"
)

// maxAttachment is the largest file the bot uploads: Discord's limit for
// servers without boosts.
const maxAttachment = 10 << 20

// commandOrder is the order commands are registered in.
var commandOrder = []string{"callme", "dnd", "calls", "hangup", "voicemail", "conference", "link", "unlink"}

func stringOption(name, desc string, required bool, choices ...string) *discordgo.ApplicationCommandOption {
	o := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required}
	for _, c := range choices {
		o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
	}
	return o
}

func autocompleted(o *discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
	o.Autocomplete = true
	return o
}

// commandSet returns the bot's commands by name.
func (b *Bot) commandSet() map[string]*command {
	folders := make([]string, len(pbx.Folders))
	for i, f := range pbx.Folders {
		folders[i] = string(f)
	}
	minToken := 16
	cmds := []*command{
		{def: &discordgo.ApplicationCommand{
			Name: "callme", Description: "Ring your phone: music on hold or an echo test",
			Options: []*discordgo.ApplicationCommandOption{
				stringOption("mode", "hold: music on hold (default); echo: hear yourself back", false, "hold", "echo"),
			},
		}, linked: true, run: b.callMe},
		{def: &discordgo.ApplicationCommand{
			Name: "dnd", Description: "Show or switch do-not-disturb on your extension",
			Options: []*discordgo.ApplicationCommandOption{
				stringOption("state", "on or off; leave out to see the current state", false, "on", "off"),
			},
		}, linked: true, run: b.dnd},
		{def: &discordgo.ApplicationCommand{
			Name: "calls", Description: "List your live calls",
		}, linked: true, run: b.calls},
		{def: &discordgo.ApplicationCommand{
			Name: "hangup", Description: "Hang up your calls: all of them, or one by ID",
			Options: []*discordgo.ApplicationCommandOption{
				autocompleted(stringOption("call", "the call's ID (see /calls); leave out to hang up all your calls", false)),
			},
		}, linked: true, run: b.hangup, complete: b.completeCalls},
		{def: &discordgo.ApplicationCommand{
			Name: "voicemail", Description: "List your voicemail, or get a message's recording",
			Options: []*discordgo.ApplicationCommandOption{
				autocompleted(stringOption("message", "a message's ID (see /voicemail) to get its recording", false)),
				stringOption("folder", "list only this folder", false, folders...),
			},
		}, linked: true, run: b.voicemail, complete: b.completeMessages},
		{def: &discordgo.ApplicationCommand{
			Name: "conference", Description: "Conference rooms",
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "list", Description: "List the active conference rooms"},
				{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "join", Description: "Ring your phone and put it into a room",
					Options: []*discordgo.ApplicationCommandOption{
						autocompleted(stringOption("room", "the room, such as 400", true)),
					}},
			},
		}, linked: true, run: b.conference, complete: b.completeRooms},
		{def: &discordgo.ApplicationCommand{
			Name: "link", Description: "Link your Discord account to your PBX extension",
			Options: []*discordgo.ApplicationCommandOption{{
				Type: discordgo.ApplicationCommandOptionString, Name: "token", Required: true,
				Description: "your link token, such as 123e4567-e89b-12d3-a456-426614174000", MinLength: &minToken, MaxLength: 256,
			}},
		}, local: true, run: b.link},
		{def: &discordgo.ApplicationCommand{
			Name: "unlink", Description: "Unlink your Discord account from your PBX extension",
		}, local: true, run: b.unlink},
	}
	set := make(map[string]*command, len(cmds))
	for _, c := range cmds {
		set[c.def.Name] = c
	}
	return set
}

// /callme [mode]
func (b *Bot) callMe(ctx context.Context, r *request) reply {
	mode, what := pbx.ModeMusicOnHold, "music on hold"
	if r.str("mode") == "echo" {
		mode, what = pbx.ModeEchoTest, "an echo test (you hear yourself back)"
	}
	id, err := b.pbx.Calls().CallMe(ctx, r.ext, pbx.CallMeRequest{Mode: mode})
	switch {
	case isCode(err, pbx.FailedPrecondition):
		return say("Your phone (extension %s) is not registered with the PBX, so it cannot be rung.", r.ext)
	case err != nil:
		return b.failure(r, "place calls", err)
	}
	return say("Ringing your phone (extension %s): answer it for %s. Call ID %s; end it with `/hangup`.", r.ext, what, code(string(id)))
}

// /dnd [on|off]
func (b *Bot) dnd(ctx context.Context, r *request) reply {
	devs := b.pbx.Devices()
	switch r.str("state") {
	case "on", "off":
		on := r.str("state") == "on"
		if err := devs.SetDND(ctx, r.ext, on); err != nil {
			return b.failure(r, "switch do-not-disturb", err)
		}
		return say("Do-not-disturb is now **%s** for extension %s.", onOff(on), r.ext)
	}
	on, err := devs.DND(ctx, r.ext)
	if err != nil {
		return b.failure(r, "read do-not-disturb", err)
	}
	return say("Do-not-disturb is **%s** for extension %s.", onOff(on), r.ext)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// /calls
func (b *Bot) calls(ctx context.Context, r *request) reply {
	calls, err := b.pbx.Calls().List(ctx, &pbx.CallFilter{Extension: r.ext})
	if err != nil {
		return b.failure(r, "list calls", err)
	}
	if len(calls) == 0 {
		return say("You have no live calls on extension %s.", r.ext)
	}
	items := make([]string, len(calls))
	for i, c := range calls {
		items[i] = "• " + callLine(c)
	}
	return reply{content: lines(fmt.Sprintf("Your live calls on extension %s:", r.ext), items)}
}

// callLine describes a call: "`ID` up for 1m49s with Bob Smith (1002)".
func callLine(c pbx.Call) string {
	s := fmt.Sprintf("%s %s for %s", code(string(c.ID)), c.State, duration(c.Duration))
	switch {
	case c.Connected.Name != "" || c.Connected.Number != "":
		s += " with " + party(c.Connected)
	case c.Application != "":
		s += " in " + clean(c.Application, 32)
	}
	return s
}

// /hangup [call]
func (b *Bot) hangup(ctx context.Context, r *request) reply {
	calls := b.pbx.Calls()
	id := pbx.CallID(r.str("call"))
	if id == "" {
		done, err := calls.HangupExtension(ctx, r.ext)
		if err != nil {
			rep := b.failure(r, "hang up calls", err)
			if len(done) > 0 {
				rep.content = fmt.Sprintf("Hung up %s, then: %s", plural(len(done), "call", "calls"), rep.content)
			}
			return rep
		}
		if len(done) == 0 {
			return say("You have no live calls on extension %s.", r.ext)
		}
		return say("Hung up %s on extension %s.", plural(len(done), "call", "calls"), r.ext)
	}
	if id.Validate() != nil {
		return say("%s is not a call ID; `/calls` lists yours.", code(clean(string(id), 64)))
	}
	notYours := say("You have no live call %s; `/calls` lists yours.", code(string(id)))
	c, err := calls.Get(ctx, id)
	switch {
	case isCode(err, pbx.NotFound):
		return notYours
	case err != nil:
		return b.failure(r, "look up calls", err)
	case c.Extension != r.ext:
		// Someone else's call: the same answer as for no call at all, so that
		// call IDs cannot be probed.
		return notYours
	}
	switch err := calls.Hangup(ctx, id); {
	case isCode(err, pbx.NotFound):
		return say("Call %s had already ended.", code(string(id)))
	case err != nil:
		return b.failure(r, "hang up calls", err)
	}
	return say("Hung up call %s.", code(string(id)))
}

func (b *Bot) completeCalls(ctx context.Context, r *request, _ string) []*discordgo.ApplicationCommandOptionChoice {
	calls, err := b.pbx.Calls().List(ctx, &pbx.CallFilter{Extension: r.ext})
	if err != nil {
		return nil
	}
	prefix := r.str("call")
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, c := range calls {
		if strings.HasPrefix(string(c.ID), prefix) {
			out = append(out, choice(plainCallLine(c), string(c.ID)))
		}
	}
	return out
}

// plainCallLine is callLine without markdown, for autocomplete choices.
func plainCallLine(c pbx.Call) string {
	with := c.Connected
	if with.Name == "" && with.Number == "" {
		with = pbx.Party{Name: c.Application}
	}
	name := strings.TrimSpace(with.Name + " " + with.Number)
	return fmt.Sprintf("%s · %s · %s · %s", c.ID, c.State, duration(c.Duration), name)
}

// /voicemail [message] [folder]
func (b *Bot) voicemail(ctx context.Context, r *request) reply {
	box := pbx.MailboxID(r.ext)
	vm := b.pbx.Voicemail()
	if id := pbx.MessageID(r.str("message")); id != "" {
		return b.voicemailAudio(ctx, r, box, id)
	}
	var filter *pbx.MessageFilter
	if f := r.str("folder"); f != "" {
		folder, err := pbx.ParseFolder(f)
		if err != nil {
			return say("%s is not a voicemail folder.", code(clean(f, 32)))
		}
		filter = &pbx.MessageFilter{Folder: folder}
	}
	msgs, err := vm.Messages(ctx, box, filter)
	switch {
	case isCode(err, pbx.NotFound):
		return say("Extension %s has no voicemail box.", r.ext)
	case err != nil:
		return b.failure(r, "read voicemail", err)
	}
	where := "mailbox " + string(box)
	if filter != nil {
		where = fmt.Sprintf("folder %s of mailbox %s", filter.Folder, box)
	}
	if len(msgs) == 0 {
		return say("There are no messages in your %s.", where)
	}
	items := make([]string, len(msgs))
	for i, m := range msgs {
		items[i] = fmt.Sprintf("• %s %s from %s, %s, %s", code(string(m.ID)), m.Folder, party(m.Caller), timestamp(m.Time), duration(m.Duration))
	}
	return reply{content: lines(fmt.Sprintf("%s in your %s (`/voicemail message:<id>` for a recording):",
		plural(len(msgs), "message", "messages"), where), items)}
}

// voicemailAudio answers /voicemail message:<id> with the recording attached.
// The message is looked up in the user's own mailbox only.
func (b *Bot) voicemailAudio(ctx context.Context, r *request, box pbx.MailboxID, id pbx.MessageID) reply {
	if id.Validate() != nil {
		return say("%s is not a message ID; `/voicemail` lists yours.", code(clean(string(id), 64)))
	}
	notYours := say("There is no message %s in your mailbox; `/voicemail` lists yours.", code(string(id)))
	vm := b.pbx.Voicemail()
	m, err := vm.Message(ctx, box, id)
	switch {
	case isCode(err, pbx.NotFound):
		return notYours
	case err != nil:
		return b.failure(r, "read voicemail", err)
	case m.Size > maxAttachment:
		return say("Message %s is too large to attach (%d MiB; Discord takes %d MiB).", code(string(id)), m.Size>>20, maxAttachment>>20)
	}
	audio, err := vm.Audio(ctx, box, id)
	switch {
	case isCode(err, pbx.NotFound):
		return notYours
	case err != nil:
		return b.failure(r, "read voicemail recordings", err)
	}
	defer audio.Close()
	data, err := io.ReadAll(io.LimitReader(audio, maxAttachment+1))
	switch {
	case err != nil:
		return b.failure(r, "read voicemail recordings", err)
	case len(data) > maxAttachment:
		return say("Message %s is too large to attach (Discord takes %d MiB).", code(string(id)), maxAttachment>>20)
	case len(data) == 0:
		return say("Message %s has no recording.", code(string(id)))
	}
	ctype := audio.ContentType
	if ctype == "" {
		ctype = m.ContentType
	}
	name, ctype := audioFileName(m, ctype, data)
	return reply{
		content: fmt.Sprintf("Voicemail %s from %s, %s, %s (%s).", code(string(id)), party(m.Caller), timestamp(m.Time), duration(m.Duration), m.Folder),
		file:    &discordgo.File{Name: name, ContentType: ctype, Reader: bytes.NewReader(data)},
	}
}

// audioFileName names a recording "voicemail-1010-20260102-150405-<id>.wav",
// with the extension of its content type (sniffed when unknown).
func audioFileName(m *pbx.Message, ctype string, data []byte) (name, contentType string) {
	ext := ""
	switch strings.ToLower(strings.TrimSpace(strings.Split(ctype, ";")[0])) {
	case "audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave":
		ext = ".wav"
	case "audio/gsm", "audio/x-gsm":
		ext = ".gsm"
	case "audio/mpeg", "audio/mp3":
		ext = ".mp3"
	case "audio/ogg", "audio/opus":
		ext = ".ogg"
	}
	if ext == "" {
		if len(data) >= 12 && string(data[:4]) == "RIFF" && string(data[8:12]) == "WAVE" {
			ext, ctype = ".wav", "audio/wav"
		} else {
			ext, ctype = ".bin", "application/octet-stream"
		}
	}
	// The mailbox and ID are validated: digits, letters, '_' and '-' only.
	name = "voicemail-" + string(m.Mailbox.Extension())
	if !m.Time.IsZero() {
		name += "-" + m.Time.UTC().Format("20060102-150405")
	}
	return name + "-" + string(m.ID) + ext, ctype
}

func (b *Bot) completeMessages(ctx context.Context, r *request, _ string) []*discordgo.ApplicationCommandOptionChoice {
	msgs, err := b.pbx.Voicemail().Messages(ctx, pbx.MailboxID(r.ext), nil)
	if err != nil {
		return nil
	}
	prefix := r.str("message")
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, m := range msgs {
		if !strings.HasPrefix(string(m.ID), prefix) {
			continue
		}
		from := strings.TrimSpace(m.Caller.Name + " " + m.Caller.Number)
		out = append(out, choice(fmt.Sprintf("%s · %s · %s · %s", m.Folder, m.Time.UTC().Format("2006-01-02 15:04"), from, duration(m.Duration)), string(m.ID)))
	}
	return out
}

// /conference list | join <room>
func (b *Bot) conference(ctx context.Context, r *request) reply {
	confs := b.pbx.Conferences()
	if r.sub == "join" {
		room := pbx.ConferenceID(r.str("room"))
		if room.Validate() != nil {
			return say("%s is not a conference room name.", code(clean(string(room), 64)))
		}
		_, err := confs.Join(ctx, room, r.ext, nil)
		switch {
		case isCode(err, pbx.FailedPrecondition):
			return say("Your phone (extension %s) is not registered with the PBX, so it cannot be rung.", r.ext)
		case err != nil:
			return b.failure(r, "join conferences", err)
		}
		return say("Ringing your phone (extension %s): answer it to join conference **%s**.", r.ext, room)
	}
	rooms, err := confs.List(ctx)
	if err != nil {
		return b.failure(r, "list conferences", err)
	}
	if len(rooms) == 0 {
		return say("No conference room is active right now. `/conference join` starts one.")
	}
	items := make([]string, len(rooms))
	for i, c := range rooms {
		items[i] = fmt.Sprintf("• **%s**: %s, started %s", c.ID, plural(c.Parties, "participant", "participants"), timestamp(c.Started))
		if c.Locked {
			items[i] += ", locked"
		}
	}
	return reply{content: lines("Active conference rooms:", items)}
}

func (b *Bot) completeRooms(ctx context.Context, r *request, _ string) []*discordgo.ApplicationCommandOptionChoice {
	rooms, err := b.pbx.Conferences().List(ctx)
	if err != nil {
		return nil
	}
	prefix := r.str("room")
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, c := range rooms {
		if strings.HasPrefix(string(c.ID), prefix) {
			out = append(out, choice(fmt.Sprintf("%s · %s", c.ID, plural(c.Parties, "participant", "participants")), string(c.ID)))
		}
	}
	return out
}

// /link <token>
func (b *Bot) link(_ context.Context, r *request) reply {
	ext, err := b.links.Link(r.user, r.str("token"))
	switch {
	case errors.Is(err, errBadToken):
		return say("That is not a link token: a token looks like `123e4567-e89b-12d3-a456-426614174000`. %s", b.linkHint)
	case errors.Is(err, errUnknownToken):
		return say("That link token is unknown or has expired. %s", b.linkHint)
	case err != nil:
		b.log.Error("cannot save links", "err", err)
		return say("The bot could not save your link; the admin can find why in the bot's log.")
	}
	b.log.Info("user linked", "user", r.user, "ext", ext)
	return say("Linked: your Discord account now controls extension %s. Try `/calls` or `/voicemail`.", ext)
}

// /unlink
func (b *Bot) unlink(_ context.Context, r *request) reply {
	ext, ok, err := b.links.Unlink(r.user)
	switch {
	case err != nil:
		b.log.Error("cannot save links", "err", err)
		return say("The bot could not save the change; the admin can find why in the bot's log.")
	case !ok:
		return say("Your Discord account is not linked to an extension.")
	}
	b.log.Info("user unlinked", "user", r.user, "ext", ext)
	return say("Unlinked: your Discord account no longer controls extension %s.", ext)
}
