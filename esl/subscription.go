package esl

import (
	"context"
	"iter"

	"github.com/pbxkit/pbxkit/internal/evq"
)

// statesReserve is the room kept in each queue for state changes, which are
// never dropped while there is room left.
const statesReserve = 16

// Subscription is a bounded, ordered queue of the events of one Conn, for
// one consumer. The Conn's reader never waits for a Subscription: when the
// queue is full, an event is dropped and counted, and the next item
// delivered carries the count in Event.Dropped (Dropped gives the total).
//
// Subscriptions survive reconnections. A Subscription is safe for
// concurrent use, but items are delivered in wire order only to a single
// consumer goroutine.
type Subscription struct {
	hub *evq.Hub[Event]
	q   *evq.Queue[Event]
}

func markDropped(ev *Event, n uint64) { ev.Dropped = n }

func newHub() *evq.Hub[Event] { return evq.NewHub(statesReserve, markDropped, Event{}) }

// Next returns the next item, waiting for one until ctx is done. After the
// Subscription or its Conn is closed (and, for the Conn, once the queue is
// drained: its last item has State StateClosed), Next returns ErrClosed.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	ev, err := s.q.Next(ctx)
	if err == evq.ErrClosed {
		err = ErrClosed
	}
	return ev, err
}

// All returns an iterator over the items, as Next returns them. It ends
// without an error after the Subscription or its Conn is closed, and yields
// ctx's error once if ctx ends first.
func (s *Subscription) All(ctx context.Context) iter.Seq2[Event, error] { return s.q.All(ctx) }

// Dropped returns how many items this subscriber has lost in total because
// its queue was full.
func (s *Subscription) Dropped() uint64 { return s.q.Dropped() }

// Len returns the number of queued items.
func (s *Subscription) Len() int { return s.q.Len() }

// Close stops the Subscription: queued items are discarded, and Next returns
// ErrClosed. Close is idempotent.
func (s *Subscription) Close() {
	s.hub.Unsubscribe(s.q)
}
