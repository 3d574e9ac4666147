package ami

import (
	"context"
	"iter"

	"github.com/pbxkit/pbxkit/internal/evq"
)

// State is the state of a Conn's connection, as reported to subscribers.
type State int

// Connection states. A Subscription reports StateConnected or
// StateDisconnected first (the state when it was made), then each change.
const (
	// StateNone marks an Event that carries an AMI event, not a state change.
	StateNone State = iota
	// StateConnected: the Conn is logged in.
	StateConnected
	// StateDisconnected: the connection was lost; Event.Err says why. The
	// Conn is reconnecting. Events sent by the server meanwhile are lost.
	StateDisconnected
	// StateReconnected: the Conn is logged in again after a loss.
	StateReconnected
	// StateClosed: the Conn was closed; it is the Subscription's last item.
	StateClosed
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateNone:
		return "none"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateReconnected:
		return "reconnected"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// Event is one item delivered by a Subscription: either an AMI event
// (Message is set) or a connection state change (State is set).
type Event struct {
	// Message is the AMI event, or nil for a state change. It is shared
	// with other subscribers: treat it as read-only.
	Message *Message
	// State is the new connection state, or StateNone for an AMI event.
	State State
	// Err is why the connection was lost (StateDisconnected only).
	Err error
	// Dropped is the number of items this subscriber lost, because its
	// queue was full, just before this one. It is 0 when nothing was lost.
	Dropped uint64
}

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
