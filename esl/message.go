package esl

import (
	"strconv"
	"strings"
)

// Header is one "Name: value" line of an event, in wire order. For events
// in the plain format the value is URL-decoded.
type Header struct {
	Name  string
	Value string
}

// State is the state of a Conn's connection, as reported to subscribers.
type State int

// Connection states. A Subscription reports StateConnected or
// StateDisconnected first (the state when it was made), then each change.
const (
	// StateNone marks an Event that carries a FreeSWITCH event, not a state
	// change.
	StateNone State = iota
	// StateConnected: the Conn is authenticated and subscribed.
	StateConnected
	// StateDisconnected: the connection was lost (Event.Err says why) and
	// the Conn is reconnecting. Events fired by FreeSWITCH meanwhile are
	// lost.
	StateDisconnected
	// StateReconnected: the Conn is authenticated and subscribed again
	// after a loss.
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

// Event is one item delivered by a Subscription: either a FreeSWITCH event
// (Headers is set, State is StateNone) or a connection state change (State
// is set, Headers is nil).
//
// An Event is shared by every subscriber that receives it: its Headers
// slice must be treated as read-only (Clone gives a private copy).
type Event struct {
	// Headers are the event's headers in wire order. For the plain format
	// the values are URL-decoded; for the JSON format they are the JSON
	// strings (an array header appears once per element, in order).
	Headers []Header
	// Body is the event's inner body (the result of a BACKGROUND_JOB, the
	// text of a MESSAGE, ...), without its Content-Length header, or "".
	Body string
	// Subclass is the Event-Subclass header (such as
	// "conference::maintenance" for CUSTOM events), or "".
	Subclass string
	// Seq is the Event-Sequence header, FreeSWITCH's global event counter,
	// or 0 when absent or not a number.
	Seq uint64

	// State is the new connection state, or StateNone for an event.
	State State
	// Err is why the connection was lost (StateDisconnected only).
	Err error
	// Dropped is the number of items this subscriber lost, because its
	// queue was full, just before this one. It is 0 when nothing was lost.
	Dropped uint64

	name string
}

// Name returns the Event-Name header ("CHANNEL_CREATE", "CUSTOM", ...), or
// "" for a state change.
func (e Event) Name() string { return e.name }

// Lookup returns the first value of the header name (compared without
// regard to case, as FreeSWITCH does) and whether it exists.
func (e Event) Lookup(name string) (string, bool) {
	for i := range e.Headers {
		h := &e.Headers[i]
		if len(h.Name) == len(name) && (h.Name == name || strings.EqualFold(h.Name, name)) {
			return h.Value, true
		}
	}
	return "", false
}

// Get returns the first value of the header name, or "".
func (e Event) Get(name string) string {
	v, _ := e.Lookup(name)
	return v
}

// Values returns every value of the header name, in wire order.
func (e Event) Values(name string) []string {
	var out []string
	for i := range e.Headers {
		if strings.EqualFold(e.Headers[i].Name, name) {
			out = append(out, e.Headers[i].Value)
		}
	}
	return out
}

// UniqueID returns the Unique-ID header, the UUID of the channel the event
// is about, or "".
func (e Event) UniqueID() string { return e.Get("Unique-ID") }

// Clone returns a copy of e whose Headers slice is private.
func (e Event) Clone() Event {
	c := e
	if e.Headers != nil {
		c.Headers = append([]Header(nil), e.Headers...)
	}
	return c
}

// String returns the event in a readable, plain-like form (values are not
// URL-encoded); meant for logs and test failures.
func (e Event) String() string {
	if e.State != StateNone {
		if e.Err != nil {
			return "state " + e.State.String() + ": " + e.Err.Error()
		}
		return "state " + e.State.String()
	}
	var b strings.Builder
	for _, h := range e.Headers {
		b.WriteString(h.Name)
		b.WriteString(": ")
		b.WriteString(h.Value)
		b.WriteByte('\n')
	}
	if e.Body != "" {
		b.WriteString("Content-Length: ")
		b.WriteString(strconv.Itoa(len(e.Body)))
		b.WriteString("\n\n")
		b.WriteString(e.Body)
	}
	return b.String()
}

// fill sets the derived fields from the headers.
func (e *Event) fill() {
	for i := range e.Headers {
		h := &e.Headers[i]
		switch len(h.Name) {
		case len("Event-Name"):
			if e.name == "" && strings.EqualFold(h.Name, "Event-Name") {
				e.name = h.Value
			}
		case len("Event-Sequence"):
			if e.Seq == 0 && strings.EqualFold(h.Name, "Event-Sequence") {
				e.Seq, _ = strconv.ParseUint(h.Value, 10, 64)
			} else if e.Subclass == "" && strings.EqualFold(h.Name, "Event-Subclass") {
				e.Subclass = h.Value
			}
		}
	}
}
