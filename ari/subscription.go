package ari

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/pbxkit/pbxkit/internal/evq"
)

// State is the state of a Client's event websocket, as reported to
// subscribers.
type State int

// Connection states. A Subscription reports StateConnected or
// StateDisconnected first (the state when it was made), then each change.
const (
	// StateNone marks an Event that carries an ARI event, not a state
	// change.
	StateNone State = iota
	// StateConnected: the websocket is up.
	StateConnected
	// StateDisconnected: the websocket was lost; Event.Err says why. The
	// Client is reconnecting, and REST calls fail with ErrUnavailable
	// meanwhile. Events sent by the server meanwhile are lost.
	StateDisconnected
	// StateReconnected: the websocket is up again after a loss.
	StateReconnected
	// StateClosed: the Client was closed; it is the Subscription's last
	// item.
	StateClosed
)

// String returns the state's name.
func (s State) String() string {
	switch s {
	case StateNone:
		return "none"
	case StateConnected:
		return "connected"
	case StateDisconnected:
		return "disconnected"
	case StateReconnected:
		return "reconnected"
	case StateClosed:
		return "closed"
	}
	return "unknown"
}

// Event is one item delivered by a Subscription: either an ARI event (Type
// is set) or a connection state change (State is set).
//
// For an ARI event, Raw is the JSON object as received, and the fields
// below it are a small typed view of the members most events carry; the
// others are in Raw, or in the ari/v5 typed event that Decode returns.
// Pointers and slices are shared with other subscribers: treat them as
// read-only.
type Event struct {
	// Type is the event's type, such as "StasisStart", "ChannelDestroyed"
	// or "DeviceStateChanged"; "" for a state change. Types this package
	// does not know are delivered too.
	Type string
	// Application is the Stasis application the event was sent to.
	Application string
	// AsteriskID is the entity ID of the Asterisk system that sent it.
	AsteriskID string
	// Timestamp is when Asterisk generated the event.
	Timestamp time.Time

	// Channel is the event's "channel" member (most channel events,
	// StasisStart, StasisEnd, ChannelVarset, ...), or nil.
	Channel *Channel
	// Peer is the "peer" member of a Dial event (the dialed channel).
	Peer *Channel
	// Bridge is the "bridge" member of bridge events.
	Bridge *Bridge
	// Endpoint is the "endpoint" member of EndpointStateChange and others.
	Endpoint *Endpoint
	// DeviceState is the "device_state" member of DeviceStateChanged.
	DeviceState *DeviceState
	// Args are the Stasis application arguments of a StasisStart.
	Args []string
	// Cause and CauseText are the hangup cause of ChannelDestroyed and
	// ChannelHangupRequest (16 and "Normal Clearing", ...).
	Cause     int
	CauseText string
	// Variable and Value are the variable set by a ChannelVarset.
	Variable string
	Value    string
	// DialStatus is the "dialstatus" of a Dial event ("", "ANSWER",
	// "BUSY", ...).
	DialStatus string

	// Raw is the event's JSON object, as received.
	Raw json.RawMessage

	// State is the new connection state, or StateNone for an ARI event.
	State State
	// Err is why the connection was lost (StateDisconnected only).
	Err error
	// Dropped is the number of items this subscriber lost, because its
	// queue was full, just before this one. It is 0 when nothing was lost.
	Dropped uint64
}

// Decode returns the ARI event decoded by github.com/CyCoreSystems/ari/v5
// into its typed struct (such as *ari.StasisStart), with every member. It
// fails for a state change, and for an event type that ari/v5 does not know
// (one added after Asterisk 16) or cannot parse.
func (e Event) Decode() (cyari.Event, error) {
	if e.Type == "" {
		return nil, fmt.Errorf("%w: a state change carries no ARI event", ErrInvalid)
	}
	return cyari.DecodeEvent(e.Raw)
}

// wireEvent is the part of an event the typed view decodes.
type wireEvent struct {
	Type        string           `json:"type"`
	Application string           `json:"application"`
	AsteriskID  string           `json:"asterisk_id"`
	Timestamp   string           `json:"timestamp"`
	Channel     *wireChannel     `json:"channel"`
	Peer        *wireChannel     `json:"peer"`
	Bridge      *wireBridge      `json:"bridge"`
	Endpoint    *wireEndpoint    `json:"endpoint"`
	DeviceState *wireDeviceState `json:"device_state"`
	Args        []string         `json:"args"`
	Cause       int              `json:"cause"`
	CauseText   string           `json:"cause_txt"`
	Variable    string           `json:"variable"`
	Value       string           `json:"value"`
	DialStatus  string           `json:"dialstatus"`
}

// envelope is what every event has.
type envelope struct {
	Type        string `json:"type"`
	Application string `json:"application"`
	AsteriskID  string `json:"asterisk_id"`
	Timestamp   string `json:"timestamp"`
}

// parseEvent builds the Event of one websocket message. It fails only if
// data is not a JSON object with a string "type"; when a member of the
// typed view does not have the expected shape, the view is left empty
// (partial is true) and Raw still has everything.
func parseEvent(data []byte) (ev Event, partial bool, err error) {
	var w wireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		var env envelope
		if err2 := json.Unmarshal(data, &env); err2 != nil {
			return Event{}, false, err2
		}
		w = wireEvent{Type: env.Type, Application: env.Application, AsteriskID: env.AsteriskID, Timestamp: env.Timestamp}
		partial = true
	}
	if w.Type == "" {
		return Event{}, false, errNoType
	}
	return Event{
		Type:        w.Type,
		Application: w.Application,
		AsteriskID:  w.AsteriskID,
		Timestamp:   parseTime(w.Timestamp),
		Channel:     w.Channel.channel(),
		Peer:        w.Peer.channel(),
		Bridge:      w.Bridge.bridge(),
		Endpoint:    w.Endpoint.endpoint(),
		DeviceState: w.DeviceState.deviceState(),
		Args:        w.Args,
		Cause:       w.Cause,
		CauseText:   w.CauseText,
		Variable:    w.Variable,
		Value:       w.Value,
		DialStatus:  w.DialStatus,
		Raw:         json.RawMessage(data),
	}, partial, nil
}

type noTypeError struct{}

func (noTypeError) Error() string { return "event without a type" }

var errNoType error = noTypeError{}

// statesReserve is the room kept in each queue for state changes, which are
// never dropped while there is room left.
const statesReserve = 16

// Subscription is a bounded, ordered queue of the events of one Client, for
// one consumer. The Client's reader never waits for a Subscription: when the
// queue is full, an event is dropped and counted, and the next item
// delivered carries the count in Event.Dropped (Dropped gives the total).
//
// Subscriptions survive reconnections. A Subscription is safe for
// concurrent use, but items are delivered in wire order only to a single
// consumer goroutine.
type Subscription struct {
	hub *evq.Hub[Event]
	q   *evq.Queue[Event]
}

func markDropped(ev *Event, n uint64) { ev.Dropped = n }

func newHub() *evq.Hub[Event] { return evq.NewHub(statesReserve, markDropped, Event{}) }

// Next returns the next item, waiting for one until ctx is done. After the
// Subscription or its Client is closed (and, for the Client, once the queue is
// drained: its last item has State StateClosed), Next returns ErrClosed.
func (s *Subscription) Next(ctx context.Context) (Event, error) {
	ev, err := s.q.Next(ctx)
	if err == evq.ErrClosed {
		err = ErrClosed
	}
	return ev, err
}

// All returns an iterator over the items, as Next returns them. It ends
// without an error after the Subscription or its Client is closed, and yields
// ctx's error once if ctx ends first.
func (s *Subscription) All(ctx context.Context) iter.Seq2[Event, error] { return s.q.All(ctx) }

// Dropped returns how many items this subscriber has lost in total because
// its queue was full.
func (s *Subscription) Dropped() uint64 { return s.q.Dropped() }

// Len returns the number of queued items.
func (s *Subscription) Len() int { return s.q.Len() }

// Close stops the Subscription: queued items are discarded, and Next returns
// ErrClosed. Close is idempotent.
func (s *Subscription) Close() {
	s.hub.Unsubscribe(s.q)
}
