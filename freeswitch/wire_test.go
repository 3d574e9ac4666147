package freeswitch

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/pbx"
)

func TestParseTable(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []map[string]string
	}{
		{"list_users", "userid|context|domain\n1000|default|10.0.0.5\n1001|default|10.0.0.5\n\n+OK\n",
			[]map[string]string{{"userid": "1000", "context": "default", "domain": "10.0.0.5"}, {"userid": "1001", "context": "default", "domain": "10.0.0.5"}}},
		{"empty callcenter table", "+OK\n", nil},
		{"header only", "userid|context\n\n+OK\n", nil},
		{"a value holding a bar is skipped", "name|status\nagent|On|Break\nother|Available\n+OK\n",
			[]map[string]string{{"name": "other", "status": "Available"}}},
		{"CRLF", "a|b\r\n1|2\r\n+OK\r\n", []map[string]string{{"a": "1", "b": "2"}}},
		{"nothing after +OK", "a\n1\n+OK\n2\n", []map[string]string{{"a": "1"}}},
		{"garbage", "-ERR something\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseTable(tc.body); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseShowRows(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []map[string]string
		err        bool
	}{
		{"empty, with FreeSWITCH's space", `{"row_count": 0}` + "\n", []map[string]string{}, false},
		{"rows", `{"row_count":1,"rows":[{"uuid":"a-1","created_epoch":"1700000000","cid_name":"Doe, \"J\""}]}`,
			[]map[string]string{{"uuid": "a-1", "created_epoch": "1700000000", "cid_name": `Doe, "J"`}}, false},
		{"numbers as numbers", `{"row_count":1,"rows":[{"created_epoch":1700000000}]}`,
			[]map[string]string{{"created_epoch": "1700000000"}}, false},
		{"not JSON", "-ERR Cannot find format xml\n", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseShowRows(tc.body)
			if (err != nil) != tc.err || (!tc.err && !reflect.DeepEqual(got, tc.want)) {
				t.Fatalf("got %v, %v; want %v (error %v)", got, err, tc.want, tc.err)
			}
		})
	}
}

func TestParseStatus(t *testing.T) {
	body := "UP 0 years, 1 day, 2 hours, 3 minutes, 4 seconds, 5 milliseconds, 6 microseconds\n" +
		"FreeSWITCH (Version 1.10.12 -release-10222002881-a88d069d6fgit a88d069 2024-08-02 21:02:27Z 64bit) is ready\n" +
		"42 session(s) since startup\n3 session(s) - peak 7, last 5min 5 \n0 session(s) per Sec out of max 30, peak 1, last 5min 0 \n" +
		"1000 session(s) max\n"
	want := statusReply{uptime: 26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond + 6*time.Microsecond, total: 42, sessions: 3}
	if got := parseStatus(body); got != want {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if got := parseStatus("-ERR\n"); got != (statusReply{}) {
		t.Fatalf("garbage gave %+v", got)
	}
	if got := parseVersion("FreeSWITCH Version 1.10.12-release-10222002881-a88d069d6f~64bit (-release-10222002881-a88d069d6f 64bit)\n"); got != "FreeSWITCH 1.10.12-release-10222002881-a88d069d6f~64bit" {
		t.Fatalf("version %q", got)
	}
	if got := parseCount("\n3 total.\n"); got != 3 {
		t.Fatalf("count %d", got)
	}
}

func TestParseRegistrations(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	body := `<?xml version="1.0" encoding="ISO-8859-1"?>
<profile>
  <registrations>
    <registration>
        <call-id>abc</call-id>
        <user>1000@10.0.0.5</user>
        <contact>&quot;1000&quot; &lt;sip:1000@192.168.1.20:5062;fs_nat=no&gt;</contact>
        <agent>Yealink SIP-T46S 66.86.0.15</agent>
        <status>Registered(UDP)(unknown) exp(2026-11-23 13:00:00) expsecs(3600)</status>
        <ping-status>Reachable</ping-status>
        <ping-time>12.50</ping-time>
        <network-ip>192.168.1.20</network-ip>
        <network-port>5062</network-port>
        <sip-auth-user>1000</sip-auth-user>
    </registration>
    <registration>
        <user>alice@10.0.0.5</user>
        <contact>sip:alice@192.168.1.21</contact>
    </registration>
  </registrations>
</profile>
`
	got, err := parseRegistrations(body, now)
	if err != nil {
		t.Fatal(err)
	}
	want := []registration{{ext: "1000", contact: pbx.Contact{
		URI: "sip:1000@192.168.1.20:5062", UserAgent: "Yealink SIP-T46S 66.86.0.15", IP: "192.168.1.20", Port: 5062,
		RTT: 12500 * time.Microsecond, Status: pbx.ContactReachable, Expires: now.Add(time.Hour),
	}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}

	latin1 := "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><profile><registrations><registration><user>1001@x</user><agent>T\xe9l\xe9phone</agent></registration></registrations></profile>"
	got, err = parseRegistrations(latin1, now)
	if err != nil || len(got) != 1 || got[0].contact.UserAgent != "Téléphone" {
		t.Fatalf("Latin-1 registration: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "Invalid Profile!\n", "<profile><registrations>"} {
		if got, err := parseRegistrations(bad, now); err == nil {
			t.Errorf("parseRegistrations(%q) = %+v, want an error", bad, got)
		}
	}
	odd := "<profile><registrations><registration><user>1000@x</user><status>expsecs(</status></registration></registrations></profile>"
	if got, err := parseRegistrations(odd, now); err != nil || len(got) != 1 || !got[0].contact.Expires.IsZero() {
		t.Errorf("a registration without an expiry: %+v, %v", got, err)
	}
}

func TestSmallParsers(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`"1000" <sip:1000@192.0.2.7:5060;fs_nat=no;fs_path=<sip:x>>`, "sip:1000@192.0.2.7:5060"},
		{"sip:1000@192.0.2.7:5060;transport=tcp", "sip:1000@192.0.2.7:5060;transport=tcp"},
		{"<sip:1000@192.0.2.7", "sip:1000@192.0.2.7"},
		{"", ""},
	} {
		if got := contactURI(tc.in); got != tc.want {
			t.Errorf("contactURI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for in, want := range map[string]pbx.ExtensionID{"1000@10.0.0.5": "1000", "1000": "1000", "alice@x": "", "": "", "10 0@x": ""} {
		if got := presenceExtension(in); got != want {
			t.Errorf("presenceExtension(%q) = %q, want %q", in, got, want)
		}
	}
	for _, tc := range []struct {
		name, q850 string
		want       pbx.HangupCause
	}{
		{"USER_BUSY", "17", pbx.CauseBusy}, {"MANAGER_REQUEST", "503", pbx.CauseNormal},
		{"NO_ANSWER", "", pbx.CauseNoAnswer}, {"WHATEVER", "x", pbx.CauseUnknown},
	} {
		if got := hangupCause(tc.name, tc.q850); got != tc.want {
			t.Errorf("hangupCause(%q, %q) = %v, want %v", tc.name, tc.q850, got, tc.want)
		}
	}
	for in, want := range map[string]string{
		"[leg_timeout=10]user/1000@default": "user/1000@default", "{a=b}[c=d]user/1001": "user/1001",
		"user/1002": "user/1002", "[unterminated": "agent-x", "sofia/gw/+1 555": "agent-x",
	} {
		if got := agentInterface(map[string]string{"contact": in, "name": "agent-x"}); got != want {
			t.Errorf("agentInterface(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]pbx.QueueStrategy{
		"ring-all": pbx.StrategyRingAll, "longest-idle-agent": pbx.StrategyLeastRecent, "top-down": pbx.StrategyRoundRobin,
		"sequentially-by-agent-order": pbx.StrategyLinear, "ring-progressively": pbx.StrategyUnknown,
	} {
		if got := strategy(in); got != want {
			t.Errorf("strategy(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParsers feeds every reader of FreeSWITCH's replies arbitrary input:
// none may panic.
func FuzzParsers(f *testing.F) {
	for _, s := range []string{
		`{"row_count": 0}`, "a|b\n1|2\n+OK\n", "UP 1 year, 2 days\n3 session(s) since startup\n",
		`<profile><registrations><registration><status>expsecs(12)</status></registration></registrations></profile>`,
		`{"VM-List-Count":"2","VM-List-Message-1-UUID":"x"}`, `"a" <sip:b;fs_nat=no>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parseTable(s)
		_, _ = parseShowRows(s)
		_, _ = parseEventJSON(s)
		parseStatus(s)
		parseVersion(s)
		parseCount(s)
		_, _ = parseRegistrations(s, time.Now())
		contactURI(s)
		agentInterface(map[string]string{"contact": s})
	})
}

// TestMWICounts checks the MESSAGE_WAITING fallback (a backend without
// voicemail reads the event): MWI-Voice-Message's new and saved include
// the urgent messages, whether or not the urgent counts follow.
func TestMWICounts(t *testing.T) {
	b := &backend{domain: "10.0.0.5"}
	for _, tc := range []struct {
		voice string
		want  pbx.MailboxCounts
	}{
		{"2/1", pbx.MailboxCounts{New: 2, Old: 1}},
		{"2/1 (1/0)", pbx.MailboxCounts{New: 2, Old: 1, Urgent: 1}},
		{"garbage", pbx.MailboxCounts{}},
	} {
		ev := &esl.Event{Headers: []esl.Header{{Name: "MWI-Message-Account", Value: "1000@10.0.0.5"}, {Name: "MWI-Voice-Message", Value: tc.voice}}}
		if got := b.mwiCounts(context.Background(), ev); got == nil || *got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.voice, got, tc.want)
		}
	}
}
