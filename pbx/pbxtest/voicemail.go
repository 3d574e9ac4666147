package pbxtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/pbxkit/pbxkit/pbx"
)

// voicemail makes sure the fixture mailbox holds a message and returns the
// newest message of its INBOX.
func (s *suite) voicemail(t *testing.T) pbx.Message {
	t.Helper()
	ctx := s.ctx(t)
	box := s.fx.Mailbox
	before, err := s.c.Voicemail().Messages(ctx, box, &pbx.MessageFilter{Folder: pbx.FolderInbox})
	ok(t, err, "Messages")
	err = s.h.World().LeaveVoicemail(ctx, box, pbx.Party{Name: "Conformance", Number: "5550100"})
	world(t, err, "leave voicemail")
	var msg pbx.Message
	s.eventually(t, "the new message in INBOX", func() error {
		after, err := s.c.Voicemail().Messages(ctx, box, &pbx.MessageFilter{Folder: pbx.FolderInbox})
		if err != nil {
			return err
		}
		for _, m := range after {
			if !slices.ContainsFunc(before, func(b pbx.Message) bool { return b.ID == m.ID }) {
				msg = m
				return nil
			}
		}
		return fmt.Errorf("INBOX still has the %d old messages", len(after))
	})
	if s.cap.Has(pbx.CapVoicemailWrite) {
		t.Cleanup(func() { _ = s.c.Voicemail().Delete(context.Background(), box, msg.ID) })
	}
	return msg
}

func (s *suite) testVoicemail(t *testing.T) {
	t.Run("MailboxesIncludeFixture", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail)
		boxes, err := s.c.Voicemail().Mailboxes(s.ctx(t))
		ok(t, err, "Mailboxes")
		if !slices.ContainsFunc(boxes, func(b pbx.Mailbox) bool { return b.ID == s.fx.Mailbox }) {
			t.Fatalf("Mailboxes lacks %s", s.fx.Mailbox)
		}
	})

	t.Run("MailboxMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail)
		_, err := s.c.Voicemail().Mailbox(s.ctx(t), pbx.MailboxID(s.fx.Missing))
		wantCode(t, err, pbx.NotFound, "Mailbox missing")
		_, err = s.c.Voicemail().Messages(s.ctx(t), pbx.MailboxID(s.fx.Missing), nil)
		wantCode(t, err, pbx.NotFound, "Messages of a missing mailbox")
	})

	t.Run("NewMessageUpdatesCounts", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail)
		ctx := s.ctx(t)
		before, err := s.c.Voicemail().Mailbox(ctx, s.fx.Mailbox)
		ok(t, err, "Mailbox")
		var sub *pbx.Subscription
		if s.cap.Has(pbx.CapEvents) {
			sub = s.subscribe(t, s.c, &pbx.EventFilter{Mailboxes: []pbx.MailboxID{s.fx.Mailbox}})
		}
		msg := s.voicemail(t)
		if msg.Folder != pbx.FolderInbox || msg.Mailbox != s.fx.Mailbox || msg.Time.IsZero() {
			t.Errorf("new message %+v: want it in %s's INBOX with a time", msg, s.fx.Mailbox)
		}
		after, err := s.c.Voicemail().Mailbox(ctx, s.fx.Mailbox)
		ok(t, err, "Mailbox")
		if after.Counts.New != before.Counts.New+1 {
			t.Errorf("new count went from %d to %d", before.Counts.New, after.Counts.New)
		}
		if sub != nil {
			waitFor(t, s, sub, "MailboxChanged", func(e *pbx.MailboxChanged) bool { return e.Counts.New == after.Counts.New })
		}
	})

	t.Run("MessagesFilterByFolder", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail)
		s.voicemail(t)
		ctx := s.ctx(t)
		all, err := s.c.Voicemail().Messages(ctx, s.fx.Mailbox, nil)
		ok(t, err, "Messages")
		inbox, err := s.c.Voicemail().Messages(ctx, s.fx.Mailbox, &pbx.MessageFilter{Folder: pbx.FolderInbox})
		ok(t, err, "Messages INBOX")
		if len(inbox) == 0 || len(inbox) > len(all) {
			t.Fatalf("INBOX has %d messages, all folders %d", len(inbox), len(all))
		}
		for i, m := range inbox {
			if m.Folder != pbx.FolderInbox {
				t.Errorf("INBOX listing holds a message in %s", m.Folder)
			}
			if m.Number != i {
				t.Errorf("INBOX message %d has number %d", i, m.Number)
			}
		}
	})

	t.Run("AudioIsWAV", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail)
		msg := s.voicemail(t)
		a, err := s.c.Voicemail().Audio(s.ctx(t), s.fx.Mailbox, msg.ID)
		ok(t, err, "Audio")
		defer a.Close()
		data, err := io.ReadAll(a)
		ok(t, err, "reading audio")
		if !strings.HasPrefix(a.ContentType, "audio/") {
			t.Errorf("audio content type %q", a.ContentType)
		}
		if a.ContentType == "audio/wav" && (len(data) < 44 || !bytes.Equal(data[:4], []byte("RIFF")) || !bytes.Equal(data[8:12], []byte("WAVE"))) {
			t.Errorf("audio/wav data does not start with a RIFF/WAVE header")
		}
		if a.Size >= 0 && int64(len(data)) != a.Size {
			t.Errorf("audio is %d bytes, Size says %d", len(data), a.Size)
		}
	})

	for _, bad := range []pbx.Folder{"../x", "INBOX/../../etc", "inbox ", "Trash"} {
		t.Run("InvalidFolder/"+string(bad), func(t *testing.T) {
			s.need(t, pbx.CapVoicemail)
			_, err := s.c.Voicemail().Messages(s.ctx(t), s.fx.Mailbox, &pbx.MessageFilter{Folder: bad})
			wantCode(t, err, pbx.InvalidArgument, "Messages in folder "+string(bad))
			if s.cap.Has(pbx.CapVoicemailWrite) {
				_, err = s.c.Voicemail().Move(s.ctx(t), s.fx.Mailbox, "anymessage", bad)
				wantCode(t, err, pbx.InvalidArgument, "Move to folder "+string(bad))
			}
		})
	}

	t.Run("InvalidMessageID", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail)
		_, err := s.c.Voicemail().Audio(s.ctx(t), s.fx.Mailbox, "../../../etc/passwd")
		wantCode(t, err, pbx.InvalidArgument, "Audio with a path")
	})

	t.Run("MissingMessageIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail)
		_, err := s.c.Voicemail().Audio(s.ctx(t), s.fx.Mailbox, "nosuchmessage")
		wantCode(t, err, pbx.NotFound, "Audio of a missing message")
		_, err = s.c.Voicemail().Message(s.ctx(t), s.fx.Mailbox, "nosuchmessage")
		wantCode(t, err, pbx.NotFound, "Message missing")
	})

	t.Run("MoveKeepsIDAndRenumbers", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail, pbx.CapVoicemailWrite)
		ctx := s.ctx(t)
		msg := s.voicemail(t)
		before, err := s.c.Voicemail().Mailbox(ctx, s.fx.Mailbox)
		ok(t, err, "Mailbox")
		moved, err := s.c.Voicemail().Move(ctx, s.fx.Mailbox, msg.ID, pbx.FolderOld)
		ok(t, err, "Move")
		if moved.ID != msg.ID || moved.Folder != pbx.FolderOld {
			t.Fatalf("Move returned %+v: want ID %s in Old", moved, msg.ID)
		}
		old, err := s.c.Voicemail().Messages(ctx, s.fx.Mailbox, &pbx.MessageFilter{Folder: pbx.FolderOld})
		ok(t, err, "Messages Old")
		if !slices.ContainsFunc(old, func(m pbx.Message) bool { return m.ID == msg.ID && m.Number == moved.Number }) {
			t.Fatalf("Old lacks the moved message with number %d", moved.Number)
		}
		after, err := s.c.Voicemail().Mailbox(ctx, s.fx.Mailbox)
		ok(t, err, "Mailbox")
		if after.Counts.New != before.Counts.New-1 || after.Counts.Old != before.Counts.Old+1 {
			t.Errorf("counts went from %+v to %+v after moving INBOX to Old", before.Counts, after.Counts)
		}
		// A PBX may not have the folder (FreeSWITCH's mod_voicemail keeps
		// messages new or saved only): the move must then fail with
		// Unsupported, and the message goes back to INBOX instead.
		to := pbx.FolderWork
		if s.fx.VoicemailFolders != nil && !slices.Contains(s.fx.VoicemailFolders, to) {
			_, err := s.c.Voicemail().Move(ctx, s.fx.Mailbox, msg.ID, to)
			wantCode(t, err, pbx.Unsupported, "Move to a folder the PBX lacks")
			to = pbx.FolderInbox
		}
		back, err := s.c.Voicemail().Move(ctx, s.fx.Mailbox, msg.ID, to)
		ok(t, err, "Move to "+string(to))
		if back.ID != msg.ID || back.Folder != to {
			t.Fatalf("second Move returned %+v, want the message in %s", back, to)
		}
		ok(t, s.c.Voicemail().Delete(ctx, s.fx.Mailbox, msg.ID), "Delete")
	})

	t.Run("DeleteRemovesMessage", func(t *testing.T) {
		s.need(t, pbx.CapVoicemail, pbx.CapVoicemailWrite)
		ctx := s.ctx(t)
		msg := s.voicemail(t)
		var sub *pbx.Subscription
		if s.cap.Has(pbx.CapEvents) {
			sub = s.subscribe(t, s.c, &pbx.EventFilter{Mailboxes: []pbx.MailboxID{s.fx.Mailbox}, Kinds: []pbx.EventKind{pbx.KindMailboxChanged}})
		}
		ok(t, s.c.Voicemail().Delete(ctx, s.fx.Mailbox, msg.ID), "Delete")
		_, err := s.c.Voicemail().Message(ctx, s.fx.Mailbox, msg.ID)
		wantCode(t, err, pbx.NotFound, "Message after Delete")
		wantCode(t, s.c.Voicemail().Delete(ctx, s.fx.Mailbox, msg.ID), pbx.NotFound, "second Delete")
		if sub != nil {
			waitFor[*pbx.MailboxChanged](t, s, sub, "MailboxChanged", nil)
		}
		inbox, err := s.c.Voicemail().Messages(ctx, s.fx.Mailbox, &pbx.MessageFilter{Folder: pbx.FolderInbox})
		ok(t, err, "Messages")
		for i, m := range inbox {
			if m.Number != i {
				t.Errorf("after Delete, INBOX message %d has number %d: not renumbered", i, m.Number)
			}
		}
	})
}
