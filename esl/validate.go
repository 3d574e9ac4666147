package esl

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/percipia/eslgo/command"
)

// MaxCommandLength is the longest command line the Conn writes. FreeSWITCH
// reads up to 10 MiB, but no legitimate command comes close.
const MaxCommandLength = 64 << 10

// forbiddenCommands are API commands that run a shell or arbitrary code, or
// run another command that would escape the other checks. See Security in
// the package documentation.
var forbiddenCommands = map[string]string{
	"system":       "runs a shell command",
	"bg_system":    "runs a shell command",
	"spawn":        "runs a program",
	"bg_spawn":     "runs a program",
	"spawn_stream": "runs a program",
	"bgapi":        "runs another command (use BackgroundAPI)",
	"sched_api":    "schedules another command",
	"eval":         "expands variables, which may call APIs",
	"expand":       "expands variables, then runs another command",
	"xml_wrap":     "runs another command",
	"lua":          "runs Lua code",
	"luarun":       "runs a Lua script",
	"perl":         "runs Perl code",
	"perlrun":      "runs a Perl script",
	"python":       "runs Python code",
	"pyrun":        "runs a Python script",
	"python3":      "runs Python code",
	"js":           "runs JavaScript code",
	"jsrun":        "runs a JavaScript script",
	"v8":           "runs JavaScript code",
	"v8run":        "runs a JavaScript script",
	"mono":         "runs .NET code",
	"managed":      "runs .NET code",
	"managedrun":   "runs .NET code",
}

// forbiddenApps are dialplan applications that run a shell or arbitrary
// code; they are refused where a command names an application to execute
// (originate's &app(...), uuid_broadcast, inline dialplans).
var forbiddenApps = map[string]bool{
	"system": true, "bg_system": true, "spawn": true, "bg_spawn": true,
	"lua": true, "perl": true, "python": true, "python3": true,
	"javascript": true, "js": true, "v8": true, "managed": true, "mono": true,
	"eval": true, "socket": true,
}

// ForbiddenCommands returns the API command names the Conn refuses with
// ErrForbidden, sorted.
func ForbiddenCommands() []string {
	return slices.Sorted(maps.Keys(forbiddenCommands))
}

// hookVariable reports whether a channel variable makes FreeSWITCH run an
// API command or an application later (api_hangup_hook,
// execute_on_answer, ...): setting one from user data would reach the
// shell through "system".
func hookVariable(name string) bool {
	n := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(name)), "nolocal:")
	for _, p := range []string{"api_", "execute_on_", "exec_after_", "bridge_pre_execute_"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return strings.HasSuffix(n, "_hook") || strings.HasSuffix(n, "_hook_app")
}

// checkLine reports the first byte of s that must never reach the wire: a
// control character (CR, LF, NUL, TAB, ...) or DEL, or invalid UTF-8.
func checkLine(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("control character %#02x at offset %d", c, i)
		}
	}
	if !utf8.ValidString(s) {
		return errors.New("invalid UTF-8")
	}
	return nil
}

// checkWord reports whether s is a command or variable word: letters,
// digits, '_', '-', '.'.
func isWord(s string, extra string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case strings.IndexByte(extra, c) >= 0:
		default:
			return false
		}
	}
	return true
}

// checkArg validates one argument of an api/bgapi command. FreeSWITCH
// splits the argument string at spaces, honouring single quotes and
// backslash escapes (switch_separate_string), so an argument may contain a
// space only inside single quotes.
func checkArg(a string) error {
	if a == "" {
		return fmt.Errorf("%w: empty argument (FreeSWITCH would shift the others)", ErrInvalid)
	}
	if err := checkLine(a); err != nil {
		return fmt.Errorf("%w: argument contains %v", ErrInvalid, err)
	}
	if strings.Contains(a, "${") {
		return fmt.Errorf("%w: argument contains \"${\": FreeSWITCH expands variables and ${api(args)} calls", ErrForbidden)
	}
	quoted := false
	for i := 0; i < len(a); i++ {
		switch a[i] {
		case '\\':
			if i+1 == len(a) {
				return fmt.Errorf("%w: argument ends with a backslash, which would escape the separator", ErrInvalid)
			}
			i++
		case '\'':
			quoted = !quoted
		case ' ':
			if !quoted {
				return fmt.Errorf("%w: argument %q contains a space outside single quotes: FreeSWITCH would split it (use QuoteArg)", ErrInvalid, a)
			}
		}
	}
	if quoted {
		return fmt.Errorf("%w: argument has an unbalanced single quote", ErrInvalid)
	}
	return nil
}

// checkCommand validates an api or bgapi command and its arguments,
// including the guard against shell-reaching commands.
func checkCommand(cmd string, args []string) error {
	if !isWord(cmd, "-") {
		if err := checkLine(cmd); err != nil {
			return fmt.Errorf("%w: command word contains %v", ErrInvalid, err)
		}
		return fmt.Errorf("%w: command word %q (letters, digits, '_' and '-' only)", ErrInvalid, cmd)
	}
	lc := strings.ToLower(cmd)
	if why, ok := forbiddenCommands[lc]; ok {
		return fmt.Errorf("%w: %s %s", ErrForbidden, lc, why)
	}
	for _, a := range args {
		if err := checkArg(a); err != nil {
			return err
		}
	}
	return guardArgs(lc, args)
}

// guardArgs refuses the arguments of otherwise allowed commands that would
// run a forbidden application or set a hook variable.
func guardArgs(cmd string, args []string) error {
	switch cmd {
	case "originate":
		if len(args) > 0 {
			if err := guardDialString(args[0]); err != nil {
				return err
			}
		}
		if len(args) > 1 && strings.HasPrefix(args[1], "&") {
			app := strings.TrimPrefix(args[1], "&")
			if i := strings.IndexByte(app, '('); i >= 0 {
				app = app[:i]
			}
			if err := guardApp(app); err != nil {
				return err
			}
		}
		if len(args) > 2 && strings.EqualFold(unquote(args[2]), "inline") && len(args) > 1 {
			return guardInline(args[1])
		}
	case "uuid_broadcast", "sched_broadcast":
		for _, a := range args {
			if app, _, ok := strings.Cut(unquote(a), "::"); ok {
				if err := guardApp(app); err != nil {
					return err
				}
			}
		}
	case "uuid_transfer", "sched_transfer":
		for i, a := range args {
			if strings.EqualFold(unquote(a), "inline") && i > 0 {
				if err := guardInline(args[i-1]); err != nil {
					return err
				}
			}
		}
	case "uuid_setvar", "uuid_setvar_multi", "global_setvar", "uuid_set_media_stats":
		if cmd == "uuid_setvar_multi" && len(args) > 1 {
			for _, kv := range strings.Split(unquote(args[1]), ";") {
				k, _, _ := strings.Cut(kv, "=")
				if hookVariable(strings.TrimSpace(k)) {
					return fmt.Errorf("%w: variable %q runs commands", ErrForbidden, k)
				}
			}
		}
		if cmd == "uuid_setvar" && len(args) > 1 && hookVariable(unquote(args[1])) {
			return fmt.Errorf("%w: variable %q runs commands", ErrForbidden, args[1])
		}
		if cmd == "global_setvar" && len(args) > 0 {
			k, _, _ := strings.Cut(unquote(args[0]), "=")
			if hookVariable(k) {
				return fmt.Errorf("%w: variable %q runs commands", ErrForbidden, k)
			}
		}
	}
	return nil
}

func unquote(s string) string { return strings.ReplaceAll(s, "'", "") }

func guardApp(app string) error {
	if forbiddenApps[strings.ToLower(strings.TrimSpace(app))] {
		return fmt.Errorf("%w: application %q runs a shell or arbitrary code", ErrForbidden, app)
	}
	return nil
}

// guardInline checks an inline dialplan ("app:args,app2:args").
func guardInline(s string) error {
	for _, step := range strings.Split(unquote(s), ",") {
		app, _, _ := strings.Cut(step, ":")
		if err := guardApp(app); err != nil {
			return err
		}
	}
	return nil
}

// guardDialString refuses hook variables in the {...}, [...] and <...>
// variable blocks of an originate dial string.
func guardDialString(s string) error {
	s = unquote(s)
	for _, pair := range [][2]byte{{'{', '}'}, {'[', ']'}, {'<', '>'}} {
		rest := s
		for {
			i := strings.IndexByte(rest, pair[0])
			if i < 0 {
				break
			}
			j := strings.IndexByte(rest[i:], pair[1])
			if j < 0 {
				break
			}
			block := rest[i+1 : i+j]
			rest = rest[i+j:]
			if strings.HasPrefix(block, "^^") && len(block) > 2 {
				block = strings.ReplaceAll(block[3:], block[2:3], ",")
			}
			for _, kv := range strings.Split(block, ",") {
				k, _, _ := strings.Cut(kv, "=")
				if k = strings.TrimSpace(k); k != "" && hookVariable(k) {
					return fmt.Errorf("%w: channel variable %q runs commands", ErrForbidden, k)
				}
			}
		}
	}
	return nil
}

// checkEventNames validates one element of Options.Events.
func checkEventNames(s string) error {
	if err := checkLine(s); err != nil {
		return fmt.Errorf("%w: event names contain %v", ErrInvalid, err)
	}
	for _, n := range strings.Fields(s) {
		if !isWord(n, ":-.") {
			return fmt.Errorf("%w: event name %q", ErrInvalid, n)
		}
	}
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%w: empty event name", ErrInvalid)
	}
	return nil
}

// checkFilter validates a Filter. FreeSWITCH takes the header up to the
// first space and the value to the end of the line.
func checkFilter(f Filter) error {
	if !isWord(f.Header, "-:.") {
		return fmt.Errorf("%w: filter header %q", ErrInvalid, f.Header)
	}
	if f.Value == "" {
		return fmt.Errorf("%w: empty filter value", ErrInvalid)
	}
	if err := checkLine(f.Value); err != nil {
		return fmt.Errorf("%w: filter value contains %v", ErrInvalid, err)
	}
	return nil
}

// terminator ends a command: FreeSWITCH ends a command at two LFs and
// ignores CR.
const terminator = "\n\n"

// apiLine builds "api cmd args..." (or bgapi) with eslgo's command struct;
// the caller has validated cmd and args.
func apiLine(cmd string, args []string, background bool) string {
	line := command.API{Command: cmd, Arguments: strings.Join(args, " "), Background: background}.BuildMessage()
	return strings.TrimSuffix(line, " ")
}

// QuoteArg returns s as one argument for a command that splits its
// arguments with FreeSWITCH's quote-aware tokenizer (switch_separate_string:
// callcenter_config, conference, uuid_setvar, originate, ...): wrapped in
// single quotes, which FreeSWITCH removes. It is how to pass a value with
// spaces, such as the agent status "Available (On Demand)". It refuses
// what single quotes cannot carry: a quote, a backslash, control
// characters, invalid UTF-8 and "${" (API expansion).
//
// Commands that split their arguments naively (at the first space) receive
// the quotes verbatim: check the command's syntax before quoting.
func QuoteArg(s string) (string, error) {
	if err := checkLine(s); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if strings.ContainsAny(s, `'\`) {
		return "", fmt.Errorf("%w: a single quote or backslash cannot be quoted safely", ErrInvalid)
	}
	if strings.Contains(s, "${") {
		return "", fmt.Errorf("%w: \"${\" would be expanded by FreeSWITCH", ErrForbidden)
	}
	return "'" + s + "'", nil
}

// OriginateVars returns the channel-variable block "{k1=v1,k2=v2}" for the
// dial string of an originate (or bridge), with the keys sorted, escaped
// for the way FreeSWITCH parses it: the originate API first splits its
// argument string at spaces (honouring single quotes), then
// switch_event_create_brackets splits the block at commas (honouring
// backslash escapes and quotes) and each variable at its first '='.
//
// Values are written as follows: a comma becomes "\,"; a value containing
// a space is wrapped in single quotes, which the first split removes. What
// cannot survive those passes safely is refused with ErrInvalid: an empty
// key or value (FreeSWITCH ignores "k="), a key that is not letters,
// digits, '_', '-' and '.', control characters, invalid UTF-8, a quote, a
// double quote, a backslash, a brace or bracket, '|' and ":_:" (originate
// separators), and leading or trailing spaces (FreeSWITCH trims them).
// Keys that make FreeSWITCH run commands later (api_hangup_hook,
// execute_on_answer, ...) and values containing "${" (API expansion) are
// refused with ErrForbidden.
//
// An empty map gives "".
func OriginateVars(vars map[string]string) (string, error) {
	if len(vars) == 0 {
		return "", nil
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(vars)) {
		v := vars[k]
		if !isWord(k, "-.") {
			return "", fmt.Errorf("%w: variable name %q", ErrInvalid, k)
		}
		if hookVariable(k) {
			return "", fmt.Errorf("%w: variable %q makes FreeSWITCH run commands", ErrForbidden, k)
		}
		ev, err := escapeVarValue(v)
		if err != nil {
			return "", fmt.Errorf("variable %s: %w", k, err)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(ev)
	}
	b.WriteByte('}')
	return b.String(), nil
}

func escapeVarValue(v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("%w: empty value (FreeSWITCH ignores it)", ErrInvalid)
	}
	if err := checkLine(v); err != nil {
		return "", fmt.Errorf("%w: value contains %v", ErrInvalid, err)
	}
	if strings.Contains(v, "${") {
		return "", fmt.Errorf("%w: value contains \"${\" (API expansion)", ErrForbidden)
	}
	if i := strings.IndexAny(v, "'\"\\{}[]|"); i >= 0 {
		return "", fmt.Errorf("%w: value contains %q, which cannot be represented safely", ErrInvalid, v[i])
	}
	if strings.Contains(v, ":_:") {
		return "", fmt.Errorf("%w: value contains the separator \":_:\"", ErrInvalid)
	}
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return "", fmt.Errorf("%w: leading or trailing space (FreeSWITCH trims it)", ErrInvalid)
	}
	e := strings.ReplaceAll(v, ",", `\,`)
	if strings.IndexByte(e, ' ') >= 0 {
		e = "'" + e + "'"
	}
	return e, nil
}
