package esltest

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wireEvent is an event's headers in wire order, decoded.
type wireEvent [][2]string

// next reads the next event and returns its headers in wire order.
func (c *client) next() wireEvent {
	c.t.Helper()
	m := c.read()
	plainEvent(c.t, m) // checks the framing
	head, _, _ := strings.Cut(m.body, "\n\n")
	var ev wireEvent
	for _, l := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(l, ": ")
		d, err := urlDecode(v)
		if err != nil {
			c.t.Fatalf("header %q: %v", l, err)
		}
		ev = append(ev, [2]string{k, d})
	}
	return ev
}

// get returns the first value of name.
func (ev wireEvent) get(name string) string {
	for _, h := range ev {
		if h[0] == name {
			return h[1]
		}
	}
	return ""
}

// names returns the header names after the standard ones (from the one
// after Event-Sequence), in order, without Content-Length.
func (ev wireEvent) names() []string {
	var out []string
	seen := false
	for _, h := range ev {
		switch {
		case h[0] == "Event-Sequence":
			seen = true
		case seen && h[0] != "Content-Length":
			out = append(out, h[0])
		}
	}
	return out
}

// only keeps the names in keep, in order.
func only(names []string, keep ...string) []string {
	return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return !slices.Contains(keep, n) })
}

// confNames are conference_event_add_data's headers.
var confNames = []string{"Conference-Name", "Conference-Domain", "Conference-Size", "Conference-Ghosts", "Conference-Profile-Name", "Conference-Unique-ID"}

// memberNames are conference_member_add_event_data's headers but the
// conference's and the channel's.
var memberNames = []string{"Floor", "Video", "Hear", "See", "Speak", "Talking", "Mute-Detect", "Hold", "Member-ID", "Member-Type", "Member-Ghost", "Energy-Level", "Current-Energy"}

// TestConferenceEventHeaders checks conference::maintenance against
// mod_conference (conference_event.c, conference_member.c,
// conference_api.c, mod_conference.c): the conference data, the member
// data with the channel's basic data (no variables) between Floor and
// Video, the floor changes and the order of the events.
func TestConferenceEventHeaders(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "plain CHANNEL_HANGUP CUSTOM conference::maintenance")
	ann := s.JoinConference("r1", "Ann", "5551000")

	ev := c.next()
	if got, want := ev.names(), append(slices.Clone(confNames), "Action"); !slices.Equal(got, want) || ev.get("Action") != "conference-create" ||
		ev.get("Conference-Size") != "0" || ev.get("Conference-Domain") != "10.0.0.5" || ev.get("Event-Calling-Function") != "conference_new" {
		t.Errorf("conference-create: %v", ev)
	}
	member := append(append(slices.Clone(confNames), memberNames...), "Action")
	ev = c.next()
	names := ev.names()
	if got := only(names, member...); !slices.Equal(got, member) || ev.get("Action") != "add-member" || ev.get("Floor") != "false" ||
		ev.get("Member-ID") != "1" || ev.get("Conference-Size") != "1" || ev.get("Unique-ID") != ann || ev.get("Caller-Caller-ID-Name") != "Ann" {
		t.Errorf("add-member: %v", ev)
	}
	if i, j := slices.Index(names, "Floor"), slices.Index(names, "Channel-State"); j != i+1 || slices.Index(names, "Video") < j {
		t.Errorf("channel data not between Floor and Video: %v", names)
	}
	if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "variable_") }) {
		t.Errorf("member data with variables: %v", names)
	}
	ev = c.next()
	floor := append(append(append(slices.Clone(confNames), "Action", "Old-ID"), confNames...), memberNames...)
	if got := only(ev.names(), append(floor, "New-ID")...); !slices.Equal(got, append(floor, "New-ID")) || ev.get("Action") != "floor-change" ||
		ev.get("Old-ID") != "none" || ev.get("New-ID") != "1" || ev.get("Floor") != "true" {
		t.Errorf("floor-change: %v", ev)
	}

	s.JoinConference("r1", "Bob", "5551001")
	if ev = c.next(); ev.get("Action") != "add-member" || ev.get("Member-ID") != "2" || ev.get("Floor") != "false" || ev.get("Conference-Size") != "2" {
		t.Errorf("add-member: %v", ev)
	}
	if b := c.api("conference r1 mute 2"); b != "+OK mute 2\n" {
		t.Errorf("%q", b)
	}
	if ev = c.next(); ev.get("Action") != "mute-member" || ev.get("Speak") != "false" || ev.get("Member-ID") != "2" {
		t.Errorf("mute-member: %v", ev)
	}
	if b := c.api("conference r1 lock"); b != "+OK r1 locked\n" {
		t.Errorf("%q", b)
	}
	if ev = c.next(); !slices.Equal(ev.names(), append(slices.Clone(confNames), "Action")) || ev.get("Action") != "lock" {
		t.Errorf("lock: %v", ev)
	}

	// The floor holder hangs up: CHANNEL_HANGUP, the floor dropped (Old-ID
	// none: the holder has left the list; still counted), del-member,
	// then the floor to the newest member.
	s.Hangup(ann, "NORMAL_CLEARING")
	if ev = c.next(); ev.get("Event-Name") != "CHANNEL_HANGUP" {
		t.Errorf("want CHANNEL_HANGUP: %v", ev)
	}
	if ev = c.next(); ev.get("Action") != "floor-change" || ev.get("Old-ID") != "none" || ev.get("New-ID") != "none" || ev.get("Conference-Size") != "2" ||
		!slices.Equal(ev.names(), append(slices.Clone(confNames), "Action", "Old-ID", "New-ID")) {
		t.Errorf("floor dropped: %v", ev)
	}
	if ev = c.next(); ev.get("Action") != "del-member" || ev.get("Member-ID") != "1" || ev.get("Conference-Size") != "1" ||
		ev.get("Floor") != "false" || ev.get("Answer-State") != "hangup" || ev.get("Hangup-Cause") != "NORMAL_CLEARING" {
		t.Errorf("del-member: %v", ev)
	}
	if ev = c.next(); ev.get("Action") != "floor-change" || ev.get("Old-ID") != "none" || ev.get("New-ID") != "2" {
		t.Errorf("floor passed on: %v", ev)
	}

	if b := c.api("conference r1 hup 2"); b != "+OK hup 2\n" {
		t.Errorf("%q", b)
	}
	for _, want := range []string{"hup-member", "CHANNEL_HANGUP", "floor-change", "del-member", "conference-destroy"} {
		ev = c.next()
		if got := ev.get("Action"); got != want && ev.get("Event-Name") != want {
			t.Errorf("got %v, want %s", ev, want)
		}
	}
	if ev.get("Conference-Size") != "0" || ev.get("Event-Calling-Function") != "conference_thread_run" {
		t.Errorf("conference-destroy: %v", ev)
	}
}

// TestRegistrationEventHeaders checks sofia::unregister
// (sofia_reg_handle_register_token) and sofia::expire
// (sofia_reg_del_callback) against sofia_reg.c.
func TestRegistrationEventHeaders(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "plain CUSTOM sofia::register sofia::unregister sofia::expire")
	for _, u := range []string{"1000", "1001"} {
		if err := s.Register(u, Registration{IP: "192.0.2.7", Port: 5062, CallID: "cid-" + u, UserAgent: "ua/1", Expires: time.Minute}); err != nil {
			t.Fatal(err)
		}
	}
	reg := c.next()
	contact := `"1000" <sip:1000@192.0.2.7:5062;fs_nat=no>`
	if reg.get("contact") != contact {
		t.Errorf("register: %v", reg)
	}
	c.next()

	s.Unregister("1000")
	ev := c.next()
	if got := ev.names(); !slices.Equal(got, []string{"profile-name", "username", "from-user", "from-host", "contact", "call-id", "rpid", "realm", "expires"}) ||
		ev.get("Event-Subclass") != "sofia::unregister" || ev.get("contact") != contact || ev.get("call-id") != "cid-1000" ||
		ev.get("from-host") != "10.0.0.5" || ev.get("realm") != "10.0.0.5" || ev.get("expires") != "0" {
		t.Errorf("unregister: %v", ev)
	}

	before := time.Now().Unix()
	s.Expire("1001")
	ev = c.next()
	exp, _ := strconv.ParseInt(ev.get("expires"), 10, 64)
	if got := ev.names(); !slices.Equal(got, []string{"profile-name", "call-id", "user", "host", "contact", "expires", "user-agent", "realm"}) ||
		ev.get("Event-Subclass") != "sofia::expire" || ev.get("user") != "1001" || ev.get("contact") != `"1001" <sip:1001@192.0.2.7:5062;fs_nat=no>` ||
		exp < before+60+60-1 || exp > time.Now().Unix()+60+60 || ev.get("user-agent") != "ua/1" {
		t.Errorf("expire: %v", ev)
	}
}

// TestVoicemailEventHeaders checks update_mwi's MESSAGE_WAITING and
// vm::maintenance mwi-update, and deliver_vm's leave-message, against
// mod_voicemail.c.
func TestVoicemailEventHeaders(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "plain MESSAGE_WAITING CUSTOM vm::maintenance")
	if _, _, err := s.LeaveVoicemail("1000", "Dave", "5553000", time.Second, false); err != nil {
		t.Fatal(err)
	}
	vid, _, err := s.LeaveVoicemail("1000", "Eve", "5554000", time.Second, true)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		c.next()
	}
	ev := c.next()
	if got := ev.names(); !slices.Equal(got, []string{"VM-Action", "VM-User", "VM-Domain", "VM-Caller-ID-Name", "VM-Caller-ID-Number",
		"VM-File-Path", "VM-Flags", "VM-Folder", "VM-UUID", "VM-Message-Len", "VM-Timestamp"}) || ev.get("VM-UUID") != vid || ev.get("VM-Flags") != "A_URGENT" {
		t.Errorf("leave-message: %v", ev)
	}
	ev = c.next()
	if got := ev.names(); !slices.Equal(got, []string{"MWI-Messages-Waiting", "Update-Reason", "MWI-Message-Account", "MWI-Voice-Message"}) ||
		ev.get("MWI-Messages-Waiting") != "yes" || ev.get("Update-Reason") != "NEW" || ev.get("MWI-Voice-Message") != "2/0" {
		t.Errorf("MESSAGE_WAITING: %v", ev)
	}
	ev = c.next()
	if ev.get("VM-Action") != "mwi-update" || ev.get("VM-Total-New") != "2" || ev.get("VM-Total-New-Urgent") != "1" || ev.get("VM-Total-Saved") != "0" {
		t.Errorf("mwi-update: %v", ev)
	}
}
