package ami

import (
	"fmt"
	"strings"
)

// Limits Asterisk puts on what a client sends (main/manager.c): longer lines
// are dropped by the server, further headers ignored. Actions beyond them
// are refused with ErrTooLong before anything is written.
const (
	// MaxLineLength is the longest "Key: Value\r\n" line of an action, in
	// bytes, CR LF included.
	MaxLineLength = 1024
	// MaxHeaders is the largest number of headers of an action, ActionID
	// included.
	MaxHeaders = 128
)

// validKey reports whether key is a non-empty token of letters, digits, '-'
// and '_'.
func validKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// badValueByte returns a description of the first forbidden byte in v (CR,
// LF or NUL), or "".
func badValueByte(v string) string {
	i := strings.IndexAny(v, "\r\n\x00")
	if i < 0 {
		return ""
	}
	switch v[i] {
	case '\r':
		return "CR"
	case '\n':
		return "LF"
	default:
		return "NUL"
	}
}

// quoteKey quotes a header name for an error message, truncated so that a
// hostile name cannot blow up logs. Values are never quoted: they may be
// secrets.
func quoteKey(k string) string {
	if len(k) > 40 {
		return fmt.Sprintf("%q...", k[:40])
	}
	return fmt.Sprintf("%q", k)
}

// checkHeader validates one header of an action.
func checkHeader(i int, key, value string) error {
	if !validKey(key) {
		return fmt.Errorf("%w: header %d: name %s is not a token of letters, digits, '-' and '_'", ErrInvalidField, i, quoteKey(key))
	}
	if b := badValueByte(value); b != "" {
		return fmt.Errorf("%w: header %d (%s): value contains %s", ErrInvalidField, i, key, b)
	}
	if n := len(key) + len(": ") + len(value) + len("\r\n"); n > MaxLineLength {
		return fmt.Errorf("%w: header %d (%s): line is %d bytes, more than %d", ErrTooLong, i, key, n, MaxLineLength)
	}
	return nil
}

// Validate reports whether m can be written as an action: every header name
// is a token (letters, digits, '-', '_'), no value contains CR, LF or NUL
// (ErrInvalidField), no line is longer than MaxLineLength and there are at
// most MaxHeaders headers (ErrTooLong), there is a non-empty Action header,
// and at most one ActionID header, which is not empty. Error messages name
// the offending header but never quote a value.
func (m *Message) Validate() error {
	_, err := m.check()
	return err
}

// check validates m and returns the index of its ActionID header, or -1.
func (m *Message) check() (idIndex int, err error) {
	if m == nil {
		return -1, fmt.Errorf("%w: nil message", ErrInvalidField)
	}
	idIndex = -1
	action := -1
	for i, h := range m.headers {
		if err := checkHeader(i, h.Key, h.Value); err != nil {
			return -1, err
		}
		switch {
		case strings.EqualFold(h.Key, "ActionID"):
			if idIndex >= 0 {
				return -1, fmt.Errorf("%w: more than one ActionID header", ErrInvalidField)
			}
			if h.Value == "" {
				return -1, fmt.Errorf("%w: empty ActionID", ErrInvalidField)
			}
			idIndex = i
		case strings.EqualFold(h.Key, "Action"):
			if action >= 0 {
				return -1, fmt.Errorf("%w: more than one Action header", ErrInvalidField)
			}
			action = i
		}
	}
	if action < 0 || strings.TrimSpace(m.headers[action].Value) == "" {
		return -1, fmt.Errorf("%w: missing Action", ErrInvalidField)
	}
	n := len(m.headers)
	if idIndex < 0 {
		n++
	}
	if n > MaxHeaders {
		return -1, fmt.Errorf("%w: %d headers, more than %d", ErrTooLong, n, MaxHeaders)
	}
	return idIndex, nil
}

// appendAction validates m and appends its wire form to dst. When m has no
// ActionID header, "ActionID: id" is inserted right after the Action header
// (id is validated too). It returns the ActionID used. Nothing is appended
// on error. m is not modified.
func appendAction(dst []byte, m *Message, id string) ([]byte, string, error) {
	idIndex, err := m.check()
	if err != nil {
		return dst, "", err
	}
	if idIndex >= 0 {
		id = m.headers[idIndex].Value
	} else if err := checkHeader(len(m.headers), "ActionID", id); err != nil || id == "" {
		if err == nil {
			err = fmt.Errorf("%w: empty ActionID", ErrInvalidField)
		}
		return dst, "", err
	}
	for _, h := range m.headers {
		dst = appendHeader(dst, h.Key, h.Value)
		if idIndex < 0 && strings.EqualFold(h.Key, "Action") {
			dst = appendHeader(dst, "ActionID", id)
		}
	}
	dst = append(dst, '\r', '\n')
	return dst, id, nil
}

func appendHeader(dst []byte, k, v string) []byte {
	dst = append(dst, k...)
	dst = append(dst, ':', ' ')
	dst = append(dst, v...)
	return append(dst, '\r', '\n')
}
