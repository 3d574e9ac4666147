package pbx

import (
	"context"
	"slices"
)

// QueueService reads queues and manages their members. Get it from
// [Client.Queues]; it is safe for concurrent use.
type QueueService struct{ c *Client }

func (s *QueueService) backend() QueueBackend { return s.c.b.(QueueBackend) }

// List returns every queue with its members and callers, ordered by ID.
func (s *QueueService) List(ctx context.Context) ([]Queue, error) {
	r := request{op: "Queues.List", need: CapQueues, read: true}
	qs, err := run(ctx, s.c, r, nil, func(ctx context.Context) ([]Queue, error) {
		return s.backend().Queues(ctx)
	})
	slices.SortFunc(qs, func(a, b Queue) int { return compareNumbers(string(a.ID), string(b.ID)) })
	return nonNil(qs, err)
}

// Get returns one queue, or fails with ErrNotFound.
func (s *QueueService) Get(ctx context.Context, id QueueID) (*Queue, error) {
	r := request{op: "Queues.Get", id: string(id), need: CapQueues, read: true}
	return run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (*Queue, error) {
		return s.backend().Queue(ctx, id)
	})
}

// AddMember adds a member to a queue (m.Interface, and optionally Name,
// Penalty and Paused); ErrAlreadyExists if it is a member already.
func (s *QueueService) AddMember(ctx context.Context, id QueueID, m QueueMember) error {
	r := request{op: "Queues.AddMember", id: m.Interface, need: CapQueueMembers}
	err := firstErr(id.Validate(), ValidateEndpoint(m.Interface), ValidateText("member name", m.Name, 80),
		ValidateText("pause reason", m.PauseReason, 80))
	if err == nil && (m.Penalty < 0 || m.Penalty > 1000) {
		err = invalidf("penalty %d out of range 0..1000", m.Penalty)
	}
	return exec(ctx, s.c, r, err, func(ctx context.Context) error {
		return s.backend().AddMember(ctx, id, &m)
	})
}

// RemoveMember removes a member, or fails with ErrNotFound.
func (s *QueueService) RemoveMember(ctx context.Context, id QueueID, iface string) error {
	r := request{op: "Queues.RemoveMember", id: iface, need: CapQueueMembers}
	return exec(ctx, s.c, r, firstErr(id.Validate(), ValidateEndpoint(iface)), func(ctx context.Context) error {
		return s.backend().RemoveMember(ctx, id, iface)
	})
}

// PauseMember pauses (paused true) or unpauses a member, with an optional
// reason.
func (s *QueueService) PauseMember(ctx context.Context, id QueueID, iface string, paused bool, reason string) error {
	r := request{op: "Queues.PauseMember", id: iface, need: CapQueueMembers}
	err := firstErr(id.Validate(), ValidateEndpoint(iface), ValidateText("pause reason", reason, 80))
	return exec(ctx, s.c, r, err, func(ctx context.Context) error {
		return s.backend().PauseMember(ctx, id, iface, paused, reason)
	})
}
