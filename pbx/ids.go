package pbx

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ExtensionID is an extension number, such as "1010": 1 to 20 decimal digits.
type ExtensionID string

// CallID identifies one call leg (an Asterisk channel's Uniqueid, a FreeSWITCH
// channel UUID): 1 to 64 characters from letters, digits, '.', '_' and '-'.
// A caller may choose it before originating; see [OriginateRequest].
type CallID string

// MailboxID is a voicemail box: an extension number, optionally followed by
// "@" and a voicemail context or domain ("1010", "1010@default").
type MailboxID string

// MessageID identifies a voicemail message within its mailbox. It stays the
// same when the message moves between folders: 1 to 64 characters from
// letters, digits, '_' and '-'.
type MessageID string

// ConferenceID names a conference room, such as "400": 1 to 64 characters
// from letters, digits, '.', '_' and '-', not starting with '.' or '-'.
type ConferenceID string

// ParticipantID identifies a participant within a conference room (on
// Asterisk the participant's channel name, on FreeSWITCH the member ID).
type ParticipantID string

// QueueID names a call queue, with the same syntax as [ConferenceID].
type QueueID string

// NewCallID returns a fresh random CallID, suitable for
// [OriginateRequest].ID. It is 32 lowercase hexadecimal characters.
func NewCallID() CallID {
	return CallID(randomHex(16))
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// Validate reports whether id is a well-formed extension number. The error
// matches [ErrInvalid].
func (id ExtensionID) Validate() error {
	return checkSyntax("extension", string(id), 1, 20, isDigit)
}

// Validate reports whether id is a well-formed call ID.
func (id CallID) Validate() error {
	return checkSyntax("call ID", string(id), 1, 64, isNameByte)
}

// Validate reports whether id is a well-formed mailbox.
func (id MailboxID) Validate() error {
	box, ctx, found := strings.Cut(string(id), "@")
	if err := checkSyntax("mailbox", box, 1, 20, isDigit); err != nil {
		return err
	}
	if found {
		// Not ".." or ".hidden": backends build spool paths from it.
		return checkName("mailbox context", ctx)
	}
	return nil
}

// Extension returns the extension part of the mailbox ("1010" for "1010@default").
func (id MailboxID) Extension() ExtensionID {
	box, _, _ := strings.Cut(string(id), "@")
	return ExtensionID(box)
}

// Context returns the context or domain part of the mailbox, or "" if it has none.
func (id MailboxID) Context() string {
	_, ctx, _ := strings.Cut(string(id), "@")
	return ctx
}

// Validate reports whether id is a well-formed message ID.
func (id MessageID) Validate() error {
	return checkSyntax("message ID", string(id), 1, 64, func(c byte) bool { return isNameByte(c) && c != '.' })
}

// Validate reports whether id is a well-formed conference room name.
func (id ConferenceID) Validate() error {
	return checkName("conference", string(id))
}

// Validate reports whether id is a well-formed participant ID.
func (id ParticipantID) Validate() error {
	return checkSyntax("participant", string(id), 1, 128, isChannelByte)
}

// Validate reports whether id is a well-formed queue name.
func (id QueueID) Validate() error {
	return checkName("queue", string(id))
}

func checkName(what, s string) error {
	if err := checkSyntax(what, s, 1, 64, isNameByte); err != nil {
		return err
	}
	if s[0] == '.' || s[0] == '-' {
		return invalidf("%s %q must not start with %q", what, s, s[0])
	}
	return nil
}

// ValidateNumber reports whether s is a dialable number: an optional leading
// '+', then 1 to 32 characters from digits, '*' and '#'.
func ValidateNumber(s string) error {
	t := s
	if len(t) > 0 && t[0] == '+' {
		t = t[1:]
	}
	if err := checkSyntax("number", t, 1, 32, func(c byte) bool { return isDigit(c) || c == '*' || c == '#' }); err != nil {
		return invalidf("number %q: want digits, '*' or '#' with an optional leading '+'", s)
	}
	return nil
}

// ValidateEndpoint reports whether s is a well-formed endpoint or queue
// member interface: a technology, a slash and a resource ("PJSIP/1010",
// "Local/1010@from-queue/n", "user/1000"), without characters that a PBX
// would read as separators (such as '&', ',' or spaces).
func ValidateEndpoint(s string) error {
	tech, res, ok := strings.Cut(s, "/")
	if !ok {
		return invalidf("endpoint %q: want technology/resource", s)
	}
	if err := checkSyntax("endpoint technology", tech, 1, 32, isAlnum); err != nil {
		return err
	}
	return checkSyntax("endpoint", res, 1, 128, func(c byte) bool { return isChannelByte(c) && c != ';' })
}

// ValidateText reports whether s is acceptable free text (a name, a caller ID
// name, a reason) of at most max bytes: valid UTF-8 without control
// characters. CR, LF and NUL in particular are refused everywhere, because
// they would let a value inject protocol lines.
func ValidateText(field, s string, max int) error {
	if len(s) > max {
		return invalidf("%s is %d bytes long, more than %d", field, len(s), max)
	}
	if !utf8.ValidString(s) {
		return invalidf("%s is not valid UTF-8", field)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f {
			return invalidf("%s contains the control character %#02x", field, c)
		}
	}
	return nil
}

// ValidateVariable reports whether name=value is an acceptable channel
// variable: a name of letters, digits and '_' not starting with a digit, and a
// value that passes [ValidateText] with a limit of 512 bytes.
func ValidateVariable(name, value string) error {
	if err := checkSyntax("variable name", name, 1, 64, func(c byte) bool { return isAlnum(c) || c == '_' }); err != nil {
		return err
	}
	if isDigit(name[0]) {
		return invalidf("variable name %q starts with a digit", name)
	}
	return ValidateText("variable "+name, value, 512)
}

// ValidateContext reports whether s is a well-formed dialplan context name.
func ValidateContext(s string) error {
	return checkSyntax("context", s, 1, 80, func(c byte) bool { return isAlnum(c) || c == '_' || c == '-' })
}

func checkSyntax(what, s string, minLen, maxLen int, ok func(byte) bool) error {
	if len(s) < minLen {
		return invalidf("%s is empty", what)
	}
	if len(s) > maxLen {
		return invalidf("%s is longer than %d characters", what, maxLen)
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return invalidf("%s %q contains the invalid character %q", what, s, s[i])
		}
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return &Error{Code: InvalidArgument, Err: fmt.Errorf(format, args...)}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isNameByte(c byte) bool { return isAlnum(c) || c == '.' || c == '_' || c == '-' }

func isChannelByte(c byte) bool {
	return isNameByte(c) || c == '/' || c == '@' || c == ';' || c == ':' || c == '+'
}
