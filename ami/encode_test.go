package ami

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

const marker = "s3cr3t-marker"

func TestAppendAction(t *testing.T) {
	got, id, err := appendAction(nil, NewAction("Originate").Add("Channel", "PJSIP/1001").Add("Variable", "A=1").Add("Variable", "B=2"), "p-1")
	if err != nil || id != "p-1" {
		t.Fatalf("err=%v id=%q", err, id)
	}
	want := "Action: Originate\r\nActionID: p-1\r\nChannel: PJSIP/1001\r\nVariable: A=1\r\nVariable: B=2\r\n\r\n"
	if string(got) != want {
		t.Errorf("got %q\nwant %q", got, want)
	}

	m := NewAction("Ping").Add("ActionID", "mine")
	before := m.String()
	got, id, err = appendAction(nil, m, "")
	if err != nil || id != "mine" || string(got) != "Action: Ping\r\nActionID: mine\r\n\r\n" {
		t.Errorf("caller ActionID: %q %q %v", got, id, err)
	}
	if m.String() != before {
		t.Errorf("appendAction modified the message")
	}
}

func TestValidate(t *testing.T) {
	pad := func(n int) string { return strings.Repeat("v", n) }
	many := func(n int) *Message {
		m := NewAction("UserEvent")
		for i := 1; i < n; i++ {
			m.Add(fmt.Sprintf("H%d", i), "x")
		}
		return m
	}
	tests := []struct {
		name string
		msg  *Message
		want error
	}{
		{"ok", NewAction("Ping"), nil},
		{"ok underscore and dash", NewAction("Setvar").Add("My_Var-1", "x"), nil},
		{"CR in value", NewAction("Setvar").Add("Value", marker+"\rAction: Command"), ErrInvalidField},
		{"LF in value", NewAction("Setvar").Add("Value", marker+"\nAction: Command"), ErrInvalidField},
		{"CRLF CRLF in value", NewAction("Setvar").Add("Value", marker+"\r\n\r\nAction: Command"), ErrInvalidField},
		{"NUL in value", NewAction("Setvar").Add("Value", marker+"\x00"), ErrInvalidField},
		{"LF in action name", NewAction("Ping\nAction: Command"), ErrInvalidField},
		{"empty name", NewAction("Ping").Add("", "x"), ErrInvalidField},
		{"space in name", NewAction("Ping").Add("A B", "x"), ErrInvalidField},
		{"colon in name", NewAction("Ping").Add("A:B", "x"), ErrInvalidField},
		{"LF in name", NewAction("Ping").Add("A\nAction", "x"), ErrInvalidField},
		{"non-ASCII name", NewAction("Ping").Add("Ä", "x"), ErrInvalidField},
		{"missing Action", NewMessage(Header{"Channel", "x"}), ErrInvalidField},
		{"empty Action", NewAction(" "), ErrInvalidField},
		{"two Actions", NewAction("Ping").Add("action", "Command"), ErrInvalidField},
		{"two ActionIDs", NewAction("Ping").Add("ActionID", "a").Add("ActionID", "b"), ErrInvalidField},
		{"empty ActionID", NewAction("Ping").Add("ActionID", ""), ErrInvalidField},
		{"line of 1024 bytes", NewAction("Setvar").Add("Value", pad(MaxLineLength-len("Value: \r\n"))), nil},
		{"line of 1025 bytes", NewAction("Setvar").Add("Value", pad(MaxLineLength-len("Value: \r\n")+1)), ErrTooLong},
		{"127 headers + ActionID", many(MaxHeaders - 1), nil},
		{"128 headers + ActionID", many(MaxHeaders), ErrTooLong},
		{"nil", nil, ErrInvalidField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.msg.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
			out, _, err2 := appendAction([]byte("prefix"), tt.msg, "id-1")
			if (err == nil) != (err2 == nil) {
				t.Fatalf("appendAction err %v, Validate err %v", err2, err)
			}
			if err != nil {
				if string(out) != "prefix" {
					t.Errorf("appendAction wrote %q on error", out)
				}
				if strings.Contains(err.Error(), marker) {
					t.Errorf("error quotes the value: %v", err)
				}
			}
		})
	}
}

func TestMessageAccessors(t *testing.T) {
	m := NewAction("Login").Add("Username", "u").Add("Secret", marker).Add("variable", "A=1").Add("Variable", "B=2")
	if m.Get("ACTION") != "Login" || m.Action() != "Login" || m.Get("nope") != "" {
		t.Error("Get is not case-insensitive")
	}
	if got := m.Values("VARIABLE"); !reflect.DeepEqual(got, []string{"A=1", "B=2"}) {
		t.Errorf("Values = %q", got)
	}
	if strings.Contains(m.String(), marker) {
		t.Error("String shows the secret")
	}
	c := m.Clone().Set("variable", "C=3").Del("Username")
	if got := c.Values("Variable"); !reflect.DeepEqual(got, []string{"C=3"}) || c.Get("Username") != "" {
		t.Errorf("Set/Del: %q", c.Headers())
	}
	if m.Get("Username") != "u" || len(m.Values("Variable")) != 2 {
		t.Error("Clone shares state")
	}
	n := 0
	for k, v := range m.All() {
		if k == "" || v == "" {
			t.Error("empty header")
		}
		n++
	}
	if n != m.Len() {
		t.Errorf("All yielded %d of %d", n, m.Len())
	}
	var nilMsg *Message
	if nilMsg.Get("x") != "" || nilMsg.Len() != 0 || nilMsg.Values("x") != nil {
		t.Error("nil message")
	}
}

// FuzzEncode checks that an action is either refused with nothing written,
// or written so that Asterisk sees exactly the headers given: no injected
// header or action, no line over MaxLineLength, at most MaxHeaders headers.
func FuzzEncode(f *testing.F) {
	f.Add("Originate", "Channel", "PJSIP/1001", "Variable", "A=1")
	f.Add("Setvar", "Value", "x\r\nAction: Command\r\nCommand: core stop now\r\n\r\n", "K", "v")
	f.Add("Ping", "A B", "x", "", "")
	f.Add("Ping", "ActionID", "", "ActionID", "x")
	f.Add("Ping\n", "K", "\x00", "K_2", strings.Repeat("y", 1100))
	f.Fuzz(func(t *testing.T, action, k1, v1, k2, v2 string) {
		m := NewAction(action).Add(k1, v1).Add(k2, v2)
		out, id, err := appendAction(nil, m, "fz-1")
		if err != nil {
			if len(out) != 0 {
				t.Fatalf("wrote %q with error %v", out, err)
			}
			if !errors.Is(err, ErrInvalidField) && !errors.Is(err, ErrTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		// What Asterisk sees: lines end at LF (a CR before it is dropped), an
		// empty line ends the action.
		if !bytes.HasSuffix(out, []byte("\r\n\r\n")) || bytes.Count(out, []byte("\n\r\n")) != 1 {
			t.Fatalf("not exactly one action: %q", out)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\r\n\r\n"), "\r\n")
		if len(lines) > MaxHeaders {
			t.Fatalf("%d headers", len(lines))
		}
		for _, l := range lines {
			if len(l)+2 > MaxLineLength || strings.ContainsAny(l, "\r\n\x00") {
				t.Fatalf("bad line %q", l)
			}
		}
		r := newFrameReader(bufio.NewReader(bytes.NewReader(out)), 1<<20, 1000)
		got, ovf, rerr := r.next()
		if rerr != nil || ovf != nil {
			t.Fatalf("read back: %v %v", rerr, ovf)
		}
		want := m.Headers()
		if _, ok := m.Lookup("ActionID"); !ok {
			want = append([]Header{want[0], {"ActionID", id}}, want[1:]...)
		}
		// The reader drops the spaces that start a value, as Asterisk does.
		for i := range want {
			want[i].Value = strings.TrimLeft(want[i].Value, " \t")
		}
		if !reflect.DeepEqual(got.headers, want) {
			t.Fatalf("round trip:\n got %q\nwant %q", got.headers, want)
		}
	})
}
