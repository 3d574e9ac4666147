package pbx

import (
	"io"
	"log/slog"
	"time"
)

// Secret is a password that must not be printed: its String, GoString,
// LogValue and MarshalText methods all hide it. Convert it to string to use it.
type Secret string

const redacted = "[REDACTED]"

// String returns "[REDACTED]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the secret from %#v.
func (s Secret) GoString() string { return `pbx.Secret("` + s.String() + `")` }

// LogValue hides the secret from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText hides the secret from encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Party is one end of a call as the PBX names it: a caller ID or a connected line.
type Party struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

// Extension is a PBX extension: a number, its user's settings and its device.
type Extension struct {
	// ID is the extension number.
	ID ExtensionID `json:"id"`
	// Name is the display name ("Alice").
	Name string `json:"name"`
	// Tech is the technology of the extension's device.
	Tech Technology `json:"tech"`
	// Context is the dialplan context its calls start in ("from-internal").
	Context string `json:"context,omitempty"`
	// Mailbox is the extension's voicemail box, or "" if it has none.
	Mailbox MailboxID `json:"mailbox,omitempty"`
	// OutboundCallerID is the caller ID presented on outside calls, as
	// `"Name" <number>` or a bare number; "" for the default.
	OutboundCallerID string `json:"outboundCallerId,omitempty"`
	// RingTime is how long the extension rings before the no-answer
	// destination takes over; 0 means the PBX default.
	RingTime time.Duration `json:"ringTime,omitempty"`
	// NoAnswerDestination is where unanswered calls go ("" for voicemail or
	// the PBX default); its syntax is the backend's.
	NoAnswerDestination string `json:"noAnswerDestination,omitempty"`
	// Dial is the PBX's dial string for the device ("PJSIP/1010"), read-only.
	Dial string `json:"dial,omitempty"`
	// Secret is write-only: set it in Create or Update to set the device's
	// SIP password. Reads always leave it empty; see
	// [ExtensionService.RevealSecret] and [ExtensionService.ResetSecret].
	Secret Secret `json:"-"`
}

// Contact is one registration of a device.
type Contact struct {
	// URI is the contact URI the device registered ("sip:1010@192.0.2.7:5060").
	URI string `json:"uri"`
	// UserAgent is the device's User-Agent header.
	UserAgent string `json:"userAgent,omitempty"`
	// IP and Port are the source address the registration came from.
	IP   string `json:"ip,omitempty"`
	Port int    `json:"port,omitempty"`
	// RTT is the last qualify round-trip time, 0 if unknown.
	RTT time.Duration `json:"rtt,omitempty"`
	// Status is the contact's reachability.
	Status ContactStatus `json:"status"`
	// Expires is when the registration runs out, if known.
	Expires time.Time `json:"expires,omitzero"`
}

// Device is the live side of an extension: its state and registrations.
type Device struct {
	// Extension is the extension the device belongs to.
	Extension ExtensionID `json:"extension"`
	// Name is the PBX's device name ("PJSIP/1010").
	Name string `json:"name"`
	// State is the normalised device state.
	State DeviceState `json:"state"`
	// Contacts are its current registrations.
	Contacts []Contact `json:"contacts"`
}

// CallForward holds an extension's call forwarding numbers; "" means off.
type CallForward struct {
	// Always forwards every call (FreePBX's CF, *72).
	Always string `json:"always,omitempty"`
	// Busy forwards calls while the extension is busy (CFB, *90).
	Busy string `json:"busy,omitempty"`
	// NoAnswer forwards calls the extension does not answer or that find it
	// unavailable (CFU, *52).
	NoAnswer string `json:"noAnswer,omitempty"`
}

// FollowMe is an extension's follow-me list: numbers rung after (or with)
// the extension itself.
type FollowMe struct {
	Enabled bool `json:"enabled"`
	// Numbers are rung in order; each is a number or an extension.
	Numbers []string `json:"numbers"`
	// RingTime is how long each step rings; 0 means the PBX default.
	RingTime time.Duration `json:"ringTime,omitempty"`
}

// Call is one call leg (an Asterisk channel, a FreeSWITCH session).
type Call struct {
	// ID identifies the leg.
	ID CallID `json:"id"`
	// LinkedID is shared by every leg of the same call.
	LinkedID CallID `json:"linkedId,omitempty"`
	// Channel is the PBX's channel name ("PJSIP/1010-00000002").
	Channel string `json:"channel"`
	// Extension is the extension whose device this leg is on, if any.
	Extension ExtensionID `json:"extension,omitempty"`
	// Caller is the caller ID of the leg.
	Caller Party `json:"caller"`
	// Connected is the party at the other end.
	Connected Party `json:"connected"`
	// State is the leg's state.
	State CallState `json:"state"`
	// Started is when the leg was created, Answered when it was answered
	// (zero if not yet).
	Started  time.Time `json:"started"`
	Answered time.Time `json:"answered,omitzero"`
	// Duration is how long the leg has existed, as of the read.
	Duration time.Duration `json:"duration"`
	// Application and ApplicationData say what the leg is doing ("Dial",
	// "MusicOnHold", "ConfBridge").
	Application     string `json:"application,omitempty"`
	ApplicationData string `json:"applicationData,omitempty"`
	// Context and Exten are its dialplan position, where it has one.
	Context string `json:"context,omitempty"`
	Exten   string `json:"exten,omitempty"`
	// BridgeID is the bridge the leg is in, if any.
	BridgeID string `json:"bridgeId,omitempty"`
	// AccountCode is the leg's account code.
	AccountCode string `json:"accountCode,omitempty"`
}

// OriginateRequest asks the PBX to place a call: first ring From, then, once
// it answers, connect it as Mode says.
type OriginateRequest struct {
	// ID is the call ID to give the first leg. Leave it empty and the client
	// picks one with [NewCallID]; either way events for the call carry it from
	// its first event on.
	ID CallID
	// From is the extension to ring first. Exactly one of From and
	// FromEndpoint must be set.
	From ExtensionID
	// FromEndpoint is an endpoint to ring first instead of an extension's
	// device ("PJSIP/1010"); see [ValidateEndpoint].
	FromEndpoint string
	// Mode says what the answered leg connects to; the default dials To.
	Mode CallMode
	// To is the number to dial in ModeDial and the room in ModeConference.
	To string
	// Context is the dialplan context To is dialed in (ModeDial); empty means
	// the backend's default.
	Context string
	// CallerID is the caller ID shown on From's phone while it rings.
	CallerID Party
	// Timeout is how long From rings before the attempt is given up; 0 means
	// 30 seconds.
	Timeout time.Duration
	// Variables are channel variables set on the first leg.
	Variables map[string]string
	// AccountCode is set on the call's CDR.
	AccountCode string
	// AutoAnswer asks the phone to answer by itself (by SIP header, where the
	// phone and backend support it).
	AutoAnswer bool
}

// CallMeRequest is what [CallService.CallMe] needs: LiteNet's "call me".
type CallMeRequest struct {
	// Mode is ModeMusicOnHold or ModeEchoTest.
	Mode CallMode
	// CallerID is shown on the phone. An empty name means a descriptive
	// default such as "Call Me Test (MusicOnHold)", an empty number the
	// extension's own.
	CallerID Party
	// AutoAnswer asks the phone to answer by itself.
	AutoAnswer bool
	// Timeout is how long the phone rings; 0 means 30 seconds.
	Timeout time.Duration
}

// CallFilter narrows [CallService.List].
type CallFilter struct {
	// Extension keeps only the legs on this extension's device.
	Extension ExtensionID
}

// MailboxCounts are the message counts of a mailbox.
type MailboxCounts struct {
	New    int `json:"new"`
	Old    int `json:"old"`
	Urgent int `json:"urgent"`
}

// Mailbox is a voicemail box.
type Mailbox struct {
	ID     MailboxID     `json:"id"`
	Name   string        `json:"name,omitempty"`
	Email  string        `json:"email,omitempty"`
	Counts MailboxCounts `json:"counts"`
}

// Message is a voicemail message.
type Message struct {
	// ID stays the same when the message moves between folders.
	ID      MessageID `json:"id"`
	Mailbox MailboxID `json:"mailbox"`
	Folder  Folder    `json:"folder"`
	// Number is the message's position in its folder (app_voicemail's
	// msgNNNN, from 0); it changes when messages move or are deleted.
	Number   int           `json:"number"`
	Caller   Party         `json:"caller"`
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration"`
	// Size is the audio's size in bytes, 0 if the message has no audio.
	Size int64 `json:"size"`
	// ContentType is the audio's MIME type ("audio/wav").
	ContentType string `json:"contentType,omitempty"`
}

// MessageFilter narrows [VoicemailService.Messages].
type MessageFilter struct {
	// Folder keeps only one folder's messages; empty means all folders.
	Folder Folder
}

// Audio is a voicemail message's recording. The caller must Close it.
type Audio struct {
	io.ReadCloser
	// ContentType is the MIME type, such as "audio/wav".
	ContentType string
	// Size is the length in bytes, or -1 if unknown.
	Size int64
}

// Conference is a conference room with its live state.
type Conference struct {
	ID ConferenceID `json:"id"`
	// Parties is the number of participants.
	Parties int `json:"parties"`
	// Marked is the number of marked participants (ConfBridge's marked users).
	Marked int  `json:"marked"`
	Locked bool `json:"locked"`
	// Started is when the first participant joined.
	Started time.Time `json:"started,omitzero"`
}

// Participant is one party in a conference room.
type Participant struct {
	ID         ParticipantID `json:"id"`
	Conference ConferenceID  `json:"conference"`
	CallID     CallID        `json:"callId,omitempty"`
	Channel    string        `json:"channel"`
	Caller     Party         `json:"caller"`
	Muted      bool          `json:"muted"`
	Admin      bool          `json:"admin"`
	Marked     bool          `json:"marked"`
	Talking    bool          `json:"talking"`
	Joined     time.Time     `json:"joined,omitzero"`
}

// JoinOptions tunes [ConferenceService.Join].
type JoinOptions struct {
	// CallerID is shown on the phone while it rings.
	CallerID Party
	// Timeout is how long the phone rings; 0 means 30 seconds.
	Timeout time.Duration
	// AutoAnswer asks the phone to answer by itself.
	AutoAnswer bool
}

// Queue is a call queue with its live statistics, members and callers.
type Queue struct {
	ID       QueueID       `json:"id"`
	Strategy QueueStrategy `json:"strategy"`
	// Waiting is the number of callers waiting.
	Waiting int `json:"waiting"`
	// Completed and Abandoned count calls since the queue was loaded.
	Completed int `json:"completed"`
	Abandoned int `json:"abandoned"`
	// HoldTime and TalkTime are the averages the PBX reports.
	HoldTime time.Duration `json:"holdTime"`
	TalkTime time.Duration `json:"talkTime"`
	Members  []QueueMember `json:"members"`
	Callers  []QueueCaller `json:"callers"`
}

// QueueMember is an agent of a queue.
type QueueMember struct {
	// Interface is what the queue rings ("PJSIP/1010", "Local/1010@from-queue/n").
	Interface string `json:"interface"`
	Name      string `json:"name,omitempty"`
	Penalty   int    `json:"penalty"`
	Paused    bool   `json:"paused"`
	// PauseReason is the reason given when pausing.
	PauseReason string `json:"pauseReason,omitempty"`
	// Status is the member's device state.
	Status     DeviceState `json:"status"`
	CallsTaken int         `json:"callsTaken"`
	LastCall   time.Time   `json:"lastCall,omitzero"`
	// Dynamic is true for members added at run time (AddMember).
	Dynamic bool `json:"dynamic"`
}

// QueueCaller is a call waiting in a queue.
type QueueCaller struct {
	// Position is 1 for the caller served next.
	Position int    `json:"position"`
	CallID   CallID `json:"callId"`
	Channel  string `json:"channel"`
	Caller   Party  `json:"caller"`
	// Joined is when the caller entered the queue.
	Joined time.Time `json:"joined"`
}

// QueueConfig is a queue's provisioned configuration (its live state is a
// Queue). On FreePBX and Issabel a change takes effect once the
// configuration is applied.
type QueueConfig struct {
	ID QueueID `json:"id"`
	// Name is the queue's description.
	Name     string        `json:"name,omitempty"`
	Strategy QueueStrategy `json:"strategy"`
	// RingTimeout is how long each member rings; 0 means the PBX default.
	RingTimeout time.Duration `json:"ringTimeout,omitempty"`
	// MaxWait is how long a caller may wait; 0 means no limit.
	MaxWait time.Duration `json:"maxWait,omitempty"`
	// MaxCallers is how many callers may wait; 0 means no limit.
	MaxCallers int `json:"maxCallers,omitempty"`
	// Members are the static members (Interface and Penalty are used).
	Members []QueueMember `json:"members"`
}

// Room is a conference room's provisioned configuration (its live state is
// a Conference).
type Room struct {
	ID   ConferenceID `json:"id"`
	Name string       `json:"name,omitempty"`
	// PIN and AdminPIN are the digits callers and admins enter; "" means none.
	PIN      string `json:"pin,omitempty"`
	AdminPIN string `json:"adminPin,omitempty"`
	// MaxParticipants is the room's capacity; 0 means no limit.
	MaxParticipants int `json:"maxParticipants,omitempty"`
}

// CDR is a call detail record.
type CDR struct {
	Start       time.Time     `json:"start"`
	Answer      time.Time     `json:"answer,omitzero"`
	End         time.Time     `json:"end"`
	Caller      Party         `json:"caller"` // the clid column
	Src         string        `json:"src"`
	Dst         string        `json:"dst"`
	Context     string        `json:"context"`
	Channel     string        `json:"channel"`
	DstChannel  string        `json:"dstChannel"`
	LastApp     string        `json:"lastApp"`
	LastData    string        `json:"lastData"`
	Duration    time.Duration `json:"duration"`
	Billable    time.Duration `json:"billsec"` // the billsec column: from answer to end
	Disposition Disposition   `json:"disposition"`
	AccountCode string        `json:"accountCode,omitempty"`
	UniqueID    CallID        `json:"uniqueId"`
	LinkedID    CallID        `json:"linkedId,omitempty"`
	// Sequence numbers the records of one store; it orders records that share
	// a start time and unique ID (a call can have several).
	Sequence int64 `json:"sequence,omitempty"`
	// Recording names the call's recording file, if any.
	Recording string `json:"recording,omitempty"`
}

// CDRQuery selects CDRs. Zero fields do not filter. Patterns match a whole
// field: '*' matches any run of characters and '?' any one character; every
// other character matches itself.
type CDRQuery struct {
	// Since and Until bound the start time: Since <= Start < Until.
	Since, Until time.Time
	Src          string // pattern on src
	Dst          string // pattern on dst
	Channel      string // pattern on channel or dstchannel
	AccountCode  string // pattern on accountcode
	Caller       string // pattern on the caller ID name or number
	// Dispositions keeps records with any of these dispositions.
	Dispositions []Disposition
	// Limit is the page size: 0 means 100; at most 1000.
	Limit int
	// Cursor continues a previous query (CDRPage.Next); the other fields must
	// be the same as in that query.
	Cursor string
	// Oldest lists the oldest records first instead of the newest.
	Oldest bool
}

// CDRPage is one page of a CDR query.
type CDRPage struct {
	Records []CDR `json:"records"`
	// Next is the cursor of the next page, "" after the last one.
	Next string `json:"next,omitempty"`
}

// CDRStats are aggregate call counts, as LiteNet's /system/records shows.
type CDRStats struct {
	// Total is the number of calls ever recorded.
	Total int `json:"total"`
	// PerDay and PerMonth count calls by start date ("2026-11-23") and month
	// ("2026-11"), in the stats' time zone.
	PerDay   map[string]int `json:"perDay"`
	PerMonth map[string]int `json:"perMonth"`
	// RecordDay is the day with the most calls and RecordCount its count.
	RecordDay   string `json:"recordDay,omitempty"`
	RecordCount int    `json:"recordCount"`
	// Updated is when the stats were computed.
	Updated time.Time `json:"updated"`
}

// SystemInfo describes the PBX.
type SystemInfo struct {
	// Version is the PBX's version string ("Asterisk 16.28.0~dfsg-0+deb11u4").
	Version string `json:"version"`
	// Started is when the PBX started and Reloaded when it last reloaded.
	Started  time.Time `json:"started,omitzero"`
	Reloaded time.Time `json:"reloaded,omitzero"`
	// Uptime is how long it has run, as of the read.
	Uptime time.Duration `json:"uptime"`
	// ActiveCalls counts calls (linked groups of legs), ActiveChannels legs.
	ActiveCalls    int `json:"activeCalls"`
	ActiveChannels int `json:"activeChannels"`
	// CallsProcessed counts calls since start.
	CallsProcessed int `json:"callsProcessed"`
}

// UserAgentCount is how many registered contacts use one user agent.
type UserAgentCount struct {
	UserAgent string `json:"userAgent"`
	Count     int    `json:"count"`
}
