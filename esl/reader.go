package esl

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/percipia/eslgo"
)

// readBufferSize is the size of the connection's read buffer; it also
// bounds the length of one header line.
const readBufferSize = 64 << 10

// maxHeaderBytes bounds the outer header block of one message.
const maxHeaderBytes = 64 << 10

// maxDiscard is the largest oversized body the reader skips to stay in
// sync; a larger Content-Length is a protocol error.
const maxDiscard = 1 << 30

// Message kinds, from the outer Content-Type.
type kind int

const (
	kindUnknown    kind = iota
	kindAuth            // auth/request
	kindReply           // command/reply
	kindAPI             // api/response
	kindEventPlain      // text/event-plain
	kindEventJSON       // text/event-json
	kindEventXML        // text/event-xml
	kindDisconnect      // text/disconnect-notice
	kindRude            // text/rude-rejection
	kindLog             // log/data
)

func kindOf(ct []byte) kind {
	switch string(ct) {
	case eslgo.TypeEventPlain:
		return kindEventPlain
	case eslgo.TypeReply:
		return kindReply
	case eslgo.TypeAPIResponse:
		return kindAPI
	case eslgo.TypeEventJSON:
		return kindEventJSON
	case eslgo.TypeAuthRequest:
		return kindAuth
	case eslgo.TypeDisconnect:
		return kindDisconnect
	case eslgo.TypeEventXML:
		return kindEventXML
	case "text/rude-rejection":
		return kindRude
	case "log/data":
		return kindLog
	}
	return kindUnknown
}

// frame is one message read from the server. body is valid until the next
// call to next.
type frame struct {
	kind      kind
	ctype     string // the raw Content-Type when kind is kindUnknown
	replyText string
	jobUUID   string
	body      []byte
	length    int  // the Content-Length
	tooLong   bool // the body exceeded the limit and was skipped
}

// frameReader splits the stream into messages by framing only: a block of
// "Name: value" lines ended by an empty line, then exactly Content-Length
// bytes of body. Read boundaries never matter. It is not safe for
// concurrent use.
type frameReader struct {
	br      *bufio.Reader
	max     int
	scratch []byte
	spans   []hspan // parsePlainInto's scratch
	f       frame
}

func newFrameReader(br *bufio.Reader, maxBody int) *frameReader {
	return &frameReader{br: br, max: maxBody}
}

var (
	hContentType   = []byte("Content-Type")
	hContentLength = []byte("Content-Length")
	hReplyText     = []byte("Reply-Text")
	hJobUUID       = []byte("Job-UUID")
)

// next reads one message. Empty lines between messages are skipped. An
// error means the stream cannot be resynchronised.
func (r *frameReader) next() (*frame, error) {
	f := &r.f
	*f = frame{}
	headers := 0
	total := 0
	hasLength := false
	for {
		line, err := r.br.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return nil, fmt.Errorf("%w: header line longer than %d bytes", ErrProtocol, r.br.Size())
			}
			if err == io.EOF && (headers > 0 || len(line) > 0) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		total += len(line)
		if total > maxHeaderBytes {
			return nil, fmt.Errorf("%w: header block longer than %d bytes", ErrProtocol, maxHeaderBytes)
		}
		line = trimEOL(line)
		if len(line) == 0 {
			if headers == 0 {
				continue // stray empty line between messages
			}
			break
		}
		headers++
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue // not a header; FreeSWITCH never sends one
		}
		value = bytes.TrimLeft(value, " ")
		switch {
		case bytes.Equal(name, hContentLength):
			n, err := strconv.Atoi(string(value))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("%w: bad Content-Length %q", ErrProtocol, value)
			}
			f.length, hasLength = n, true
		case bytes.Equal(name, hContentType):
			f.kind = kindOf(value)
			if f.kind == kindUnknown {
				f.ctype = string(value)
			}
		case bytes.Equal(name, hReplyText):
			f.replyText = string(value)
		case bytes.Equal(name, hJobUUID):
			f.jobUUID = string(value)
		}
	}
	if !hasLength || f.length == 0 {
		return f, nil
	}
	if f.length > r.max {
		if f.length > maxDiscard {
			return nil, fmt.Errorf("%w: Content-Length %d", ErrProtocol, f.length)
		}
		if _, err := r.br.Discard(f.length); err != nil {
			return nil, err
		}
		f.tooLong = true
		return f, nil
	}
	if cap(r.scratch) < f.length {
		r.scratch = make([]byte, f.length, max(f.length, 2*cap(r.scratch)))
	}
	f.body = r.scratch[:f.length]
	if _, err := io.ReadFull(r.br, f.body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return f, nil
}

// trimEOL removes a trailing LF and any CR before it.
func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// hspan locates a header in the compacted buffer.
type hspan struct{ ns, ne, vs, ve int }

// parsePlain parses the body of a text/event-plain message: a header block
// with URL-encoded values, an empty line, and an optional inner body of
// the inner Content-Length. It decodes the values in place (a decoded value
// never outgrows its line), so b is overwritten; the event's strings share
// one allocation. The inner Content-Length is framing and is not kept in
// Headers.
func parsePlain(b []byte) (Event, error) {
	spans := make([]hspan, 0, bytes.Count(b, []byte{'\n'})+1)
	return parsePlainInto(b, &spans)
}

// parsePlainInto is parsePlain with a reusable scratch slice for the
// header positions.
func parsePlainInto(b []byte, scratch *[]hspan) (Event, error) {
	spans := (*scratch)[:0]
	i := 0
	hi := 0 // end of the last header value kept
	bodyLen := -1
	pct := -1 // the first '%' at or after the line being read, or len(b)
	for i < len(b) {
		start := i
		end := len(b)
		if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
			end = i + j
			i = end + 1
		} else {
			i = end
		}
		if end > start && b[end-1] == '\r' {
			end--
		}
		if end == start {
			break
		}
		line := b[start:end]
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			continue
		}
		vs := colon + 1
		for vs < len(line) && line[vs] == ' ' {
			vs++
		}
		if colon == len("Content-Length") && bytes.Equal(line[:colon], hContentLength) {
			n, err := strconv.Atoi(string(line[vs:]))
			if err != nil || n < 0 {
				return Event{}, fmt.Errorf("%w: bad inner Content-Length", ErrProtocol)
			}
			bodyLen = n
			continue
		}
		// Most lines hold no escape: one search for '%' serves every
		// line up to the next one that does.
		if pct < start {
			pct = len(b)
			if k := bytes.IndexByte(b[start:], '%'); k >= 0 {
				pct = start + k
			}
		}
		ve := end
		if pct < end {
			ve = start + vs + unescapeInPlace(line[vs:])
		}
		spans = append(spans, hspan{start, start + colon, start + vs, ve})
		hi = ve
	}
	*scratch = spans
	bs, be := 0, 0
	if bodyLen > 0 {
		bs, be = i, min(i+bodyLen, len(b))
		hi = be
	}
	s := string(b[:hi])
	ev := Event{Headers: make([]Header, len(spans)), Body: s[bs:be]}
	for n, sp := range spans {
		ev.Headers[n] = Header{Name: s[sp.ns:sp.ne], Value: s[sp.vs:sp.ve]}
	}
	ev.fill()
	return ev, nil
}

// unescapeInPlace URL-decodes v over itself and returns the decoded
// length. A '%' not followed by two hex digits is kept as it is.
func unescapeInPlace(v []byte) int {
	k := bytes.IndexByte(v, '%')
	if k < 0 {
		return len(v)
	}
	w := k
	for r := k; r < len(v); {
		c := v[r]
		if c == '%' && r+2 < len(v) {
			if hi, ok := unhex(v[r+1]); ok {
				if lo, ok := unhex(v[r+2]); ok {
					v[w] = hi<<4 | lo
					w++
					r += 3
					continue
				}
			}
		}
		v[w] = c
		w++
		r++
	}
	return w
}

// parseJSON parses the body of a text/event-json message: one object of
// strings (an array header is an array of strings), the inner body in the
// "_body" key. Key order is kept.
func parseJSON(b []byte) (Event, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return Event{}, fmt.Errorf("%w: event is not a JSON object", ErrProtocol)
	}
	var ev Event
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return Event{}, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		key, _ := kt.(string)
		vt, err := dec.Token()
		if err != nil {
			return Event{}, fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		switch v := vt.(type) {
		case json.Delim:
			if v != '[' {
				return Event{}, fmt.Errorf("%w: nested object in event", ErrProtocol)
			}
			for dec.More() {
				et, err := dec.Token()
				if err != nil {
					return Event{}, fmt.Errorf("%w: %v", ErrProtocol, err)
				}
				ev.Headers = append(ev.Headers, Header{Name: key, Value: jsonScalar(et)})
			}
			if _, err := dec.Token(); err != nil {
				return Event{}, fmt.Errorf("%w: %v", ErrProtocol, err)
			}
		default:
			switch key {
			case "_body":
				ev.Body = jsonScalar(v)
			case "Content-Length":
			default:
				ev.Headers = append(ev.Headers, Header{Name: key, Value: jsonScalar(v)})
			}
		}
	}
	ev.fill()
	return ev, nil
}

func jsonScalar(t json.Token) string {
	switch v := t.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return fmt.Sprint(t)
}
