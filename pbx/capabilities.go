package pbx

import (
	"iter"
	"math/bits"
	"strconv"
	"strings"
)

// Capability is one thing a backend can do. A backend declares the set it
// supports; every operation that needs a missing capability fails with
// [ErrUnsupported] before reaching the backend, and the conformance suite
// (package pbxtest) verifies every declared one.
type Capability uint

// The capabilities.
const (
	CapExtensionsRead    Capability = iota // Extensions.List, Get
	CapExtensionsWrite                     // Extensions.Create, Update, Delete
	CapSecretReset                         // Extensions.ResetSecret
	CapSecretReveal                        // Extensions.RevealSecret
	CapDevices                             // Devices.List, Get (state and contacts)
	CapDND                                 // Devices.DND, SetDND
	CapCallForward                         // Devices.Forward, SetForward
	CapFollowMe                            // Devices.FollowMe, SetFollowMe
	CapCallsRead                           // Calls.List, Get
	CapOriginate                           // Calls.Originate, CallMe, Conferences.Join
	CapHangup                              // Calls.Hangup, HangupExtension
	CapTransfer                            // Calls.Transfer
	CapVoicemail                           // Voicemail mailboxes, messages, audio
	CapVoicemailWrite                      // Voicemail.Move, Delete
	CapConferences                         // Conferences.List, Get, Participants
	CapConferenceControl                   // Conferences.Kick, Mute, Lock
	CapQueues                              // Queues.List, Get
	CapQueueMembers                        // Queues.AddMember, RemoveMember, PauseMember
	CapCDR                                 // CDR.Query, Stats
	CapSystem                              // System.Info
	CapEvents                              // Subscribe delivers PBX events
	CapQueuesWrite                         // Queues.Create, Update, Delete (configuration)
	CapConferenceRooms                     // Conferences.Rooms, CreateRoom, UpdateRoom, DeleteRoom
	CapRecordings                          // CDR.Recording
	CapCallWaiting                         // Devices.CallWaiting, SetCallWaiting
	numCapabilities
)

var capNames = [...]string{
	CapExtensionsRead:    "extensions.read",
	CapExtensionsWrite:   "extensions.write",
	CapSecretReset:       "extensions.secret-reset",
	CapSecretReveal:      "extensions.secret-reveal",
	CapDevices:           "devices",
	CapDND:               "devices.dnd",
	CapCallForward:       "devices.forward",
	CapFollowMe:          "devices.followme",
	CapCallsRead:         "calls.read",
	CapOriginate:         "calls.originate",
	CapHangup:            "calls.hangup",
	CapTransfer:          "calls.transfer",
	CapVoicemail:         "voicemail.read",
	CapVoicemailWrite:    "voicemail.write",
	CapConferences:       "conferences.read",
	CapConferenceControl: "conferences.control",
	CapQueues:            "queues.read",
	CapQueueMembers:      "queues.members",
	CapCDR:               "cdr",
	CapSystem:            "system",
	CapEvents:            "events",
	CapQueuesWrite:       "queues.write",
	CapConferenceRooms:   "conferences.rooms",
	CapRecordings:        "cdr.recordings",
	CapCallWaiting:       "devices.callwaiting",
}

// String returns the capability's name, such as "calls.originate".
func (c Capability) String() string {
	if c < numCapabilities {
		return capNames[c]
	}
	return "capability(" + strconv.Itoa(int(c)) + ")"
}

// ParseCapability returns the capability with the given name.
func ParseCapability(name string) (Capability, error) {
	for c := Capability(0); c < numCapabilities; c++ {
		if capNames[c] == name {
			return c, nil
		}
	}
	return 0, invalidf("unknown capability %q", name)
}

// AllCapabilities lists every capability this version of the package knows.
func AllCapabilities() []Capability {
	all := make([]Capability, numCapabilities)
	for i := range all {
		all[i] = Capability(i)
	}
	return all
}

// Capabilities is a set of capabilities. The zero value is the empty set.
type Capabilities struct{ bits uint64 }

// NewCapabilities returns the set holding caps.
func NewCapabilities(caps ...Capability) Capabilities {
	var s Capabilities
	for _, c := range caps {
		s = s.With(c)
	}
	return s
}

// Has reports whether c is in the set.
func (s Capabilities) Has(c Capability) bool { return c < 64 && s.bits&(1<<c) != 0 }

// With returns the set plus c.
func (s Capabilities) With(c Capability) Capabilities {
	if c < 64 {
		s.bits |= 1 << c
	}
	return s
}

// Without returns the set minus c.
func (s Capabilities) Without(c Capability) Capabilities {
	if c < 64 {
		s.bits &^= 1 << c
	}
	return s
}

// Len returns the number of capabilities in the set.
func (s Capabilities) Len() int { return bits.OnesCount64(s.bits) }

// All iterates over the set in ascending order.
func (s Capabilities) All() iter.Seq[Capability] {
	return func(yield func(Capability) bool) {
		for c := Capability(0); c < 64; c++ {
			if s.Has(c) && !yield(c) {
				return
			}
		}
	}
}

// String lists the names, comma-separated.
func (s Capabilities) String() string {
	var names []string
	for c := range s.All() {
		names = append(names, c.String())
	}
	return strings.Join(names, ",")
}

// MarshalText encodes the set as String does.
func (s Capabilities) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
