package pbx

import (
	"context"
	"slices"
)

// ConferenceService lists and controls conference rooms. Get it from
// [Client.Conferences]; it is safe for concurrent use.
type ConferenceService struct{ c *Client }

func (s *ConferenceService) backend() ConferenceBackend { return s.c.b.(ConferenceBackend) }

// List returns the active rooms, ordered by ID.
func (s *ConferenceService) List(ctx context.Context) ([]Conference, error) {
	r := request{op: "Conferences.List", need: CapConferences, read: true}
	rooms, err := run(ctx, s.c, r, nil, func(ctx context.Context) ([]Conference, error) {
		return s.backend().Conferences(ctx)
	})
	slices.SortFunc(rooms, func(a, b Conference) int { return compareNumbers(string(a.ID), string(b.ID)) })
	return nonNil(rooms, err)
}

// Get returns one active room, or fails with ErrNotFound if nobody is in it.
func (s *ConferenceService) Get(ctx context.Context, id ConferenceID) (*Conference, error) {
	r := request{op: "Conferences.Get", id: string(id), need: CapConferences, read: true}
	return run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (*Conference, error) {
		rooms, err := s.backend().Conferences(ctx)
		if err != nil {
			return nil, err
		}
		for i := range rooms {
			if rooms[i].ID == id {
				return &rooms[i], nil
			}
		}
		return nil, Errorf(NotFound, "no active conference %s", id)
	})
}

// Participants lists a room's participants, or fails with ErrNotFound if the
// room is not active.
func (s *ConferenceService) Participants(ctx context.Context, id ConferenceID) ([]Participant, error) {
	r := request{op: "Conferences.Participants", id: string(id), need: CapConferences, read: true}
	return nonNil(run(ctx, s.c, r, id.Validate(), func(ctx context.Context) ([]Participant, error) {
		return s.backend().Participants(ctx, id)
	}))
}

// Join rings an extension and, once answered, puts it into the room
// (LiteNet's "connect me"). It returns the new call's ID; opts may be nil.
// The phone shows "Conference <room>" unless opts sets a caller ID.
func (s *ConferenceService) Join(ctx context.Context, id ConferenceID, ext ExtensionID, opts *JoinOptions) (CallID, error) {
	if err := id.Validate(); err != nil {
		return "", s.c.wrap("Conferences.Join", string(id), err)
	}
	var o JoinOptions
	if opts != nil {
		o = *opts
	}
	if o.CallerID == (Party{}) {
		o.CallerID = Party{Name: "Conference " + string(id)}
		if ValidateNumber(string(id)) == nil {
			o.CallerID.Number = string(id)
		}
	}
	return s.c.Calls().Originate(ctx, OriginateRequest{
		From: ext, Mode: ModeConference, To: string(id), CallerID: o.CallerID, Timeout: o.Timeout, AutoAnswer: o.AutoAnswer,
	})
}

// Kick removes a participant from a room.
func (s *ConferenceService) Kick(ctx context.Context, id ConferenceID, p ParticipantID) error {
	r := request{op: "Conferences.Kick", id: string(p), need: CapConferenceControl}
	return exec(ctx, s.c, r, firstErr(id.Validate(), p.Validate()), func(ctx context.Context) error {
		return s.backend().Kick(ctx, id, p)
	})
}

// Mute mutes (muted true) or unmutes a participant.
func (s *ConferenceService) Mute(ctx context.Context, id ConferenceID, p ParticipantID, muted bool) error {
	r := request{op: "Conferences.Mute", id: string(p), need: CapConferenceControl}
	return exec(ctx, s.c, r, firstErr(id.Validate(), p.Validate()), func(ctx context.Context) error {
		return s.backend().Mute(ctx, id, p, muted)
	})
}

// Lock locks (locked true) or unlocks a room; a locked room admits nobody new.
func (s *ConferenceService) Lock(ctx context.Context, id ConferenceID, locked bool) error {
	r := request{op: "Conferences.Lock", id: string(id), need: CapConferenceControl}
	return exec(ctx, s.c, r, id.Validate(), func(ctx context.Context) error {
		return s.backend().Lock(ctx, id, locked)
	})
}
