package main

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/pbxkit/pbxkit/pbx"
)

// maxMessage is Discord's limit on a message's content, in characters.
const maxMessage = 2000

// mdEscaper escapes Discord markdown and defuses mentions in text that comes
// from outside (caller ID names are set by whoever calls).
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "<", `\<`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "#", `\#`,
	"@", "@\u200b", // a zero-width space after @ stops @everyone and <@id> pings
)

// clean makes outside text safe to show: control characters (new lines
// included) become spaces, markdown is escaped and the length is bounded.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > max {
		s = string(r[:max-1]) + "…"
	}
	return mdEscaper.Replace(s)
}

// party formats a caller ID as "Name (number)".
func party(p pbx.Party) string {
	name, num := clean(p.Name, 48), clean(p.Number, 32)
	switch {
	case name != "" && num != "" && name != num:
		return name + " (" + num + ")"
	case name != "":
		return name
	case num != "":
		return num
	}
	return "an unknown caller"
}

// duration formats a duration to the second: "7s", "1m49s", "1h2m0s".
func duration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return d.Round(time.Second).String()
}

// timestamp formats a time as a Discord timestamp, which each reader's client
// shows in their own time zone and language ("2 hours ago").
func timestamp(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	return fmt.Sprintf("<t:%d:R>", t.Unix())
}

// lines joins list lines under a header, cut to fit one Discord message with a
// note of how many were left out.
func lines(header string, items []string) string {
	var b strings.Builder
	b.WriteString(header)
	for i, it := range items {
		more := fmt.Sprintf("\n…and %d more.", len(items)-i)
		if b.Len()+1+len(it)+len(more) > maxMessage && i < len(items)-1 ||
			b.Len()+1+len(it) > maxMessage {
			b.WriteString(more)
			break
		}
		b.WriteString("\n")
		b.WriteString(it)
	}
	return b.String()
}

// code formats an ID as inline code; IDs are validated, so they hold no backtick.
func code(s string) string { return "`" + s + "`" }

// plural returns "1 call" or "2 calls".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
