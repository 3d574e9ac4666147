package freeswitch

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

// This file reads FreeSWITCH's replies and event headers. Every reader
// tolerates what a switch of another version (or a broken one) may send:
// a malformed reply is an error or an empty result, never a panic.

// get returns an event header; FreeSWITCH's "_undef_" (an empty value) is "".
func get(ev *esl.Event, name string) string {
	if v := ev.Get(name); v != "_undef_" {
		return v
	}
	return ""
}

// eventTime returns when FreeSWITCH fired the event (Event-Date-Timestamp,
// in microseconds), or the zero time.
func eventTime(ev *esl.Event) time.Time {
	return usec(ev.Get("Event-Date-Timestamp"))
}

// usec reads a time in microseconds since the epoch; "0" and garbage are
// the zero time.
func usec(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(n)
}

// epochTime reads a time in seconds since the epoch; "0" and garbage are
// the zero time.
func epochTime(s string) time.Time {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}

// seconds reads a whole number of seconds; garbage is 0.
func seconds(s string) time.Duration {
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return time.Duration(n) * time.Second
}

// parseTable reads a '|'-separated table whose first row names the
// columns, as list_users and callcenter_config print them, up to the
// "+OK" line. A row with the wrong number of fields (a value holding '|')
// is skipped.
func parseTable(body string) []map[string]string {
	var cols []string
	var rows []map[string]string
	for line := range strings.Lines(body) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		if line == "+OK" {
			break
		}
		f := strings.Split(line, "|")
		if cols == nil {
			cols = f
			continue
		}
		if len(f) != len(cols) {
			continue
		}
		row := make(map[string]string, len(cols))
		for i, c := range cols {
			row[c] = f[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// jsonStrings decodes a JSON object whose values are strings or numbers
// (a serialized event, a row of "show ... as json") into strings.
func jsonStrings(raw map[string]json.RawMessage) map[string]string {
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(bytes.TrimSpace(v))
		}
		out[k] = s
	}
	return out
}

// parseShowRows reads the reply of "show channels|calls as json":
// {"row_count":N,"rows":[...]}, or {"row_count": 0} without rows.
func parseShowRows(body string) ([]map[string]string, error) {
	var r struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		return nil, fmt.Errorf("reading the channel list: %w", err)
	}
	rows := make([]map[string]string, len(r.Rows))
	for i, raw := range r.Rows {
		rows[i] = jsonStrings(raw)
	}
	return rows, nil
}

// parseEventJSON reads an event serialized as JSON, the reply of
// mod_voicemail's vm_fsdb_* commands.
func parseEventJSON(body string) (map[string]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		return nil, fmt.Errorf("reading a mod_voicemail reply: %w", err)
	}
	return jsonStrings(raw), nil
}

// parseCount reads "N total." (show ... count).
func parseCount(body string) int {
	for _, f := range strings.Fields(body) {
		if n, err := strconv.Atoi(f); err == nil {
			return n
		}
	}
	return 0
}

// statusReply is what "status" says.
type statusReply struct {
	uptime   time.Duration
	total    int // sessions since startup
	sessions int // current sessions
}

var uptimeUnits = map[string]time.Duration{
	"year": 365 * 24 * time.Hour, "day": 24 * time.Hour, "hour": time.Hour, "minute": time.Minute,
	"second": time.Second, "millisecond": time.Millisecond, "microsecond": time.Microsecond,
}

// parseStatus reads the reply of "status":
//
//	UP 0 years, 0 days, 1 hour, 2 minutes, 3 seconds, 4 milliseconds, 5 microseconds
//	FreeSWITCH (Version 1.10.12 ...) is ready
//	12 session(s) since startup
//	1 session(s) - peak 2, last 5min 2
func parseStatus(body string) statusReply {
	var st statusReply
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "UP "):
			f := strings.Fields(strings.ReplaceAll(line[3:], ",", " "))
			for i := 0; i+1 < len(f); i += 2 {
				n, err := strconv.ParseInt(f[i], 10, 64)
				if unit, ok := uptimeUnits[strings.TrimSuffix(f[i+1], "s")]; ok && err == nil {
					st.uptime += time.Duration(n) * unit
				}
			}
		case strings.HasSuffix(line, "session(s) since startup"):
			st.total = parseCount(line)
		case strings.Contains(line, "session(s) - peak"):
			st.sessions = parseCount(line)
		}
	}
	return st
}

// parseVersion turns "FreeSWITCH Version 1.10.12-release-... (...)" into
// "FreeSWITCH 1.10.12-release-...".
func parseVersion(body string) string {
	body = strings.TrimSpace(body)
	if _, rest, ok := strings.Cut(body, "Version "); ok {
		if f := strings.Fields(rest); len(f) > 0 {
			return "FreeSWITCH " + f[0]
		}
	}
	return body
}

// xmlRegistration is one <registration> of "sofia xmlstatus profile P reg".
type xmlRegistration struct {
	User       string `xml:"user"`
	Contact    string `xml:"contact"`
	Agent      string `xml:"agent"`
	Status     string `xml:"status"`
	PingStatus string `xml:"ping-status"`
	PingTime   string `xml:"ping-time"`
	IP         string `xml:"network-ip"`
	Port       string `xml:"network-port"`
	AuthUser   string `xml:"sip-auth-user"`
}

// registration is one registered contact of an extension.
type registration struct {
	ext     pbx.ExtensionID
	contact pbx.Contact
}

// parseRegistrations reads "sofia xmlstatus profile P reg". FreeSWITCH
// declares ISO-8859-1 but writes the bytes it was given (UTF-8 user
// agents, usually): valid UTF-8 is read as such, anything else as Latin-1.
func parseRegistrations(body string, now time.Time) ([]registration, error) {
	var p struct {
		Registrations []xmlRegistration `xml:"registrations>registration"`
	}
	dec := xml.NewDecoder(strings.NewReader(body))
	utf := utf8.ValidString(body)
	dec.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if utf {
			return in, nil
		}
		if !strings.EqualFold(charset, "ISO-8859-1") {
			return nil, fmt.Errorf("unknown charset %q", charset)
		}
		data, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		runes := make([]rune, len(data))
		for i, c := range data {
			runes[i] = rune(c)
		}
		return strings.NewReader(string(runes)), nil
	}
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("reading the registrations: %w", err)
	}
	var out []registration
	for _, r := range p.Registrations {
		user, _, _ := strings.Cut(r.User, "@")
		ext := pbx.ExtensionID(user)
		if ext.Validate() != nil {
			if ext = pbx.ExtensionID(r.AuthUser); ext.Validate() != nil {
				continue
			}
		}
		ct := pbx.Contact{URI: contactURI(r.Contact), UserAgent: r.Agent, IP: r.IP, Status: pingStatus(r.PingStatus)}
		ct.Port, _ = strconv.Atoi(r.Port)
		if ms, err := strconv.ParseFloat(r.PingTime, 64); err == nil && ms > 0 {
			ct.RTT = time.Duration(ms * float64(time.Millisecond))
		}
		if _, rest, ok := strings.Cut(strings.ToLower(r.Status), "expsecs("); ok {
			digits, _, _ := strings.Cut(rest, ")")
			if secs, err := strconv.Atoi(digits); err == nil {
				ct.Expires = now.Add(time.Duration(secs) * time.Second).Truncate(time.Second)
			}
		}
		out = append(out, registration{ext: ext, contact: ct})
	}
	return out, nil
}

// pingStatus maps Sofia's Ping-Status.
func pingStatus(s string) pbx.ContactStatus {
	switch strings.ToLower(s) {
	case "reachable":
		return pbx.ContactReachable
	case "unreachable":
		return pbx.ContactUnreachable
	}
	return pbx.ContactUnknown
}

// contactURI extracts the URI of a Contact header (`"1000"
// <sip:1000@192.0.2.7:5060;fs_nat=no>`), without the parameters Sofia
// adds for itself (fs_nat, fs_path).
func contactURI(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[i+1:]
		if j := strings.IndexByte(s, '>'); j >= 0 {
			s = s[:j]
		}
	}
	var keep []string
	for i, part := range strings.Split(strings.TrimSpace(s), ";") {
		if i == 0 || !strings.HasPrefix(part, "fs_") {
			keep = append(keep, part)
		}
	}
	return strings.Join(keep, ";")
}

// callID returns a channel UUID as a call ID, or "" if it is not a valid one.
func callID(s string) pbx.CallID {
	if id := pbx.CallID(s); id.Validate() == nil {
		return id
	}
	return ""
}

// presenceExtension returns the extension of a presence ID ("1000@domain"),
// or "" when it names none.
func presenceExtension(presence string) pbx.ExtensionID {
	user, _, _ := strings.Cut(presence, "@")
	if ext := pbx.ExtensionID(user); ext.Validate() == nil {
		return ext
	}
	return ""
}

// callState maps a channel's call state (Channel-Call-State, the callstate
// column).
func callState(s string) pbx.CallState {
	switch s {
	case "DIALING":
		return pbx.CallStateDialing
	case "RINGING", "EARLY", "RING_WAIT":
		return pbx.CallStateRinging
	case "ACTIVE", "UNHELD":
		return pbx.CallStateUp
	case "HELD":
		return pbx.CallStateHeld
	}
	return pbx.CallStateDown
}

// hangupCauses maps FreeSWITCH's cause names to Q.850 codes, for channels
// whose hangup_cause_q850 is missing.
var hangupCauses = map[string]pbx.HangupCause{
	"UNALLOCATED_NUMBER": pbx.CauseUnallocated, "NORMAL_CLEARING": pbx.CauseNormal,
	"USER_BUSY": pbx.CauseBusy, "NO_ANSWER": pbx.CauseNoAnswer, "NO_USER_RESPONSE": pbx.CauseNoAnswer,
	"SUBSCRIBER_ABSENT": pbx.CauseUnavailable, "USER_NOT_REGISTERED": pbx.CauseUnavailable,
	"CALL_REJECTED": pbx.CauseRejected, "NORMAL_CIRCUIT_CONGESTION": pbx.CauseCongestion,
	"NETWORK_OUT_OF_ORDER": pbx.CauseFailure, "NORMAL_TEMPORARY_FAILURE": pbx.CauseTemporaryFail,
	"NORMAL_UNSPECIFIED": pbx.CauseNormalUnspecified,
	// Hung up by an API command or cancelled by the caller: a normal end.
	"MANAGER_REQUEST": pbx.CauseNormal, "ORIGINATOR_CANCEL": pbx.CauseNormal,
}

// hangupCause returns the Q.850 cause of a hangup: hangup_cause_q850 when
// it is a Q.850 code, else the cause name's.
func hangupCause(name, q850 string) pbx.HangupCause {
	if n, err := strconv.Atoi(q850); err == nil && n > 0 && n < 128 {
		return pbx.HangupCause(n)
	}
	return hangupCauses[name]
}
