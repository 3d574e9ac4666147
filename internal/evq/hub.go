package evq

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Hub fans one producer's items out to a set of queues, and keeps the
// connection state item that each new queue starts with. Broadcast never
// takes a lock; state changes and membership changes are serialised, so
// every queue sees the state changes in order and starts with the state
// that was current when it joined.
type Hub[T any] struct {
	reserve int
	mark    func(*T, uint64)

	mu     sync.Mutex
	queues atomic.Pointer[[]*Queue[T]]
	state  T    // guarded by mu
	closed bool // guarded by mu
}

// NewHub returns a hub whose queues keep reserve slots for state items and
// call mark on an item with the number of items dropped before it. Its
// state is initial until SetState.
func NewHub[T any](reserve int, mark func(*T, uint64), initial T) *Hub[T] {
	return &Hub[T]{reserve: reserve, mark: mark, state: initial}
}

// Subscribe returns a new queue of size items (plus the reserve) whose
// first item is the current state. On a closed hub the queue is already
// ended and empty.
func (h *Hub[T]) Subscribe(size int) *Queue[T] {
	q := New[T](size, h.reserve)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		q.End()
		return q
	}
	q.Push(h.state, true, h.mark)
	var next []*Queue[T]
	if old := h.queues.Load(); old != nil {
		next = append(next, *old...)
	}
	next = append(next, q)
	h.queues.Store(&next)
	return q
}

// Unsubscribe removes q from the hub and closes it.
func (h *Hub[T]) Unsubscribe(q *Queue[T]) {
	h.mu.Lock()
	if old := h.queues.Load(); old != nil {
		next := make([]*Queue[T], 0, len(*old))
		for _, x := range *old {
			if x != q {
				next = append(next, x)
			}
		}
		h.queues.Store(&next)
	}
	h.mu.Unlock()
	q.Close()
}

// Broadcast queues item on every queue; it never waits. When a queue is
// at least half full it yields the processor, so that its consumer runs now
// rather than at the end of the producer's time slice: on one processor
// this is what keeps a consumer that is merely slower than the producer
// from losing items during a burst. A consumer that does not read still
// loses them.
func (h *Hub[T]) Broadcast(item T) {
	qs := h.queues.Load()
	if qs == nil {
		return
	}
	filling := false
	for _, q := range *qs {
		if q.Push(item, false, h.mark) {
			filling = true
		}
	}
	if filling {
		runtime.Gosched()
	}
}

// SetState queues change on every queue, using the reserve if need be, and
// makes current the state that State returns and that new queues start
// with (the two differ when a transition, such as a reconnection, is
// reported to those who saw it but summarised for newcomers). When final
// is true the hub closes: every queue ends after change, and later
// subscribers get an ended queue.
func (h *Hub[T]) SetState(change, current T, final bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.state = current
	qs := h.queues.Load()
	if final {
		h.closed = true
		h.queues.Store(nil)
	}
	if qs == nil {
		return
	}
	for _, q := range *qs {
		q.Push(change, true, h.mark)
		if final {
			q.End()
		}
	}
}

// State returns the current state item.
func (h *Hub[T]) State() T {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}
