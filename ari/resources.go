package ari

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
)

// Info returns the Asterisk system's version, build, configuration and
// status (GET /asterisk/info).
func (c *Client) Info(ctx context.Context) (*Info, error) {
	return c.info(ctx, true)
}

// OriginateRequest describes a channel to create with Originate. Endpoint
// is required, and exactly one of Extension (with Context, Priority) or App
// must be set.
type OriginateRequest struct {
	// Endpoint is the dial string of the channel to create:
	// "PJSIP/1001", "Local/echo@pbxkit-callme", ...
	Endpoint string

	// Context, Extension and Priority (default 1) are where the answered
	// channel goes in the dialplan. Label may replace Priority.
	Context   string
	Extension string
	Priority  int
	Label     string

	// App is the Stasis application the answered channel enters (usually
	// Client.Application()), with the comma-separated arguments AppArgs
	// (StasisStart's args).
	App     string
	AppArgs string

	// CallerID is the new channel's caller ID, such as `"Alice" <1001>`.
	CallerID string

	// Timeout is how long the channel may ring before giving up, rounded
	// up to whole seconds. 0 means Asterisk's default (30s); a negative
	// value means no timeout.
	Timeout time.Duration

	// ChannelID and OtherChannelID choose the unique IDs of the new channel
	// and, for a Local channel, of its second half (default: ChannelID
	// followed by ";2"). Choosing them lets the caller recognise the
	// channel's events before Originate returns, and makes a repeated
	// Originate fail with ErrConflict instead of placing a second call.
	ChannelID      string
	OtherChannelID string

	// Originator is the ID of the channel on whose behalf the call is made,
	// if any (Asterisk then picks compatible codecs).
	Originator string

	// Formats are the allowed codecs, comma-separated ("ulaw,alaw"), when
	// there is no Originator. Default: the endpoint's.
	Formats string

	// Variables are channel variables to set on the new channel (names may
	// be functions, such as "CALLERID(name)").
	Variables map[string]string
}

// wire validates r and returns the JSON body of POST /channels (ari/v5's
// OriginateRequest, whose member names are Asterisk's).
func (r *OriginateRequest) wire() (*cyari.OriginateRequest, error) {
	if r.Endpoint == "" {
		return nil, fmt.Errorf("%w: Originate: empty Endpoint", ErrInvalid)
	}
	hasExten := r.Extension != "" || r.Context != "" || r.Label != "" || r.Priority != 0
	switch {
	case hasExten && r.App != "":
		return nil, fmt.Errorf("%w: Originate: both an extension and App", ErrInvalid)
	case !hasExten && r.App == "":
		return nil, fmt.Errorf("%w: Originate: neither Extension nor App", ErrInvalid)
	case hasExten && r.Extension == "":
		return nil, fmt.Errorf("%w: Originate: Context, Priority or Label without Extension", ErrInvalid)
	case r.AppArgs != "" && r.App == "":
		return nil, fmt.Errorf("%w: Originate: AppArgs without App", ErrInvalid)
	case r.Priority < 0:
		return nil, fmt.Errorf("%w: Originate: negative Priority", ErrInvalid)
	}
	for _, f := range []struct{ what, v string }{
		{"Endpoint", r.Endpoint}, {"Context", r.Context}, {"Extension", r.Extension},
		{"Label", r.Label}, {"App", r.App}, {"AppArgs", r.AppArgs}, {"CallerID", r.CallerID},
		{"ChannelID", r.ChannelID}, {"OtherChannelID", r.OtherChannelID},
		{"Originator", r.Originator}, {"Formats", r.Formats},
	} {
		if err := checkValue("Originate: "+f.what, f.v); err != nil {
			return nil, err
		}
	}
	for _, id := range []struct{ what, v string }{{"ChannelID", r.ChannelID}, {"OtherChannelID", r.OtherChannelID}} {
		if id.v != "" {
			if err := checkSegment("Originate: "+id.what, id.v); err != nil {
				return nil, err
			}
		}
	}
	vars := make(map[string]string, len(r.Variables))
	for k, v := range r.Variables {
		if k == "" {
			return nil, fmt.Errorf("%w: Originate: empty variable name", ErrInvalid)
		}
		if err := checkValue("Originate: a variable name", k); err != nil {
			return nil, err
		}
		if err := checkValue("Originate: the value of variable "+strconv.Quote(k), v); err != nil {
			return nil, err
		}
		vars[k] = v
	}
	w := &cyari.OriginateRequest{
		Endpoint:       r.Endpoint,
		Context:        r.Context,
		Extension:      r.Extension,
		Priority:       int64(r.Priority),
		Label:          r.Label,
		App:            r.App,
		AppArgs:        r.AppArgs,
		CallerID:       r.CallerID,
		ChannelID:      r.ChannelID,
		OtherChannelID: r.OtherChannelID,
		Originator:     r.Originator,
		Formats:        r.Formats,
	}
	if len(vars) > 0 {
		w.Variables = vars
	}
	if r.Extension != "" && r.Priority == 0 && r.Label == "" {
		w.Priority = 1
	}
	switch {
	case r.Timeout < 0:
		w.Timeout = -1
	case r.Timeout > 0:
		w.Timeout = int((r.Timeout + time.Second - 1) / time.Second)
	}
	return w, nil
}

// Originate creates a channel (POST /channels) and returns it as Asterisk
// reports it at once, usually in state "Down": the call proceeds
// asynchronously, as the events tell. The request is sent once and never
// retried.
//
// An unknown channel technology or endpoint gives ErrAllocationFailed; a
// ChannelID already in use, ErrConflict; an invalid request, ErrInvalid.
//
// Each Originate is sent on an HTTP connection of its own. Asterisk 16
// serves each connection with one thread and keeps the reason of the last
// failed channel allocation in a per-thread variable that a later failure
// does not reset: after a 409 for a ChannelID in use, every allocation
// failure on the same connection was answered 409 "Channel with given
// unique ID already exists" instead of 500 "Allocation failed".
func (c *Client) Originate(ctx context.Context, r OriginateRequest) (*Channel, error) {
	body, err := r.wire()
	if err != nil {
		return nil, err
	}
	var w wireChannel
	if err := c.do(ctx, request{method: http.MethodPost, parts: []any{"channels"}, body: body, out: &w, ownConn: true}); err != nil {
		return nil, err
	}
	return w.channel(), nil
}

// Channel returns the channel with that ID (ErrNotFound if there is none).
func (c *Client) Channel(ctx context.Context, id string) (*Channel, error) {
	var w wireChannel
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"channels", seg("channel ID", id)}, out: &w}); err != nil {
		return nil, err
	}
	return w.channel(), nil
}

// Channels returns every channel of the system.
func (c *Client) Channels(ctx context.Context) ([]*Channel, error) {
	var ws []wireChannel
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"channels"}, out: &ws}); err != nil {
		return nil, err
	}
	out := make([]*Channel, len(ws))
	for i := range ws {
		out[i] = ws[i].channel()
	}
	return out, nil
}

// Hangup hangs up the channel (DELETE /channels/{id}). reason is one of
// Asterisk's hangup reasons ("normal", "busy", "congestion", "no_answer",
// "timeout", "rejected", "unallocated", "normal_unspecified",
// "number_incomplete", "codec_mismatch", "interworking", "failure",
// "answered_elsewhere"), or "" for "normal"; another value gives ErrInvalid
// from the server. An unknown channel gives ErrNotFound.
func (c *Client) Hangup(ctx context.Context, id, reason string) error {
	var q url.Values
	if reason != "" {
		if err := checkValue("Hangup: reason", reason); err != nil {
			return err
		}
		q = url.Values{"reason": {reason}}
	}
	return c.do(ctx, request{method: http.MethodDelete, parts: []any{"channels", seg("channel ID", id)}, query: q})
}

// Continue sends a channel that is in this Client's Stasis application back
// to the dialplan (POST /channels/{id}/continue): to dialplanContext,
// extension and priority if given, else where it left it. A channel outside Stasis gives
// ErrConflict.
func (c *Client) Continue(ctx context.Context, id, dialplanContext, extension string, priority int) error {
	q := url.Values{}
	for _, f := range []struct{ key, v string }{{"context", dialplanContext}, {"extension", extension}} {
		if f.v == "" {
			continue
		}
		if err := checkValue("Continue: "+f.key, f.v); err != nil {
			return err
		}
		q.Set(f.key, f.v)
	}
	if priority < 0 {
		return fmt.Errorf("%w: Continue: negative priority", ErrInvalid)
	}
	if priority > 0 {
		q.Set("priority", strconv.Itoa(priority))
	}
	return c.do(ctx, request{method: http.MethodPost, parts: []any{"channels", seg("channel ID", id), "continue"}, query: q})
}

// Redirect transfers a channel that is in this Client's Stasis application
// to another endpoint of the same technology (POST
// /channels/{id}/redirect), such as "PJSIP/1002".
func (c *Client) Redirect(ctx context.Context, id, endpoint string) error {
	if endpoint == "" {
		return fmt.Errorf("%w: Redirect: empty endpoint", ErrInvalid)
	}
	if err := checkValue("Redirect: endpoint", endpoint); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodPost, parts: []any{"channels", seg("channel ID", id), "redirect"}, query: url.Values{"endpoint": {endpoint}}})
}

// Variable returns the value of a channel variable, or of a dialplan
// function such as "CALLERID(num)" (GET /channels/{id}/variable). An
// unknown channel or unset variable gives ErrNotFound; a channel outside
// any Stasis application may give ErrConflict.
func (c *Client) Variable(ctx context.Context, id, name string) (string, error) {
	if name == "" {
		return "", fmt.Errorf("%w: Variable: empty name", ErrInvalid)
	}
	if err := checkValue("Variable: name", name); err != nil {
		return "", err
	}
	var v struct {
		Value string `json:"value"`
	}
	err := c.do(ctx, request{method: http.MethodGet, parts: []any{"channels", seg("channel ID", id), "variable"}, query: url.Values{"variable": {name}}, out: &v})
	return v.Value, err
}

// SetVariable sets a channel variable (POST /channels/{id}/variable).
// Asterisk answers before the value is applied: an immediate Variable may
// not see it yet.
func (c *Client) SetVariable(ctx context.Context, id, name, value string) error {
	if name == "" {
		return fmt.Errorf("%w: SetVariable: empty name", ErrInvalid)
	}
	if err := checkValue("SetVariable: name", name); err != nil {
		return err
	}
	if err := checkValue("SetVariable: value", value); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodPost, parts: []any{"channels", seg("channel ID", id), "variable"}, query: url.Values{"variable": {name}, "value": {value}}})
}

// Bridges returns every bridge of the system.
func (c *Client) Bridges(ctx context.Context) ([]*Bridge, error) {
	var ws []wireBridge
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"bridges"}, out: &ws}); err != nil {
		return nil, err
	}
	out := make([]*Bridge, len(ws))
	for i := range ws {
		out[i] = ws[i].bridge()
	}
	return out, nil
}

// Bridge returns the bridge with that ID (ErrNotFound if there is none).
func (c *Client) Bridge(ctx context.Context, id string) (*Bridge, error) {
	var w wireBridge
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"bridges", seg("bridge ID", id)}, out: &w}); err != nil {
		return nil, err
	}
	return w.bridge(), nil
}

// Endpoints returns every endpoint of every technology.
func (c *Client) Endpoints(ctx context.Context) ([]*Endpoint, error) {
	var ws []wireEndpoint
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"endpoints"}, out: &ws}); err != nil {
		return nil, err
	}
	out := make([]*Endpoint, len(ws))
	for i := range ws {
		out[i] = ws[i].endpoint()
	}
	return out, nil
}

// Endpoint returns one endpoint, such as ("PJSIP", "1001"). An unknown
// endpoint or technology gives ErrNotFound.
func (c *Client) Endpoint(ctx context.Context, tech, resource string) (*Endpoint, error) {
	var w wireEndpoint
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"endpoints", seg("technology", tech), seg("resource", resource)}, out: &w}); err != nil {
		return nil, err
	}
	return w.endpoint(), nil
}

// DeviceStates returns the state of every device Asterisk knows.
func (c *Client) DeviceStates(ctx context.Context) ([]*DeviceState, error) {
	var ws []wireDeviceState
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"deviceStates"}, out: &ws}); err != nil {
		return nil, err
	}
	out := make([]*DeviceState, len(ws))
	for i := range ws {
		out[i] = ws[i].deviceState()
	}
	return out, nil
}

// DeviceState returns the state of one device, such as "PJSIP/1001" or
// "Stasis:door". Asterisk answers "UNKNOWN" (not ErrNotFound) for a device
// it does not know.
func (c *Client) DeviceState(ctx context.Context, name string) (*DeviceState, error) {
	var w wireDeviceState
	if err := c.do(ctx, request{method: http.MethodGet, parts: []any{"deviceStates", seg("device name", name)}, out: &w}); err != nil {
		return nil, err
	}
	return w.deviceState(), nil
}

// SetDeviceState sets the state of a device controlled through ARI, whose
// name starts with "Stasis:" (PUT /deviceStates/{name}); another device
// gives ErrConflict, an invalid state an error from the server.
func (c *Client) SetDeviceState(ctx context.Context, name, state string) error {
	if state == "" {
		return fmt.Errorf("%w: SetDeviceState: empty state", ErrInvalid)
	}
	if err := checkValue("SetDeviceState: state", state); err != nil {
		return err
	}
	return c.do(ctx, request{method: http.MethodPut, parts: []any{"deviceStates", seg("device name", name)}, query: url.Values{"deviceState": {state}}})
}

// DeleteDeviceState destroys a device controlled through ARI (DELETE
// /deviceStates/{name}); it then reads back as "UNKNOWN".
func (c *Client) DeleteDeviceState(ctx context.Context, name string) error {
	return c.do(ctx, request{method: http.MethodDelete, parts: []any{"deviceStates", seg("device name", name)}})
}
