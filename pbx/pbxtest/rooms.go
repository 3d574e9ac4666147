package pbxtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// join puts ext into the fixture room and returns its participant.
func (s *suite) join(t *testing.T, ext pbx.ExtensionID) pbx.Participant {
	t.Helper()
	sub := s.subscribe(t, s.c, &pbx.EventFilter{Conferences: []pbx.ConferenceID{s.fx.Conference}, Kinds: []pbx.EventKind{pbx.KindConferenceJoined}})
	id, err := s.c.Conferences().Join(s.ctx(t), s.fx.Conference, ext, nil)
	ok(t, err, "Join")
	s.hangupLater(t, id)
	joined := waitFor(t, s, sub, "ConferenceJoined", func(e *pbx.ConferenceJoined) bool { return e.Participant.CallID == id })
	return joined.Participant
}

func (s *suite) testConferences(t *testing.T) {
	t.Run("JoinListsParticipant", func(t *testing.T) {
		s.need(t, pbx.CapConferences, pbx.CapOriginate, pbx.CapEvents, pbx.CapHangup)
		ctx := s.ctx(t)
		p := s.join(t, s.fx.Extensions[0])
		if p.Conference != s.fx.Conference || p.ID == "" || p.Channel == "" {
			t.Fatalf("ConferenceJoined participant %+v", p)
		}
		rooms, err := s.c.Conferences().List(ctx)
		ok(t, err, "List")
		i := slices.IndexFunc(rooms, func(r pbx.Conference) bool { return r.ID == s.fx.Conference })
		if i < 0 || rooms[i].Parties < 1 {
			t.Fatalf("List = %+v: want room %s with a party", rooms, s.fx.Conference)
		}
		parts, err := s.c.Conferences().Participants(ctx, s.fx.Conference)
		ok(t, err, "Participants")
		if !slices.ContainsFunc(parts, func(x pbx.Participant) bool { return x.ID == p.ID }) {
			t.Fatalf("Participants lacks %s", p.ID)
		}
		room, err := s.c.Conferences().Get(ctx, s.fx.Conference)
		ok(t, err, "Get")
		if room.Parties != len(parts) {
			t.Errorf("Get says %d parties, Participants lists %d", room.Parties, len(parts))
		}
		s.hangupAndWait(t, p.CallID)
	})

	t.Run("GetInactiveIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapConferences)
		_, err := s.c.Conferences().Get(s.ctx(t), "pbxtest-empty-room")
		wantCode(t, err, pbx.NotFound, "Get an inactive room")
		_, err = s.c.Conferences().Participants(s.ctx(t), "pbxtest-empty-room")
		wantCode(t, err, pbx.NotFound, "Participants of an inactive room")
	})

	for _, bad := range []pbx.ConferenceID{"../x", "a b", "-rf", "room\r\n"} {
		t.Run(fmt.Sprintf("InvalidRoom/%q", string(bad)), func(t *testing.T) {
			s.need(t, pbx.CapConferences)
			_, err := s.c.Conferences().Participants(s.ctx(t), bad)
			wantCode(t, err, pbx.InvalidArgument, "Participants of an invalid room")
		})
	}

	t.Run("MuteAndUnmute", func(t *testing.T) {
		s.need(t, pbx.CapConferenceControl, pbx.CapOriginate, pbx.CapEvents, pbx.CapHangup)
		ctx := s.ctx(t)
		p := s.join(t, s.fx.Extensions[1])
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Conferences: []pbx.ConferenceID{s.fx.Conference}, Kinds: []pbx.EventKind{pbx.KindParticipantMuted}})
		for _, muted := range []bool{true, false} {
			ok(t, s.c.Conferences().Mute(ctx, s.fx.Conference, p.ID, muted), "Mute")
			waitFor(t, s, sub, "ParticipantMuted", func(e *pbx.ParticipantMuted) bool { return e.Participant.ID == p.ID && e.Muted == muted })
			s.eventually(t, "participant's muted flag", func() error {
				parts, err := s.c.Conferences().Participants(ctx, s.fx.Conference)
				if err != nil {
					return err
				}
				for _, x := range parts {
					if x.ID == p.ID && x.Muted == muted {
						return nil
					}
				}
				return fmt.Errorf("participant %s not muted=%v", p.ID, muted)
			})
		}
		s.hangupAndWait(t, p.CallID)
	})

	t.Run("LockRefusesNewParticipants", func(t *testing.T) {
		s.need(t, pbx.CapConferenceControl, pbx.CapOriginate, pbx.CapEvents, pbx.CapHangup)
		ctx := s.ctx(t)
		p := s.join(t, s.fx.Extensions[0])
		ok(t, s.c.Conferences().Lock(ctx, s.fx.Conference, true), "Lock")
		t.Cleanup(func() { _ = s.c.Conferences().Lock(context.Background(), s.fx.Conference, false) })
		room, err := s.c.Conferences().Get(ctx, s.fx.Conference)
		ok(t, err, "Get")
		if !room.Locked {
			t.Fatal("room not locked after Lock")
		}
		id := pbx.NewCallID()
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}})
		_, err = s.c.Calls().Originate(ctx, pbx.OriginateRequest{ID: id, From: s.fx.Extensions[1], Mode: pbx.ModeConference, To: string(s.fx.Conference)})
		ok(t, err, "Originate into the locked room")
		s.hangupLater(t, id)
		seen := s.until(t, sub, "the refused call to end", func(e pbx.Event) bool { _, end := e.(*pbx.CallEnded); return end })
		if indexOf(seen, func(e *pbx.ConferenceJoined) bool { return true }) >= 0 {
			t.Fatalf("a call joined a locked room: %v", kinds(seen))
		}
		ok(t, s.c.Conferences().Lock(ctx, s.fx.Conference, false), "Unlock")
		room, err = s.c.Conferences().Get(ctx, s.fx.Conference)
		ok(t, err, "Get")
		if room.Locked {
			t.Fatal("room locked after unlocking")
		}
		s.hangupAndWait(t, p.CallID)
	})

	t.Run("KickEndsParticipation", func(t *testing.T) {
		s.need(t, pbx.CapConferenceControl, pbx.CapOriginate, pbx.CapEvents, pbx.CapHangup)
		p := s.join(t, s.fx.Extensions[2])
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Conferences: []pbx.ConferenceID{s.fx.Conference}})
		ok(t, s.c.Conferences().Kick(s.ctx(t), s.fx.Conference, p.ID), "Kick")
		waitFor(t, s, sub, "ConferenceLeft", func(e *pbx.ConferenceLeft) bool { return e.Participant.ID == p.ID })
		waitFor(t, s, sub, "ConferenceEnded", func(e *pbx.ConferenceEnded) bool { return e.Conference == s.fx.Conference })
	})

	t.Run("KickMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapConferenceControl)
		err := s.c.Conferences().Kick(s.ctx(t), "pbxtest-empty-room", "PJSIP/0000-00000000")
		wantCode(t, err, pbx.NotFound, "Kick in an inactive room")
	})
}

func (s *suite) testRooms(t *testing.T) {
	t.Run("RoomLifecycle", func(t *testing.T) {
		s.need(t, pbx.CapConferenceRooms)
		ctx := s.ctx(t)
		id := s.fx.FreeRoom
		want := pbx.Room{ID: id, Name: "Conformance room", PIN: "1234", AdminPIN: "4321", MaxParticipants: 10}
		ok(t, s.c.Conferences().CreateRoom(ctx, want), "CreateRoom")
		t.Cleanup(func() { _ = s.c.Conferences().DeleteRoom(context.Background(), id) })
		got, err := s.c.Conferences().Room(ctx, id)
		ok(t, err, "Room")
		if *got != want {
			t.Fatalf("Room = %+v, want %+v", got, want)
		}
		wantCode(t, s.c.Conferences().CreateRoom(ctx, want), pbx.AlreadyExists, "second CreateRoom")
		want.Name, want.PIN = "Renamed", ""
		ok(t, s.c.Conferences().UpdateRoom(ctx, want), "UpdateRoom")
		if got, err := s.c.Conferences().Room(ctx, id); err != nil || *got != want {
			t.Fatalf("Room after UpdateRoom = %+v, %v", got, err)
		}
		rooms, err := s.c.Conferences().Rooms(ctx)
		ok(t, err, "Rooms")
		if !slices.ContainsFunc(rooms, func(r pbx.Room) bool { return r.ID == id }) {
			t.Fatalf("Rooms lacks %s", id)
		}
		ok(t, s.c.Conferences().DeleteRoom(ctx, id), "DeleteRoom")
		_, err = s.c.Conferences().Room(ctx, id)
		wantCode(t, err, pbx.NotFound, "Room after DeleteRoom")
		wantCode(t, s.c.Conferences().DeleteRoom(ctx, id), pbx.NotFound, "second DeleteRoom")
		wantCode(t, s.c.Conferences().UpdateRoom(ctx, want), pbx.NotFound, "UpdateRoom of a deleted room")
	})

	for _, tc := range []struct {
		name string
		r    pbx.Room
	}{
		{"BadID", pbx.Room{ID: "../x"}},
		{"LetterPIN", pbx.Room{ID: s.fx.FreeRoom, PIN: "12a4"}},
		{"CRLFName", pbx.Room{ID: s.fx.FreeRoom, Name: "a\r\nb"}},
		{"NegativeSize", pbx.Room{ID: s.fx.FreeRoom, MaxParticipants: -1}},
	} {
		t.Run("InvalidRoom/"+tc.name, func(t *testing.T) {
			s.need(t, pbx.CapConferenceRooms)
			wantCode(t, s.c.Conferences().CreateRoom(s.ctx(t), tc.r), pbx.InvalidArgument, "CreateRoom "+tc.name)
		})
	}
}

func (s *suite) testQueues(t *testing.T) {
	t.Run("ConfigLifecycle", func(t *testing.T) {
		s.need(t, pbx.CapQueuesWrite)
		ctx := s.ctx(t)
		id := s.fx.FreeQueue
		want := pbx.QueueConfig{ID: id, Name: "Conformance", Strategy: pbx.StrategyRingAll, RingTimeout: 15 * time.Second,
			MaxWait: 5 * time.Minute, MaxCallers: 5, Members: []pbx.QueueMember{{Interface: "PJSIP/" + string(s.fx.Extensions[0]), Penalty: 1}}}
		ok(t, s.c.Queues().Create(ctx, want), "Create")
		t.Cleanup(func() { _ = s.c.Queues().Delete(context.Background(), id) })
		got, err := s.c.Queues().Config(ctx, id)
		ok(t, err, "Config")
		if !sameQueueConfig(got, &want) {
			t.Fatalf("Config = %+v, want %+v", got, want)
		}
		wantCode(t, s.c.Queues().Create(ctx, want), pbx.AlreadyExists, "second Create")
		want.Strategy, want.Members = pbx.StrategyLeastRecent, nil
		ok(t, s.c.Queues().Update(ctx, want), "Update")
		if got, err := s.c.Queues().Config(ctx, id); err != nil || !sameQueueConfig(got, &want) {
			t.Fatalf("Config after Update = %+v, %v", got, err)
		}
		ok(t, s.c.Queues().Delete(ctx, id), "Delete")
		_, err = s.c.Queues().Config(ctx, id)
		wantCode(t, err, pbx.NotFound, "Config after Delete")
		wantCode(t, s.c.Queues().Delete(ctx, id), pbx.NotFound, "second Delete")
	})

	for _, tc := range []struct {
		name string
		q    pbx.QueueConfig
	}{
		{"BadID", pbx.QueueConfig{ID: "a b", Strategy: pbx.StrategyRingAll}},
		{"NoStrategy", pbx.QueueConfig{ID: s.fx.FreeQueue}},
		{"MemberInjection", pbx.QueueConfig{ID: s.fx.FreeQueue, Strategy: pbx.StrategyRingAll, Members: []pbx.QueueMember{{Interface: "PJSIP/1,PJSIP/2"}}}},
	} {
		t.Run("InvalidConfig/"+tc.name, func(t *testing.T) {
			s.need(t, pbx.CapQueuesWrite)
			wantCode(t, s.c.Queues().Create(s.ctx(t), tc.q), pbx.InvalidArgument, "Create "+tc.name)
		})
	}

	t.Run("ListHasFixture", func(t *testing.T) {
		s.need(t, pbx.CapQueues)
		qs, err := s.c.Queues().List(s.ctx(t))
		ok(t, err, "List")
		i := slices.IndexFunc(qs, func(q pbx.Queue) bool { return q.ID == s.fx.Queue })
		if i < 0 {
			t.Fatalf("List lacks queue %s", s.fx.Queue)
		}
		if qs[i].Strategy == pbx.StrategyUnknown {
			t.Errorf("queue %s has no known strategy", s.fx.Queue)
		}
	})

	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapQueues)
		_, err := s.c.Queues().Get(s.ctx(t), "pbxtest-no-queue")
		wantCode(t, err, pbx.NotFound, "Get missing")
	})

	t.Run("GetInvalidIsInvalid", func(t *testing.T) {
		s.need(t, pbx.CapQueues)
		_, err := s.c.Queues().Get(s.ctx(t), "sales\r\nAction: Command")
		wantCode(t, err, pbx.InvalidArgument, "Get invalid")
	})

	t.Run("MemberLifecycle", func(t *testing.T) {
		s.need(t, pbx.CapQueueMembers, pbx.CapQueues)
		ctx := s.ctx(t)
		q, iface := s.fx.Queue, s.fx.MemberInterface
		var sub *pbx.Subscription
		if s.cap.Has(pbx.CapEvents) {
			sub = s.subscribe(t, s.c, &pbx.EventFilter{Queues: []pbx.QueueID{q}})
		}
		ok(t, s.c.Queues().AddMember(ctx, q, pbx.QueueMember{Interface: iface, Name: "Conformance", Penalty: 2}), "AddMember")
		t.Cleanup(func() { _ = s.c.Queues().RemoveMember(context.Background(), q, iface) })
		if sub != nil {
			waitFor(t, s, sub, "QueueMemberAdded", func(e *pbx.QueueMemberAdded) bool { return e.Member.Interface == iface })
		}
		member := func() pbx.QueueMember {
			got, err := s.c.Queues().Get(ctx, q)
			ok(t, err, "Get")
			for _, m := range got.Members {
				if m.Interface == iface {
					return m
				}
			}
			t.Fatalf("queue %s lacks member %s", q, iface)
			return pbx.QueueMember{}
		}
		if m := member(); m.Penalty != 2 || m.Paused || !m.Dynamic {
			t.Errorf("added member %+v: want penalty 2, not paused, dynamic", m)
		}
		wantCode(t, s.c.Queues().AddMember(ctx, q, pbx.QueueMember{Interface: iface}), pbx.AlreadyExists, "second AddMember")
		ok(t, s.c.Queues().PauseMember(ctx, q, iface, true, "conformance"), "PauseMember")
		if sub != nil {
			waitFor(t, s, sub, "QueueMemberPaused", func(e *pbx.QueueMemberPaused) bool { return e.Member.Interface == iface && e.Paused })
		}
		if m := member(); !m.Paused {
			t.Error("member not paused after PauseMember")
		}
		ok(t, s.c.Queues().PauseMember(ctx, q, iface, false, ""), "unpause")
		if m := member(); m.Paused {
			t.Error("member still paused after unpausing")
		}
		ok(t, s.c.Queues().RemoveMember(ctx, q, iface), "RemoveMember")
		if sub != nil {
			waitFor(t, s, sub, "QueueMemberRemoved", func(e *pbx.QueueMemberRemoved) bool { return e.Member.Interface == iface })
		}
		wantCode(t, s.c.Queues().RemoveMember(ctx, q, iface), pbx.NotFound, "second RemoveMember")
	})

	for _, bad := range []string{"PJSIP/10&10", "nointerface", "PJSIP/1010\r\nAction: Command", "PJSIP/10 10"} {
		t.Run(fmt.Sprintf("InvalidInterface/%q", bad), func(t *testing.T) {
			s.need(t, pbx.CapQueueMembers)
			err := s.c.Queues().AddMember(s.ctx(t), s.fx.Queue, pbx.QueueMember{Interface: bad})
			wantCode(t, err, pbx.InvalidArgument, "AddMember "+bad)
		})
	}

	t.Run("CallerJoinsAndAbandons", func(t *testing.T) {
		s.need(t, pbx.CapQueues, pbx.CapEvents, pbx.CapHangup)
		ctx := s.ctx(t)
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Queues: []pbx.QueueID{s.fx.Queue}})
		id, err := s.h.World().QueueCaller(ctx, s.fx.Queue, pbx.Party{Name: "Queue Caller", Number: "5550123"})
		world(t, err, "queue a caller")
		s.hangupLater(t, id)
		joined := waitFor(t, s, sub, "QueueCallerJoined", func(e *pbx.QueueCallerJoined) bool { return e.Caller.CallID == id })
		if joined.Caller.Position < 1 {
			t.Errorf("caller position %d", joined.Caller.Position)
		}
		q, err := s.c.Queues().Get(ctx, s.fx.Queue)
		ok(t, err, "Get")
		if q.Waiting < 1 || !slices.ContainsFunc(q.Callers, func(c pbx.QueueCaller) bool { return c.CallID == id }) {
			t.Fatalf("queue %+v lacks the caller", q)
		}
		ok(t, s.c.Calls().Hangup(ctx, id), "Hangup")
		left := waitFor(t, s, sub, "QueueCallerLeft", func(e *pbx.QueueCallerLeft) bool { return e.Caller.CallID == id })
		if !left.Abandoned {
			t.Error("a caller who hung up waiting is not marked abandoned")
		}
	})
}

func sameQueueConfig(a, b *pbx.QueueConfig) bool {
	if a.ID != b.ID || a.Name != b.Name || a.Strategy != b.Strategy || a.RingTimeout != b.RingTimeout ||
		a.MaxWait != b.MaxWait || a.MaxCallers != b.MaxCallers || len(a.Members) != len(b.Members) {
		return false
	}
	for i := range a.Members {
		if a.Members[i].Interface != b.Members[i].Interface || a.Members[i].Penalty != b.Members[i].Penalty {
			return false
		}
	}
	return true
}
