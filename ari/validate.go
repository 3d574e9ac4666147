package ari

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxSegment bounds an ID or name used in a URL path. Asterisk's own IDs are
// at most 150 bytes (AST_MAX_UNIQUEID); device names may be longer.
const maxSegment = 512

// hasControl reports whether s contains a C0 control character or DEL.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}

// checkValue validates a value sent as a query parameter or in a JSON body:
// valid UTF-8 without control characters. It never quotes the value.
func checkValue(what, v string) error {
	if !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	if hasControl(v) {
		return fmt.Errorf("%w: %s contains a control character", ErrInvalid, what)
	}
	return nil
}

// checkSegment validates an ID or name that becomes one segment of a URL
// path: non-empty, at most maxSegment bytes, valid UTF-8, no control
// character, and not "." or "..". Any other character (including '/', '?',
// '#' and '%') is allowed and escaped by escapePath: Asterisk splits the path
// before decoding each segment, so "PJSIP/1001" is one device name.
func checkSegment(what, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%w: empty %s", ErrInvalid, what)
	case len(v) > maxSegment:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, what, maxSegment)
	case v == "." || v == "..":
		return fmt.Errorf("%w: %s %q is a dot segment", ErrInvalid, what, v)
	}
	return checkValue(what, v)
}

// pathOf builds a request path from literal parts and validated segments:
// pathOf("channels", seg(id), "variable") with seg marking a value to
// check and escape. It returns the escaped path (for the URL) and the
// readable one (for errors).
type segment struct{ what, value string }

func seg(what, value string) segment { return segment{what, value} }

func pathOf(parts ...any) (escaped, readable string, err error) {
	var e, r strings.Builder
	for _, p := range parts {
		e.WriteByte('/')
		r.WriteByte('/')
		switch p := p.(type) {
		case string:
			e.WriteString(p)
			r.WriteString(p)
		case segment:
			if err := checkSegment(p.what, p.value); err != nil {
				return "", "", err
			}
			e.WriteString(url.PathEscape(p.value))
			r.WriteString(p.value)
		}
	}
	return e.String(), r.String(), nil
}

// basicAuth returns the value of an Authorization header for HTTP basic
// authentication.
func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}
