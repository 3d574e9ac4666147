package astutil

import (
	"testing"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestParseCallerID(t *testing.T) {
	for in, want := range map[string]pbx.Party{
		`"Alice" <1001>`:        {Name: "Alice", Number: "1001"},
		`Alice <1001>`:          {Name: "Alice", Number: "1001"},
		`"Bob, Jr" <+1555>`:     {Name: "Bob, Jr", Number: "+1555"},
		`<1001>`:                {Number: "1001"},
		`1001`:                  {Number: "1001"},
		`Unknown`:               {Name: "Unknown"},
		``:                      {},
		`"a <b>" <1002>`:        {Name: "a <b>", Number: "1002"},
		`"Call Me Test" <1010>`: {Name: "Call Me Test", Number: "1010"},
	} {
		if got := ParseCallerID(in); got != want {
			t.Errorf("ParseCallerID(%q) = %+v, want %+v", in, got, want)
		}
		if want.Name != "" && want.Number != "" {
			if back := ParseCallerID(FormatCallerID(want)); back != want {
				t.Errorf("FormatCallerID(%+v) does not round-trip: %+v", want, back)
			}
		}
	}
}

func TestChannelExtension(t *testing.T) {
	for in, want := range map[string]pbx.ExtensionID{
		"PJSIP/1001-0000000a":             "1001",
		"SIP/1002-00000001":               "1002",
		"PJSIP/trunk-00000003":            "",
		"Local/1001@from-internal-0001;1": "1001",
		"Local/sales@pbxkit-queue-0001;2": "",
		"Local/1001@from-internal-0001;2": "",
		"PJSIP/1001":                      "1001",
		"garbage":                         "",
	} {
		if got := ChannelExtension(in); got != want {
			t.Errorf("ChannelExtension(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStates(t *testing.T) {
	for in, want := range map[string]pbx.DeviceState{
		"NOT_INUSE": pbx.DeviceNotInUse, "INUSE": pbx.DeviceInUse, "RINGINUSE": pbx.DeviceRingInUse,
		"ONHOLD": pbx.DeviceOnHold, "UNAVAILABLE": pbx.DeviceUnavailable, "INVALID": pbx.DeviceInvalid,
		"Not in use": pbx.DeviceNotInUse, "Ring+Inuse": pbx.DeviceRingInUse, "On Hold": pbx.DeviceOnHold,
		"6": pbx.DeviceRinging, "1": pbx.DeviceNotInUse, "0": pbx.DeviceUnknown, "weird": pbx.DeviceUnknown,
	} {
		if got := DeviceState(in); got != want {
			t.Errorf("DeviceState(%q) = %v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]pbx.CallState{
		"6": pbx.CallStateUp, "Up": pbx.CallStateUp, "5": pbx.CallStateRinging, "Ring": pbx.CallStateRinging,
		"0": pbx.CallStateDown, "7": pbx.CallStateBusy, "3": pbx.CallStateDialing,
	} {
		if got := ChannelState(in); got != want {
			t.Errorf("ChannelState(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestAudioType(t *testing.T) {
	for in, want := range map[string]string{
		"msg0000.wav": "audio/wav", "msg0000.WAV": "audio/wav", "msg_1.mp3": "audio/mpeg", "x.GSM": "audio/x-gsm",
		"a/b.ogg": "audio/ogg", "noext": "audio/wav",
	} {
		if got := AudioType(in); got != want {
			t.Errorf("AudioType(%q) = %q, want %q", in, got, want)
		}
	}
}
