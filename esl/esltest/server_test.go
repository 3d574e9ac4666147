package esltest

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// msg is one message read by the raw test client.
type msg struct {
	headers map[string]string
	order   []string
	body    string
}

func (m msg) ct() string { return m.headers["Content-Type"] }

// client is a raw Event Socket client: it checks the server's bytes
// without the esl package.
type client struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func connect(t *testing.T, s *Server) *client {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &client{t: t, nc: nc, br: bufio.NewReader(nc)}
	if m := c.read(); m.ct() != "auth/request" || len(m.headers) != 1 {
		t.Fatalf("greeting %+v", m)
	}
	return c
}

func login(t *testing.T, s *Server, events string) *client {
	t.Helper()
	c := connect(t, s)
	if r := c.cmd("auth " + s.Password()); r.headers["Reply-Text"] != "+OK accepted" {
		t.Fatalf("auth: %+v", r)
	}
	if events != "" {
		if r := c.cmd("event " + events); !strings.HasPrefix(r.headers["Reply-Text"], "+OK event listener enabled") {
			t.Fatalf("event: %+v", r)
		}
	}
	return c
}

func (c *client) send(s string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) readErr() (msg, error) {
	m := msg{headers: map[string]string{}}
	_ = c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		line, err := c.br.ReadString('\n')
		if err != nil {
			return m, err
		}
		line = strings.TrimRight(line, "\n")
		if line == "" {
			if len(m.headers) == 0 {
				continue
			}
			break
		}
		k, v, _ := strings.Cut(line, ": ")
		m.headers[k] = v
		m.order = append(m.order, k)
	}
	if n, _ := strconv.Atoi(m.headers["Content-Length"]); n > 0 {
		b := make([]byte, n)
		if _, err := io.ReadFull(c.br, b); err != nil {
			return m, err
		}
		m.body = string(b)
	}
	return m, nil
}

func (c *client) read() msg {
	c.t.Helper()
	m, err := c.readErr()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return m
}

// cmd sends a command and returns its reply, skipping events.
func (c *client) cmd(s string) msg {
	c.t.Helper()
	c.send(s + "\n\n")
	for {
		m := c.read()
		if !strings.HasPrefix(m.ct(), "text/event") {
			return m
		}
	}
}

func (c *client) api(s string) string {
	c.t.Helper()
	m := c.cmd("api " + s)
	if m.ct() != "api/response" {
		c.t.Fatalf("api %s: %+v", s, m)
	}
	return m.body
}

// plainEvent parses a text/event-plain body.
func plainEvent(t *testing.T, m msg) (map[string]string, string) {
	t.Helper()
	if m.ct() != "text/event-plain" {
		t.Fatalf("not an event: %+v", m)
	}
	h := map[string]string{}
	head, body, _ := strings.Cut(m.body, "\n\n")
	for _, l := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(l, ": ")
		d, err := urlDecode(v)
		if err != nil {
			t.Fatalf("header %q: %v", l, err)
		}
		h[k] = d
	}
	if n, _ := strconv.Atoi(h["Content-Length"]); n != len(body) {
		t.Fatalf("inner body %d bytes, Content-Length %d", len(body), n)
	}
	return h, body
}

func urlDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return "", err
			}
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String(), nil
}

// events reads events until one named name arrives.
func (c *client) until(name string) map[string]string {
	c.t.Helper()
	for {
		h, _ := plainEvent(c.t, c.read())
		if h["Event-Name"] == name || h["Event-Subclass"] == name || h["Action"] == name || h["CC-Action"] == name || h["VM-Action"] == name {
			return h
		}
	}
}

func TestProtocol(t *testing.T) {
	s := NewServer(t, nil)
	t.Run("auth failure", func(t *testing.T) {
		c := connect(t, s)
		if r := c.cmd("status"); r.headers["Reply-Text"] != "-ERR command not found" {
			t.Errorf("before auth: %+v", r)
		}
		if r := c.cmd("auth wrong"); r.headers["Reply-Text"] != "-ERR invalid" {
			t.Errorf("%+v", r)
		}
		m := c.read()
		if m.ct() != "text/disconnect-notice" || m.headers["Content-Length"] != "67" || m.body != disconnectBody {
			t.Errorf("notice %+v", m)
		}
		if _, err := c.readErr(); err != io.EOF {
			t.Errorf("after notice: %v", err)
		}
	})
	t.Run("exit", func(t *testing.T) {
		c := login(t, s, "")
		if r := c.cmd("exit"); r.headers["Reply-Text"] != "+OK bye" {
			t.Errorf("%+v", r)
		}
		if m := c.read(); m.ct() != "text/disconnect-notice" || len(m.body) != 67 {
			t.Errorf("%+v", m)
		}
	})
	t.Run("session commands", func(t *testing.T) {
		c := login(t, s, "")
		for cmd, want := range map[string]string{
			"linger":                      "-ERR not controlling a session",
			"nolinger":                    "-ERR not controlling a session",
			"noevents":                    "-ERR not listening for events",
			"event plain":                 "-ERR no keywords supplied",
			"event plain NOPE":            "-ERR no keywords supplied",
			"filter Unique-ID":            "-ERR invalid syntax",
			"filter Unique-ID x y":        "+OK filter added. [Unique-ID]=[x y]",
			"filter delete Unique-ID x y": "+OK filter deleted. [Unique-ID][x y]",
			"bogus":                       "-ERR command not found",
		} {
			if r := c.cmd(cmd); r.headers["Reply-Text"] != want {
				t.Errorf("%q: %+v", cmd, r.headers)
			}
		}
		if r := c.cmd("event json CHANNEL_CREATE"); r.headers["Reply-Text"] != "+OK event listener enabled json" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("CR tolerated, commands split by framing", func(t *testing.T) {
		c := login(t, s, "")
		c.send("\r\napi echo one\r\n\r\napi echo two\n\n")
		if m := c.read(); m.body != "one" {
			t.Errorf("%+v", m)
		}
		if m := c.read(); m.body != "two" {
			t.Errorf("%+v", m)
		}
	})
	t.Run("api and bgapi", func(t *testing.T) {
		c := login(t, s, "plain BACKGROUND_JOB")
		if b := c.api("nosuch x"); b != "-ERR nosuch Command not found!\n" {
			t.Errorf("%q", b)
		}
		r := c.cmd("bgapi status\nJob-UUID: job-1")
		if r.headers["Reply-Text"] != "+OK Job-UUID: job-1" || r.headers["Job-UUID"] != "job-1" {
			t.Errorf("%+v", r)
		}
		h, body := plainEvent(t, c.read())
		if h["Event-Name"] != "BACKGROUND_JOB" || h["Job-UUID"] != "job-1" || h["Job-Command"] != "status" || !strings.HasPrefix(body, "UP ") {
			t.Errorf("%v %q", h, body)
		}
		if h["Event-Calling-Function"] != "api_exec" || h["Core-UUID"] != s.CoreUUID() || h["FreeSWITCH-IPv4"] != DefaultIPv4 {
			t.Errorf("standard headers %v", h)
		}
	})
	t.Run("events wait for a blocking api, then follow in the same write", func(t *testing.T) {
		c := login(t, s, "plain ALL")
		c.send("api msleep 150\n\n")
		time.Sleep(30 * time.Millisecond)
		s.Heartbeat()
		_ = c.nc.SetReadDeadline(time.Now().Add(60 * time.Millisecond))
		if n, _ := c.br.Peek(1); len(n) > 0 {
			t.Fatalf("bytes written while the api ran")
		}
		m := c.read()
		if m.ct() != "api/response" || m.body != "+OK" {
			t.Fatalf("%+v", m)
		}
		if c.br.Buffered() == 0 {
			t.Error("the queued events did not come with the response")
		}
		api := c.until("API")
		if api["API-Command"] != "msleep" || api["API-Command-Argument"] != "150" {
			t.Errorf("API event %v", api)
		}
		c.until("HEARTBEAT")
	})
	t.Run("json events", func(t *testing.T) {
		c := login(t, s, "json BACKGROUND_JOB")
		c.cmd("bgapi echo a\"b\\c\nJob-UUID: j2")
		m := c.read()
		if m.ct() != "text/event-json" || m.order[0] != "Content-Length" {
			t.Fatalf("%+v", m)
		}
		var obj map[string]string
		if err := json.Unmarshal([]byte(m.body), &obj); err != nil {
			t.Fatal(err)
		}
		if obj["_body"] != `a"b\c` || obj["Content-Length"] != "5" || obj["Job-UUID"] != "j2" || obj["FreeSWITCH-IPv6"] != "::1" {
			t.Errorf("%v", obj)
		}
		if strings.HasSuffix(m.body, "\n") {
			t.Error("json event ends with a newline")
		}
	})
	t.Run("filters", func(t *testing.T) {
		c := login(t, s, "plain ALL")
		c.cmd("filter Event-Name HEARTBEAT")
		s.Fire(&Event{Name: "CUSTOM", Subclass: "x::y"})
		s.Heartbeat()
		if h, _ := plainEvent(t, c.read()); h["Event-Name"] != "HEARTBEAT" {
			t.Errorf("%v", h)
		}
	})
	t.Run("custom subclasses", func(t *testing.T) {
		c := login(t, s, "plain CUSTOM a::b")
		s.Fire(&Event{Name: "CUSTOM", Subclass: "x::y"})
		s.Fire(&Event{Name: "CUSTOM", Subclass: "a::b"})
		if h, _ := plainEvent(t, c.read()); h["Event-Subclass"] != "a::b" {
			t.Errorf("%v", h)
		}
	})
}

func TestListenerKilledWhenFarBehind(t *testing.T) {
	s := NewServer(t, &Options{QueueLimit: 10})
	c := login(t, s, "plain ALL")
	c.send("api msleep 300\n\n")
	time.Sleep(30 * time.Millisecond)
	for range 520 {
		s.Heartbeat()
	}
	for {
		if _, err := c.readErr(); err != nil {
			break
		}
	}
	for i := 0; s.Connections() != 0; i++ {
		if i == 100 {
			t.Fatal("listener still alive")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSwitchCommands(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "")
	if b := c.api("show channels as json"); b != "{\"row_count\": 0}\n" {
		t.Errorf("%q", b)
	}
	if b := c.api("show calls count"); b != "\n0 total.\n" {
		t.Errorf("%q", b)
	}
	if b := c.api("version"); !strings.HasPrefix(b, "FreeSWITCH Version 1.10.12") {
		t.Errorf("%q", b)
	}
	if b := c.api("global_getvar hostname"); b != "esltest" {
		t.Errorf("%q", b)
	}
	if b := c.api("reloadxml"); b != "+OK [Success]\n" {
		t.Errorf("%q", b)
	}
	b := c.api("list_users")
	lines := strings.Split(b, "\n")
	if lines[0] != "userid|context|domain|group|contact|callgroup|effective_caller_id_name|effective_caller_id_number" ||
		lines[1] != "1000|default|10.0.0.5|default|error/user_not_registered|techsupport|Extension 1000|1000" ||
		!strings.HasSuffix(b, "\n\n+OK\n") {
		t.Errorf("%q", b)
	}
	if err := s.Register("1001", Registration{UserAgent: "Zoiper rv2.10", IP: "198.51.100.9", Port: 5070, PingTime: 12.5}); err != nil {
		t.Fatal(err)
	}
	if b := c.api("list_users user 1001"); !strings.Contains(b, "1001|default|10.0.0.5|default|sofia/internal/sip:1001@198.51.100.9:5070|") {
		t.Errorf("%q", b)
	}
	reg := c.api("sofia status profile internal reg")
	for _, want := range []string{"\nRegistrations:\n====", "User:       \t1001@10.0.0.5\n", "Agent:      \tZoiper rv2.10\n",
		"IP:         \t198.51.100.9\n", "Port:       \t5070\n", "Ping-Time:\t12.50\n", "Total items returned: 1\n"} {
		if !strings.Contains(reg, want) {
			t.Errorf("sofia status reg lacks %q:\n%s", want, reg)
		}
	}
	x := c.api("sofia xmlstatus profile internal reg")
	for _, want := range []string{"<network-ip>198.51.100.9</network-ip>", "<network-port>5070</network-port>",
		"<agent>Zoiper rv2.10</agent>", "<ping-time>12.50</ping-time>", "&lt;sip:1001@198.51.100.9:5070&gt;"} {
		if !strings.Contains(x, want) {
			t.Errorf("xmlstatus lacks %q:\n%s", want, x)
		}
	}
	for _, kv := range [][2]string{
		{"hash insert/dnd/1001/1", "+OK\n"}, {"hash select/dnd/1001", "1"}, {"hash delete/dnd/1001", "+OK\n"},
		{"hash delete/dnd/1001", "-ERR Not found\n"}, {"db insert/dnd/1002/1", "+OK"}, {"db select/dnd/1002", "1"},
		{"db exists/dnd/1002", "true"}, {"db delete/dnd/1002", "+OK"}, {"db exists/dnd/1002", "false"},
		{"uuid_kill nope", "-ERR No such channel!\n"}, {"uuid_exists nope", "false"},
	} {
		if b := c.api(kv[0]); b != kv[1] {
			t.Errorf("%s: %q, want %q", kv[0], b, kv[1])
		}
	}
}

func TestOriginate(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "plain CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE")
	for _, u := range []string{"1000", "1001", "1002", "1003"} {
		if err := s.Register(u, Registration{}); err != nil {
			t.Fatal(err)
		}
	}
	s.SetPhone("1002", Phone{Mode: Busy})
	s.SetPhone("1003", Phone{Mode: NoAnswer})
	for _, tc := range [][2]string{
		{"originate user/1002 &park()", "-ERR USER_BUSY\n"},
		{"originate {originate_timeout=1}user/1003 &park()", "-ERR NO_ANSWER\n"},
		{"originate user/1004 &park()", "-ERR USER_NOT_REGISTERED\n"},
		{"originate user/9999 &park()", "-ERR SUBSCRIBER_ABSENT\n"},
		{"originate error/user_busy &park()", "-ERR USER_BUSY\n"},
	} {
		if b := c.api(tc[0]); b != tc[1] {
			t.Errorf("%s: %q, want %q", tc[0], b, tc[1])
		}
	}
	b := c.api(`originate {origination_uuid=aaaa-1,origination_caller_id_name='Front Desk',x=a\,b}user/1000 1001`)
	if b != "+OK aaaa-1\n" {
		t.Fatalf("%q", b)
	}
	create := c.until("CHANNEL_CREATE")
	for k, want := range map[string]string{"Unique-ID": "aaaa-1", "Caller-Caller-ID-Name": "Front Desk", "variable_x": "a,b",
		"Call-Direction": "outbound", "Channel-State": "CS_INIT", "Channel-Call-State": "DOWN"} {
		if create[k] != want {
			t.Errorf("CHANNEL_CREATE %s = %q, want %q", k, create[k], want)
		}
	}
	c.until("CHANNEL_ANSWER")
	br := c.until("CHANNEL_BRIDGE")
	if br["Bridge-A-Unique-ID"] != "aaaa-1" || br["Other-Leg-Destination-Number"] != "1001" {
		t.Errorf("bridge %v", br)
	}
	calls := c.api("show calls as json")
	var res struct {
		RowCount int                 `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err := json.Unmarshal([]byte(calls), &res); err != nil || res.RowCount != 1 || res.Rows[0]["uuid"] != "aaaa-1" || res.Rows[0]["b_dest"] != "1001" {
		t.Fatalf("%q %v", calls, err)
	}
	if len(res.Rows[0]) != len(callColumns) {
		t.Errorf("%d columns", len(res.Rows[0]))
	}
	if b := c.api("show channels count"); b != "\n2 total.\n" {
		t.Errorf("%q", b)
	}
	if b := c.api("uuid_transfer aaaa-1 -bleg park"); b != "+OK\n" {
		t.Errorf("%q", b)
	}
	if h := c.until("CHANNEL_HANGUP"); h["Unique-ID"] != "aaaa-1" || h["Hangup-Cause"] != "NORMAL_CLEARING" {
		t.Errorf("transfer of the b-leg hangs up the a-leg: %v", h)
	}
	hc := c.until("CHANNEL_HANGUP_COMPLETE")
	if hc["variable_hangup_cause"] != "NORMAL_CLEARING" || hc["variable_hangup_cause_q850"] != "16" {
		t.Errorf("%v", hc)
	}
	ch := s.Channels()
	if len(ch) != 1 || ch[0].State != "CS_PARK" {
		t.Fatalf("%+v", ch)
	}
	if b := c.api("uuid_kill " + ch[0].UUID); b != "+OK\n" {
		t.Errorf("%q", b)
	}
	if h := c.until("CHANNEL_HANGUP"); h["Hangup-Cause"] != "MANAGER_REQUEST" {
		t.Errorf("%v", h)
	}
}

func TestConferenceCallcenterVoicemail(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "plain CUSTOM conference::maintenance callcenter::info vm::maintenance")
	if b := c.api("conference list"); b != "+OK No active conferences.\n" {
		t.Errorf("%q", b)
	}
	id := s.JoinConference("3000-10.0.0.5", "Ann", "5551000")
	if h := c.until("add-member"); h["Member-ID"] != "1" || h["Caller-Caller-ID-Name"] != "Ann" || h["Conference-Name"] != "3000-10.0.0.5" {
		t.Errorf("%v", h)
	}
	s.JoinConference("3000-10.0.0.5", "Bob", "5551001")
	list := c.api("conference list")
	if !strings.HasPrefix(list, "+OK Conference 3000-10.0.0.5 (2 members rate: 8000 flags: running|answered|dynamic|exit_sound|enter_sound)\n2;sofia/external/5551001@") ||
		!strings.HasSuffix(list, ";"+id+";Ann;5551000;hear|speak|floor;0;0;100\n") {
		t.Errorf("%q", list)
	}
	if b := c.api("conference 3000-10.0.0.5 mute 2"); b != "+OK mute 2\n" {
		t.Errorf("%q", b)
	}
	c.until("mute-member")
	if b := c.api("conference 3000-10.0.0.5 lock"); b != "+OK 3000-10.0.0.5 locked\n" {
		t.Errorf("%q", b)
	}
	var rooms []struct {
		Name    string `json:"conference_name"`
		Count   int    `json:"member_count"`
		Locked  bool   `json:"locked"`
		Members []struct {
			ID    int             `json:"id"`
			UUID  string          `json:"uuid"`
			Flags map[string]bool `json:"flags"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(c.api("conference 3000-10.0.0.5 json_list")), &rooms); err != nil || len(rooms) != 1 ||
		rooms[0].Count != 2 || !rooms[0].Locked || rooms[0].Members[0].Flags["can_speak"] || rooms[0].Members[1].UUID != id {
		t.Errorf("%+v %v", rooms, err)
	}
	if b := c.api("conference 3000-10.0.0.5 kick 1"); b != "+OK kicked 1\n" {
		t.Errorf("%q", b)
	}
	c.until("del-member")
	if b := c.api("conference nope list"); !strings.HasPrefix(b, "-ERR Conference nope not found") {
		t.Errorf("%q", b)
	}

	// mod_callcenter
	for _, kv := range [][2]string{
		{"callcenter_config agent add 1000@default callback", "+OK\n"},
		{"callcenter_config agent add 1000@default callback", "-ERR Agent already exist!\n"},
		{"callcenter_config agent set contact 1000@default user/1000", "+OK\n"},
		{"callcenter_config agent set status 1000@default 'Available (On Demand)'", "+OK\n"},
		{"callcenter_config agent get status 1000@default", "Available (On Demand)"},
		{"callcenter_config agent set status 1000@default Busy", "-ERR Invalid Agent Status!\n"},
		{"callcenter_config agent set status nobody Available", "-ERR Agent not found!\n"},
		{"callcenter_config tier add support@default 1000@default 1 1", "+OK\n"},
		{"callcenter_config tier list", "queue|agent|state|level|position\nsupport@default|1000@default|Ready|1|1\n+OK\n"},
		{"callcenter_config queue list members support@default", "+OK\n"},
	} {
		if b := c.api(kv[0]); b != kv[1] {
			t.Errorf("%s: %q, want %q", kv[0], b, kv[1])
		}
	}
	c.api("callcenter_config agent set status 1000@default Available")
	if h := c.until("agent-status-change"); h["CC-Agent-Status"] != "Available" {
		t.Errorf("%v", h)
	}
	caller, err := s.QueueCaller("support@default", "Carol", "5552000")
	if err != nil {
		t.Fatal(err)
	}
	if h := c.until("member-queue-start"); h["CC-Member-Session-UUID"] != caller || h["CC-Queue"] != "support@default" {
		t.Errorf("%v", h)
	}
	if b := c.api("callcenter_config queue list members support@default"); !strings.Contains(b, "|"+caller+"|5552000|Carol|") || !strings.HasPrefix(b, "queue|instance_id|uuid|session_uuid|") {
		t.Errorf("%q", b)
	}
	s.Hangup(caller, "")
	c.until("member-queue-end")
	agents := c.api("callcenter_config agent list")
	if !strings.HasPrefix(agents, "name|instance_id|uuid|type|contact|status|state|") || !strings.Contains(agents, "1000@default|single_box||callback|user/1000|Available|Waiting|") {
		t.Errorf("%q", agents)
	}

	// mod_voicemail
	vid, path, err := s.LeaveVoicemail("1000", "Dave", "5553000", 3*time.Second, false)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 44+3*16000 || !strings.HasPrefix(path, s.Dir()) {
		t.Errorf("message file %s: %v", path, err)
	}
	if h := c.until("leave-message"); h["VM-UUID"] != vid || h["VM-File-Path"] != path {
		t.Errorf("%v", h)
	}
	if b := c.api("vm_list 1000@10.0.0.5"); !strings.HasSuffix(b, ":0:1000:10.0.0.5:inbox:"+path+":"+vid+":Dave:5553000:3\n") {
		t.Errorf("%q", b)
	}
	var vmList map[string]string
	if err := json.Unmarshal([]byte(c.api("vm_fsdb_msg_list json default 10.0.0.5 1000 inbox new")), &vmList); err != nil ||
		vmList["VM-List-Count"] != "1" || vmList["VM-List-Message-1-UUID"] != vid || vmList["Event-Name"] != "REQUEST_PARAMS" {
		t.Errorf("%v %v", vmList, err)
	}
	var msgInfo map[string]string
	if err := json.Unmarshal([]byte(c.api("vm_fsdb_msg_get json default 10.0.0.5 1000 "+vid)), &msgInfo); err != nil ||
		msgInfo["VM-Message-File-Path"] != path || msgInfo["VM-Message-Caller-Name"] != "Dave" || msgInfo["VM-Message-Duration"] != "3" {
		t.Errorf("%v %v", msgInfo, err)
	}
	var count map[string]string
	if err := json.Unmarshal([]byte(c.api("vm_fsdb_msg_count json default 10.0.0.5 1000 inbox")), &count); err != nil || count["VM-Total-New-Messages"] != "1" {
		t.Errorf("%v %v", count, err)
	}
	for _, kv := range [][2]string{
		{"vm_fsdb_msg_save default 10.0.0.5 1000 " + vid, "-OK\n"},
		{"vm_fsdb_msg_list json default 10.0.0.5 1000 inbox new DESC", "-ERR Bad Argument: 'DESC'\n"},
		{"vm_fsdb_msg_delete default 10.0.0.5 1000 " + vid, "-OK\n"},
		{"vm_fsdb_msg_purge default 10.0.0.5 1000", "-OK\n"},
		{"vm_list 1000@10.0.0.5", ""},
		{"vm_delete 1000@10.0.0.5/nope", "-ERR can't find user or profile.\n"},
	} {
		if b := c.api(kv[0]); b != kv[1] && !(kv[1] == "" && b == "-ERR no reply\n") {
			t.Errorf("%s: %q, want %q", kv[0], b, kv[1])
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("purged file still there: %v", err)
	}
}

func TestTokenizer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"a b  c", []string{"a", "b", "c"}},
		{"agent set status 1000 'Available (On Demand)'", []string{"agent", "set", "status", "1000", "Available (On Demand)"}},
		{`{a='x y',b=c\,d}user/1000 &park()`, []string{"{a=x y,b=c\\,d}user/1000", "&park()"}},
		{`a\ b c`, []string{`a\ b`, "c"}},
	} {
		got := separate(tc.in, ' ', 10)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
	vars, rest, ok := brackets(`{a=x y,b=c\,d,^^:nope,e=f=g}user/1000`, '{', '}')
	if !ok || rest != "user/1000" || len(vars) != 3 || vars[1][1] != "c,d" || vars[2][1] != "f=g" {
		t.Errorf("%q %q %v", vars, rest, ok)
	}
	if v, _, _ := brackets("{^^:a=1:b=2,3}x", '{', '}'); len(v) != 2 || v[1][1] != "2,3" {
		t.Errorf("^^ delimiter: %q", v)
	}
	if got := urlEncode("a b:c%d+é\n"); got != "a%20b%3Ac%25d%2B%C3%A9%0A" {
		t.Errorf("%q", got)
	}
}

func TestSampleEvents(t *testing.T) {
	b, err := SampleEvents(100, "plain", 7)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, br: bufio.NewReader(strings.NewReader(string(b))), nc: nopConn{}}
	for i := range 100 {
		h, _ := plainEvent(t, c.read())
		if h["Event-Sequence"] != strconv.Itoa(7+i) {
			t.Fatalf("event %d: %v", i, h["Event-Sequence"])
		}
	}
	j, err := SampleEvents(3, "json", 1)
	if err != nil || !strings.Contains(string(j), "text/event-json") {
		t.Fatal(err)
	}
}

// nopConn lets the raw client read from a buffer.
type nopConn struct{ net.Conn }

func (nopConn) SetReadDeadline(time.Time) error { return nil }

// TestDirectoryCDRAndProfiles: user files and reloadxml, mod_cdr_csv's
// Master.csv for A legs only, the originator/originatee profiles of
// bridged legs, a locked room refusing a joiner.
func TestDirectoryCDRAndProfiles(t *testing.T) {
	dir := t.TempDir()
	user := func(id, name string) string {
		return `<include><user id="` + id + `"><params><param name="password" value="$${default_password}"/></params>` +
			`<variables><variable name="effective_caller_id_name" value="` + name + `"/><variable name="user_context" value="public"/></variables></user></include>`
	}
	if err := os.WriteFile(filepath.Join(dir, "2000.xml"), []byte(user("2000", "$${domain} desk")), 0o644); err != nil {
		t.Fatal(err)
	}
	s := NewServer(t, &Options{Directory: dir})
	c := login(t, s, "plain CHANNEL_CREATE CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE")
	if b := c.api("list_users"); !strings.Contains(b, "\n2000|public|10.0.0.5|default|error/user_not_registered|techsupport|10.0.0.5 desk|2000\n") || strings.Contains(b, "1000|") {
		t.Fatalf("list_users of the directory files:\n%s", b)
	}
	if err := os.WriteFile(filepath.Join(dir, "2001.xml"), []byte(user("2001", "Bob &amp; Co")), 0o644); err != nil {
		t.Fatal(err)
	}
	if b := c.api("reloadxml"); b != "+OK [Success]\n" {
		t.Fatalf("reloadxml: %q", b)
	}
	if b := c.api("list_users user 2001"); !strings.Contains(b, "|Bob & Co|") {
		t.Fatalf("list_users after reloadxml:\n%s", b)
	}
	if err := os.WriteFile(filepath.Join(dir, "2002.xml"), []byte("<include><user"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b := c.api("reloadxml"); !strings.HasPrefix(b, "-ERR [2002.xml") {
		t.Fatalf("reloadxml of a broken file: %q", b)
	}
	if b := c.api("list_users user 2001"); !strings.Contains(b, "2001|") {
		t.Fatalf("a failed reloadxml lost the directory:\n%s", b)
	}

	for _, u := range []string{"2000", "2001"} {
		if err := s.Register(u, Registration{}); err != nil {
			t.Fatal(err)
		}
	}
	if b := c.api("originate {origination_uuid=cdr-a,accountcode=sales}user/2000 2001"); b != "+OK cdr-a\n" {
		t.Fatalf("originate: %q", b)
	}
	c.until("CHANNEL_CREATE")
	bleg := c.until("CHANNEL_CREATE")
	if bleg["Other-Type"] != "originator" || bleg["Other-Leg-Unique-ID"] != "cdr-a" {
		t.Fatalf("the B leg's CHANNEL_CREATE lacks its originator: %v", bleg)
	}
	if br := c.until("CHANNEL_BRIDGE"); br["Other-Type"] != "originatee" || br["Other-Leg-Unique-ID"] != bleg["Unique-ID"] {
		t.Fatalf("CHANNEL_BRIDGE lacks the originatee: %v", br)
	}
	if b := c.api("uuid_kill cdr-a"); b != "+OK\n" {
		t.Fatalf("uuid_kill: %q", b)
	}
	c.until("CHANNEL_HANGUP_COMPLETE")
	c.until("CHANNEL_HANGUP_COMPLETE")
	data, err := os.ReadFile(s.CDRPath())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("Master.csv has %d lines, want the A leg's only:\n%s", len(lines), data)
	}
	f := strings.Split(lines[0], ",")
	if len(f) != 15 || f[0] != `"FreeSWITCH"` || f[2] != `"2001"` || f[5] == `""` || f[9] != `"MANAGER_REQUEST"` ||
		f[10] != `"cdr-a"` || f[11] != `"`+bleg["Unique-ID"]+`"` || f[12] != `"sales"` {
		t.Fatalf("Master.csv line %q", lines[0])
	}
	if acct, err := os.ReadFile(filepath.Join(filepath.Dir(s.CDRPath()), "sales.csv")); err != nil || string(acct) != string(data) {
		t.Fatalf("sales.csv: %q, %v", acct, err)
	}

	s.JoinConference("3001", "Outside", "5550100")
	if b := c.api("conference 3001 lock"); b != "+OK 3001 locked\n" {
		t.Fatalf("lock: %q", b)
	}
	if b := c.api("originate {origination_uuid=refused}user/2000 &conference(3001@default)"); b != "+OK refused\n" {
		t.Fatalf("originate into the locked room: %q", b)
	}
	if hc := c.until("CHANNEL_HANGUP_COMPLETE"); hc["Unique-ID"] != "refused" || hc["Hangup-Cause"] != "NORMAL_CLEARING" {
		t.Fatalf("the refused joiner: %v", hc)
	}
	if b := c.api("conference 3001 count"); b != "1" {
		t.Fatalf("the locked room has %q members", b)
	}
}

// expectReplies runs api commands and compares their bodies; a want of ""
// is FreeSWITCH's "-ERR no reply" for a command that printed nothing.
func expectReplies(t *testing.T, c *client, kvs [][2]string) {
	t.Helper()
	for _, kv := range kvs {
		if b := c.api(kv[0]); b != kv[1] && !(kv[1] == "" && b == "-ERR no reply\n") {
			t.Errorf("%s: %q, want %q", kv[0], b, kv[1])
		}
	}
}

// TestCallcenterReplies checks callcenter_config's replies against
// mod_callcenter's cc_config_api_function.
func TestCallcenterReplies(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "plain CUSTOM callcenter::info")
	expectReplies(t, c, [][2]string{
		{"callcenter_config", "-USAGE: \ncallcenter_config <target> <args>\n"},
		{"callcenter_config agent", "-ERR Invalid!\n"},
		{"callcenter_config agent frob", ""},
		{"callcenter_config frob list", ""},
		{"callcenter_config agent add a@default", "-ERR Invalid!\n"},
		{"callcenter_config agent add a@default dialin", "-ERR Agent type invalid!\n"},
		{"callcenter_config agent add a@default Callback", "+OK\n"},
		{"callcenter_config agent add a@default uuid-standby", "-ERR Agent already exist!\n"},
		{"callcenter_config agent get status a@default", "Logged Out"},
		{"callcenter_config agent get uuid a@default", ""},
		{"callcenter_config agent get contact a@default", "-ERR Invalid Agent Update KEY!\n"},
		{"callcenter_config agent get status nobody", "-ERR Agent not found!\n"},
		{"callcenter_config agent set type a@default dialin", "-ERR Invalid Agent Type!\n"},
		{"callcenter_config agent set state a@default Busy", "-ERR Invalid Agent State!\n"},
		{"callcenter_config agent set state a@default Unknown", "-ERR Invalid Agent State!\n"},
		{"callcenter_config agent set colour a@default red", "-ERR Invalid Agent Update KEY!\n"},
		{"callcenter_config agent set max_no_answer a@default 3x", "+OK\n"},
		{"callcenter_config agent set state_if_waiting a@default Receiving", "-ERR Agent not found!\n"},
		{"callcenter_config agent list a@default b@default", "-ERR Invalid!\n"},
		{"callcenter_config tier add nope@default a@default", "-ERR Queue not found!\n"},
		{"callcenter_config tier add support@default nobody", "-ERR Agent not found!\n"},
		{"callcenter_config tier add support@default a@default x", "+OK\n"},
		{"callcenter_config tier add support@default a@default", "-ERR Tier already exist!\n"},
		{"callcenter_config tier set level support@default nobody 2", "-ERR Unknown Error!\n"},
		{"callcenter_config tier set state support@default a@default Busy", "-ERR Invalid Tier State!\n"},
		{"callcenter_config tier set colour support@default a@default red", "-ERR Invalid Tier Update KEY!\n"},
		{"callcenter_config tier set position support@default a@default 4", "+OK\n"},
		{"callcenter_config tier list", "queue|agent|state|level|position\nsupport@default|a@default|Ready|0|4\n+OK\n"},
		{"callcenter_config queue list tiers support@default", "queue|agent|state|level|position\nsupport@default|a@default|Ready|0|4\n+OK\n"},
		{"callcenter_config queue list agents support@default Available", "+OK\n"},
		{"callcenter_config queue count agents support@default", "1\n"},
		{"callcenter_config queue list support@default", "-ERR Invalid!\n"},
		{"callcenter_config queue count frob", "-ERR Invalid!\n"},
		{"callcenter_config tier del support@default nobody", "+OK\n"},
		{"callcenter_config agent del nobody", "+OK\n"},
		{"callcenter_config agent del a@default", "+OK\n"},
		{"callcenter_config tier list", "+OK\n"},
		{"callcenter_config queue load nope@default", "-ERR Invalid Queue not found!\n"},
		{"callcenter_config queue unload support@default", "+OK\n"},
		{"callcenter_config queue count", "0\n"},
		{"callcenter_config queue list", strings.Join(queueCols, "|") + "\n+OK\n"},
		{"callcenter_config queue load support@default", "+OK\n"},
		{"callcenter_config queue count", "1\n"},
	})
	if b := c.api("callcenter_config agent list"); b != "+OK\n" {
		t.Errorf("agents left: %q", b)
	}
	c.api("callcenter_config agent add b@default callback")
	c.api("callcenter_config agent set status b@default available")
	if h := c.until("agent-status-change"); h["CC-Agent-Status"] != "available" {
		t.Errorf("the status is kept as given: %v", h)
	}
	if b := c.api("callcenter_config agent get status b@default"); b != "available" {
		t.Errorf("%q", b)
	}
	if h := c.until("agent-status-get"); h["CC-Agent-Status"] != "available" || h["CC-Agent"] != "b@default" {
		t.Errorf("%v", h)
	}

	// A caller who leaves stays in the members table as Abandoned.
	caller, err := s.QueueCaller("support@default", "Carol", "5552000")
	if err != nil {
		t.Fatal(err)
	}
	if h := c.until("members-count"); h["CC-Count"] != "1" {
		t.Errorf("%v", h)
	}
	rows := c.api("callcenter_config queue list members support@default")
	lines := strings.Split(rows, "\n")
	if f := strings.Split(lines[min(1, len(lines)-1)], "|"); lines[0] != strings.Join(memberCols, "|") || len(f) != len(memberCols) ||
		f[0] != "support@default" || f[1] != "single_box" || f[3] != caller || f[4] != "5552000" || f[5] != "Carol" ||
		f[10] != "0" || f[13] != "" || f[14] != "" || f[15] != "Waiting" || !strings.HasSuffix(rows, "\n+OK\n") {
		t.Errorf("%q", rows)
	}
	s.Hangup(caller, "")
	if h := c.until("member-queue-end"); h["CC-Cause"] != "Cancel" || h["CC-Member-Session-UUID"] != caller {
		t.Errorf("%v", h)
	}
	if h := c.until("members-count"); h["CC-Count"] != "0" {
		t.Errorf("%v", h)
	}
	rows = c.api("callcenter_config queue list members")
	if strings.Contains(rows, caller) || !strings.Contains(rows, "|5552000|Carol|") || !strings.Contains(rows, "|||Abandoned|") {
		t.Errorf("%q", rows)
	}
	expectReplies(t, c, [][2]string{{"callcenter_config queue count members support@default", "1\n"}})
}

// TestStoreReplies checks the replies of mod_db's db and mod_hash's hash.
func TestStoreReplies(t *testing.T) {
	s := NewServer(t, nil)
	c := login(t, s, "")
	long := strings.Repeat("x", 300)
	expectReplies(t, c, [][2]string{
		{"db", "!err!"},
		{"db insert/r/k", "!err!"},
		{"db select/r", "!err!"},
		{"db frob/r/k", "!err!"},
		{"db select/r/k", ""},
		{"db exists/r/k", "false"},
		{"db delete/r/k", "+OK"},
		{"db insert/r/k/a/b", "+OK"},
		{"db select/r/k", "a/b"},
		{"db insert/r/long/" + long, "+OK"},
		{"db select/r/long", long[:255]},
		{"db insert/q/k/1", "+OK"},
		{"db count", "2"},
		{"db count/r", "2"},
		{"db list", "q,r"},
		{"db list/r", "k,long"},
		{"db list/r/k", "!err!"},
		{"hash select/r/k", ""},
		{"hash delete/r/k", "-ERR Not found\n"},
		{"hash insert/r/k", "-ERR Usage: hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]\n"},
		{"hash insert/r/k/1", "+OK\n"},
		{"hash insert_ifempty/r/k/2", "-ERR key already exists\n"},
		{"hash delete_ifmatch/r/k/2", "-ERR Doesn't match\n"},
		{"hash delete_ifmatch/r/k/1", "+OK\n"},
		{"hash delete_ifmatch/r/k/1", "-ERR Not found\n"},
		{"hash frob/r/k", "-ERR Usage: hash insert|insert_ifempty|select|delete|delete_ifmatch/realm/key[/value]\n"},
	})
}

// TestUUIDTransfer checks uuid_transfer's replies and legs.
func TestUUIDTransfer(t *testing.T) {
	s := NewServer(t, nil)
	// Events come on a connection of their own: on the commands' one they
	// may arrive before a reply, which client.cmd skips them to read.
	c := login(t, s, "")
	events := login(t, s, "plain CHANNEL_BRIDGE CHANNEL_HANGUP CHANNEL_PARK")
	for _, u := range []string{"1000", "1001"} {
		if err := s.Register(u, Registration{}); err != nil {
			t.Fatal(err)
		}
	}
	expectReplies(t, c, [][2]string{
		{"uuid_transfer", "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"},
		{"uuid_transfer nope 1000", "-ERR No Such Channel!\n"},
		{"originate {origination_uuid=aaaa-1}user/1000 1001", "+OK aaaa-1\n"},
	})
	// originate answers once the A leg does; its dialplan bridges the B
	// leg afterwards.
	events.until("CHANNEL_BRIDGE")
	expectReplies(t, c, [][2]string{{"uuid_transfer aaaa-1 -BOTH park", "+OK\n"}})
	for range 2 {
		events.until("CHANNEL_PARK")
	}
	ch := s.Channels()
	if len(ch) != 2 || ch[0].State != "CS_PARK" || ch[1].State != "CS_PARK" {
		t.Fatalf("-both parks both legs: %+v", ch)
	}
	// Without a bridged leg, -bleg transfers the leg named.
	expectReplies(t, c, [][2]string{{"uuid_transfer aaaa-1 -bleg 9999", "+OK\n"}})
	if h := events.until("CHANNEL_HANGUP"); h["Unique-ID"] != "aaaa-1" || h["Hangup-Cause"] != "NO_ROUTE_DESTINATION" {
		t.Errorf("%v", h)
	}
}
