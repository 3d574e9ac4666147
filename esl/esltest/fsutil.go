package esltest

import (
	"strings"
)

// This file mirrors the string handling of FreeSWITCH's core
// (switch_utils.c, switch_event.c) that decides how commands and
// channel-variable blocks are split: see testdata/SOURCES.md.

// urlEncode encodes a header value the way switch_url_encode does for
// text/event-plain: control and non-ASCII bytes and the characters
// "\r\n \"#%&+:;<=>?@[\]^`{|}" become %XX (upper case hex).
func urlEncode(s string) string {
	const unsafe = "\r\n \"#%&+:;<=>?@[\\]^`{|}"
	const hex = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || strings.IndexByte(unsafe, c) >= 0 {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c > '~' || strings.IndexByte(unsafe, c) >= 0 {
			b = append(b, '%', hex[c>>4], hex[c&15])
		} else {
			b = append(b, c)
		}
	}
	return string(b)
}

// unescapeChar is switch_utils.c's unescape_char.
func unescapeChar(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 's':
		return ' '
	}
	return c
}

// cleanup is cleanup_separated_string: it skips leading spaces, removes
// paired single quotes, converts backslash escapes (of a quote, a double
// quote, the delimiter, a backslash, n r t s) and trims trailing spaces
// outside quotes. delim 0 means the blank delimiter.
func cleanup(s string, delim byte) string {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	out := make([]byte, 0, len(s)-i)
	end := -1
	inQuotes := false
	for ; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			e := s[i+1]
			if e == '\'' || e == '"' || (delim != 0 && e == delim) || e == '\\' || unescapeChar(e) != e {
				i++
				out = append(out, unescapeChar(e))
				end = len(out)
				continue
			}
		}
		if c == '\'' && (inQuotes || strings.IndexByte(s[i+1:], '\'') >= 0) {
			inQuotes = !inQuotes
			if inQuotes {
				end = len(out)
			}
			continue
		}
		out = append(out, c)
		if c != ' ' || inQuotes {
			end = len(out)
		}
	}
	if end >= 0 {
		out = out[:end]
	}
	return string(out)
}

// separate is switch_separate_string: it splits s at delim (a space delim
// also collapses runs of spaces), honouring backslash escapes and single
// quotes, at most max pieces (the last one keeps the rest), then cleans
// each piece. A leading "^^X" changes the delimiter to X.
func separate(s string, delim byte, max int) []string {
	if len(s) >= 3 && s[0] == '^' && s[1] == '^' {
		delim = s[2]
		s = s[3:]
	}
	var raw []string
	if delim == ' ' {
		raw = splitBlank(s, max)
	} else {
		raw = splitChar(s, delim, max)
	}
	cd := delim
	if delim == ' ' {
		cd = 0
	}
	for i := range raw {
		raw[i] = cleanup(raw[i], cd)
	}
	return raw
}

func splitChar(s string, delim byte, max int) []string {
	var out []string
	start := 0
	inQuotes := false
	started := false
	for i := 0; i < len(s); i++ {
		if !started {
			if len(out) >= max {
				break
			}
			start = i
			started = true
			if len(out) == max-1 {
				out = append(out, s[start:])
				return out
			}
		}
		c := s[i]
		switch {
		case c == '\\':
			i++
		case c == '\'' && (inQuotes || strings.IndexByte(s[i+1:], '\'') >= 0):
			inQuotes = !inQuotes
		case c == delim && !inQuotes:
			out = append(out, s[start:i])
			started = false
		}
	}
	if started {
		out = append(out, s[start:])
	}
	return out
}

func splitBlank(s string, max int) []string {
	var out []string
	i := 0
	for i < len(s) && len(out) < max {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		if len(out) == max-1 {
			out = append(out, s[i:])
			return out
		}
		start := i
		inQuotes := false
		for i < len(s) {
			c := s[i]
			if c == '\\' {
				i += 2
				continue
			}
			if c == '\'' {
				inQuotes = !inQuotes
			} else if c == ' ' && !inQuotes {
				break
			}
			i++
		}
		if i > len(s) {
			i = len(s)
		}
		out = append(out, s[start:i])
	}
	return out
}

// args splits an API argument string as most mod_commands functions do.
func args(s string, max int) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	return separate(s, ' ', max)
}

// brackets parses a leading {...} (or [...]) channel-variable block of a
// dial string as switch_event_create_brackets does, and returns the
// variables in order and the rest of the string. ok is false if s does not
// start with open.
func brackets(s string, open, close byte) (vars [][2]string, rest string, ok bool) {
	if s == "" || s[0] != open {
		return nil, s, false
	}
	end := findEndParen(s, open, close)
	if end < 0 {
		return nil, s, false
	}
	block := s[1:end]
	rest = s[end+1:]
	delim := byte(',')
	if len(block) >= 3 && block[0] == '^' && block[1] == '^' {
		delim = block[2]
		block = block[3:]
	}
	for _, kv := range separate(block, delim, 1024) {
		p := separate(kv, '=', 2)
		if len(p) == 2 {
			vars = append(vars, [2]string{p[0], p[1]})
		}
	}
	return vars, rest, true
}

// findEndParen returns the index of the bracket that closes s[0], skipping
// nested pairs and quoted text.
func findEndParen(s string, open, close byte) int {
	depth := 0
	quote := byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if quote != 0 {
			if c == quote {
				quote = 0
			}
			continue
		}
		switch c {
		case '\\':
			i++
		case '\'', '"':
			quote = c
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
