package asterisktest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestStartAMILoginAndListeners(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	a := dialAMI(t, s)
	if a.banner != "Asterisk Call Manager/5.0.4" {
		t.Errorf("banner = %q", a.banner)
	}
	if got := s.Extensions[0]; got.Number != "1001" || got.Secret == "" || got.Mailbox != "1001@default" {
		t.Errorf("fixture extension = %+v", got)
	}

	// Only the chosen loopback ports listen. pjproject's DNS resolver (res_pjsip
	// creates it from /etc/resolv.conf's nameservers) adds one IPv4 and one IPv6
	// UDP client socket on a wildcard address and an ephemeral port; no
	// configuration switches it off.
	want := []string{"tcp " + s.AMIAddr, "tcp " + s.HTTPAddr, "udp " + s.SIPAddr}
	sort.Strings(want)
	var got []string
	for _, l := range listeners(t, s.PID()) {
		host, port, _ := net.SplitHostPort(strings.TrimPrefix(l, "udp "))
		if n, _ := strconv.Atoi(port); strings.HasPrefix(l, "udp ") && (host == "0.0.0.0" || host == "::") && n >= 32768 {
			t.Logf("ignoring %s (pjproject DNS resolver)", l)
			continue
		}
		got = append(got, l)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Asterisk listens on %v, want exactly %v", got, want)
	}

	// ARI answers on its URL with the configured user.
	res := httpGet(t, s.ARIURL+"/asterisk/info", s.ARIUser, s.ARIPassword)
	if !strings.HasPrefix(res, "HTTP/1.1 200") {
		t.Errorf("GET /ari/asterisk/info: %.200s", res)
	}
}

func TestTwoServersAtOnce(t *testing.T) {
	t.Parallel()
	s1 := Start(t, nil)
	s2 := Start(t, nil)
	if s1.AMIAddr == s2.AMIAddr || s1.SIPAddr == s2.SIPAddr || s1.HTTPAddr == s2.HTTPAddr || s1.Dir == s2.Dir {
		t.Fatalf("servers share an address or dir: %+v / %+v", s1, s2)
	}
	if s1.RTPStart <= s2.RTPEnd && s2.RTPStart <= s1.RTPEnd {
		t.Errorf("RTP ranges overlap: %d-%d and %d-%d", s1.RTPStart, s1.RTPEnd, s2.RTPStart, s2.RTPEnd)
	}
	for _, s := range []*Server{s1, s2} {
		dialAMI(t, s)
		out, err := s.CLI(ctxT(t, 10*time.Second), "core show uptime")
		if err != nil || !strings.Contains(out, "System uptime") {
			t.Errorf("CLI on %s: %q, %v", s.Dir, out, err)
		}
	}
	p1, err := s1.Register(ctxT(t, 10*time.Second), "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := s2.Register(ctxT(t, 10*time.Second), "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p1.Addr == p2.Addr {
		t.Errorf("phones share %s", p1.Addr)
	}
}

func TestPhoneRegisterAndUnregister(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	a := dialAMI(t, s)
	ctx := ctxT(t, 30*time.Second)
	p, err := s.Register(ctx, "1001", &PhoneOptions{UserAgent: "conformance-phone/2.0"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.CLI(ctx, "pjsip show contacts")
	if err != nil || !strings.Contains(out, "1001/sip:1001@"+p.Addr) {
		t.Fatalf("pjsip show contacts does not list the phone %s:\n%s (%v)", p.Addr, out, err)
	}
	// Qualify (every 2 s) marks it Reachable with a round-trip time.
	var contact amiMsg
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, items := a.list("PJSIPShowContacts")
		if res["Response"] == "Success" && len(items) == 1 && items[0]["Status"] == "Reachable" {
			contact = items[0]
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if contact == nil {
		t.Fatal("the contact never became Reachable")
	}
	if contact["UserAgent"] != "conformance-phone/2.0" || contact["Endpoint"] != "1001" || contact["RoundtripUsec"] == "0" {
		t.Errorf("ContactList item: %v", contact)
	}
	if p.Stats().Options == 0 {
		t.Error("the phone answered no OPTIONS")
	}

	if err := p.Unregister(ctx); err != nil {
		t.Fatal(err)
	}
	out, err = s.CLI(ctx, "pjsip show contacts")
	if err != nil || strings.Contains(out, "sip:1001@") {
		t.Errorf("contact still listed after Unregister:\n%s (%v)", out, err)
	}

	// A wrong secret is refused.
	if _, err := s.Register(ctx, "1002", &PhoneOptions{Secret: "wrong"}); err == nil {
		t.Error("registration with a wrong secret succeeded")
	}
}

func TestOriginateToPhone(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	a := dialAMI(t, s)
	ctx := ctxT(t, 60*time.Second)
	p, err := s.Register(ctx, "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	originate := func() string {
		return a.send("Originate", "Channel", "PJSIP/1001", "Context", ContextCallMe, "Exten", ExtenHold,
			"Priority", "1", "Async", "true", "Timeout", "2000", "CallerID", "Test <5555>")
	}
	waitResponse := func(id string) amiMsg {
		return a.until(15*time.Second, func(m amiMsg) bool { return m["Event"] == "OriginateResponse" && m["ActionID"] == id })
	}

	t.Run("Answer", func(t *testing.T) {
		ev := waitResponse(originate())
		if ev["Response"] != "Success" || ev["Reason"] != "4" {
			t.Fatalf("OriginateResponse: %v", ev)
		}
		if err := p.WaitFor(ctx, func(st PhoneStats) bool { return st.Answered == 1 && st.Active == 1 }); err != nil {
			t.Fatal(err)
		}
		out, _ := s.CLI(ctx, "core show channels concise")
		if !strings.Contains(out, "PJSIP/1001-") || !strings.Contains(out, "MusicOnHold") {
			t.Errorf("core show channels concise: %q", out)
		}
		inv := p.Invites()[0]
		if inv.FromUser != "5555" || inv.FromDisplay != "Test" {
			t.Errorf("INVITE From = %q", inv.From)
		}
		if err := p.HangupAll(ctx); err != nil {
			t.Fatal(err)
		}
		a.until(10*time.Second, func(m amiMsg) bool { return m["Event"] == "Hangup" && strings.HasPrefix(m["Channel"], "PJSIP/1001-") })
	})
	t.Run("PBXHangsUp", func(t *testing.T) {
		ev := waitResponse(originate())
		if ev["Response"] != "Success" {
			t.Fatalf("OriginateResponse: %v", ev)
		}
		if r := a.action("Hangup", "Channel", ev["Channel"]); r["Response"] != "Success" {
			t.Fatalf("Hangup: %v", r)
		}
		if err := p.WaitFor(ctx, func(st PhoneStats) bool { return st.ByesReceived == 1 && st.Active == 0 }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Busy", func(t *testing.T) {
		p.SetMode(Busy)
		ev := waitResponse(originate())
		if ev["Response"] != "Failure" {
			t.Fatalf("OriginateResponse: %v", ev)
		}
		if st := p.Stats(); st.Rejected != 1 || st.Active != 0 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("RingForever", func(t *testing.T) {
		p.SetMode(RingForever)
		invites := p.Stats().Invites
		id := originate() // Timeout 2000: Asterisk cancels after 2 s
		if err := p.WaitFor(ctx, func(st PhoneStats) bool { return st.Invites == invites+1 && st.Active == 1 }); err != nil {
			t.Fatal(err)
		}
		out, _ := s.CLI(ctx, "core show channels concise")
		if !strings.Contains(out, "!Ringing!") {
			t.Errorf("no ringing channel: %q", out)
		}
		ev := waitResponse(id)
		if ev["Response"] != "Failure" || ev["Reason"] != "3" {
			t.Errorf("OriginateResponse: %v", ev)
		}
		if err := p.WaitFor(ctx, func(st PhoneStats) bool { return st.Cancelled == 1 && st.Active == 0 }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("CDR", func(t *testing.T) {
		// The answered calls above were written to Master.csv when they ended.
		rows := readCSV(t, s.CDRCSVPath)
		var answered int
		for _, r := range rows {
			if len(r) > 14 && strings.HasPrefix(r[5], "PJSIP/1001-") && r[14] == "ANSWERED" {
				answered++
			}
		}
		if answered < 2 {
			t.Errorf("Master.csv has %d answered CDRs of PJSIP/1001, want 2:\n%q", answered, rows)
		}
	})
}

func TestRestartAndKill(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	ctx := ctxT(t, 60*time.Second)
	p, err := s.Register(ctx, "1003", nil)
	if err != nil {
		t.Fatal(err)
	}
	ami, sip, pid := s.AMIAddr, s.SIPAddr, s.PID()
	began := time.Now()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("Restart took %v", time.Since(began))
	if s.PID() == pid || s.AMIAddr != ami || s.SIPAddr != sip {
		t.Fatalf("after Restart: pid %d (was %d), AMI %s, SIP %s", s.PID(), pid, s.AMIAddr, s.SIPAddr)
	}
	dialAMI(t, s)
	// PJSIP keeps contacts in astdb: the phone is still known after the restart.
	if out, _ := s.CLI(ctx, "pjsip show contacts"); !strings.Contains(out, "sip:1003@"+p.Addr) {
		t.Errorf("contact lost across the restart:\n%s", out)
	}
	if err := p.Reregister(ctx); err != nil {
		t.Fatal(err)
	}
	out, _ := s.CLI(ctx, "pjsip show contacts")
	if !strings.Contains(out, "sip:1003@"+p.Addr) {
		t.Errorf("no contact after re-registering:\n%s", out)
	}

	s.Kill()
	if s.Running() {
		t.Fatal("still running after Kill")
	}
	if _, err := s.CLI(ctx, "core show uptime"); err == nil {
		t.Error("CLI answered after Kill")
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	dialAMI(t, s)
	if err := s.Start(ctx); err == nil {
		t.Error("Start of a running server succeeded")
	}
}

func TestLeaveVoicemail(t *testing.T) {
	t.Parallel()
	s := Start(t, nil)
	a := dialAMI(t, s)
	id := a.send("Originate", "Channel", "Local/1001@"+ContextLeaveVoicemail, "Context", ContextCallMe,
		"Exten", ExtenHello, "Priority", "1", "Async", "true", "CallerID", "Voice Caller <5551234>")
	ev := a.until(15*time.Second, func(m amiMsg) bool { return m["Event"] == "OriginateResponse" && m["ActionID"] == id })
	if ev["Response"] != "Success" {
		t.Fatalf("OriginateResponse: %v", ev)
	}
	// app_voicemail announces the new message once the Local channel hangs up.
	mw := a.until(20*time.Second, func(m amiMsg) bool {
		return m["Event"] == "MessageWaiting" && m["Mailbox"] == "1001@default" && m["New"] == "1"
	})
	if mw["Waiting"] != "1" || mw["Old"] != "0" {
		t.Errorf("MessageWaiting: %v", mw)
	}
	inbox := s.MailboxDir("1001", "INBOX")
	txt, err := os.ReadFile(filepath.Join(inbox, "msg0000.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(txt, []byte("callerid=\"Voice Caller\" <5551234>")) {
		t.Errorf("msg0000.txt:\n%s", txt)
	}
	wav, err := os.ReadFile(filepath.Join(inbox, "msg0000.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if len(wav) < 44+8000 || string(wav[0:4]) != "RIFF" || string(wav[8:12]) != "WAVE" {
		t.Fatalf("msg0000.wav is not a RIFF/WAVE file of at least 0.5 s: %d bytes, %s", len(wav), hex.EncodeToString(wav[:min(len(wav), 44)]))
	}
	// Format 1 (PCM), mono, 8000 Hz, 16 bits.
	if wav[20] != 1 || wav[22] != 1 || wav[24] != 0x40 || wav[25] != 0x1f || wav[34] != 16 {
		t.Errorf("msg0000.wav header: %s", hex.EncodeToString(wav[:44]))
	}
}

// readCSV parses cdr_csv's Master.csv.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("parse %s: %v\n%s", path, err, data)
	}
	return rows
}

// listeners returns the "tcp host:port" and "udp host:port" sockets that
// process pid listens on (TCP LISTEN, and every bound UDP socket).
func listeners(t *testing.T, pid int) []string {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("read fds of %d: %v", pid, err)
	}
	inodes := map[string]bool{}
	for _, fd := range fds {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if err == nil && strings.HasPrefix(link, "socket:[") {
			inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] = true
		}
	}
	var out []string
	for _, proto := range []string{"tcp", "tcp6", "udp", "udp6"} {
		f, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, proto))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || !inodes[fields[9]] {
				continue
			}
			if strings.HasPrefix(proto, "tcp") && fields[3] != "0A" { // LISTEN
				continue
			}
			out = append(out, proto[:3]+" "+procAddr(fields[1]))
		}
		f.Close()
	}
	sort.Strings(out)
	return out
}

// procAddr decodes /proc/net's "0100007F:1F90" (IPv4) or 32-hex-digit IPv6 form.
func procAddr(s string) string {
	h, p, _ := strings.Cut(s, ":")
	port, _ := strconv.ParseUint(p, 16, 16)
	raw, _ := hex.DecodeString(h)
	ip := make(net.IP, len(raw))
	for i := 0; i+4 <= len(raw); i += 4 { // each 32-bit word is little-endian
		ip[i], ip[i+1], ip[i+2], ip[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(int(port)))
}

// httpGet does a GET with basic auth and returns "HTTP/1.1 <status>\n<body>".
func httpGet(t *testing.T, url, user, pass string) string {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, pass)
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return fmt.Sprintf("%s %s\n%s", res.Proto, res.Status, body)
}
