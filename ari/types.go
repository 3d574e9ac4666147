package ari

import (
	"time"
)

// CallerID is a caller ID: a name and a number, either of which may be
// empty.
type CallerID struct {
	Name   string
	Number string
}

// Dialplan is a channel's location in the dialplan and the application it
// runs there.
type Dialplan struct {
	Context  string
	Exten    string
	Priority int64
	// AppName and AppData are the application being executed and its
	// argument ("Stasis", "pbxkit"); "AppDial2" for the outgoing half of an
	// originated channel before it is answered.
	AppName string
	AppData string
}

// Channel is a snapshot of an Asterisk channel.
type Channel struct {
	// ID is the channel's unique ID (Asterisk's Uniqueid), as chosen with
	// OriginateRequest.ChannelID or assigned by Asterisk.
	ID string
	// Name is the channel's name, such as "PJSIP/1001-00000002" or
	// "Local/echo@pbxkit-callme-00000000;1".
	Name string
	// State is Asterisk's channel state: "Down", "Rsrvd", "OffHook",
	// "Dialing", "Ring", "Ringing", "Up", "Busy", "Dialing Offhook",
	// "Pre-ring" or "Unknown".
	State string
	// Caller is the channel's caller ID; Connected is the connected line's.
	Caller    CallerID
	Connected CallerID
	// Accountcode is the channel's account code.
	Accountcode string
	// Dialplan is the channel's current dialplan location.
	Dialplan Dialplan
	// CreationTime is when the channel was created (millisecond
	// precision).
	CreationTime time.Time
	// Language is the channel's language, such as "en".
	Language string
	// ProtocolID is the protocol's call identifier: the SIP Call-ID of a
	// PJSIP channel, "" for a Local channel.
	ProtocolID string
	// Variables holds the channel variables configured with channelvars in
	// ari.conf, if any (nil otherwise).
	Variables map[string]string
}

// Bridge is a snapshot of an Asterisk bridge.
type Bridge struct {
	// ID is the bridge's unique ID.
	ID string
	// Technology is the bridging technology, such as "simple_bridge" or
	// "softmix".
	Technology string
	// Type is the bridge type: "mixing" or "holding".
	Type string
	// Class is the bridge class: "stasis" for bridges created through ARI,
	// "basic" for the dialplan's.
	Class string
	// Creator is the entity that created the bridge.
	Creator string
	// Name is the bridge's name, if any.
	Name string
	// Channels are the IDs of the channels in the bridge.
	Channels []string
	// VideoMode is "none", "talker" or "single"; VideoSourceID is the
	// channel providing video in "single" mode.
	VideoMode     string
	VideoSourceID string
	// CreationTime is when the bridge was created (zero if the server did
	// not say).
	CreationTime time.Time
}

// Endpoint is a snapshot of an endpoint, such as a PJSIP endpoint.
type Endpoint struct {
	// Technology is the channel technology, such as "PJSIP".
	Technology string
	// Resource is the endpoint's name within its technology, such as
	// "1001".
	Resource string
	// State is "unknown", "offline" or "online".
	State string
	// ChannelIDs are the IDs of the endpoint's channels.
	ChannelIDs []string
}

// DeviceState is the state of a device, as used for BLF and hints.
type DeviceState struct {
	// Name is the device's name: "PJSIP/1001", "Queue:sales_avail" or, for
	// devices controlled through ARI, "Stasis:<name>".
	Name string
	// State is one of "UNKNOWN", "NOT_INUSE", "INUSE", "BUSY", "INVALID",
	// "UNAVAILABLE", "RINGING", "RINGINUSE" or "ONHOLD".
	State string
}

// Info describes the Asterisk system, as GET /asterisk/info reports it.
type Info struct {
	// Version is Asterisk's version, such as "16.28.0~dfsg-0+deb11u4".
	Version string
	// EntityID is the system's entity ID (asterisk_id in events), by
	// default a MAC address.
	EntityID string
	// Build describes the build.
	Build BuildInfo
	// Config is a summary of asterisk.conf.
	Config ConfigInfo
	// StartupTime and LastReloadTime are when Asterisk started and was last
	// reloaded.
	StartupTime    time.Time
	LastReloadTime time.Time
}

// BuildInfo describes how Asterisk was built.
type BuildInfo struct {
	OS      string
	Kernel  string
	Machine string
	// Options are the build options, such as "OPTIONAL_API, TEST_FRAMEWORK".
	Options string
	Date    string
	User    string
}

// ConfigInfo summarises Asterisk's configuration.
type ConfigInfo struct {
	// Name is the system name, if set.
	Name string
	// DefaultLanguage is the default language, such as "en".
	DefaultLanguage string
	// MaxChannels, MaxOpenFiles and MaxLoad are the configured limits (zero
	// when not set).
	MaxChannels  int
	MaxOpenFiles int
	MaxLoad      float64
	// User and Group are the user and group Asterisk runs as, if set.
	User  string
	Group string
}

// Wire forms, as Asterisk sends them.

type wireCallerID struct {
	Name   string `json:"name"`
	Number string `json:"number"`
}

type wireChannel struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	State       string       `json:"state"`
	ProtocolID  string       `json:"protocol_id"`
	Caller      wireCallerID `json:"caller"`
	Connected   wireCallerID `json:"connected"`
	Accountcode string       `json:"accountcode"`
	Dialplan    struct {
		Context  string `json:"context"`
		Exten    string `json:"exten"`
		Priority int64  `json:"priority"`
		AppName  string `json:"app_name"`
		AppData  string `json:"app_data"`
	} `json:"dialplan"`
	CreationTime string            `json:"creationtime"`
	Language     string            `json:"language"`
	ChannelVars  map[string]string `json:"channelvars"`
}

func (w *wireChannel) channel() *Channel {
	if w == nil {
		return nil
	}
	return &Channel{
		ID:          w.ID,
		Name:        w.Name,
		State:       w.State,
		Caller:      CallerID(w.Caller),
		Connected:   CallerID(w.Connected),
		Accountcode: w.Accountcode,
		Dialplan: Dialplan{
			Context:  w.Dialplan.Context,
			Exten:    w.Dialplan.Exten,
			Priority: w.Dialplan.Priority,
			AppName:  w.Dialplan.AppName,
			AppData:  w.Dialplan.AppData,
		},
		CreationTime: parseTime(w.CreationTime),
		Language:     w.Language,
		ProtocolID:   w.ProtocolID,
		Variables:    w.ChannelVars,
	}
}

type wireBridge struct {
	ID            string   `json:"id"`
	Technology    string   `json:"technology"`
	BridgeType    string   `json:"bridge_type"`
	BridgeClass   string   `json:"bridge_class"`
	Creator       string   `json:"creator"`
	Name          string   `json:"name"`
	Channels      []string `json:"channels"`
	VideoMode     string   `json:"video_mode"`
	VideoSourceID string   `json:"video_source_id"`
	CreationTime  string   `json:"creationtime"`
}

func (w *wireBridge) bridge() *Bridge {
	if w == nil {
		return nil
	}
	return &Bridge{
		ID:            w.ID,
		Technology:    w.Technology,
		Type:          w.BridgeType,
		Class:         w.BridgeClass,
		Creator:       w.Creator,
		Name:          w.Name,
		Channels:      w.Channels,
		VideoMode:     w.VideoMode,
		VideoSourceID: w.VideoSourceID,
		CreationTime:  parseTime(w.CreationTime),
	}
}

type wireEndpoint struct {
	Technology string   `json:"technology"`
	Resource   string   `json:"resource"`
	State      string   `json:"state"`
	ChannelIDs []string `json:"channel_ids"`
}

func (w *wireEndpoint) endpoint() *Endpoint {
	if w == nil {
		return nil
	}
	e := Endpoint(*w)
	return &e
}

type wireDeviceState struct {
	Name  string `json:"name"`
	State string `json:"state"`
}

func (w *wireDeviceState) deviceState() *DeviceState {
	if w == nil {
		return nil
	}
	d := DeviceState(*w)
	return &d
}

type wireInfo struct {
	Build struct {
		OS      string `json:"os"`
		Kernel  string `json:"kernel"`
		Machine string `json:"machine"`
		Options string `json:"options"`
		Date    string `json:"date"`
		User    string `json:"user"`
	} `json:"build"`
	System struct {
		Version  string `json:"version"`
		EntityID string `json:"entity_id"`
	} `json:"system"`
	Config struct {
		Name            string  `json:"name"`
		DefaultLanguage string  `json:"default_language"`
		MaxChannels     int     `json:"max_channels"`
		MaxOpenFiles    int     `json:"max_open_files"`
		MaxLoad         float64 `json:"max_load"`
		SetID           struct {
			User  string `json:"user"`
			Group string `json:"group"`
		} `json:"setid"`
	} `json:"config"`
	Status struct {
		StartupTime    string `json:"startup_time"`
		LastReloadTime string `json:"last_reload_time"`
	} `json:"status"`
}

func (w *wireInfo) info() *Info {
	return &Info{
		Version:  w.System.Version,
		EntityID: w.System.EntityID,
		Build:    BuildInfo(w.Build),
		Config: ConfigInfo{
			Name:            w.Config.Name,
			DefaultLanguage: w.Config.DefaultLanguage,
			MaxChannels:     w.Config.MaxChannels,
			MaxOpenFiles:    w.Config.MaxOpenFiles,
			MaxLoad:         w.Config.MaxLoad,
			User:            w.Config.SetID.User,
			Group:           w.Config.SetID.Group,
		},
		StartupTime:    parseTime(w.Status.StartupTime),
		LastReloadTime: parseTime(w.Status.LastReloadTime),
	}
}

// timeLayouts are the formats of ARI dates: Asterisk writes
// "2006-01-02T15:04:05.000-0700" (no colon in the offset); RFC 3339 is
// accepted too.
var timeLayouts = []string{
	"2006-01-02T15:04:05.000-0700",
	"2006-01-02T15:04:05-0700",
	time.RFC3339Nano,
}

// parseTime parses an ARI date; it returns the zero time for "" or an
// unknown format.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
