package pbx

import (
	"context"
	"slices"
	"time"
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

func (s *QueueService) configBackend() QueueConfigBackend { return s.c.b.(QueueConfigBackend) }

// Configs lists the provisioned queues (their configuration, not their live
// state), ordered by ID.
func (s *QueueService) Configs(ctx context.Context) ([]QueueConfig, error) {
	r := request{op: "Queues.Configs", need: CapQueuesWrite, read: true}
	qs, err := run(ctx, s.c, r, nil, func(ctx context.Context) ([]QueueConfig, error) {
		return s.configBackend().QueueConfigs(ctx)
	})
	slices.SortFunc(qs, func(a, b QueueConfig) int { return compareNumbers(string(a.ID), string(b.ID)) })
	return nonNil(qs, err)
}

// Config returns one queue's configuration, or fails with ErrNotFound.
func (s *QueueService) Config(ctx context.Context, id QueueID) (*QueueConfig, error) {
	r := request{op: "Queues.Config", id: string(id), need: CapQueuesWrite, read: true}
	return run(ctx, s.c, r, id.Validate(), func(ctx context.Context) (*QueueConfig, error) {
		qs, err := s.configBackend().QueueConfigs(ctx)
		if err != nil {
			return nil, err
		}
		for i := range qs {
			if qs[i].ID == id {
				return &qs[i], nil
			}
		}
		return nil, Errorf(NotFound, "no queue %s", id)
	})
}

// Create provisions a queue; ErrAlreadyExists if the name is taken.
func (s *QueueService) Create(ctx context.Context, q QueueConfig) error {
	r := request{op: "Queues.Create", id: string(q.ID), need: CapQueuesWrite}
	q.Members = slices.Clone(q.Members)
	return exec(ctx, s.c, r, validateQueueConfig(&q), func(ctx context.Context) error {
		return s.configBackend().CreateQueue(ctx, &q)
	})
}

// Update replaces a queue's configuration; ErrNotFound if there is none.
func (s *QueueService) Update(ctx context.Context, q QueueConfig) error {
	r := request{op: "Queues.Update", id: string(q.ID), need: CapQueuesWrite}
	q.Members = slices.Clone(q.Members)
	return exec(ctx, s.c, r, validateQueueConfig(&q), func(ctx context.Context) error {
		return s.configBackend().UpdateQueue(ctx, &q)
	})
}

// Delete removes a queue; ErrNotFound if there is none.
func (s *QueueService) Delete(ctx context.Context, id QueueID) error {
	r := request{op: "Queues.Delete", id: string(id), need: CapQueuesWrite}
	return exec(ctx, s.c, r, id.Validate(), func(ctx context.Context) error {
		return s.configBackend().DeleteQueue(ctx, id)
	})
}

func validateQueueConfig(q *QueueConfig) error {
	err := firstErr(q.ID.Validate(), ValidateText("queue name", q.Name, 35))
	switch {
	case err != nil:
	case q.Strategy <= StrategyUnknown || q.Strategy > StrategyWeightedRandom:
		err = invalidf("unknown queue strategy %d", int(q.Strategy))
	case q.RingTimeout < 0 || q.RingTimeout > 10*time.Minute, q.MaxWait < 0 || q.MaxWait > 24*time.Hour:
		err = invalidf("queue timeouts out of range")
	case q.MaxCallers < 0 || q.MaxCallers > 10000:
		err = invalidf("max callers %d out of range 0..10000", q.MaxCallers)
	case len(q.Members) > 200:
		err = invalidf("%d static members, more than 200", len(q.Members))
	}
	for _, m := range q.Members {
		if err == nil {
			err = ValidateEndpoint(m.Interface)
		}
		if err == nil && (m.Penalty < 0 || m.Penalty > 1000) {
			err = invalidf("penalty %d out of range 0..1000", m.Penalty)
		}
	}
	return err
}
