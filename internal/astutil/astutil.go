// Package astutil holds small, pure helpers for reading what Asterisk writes:
// caller IDs, channel names, device state words, CDR dispositions, audio
// file types. It has no dependencies beyond package pbx, so the Asterisk
// backends, the CDR stores and the FreeSWITCH backend (for what it shares
// with Asterisk: caller ID syntax, audio files) use it.
package astutil

import (
	"path"
	"strings"

	"github.com/pbxkit/pbxkit/pbx"
)

// ParseCallerID splits an Asterisk caller ID such as `"Alice" <1001>`,
// `Alice <1001>`, `<1001>` or `1001` into name and number.
func ParseCallerID(s string) pbx.Party {
	s = strings.TrimSpace(s)
	lt := strings.LastIndexByte(s, '<')
	if lt < 0 || !strings.HasSuffix(s, ">") {
		if isNumberish(s) {
			return pbx.Party{Number: s}
		}
		return pbx.Party{Name: unquote(s)}
	}
	return pbx.Party{Name: unquote(strings.TrimSpace(s[:lt])), Number: strings.TrimSpace(s[lt+1 : len(s)-1])}
}

// FormatCallerID formats a party as Asterisk writes caller IDs: `"Name" <number>`,
// or the bare number when there is no name. Names must not hold quotes or angle
// brackets; pbx validation refuses them.
func FormatCallerID(p pbx.Party) string {
	if p.Name == "" {
		return p.Number
	}
	return `"` + p.Name + `" <` + p.Number + `>`
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func isNumberish(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9') && c != '+' && c != '*' && c != '#' {
			return false
		}
	}
	return true
}

// ChannelEndpoint returns the technology and endpoint of a channel name:
// "PJSIP", "1001" for "PJSIP/1001-0000000a"; "Local", "1001@ctx" for
// "Local/1001@ctx-00000001;2". ok is false for names without a '/'.
func ChannelEndpoint(channel string) (tech, endpoint string, ok bool) {
	tech, rest, ok := strings.Cut(channel, "/")
	if !ok {
		return "", "", false
	}
	if i := strings.LastIndexByte(rest, '-'); i > 0 {
		rest = rest[:i]
	}
	return tech, rest, true
}

// IsLocalFirstHalf reports whether a channel is the first half of a Local
// channel ("Local/1001@ctx-00000001;1"): the half that stands for the
// call to 1001@ctx, where the second half (;2) runs the dialplan.
func IsLocalFirstHalf(channel string) bool {
	return strings.HasPrefix(channel, "Local/") && strings.HasSuffix(channel, ";1")
}

// ChannelExtension returns the extension a channel belongs to: the endpoint of
// a PJSIP, SIP or IAX2 channel when it is all digits ("1001" for
// "PJSIP/1001-0000000a"), or the number the first half of a Local channel
// stands for ("1001" for "Local/1001@originate-skipvm-00000001;1", as FreePBX
// originates; the second half, which runs the dialplan, belongs to none),
// or "".
func ChannelExtension(channel string) pbx.ExtensionID {
	tech, ep, ok := ChannelEndpoint(channel)
	if !ok {
		return ""
	}
	switch strings.ToUpper(tech) {
	case "PJSIP", "SIP", "IAX2":
	case "LOCAL":
		if !IsLocalFirstHalf(channel) {
			return ""
		}
		ep, _, _ = strings.Cut(ep, "@")
	default:
		return ""
	}
	id := pbx.ExtensionID(ep)
	if id.Validate() != nil {
		return ""
	}
	return id
}

// DeviceState maps Asterisk's device state words (DeviceStateChange's State,
// DEVICE_STATE()) and their numeric forms (ExtensionStatus, QueueMember's
// Status) to pbx.DeviceState.
func DeviceState(s string) pbx.DeviceState {
	// The words of DeviceStateChange and DEVICE_STATE ("NOT_INUSE") and of
	// PJSIP's endpoint lists ("Not in use", "Ring+Inuse", "On Hold").
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", "_")) {
	case "NOT_INUSE", "NOT_IN_USE", "NOTINUSE", "IDLE", "1":
		return pbx.DeviceNotInUse
	case "INUSE", "IN_USE", "2":
		return pbx.DeviceInUse
	case "BUSY", "3":
		return pbx.DeviceBusy
	case "INVALID", "4":
		return pbx.DeviceInvalid
	case "UNAVAILABLE", "5":
		return pbx.DeviceUnavailable
	case "RINGING", "6":
		return pbx.DeviceRinging
	case "RINGINUSE", "RING_INUSE", "RING+INUSE", "7":
		return pbx.DeviceRingInUse
	case "ONHOLD", "ON_HOLD", "8":
		return pbx.DeviceOnHold
	}
	return pbx.DeviceUnknown
}

// ChannelState maps Asterisk's channel state (ChannelState numbers or
// ChannelStateDesc words) to pbx.CallState.
func ChannelState(s string) pbx.CallState {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "6", "up":
		return pbx.CallStateUp
	case "4", "5", "9", "ring", "ringing", "pre-ring":
		return pbx.CallStateRinging
	case "3", "8", "dialing", "dialing offhook":
		return pbx.CallStateDialing
	case "7", "busy":
		return pbx.CallStateBusy
	}
	return pbx.CallStateDown
}

// AudioType returns the MIME type of an audio file by its extension:
// audio/mpeg, audio/x-gsm, audio/ogg, and audio/wav for anything else (the
// format Asterisk and FreeSWITCH record by default).
func AudioType(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".mp3":
		return "audio/mpeg"
	case ".gsm":
		return "audio/x-gsm"
	case ".ogg":
		return "audio/ogg"
	}
	return "audio/wav"
}
