package pbx

import (
	"encoding/json"
	"fmt"
	"strings"
)

// enumNames maps the values of an enum type to their names. It backs the
// String, MarshalText and UnmarshalText methods of every enum in this package.
type enumNames[T ~int] []string

func (n enumNames[T]) name(v T) string {
	if v >= 0 && int(v) < len(n) {
		return n[v]
	}
	return fmt.Sprintf("%d", int(v))
}

func (n enumNames[T]) parse(what, s string) (T, error) {
	for i, name := range n {
		if strings.EqualFold(name, s) {
			return T(i), nil
		}
	}
	return 0, invalidf("unknown %s %q", what, s)
}

// Technology is the channel technology of an extension's device.
type Technology int

// The technologies.
const (
	TechUnknown    Technology = iota
	TechPJSIP                 // Asterisk chan_pjsip
	TechSIP                   // Asterisk chan_sip
	TechIAX2                  // Asterisk chan_iax2
	TechFreeSWITCH            // a FreeSWITCH directory user
	TechVirtual               // an extension without a device (voicemail or routing only)
)

var techNames = enumNames[Technology]{"unknown", "pjsip", "sip", "iax2", "freeswitch", "virtual"}

// String returns the technology's lower-case name, such as "pjsip".
func (t Technology) String() string { return techNames.name(t) }

// MarshalText encodes the technology as its name.
func (t Technology) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText decodes a technology name, in any case.
func (t *Technology) UnmarshalText(b []byte) (err error) {
	*t, err = ParseTechnology(string(b))
	return err
}

// ParseTechnology parses a technology name such as "pjsip" (any case).
func ParseTechnology(s string) (Technology, error) { return techNames.parse("technology", s) }

// DeviceState is the state of a device, normalised from each PBX's own words.
type DeviceState int

// The device states.
const (
	DeviceUnknown     DeviceState = iota // the PBX does not know
	DeviceNotInUse                       // idle and reachable
	DeviceInUse                          // on a call
	DeviceBusy                           // busy (cannot take another call)
	DeviceRinging                        // ringing
	DeviceRingInUse                      // ringing while on another call
	DeviceOnHold                         // its call is on hold
	DeviceUnavailable                    // not registered or unreachable
	DeviceInvalid                        // no such device
)

var deviceStateNames = enumNames[DeviceState]{"unknown", "not in use", "in use", "busy", "ringing", "ringing in use", "on hold", "unavailable", "invalid"}

// String returns the state in words, such as "not in use".
func (s DeviceState) String() string { return deviceStateNames.name(s) }

// MarshalText encodes the state as its words.
func (s DeviceState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes the words String returns.
func (s *DeviceState) UnmarshalText(b []byte) (err error) {
	*s, err = deviceStateNames.parse("device state", string(b))
	return err
}

// Available reports whether a device in this state is registered and can be called.
func (s DeviceState) Available() bool {
	return s != DeviceUnknown && s != DeviceUnavailable && s != DeviceInvalid
}

// ContactStatus is the reachability of a registered contact.
type ContactStatus int

// The contact statuses.
const (
	ContactUnknown     ContactStatus = iota // registered, not qualified
	ContactReachable                        // answers qualify requests
	ContactUnreachable                      // does not answer qualify requests
)

var contactStatusNames = enumNames[ContactStatus]{"unknown", "reachable", "unreachable"}

// String returns the status name.
func (s ContactStatus) String() string { return contactStatusNames.name(s) }

// MarshalText encodes the status as its name.
func (s ContactStatus) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a status name.
func (s *ContactStatus) UnmarshalText(b []byte) (err error) {
	*s, err = contactStatusNames.parse("contact status", string(b))
	return err
}

// CallState is the state of one call leg.
type CallState int

// The call states.
const (
	CallStateDown    CallState = iota // created, not yet dialing
	CallStateDialing                  // dialing out, no answer yet
	CallStateRinging                  // ringing (the far end is alerted, or it rings here)
	CallStateUp                       // answered
	CallStateBusy                     // the far end is busy
	CallStateHeld                     // on hold
)

var callStateNames = enumNames[CallState]{"down", "dialing", "ringing", "up", "busy", "held"}

// String returns the state name, such as "up".
func (s CallState) String() string { return callStateNames.name(s) }

// MarshalText encodes the state as its name.
func (s CallState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a state name.
func (s *CallState) UnmarshalText(b []byte) (err error) {
	*s, err = callStateNames.parse("call state", string(b))
	return err
}

// HangupCause says why a call ended, in terms of the Q.850 causes that
// Asterisk and FreeSWITCH both report.
type HangupCause int

// The hang-up causes. Their values are the Q.850 cause codes.
const (
	CauseUnknown           HangupCause = 0
	CauseUnallocated       HangupCause = 1  // no such number
	CauseNormal            HangupCause = 16 // normal clearing
	CauseBusy              HangupCause = 17 // user busy
	CauseNoAnswer          HangupCause = 19 // no answer from user
	CauseRejected          HangupCause = 21 // call rejected
	CauseUnavailable       HangupCause = 20 // subscriber absent (not registered)
	CauseCongestion        HangupCause = 34 // no circuit available
	CauseFailure           HangupCause = 38 // network out of order
	CauseTemporaryFail     HangupCause = 41 // temporary failure
	CauseNormalUnspecified HangupCause = 31 // normal, unspecified
)

var causeNames = map[HangupCause]string{
	CauseUnknown:           "unknown",
	CauseUnallocated:       "unallocated number",
	CauseNormal:            "normal clearing",
	CauseBusy:              "user busy",
	CauseNoAnswer:          "no answer",
	CauseUnavailable:       "subscriber absent",
	CauseRejected:          "call rejected",
	CauseCongestion:        "congestion",
	CauseFailure:           "network out of order",
	CauseTemporaryFail:     "temporary failure",
	CauseNormalUnspecified: "normal, unspecified",
}

// String returns the cause in words, or "cause N" for other Q.850 codes.
func (c HangupCause) String() string {
	if s, ok := causeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("cause %d", int(c))
}

// MarshalJSON encodes the cause as its Q.850 code.
func (c HangupCause) MarshalJSON() ([]byte, error) { return json.Marshal(int(c)) }

// Folder is a voicemail folder. Only the six folders below exist.
type Folder string

// The voicemail folders, spelled as app_voicemail spells its directories.
const (
	FolderInbox   Folder = "INBOX"
	FolderOld     Folder = "Old"
	FolderWork    Folder = "Work"
	FolderFamily  Folder = "Family"
	FolderFriends Folder = "Friends"
	FolderUrgent  Folder = "Urgent"
)

// Folders lists every folder in app_voicemail's order (INBOX is folder 0).
var Folders = [...]Folder{FolderInbox, FolderOld, FolderWork, FolderFamily, FolderFriends, FolderUrgent}

// Validate reports whether f is one of the six folders (exact spelling).
func (f Folder) Validate() error {
	if f.Index() < 0 {
		return invalidf("unknown voicemail folder %q (want one of INBOX, Old, Work, Family, Friends, Urgent)", string(f))
	}
	return nil
}

// Index returns the folder's number in app_voicemail's order, or -1 if f is
// not a folder.
func (f Folder) Index() int {
	for i, g := range Folders {
		if f == g {
			return i
		}
	}
	return -1
}

// ParseFolder returns the folder named s, matched without regard to case
// ("inbox" gives INBOX).
func ParseFolder(s string) (Folder, error) {
	for _, f := range Folders {
		if strings.EqualFold(string(f), s) {
			return f, nil
		}
	}
	return "", Folder(s).Validate()
}

// Disposition is the outcome of a call as recorded in its CDR.
type Disposition int

// The dispositions, as Asterisk's CDR names them.
const (
	DispositionUnknown Disposition = iota
	DispositionAnswered
	DispositionNoAnswer
	DispositionBusy
	DispositionFailed
	DispositionCongestion
)

var dispositionNames = enumNames[Disposition]{"UNKNOWN", "ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"}

// String returns the disposition as a CDR writes it, such as "NO ANSWER".
func (d Disposition) String() string { return dispositionNames.name(d) }

// MarshalText encodes the disposition as String does.
func (d Disposition) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a disposition written as String does (any case).
func (d *Disposition) UnmarshalText(b []byte) (err error) {
	*d, err = ParseDisposition(string(b))
	return err
}

// ParseDisposition parses a CDR disposition such as "ANSWERED" or "no answer";
// "NOANSWER" and "NO_ANSWER" are accepted too.
func ParseDisposition(s string) (Disposition, error) {
	t := strings.NewReplacer("_", " ", "-", " ").Replace(s)
	if strings.EqualFold(t, "NOANSWER") {
		t = "NO ANSWER"
	}
	return dispositionNames.parse("disposition", t)
}

// QueueStrategy is how a queue picks the member to ring.
type QueueStrategy int

// The queue strategies, as app_queue names them.
const (
	StrategyUnknown QueueStrategy = iota
	StrategyRingAll
	StrategyLeastRecent
	StrategyFewestCalls
	StrategyRandom
	StrategyRoundRobin // rrmemory
	StrategyLinear
	StrategyWeightedRandom
)

var strategyNames = enumNames[QueueStrategy]{"unknown", "ringall", "leastrecent", "fewestcalls", "random", "rrmemory", "linear", "wrandom"}

// String returns the strategy as app_queue names it, such as "ringall".
func (s QueueStrategy) String() string { return strategyNames.name(s) }

// MarshalText encodes the strategy as its name.
func (s QueueStrategy) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText decodes a strategy name.
func (s *QueueStrategy) UnmarshalText(b []byte) (err error) {
	*s, err = ParseQueueStrategy(string(b))
	return err
}

// ParseQueueStrategy parses a strategy name; "roundrobin" and "rrordered"
// are read as rrmemory.
func ParseQueueStrategy(s string) (QueueStrategy, error) {
	switch strings.ToLower(s) {
	case "roundrobin", "rrordered", "round-robin", "top-down":
		return StrategyRoundRobin, nil
	case "longest-idle-agent":
		return StrategyLeastRecent, nil
	case "ring-all":
		return StrategyRingAll, nil
	case "agent-with-fewest-calls":
		return StrategyFewestCalls, nil
	}
	return strategyNames.parse("queue strategy", s)
}

// CallMode says what an originated call connects to once answered.
type CallMode int

// The call modes.
const (
	// ModeDial dials OriginateRequest.To (a number) once the first leg answers.
	ModeDial CallMode = iota
	// ModeMusicOnHold plays music on hold to the answered leg.
	ModeMusicOnHold
	// ModeEchoTest echoes the answered leg's audio back to it.
	ModeEchoTest
	// ModeConference puts the answered leg into the conference room named by To.
	ModeConference
	// ModePark parks the answered leg.
	ModePark
)

var callModeNames = enumNames[CallMode]{"dial", "hold", "echo", "conference", "park"}

// String returns the mode name: "dial", "hold", "echo", "conference" or "park".
func (m CallMode) String() string { return callModeNames.name(m) }

// MarshalText encodes the mode as its name.
func (m CallMode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText decodes a mode name.
func (m *CallMode) UnmarshalText(b []byte) (err error) {
	*m, err = ParseCallMode(string(b))
	return err
}

// ParseCallMode parses a mode name; "moh" and "musiconhold" mean hold.
func ParseCallMode(s string) (CallMode, error) {
	switch strings.ToLower(s) {
	case "moh", "musiconhold", "music-on-hold":
		return ModeMusicOnHold, nil
	case "echotest", "echo-test":
		return ModeEchoTest, nil
	}
	return callModeNames.parse("call mode", s)
}
