package esltest

import (
	"regexp"
	"strings"
	"testing"
)

// TestConferenceReplies checks the conference API's replies byte for byte
// against mod_conference's (conference_api.c, mod_conference.c): the
// "+OK"/"-ERR" texts, the syntax line written without a newline, the
// dispatcher's answers, atoi's reading of member IDs, the list order
// (newest member first) and json_list as cJSON_Print formats it.
func TestConferenceReplies(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "plain CUSTOM conference::maintenance")
	ann := s.JoinConference("r1", "Ann", "5551000")
	room := c.until("conference-create")["Conference-Unique-ID"]
	bob := s.JoinConference("r1", "Bob", "5551001")

	// The callers' addresses come from a counter the whole server shares.
	ip := regexp.MustCompile(`@203\.0\.113\.\d+`)
	for _, tc := range []struct{ cmd, want string }{
		{"conference r1", "Conference command, not specified.\nTry 'help'\n"},
		{"conference r1 frobnicate", "-ERR Conference command 'frobnicate' not found.\n"},
		{"conference nope kick 1", "-ERR Conference nope not found\n"},
		{"conference r1 kick", "kick <[member_id|all|last|non_moderator]> [<optional sound file>]"},
		{"conference r1 mute bogus", "mute <[member_id|all]|last|non_moderator> [<quiet>]"},
		{"conference r1 mute 7", "-ERR Non-Existant ID 7\n"},
		{"conference r1 mute -1", "-ERR Non-Existant ID 4294967295\n"},
		{"conference r1 mute 2x", "+OK mute 2\n"},
		{"conference r1 unmute 2", "+OK unmute 2\n"},
		{"conference r1 mute all", "+OK mute 2\n+OK mute 1\n"},
		{"conference r1 unmute last", "+OK unmute 2\n"},
		{"uuid_setvar " + ann + " pin 42", "+OK\n"},
		{"conference r1 unmute pin=42", "+OK unmute 1\n"},
		{"conference r1 unmute pin=43", "-ERR Non-Existant member\n"},
		{"conference r1 deaf 1", "+OK deaf 1\n"},
		{"conference r1 undeaf 1", "+OK undeaf 1\n"},
		{"conference r1 tmute 2", "+OK mute 2\n"},
		{"conference r1 lock", "+OK r1 locked\n"},
		{"conference r1 unlock", "+OK r1 unlocked\n"},
		{"conference r1 count", "2"},
		{"conference r1 list count", "2"},
		{"conference count", "1"},
		{"conference r1 list", "2;sofia/external/5551001@IP;" + bob + ";Bob;5551001;hear;0;0;100\n" +
			"1;sofia/external/5551000@IP;" + ann + ";Ann;5551000;hear|speak|floor;0;0;100\n"},
		{"conference list delim |", "+OK Conference r1 (2 members rate: 8000 flags: running|answered|dynamic|exit_sound|enter_sound)\n" +
			"2|sofia/external/5551001@IP|" + bob + "|Bob|5551001|hear|0|0|100\n" +
			"1|sofia/external/5551000@IP|" + ann + "|Ann|5551000|hear|speak|floor|0|0|100\n"},
		{"conference list summary", "+OK Conference r1 (2 members rate: 8000 flags: running|answered|dynamic|exit_sound|enter_sound)\n"},
	} {
		if got := ip.ReplaceAllString(c.api(tc.cmd), "@IP"); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.cmd, got, tc.want)
		}
	}

	member := func(id, uuid, name, num string, speak, floor bool) string {
		return "{\n" +
			"\t\t\t\t\"type\":\t\"caller\",\n" +
			"\t\t\t\t\"id\":\t" + id + ",\n" +
			"\t\t\t\t\"flags\":\t{\n" +
			"\t\t\t\t\t\"can_hear\":\ttrue,\n" +
			"\t\t\t\t\t\"can_see\":\ttrue,\n" +
			"\t\t\t\t\t\"can_speak\":\t" + map[bool]string{true: "true", false: "false"}[speak] + ",\n" +
			"\t\t\t\t\t\"hold\":\tfalse,\n" +
			"\t\t\t\t\t\"mute_detect\":\tfalse,\n" +
			"\t\t\t\t\t\"talking\":\tfalse,\n" +
			"\t\t\t\t\t\"has_video\":\tfalse,\n" +
			"\t\t\t\t\t\"video_bridge\":\tfalse,\n" +
			"\t\t\t\t\t\"has_floor\":\t" + map[bool]string{true: "true", false: "false"}[floor] + ",\n" +
			"\t\t\t\t\t\"is_moderator\":\tfalse,\n" +
			"\t\t\t\t\t\"end_conference\":\tfalse\n" +
			"\t\t\t\t},\n" +
			"\t\t\t\t\"uuid\":\t\"" + uuid + "\",\n" +
			"\t\t\t\t\"caller_id_name\":\t\"" + name + "\",\n" +
			"\t\t\t\t\"caller_id_number\":\t\"" + num + "\",\n" +
			"\t\t\t\t\"join_time\":\t0,\n" +
			"\t\t\t\t\"last_talking\":\t0,\n" +
			"\t\t\t\t\"energy\":\t100,\n" +
			"\t\t\t\t\"volume_in\":\t0,\n" +
			"\t\t\t\t\"volume_out\":\t0,\n" +
			"\t\t\t\t\"output-volume\":\t0,\n" +
			"\t\t\t\t\"input-volume\":\t0\n" +
			"\t\t\t}"
	}
	want := "[{\n" +
		"\t\t\"conference_name\":\t\"r1\",\n" +
		"\t\t\"member_count\":\t2,\n" +
		"\t\t\"ghost_count\":\t0,\n" +
		"\t\t\"rate\":\t8000,\n" +
		"\t\t\"run_time\":\t0,\n" +
		"\t\t\"conference_uuid\":\t\"" + room + "\",\n" +
		"\t\t\"canvas_count\":\t0,\n" +
		"\t\t\"max_bw_in\":\t0,\n" +
		"\t\t\"force_bw_in\":\t0,\n" +
		"\t\t\"video_floor_packets\":\t0,\n" +
		"\t\t\"locked\":\tfalse,\n" +
		"\t\t\"destruct\":\tfalse,\n" +
		"\t\t\"wait_mod\":\tfalse,\n" +
		"\t\t\"audio_always\":\tfalse,\n" +
		"\t\t\"running\":\ttrue,\n" +
		"\t\t\"answered\":\ttrue,\n" +
		"\t\t\"enforce_min\":\tfalse,\n" +
		"\t\t\"bridge_to\":\tfalse,\n" +
		"\t\t\"dynamic\":\ttrue,\n" +
		"\t\t\"exit_sound\":\ttrue,\n" +
		"\t\t\"enter_sound\":\ttrue,\n" +
		"\t\t\"recording\":\tfalse,\n" +
		"\t\t\"video_bridge\":\tfalse,\n" +
		"\t\t\"video_floor_only\":\tfalse,\n" +
		"\t\t\"video_rfc4579\":\tfalse,\n" +
		"\t\t\"variables\":\t{\n" +
		"\t\t},\n" +
		"\t\t\"members\":\t[" + member("2", bob, "Bob", "5551001", false, false) + ", " +
		member("1", ann, "Ann", "5551000", true, true) + "]\n" +
		"\t}]"
	// The seconds since the room started and the members joined are
	// whatever they are when the command runs.
	elapsed := regexp.MustCompile(`("(?:run|join)_time":\s*)\d+`)
	for _, cmd := range []string{"conference r1 json_list", "conference json_list"} {
		if got := elapsed.ReplaceAllString(c.api(cmd), "${1}0"); got != want {
			t.Errorf("%s =\n%s\nwant\n%s", cmd, got, want)
		}
	}
	compact := strings.NewReplacer("\n", "", "\t", "", ", ", ",").Replace(want)
	for _, cmd := range []string{"conference r1 json_list compact", "conference json_list compact"} {
		if got := elapsed.ReplaceAllString(c.api(cmd), "${1}0"); got != compact {
			t.Errorf("%s = %s, want %s", cmd, got, compact)
		}
	}

	// non_moderator skips the moderators, saying so.
	if err := s.Register("1003", Registration{}); err != nil {
		t.Fatal(err)
	}
	if got := c.api("originate {conference_moderator=true,origination_uuid=chair}user/1003 &conference(r2)"); got != "+OK chair\n" {
		t.Fatalf("originate the chair: %q", got)
	}
	c.until("add-member")
	s.JoinConference("r2", "Cat", "5551002")
	// Member IDs come from one pool across rooms: r1 took 1 and 2.
	if got, want := c.api("conference r2 deaf non_moderator"), "+OK deaf 4\nSkipping moderator (member id 3).\n"; got != want {
		t.Errorf("deaf non_moderator = %q, want %q", got, want)
	}
	if got := c.api("conference r2 list"); !strings.HasSuffix(got, ";chair;FreeSWITCH;0000000000;hear|speak|floor|moderator;0;0;100\n") {
		t.Errorf("the chair's line: %q", got)
	}

	// Kicking everyone ends the rooms.
	for _, tc := range []struct{ cmd, want string }{
		{"conference r1 kick all", "+OK kicked 2\n+OK kicked 1\n"},
		{"conference r2 hup all", "+OK hup 4\n+OK hup 3\n"},
		{"conference r1 kick last", "-ERR Conference r1 not found\n"},
		{"conference list", "+OK No active conferences.\n"},
		{"conference json_list", "[]"},
		{"conference count", "0"},
		{"conference list json_list", "+OK No active conferences.\n"},
	} {
		if got := c.api(tc.cmd); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
