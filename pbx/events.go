package pbx

import (
	"encoding/json"
	"strings"
	"time"
)

// EventKind names the type of an [Event].
type EventKind int

// The event kinds, one per event type.
const (
	KindUnknown EventKind = iota
	KindCallStarted
	KindCallRinging
	KindCallAnswered
	KindCallBridged
	KindCallTransferred
	KindCallEnded
	KindDeviceStateChanged
	KindContactRegistered
	KindContactUnregistered
	KindContactStatusChanged
	KindDNDChanged
	KindForwardChanged
	KindFollowMeChanged
	KindCallWaitingChanged
	KindExtensionCreated
	KindExtensionUpdated
	KindExtensionDeleted
	KindVoicemailReceived
	KindMailboxChanged
	KindConferenceStarted
	KindConferenceEnded
	KindConferenceJoined
	KindConferenceLeft
	KindParticipantMuted
	KindConferenceLocked
	KindQueueCallerJoined
	KindQueueCallerLeft
	KindQueueMemberAdded
	KindQueueMemberRemoved
	KindQueueMemberPaused
	KindQueueMemberStatusChanged
	KindCDRPosted
	KindBackendDisconnected
	KindBackendReconnected
	KindEventsDropped
	numEventKinds
)

var kindNames = enumNames[EventKind]{
	"unknown",
	"call.started", "call.ringing", "call.answered", "call.bridged", "call.transferred", "call.ended",
	"device.state", "contact.registered", "contact.unregistered", "contact.status",
	"dnd.changed", "forward.changed", "followme.changed", "callwaiting.changed",
	"extension.created", "extension.updated", "extension.deleted",
	"voicemail.received", "mailbox.changed",
	"conference.started", "conference.ended", "conference.joined", "conference.left",
	"conference.muted", "conference.locked",
	"queue.caller.joined", "queue.caller.left", "queue.member.added", "queue.member.removed",
	"queue.member.paused", "queue.member.status",
	"cdr.posted",
	"backend.disconnected", "backend.reconnected", "events.dropped",
}

// String returns the kind's dotted name, such as "call.started".
func (k EventKind) String() string { return kindNames.name(k) }

// MarshalText encodes the kind as its dotted name.
func (k EventKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText decodes a dotted name.
func (k *EventKind) UnmarshalText(b []byte) (err error) {
	*k, err = ParseEventKind(string(b))
	return err
}

// ParseEventKind returns the kind with the given dotted name.
func ParseEventKind(s string) (EventKind, error) {
	k, err := kindNames.parse("event kind", s)
	if err == nil && k == KindUnknown {
		return 0, invalidf("unknown event kind %q", s)
	}
	return k, err
}

// EventKinds lists every event kind.
func EventKinds() []EventKind {
	kinds := make([]EventKind, 0, numEventKinds-1)
	for k := KindUnknown + 1; k < numEventKinds; k++ {
		kinds = append(kinds, k)
	}
	return kinds
}

// Event is something that happened on the PBX. The set of event types is
// closed: every Event is one of the pointer types in this file, and a type
// switch over them is exhaustive. Events are shared between subscribers:
// treat them as read-only.
type Event interface {
	// Kind returns the event's kind.
	Kind() EventKind
	// Header returns the fields every event has.
	Header() *EventHeader
	// scope names what the event is about, for filtering.
	scope() eventScope
}

// EventHeader holds the fields every event has.
type EventHeader struct {
	// Seq numbers the events a client delivers, from 1, in the order they
	// came from the PBX.
	Seq uint64 `json:"seq"`
	// Time is when the event happened, by the backend's clock.
	Time time.Time `json:"time"`
	// Backend is the backend's name.
	Backend string `json:"backend"`
}

// Header returns h itself.
func (h *EventHeader) Header() *EventHeader { return h }

// eventScope names the objects an event is about.
type eventScope struct {
	exts       [2]ExtensionID
	call       CallID
	linked     CallID
	mailbox    MailboxID
	conference ConferenceID
	queue      QueueID
	lifecycle  bool // about the event stream itself: never filtered out
}

func callScope(c *Call) eventScope {
	return eventScope{exts: [2]ExtensionID{c.Extension}, call: c.ID, linked: c.LinkedID}
}

func extScope(e ExtensionID) eventScope { return eventScope{exts: [2]ExtensionID{e}} }

// CallStarted reports a new call leg.
type CallStarted struct {
	EventHeader
	Call Call `json:"call"`
}

// CallRinging reports a leg that started ringing.
type CallRinging struct {
	EventHeader
	Call Call `json:"call"`
}

// CallAnswered reports a leg that was answered.
type CallAnswered struct {
	EventHeader
	Call Call `json:"call"`
}

// CallBridged reports a leg that joined a bridge (was connected to another).
type CallBridged struct {
	EventHeader
	Call     Call   `json:"call"`
	BridgeID string `json:"bridgeId"`
}

// CallTransferred reports a leg sent elsewhere by a transfer or redirect.
type CallTransferred struct {
	EventHeader
	Call Call `json:"call"`
	// To is where the leg went (a number or dialplan location).
	To string `json:"to"`
}

// CallEnded reports a leg that hung up.
type CallEnded struct {
	EventHeader
	Call      Call        `json:"call"`
	Cause     HangupCause `json:"cause"`
	CauseText string      `json:"causeText,omitempty"`
}

// DeviceStateChanged reports a device's new state.
type DeviceStateChanged struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	Device    string      `json:"device"`
	State     DeviceState `json:"state"`
}

// ContactRegistered reports a new registration of an extension's device.
type ContactRegistered struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	Contact   Contact     `json:"contact"`
}

// ContactUnregistered reports a registration that ended or expired.
type ContactUnregistered struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	Contact   Contact     `json:"contact"`
}

// ContactStatusChanged reports a registered contact that became reachable or
// unreachable.
type ContactStatusChanged struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	Contact   Contact     `json:"contact"`
}

// DNDChanged reports do-not-disturb switched on or off.
type DNDChanged struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	Enabled   bool        `json:"enabled"`
}

// ForwardChanged reports new call forwarding settings.
type ForwardChanged struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	Forward   CallForward `json:"forward"`
}

// FollowMeChanged reports new follow-me settings.
type FollowMeChanged struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	FollowMe  FollowMe    `json:"followMe"`
}

// CallWaitingChanged reports call waiting switched on or off.
type CallWaitingChanged struct {
	EventHeader
	Extension ExtensionID `json:"extension"`
	Enabled   bool        `json:"enabled"`
}

// ExtensionCreated reports a new extension.
type ExtensionCreated struct {
	EventHeader
	Extension Extension `json:"extension"`
}

// ExtensionUpdated reports a changed extension (its secret included).
type ExtensionUpdated struct {
	EventHeader
	Extension Extension `json:"extension"`
}

// ExtensionDeleted reports a deleted extension.
type ExtensionDeleted struct {
	EventHeader
	ID ExtensionID `json:"id"`
}

// VoicemailReceived reports a new voicemail message. Message is nil when the
// PBX reports only the new counts.
type VoicemailReceived struct {
	EventHeader
	Mailbox MailboxID     `json:"mailbox"`
	Message *Message      `json:"message,omitempty"`
	Counts  MailboxCounts `json:"counts"`
}

// MailboxChanged reports a mailbox's new message counts (message waiting).
type MailboxChanged struct {
	EventHeader
	Mailbox MailboxID     `json:"mailbox"`
	Counts  MailboxCounts `json:"counts"`
}

// ConferenceStarted reports a room whose first participant joined.
type ConferenceStarted struct {
	EventHeader
	Conference ConferenceID `json:"conference"`
}

// ConferenceEnded reports a room whose last participant left.
type ConferenceEnded struct {
	EventHeader
	Conference ConferenceID `json:"conference"`
}

// ConferenceJoined reports a participant joining a room.
type ConferenceJoined struct {
	EventHeader
	Participant Participant `json:"participant"`
}

// ConferenceLeft reports a participant leaving a room (or being kicked).
type ConferenceLeft struct {
	EventHeader
	Participant Participant `json:"participant"`
}

// ParticipantMuted reports a participant muted or unmuted.
type ParticipantMuted struct {
	EventHeader
	Participant Participant `json:"participant"`
	Muted       bool        `json:"muted"`
}

// ConferenceLocked reports a room locked or unlocked.
type ConferenceLocked struct {
	EventHeader
	Conference ConferenceID `json:"conference"`
	Locked     bool         `json:"locked"`
}

// QueueCallerJoined reports a caller entering a queue.
type QueueCallerJoined struct {
	EventHeader
	Queue  QueueID     `json:"queue"`
	Caller QueueCaller `json:"caller"`
}

// QueueCallerLeft reports a caller leaving a queue, answered or not.
type QueueCallerLeft struct {
	EventHeader
	Queue  QueueID     `json:"queue"`
	Caller QueueCaller `json:"caller"`
	// Abandoned is true when the caller hung up before being answered.
	Abandoned bool `json:"abandoned"`
}

// QueueMemberAdded reports a member added to a queue.
type QueueMemberAdded struct {
	EventHeader
	Queue  QueueID     `json:"queue"`
	Member QueueMember `json:"member"`
}

// QueueMemberRemoved reports a member removed from a queue.
type QueueMemberRemoved struct {
	EventHeader
	Queue  QueueID     `json:"queue"`
	Member QueueMember `json:"member"`
}

// QueueMemberPaused reports a member paused or unpaused.
type QueueMemberPaused struct {
	EventHeader
	Queue  QueueID     `json:"queue"`
	Member QueueMember `json:"member"`
	Paused bool        `json:"paused"`
}

// QueueMemberStatusChanged reports a member's new device status.
type QueueMemberStatusChanged struct {
	EventHeader
	Queue  QueueID     `json:"queue"`
	Member QueueMember `json:"member"`
}

// CDRPosted reports a call detail record written at the end of a call.
type CDRPosted struct {
	EventHeader
	CDR CDR `json:"cdr"`
}

// BackendDisconnected reports that the connection to the PBX was lost.
// Events may be missed until BackendReconnected; requests fail with
// [ErrUnavailable] meanwhile.
type BackendDisconnected struct {
	EventHeader
	// Reason says why, without secrets.
	Reason string `json:"reason"`
}

// BackendReconnected reports that the connection is back. Events reporting
// what changed while it was down (calls that ended, devices that changed
// state) follow it, as far as the backend can tell.
type BackendReconnected struct {
	EventHeader
	// Downtime is how long the connection was down.
	Downtime time.Duration `json:"downtime"`
	// Restarted reports that the PBX restarted while the connection was
	// down (or that the connection now reaches another server): the calls
	// it had are gone, and state it keeps only in memory may be lost. The
	// events that follow describe what it has now. False when the PBX did
	// not restart, or the backend cannot tell.
	Restarted bool `json:"restarted,omitempty"`
}

// EventsDropped reports that a subscriber fell behind and Count events were
// dropped, oldest first, just before this one.
type EventsDropped struct {
	EventHeader
	Count int `json:"count"`
}

// Kind returns KindCallStarted.
func (*CallStarted) Kind() EventKind { return KindCallStarted }

// Kind returns KindCallRinging.
func (*CallRinging) Kind() EventKind { return KindCallRinging }

// Kind returns KindCallAnswered.
func (*CallAnswered) Kind() EventKind { return KindCallAnswered }

// Kind returns KindCallBridged.
func (*CallBridged) Kind() EventKind { return KindCallBridged }

// Kind returns KindCallTransferred.
func (*CallTransferred) Kind() EventKind { return KindCallTransferred }

// Kind returns KindCallEnded.
func (*CallEnded) Kind() EventKind { return KindCallEnded }

// Kind returns KindDeviceStateChanged.
func (*DeviceStateChanged) Kind() EventKind { return KindDeviceStateChanged }

// Kind returns KindContactRegistered.
func (*ContactRegistered) Kind() EventKind { return KindContactRegistered }

// Kind returns KindContactUnregistered.
func (*ContactUnregistered) Kind() EventKind { return KindContactUnregistered }

// Kind returns KindContactStatusChanged.
func (*ContactStatusChanged) Kind() EventKind { return KindContactStatusChanged }

// Kind returns KindDNDChanged.
func (*DNDChanged) Kind() EventKind { return KindDNDChanged }

// Kind returns KindForwardChanged.
func (*ForwardChanged) Kind() EventKind { return KindForwardChanged }

// Kind returns KindFollowMeChanged.
func (*FollowMeChanged) Kind() EventKind { return KindFollowMeChanged }

// Kind returns KindCallWaitingChanged.
func (*CallWaitingChanged) Kind() EventKind { return KindCallWaitingChanged }

// Kind returns KindExtensionCreated.
func (*ExtensionCreated) Kind() EventKind { return KindExtensionCreated }

// Kind returns KindExtensionUpdated.
func (*ExtensionUpdated) Kind() EventKind { return KindExtensionUpdated }

// Kind returns KindExtensionDeleted.
func (*ExtensionDeleted) Kind() EventKind { return KindExtensionDeleted }

// Kind returns KindVoicemailReceived.
func (*VoicemailReceived) Kind() EventKind { return KindVoicemailReceived }

// Kind returns KindMailboxChanged.
func (*MailboxChanged) Kind() EventKind { return KindMailboxChanged }

// Kind returns KindConferenceStarted.
func (*ConferenceStarted) Kind() EventKind { return KindConferenceStarted }

// Kind returns KindConferenceEnded.
func (*ConferenceEnded) Kind() EventKind { return KindConferenceEnded }

// Kind returns KindConferenceJoined.
func (*ConferenceJoined) Kind() EventKind { return KindConferenceJoined }

// Kind returns KindConferenceLeft.
func (*ConferenceLeft) Kind() EventKind { return KindConferenceLeft }

// Kind returns KindParticipantMuted.
func (*ParticipantMuted) Kind() EventKind { return KindParticipantMuted }

// Kind returns KindConferenceLocked.
func (*ConferenceLocked) Kind() EventKind { return KindConferenceLocked }

// Kind returns KindQueueCallerJoined.
func (*QueueCallerJoined) Kind() EventKind { return KindQueueCallerJoined }

// Kind returns KindQueueCallerLeft.
func (*QueueCallerLeft) Kind() EventKind { return KindQueueCallerLeft }

// Kind returns KindQueueMemberAdded.
func (*QueueMemberAdded) Kind() EventKind { return KindQueueMemberAdded }

// Kind returns KindQueueMemberRemoved.
func (*QueueMemberRemoved) Kind() EventKind { return KindQueueMemberRemoved }

// Kind returns KindQueueMemberPaused.
func (*QueueMemberPaused) Kind() EventKind { return KindQueueMemberPaused }

// Kind returns KindQueueMemberStatusChanged.
func (*QueueMemberStatusChanged) Kind() EventKind { return KindQueueMemberStatusChanged }

// Kind returns KindCDRPosted.
func (*CDRPosted) Kind() EventKind { return KindCDRPosted }

// Kind returns KindBackendDisconnected.
func (*BackendDisconnected) Kind() EventKind { return KindBackendDisconnected }

// Kind returns KindBackendReconnected.
func (*BackendReconnected) Kind() EventKind { return KindBackendReconnected }

// Kind returns KindEventsDropped.
func (*EventsDropped) Kind() EventKind { return KindEventsDropped }

func (e *CallStarted) scope() eventScope          { return callScope(&e.Call) }
func (e *CallRinging) scope() eventScope          { return callScope(&e.Call) }
func (e *CallAnswered) scope() eventScope         { return callScope(&e.Call) }
func (e *CallBridged) scope() eventScope          { return callScope(&e.Call) }
func (e *CallTransferred) scope() eventScope      { return callScope(&e.Call) }
func (e *CallEnded) scope() eventScope            { return callScope(&e.Call) }
func (e *DeviceStateChanged) scope() eventScope   { return extScope(e.Extension) }
func (e *ContactRegistered) scope() eventScope    { return extScope(e.Extension) }
func (e *ContactUnregistered) scope() eventScope  { return extScope(e.Extension) }
func (e *ContactStatusChanged) scope() eventScope { return extScope(e.Extension) }
func (e *DNDChanged) scope() eventScope           { return extScope(e.Extension) }
func (e *ForwardChanged) scope() eventScope       { return extScope(e.Extension) }
func (e *FollowMeChanged) scope() eventScope      { return extScope(e.Extension) }
func (e *CallWaitingChanged) scope() eventScope   { return extScope(e.Extension) }
func (e *ExtensionCreated) scope() eventScope     { return extScope(e.Extension.ID) }
func (e *ExtensionUpdated) scope() eventScope     { return extScope(e.Extension.ID) }
func (e *ExtensionDeleted) scope() eventScope     { return extScope(e.ID) }
func (e *VoicemailReceived) scope() eventScope {
	return eventScope{exts: [2]ExtensionID{e.Mailbox.Extension()}, mailbox: e.Mailbox}
}
func (e *MailboxChanged) scope() eventScope {
	return eventScope{exts: [2]ExtensionID{e.Mailbox.Extension()}, mailbox: e.Mailbox}
}
func (e *ConferenceStarted) scope() eventScope { return eventScope{conference: e.Conference} }
func (e *ConferenceEnded) scope() eventScope   { return eventScope{conference: e.Conference} }
func (e *ConferenceJoined) scope() eventScope  { return participantScope(&e.Participant) }
func (e *ConferenceLeft) scope() eventScope    { return participantScope(&e.Participant) }
func (e *ParticipantMuted) scope() eventScope  { return participantScope(&e.Participant) }
func (e *ConferenceLocked) scope() eventScope  { return eventScope{conference: e.Conference} }
func (e *QueueCallerJoined) scope() eventScope {
	return eventScope{queue: e.Queue, call: e.Caller.CallID, exts: [2]ExtensionID{ExtensionID(e.Caller.Caller.Number)}}
}
func (e *QueueCallerLeft) scope() eventScope {
	return eventScope{queue: e.Queue, call: e.Caller.CallID, exts: [2]ExtensionID{ExtensionID(e.Caller.Caller.Number)}}
}
func (e *QueueMemberAdded) scope() eventScope         { return memberScope(e.Queue, &e.Member) }
func (e *QueueMemberRemoved) scope() eventScope       { return memberScope(e.Queue, &e.Member) }
func (e *QueueMemberPaused) scope() eventScope        { return memberScope(e.Queue, &e.Member) }
func (e *QueueMemberStatusChanged) scope() eventScope { return memberScope(e.Queue, &e.Member) }
func (e *CDRPosted) scope() eventScope {
	return eventScope{exts: [2]ExtensionID{ExtensionID(e.CDR.Src), ExtensionID(e.CDR.Dst)}, call: e.CDR.UniqueID, linked: e.CDR.LinkedID}
}
func (e *BackendDisconnected) scope() eventScope { return eventScope{lifecycle: true} }
func (e *BackendReconnected) scope() eventScope  { return eventScope{lifecycle: true} }
func (e *EventsDropped) scope() eventScope       { return eventScope{lifecycle: true} }

func participantScope(p *Participant) eventScope {
	return eventScope{conference: p.Conference, call: p.CallID, exts: [2]ExtensionID{ExtensionID(p.Caller.Number)}}
}

func memberScope(q QueueID, m *QueueMember) eventScope {
	return eventScope{queue: q, exts: [2]ExtensionID{InterfaceExtension(m.Interface)}}
}

// InterfaceExtension returns the extension an endpoint or queue member
// interface is on ("1010" for "PJSIP/1010" and "Local/1010@from-queue/n"), or
// "" if it names none.
func InterfaceExtension(iface string) ExtensionID {
	_, res, ok := strings.Cut(iface, "/")
	if !ok {
		return ""
	}
	end := 0
	for end < len(res) && isDigit(res[end]) {
		end++
	}
	if end == 0 || (end < len(res) && res[end] != '@' && res[end] != '/' && res[end] != '-') {
		return ""
	}
	return ExtensionID(res[:end])
}

// MarshalEvent encodes an event as one JSON object whose "kind" member holds
// its dotted kind name, followed by the header and the event's own fields.
func MarshalEvent(e Event) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	kind, _ := json.Marshal(e.Kind().String())
	out := make([]byte, 0, len(body)+len(kind)+10)
	out = append(out, `{"kind":`...)
	out = append(out, kind...)
	if len(body) > 2 {
		out = append(out, ',')
	}
	return append(out, body[1:]...), nil
}
