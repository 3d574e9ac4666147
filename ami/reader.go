package ami

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
)

// readBufferSize is the size of the connection's read buffer.
const readBufferSize = 64 << 10

// bannerPrefix starts the line Asterisk sends when a client connects, such
// as "Asterisk Call Manager/5.0.4".
const bannerPrefix = "Asterisk Call Manager"

var endCommand = []byte("--END COMMAND--")

// span locates one header in frameReader.buf. ks < 0 means the key is
// "Output" (a body line of an old-style "Response: Follows" reply).
type span struct{ ks, ke, vs, ve int }

// overflowError describes a server message that was discarded because it
// exceeded the read limits. It matches ErrTooLong.
type overflowError struct {
	actionID string
	event    string
	limit    string
}

func (e *overflowError) Error() string {
	return fmt.Sprintf("ami: message from server discarded: more than %s", e.limit)
}

func (e *overflowError) Unwrap() error { return ErrTooLong }

// frameReader reads AMI messages from a stream. It is not safe for
// concurrent use.
//
// Framing rules (the wire of Asterisk 16, plus older servers):
//   - a message is a run of lines ended by an empty line; lines end with
//     CRLF or a bare LF;
//   - empty lines between messages are skipped;
//   - a CRLF right after a line that ended with a bare LF is the end of a
//     value that ended in "\n" (Asterisk's "No Contacts found\n\r\n"), not an
//     empty line; a line that is not "Key: value" after such a line continues
//     the previous value;
//   - in a "Response: Follows" message (the Command reply of Asterisk < 14),
//     the body up to "--END COMMAND--" becomes one Output header per line;
//   - a line that is not "Key: value" elsewhere is kept with an empty key;
//   - a message larger than maxSize bytes or with more than maxHeaders
//     headers is skipped whole and reported as an *overflowError.
type frameReader struct {
	br         *bufio.Reader
	maxSize    int
	maxHeaders int
	buf        []byte
	spans      []span
	long       []byte
}

func newFrameReader(br *bufio.Reader, maxSize, maxHeaders int) *frameReader {
	return &frameReader{
		br:         br,
		maxSize:    maxSize,
		maxHeaders: maxHeaders,
		buf:        make([]byte, 0, 4096),
		spans:      make([]span, 0, 64),
	}
}

// readLine returns the next line including its "\n". tooLong reports a line
// longer than maxSize, of which nothing is returned.
func (r *frameReader) readLine() (line []byte, tooLong bool, err error) {
	line, err = r.br.ReadSlice('\n')
	if err != bufio.ErrBufferFull {
		return line, false, err
	}
	r.long = append(r.long[:0], line...)
	for {
		line, err = r.br.ReadSlice('\n')
		if !tooLong && len(r.long)+len(line) <= r.maxSize+2 {
			r.long = append(r.long, line...)
		} else {
			tooLong = true
		}
		if err != bufio.ErrBufferFull {
			break
		}
	}
	line = r.long
	if cap(r.long) > 1<<20 {
		r.long = nil
	}
	if tooLong {
		return nil, true, err
	}
	return line, false, err
}

// trimEOL strips the line terminator and reports whether it was CRLF.
func trimEOL(line []byte) (content []byte, crlf bool) {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
		if n > 0 && line[n-1] == '\r' {
			return line[:n-1], true
		}
	}
	return line[:n], false
}

// headerColon returns the index of the colon that ends the key of a "Key:
// value" line, or -1 if the line is not one (no colon, or a space or tab
// before it).
func headerColon(line []byte) int {
	for i, c := range line {
		switch c {
		case ':':
			return i
		case ' ', '\t':
			return -1
		}
	}
	return -1
}

// readBanner reads the server's greeting line.
func (r *frameReader) readBanner() (string, error) {
	for i := 0; i < 8; i++ {
		raw, tooLong, err := r.readLine()
		if err != nil {
			return "", err
		}
		if tooLong {
			break
		}
		content, _ := trimEOL(raw)
		if len(content) == 0 {
			continue
		}
		if !bytes.HasPrefix(content, []byte(bannerPrefix)) {
			if len(content) > 64 {
				content = content[:64]
			}
			return "", fmt.Errorf("%w: unexpected greeting %q", ErrProtocol, content)
		}
		return string(content), nil
	}
	return "", fmt.Errorf("%w: no greeting", ErrProtocol)
}

// next reads the next message. A message that exceeds the limits is skipped
// and returned as ovf (the stream stays usable); err is a read error, after
// which the stream is unusable.
func (r *frameReader) next() (msg *Message, ovf *overflowError, err error) {
	r.buf = r.buf[:0]
	r.spans = r.spans[:0]
	var (
		prevBareLF bool // the previous line ended with a bare LF
		started    bool // a non-empty line was seen
		follows    bool // "Response: Follows" message
		body       bool // inside its body
		endCmd     bool // "--END COMMAND--" seen
	)
	for {
		raw, tooLong, err := r.readLine()
		if err != nil {
			return nil, nil, err
		}
		wasBareLF := prevBareLF
		if tooLong {
			prevBareLF = false
			started = true
			if ovf == nil {
				ovf = r.overflow(fmt.Sprintf("%d bytes", r.maxSize))
			}
			continue
		}
		content, crlf := trimEOL(raw)
		prevBareLF = !crlf

		if len(content) == 0 {
			switch {
			case body && !endCmd:
				r.addOutput(nil, &ovf)
				continue
			case wasBareLF && crlf && started:
				continue // the CRLF after a value that ended with "\n"
			case !started:
				continue // stray empty line between messages
			}
			if ovf != nil {
				return nil, ovf, nil
			}
			return r.build(), nil, nil
		}
		started = true

		colon := headerColon(content)
		isHeader := colon > 0
		if follows && !body && (!crlf || !isHeader || bytes.HasSuffix(content, endCommand)) {
			body = true
		}
		if body {
			if endCmd {
				continue
			}
			if bytes.HasSuffix(content, endCommand) {
				content = content[:len(content)-len(endCommand)]
				endCmd = true
				if len(content) == 0 {
					continue
				}
			}
			r.addOutput(content, &ovf)
			continue
		}
		if !isHeader {
			if wasBareLF && len(r.spans) > 0 && ovf == nil {
				// continuation of a value that contained "\n"
				if len(r.buf)+1+len(content) > r.maxSize {
					ovf = r.overflow(fmt.Sprintf("%d bytes", r.maxSize))
					continue
				}
				r.buf = append(r.buf, '\n')
				r.buf = append(r.buf, content...)
				r.spans[len(r.spans)-1].ve = len(r.buf)
				continue
			}
			r.addHeader(nil, content, &ovf)
			continue
		}
		key := content[:colon]
		value := content[colon+1:]
		for len(value) > 0 && (value[0] == ' ' || value[0] == '\t') {
			value = value[1:]
		}
		if len(r.spans) == 0 && ovf == nil && bytes.EqualFold(key, []byte("Response")) {
			follows = bytes.EqualFold(value, []byte("Follows"))
		}
		r.addHeader(key, value, &ovf)
	}
}

// addHeader appends one header, or switches to discarding when a limit is
// exceeded. While discarding it only remembers the ActionID and Event.
func (r *frameReader) addHeader(key, value []byte, ovf **overflowError) {
	if *ovf == nil {
		switch {
		case len(r.spans) >= r.maxHeaders:
			*ovf = r.overflow(fmt.Sprintf("%d headers", r.maxHeaders))
		case len(r.buf)+len(key)+len(value) > r.maxSize:
			*ovf = r.overflow(fmt.Sprintf("%d bytes", r.maxSize))
		default:
			ks := len(r.buf)
			r.buf = append(r.buf, key...)
			vs := len(r.buf)
			r.buf = append(r.buf, value...)
			r.spans = append(r.spans, span{ks: ks, ke: vs, vs: vs, ve: len(r.buf)})
			return
		}
	}
	o := *ovf
	if o.actionID == "" && strings.EqualFold(string(key), "ActionID") {
		o.actionID = string(value)
	}
	if o.event == "" && strings.EqualFold(string(key), "Event") {
		o.event = string(value)
	}
}

// addOutput appends one body line of a "Response: Follows" message as an
// Output header.
func (r *frameReader) addOutput(value []byte, ovf **overflowError) {
	if *ovf != nil {
		return
	}
	switch {
	case len(r.spans) >= r.maxHeaders:
		*ovf = r.overflow(fmt.Sprintf("%d headers", r.maxHeaders))
	case len(r.buf)+len(value) > r.maxSize:
		*ovf = r.overflow(fmt.Sprintf("%d bytes", r.maxSize))
	default:
		vs := len(r.buf)
		r.buf = append(r.buf, value...)
		r.spans = append(r.spans, span{ks: -1, vs: vs, ve: len(r.buf)})
	}
}

// overflow starts discarding the current message and keeps what identifies
// it.
func (r *frameReader) overflow(limit string) *overflowError {
	o := &overflowError{limit: limit}
	for _, sp := range r.spans {
		if sp.ks < 0 {
			continue
		}
		k := r.buf[sp.ks:sp.ke]
		switch {
		case o.actionID == "" && strings.EqualFold(string(k), "ActionID"):
			o.actionID = string(r.buf[sp.vs:sp.ve])
		case o.event == "" && strings.EqualFold(string(k), "Event"):
			o.event = string(r.buf[sp.vs:sp.ve])
		}
	}
	r.buf = r.buf[:0]
	r.spans = r.spans[:0]
	return o
}

// build turns the current message into a Message: one string holds every
// key and value, and one slice the headers.
func (r *frameReader) build() *Message {
	s := string(r.buf)
	hs := make([]Header, len(r.spans))
	for i, sp := range r.spans {
		if sp.ks < 0 {
			hs[i] = Header{Key: "Output", Value: s[sp.vs:sp.ve]}
		} else {
			hs[i] = Header{Key: s[sp.ks:sp.ke], Value: s[sp.vs:sp.ve]}
		}
	}
	if cap(r.buf) > 1<<20 {
		r.buf = make([]byte, 0, 4096)
	}
	if cap(r.spans) > 4096 {
		r.spans = make([]span, 0, 64)
	}
	return &Message{headers: hs}
}
