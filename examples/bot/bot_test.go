package main

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/pbxkit/pbxkit/mock"
	"github.com/pbxkit/pbxkit/pbx"
)

func TestRegisterCommands(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.bot.RegisterCommands(); err != nil {
		t.Fatal(err)
	}
	if e.dc.appID != "999999999999999999" || e.dc.guildID != "888888888888888888" {
		t.Errorf("registered for app %q guild %q", e.dc.appID, e.dc.guildID)
	}
	var names []string
	for _, c := range e.dc.commands {
		names = append(names, c.Name)
		if c.Description == "" || len(c.Description) > 100 {
			t.Errorf("/%s: description %q", c.Name, c.Description)
		}
	}
	if !slices.Equal(names, commandOrder) {
		t.Errorf("registered %v, want %v", names, commandOrder)
	}
}

func TestUnlinkedUser(t *testing.T) {
	e := newEnv(t, nil)
	before := len(callsOn(t, e.pbx, "1010"))
	for _, c := range []struct {
		name string
		opts []*discordgo.ApplicationCommandInteractionDataOption
	}{
		{"callme", nil},
		{"callme", []*discordgo.ApplicationCommandInteractionDataOption{opt("mode", "echo")}},
		{"dnd", []*discordgo.ApplicationCommandInteractionDataOption{opt("state", "on")}},
		{"calls", nil},
		{"hangup", nil},
		{"hangup", []*discordgo.ApplicationCommandInteractionDataOption{opt("call", "1700000000.101")}},
		{"voicemail", nil},
		{"voicemail", []*discordgo.ApplicationCommandInteractionDataOption{opt("message", "abc")}},
		{"conference", []*discordgo.ApplicationCommandInteractionDataOption{sub("list")}},
		{"conference", []*discordgo.ApplicationCommandInteractionDataOption{sub("join", opt("room", "400"))}},
	} {
		got := e.run(carol, c.name, c.opts...)
		if got.edit {
			t.Errorf("/%s: unlinked user's answer was deferred", c.name)
		}
		wantContains(t, got.content, "not linked", "/link token:", "Ask an admin.")
	}
	if after := len(callsOn(t, e.pbx, "1010")); after != before {
		t.Errorf("an unlinked user changed the PBX: %d calls on 1010, had %d", after, before)
	}
	if got := e.run(carol, "unlink"); !strings.Contains(got.content, "not linked") {
		t.Errorf("/unlink: %q", got.content)
	}
}

func TestCallMe(t *testing.T) {
	e := newEnv(t, nil)
	got := e.run(alice, "callme")
	wantContains(t, got.content, "Ringing your phone (extension 1010)", "music on hold", "/hangup")
	got = e.run(alice, "callme", opt("mode", "echo"))
	wantContains(t, got.content, "echo test")
	apps := map[string]int{}
	for _, c := range callsOn(t, e.pbx, "1010") {
		apps[c.Application]++
		if c.Application == "Echo" && !strings.Contains(got.content, string(c.ID)) {
			t.Errorf("answer %q does not name the call %s", got.content, c.ID)
		}
	}
	if apps["MusicOnHold"] != 2 || apps["Echo"] != 1 { // the demo has one call-me already
		t.Errorf("calls on 1010 by application: %v", apps)
	}
}

func TestDND(t *testing.T) {
	e := newEnv(t, nil)
	dnd := func() bool {
		c := e.pbx.Client()
		defer c.Close()
		on, err := c.Devices().DND(context.Background(), "1010")
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	wantContains(t, e.run(alice, "dnd").content, "Do-not-disturb is **off** for extension 1010")
	wantContains(t, e.run(alice, "dnd", opt("state", "on")).content, "now **on**")
	if !dnd() {
		t.Error("/dnd on left DND off")
	}
	wantContains(t, e.run(alice, "dnd").content, "**on**")
	wantContains(t, e.run(alice, "dnd", opt("state", "off")).content, "now **off**")
	if dnd() {
		t.Error("/dnd off left DND on")
	}
}

func TestCalls(t *testing.T) {
	e := newEnv(t, nil)
	wantContains(t, e.run(alice, "calls").content, "Your live calls on extension 1010", "`1700000000.101` up for", "in MusicOnHold")
	got := e.run(bob, "calls").content
	wantContains(t, got, "extension 1001", "`1700000000.201`", "ConfBridge")
	if strings.Contains(got, "1700000000.101") {
		t.Errorf("bob sees alice's call: %q", got)
	}
}

func TestHangupAll(t *testing.T) {
	e := newEnv(t, nil)
	e.run(alice, "callme")
	wantContains(t, e.run(alice, "hangup").content, "Hung up 2 calls on extension 1010")
	if n := len(callsOn(t, e.pbx, "1010")); n != 0 {
		t.Errorf("%d calls left on 1010", n)
	}
	if n := len(callsOn(t, e.pbx, "1001")); n != 1 {
		t.Errorf("/hangup touched another extension: %d calls on 1001", n)
	}
	wantContains(t, e.run(alice, "hangup").content, "no live calls")
	wantContains(t, e.run(alice, "calls").content, "no live calls")
}

func TestHangupOne(t *testing.T) {
	e := newEnv(t, nil)
	// Another user's call is refused, with the same words as no call at all.
	wantContains(t, e.run(alice, "hangup", opt("call", "1700000000.102")).content, "You have no live call `1700000000.102`")
	wantContains(t, e.run(alice, "hangup", opt("call", "1700000000.201")).content, "You have no live call")
	if n := len(callsOn(t, e.pbx, "1002")); n != 1 {
		t.Errorf("alice hung up 1002's call: %d calls left", n)
	}
	wantContains(t, e.run(alice, "hangup", opt("call", "42.42")).content, "You have no live call `42.42`")
	wantContains(t, e.run(alice, "hangup", opt("call", "x`; rm -rf /")).content, "is not a call ID")
	wantContains(t, e.run(alice, "hangup", opt("call", "1700000000.101")).content, "Hung up call `1700000000.101`")
	if n := len(callsOn(t, e.pbx, "1010")); n != 0 {
		t.Errorf("%d calls left on 1010", n)
	}
}

func TestVoicemailList(t *testing.T) {
	e := newEnv(t, nil)
	got := e.run(alice, "voicemail").content
	wantContains(t, got, "4 messages in your mailbox 1010", "Alice Johnson (1001)", "WIRELESS CALLER (+15557654321)", "<t:", "7s", "INBOX", "Work")
	if strings.Contains(got, "JOHN CALLER") {
		t.Errorf("alice sees 1001's voicemail: %q", got)
	}
	wantContains(t, e.run(alice, "voicemail", opt("folder", "Old")).content, "2 messages in your folder Old of mailbox 1010")
	wantContains(t, e.run(alice, "voicemail", opt("folder", "family")).content, "no messages in your folder Family")
	wantContains(t, e.run(alice, "voicemail", opt("folder", "Spam")).content, "`Spam` is not a voicemail folder")
	wantContains(t, e.run(bob, "voicemail").content, "3 messages in your mailbox 1001", "JOHN CALLER")
}

// messageIDs returns a mailbox's message IDs.
func messageIDs(t *testing.T, p *mock.PBX, box pbx.MailboxID) []pbx.Message {
	t.Helper()
	c := p.Client()
	defer c.Close()
	msgs, err := c.Voicemail().Messages(context.Background(), box, nil)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func TestVoicemailAudio(t *testing.T) {
	e := newEnv(t, nil)
	m := messageIDs(t, e.pbx, "1010")[0]
	got := e.run(alice, "voicemail", opt("message", string(m.ID)))
	wantContains(t, got.content, "Voicemail `"+string(m.ID)+"` from Alice Johnson (1001)", "7s", "INBOX")
	if len(got.files) != 1 {
		t.Fatalf("%d files attached", len(got.files))
	}
	f := got.files[0]
	wantName := "voicemail-1010-" + m.Time.UTC().Format("20060102-150405") + "-" + string(m.ID) + ".wav"
	if f.name != wantName || f.contentType != "audio/wav" {
		t.Errorf("attachment %q (%s), want %q (audio/wav)", f.name, f.contentType, wantName)
	}
	if len(f.data) < 44 || string(f.data[:4]) != "RIFF" || string(f.data[8:12]) != "WAVE" {
		t.Errorf("attachment is not a RIFF/WAVE file: % x", f.data[:min(16, len(f.data))])
	}
	if int64(len(f.data)) != m.Size {
		t.Errorf("attachment has %d bytes, message %d", len(f.data), m.Size)
	}
}

func TestVoicemailOtherMailboxRefused(t *testing.T) {
	e := newEnv(t, nil)
	for _, m := range messageIDs(t, e.pbx, "1001") {
		got := e.run(alice, "voicemail", opt("message", string(m.ID)))
		wantContains(t, got.content, "There is no message `"+string(m.ID)+"` in your mailbox")
		if len(got.files) != 0 {
			t.Errorf("alice got 1001's message %s", m.ID)
		}
	}
	m := messageIDs(t, e.pbx, "1010")[0]
	if got := e.run(bob, "voicemail", opt("message", string(m.ID))); len(got.files) != 0 || !strings.Contains(got.content, "no message") {
		t.Errorf("bob asked for alice's message: %+v", got)
	}
	for _, bad := range []string{"../1001/INBOX/msg0000", "a b", strings.Repeat("x", 80)} {
		wantContains(t, e.run(alice, "voicemail", opt("message", bad)).content, "is not a message ID")
	}
}

func TestConference(t *testing.T) {
	e := newEnv(t, nil)
	wantContains(t, e.run(alice, "conference", sub("list")).content, "Active conference rooms:", "**400**: 2 participants, started <t:")
	wantContains(t, e.run(alice, "conference", sub("join", opt("room", "400"))).content, "answer it to join conference **400**")
	var inRoom bool
	for _, c := range callsOn(t, e.pbx, "1010") {
		inRoom = inRoom || c.Application == "ConfBridge" && c.ApplicationData == "400"
	}
	if !inRoom {
		t.Error("1010 did not join room 400")
	}
	wantContains(t, e.run(alice, "conference", sub("list")).content, "**400**: 3 participants")
	wantContains(t, e.run(alice, "conference", sub("join", opt("room", "-rf"))).content, "is not a conference room name")

	empty := newEnv(t, nil)
	for _, id := range []pbx.CallID{"1700000000.200", "1700000000.201"} {
		c := empty.pbx.Client()
		if err := c.Calls().Hangup(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		c.Close()
	}
	wantContains(t, empty.run(alice, "conference", sub("list")).content, "No conference room is active")
}

func TestLinkAndUnlink(t *testing.T) {
	e := newEnv(t, nil)
	wantContains(t, e.run(carol, "link", opt("token", "hello")).content, "is not a link token", "Ask an admin.")
	wantContains(t, e.run(carol, "link", opt("token", "12345678-1234-4234-8234-123456789012")).content, "unknown or has expired")
	wantContains(t, e.run(carol, "link", opt("token", expToken)).content, "unknown or has expired")
	got := e.run(carol, "link", opt("token", " "+strings.ToUpper(aliceToken)+" "))
	wantContains(t, got.content, "unknown or has expired") // tokens are compared exactly, as pbxd does
	got = e.run(carol, "link", opt("token", aliceToken))
	wantContains(t, got.content, "Linked", "extension 1010")
	if got.edit {
		t.Error("/link was deferred; it needs no PBX")
	}
	wantContains(t, e.run(carol, "dnd").content, "extension 1010")

	// The file holds the link, keeps every other member as it was, and is private.
	data, err := os.ReadFile(e.links.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Discord map[string]string `json:"discord"`
		Tokens  []map[string]any  `json:"tokens"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	if file.Discord[carol] != "1010" || file.Discord[alice] != "1010" || file.Discord[bob] != "1001" {
		t.Errorf("discord links in the file: %v", file.Discord)
	}
	if len(file.Tokens) != 3 || file.Tokens[0]["label"] != "alice" || file.Tokens[0]["token"] != aliceToken {
		t.Errorf("tokens were not kept: %v", file.Tokens)
	}
	if fi, _ := os.Stat(e.links.store.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("link file mode %v", fi.Mode().Perm())
	}
	reread, err := OpenLinks(e.links.store.Path(), false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ext, ok := reread.Extension(carol); !ok || ext != "1010" {
		t.Errorf("after reload carol is linked to %q, %v", ext, ok)
	}

	wantContains(t, e.run(carol, "unlink").content, "Unlinked", "extension 1010")
	wantContains(t, e.run(carol, "calls").content, "not linked")
	if ext, ok := reread.Extension(carol); ok {
		t.Errorf("after /unlink the file still links carol to %s", ext)
	}
}

func TestLinkFileHandEdit(t *testing.T) {
	e := newEnv(t, nil)
	wantContains(t, e.run(carol, "calls").content, "not linked")
	edited := `{"discord": {"` + carol + `": "1001", "` + alice + `": "1010"}, "tokens": []}`
	time.Sleep(10 * time.Millisecond) // a new modification time
	if err := os.WriteFile(e.links.store.Path(), []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	wantContains(t, e.run(carol, "calls").content, "extension 1001")
	if got := e.run(bob, "calls").content; !strings.Contains(got, "not linked") {
		t.Errorf("bob is still linked after the admin removed him: %q", got)
	}
	// A broken edit keeps the links read before.
	time.Sleep(10 * time.Millisecond)
	if err := os.WriteFile(e.links.store.Path(), []byte(`{"discord": {`), 0o600); err != nil {
		t.Fatal(err)
	}
	wantContains(t, e.run(carol, "calls").content, "extension 1001")
	if !strings.Contains(e.log.String(), "token file unreadable") {
		t.Error("a broken link file was not logged")
	}
}

func TestErrorUnknownExtension(t *testing.T) {
	path := writeLinks(t)
	if err := os.WriteFile(path, []byte(`{"discord": {"`+carol+`": "4242"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, &envOptions{links: path})
	wantContains(t, e.run(carol, "callme").content, "The PBX does not know extension 4242")
	wantContains(t, e.run(carol, "dnd", opt("state", "on")).content, "does not know extension 4242")
	wantContains(t, e.run(carol, "voicemail").content, "Extension 4242 has no voicemail box")
}

func TestErrorUnavailable(t *testing.T) {
	e := newEnv(t, nil)
	down := pbx.Errorf(pbx.Unavailable, "dial tcp 192.0.2.1:5038: connection refused (secret=hunter2)")
	for _, c := range []struct {
		op   string
		n    int // reads are tried three times
		name string
		opts []*discordgo.ApplicationCommandInteractionDataOption
	}{
		{"Calls.Originate", 1, "callme", nil},
		{"Devices.SetDND", 1, "dnd", []*discordgo.ApplicationCommandInteractionDataOption{opt("state", "on")}},
		{"Calls.List", 3, "calls", nil},
		{"Calls.List", 3, "hangup", nil},
		{"Calls.Hangup", 1, "hangup", []*discordgo.ApplicationCommandInteractionDataOption{opt("call", "1700000000.101")}},
		{"Voicemail.Messages", 3, "voicemail", nil},
		{"Voicemail.Audio", 3, "voicemail", []*discordgo.ApplicationCommandInteractionDataOption{opt("message", string(messageIDs(t, e.pbx, "1010")[0].ID))}},
		{"Conferences.List", 3, "conference", []*discordgo.ApplicationCommandInteractionDataOption{sub("list")}},
		{"Calls.Originate", 1, "conference", []*discordgo.ApplicationCommandInteractionDataOption{sub("join", opt("room", "400"))}},
	} {
		for range c.n {
			e.pbx.FailNext(c.op, down)
		}
		got := e.run(alice, c.name, c.opts...)
		wantContains(t, got.content, "The PBX is unreachable right now; try again")
		if strings.Contains(got.content, "hunter2") || strings.Contains(got.content, "192.0.2.1") {
			t.Errorf("/%s shows the error's text: %q", c.name, got.content)
		}
		if len(got.files) > 0 {
			t.Errorf("/%s attached a file", c.name)
		}
	}
	if !strings.Contains(e.log.String(), "connection refused") {
		t.Error("the admin's log does not have the error")
	}
}

func TestErrorUnsupported(t *testing.T) {
	e := newEnv(t, &envOptions{mock: &mock.Options{Disable: []pbx.Capability{
		pbx.CapOriginate, pbx.CapDND, pbx.CapCallsRead, pbx.CapHangup, pbx.CapVoicemail, pbx.CapConferences,
	}}})
	for _, c := range []struct {
		name, want string
		opts       []*discordgo.ApplicationCommandInteractionDataOption
	}{
		{"callme", "This PBX cannot place calls.", nil},
		{"dnd", "This PBX cannot read do-not-disturb.", nil},
		{"dnd", "This PBX cannot switch do-not-disturb.", []*discordgo.ApplicationCommandInteractionDataOption{opt("state", "off")}},
		{"calls", "This PBX cannot list calls.", nil},
		{"hangup", "This PBX cannot hang up calls.", nil},
		{"hangup", "This PBX cannot look up calls.", []*discordgo.ApplicationCommandInteractionDataOption{opt("call", "1700000000.101")}},
		{"voicemail", "This PBX cannot read voicemail.", nil},
		{"voicemail", "This PBX cannot read voicemail.", []*discordgo.ApplicationCommandInteractionDataOption{opt("message", "abc")}},
		{"conference", "This PBX cannot list conferences.", []*discordgo.ApplicationCommandInteractionDataOption{sub("list")}},
		{"conference", "This PBX cannot join conferences.", []*discordgo.ApplicationCommandInteractionDataOption{sub("join", opt("room", "400"))}},
	} {
		if got := e.run(alice, c.name, c.opts...).content; got != c.want {
			t.Errorf("/%s: %q, want %q", c.name, got, c.want)
		}
	}
}

func TestErrorOthers(t *testing.T) {
	e := newEnv(t, nil)
	if err := e.pbx.Unregister("1010"); err != nil {
		t.Fatal(err)
	}
	wantContains(t, e.run(alice, "callme").content, "Your phone (extension 1010) is not registered")
	wantContains(t, e.run(alice, "conference", sub("join", opt("room", "400"))).content, "is not registered")

	e.pbx.FailNext("Devices.SetDND", pbx.Errorf(pbx.PermissionDenied, "AMI user lacks write=system"))
	wantContains(t, e.run(alice, "dnd", opt("state", "on")).content, "The bot is not allowed to switch do-not-disturb on this PBX")

	e.pbx.FailNext("Devices.SetDND", pbx.Errorf(pbx.ResourceExhausted, "full"))
	wantContains(t, e.run(alice, "dnd", opt("state", "on")).content, "too busy")

	e.pbx.FailNext("Devices.SetDND", pbx.Errorf(pbx.Internal, "astdb put failed: password=hunter2"))
	got := e.run(alice, "dnd", opt("state", "on")).content
	wantContains(t, got, "Something went wrong talking to the PBX")
	if strings.Contains(got, "hunter2") || strings.Contains(got, "astdb") {
		t.Errorf("answer shows the error: %q", got)
	}

	e.pbx.FailNext("Calls.Get", pbx.Errorf(pbx.Internal, "boom"))
	wantContains(t, e.run(bob, "hangup", opt("call", "1700000000.201")).content, "Something went wrong")
}

func TestErrorTimeout(t *testing.T) {
	e := newEnv(t, &envOptions{mock: &mock.Options{Latency: time.Second}})
	e.bot.timeout = 20 * time.Millisecond
	wantContains(t, e.run(alice, "callme").content, "The PBX took too long to answer")
	wantContains(t, e.run(alice, "voicemail").content, "took too long")
}

func TestPanicRecovered(t *testing.T) {
	e := newEnv(t, nil)
	e.bot.commands["boom"] = &command{def: &discordgo.ApplicationCommand{Name: "boom"}, linked: true,
		run: func(context.Context, *request) reply { panic("nil map somewhere") }}
	got := e.run(alice, "boom")
	wantContains(t, got.content, "Something went wrong in the bot")
	if !strings.Contains(e.log.String(), "command panicked") {
		t.Error("the panic was not logged")
	}
	wantContains(t, e.run(alice, "nope").content, "does not know that command")
}

func TestDirectMessage(t *testing.T) {
	e := newEnv(t, nil)
	i := e.interaction(discordgo.InteractionApplicationCommand, alice, "calls")
	i.Member, i.User, i.GuildID = nil, &discordgo.User{ID: alice}, ""
	e.bot.HandleInteraction(i)
	a := e.dc.answers(i.ID)
	if len(a) != 2 || !strings.Contains(a[1].content, "1700000000.101") {
		t.Errorf("direct message answers: %+v", a)
	}
}

func TestDiscordFailureLogsNoToken(t *testing.T) {
	e := newEnv(t, nil)
	e.dc.failEdit = &netError{`Patch "https://discord.com/api/v9/webhooks/999999999999999999/SECRET-INTERACTION-TOKEN/messages/@original": context deadline exceeded`}
	i := e.interaction(discordgo.InteractionApplicationCommand, alice, "calls")
	e.bot.HandleInteraction(i)
	e.dc.failEdit = nil
	e.dc.failRespond = &netError{`Post "https://discord.com/api/v9/interactions/1/SECRET-INTERACTION-TOKEN/callback": EOF`}
	e.bot.HandleInteraction(e.interaction(discordgo.InteractionApplicationCommand, carol, "calls"))
	e.bot.HandleInteraction(e.interaction(discordgo.InteractionApplicationCommand, alice, "calls"))
	log := e.log.String()
	if strings.Contains(log, "SECRET-INTERACTION-TOKEN") {
		t.Errorf("the log holds an interaction token:\n%s", log)
	}
	if strings.Count(log, "[REDACTED]") != 3 {
		t.Errorf("want three redacted failures in the log:\n%s", log)
	}
}

type netError struct{ s string }

func (e *netError) Error() string { return e.s }

func TestAutocomplete(t *testing.T) {
	e := newEnv(t, nil)
	values := func(cs []*discordgo.ApplicationCommandOptionChoice) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Value.(string))
			if len(c.Name) == 0 || len([]rune(c.Name)) > 100 {
				t.Errorf("choice name %q", c.Name)
			}
		}
		return out
	}
	if got := values(e.complete(alice, "hangup", "call", opt("call", ""))); !slices.Equal(got, []string{"1700000000.101"}) {
		t.Errorf("/hangup call: %v", got)
	}
	if got := values(e.complete(alice, "hangup", "call", opt("call", "99"))); len(got) != 0 {
		t.Errorf("/hangup call 99: %v", got)
	}
	var want []string
	for _, m := range messageIDs(t, e.pbx, "1010") {
		want = append(want, string(m.ID))
	}
	if got := values(e.complete(alice, "voicemail", "message", opt("message", ""))); !slices.Equal(got, want) {
		t.Errorf("/voicemail message: %v, want %v", got, want)
	}
	if got := values(e.complete(alice, "conference", "room", sub("join", opt("room", "4")))); !slices.Equal(got, []string{"400"}) {
		t.Errorf("/conference join room: %v", got)
	}
	if got := e.complete(carol, "hangup", "call", opt("call", "")); len(got) != 0 {
		t.Errorf("an unlinked user got suggestions: %v", values(got))
	}
	e.pbx.FailNext("Calls.List", pbx.Errorf(pbx.Unsupported, "no"))
	if got := e.complete(alice, "hangup", "call", opt("call", "")); len(got) != 0 {
		t.Errorf("suggestions despite an error: %v", values(got))
	}
}

func TestConcurrentCommands(t *testing.T) {
	e := newEnv(t, nil)
	var interactions []*discordgo.Interaction
	for range 10 {
		interactions = append(interactions,
			e.interaction(discordgo.InteractionApplicationCommand, alice, "calls"),
			e.interaction(discordgo.InteractionApplicationCommand, bob, "voicemail"),
			e.interaction(discordgo.InteractionApplicationCommand, alice, "dnd", opt("state", "on")),
			e.interaction(discordgo.InteractionApplicationCommand, carol, "link", opt("token", bobToken)))
	}
	var wg sync.WaitGroup
	for _, i := range interactions {
		wg.Go(func() { e.bot.HandleInteraction(i) })
	}
	wg.Wait()
	for _, i := range interactions {
		if a := e.dc.answers(i.ID); len(a) == 0 {
			t.Errorf("%s: no answer", i.ID)
		}
	}
}

func TestCloseWaitsAndRefuses(t *testing.T) {
	e := newEnv(t, &envOptions{mock: &mock.Options{Latency: 100 * time.Millisecond}})
	i := e.interaction(discordgo.InteractionApplicationCommand, alice, "calls")
	done := make(chan struct{})
	go func() {
		e.bot.HandleInteraction(i)
		close(done)
	}()
	for len(e.dc.answers(i.ID)) == 0 { // acknowledged: the command is running
		time.Sleep(time.Millisecond)
	}
	e.bot.Close()
	if a := e.dc.answers(i.ID); len(a) != 2 {
		t.Errorf("Close returned before the command in flight was answered: %d answers", len(a))
	}
	<-done
	late := e.interaction(discordgo.InteractionApplicationCommand, alice, "calls")
	e.bot.HandleInteraction(late)
	if a := e.dc.answers(late.ID); len(a) != 0 {
		t.Errorf("a closed bot answered: %+v", a)
	}
}

// TestInteractionFromJSON feeds the bot an interaction as Discord's gateway
// sends it, decoded by discordgo, rather than one built in Go.
func TestInteractionFromJSON(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct{ raw, want string }{
		{`{"id":"42","application_id":"999999999999999999","type":2,"token":"tok","guild_id":"888888888888888888",
		  "channel_id":"1","member":{"user":{"id":"` + alice + `","username":"alice"}},
		  "data":{"id":"5","name":"conference","type":1,"options":[{"name":"join","type":1,
		    "options":[{"name":"room","type":3,"value":"400"}]}]}}`, "answer it to join conference **400**"},
		{`{"id":"43","application_id":"999999999999999999","type":2,"token":"tok",
		  "channel_id":"2","user":{"id":"` + alice + `","username":"alice"},
		  "data":{"id":"6","name":"dnd","type":1,"options":[{"name":"state","type":3,"value":"on"}]}}`, "Do-not-disturb is now **on**"},
	} {
		var i discordgo.Interaction
		if err := json.Unmarshal([]byte(c.raw), &i); err != nil {
			t.Fatal(err)
		}
		e.bot.HandleInteraction(&i)
		a := e.dc.answers(i.ID)
		if len(a) != 2 || !strings.Contains(a[1].content, c.want) {
			t.Errorf("answers to %s: %+v, want %q", i.ID, a, c.want)
		}
	}
}
