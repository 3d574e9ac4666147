package freeswitch_test

import (
	"context"
	"testing"

	"github.com/pbxkit/pbxkit/pbx"
)

// TestConferenceReplies reads mod_conference's 1.10 replies: "+OK ..." for
// a member or room command that worked, "-ERR Non-Existant ID <id>" for a
// member that is not in the room, "-ERR Conference <room> not found" for
// an inactive room, and, for an inactive room named like a command that
// needs no room ("list", "count", "json_list"), that command's answer.
func TestConferenceReplies(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	rooms := env.client(t).Conferences()
	uuid := env.srv.JoinConference("sales", "Ann", "5551000")
	env.srv.JoinConference("sales", "Bob", "5551001")

	parts, err := rooms.Participants(ctx, "sales")
	if err != nil || len(parts) != 2 || parts[1].CallID != pbx.CallID(uuid) || parts[1].ID != "1" || parts[0].ID != "2" {
		t.Fatalf("Participants = %+v, %v", parts, err)
	}
	if err := rooms.Mute(ctx, "sales", "2", true); err != nil {
		t.Errorf("Mute: %v", err)
	}
	if err := rooms.Mute(ctx, "sales", "2", false); err != nil {
		t.Errorf("Unmute: %v", err)
	}
	if err := rooms.Lock(ctx, "sales", true); err != nil {
		t.Errorf("Lock: %v", err)
	}
	if err := rooms.Lock(ctx, "sales", false); err != nil {
		t.Errorf("Unlock: %v", err)
	}
	if err := rooms.Kick(ctx, "sales", "7"); pbx.Code(err) != pbx.NotFound {
		t.Errorf("Kick of a member not in the room: %v, want NotFound", err)
	}
	if err := rooms.Kick(ctx, "nope", "1"); pbx.Code(err) != pbx.NotFound {
		t.Errorf("Kick in an inactive room: %v, want NotFound", err)
	}
	for _, room := range []pbx.ConferenceID{"nope", "list", "count", "json_list"} {
		if _, err := rooms.Participants(ctx, room); pbx.Code(err) != pbx.NotFound {
			t.Errorf("Participants of the inactive room %s: %v, want NotFound", room, err)
		}
	}
	if err := rooms.Kick(ctx, "sales", "1"); err != nil {
		t.Errorf("Kick: %v", err)
	}
}
