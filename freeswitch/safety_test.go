package freeswitch_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pbxkit/pbxkit/esl/esltest"
	"github.com/pbxkit/pbxkit/pbx"
)

// TestInjectionNeverReachesTheSwitch tries values that would add lines,
// split arguments, add channel variables, expand variables or reach a
// shell. Each is refused before anything is written, and the switch's log
// of what it received shows that none of it arrived.
func TestInjectionNeverReachesTheSwitch(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	c := env.client(t)
	calls, devs, exts, queues, rooms := c.Calls(), c.Devices(), c.Extensions(), c.Queues(), c.Conferences()
	for _, tc := range []struct {
		name   string
		marker string // must never reach the switch
		do     func() error
	}{
		{"CRLF in a caller name", "EVIL1", func() error {
			_, err := calls.Originate(ctx, pbx.OriginateRequest{From: "1000", Mode: pbx.ModeEchoTest, CallerID: pbx.Party{Name: "x\r\n\r\napi EVIL1"}})
			return err
		}},
		{"braces in a caller name", "EVIL2", func() error {
			_, err := calls.Originate(ctx, pbx.OriginateRequest{From: "1000", Mode: pbx.ModeEchoTest, CallerID: pbx.Party{Name: "x}EVIL2{y"}})
			return err
		}},
		{"quote in a caller name", "EVIL3", func() error {
			_, err := calls.Originate(ctx, pbx.OriginateRequest{From: "1000", Mode: pbx.ModeEchoTest, CallerID: pbx.Party{Name: "x' EVIL3 '"}})
			return err
		}},
		{"hook variable", "api_hangup_hook", func() error {
			_, err := calls.Originate(ctx, pbx.OriginateRequest{From: "1000", Mode: pbx.ModeEchoTest, Variables: map[string]string{"api_hangup_hook": "system touch /tmp/x"}})
			return err
		}},
		{"expansion in a variable", "EVIL4", func() error {
			_, err := calls.Originate(ctx, pbx.OriginateRequest{From: "1000", Mode: pbx.ModeEchoTest, Variables: map[string]string{"X": "${system(EVIL4)}"}})
			return err
		}},
		{"bracket in a variable", "EVIL5", func() error {
			_, err := calls.Originate(ctx, pbx.OriginateRequest{From: "1000", Mode: pbx.ModeEchoTest, Variables: map[string]string{"X": "a]EVIL5["}})
			return err
		}},
		{"space in a call ID", "EVIL6", func() error { return calls.Hangup(ctx, "a EVIL6") }},
		{"space in a transfer target", "EVIL7", func() error { return calls.Transfer(ctx, "some-call", "1001 EVIL7", "") }},
		{"separator in an endpoint", "EVIL8", func() error {
			_, err := calls.Originate(ctx, pbx.OriginateRequest{FromEndpoint: "user/1000,EVIL8", Mode: pbx.ModeEchoTest})
			return err
		}},
		{"space in a queue member", "EVIL9", func() error {
			return queues.AddMember(ctx, "support", pbx.QueueMember{Interface: "user/1004 EVIL9"})
		}},
		{"member list instead of an ID", "all;EVIL10", func() error { return rooms.Kick(ctx, "pbxtest", "all;EVIL10") }},
		{"slash in a DND extension", "EVIL11", func() error { return devs.SetDND(ctx, "1000/EVIL11", true) }},
		{"preprocessor variable in a name", "default_password", func() error {
			_, _, err := exts.Create(ctx, pbx.Extension{ID: "1077", Name: "$${default_password}"})
			return err
		}},
		{"channel variable in a secret", "EVIL12", func() error {
			_, _, err := exts.Create(ctx, pbx.Extension{ID: "1077", Name: "x", Secret: "${EVIL12}"})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do()
			if code := pbx.Code(err); code != pbx.InvalidArgument && code != pbx.NotFound {
				t.Fatalf("got %v (code %s), want it refused", err, code)
			}
			if got := env.srv.ReceivedMatching(tc.marker); len(got) > 0 {
				t.Fatalf("%q reached the switch: %q", tc.marker, got)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(env.opts.Directory, "1077.xml")); !os.IsNotExist(err) {
		t.Errorf("a refused extension left a file: %v", err)
	}
	for _, cmd := range env.srv.Received() {
		for _, bad := range []string{"api system", "bgapi system", "bg_system", "api expand", "sched_api"} {
			if strings.Contains(cmd, bad) {
				t.Errorf("the switch received %q", cmd)
			}
		}
	}
}

// TestOriginateEscapes: commas, spaces, parentheses and accents in a
// caller ID and in variables reach the channel exactly, escaped for
// FreeSWITCH's parser, and cannot add variables of their own.
func TestOriginateEscapes(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	c := env.client(t)
	id := pbx.NewCallID()
	name := "Doe, John (Ré),origination_uuid=evil"
	_, err := c.Calls().Originate(ctx, pbx.OriginateRequest{ID: id, From: "1000", Mode: pbx.ModePark,
		CallerID: pbx.Party{Name: name, Number: "+15550100"}, AccountCode: "sales-1",
		Variables: map[string]string{"ticket": "a,b=c d"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Calls().Hangup(ctx, id)
	chans := env.srv.Channels()
	i := slices.IndexFunc(chans, func(ch esltest.ChannelInfo) bool { return ch.UUID == string(id) })
	if i < 0 {
		t.Fatalf("no channel %s among %+v", id, chans)
	}
	ch := chans[i]
	if ch.CIDName != name || ch.CIDNumber != "+15550100" || ch.Variables["ticket"] != "a,b=c d" || ch.Variables["accountcode"] != "sales-1" {
		t.Fatalf("channel %+v", ch)
	}
	if _, injected := ch.Variables["b"]; injected || slices.ContainsFunc(chans, func(ch esltest.ChannelInfo) bool { return ch.UUID == "evil" }) {
		t.Fatal("a value added a variable of its own")
	}
	sent := env.srv.ReceivedMatching("origination_uuid=" + string(id))
	if len(sent) != 1 || !strings.Contains(sent[0], `origination_caller_id_name='Doe\, John (Ré)\,origination_uuid=evil'`) {
		t.Fatalf("originate sent as %q", sent)
	}
}
