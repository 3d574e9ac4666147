package asterisktest

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// amiConn is a tiny raw AMI client for these tests, so that they depend on
// no other package of the repository.
type amiConn struct {
	t      testing.TB
	c      net.Conn
	r      *bufio.Reader
	banner string
	seq    int
}

type amiMsg map[string]string

func (m amiMsg) String() string {
	var b strings.Builder
	for k, v := range m {
		fmt.Fprintf(&b, "%s: %s; ", k, v)
	}
	return b.String()
}

// dialAMI connects, reads the banner and logs in with events on.
func dialAMI(t testing.TB, s *Server) *amiConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", s.AMIAddr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial AMI: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	a := &amiConn{t: t, c: c, r: bufio.NewReader(c)}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := a.r.ReadString('\n')
	if err != nil {
		t.Fatalf("read AMI banner: %v", err)
	}
	a.banner = strings.TrimRight(line, "\r\n")
	res := a.action("Login", "Username", s.AMIUser, "Secret", s.AMISecret)
	if res["Response"] != "Success" {
		t.Fatalf("AMI login: %v", res)
	}
	return a
}

// send writes one action and returns its ActionID.
func (a *amiConn) send(action string, kv ...string) string {
	a.t.Helper()
	a.seq++
	id := fmt.Sprintf("t-%d", a.seq)
	var b strings.Builder
	fmt.Fprintf(&b, "Action: %s\r\nActionID: %s\r\n", action, id)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", kv[i], kv[i+1])
	}
	b.WriteString("\r\n")
	if _, err := a.c.Write([]byte(b.String())); err != nil {
		a.t.Fatalf("AMI write: %v", err)
	}
	return id
}

// read returns the next message, or nil at the deadline.
func (a *amiConn) read(deadline time.Time) amiMsg {
	a.t.Helper()
	_ = a.c.SetReadDeadline(deadline)
	m := amiMsg{}
	for {
		line, err := a.r.ReadString('\n')
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return nil
			}
			a.t.Fatalf("AMI read: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			if len(m) == 0 {
				continue
			}
			return m
		}
		k, v, _ := strings.Cut(line, ":")
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		if old, ok := m[k]; ok && k == "Output" {
			v = old + "\n" + v
		}
		m[k] = v
	}
}

// action sends an action and returns its response (a message with this
// ActionID and a Response header but no Event header).
func (a *amiConn) action(action string, kv ...string) amiMsg {
	a.t.Helper()
	id := a.send(action, kv...)
	return a.until(10*time.Second, func(m amiMsg) bool {
		return m["ActionID"] == id && m["Event"] == "" && m["Response"] != ""
	})
}

// list sends a list action and returns its items up to the Complete event.
func (a *amiConn) list(action string, kv ...string) (amiMsg, []amiMsg) {
	a.t.Helper()
	id := a.send(action, kv...)
	var res amiMsg
	var items []amiMsg
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := a.read(deadline)
		if m == nil {
			a.t.Fatalf("AMI %s: no complete list before the deadline", action)
		}
		if m["ActionID"] != id {
			continue
		}
		switch {
		case m["Event"] == "" && m["Response"] != "":
			res = m
			if m["Response"] != "Success" {
				return res, nil
			}
		case m["EventList"] == "Complete":
			return res, items
		case m["Event"] != "":
			items = append(items, m)
		}
	}
}

// until reads messages until one satisfies ok, failing the test after timeout.
func (a *amiConn) until(timeout time.Duration, ok func(amiMsg) bool) amiMsg {
	a.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m := a.read(deadline)
		if m == nil {
			a.t.Fatalf("AMI: no matching message within %v", timeout)
		}
		if ok(m) {
			return m
		}
	}
}
