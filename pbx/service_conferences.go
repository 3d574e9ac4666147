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

func (s *ConferenceService) roomBackend() RoomBackend { return s.c.b.(RoomBackend) }

// Rooms lists the provisioned conference rooms, ordered by ID.
func (s *ConferenceService) Rooms(ctx context.Context) ([]Room, error) {
	r := request{op: "Conferences.Rooms", need: CapConferenceRooms, read: true}
	rooms, err := run(ctx, s.c, r, nil, func(ctx context.Context) ([]Room, error) {
		return s.roomBackend().Rooms(ctx)
	})
	slices.SortFunc(rooms, func(a, b Room) int { return compareNumbers(string(a.ID), string(b.ID)) })
	return nonNil(rooms, err)
}

// Room returns one room's configuration, or fails with ErrNotFound.
func (s *ConferenceService) Room(ctx context.Context, id ConferenceID) (*Room, error) {
	r := request{op: "Conferences.Room", id: string(id), need: CapConferenceRooms, read: true}
	return run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (*Room, error) {
		rooms, err := s.roomBackend().Rooms(ctx)
		if err != nil {
			return nil, err
		}
		for i := range rooms {
			if rooms[i].ID == id {
				return &rooms[i], nil
			}
		}
		return nil, Errorf(NotFound, "no conference room %s", id)
	})
}

// CreateRoom provisions a room; ErrAlreadyExists if the ID is taken.
func (s *ConferenceService) CreateRoom(ctx context.Context, room Room) error {
	r := request{op: "Conferences.CreateRoom", id: string(room.ID), need: CapConferenceRooms}
	return exec(ctx, s.c, r, validateRoom(&room), func(ctx context.Context) error {
		return s.roomBackend().CreateRoom(ctx, &room)
	})
}

// UpdateRoom replaces a room's configuration; ErrNotFound if there is none.
func (s *ConferenceService) UpdateRoom(ctx context.Context, room Room) error {
	r := request{op: "Conferences.UpdateRoom", id: string(room.ID), need: CapConferenceRooms}
	return exec(ctx, s.c, r, validateRoom(&room), func(ctx context.Context) error {
		return s.roomBackend().UpdateRoom(ctx, &room)
	})
}

// DeleteRoom removes a room; ErrNotFound if there is none.
func (s *ConferenceService) DeleteRoom(ctx context.Context, id ConferenceID) error {
	r := request{op: "Conferences.DeleteRoom", id: string(id), need: CapConferenceRooms}
	return exec(ctx, s.c, r, id.Validate(), func(ctx context.Context) error {
		return s.roomBackend().DeleteRoom(ctx, id)
	})
}

func validateRoom(r *Room) error {
	err := firstErr(r.ID.Validate(), ValidateText("room name", r.Name, 50))
	for _, pin := range []string{r.PIN, r.AdminPIN} {
		if err == nil && pin != "" {
			err = checkSyntax("PIN", pin, 1, 20, isDigit)
		}
	}
	if err == nil && (r.MaxParticipants < 0 || r.MaxParticipants > 1000) {
		err = invalidf("max participants %d out of range 0..1000", r.MaxParticipants)
	}
	return err
}
