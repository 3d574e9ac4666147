package pbx

import (
	"context"
	"slices"
)

// VoicemailService reads and organises voicemail. Get it from
// [Client.Voicemail]; it is safe for concurrent use.
type VoicemailService struct{ c *Client }

func (s *VoicemailService) backend() VoicemailBackend { return s.c.b.(VoicemailBackend) }

// Mailboxes returns every mailbox with its counts.
func (s *VoicemailService) Mailboxes(ctx context.Context) ([]Mailbox, error) {
	r := request{op: "Voicemail.Mailboxes", need: CapVoicemail, read: true}
	boxes, err := run(ctx, s.c, r, nil, func(ctx context.Context) ([]Mailbox, error) {
		return s.backend().Mailboxes(ctx)
	})
	slices.SortFunc(boxes, func(a, b Mailbox) int { return compareNumbers(string(a.ID), string(b.ID)) })
	return nonNil(boxes, err)
}

// Mailbox returns one mailbox with its counts, or fails with ErrNotFound.
func (s *VoicemailService) Mailbox(ctx context.Context, id MailboxID) (*Mailbox, error) {
	r := request{op: "Voicemail.Mailbox", id: string(id), need: CapVoicemail, read: true}
	return run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (*Mailbox, error) {
		return s.backend().Mailbox(ctx, id)
	})
}

// Messages lists a mailbox's messages, ordered by folder then number; f
// (which may be nil) narrows the list to one folder.
func (s *VoicemailService) Messages(ctx context.Context, id MailboxID, f *MessageFilter) ([]Message, error) {
	r := request{op: "Voicemail.Messages", id: string(id), need: CapVoicemail, read: true}
	var folder Folder
	err := id.Validate()
	if f != nil && f.Folder != "" {
		folder = f.Folder
		err = firstErr(err, folder.Validate())
	}
	msgs, err := run(ctx, s.c, r, err, func(ctx context.Context) ([]Message, error) {
		return s.backend().Messages(ctx, id, folder)
	})
	return nonNil(msgs, err)
}

// Message returns one message, or fails with ErrNotFound.
func (s *VoicemailService) Message(ctx context.Context, id MailboxID, msg MessageID) (*Message, error) {
	r := request{op: "Voicemail.Message", id: string(msg), need: CapVoicemail, read: true}
	return run(ctx, s.c, r, firstErr(id.Validate(), msg.Validate()), func(ctx context.Context) (*Message, error) {
		msgs, err := s.backend().Messages(ctx, id, "")
		if err != nil {
			return nil, err
		}
		for i := range msgs {
			if msgs[i].ID == msg {
				return &msgs[i], nil
			}
		}
		return nil, Errorf(NotFound, "no message %s in mailbox %s", msg, id)
	})
}

// Audio opens a message's recording. The caller must close it.
func (s *VoicemailService) Audio(ctx context.Context, id MailboxID, msg MessageID) (*Audio, error) {
	r := request{op: "Voicemail.Audio", id: string(msg), need: CapVoicemail, read: true}
	return run(ctx, s.c, r, firstErr(id.Validate(), msg.Validate()), func(ctx context.Context) (*Audio, error) {
		return s.backend().Audio(ctx, id, msg)
	})
}

// Move moves a message to another folder and returns it as it is there (its
// Number changes; its ID does not). Moving to the folder it is in is a no-op.
// A folder the PBX does not have fails with ErrUnsupported (FreeSWITCH's
// mod_voicemail has INBOX and Old only).
func (s *VoicemailService) Move(ctx context.Context, id MailboxID, msg MessageID, to Folder) (*Message, error) {
	r := request{op: "Voicemail.Move", id: string(msg), need: CapVoicemailWrite}
	return run(ctx, s.c, r, firstErr(id.Validate(), msg.Validate(), to.Validate()), func(ctx context.Context) (*Message, error) {
		return s.backend().MoveMessage(ctx, id, msg, to)
	})
}

// Delete deletes a message, or fails with ErrNotFound.
func (s *VoicemailService) Delete(ctx context.Context, id MailboxID, msg MessageID) error {
	r := request{op: "Voicemail.Delete", id: string(msg), need: CapVoicemailWrite}
	return exec(ctx, s.c, r, firstErr(id.Validate(), msg.Validate()), func(ctx context.Context) error {
		return s.backend().DeleteMessage(ctx, id, msg)
	})
}
