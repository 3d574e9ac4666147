package pbx

import (
	"context"
	"iter"
	"slices"
	"sync"
	"time"
)

// EventFilter selects events. Each non-empty field must match (an event about
// an extension in Extensions, of a kind in Kinds, ...); within a field any
// value matches. The zero filter selects every event. BackendDisconnected,
// BackendReconnected and EventsDropped are about the stream itself and are
// always delivered.
//
// AnyOf selects what one of several filters selects, in one ordered
// stream: a user's extension or the rooms they are in, say, where two
// subscriptions would lose the order between their events.
type EventFilter struct {
	Kinds       []EventKind
	Extensions  []ExtensionID
	Calls       []CallID // a leg's ID or its linked ID
	Mailboxes   []MailboxID
	Conferences []ConferenceID
	Queues      []QueueID
	// AnyOf, if not empty, must also match: at least one of its filters
	// selects the event. Its filters may not have an AnyOf of their own.
	AnyOf []EventFilter
}

// Match reports whether the filter selects e.
func (f *EventFilter) Match(e Event) bool {
	if f == nil {
		return true
	}
	s := e.scope()
	if s.lifecycle {
		return true
	}
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, e.Kind()) {
		return false
	}
	if len(f.Extensions) > 0 && !(containsNonEmpty(f.Extensions, s.exts[0]) || containsNonEmpty(f.Extensions, s.exts[1])) {
		return false
	}
	if len(f.Calls) > 0 && !(containsNonEmpty(f.Calls, s.call) || containsNonEmpty(f.Calls, s.linked)) {
		return false
	}
	if len(f.Mailboxes) > 0 && !containsNonEmpty(f.Mailboxes, s.mailbox) {
		return false
	}
	if len(f.Conferences) > 0 && !containsNonEmpty(f.Conferences, s.conference) {
		return false
	}
	if len(f.Queues) > 0 && !containsNonEmpty(f.Queues, s.queue) {
		return false
	}
	return len(f.AnyOf) == 0 || slices.ContainsFunc(f.AnyOf, func(g EventFilter) bool { return g.Match(e) })
}

func containsNonEmpty[T ~string](set []T, v T) bool {
	return v != "" && slices.Contains(set, v)
}

func (f *EventFilter) validate() error {
	for i := range f.AnyOf {
		if len(f.AnyOf[i].AnyOf) > 0 {
			return invalidf("event filter: AnyOf nested in AnyOf")
		}
		if err := f.AnyOf[i].validate(); err != nil {
			return err
		}
	}
	for _, k := range f.Kinds {
		if k <= KindUnknown || k >= numEventKinds {
			return invalidf("unknown event kind %d", int(k))
		}
	}
	for _, id := range f.Extensions {
		if err := id.Validate(); err != nil {
			return err
		}
	}
	for _, id := range f.Calls {
		if err := id.Validate(); err != nil {
			return err
		}
	}
	for _, id := range f.Mailboxes {
		if err := id.Validate(); err != nil {
			return err
		}
	}
	for _, id := range f.Conferences {
		if err := id.Validate(); err != nil {
			return err
		}
	}
	for _, id := range f.Queues {
		if err := id.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// clone returns a deep copy, so that the caller may reuse its slices.
func (f *EventFilter) clone() EventFilter {
	if f == nil {
		return EventFilter{}
	}
	return EventFilter{
		Kinds:       slices.Clone(f.Kinds),
		Extensions:  slices.Clone(f.Extensions),
		Calls:       slices.Clone(f.Calls),
		Mailboxes:   slices.Clone(f.Mailboxes),
		Conferences: slices.Clone(f.Conferences),
		Queues:      slices.Clone(f.Queues),
		AnyOf:       cloneFilters(f.AnyOf),
	}
}

func cloneFilters(fs []EventFilter) []EventFilter {
	if fs == nil {
		return nil
	}
	out := make([]EventFilter, len(fs))
	for i := range fs {
		out[i] = fs[i].clone()
	}
	return out
}

// SubscribeOptions tunes a subscription. The zero value is the default.
type SubscribeOptions struct {
	// Buffer is how many events may wait for Next; 0 means 256. When the
	// buffer is full the oldest event is dropped, and Next reports the drops
	// with one EventsDropped before the next event it returns.
	Buffer int
}

const defaultBuffer = 256

// Subscription is a stream of events, pulled with Next or All. Next must not
// be called from two goroutines at once; Close may be called from any
// goroutine, at any time, more than once.
type Subscription struct {
	hub    *hub
	filter EventFilter

	mu      sync.Mutex
	ring    []Event
	head    int
	count   int
	dropped int
	closed  bool
	wake    chan struct{} // one token: "something changed"
}

// push adds e, dropping the oldest event if the buffer is full. It never blocks.
func (s *Subscription) push(e Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.count == len(s.ring) {
		s.ring[s.head] = nil
		s.head = (s.head + 1) % len(s.ring)
		s.count--
		s.dropped++
	}
	s.ring[(s.head+s.count)%len(s.ring)] = e
	s.count++
	s.mu.Unlock()
	s.signal()
}

func (s *Subscription) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Next returns the next event, waiting until one arrives, ctx is done or the
// subscription is closed. After Close (of the subscription or its client) it
// returns the events still buffered, then [ErrClosed]. A canceled ctx leaves
// the subscription usable.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		s.mu.Lock()
		if s.dropped > 0 {
			n := s.dropped
			s.dropped = 0
			s.mu.Unlock()
			e := &EventsDropped{Count: n}
			e.Time = s.hub.now()
			e.Backend = s.hub.backend
			return e, nil
		}
		if s.count > 0 {
			e := s.ring[s.head]
			s.ring[s.head] = nil
			s.head = (s.head + 1) % len(s.ring)
			s.count--
			s.mu.Unlock()
			return e, nil
		}
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, &Error{Code: Code(err), Op: "Subscription.Next", Backend: s.hub.backend, Err: err}
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
		}
	}
}

// All returns an iterator over the events, for use with range. The iteration
// ends when the loop breaks, or after yielding the error that ends the
// subscription (ErrClosed, or ctx's error).
func (s *Subscription) All(ctx context.Context) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		for {
			e, err := s.Next(ctx)
			if !yield(e, err) || err != nil {
				return
			}
		}
	}
}

// Close ends the subscription. Events already buffered can still be read.
func (s *Subscription) Close() error {
	s.hub.remove(s)
	s.close()
	return nil
}

func (s *Subscription) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.signal()
}

// hub numbers events and fans them out to subscriptions. It is the
// EventSink given to the backend.
type hub struct {
	backend string
	now     func() time.Time

	mu     sync.Mutex
	seq    uint64
	subs   []*Subscription
	closed bool
}

// Publish numbers e and hands it to every matching subscription, never blocking.
func (h *hub) Publish(e Event) {
	if e == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	h.seq++
	hd := e.Header()
	hd.Seq = h.seq
	if hd.Time.IsZero() {
		hd.Time = h.now()
	}
	hd.Backend = h.backend
	for _, s := range h.subs {
		if s.filter.Match(e) {
			s.push(e)
		}
	}
}

func (h *hub) add(f EventFilter, buffer int) (*Subscription, error) {
	if buffer <= 0 {
		buffer = defaultBuffer
	}
	s := &Subscription{hub: h, filter: f, ring: make([]Event, buffer), wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	h.subs = append(h.subs, s)
	return s, nil
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i := slices.Index(h.subs, s); i >= 0 {
		h.subs = slices.Delete(h.subs, i, i+1)
	}
}

func (h *hub) close() {
	h.mu.Lock()
	subs := h.subs
	h.subs = nil
	h.closed = true
	h.mu.Unlock()
	for _, s := range subs {
		s.close()
	}
}
