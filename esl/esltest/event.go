package esltest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Header is one event header, in order.
type Header struct {
	Name  string
	Value string
}

// Event is an event the server fires: ordered headers and an optional
// body. Standard headers (Event-Name, Core-UUID, FreeSWITCH-Hostname, ...,
// Event-Sequence) are added by the server when it fires the event.
type Event struct {
	// Name is the event name, such as "CHANNEL_CREATE" or "CUSTOM".
	Name string
	// Subclass is the CUSTOM event's subclass, such as
	// "conference::maintenance".
	Subclass string
	// Headers follow the standard headers, in order.
	Headers []Header
	// Body is the event's body (for BACKGROUND_JOB, the command's output).
	Body string

	// Set by the server when fired.
	seq      uint64
	all      []Header
	callFile string
	callFunc string
	callLine int
}

// Get returns the first value of the header name among the headers given
// to the event (and, once fired, the standard ones).
func (e *Event) Get(name string) string {
	hs := e.Headers
	if e.all != nil {
		hs = e.all
	}
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Seq returns the Event-Sequence given by the server when the event was
// fired, or 0.
func (e *Event) Seq() uint64 { return e.seq }

// Add appends headers given as name, value pairs.
func (e *Event) Add(kv ...string) *Event {
	for i := 0; i+1 < len(kv); i += 2 {
		e.Headers = append(e.Headers, Header{kv[i], kv[i+1]})
	}
	return e
}

// appendPlain appends the text/event-plain message of the fired event:
// outer Content-Length and Content-Type, then the URL-encoded header block
// and the inner Content-Length and body, as mod_event_socket writes it.
func (e *Event) appendPlain(dst []byte) []byte {
	var body []byte
	for _, h := range e.all {
		body = append(body, h.Name...)
		body = append(body, ": "...)
		v := urlEncode(h.Value)
		if v == "" {
			v = "_undef_"
		}
		body = append(body, v...)
		body = append(body, '\n')
	}
	if e.Body != "" {
		body = append(body, "Content-Length: "...)
		body = strconv.AppendInt(body, int64(len(e.Body)), 10)
		body = append(body, "\n\n"...)
		body = append(body, e.Body...)
	} else {
		body = append(body, '\n')
	}
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\nContent-Type: text/event-plain\n\n"...)
	return append(dst, body...)
}

// appendJSON appends the text/event-json message of the fired event: one
// unformatted object, in header order, with the body in "_body" after a
// "Content-Length" key, as switch_event_serialize_json writes it.
func (e *Event) appendJSON(dst []byte) []byte {
	body := []byte{'{'}
	for i, h := range e.all {
		if i > 0 {
			body = append(body, ',')
		}
		body = appendCJSONString(body, h.Name)
		body = append(body, ':')
		body = appendCJSONString(body, h.Value)
	}
	if e.Body != "" {
		body = append(body, `,"Content-Length":`...)
		body = appendCJSONString(body, strconv.Itoa(len(e.Body)))
		body = append(body, `,"_body":`...)
		body = appendCJSONString(body, e.Body)
	}
	body = append(body, '}')
	dst = append(dst, "Content-Length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\nContent-Type: text/event-json\n\n"...)
	return append(dst, body...)
}

// appendCJSONString quotes s as cJSON does: '"' and '\\' escaped, control
// characters as \b \f \n \r \t or \u00XX, everything else (UTF-8 and '/')
// verbatim.
func appendCJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			if c < 0x20 {
				dst = fmt.Appendf(dst, `\u%04x`, c)
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}

// JSON returns the compact JSON object of a list of headers, written as
// FreeSWITCH's cJSON writes it (used for API outputs such as
// vm_fsdb_msg_get).
func jsonObject(hs []Header) string {
	b := []byte{'{'}
	for i, h := range hs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCJSONString(b, h.Name)
		b = append(b, ':')
		b = appendCJSONString(b, h.Value)
	}
	return string(append(b, '}'))
}

// rfc822 formats t as switch_rfc822_date does.
func rfc822(t time.Time) string {
	return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 GMT")
}

// validUTF8 replaces invalid UTF-8 so that JSON stays valid.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
