package ami

import (
	"iter"
	"strings"
)

// Header is one "Key: Value" line of a Message.
type Header struct {
	Key   string
	Value string
}

// Message is one AMI message (an action, a response or an event): an
// ordered list of headers. Keys may repeat (Variable, Output, ChanVariable);
// lookups are case-insensitive, as in Asterisk.
//
// A Message built by the caller (NewAction, Add) is owned by the caller and
// is never modified by this package. A Message received from the server may
// be shared by several subscribers and must be treated as read-only; use
// Clone to get a copy that may be changed. Message is not safe for
// concurrent mutation.
type Message struct {
	headers []Header
}

// NewAction returns a new action message whose first header is
// "Action: name". Add the action's parameters with Add.
func NewAction(name string) *Message {
	h := make([]Header, 1, 8)
	h[0] = Header{Key: "Action", Value: name}
	return &Message{headers: h}
}

// NewMessage returns a message with the given headers, in order. The slice
// is copied.
func NewMessage(headers ...Header) *Message {
	return &Message{headers: append([]Header(nil), headers...)}
}

// Add appends the header "key: value" and returns m, so that calls can be
// chained. Nothing is validated until the message is sent (or Validate is
// called).
func (m *Message) Add(key, value string) *Message {
	m.headers = append(m.headers, Header{Key: key, Value: value})
	return m
}

// Set replaces the value of the first header named key (case-insensitive)
// and removes the other headers of that name; if there is none, it appends
// one. It returns m.
func (m *Message) Set(key, value string) *Message {
	found := false
	out := m.headers[:0]
	for _, h := range m.headers {
		if strings.EqualFold(h.Key, key) {
			if found {
				continue
			}
			found = true
			h.Value = value
		}
		out = append(out, h)
	}
	clear(m.headers[len(out):])
	m.headers = out
	if !found {
		m.headers = append(m.headers, Header{Key: key, Value: value})
	}
	return m
}

// Del removes every header named key (case-insensitive) and returns m.
func (m *Message) Del(key string) *Message {
	out := m.headers[:0]
	for _, h := range m.headers {
		if !strings.EqualFold(h.Key, key) {
			out = append(out, h)
		}
	}
	clear(m.headers[len(out):])
	m.headers = out
	return m
}

// Get returns the value of the first header named key (case-insensitive),
// or "" if there is none.
func (m *Message) Get(key string) string {
	v, _ := m.Lookup(key)
	return v
}

// Lookup returns the value of the first header named key (case-insensitive)
// and whether there is one.
func (m *Message) Lookup(key string) (string, bool) {
	if m == nil {
		return "", false
	}
	for i := range m.headers {
		if len(m.headers[i].Key) == len(key) && strings.EqualFold(m.headers[i].Key, key) {
			return m.headers[i].Value, true
		}
	}
	return "", false
}

// Values returns the values of every header named key (case-insensitive), in
// order, or nil if there is none.
func (m *Message) Values(key string) []string {
	if m == nil {
		return nil
	}
	var out []string
	for i := range m.headers {
		if len(m.headers[i].Key) == len(key) && strings.EqualFold(m.headers[i].Key, key) {
			out = append(out, m.headers[i].Value)
		}
	}
	return out
}

// Action returns the Action header (the action's name), or "".
func (m *Message) Action() string { return m.Get("Action") }

// Event returns the Event header (the event's name), or "". A message with
// an Event header is an event even if it also has a Response header, as
// OriginateResponse does.
func (m *Message) Event() string { return m.Get("Event") }

// Response returns the Response header ("Success", "Error", "Goodbye",
// "Follows", or in an OriginateResponse event "Success"/"Failure"), or "".
func (m *Message) Response() string { return m.Get("Response") }

// ActionID returns the ActionID header, or "".
func (m *Message) ActionID() string { return m.Get("ActionID") }

// Len returns the number of headers.
func (m *Message) Len() int {
	if m == nil {
		return 0
	}
	return len(m.headers)
}

// Header returns the i-th header; it panics if i is out of range.
func (m *Message) Header(i int) Header { return m.headers[i] }

// Headers returns a copy of the headers, in order.
func (m *Message) Headers() []Header {
	if m == nil {
		return nil
	}
	return append([]Header(nil), m.headers...)
}

// All returns an iterator over the headers' keys and values, in order.
func (m *Message) All() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		if m == nil {
			return
		}
		for _, h := range m.headers {
			if !yield(h.Key, h.Value) {
				return
			}
		}
	}
}

// Clone returns a deep copy of m that may be modified.
func (m *Message) Clone() *Message {
	if m == nil {
		return nil
	}
	return &Message{headers: append([]Header(nil), m.headers...)}
}

// String returns the message in its wire form ("Key: Value\r\n" lines and a
// blank line), for debugging. The values of Secret headers, and of Key
// headers in Login and Challenge actions, are replaced by "********".
// String does not validate; use Validate for that.
func (m *Message) String() string {
	if m == nil {
		return ""
	}
	login := strings.EqualFold(m.Action(), "Login") || strings.EqualFold(m.Action(), "Challenge")
	var b strings.Builder
	for _, h := range m.headers {
		b.WriteString(h.Key)
		b.WriteString(": ")
		if strings.EqualFold(h.Key, "Secret") || (login && strings.EqualFold(h.Key, "Key")) {
			b.WriteString("********")
		} else {
			b.WriteString(h.Value)
		}
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}
