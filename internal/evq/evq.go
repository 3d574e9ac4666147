// Package evq is the queue behind the transports' subscriptions (ami, ari,
// esl): bounded and ordered, with one producer that never waits and one
// consumer. When the queue is full an item is dropped and counted, and the
// next item queued is told how many were lost before it. A reserve of
// slots is kept for priority items (connection state changes), which are
// never dropped while it lasts.
package evq

import (
	"context"
	"errors"
	"iter"
	"sync"
	"sync/atomic"
)

// ErrClosed is returned by Next once the queue is closed (and drained, if
// it was ended by the producer).
var ErrClosed = errors.New("evq: queue closed")

// Queue is a bounded FIFO of T. It is safe for concurrent use, but items
// reach the consumer in order only when one goroutine consumes.
type Queue[T any] struct {
	size int

	mu      sync.Mutex
	ring    []T
	head, n int
	gap     uint64
	closed  bool // nothing more will be queued
	discard bool // closed by the consumer: Next returns ErrClosed at once

	dropped atomic.Uint64
	wake    chan struct{}
}

// New returns a queue of size items, plus reserve slots that only priority
// items may use.
func New[T any](size, reserve int) *Queue[T] {
	return &Queue[T]{size: size, ring: make([]T, size+reserve), wake: make(chan struct{}, 1)}
}

// Push queues item (priority items may use the reserve) and calls mark on
// the queued copy with the number of items dropped since the previous one
// was queued. It reports whether the queue is at least half full, a hint
// for the producer to yield the processor to the consumer; Push never
// waits.
func (q *Queue[T]) Push(item T, priority bool, mark func(*T, uint64)) (filling bool) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	limit := q.size
	if priority {
		limit = len(q.ring)
	}
	if q.n >= limit {
		q.gap++
		q.mu.Unlock()
		q.dropped.Add(1)
		return false
	}
	i := q.head + q.n
	if i >= len(q.ring) {
		i -= len(q.ring)
	}
	q.ring[i] = item
	mark(&q.ring[i], q.gap)
	q.gap = 0
	q.n++
	filling = q.n >= q.size/2
	q.mu.Unlock()
	q.signal()
	return filling
}

func (q *Queue[T]) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// End stops the queue after its last item: Next drains it, then returns
// ErrClosed.
func (q *Queue[T]) End() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

// Next returns the next item, waiting for one until ctx is done.
func (q *Queue[T]) Next(ctx context.Context) (T, error) {
	var zero T
	for {
		q.mu.Lock()
		if q.discard {
			q.mu.Unlock()
			return zero, ErrClosed
		}
		if q.n > 0 {
			item := q.ring[q.head]
			q.ring[q.head] = zero
			q.head++
			if q.head == len(q.ring) {
				q.head = 0
			}
			q.n--
			q.mu.Unlock()
			return item, nil
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return zero, ErrClosed
		}
		select {
		case <-q.wake:
		case <-ctx.Done():
			return zero, ctx.Err()
		}
	}
}

// All returns an iterator over the items, as Next returns them. It ends
// without an error once the queue is closed, and yields ctx's error once if
// ctx ends first.
func (q *Queue[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			item, err := q.Next(ctx)
			if err == ErrClosed {
				return
			}
			if !yield(item, err) || err != nil {
				return
			}
		}
	}
}

// Dropped returns how many items have been dropped in total.
func (q *Queue[T]) Dropped() uint64 { return q.dropped.Load() }

// Len returns the number of queued items.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// Close discards the queued items; Next returns ErrClosed from now on.
// Close is idempotent.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.discard = true
	clear(q.ring)
	q.n = 0
	q.mu.Unlock()
	q.signal()
}
