package ami

import (
	"bufio"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func readAll(t testing.TB, wire string, maxSize, maxHeaders int) (msgs []*Message, ovfs []*overflowError, err error) {
	t.Helper()
	r := newFrameReader(bufio.NewReaderSize(strings.NewReader(wire), 16), maxSize, maxHeaders)
	for {
		m, o, err := r.next()
		if err != nil {
			return msgs, ovfs, err
		}
		if o != nil {
			ovfs = append(ovfs, o)
			continue
		}
		msgs = append(msgs, m)
	}
}

func hdrs(kv ...string) []Header {
	var out []Header
	for i := 0; i < len(kv); i += 2 {
		out = append(out, Header{kv[i], kv[i+1]})
	}
	return out
}

func TestFrameReader(t *testing.T) {
	tests := []struct {
		name string
		wire string
		want [][]Header
	}{
		{
			name: "simple",
			wire: "Response: Success\r\nActionID: 1\r\nMessage: Authentication accepted\r\n\r\n",
			want: [][]Header{hdrs("Response", "Success", "ActionID", "1", "Message", "Authentication accepted")},
		},
		{
			name: "stray empty lines between messages",
			wire: "\r\n\r\nEvent: A\r\nPrivilege: call,all\r\n\r\n\r\n\n\r\nEvent: B\r\n\r\n",
			want: [][]Header{hdrs("Event", "A", "Privilege", "call,all"), hdrs("Event", "B")},
		},
		{
			name: "bare LF before CRLF (PJSIPShowContacts)",
			wire: "Response: Error\r\nActionID: 7\r\nMessage: No Contacts found\n\r\n\r\nResponse: Success\r\nActionID: 8\r\n\r\n",
			want: [][]Header{
				hdrs("Response", "Error", "ActionID", "7", "Message", "No Contacts found"),
				hdrs("Response", "Success", "ActionID", "8"),
			},
		},
		{
			name: "bare LF before CRLF in the middle",
			wire: "Response: Error\r\nMessage: Unable to retrieve endpoint\n\r\nActionID: 9\r\n\r\n",
			want: [][]Header{hdrs("Response", "Error", "Message", "Unable to retrieve endpoint", "ActionID", "9")},
		},
		{
			name: "value containing LF",
			wire: "Event: UserEvent\r\nBody: line one\nline two\r\nX: y\r\n\r\n",
			want: [][]Header{hdrs("Event", "UserEvent", "Body", "line one\nline two", "X", "y")},
		},
		{
			name: "bare LF lines",
			wire: "Event: A\nK: v\n\nEvent: B\n\n",
			want: [][]Header{hdrs("Event", "A", "K", "v"), hdrs("Event", "B")},
		},
		{
			name: "ActionID last, repeated keys, odd names",
			wire: "Event: QueueMember\r\nQueue: q1\r\nVariable: A=1\r\nVariable: B=2\r\nChanVariable(PJSIP/1-0001): X=y\r\nmy_header: z\r\nActionID: 42\r\n\r\n",
			want: [][]Header{hdrs("Event", "QueueMember", "Queue", "q1", "Variable", "A=1", "Variable", "B=2", "ChanVariable(PJSIP/1-0001)", "X=y", "my_header", "z", "ActionID", "42")},
		},
		{
			name: "empty values and colons in values",
			wire: "Response: Success\r\nOutput: \r\nOutput:\r\nTime: 12:30:00\r\nKey:  spaced\r\n\r\n",
			want: [][]Header{hdrs("Response", "Success", "Output", "", "Output", "", "Time", "12:30:00", "Key", "spaced")},
		},
		{
			name: "line that is not a header",
			wire: "Event: X\r\nnot a header line\r\n\r\n",
			want: [][]Header{hdrs("Event", "X", "", "not a header line")},
		},
		{
			name: "Command Follows body",
			wire: "Response: Follows\r\nPrivilege: Command\r\nActionID: 5\r\nChannel  Location  State\nUptime: 5 seconds\n\n0 active channels\n--END COMMAND--\r\n\r\nEvent: Next\r\n\r\n",
			want: [][]Header{
				hdrs("Response", "Follows", "Privilege", "Command", "ActionID", "5",
					"Output", "Channel  Location  State", "Output", "Uptime: 5 seconds", "Output", "", "Output", "0 active channels"),
				hdrs("Event", "Next"),
			},
		},
		{
			name: "Command Follows, END COMMAND glued to the last line",
			wire: "Response: Follows\r\nActionID: 6\r\nlast line--END COMMAND--\r\n\r\n",
			want: [][]Header{hdrs("Response", "Follows", "ActionID", "6", "Output", "last line")},
		},
		{
			name: "Command Follows, empty output",
			wire: "Response: Follows\r\nPrivilege: Command\r\nActionID: 6\r\n--END COMMAND--\r\n\r\n",
			want: [][]Header{hdrs("Response", "Follows", "Privilege", "Command", "ActionID", "6")},
		},
		{
			name: "OriginateResponse",
			wire: "Event: OriginateResponse\r\nPrivilege: call,all\r\nActionID: c2c\r\nResponse: Failure\r\nChannel: PJSIP/nobody\r\nReason: 0\r\nUniqueid: <unknown>\r\n\r\n",
			want: [][]Header{hdrs("Event", "OriginateResponse", "Privilege", "call,all", "ActionID", "c2c", "Response", "Failure", "Channel", "PJSIP/nobody", "Reason", "0", "Uniqueid", "<unknown>")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, ovfs, err := readAll(t, tt.wire, 1<<20, 1000)
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if len(ovfs) != 0 {
				t.Fatalf("unexpected overflow %v", ovfs)
			}
			var got [][]Header
			for _, m := range msgs {
				got = append(got, m.headers)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestFrameReaderLimits(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name       string
		wire       string
		maxSize    int
		maxHeaders int
		wantID     string
		wantLimit  string
	}{
		{"too many headers", "Response: Success\r\nActionID: a1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", 1000, 3, "a1", "3 headers"},
		{"long value", "Response: Success\r\nActionID: a2\r\nV: " + long + "\r\n\r\n", 100, 100, "a2", "100 bytes"},
		{"long line beyond the read buffer", "Event: X\r\nActionID: a3\r\nV: " + long + long + long + "\r\nW: 1\r\n\r\n", 200, 100, "a3", "200 bytes"},
		{"ActionID after the overflow", "Event: X\r\nV: " + long + "\r\nActionID: a4\r\n\r\n", 100, 100, "a4", "100 bytes"},
		{"Follows body", "Response: Follows\r\nActionID: a5\r\n1\n2\n3\n4\n--END COMMAND--\r\n\r\n", 1000, 4, "a5", "4 headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs, ovfs, err := readAll(t, tt.wire+"Event: After\r\n\r\n", tt.maxSize, tt.maxHeaders)
			if err != io.EOF {
				t.Fatalf("err = %v", err)
			}
			if len(ovfs) != 1 || ovfs[0].actionID != tt.wantID || ovfs[0].limit != tt.wantLimit {
				t.Fatalf("overflows = %+v", ovfs)
			}
			if !errors.Is(ovfs[0], ErrTooLong) {
				t.Errorf("overflow does not match ErrTooLong")
			}
			if len(msgs) != 1 || msgs[0].Event() != "After" {
				t.Fatalf("the stream did not recover: %v", msgs)
			}
		})
	}
}

func TestFrameReaderEOF(t *testing.T) {
	msgs, _, err := readAll(t, "Event: A\r\n\r\nEvent: B\r\nX: half", 1000, 100)
	if err != io.EOF || len(msgs) != 1 {
		t.Fatalf("msgs=%d err=%v", len(msgs), err)
	}
}

func TestReadBanner(t *testing.T) {
	tests := []struct {
		wire    string
		want    string
		wantErr error
	}{
		{"Asterisk Call Manager/5.0.4\r\nResponse: Success\r\n\r\n", "Asterisk Call Manager/5.0.4", nil},
		{"\r\nAsterisk Call Manager/2.10.3\r\n", "Asterisk Call Manager/2.10.3", nil},
		{"SSH-2.0-OpenSSH_9.2\r\n", "", ErrProtocol},
		{"", "", io.EOF},
	}
	for _, tt := range tests {
		r := newFrameReader(bufio.NewReader(strings.NewReader(tt.wire)), 1000, 100)
		got, err := r.readBanner()
		if got != tt.want || !errors.Is(err, tt.wantErr) {
			t.Errorf("readBanner(%q) = %q, %v", tt.wire, got, err)
		}
	}
}

// FuzzFrameReader checks that the reader never panics, never returns a
// message beyond its limits and always makes progress.
func FuzzFrameReader(f *testing.F) {
	for _, s := range []string{
		"Response: Success\r\nActionID: 1\r\n\r\n",
		"\r\n\nEvent: A\r\nPrivilege: call,all\r\n\r\n",
		"Response: Error\r\nMessage: No Contacts found\n\r\n\r\n",
		"Response: Follows\r\nPrivilege: Command\r\nx\n\n--END COMMAND--\r\n\r\n",
		"Event: X\nV: a\nb\r\n\n",
		"K:\r\n:\r\n::\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	const maxSize, maxHeaders = 256, 8
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newFrameReader(bufio.NewReaderSize(strings.NewReader(string(data)), 16), maxSize, maxHeaders)
		for i := 0; ; i++ {
			if i > len(data)+1 {
				t.Fatalf("more messages than bytes")
			}
			m, o, err := r.next()
			if err != nil {
				return
			}
			if o != nil {
				continue
			}
			if m.Len() == 0 || m.Len() > maxHeaders {
				t.Fatalf("message with %d headers", m.Len())
			}
			n := 0
			for _, h := range m.headers {
				n += len(h.Key) + len(h.Value)
				if strings.Contains(h.Key, "\n") {
					t.Fatalf("key with LF: %q", h.Key)
				}
			}
			if n > maxSize+len("Output")*maxHeaders {
				t.Fatalf("message of %d bytes", n)
			}
		}
	})
}
