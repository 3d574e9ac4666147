package freeswitch

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

// confJSON is one room of "conference [room] json_list".
type confJSON struct {
	Name        string `json:"conference_name"`
	MemberCount int    `json:"member_count"`
	Locked      bool   `json:"locked"`
	RunTime     int64  `json:"run_time"`
	Members     []struct {
		Type     string `json:"type"`
		ID       int    `json:"id"`
		UUID     string `json:"uuid"`
		Name     string `json:"caller_id_name"`
		Number   string `json:"caller_id_number"`
		JoinTime int64  `json:"join_time"`
		Flags    struct {
			CanSpeak  bool `json:"can_speak"`
			Talking   bool `json:"talking"`
			Moderator bool `json:"is_moderator"`
		} `json:"flags"`
	} `json:"members"`
}

// jsonList runs "conference json_list" (every room), or "conference <room>
// json_list"; an inactive room is NotFound. mod_conference prints the
// array with cJSON_Print: indented, which the JSON decoder does not mind.
func (b *backend) jsonList(ctx context.Context, room pbx.ConferenceID) ([]confJSON, error) {
	args := []string{"json_list"}
	if room != "" {
		args = []string{string(room), "json_list"}
	}
	body, err := b.conn.API(ctx, "conference", args...)
	if err != nil {
		return nil, err // "-ERR Conference <room> not found" is NotFound
	}
	// mod_conference looks for a running room first, then for the
	// commands that need none: an inactive room named "list", "count" or
	// "json_list" is answered by that command.
	inactive := func() error { return pbx.Errorf(pbx.NotFound, "no active conference %s", room) }
	if room != "" && !strings.HasPrefix(body, "[") {
		return nil, inactive()
	}
	var rooms []confJSON
	if err := json.Unmarshal([]byte(body), &rooms); err != nil {
		return nil, pbx.Errorf(pbx.Internal, "reading the conference list: %w", err)
	}
	if room != "" && !slices.ContainsFunc(rooms, func(r confJSON) bool { return r.Name == string(room) }) {
		return nil, inactive()
	}
	return rooms, nil
}

// Conferences implements pbx.ConferenceBackend.
func (b *backend) Conferences(ctx context.Context) ([]pbx.Conference, error) {
	rooms, err := b.jsonList(ctx, "")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	out := make([]pbx.Conference, 0, len(rooms))
	for _, r := range rooms {
		id := pbx.ConferenceID(r.Name)
		if id.Validate() != nil {
			continue
		}
		c := pbx.Conference{ID: id, Parties: r.MemberCount, Locked: r.Locked}
		if r.RunTime > 0 {
			c.Started = now.Add(-time.Duration(r.RunTime) * time.Second).Truncate(time.Second)
		}
		out = append(out, c)
	}
	return out, nil
}

// Participants implements pbx.ConferenceBackend. The participant ID is
// mod_conference's member ID; the channel names come from the channel
// list.
func (b *backend) Participants(ctx context.Context, id pbx.ConferenceID) ([]pbx.Participant, error) {
	rooms, err := b.jsonList(ctx, id)
	if err != nil {
		return nil, err
	}
	calls, err := b.showChannels(ctx)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(calls))
	for _, c := range calls {
		names[string(c.ID)] = c.Channel
	}
	now := time.Now()
	var out []pbx.Participant
	for _, r := range rooms {
		if r.Name != string(id) {
			continue
		}
		for _, m := range r.Members {
			if m.Type != "caller" {
				continue // a recording or playback, not a party
			}
			out = append(out, pbx.Participant{
				ID: pbx.ParticipantID(strconv.Itoa(m.ID)), Conference: id, CallID: pbx.CallID(m.UUID),
				Channel: names[m.UUID], Caller: pbx.Party{Name: m.Name, Number: m.Number},
				Muted: !m.Flags.CanSpeak, Admin: m.Flags.Moderator, Talking: m.Flags.Talking,
				Joined: now.Add(-time.Duration(m.JoinTime) * time.Second).Truncate(time.Second),
			})
		}
	}
	return out, nil
}

// memberCommand runs "conference <room> <cmd> <member>". mod_conference
// answers "+OK ..." or, for an unknown member, "-ERR Non-Existant ID <id>"
// (NotFound).
func (b *backend) memberCommand(ctx context.Context, room pbx.ConferenceID, cmd string, p pbx.ParticipantID) error {
	if _, err := strconv.ParseUint(string(p), 10, 31); err != nil {
		return pbx.Errorf(pbx.NotFound, "no member %q in %s: mod_conference numbers its members", p, room)
	}
	return b.conferenceCommand(ctx, string(room), cmd, string(p))
}

// conferenceCommand runs a conference command that answers "+OK ..." when
// it succeeds (older releases answer "OK ..."). Errors start with "-ERR",
// which the connection reports; any other text, such as the syntax line
// written for a missing member argument, is an error too.
func (b *backend) conferenceCommand(ctx context.Context, args ...string) error {
	reply, err := b.conn.API(ctx, "conference", args...)
	if err == nil && !strings.HasPrefix(reply, "+OK") && !strings.HasPrefix(reply, "OK") {
		err = &esl.Error{Command: "conference", Reply: reply}
	}
	return err
}

// Kick implements pbx.ConferenceBackend.
func (b *backend) Kick(ctx context.Context, id pbx.ConferenceID, p pbx.ParticipantID) error {
	return b.memberCommand(ctx, id, "kick", p)
}

// Mute implements pbx.ConferenceBackend.
func (b *backend) Mute(ctx context.Context, id pbx.ConferenceID, p pbx.ParticipantID, muted bool) error {
	cmd := "unmute"
	if muted {
		cmd = "mute"
	}
	return b.memberCommand(ctx, id, cmd, p)
}

// Lock implements pbx.ConferenceBackend.
func (b *backend) Lock(ctx context.Context, id pbx.ConferenceID, locked bool) error {
	cmd := "unlock"
	if locked {
		cmd = "lock"
	}
	return b.conferenceCommand(ctx, string(id), cmd)
}

// conferenceEvent maps conference::maintenance. b.mu is held.
func (b *backend) conferenceEvent(ev *esl.Event, h pbx.EventHeader) {
	room := pbx.ConferenceID(get(ev, "Conference-Name"))
	if room.Validate() != nil {
		return
	}
	p := func() pbx.Participant {
		return pbx.Participant{
			ID: pbx.ParticipantID(get(ev, "Member-ID")), Conference: room, CallID: callID(ev.UniqueID()),
			Channel: get(ev, "Channel-Name"),
			Caller:  pbx.Party{Name: get(ev, "Caller-Caller-ID-Name"), Number: get(ev, "Caller-Caller-ID-Number")},
			Muted:   get(ev, "Speak") == "false", Admin: get(ev, "Member-Type") == "moderator",
			Talking: get(ev, "Talking") == "true",
		}
	}
	switch action := get(ev, "Action"); action {
	case "conference-create":
		b.publish(&pbx.ConferenceStarted{EventHeader: h, Conference: room})
	case "conference-destroy":
		b.publish(&pbx.ConferenceEnded{EventHeader: h, Conference: room})
	case "add-member":
		part := p()
		part.Joined = h.Time
		b.publish(&pbx.ConferenceJoined{EventHeader: h, Participant: part})
	case "del-member":
		b.publish(&pbx.ConferenceLeft{EventHeader: h, Participant: p()})
	case "mute-member", "unmute-member":
		part := p()
		part.Muted = action == "mute-member"
		b.publish(&pbx.ParticipantMuted{EventHeader: h, Participant: part, Muted: part.Muted})
	case "lock", "unlock":
		b.publish(&pbx.ConferenceLocked{EventHeader: h, Conference: room, Locked: action == "lock"})
	}
}
