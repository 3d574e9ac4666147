package esl

import (
	"context"
	"iter"
	"sync"
	"sync/atomic"
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
	c    *Conn
	size int

	mu      sync.Mutex
	ring    []Event
	head, n int
	gap     uint64
	closed  bool // nothing more will be queued
	discard bool // closed by the consumer: Next returns ErrClosed at once

	dropped atomic.Uint64
	wake    chan struct{}
}

func newSubscription(c *Conn, size int) *Subscription {
	return &Subscription{
		c:    c,
		size: size,
		ring: make([]Event, size+statesReserve),
		wake: make(chan struct{}, 1),
	}
}

// push queues ev; state changes may use the reserved room. It reports
// whether the queue is at least half full (and not full), a hint for the
// reader to yield the processor to the consumer; the reader never waits
// for it.
func (s *Subscription) push(ev *Event) (filling bool) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	limit := s.size
	if ev.State != StateNone {
		limit = len(s.ring)
	}
	if s.n >= limit {
		s.gap++
		s.mu.Unlock()
		s.dropped.Add(1)
		return false
	}
	i := s.head + s.n
	if i >= len(s.ring) {
		i -= len(s.ring)
	}
	s.ring[i] = *ev
	s.ring[i].Dropped = s.gap
	s.gap = 0
	s.n++
	filling = s.n >= s.size/2
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return filling
}

// end stops the queue after its last item; Next drains it, then returns
// ErrClosed.
func (s *Subscription) end() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Next returns the next item, waiting for one until ctx is done. After the
// Subscription or its Conn is closed (and, for the Conn, once the queue is
// drained: its last item has State StateClosed), Next returns ErrClosed.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if s.discard {
			s.mu.Unlock()
			return Event{}, ErrClosed
		}
		if s.n > 0 {
			ev := s.ring[s.head]
			s.ring[s.head] = Event{}
			s.head++
			if s.head == len(s.ring) {
				s.head = 0
			}
			s.n--
			s.mu.Unlock()
			return ev, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		}
	}
}

// All returns an iterator over the items, as Next returns them. It ends
// without an error after the Subscription or its Conn is closed, and yields
// ctx's error once if ctx ends first.
func (s *Subscription) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			ev, err := s.Next(ctx)
			if err == ErrClosed {
				return
			}
			if !yield(ev, err) || err != nil {
				return
			}
		}
	}
}

// Dropped returns how many items this subscriber has lost in total because
// its queue was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Len returns the number of queued items.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// Close stops the Subscription: queued items are discarded, and Next returns
// ErrClosed. Close is idempotent.
func (s *Subscription) Close() {
	s.c.unsubscribe(s)
	s.mu.Lock()
	s.closed = true
	s.discard = true
	clear(s.ring)
	s.n = 0
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
