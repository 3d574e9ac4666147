package ami

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/events.ami")

const transcriptPath = "testdata/events.ami"

// TestTranscript checks the recorded event stream used by the benchmarks
// (and rewrites it with -update): about 1,200 events of ordinary calls,
// shaped as Asterisk 16.28 sends them (Privilege as second line, CRLF, a
// blank line after each event, a few stray blank lines between events).
func TestTranscript(t *testing.T) {
	if *update {
		if err := os.WriteFile(transcriptPath, generateTranscript(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(transcriptPath)
	if err != nil {
		t.Fatal(err)
	}
	msgs, ovfs, err := readAll(t, string(data), DefaultMaxMessageSize, DefaultMaxHeaders)
	if err == nil || len(ovfs) != 0 {
		t.Fatalf("err %v overflows %d", err, len(ovfs))
	}
	if len(msgs) < 1100 || len(msgs) > 1400 {
		t.Errorf("%d events", len(msgs))
	}
	names := map[string]int{}
	for _, m := range msgs {
		if m.Event() == "" || m.Get("Privilege") == "" {
			t.Fatalf("not a broadcast event: %v", m)
		}
		names[m.Event()]++
	}
	if names["VarSet"] < len(msgs)/5 {
		t.Errorf("VarSet is %d of %d events", names["VarSet"], len(msgs))
	}
	avg := len(data) / len(msgs)
	if avg < 300 || avg > 500 {
		t.Errorf("average event size %d bytes", avg)
	}
	if n := bytes.Count(data, []byte("\r\n\r\n\r\n")); n < 5 {
		t.Errorf("only %d stray blank lines", n)
	}
	t.Logf("%d events, %d bytes (%d per event), %d stray blank lines, %d event types",
		len(msgs), len(data), avg, bytes.Count(data, []byte("\r\n\r\n\r\n")), len(names))
}

// generateTranscript writes a deterministic stream of the events of 26
// internal calls (PJSIP extension to extension, answered, bridged, hung
// up), each call interleaved with device, extension and test events.
func generateTranscript() []byte {
	rng := rand.New(rand.NewPCG(16, 28))
	var b strings.Builder
	ev := func(name, priv string, kv ...string) {
		if rng.IntN(90) == 0 {
			b.WriteString("\r\n") // stray blank line, as on a real 16.28
		}
		b.WriteString("Event: " + name + "\r\nPrivilege: " + priv + "\r\n")
		for i := 0; i < len(kv); i += 2 {
			b.WriteString(kv[i] + ": " + kv[i+1] + "\r\n")
		}
		b.WriteString("\r\n")
	}
	names := []string{"Alice Martin", "Bob Tremblay", "Carla Diaz", "Dmitri Volkov", "Emma Schulz", "Farid Haddad", "Grace Lee", "Hugo Bernard"}
	base := int64(1690000000)
	uid := 0
	for call := 0; call < 26; call++ {
		a, z := 1001+rng.IntN(40), 1041+rng.IntN(40)
		an, zn := names[rng.IntN(len(names))], names[rng.IntN(len(names))]
		uid++
		aID := fmt.Sprintf("%d.%d", base+int64(call*37), uid)
		aCh := fmt.Sprintf("PJSIP/%d-%08x", a, uid)
		uid++
		zID := fmt.Sprintf("%d.%d", base+int64(call*37), uid)
		zCh := fmt.Sprintf("PJSIP/%d-%08x", z, uid)
		bridge := fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", rng.Uint32(), rng.IntN(1<<16), rng.IntN(1<<12), rng.IntN(1<<12), rng.Uint64()&(1<<48-1))
		snap := func(ch, state, desc, num, name, cnum, cname, exten, prio, id string) []string {
			return []string{
				"Channel", ch, "ChannelState", state, "ChannelStateDesc", desc,
				"CallerIDNum", num, "CallerIDName", name, "ConnectedLineNum", cnum, "ConnectedLineName", cname,
				"Language", "en", "AccountCode", "", "Context", "from-internal", "Exten", exten, "Priority", prio,
				"Uniqueid", id, "Linkedid", aID,
			}
		}
		as, zs := fmt.Sprint(a), fmt.Sprint(z)
		caller := func(state, desc, prio string) []string {
			return snap(aCh, state, desc, as, an, "<unknown>", "<unknown>", zs, prio, aID)
		}
		callee := func(state, desc string) []string {
			return snap(zCh, state, desc, zs, zn, as, an, "s", "1", zID)
		}
		dest := func(state, desc string) []string {
			s := callee(state, desc)
			for i := 0; i < len(s); i += 2 {
				s[i] = "Dest" + s[i]
			}
			return s
		}
		with := func(s []string, kv ...string) []string { return append(append([]string(nil), s...), kv...) }
		bridgeKV := []string{"BridgeUniqueid", bridge, "BridgeType", "basic", "BridgeTechnology", "simple_bridge", "BridgeCreator", "<unknown>", "BridgeName", "<unknown>", "BridgeNumChannels", "1", "BridgeVideoSourceMode", "none"}

		ev("Newchannel", "call,all", caller("0", "Down", "1")...)
		for _, v := range [][2]string{{"__FROM_DID", as}, {"AMPUSER", as}, {"CALLERID(number)", as}, {"__MCODE", ""}, {"DIAL_OPTIONS", "HhTtr"}} {
			ev("VarSet", "dialplan,all", with(caller("4", "Ring", "1"), "Variable", v[0], "Value", v[1])...)
		}
		ev("Newstate", "call,all", caller("4", "Ring", "1")...)
		for p, app := range []string{"Set", "Set", "Gosub", "Dial"} {
			ev("Newexten", "dialplan,all", with(caller("4", "Ring", fmt.Sprint(p+1)), "Extension", zs, "Application", app, "AppData", "__DIAL_TIMER=30", "Source", "pbx_config")...)
		}
		ev("Newchannel", "call,all", callee("0", "Down")...)
		for _, v := range []string{"DIALEDPEERNUMBER", "BRIDGEPEER", "__SIPCALLID"} {
			ev("VarSet", "dialplan,all", with(callee("0", "Down"), "Variable", v, "Value", zCh)...)
		}
		ev("DialBegin", "call,all", with(caller("4", "Ring", "4"), append(dest("0", "Down"), "DialString", zs)...)...)
		ev("Newstate", "call,all", callee("5", "Ringing")...)
		ev("DeviceStateChange", "call,all", "Device", "PJSIP/"+zs, "State", "RINGING")
		ev("ExtensionStatus", "call,all", "Exten", zs, "Context", "ext-local", "Hint", "PJSIP/"+zs+"&Custom:DND"+zs, "Status", "8", "StatusText", "Ringing")
		ev("DialState", "call,all", with(caller("4", "Ring", "4"), append(dest("5", "Ringing"), "DialStatus", "RINGING")...)...)
		ev("Newstate", "call,all", callee("6", "Up")...)
		ev("DialEnd", "call,all", with(caller("4", "Ring", "4"), append(dest("6", "Up"), "DialStatus", "ANSWER")...)...)
		ev("Newstate", "call,all", caller("6", "Up", "4")...)
		ev("BridgeCreate", "call,all", bridgeKV...)
		ev("BridgeEnter", "call,all", with(bridgeKV, callee("6", "Up")...)...)
		ev("BridgeEnter", "call,all", with(bridgeKV, caller("6", "Up", "4")...)...)
		ev("DeviceStateChange", "call,all", "Device", "PJSIP/"+as, "State", "INUSE")
		ev("DeviceStateChange", "call,all", "Device", "PJSIP/"+zs, "State", "INUSE")
		ev("ExtensionStatus", "call,all", "Exten", zs, "Context", "ext-local", "Hint", "PJSIP/"+zs+"&Custom:DND"+zs, "Status", "1", "StatusText", "InUse")
		ev("TestEvent", "reporting,all", "Type", "StateChange", "State", "PJSIP_SESSION_MEDIA_START", "AppFile", "res_pjsip_session.c", "AppFunction", "handle_negotiated_sdp", "AppLine", "1123")
		for i := 0; i < 3; i++ {
			ev("RTCPSent", "reporting,all", with(caller("6", "Up", "4"), "SSRC", "0x1c2d3e4f", "PT", "200(SR)", "To", "192.168.1.50:17622", "ReportCount", "1", "SentNTP", fmt.Sprintf("%d.%06d", base+int64(call*37+i*5), 120000+i))...)
		}
		for _, v := range []string{"BRIDGEPVTCALLID", "RTPAUDIOQOS"} {
			ev("VarSet", "dialplan,all", with(caller("6", "Up", "4"), "Variable", v, "Value", "ssrc=477463983;themssrc=1246021543;lp=0;rxjitter=0.000318")...)
		}
		ev("HangupRequest", "call,all", with(callee("6", "Up"), "Cause", "16")...)
		ev("BridgeLeave", "call,all", with(bridgeKV, callee("6", "Up")...)...)
		ev("BridgeLeave", "call,all", with(bridgeKV, caller("6", "Up", "4")...)...)
		ev("BridgeDestroy", "call,all", bridgeKV...)
		ev("SoftHangupRequest", "call,all", with(caller("6", "Up", "4"), "Cause", "16")...)
		ev("Cdr", "cdr,all", "AccountCode", "", "Source", as, "Destination", zs, "DestinationContext", "from-internal",
			"CallerID", fmt.Sprintf("%q <%s>", an, as), "Channel", aCh, "DestinationChannel", zCh, "LastApplication", "Dial",
			"LastData", "PJSIP/"+zs+",30,HhTtr", "StartTime", "2023-07-22 10:15:00", "AnswerTime", "2023-07-22 10:15:04",
			"EndTime", "2023-07-22 10:16:12", "Duration", "72", "BillableSeconds", "68", "Disposition", "ANSWERED",
			"AMAFlags", "DOCUMENTATION", "UniqueID", aID, "UserField", "")
		ev("Hangup", "call,all", with(callee("6", "Up"), "Cause", "16", "Cause-txt", "Normal Clearing")...)
		ev("Hangup", "call,all", with(caller("6", "Up", "4"), "Cause", "16", "Cause-txt", "Normal Clearing")...)
		ev("DeviceStateChange", "call,all", "Device", "PJSIP/"+as, "State", "NOT_INUSE")
		ev("DeviceStateChange", "call,all", "Device", "PJSIP/"+zs, "State", "NOT_INUSE")
		ev("ExtensionStatus", "call,all", "Exten", zs, "Context", "ext-local", "Hint", "PJSIP/"+zs+"&Custom:DND"+zs, "Status", "0", "StatusText", "Idle")
	}
	return []byte(b.String())
}
