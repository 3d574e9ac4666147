package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestClassifyUserAgent(t *testing.T) {
	tests := []struct{ ua, kind, brand string }{
		{"Yealink SIP-T46S 66.86.0.15", typeIPPhone, "Yealink"},
		{"Linphone/5.2.5 (belle-sip/5.2.4)", typeSoftphone, "Linphone"},
		{"LinphoneAndroid/5.0.14 (belle-sip/5.0.0)", typeSoftphone, "Linphone"},
		{"Z 5.6.4 v2.10.20.2", typeSoftphone, "Zoiper"},
		{"Zoiper rv2.10.19.6", typeSoftphone, "Zoiper"},
		{"Grandstream GXP2170 1.0.11.23", typeIPPhone, "Grandstream"},
		{"Grandstream HT801 1.0.37.1", typeATA, "Grandstream"},
		{"Grandstream Wave Lite 1.0.2", typeSoftphone, "Grandstream"},
		{"MicroSIP/3.21.3", typeSoftphone, "MicroSIP"},
		{"Cisco/SPA504G-7.6.2f", typeIPPhone, "Cisco"},
		{"Cisco/SPA112-1.4.1(002)", typeATA, "Cisco"},
		{"Linksys/PAP2T-5.1.6(LS)", typeATA, "Linksys"},
		{"PolycomVVX-VVX_410-UA/5.9.5.0614", typeIPPhone, "Polycom"},
		{"PolycomSoundPointIP-SPIP_331-UA/4.0.15.1009", typeIPPhone, "Polycom"},
		{"Poly/Edge-E350 8.0.0", typeIPPhone, "Polycom"},
		{"snomD785/10.1.54.13", typeIPPhone, "Snom"},
		{"Fanvil X4U 2.12.2", typeIPPhone, "Fanvil"},
		{"OBIHAI/OBi200-3.2.2.5921EX", typeATA, "Obihai"},
		{"OBIHAI/OBi1032-5.1.11.4627", typeIPPhone, "Obihai"},
		{"Bria iOS release 6.6.2 stamp 116033", typeSoftphone, "CounterPath"},
		{"Groundwire/6.2.3 (build 1234; iOS 16.0)", typeSoftphone, "Acrobits"},
		{"Telephone 1.5", typeSoftphone, "Other softphone"},
		{"baresip v2.9.0 (x86_64/linux)", typeSoftphone, "baresip"},
		{"Asterisk PBX 18.20.0", "", ""},
		{"FrobPhone 9000", "", ""},
	}
	for _, tt := range tests {
		kind, brand, ok := classifyUserAgent(tt.ua)
		if kind != tt.kind || brand != tt.brand || ok != (tt.kind != "") {
			t.Errorf("classifyUserAgent(%q) = %q %q %v, want %q %q", tt.ua, kind, brand, ok, tt.kind, tt.brand)
		}
	}
}

func TestBuildSurvey(t *testing.T) {
	now := time.Date(2026, 3, 18, 23, 57, 9, 0, time.UTC)
	s := buildSurvey([]pbx.UserAgentCount{
		{UserAgent: "Yealink SIP-T46S", Count: 3}, {UserAgent: "Yealink SIP-T54W", Count: 2},
		{UserAgent: "Grandstream HT802", Count: 1}, {UserAgent: "Mystery 1.0", Count: 4}, {UserAgent: "", Count: 2},
	}, now)
	if s.PhoneTypes[typeIPPhone] != 5 || s.PhoneTypes[typeATA] != 1 || s.Brands["Yealink"] != 5 || s.Brands["Grandstream"] != 1 ||
		len(s.NeedsCategorization) != 1 || s.NeedsCategorization[0].UA != "Mystery 1.0" || s.LastUpdated != "2026-03-18T23:57:09Z" {
		t.Errorf("survey: %+v", s)
	}
}

func TestFormats(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "00:00:00", 109 * time.Second: "00:01:49", 4*time.Hour + 12*time.Minute + 3*time.Second + 900*time.Millisecond: "04:12:03",
		-time.Second: "00:00:00", 123 * time.Hour: "123:00:00",
	} {
		if got := hhmmss(d); got != want {
			t.Errorf("hhmmss(%v) = %q, want %q", d, got, want)
		}
	}
	// The document's example date.
	at := time.Date(2026, 3, 18, 23, 57, 9, 0, time.FixedZone("CET", 3600)).Add(time.Hour)
	if got := at.UTC().Format(voicemailDate); got != "Wed Mar 18 11:57:09 PM UTC 2026" {
		t.Errorf("voicemail date %q", got)
	}
	if got := time.Date(2026, 3, 4, 9, 5, 0, 0, time.UTC).Format(voicemailDate); got != "Wed Mar  4 09:05:00 AM UTC 2026" {
		t.Errorf("voicemail date %q (date(1) pads the day with a space)", got)
	}
	if msgNumber(0) != "msg0000" || msgNumber(33) != "msg0033" {
		t.Error("msgNumber")
	}
	for s, want := range map[pbx.CallState]string{pbx.CallStateUp: "Up", pbx.CallStateRinging: "Ringing",
		pbx.CallStateHeld: "Up", pbx.CallStateDown: "Down", pbx.CallStateDialing: "Dialing", pbx.CallStateBusy: "Busy"} {
		if got := channelState(s); got != want {
			t.Errorf("channelState(%v) = %q, want %q", s, got, want)
		}
	}
	for s, want := range map[pbx.DeviceState]string{pbx.DeviceNotInUse: "Registered", pbx.DeviceInUse: "In use",
		pbx.DeviceUnavailable: "Unavailable", pbx.DeviceUnknown: "Unknown", pbx.DeviceRingInUse: "Ringing (in use)"} {
		if got := deviceStateText(s); got != want {
			t.Errorf("deviceStateText(%v) = %q, want %q", s, got, want)
		}
	}
	for box, want := range map[pbx.MailboxID]string{"": "novm", "1010": "default", "1010@sales": "sales"} {
		if got := voicemailContext(box); got != want {
			t.Errorf("voicemailContext(%q) = %q, want %q", box, got, want)
		}
	}
	for in, want := range map[string]pbx.Party{
		"+15551234567": {Name: "Call Me Test (Echo)", Number: "+15551234567"},
		"Front desk":   {Name: "Front desk", Number: "1010"},
	} {
		if got := callerID(in, "1010", pbx.ModeEchoTest); got != want {
			t.Errorf("callerID(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{"PBX_URL": "mock://empty", "DISCORD_CLIENT_SECRET": "shh", "DISCORD_CLIENT_ID": "42"}
	getenv := func(k string) string { return env[k] }
	c, err := parseConfig(nil, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.listen != ":3001" || c.pbxURL != "mock://empty" || !c.discord.enabled() || len(c.corsOrigins) != 0 ||
		c.discord.redirectURL != "http://localhost:3001/auth/discord/callback" {
		t.Errorf("defaults: %+v", c)
	}
	c, err = parseConfig([]string{"--pbx=mock://demo", "--listen=127.0.0.1:0", "--cors-origin=https://a.example/, http://b.example:8080",
		"--public-url=https://pbx.example/"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.pbxURL != "mock://demo" || strings.Join(c.corsOrigins, " ") != "https://a.example http://b.example:8080" ||
		c.discord.redirectURL != "https://pbx.example/auth/discord/callback" || c.discord.enabled() {
		t.Errorf("flags: %+v", c)
	}
	for _, args := range [][]string{
		{"--listen=3001"}, {"--cors-origin=*"}, {"--cors-origin=https://a.example/path"}, {"--rate=-1"},
		{"--log-level=loud"}, {"--public-url=ftp://x"}, {"extra"}, {"--heartbeat=0s"}, {"--no-such-flag"},
	} {
		if _, err := parseConfig(args, getenv, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) accepted", args)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:3001": true, "[::1]:3001": true, "localhost:3001": true,
		":3001": false, "0.0.0.0:3001": false, "192.0.2.1:3001": false} {
		if loopback(addr) != want {
			t.Errorf("loopback(%q) != %v", addr, want)
		}
	}
}
