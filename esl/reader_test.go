package esl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// eventFrame wraps a plain event body in its outer framing.
func eventFrame(body string) string {
	return "Content-Length: " + strconv.Itoa(len(body)) + "\nContent-Type: text/event-plain\n\n" + body
}

// wire is a stream as FreeSWITCH sends it: an api/response, then two
// events in the same read, the second with an inner body, then a
// command/reply and a disconnect notice, with a stray blank line.
var wire = "Content-Type: api/response\nContent-Length: 6\n\n+OK 1\n" +
	eventFrame("Event-Name: CUSTOM\nEvent-Subclass: conference%3A%3Amaintenance\nEvent-Sequence: 41\nCaller-Caller-ID-Name: Extension%201000\nAction: add-member\n\n") +
	eventFrame("Event-Name: BACKGROUND_JOB\nEvent-Sequence: 42\nJob-UUID: 7f4d\nJob-Command: status\nContent-Length: 5\n\nUP 1\n") +
	"\n" +
	"Content-Type: command/reply\nReply-Text: +OK Job-UUID: 7f4d\nJob-UUID: 7f4d\n\n" +
	"Content-Type: text/disconnect-notice\nContent-Length: 67\n\nDisconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

func readAll(t *testing.T, r io.Reader, max int) ([]frame, []Event) {
	t.Helper()
	rd := newFrameReader(bufio.NewReaderSize(r, readBufferSize), max)
	var frames []frame
	var events []Event
	for {
		f, err := rd.next()
		if err == io.EOF {
			return frames, events
		}
		if err != nil {
			t.Fatalf("next: %v", err)
		}
		c := *f
		c.body = append([]byte(nil), f.body...)
		frames = append(frames, c)
		if f.kind == kindEventPlain {
			ev, err := parsePlain(f.body)
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, ev)
		}
	}
}

func TestFrameReaderSplitsByFramingOnly(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    io.Reader
	}{
		{"one read", strings.NewReader(wire)},
		{"one byte per read", iotest.OneByteReader(strings.NewReader(wire))},
		{"half reads", iotest.HalfReader(strings.NewReader(wire))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frames, events := readAll(t, tc.r, 1<<20)
			kinds := []kind{kindAPI, kindEventPlain, kindEventPlain, kindReply, kindDisconnect}
			if len(frames) != len(kinds) {
				t.Fatalf("got %d frames, want %d", len(frames), len(kinds))
			}
			for i, k := range kinds {
				if frames[i].kind != k {
					t.Errorf("frame %d: kind %d, want %d", i, frames[i].kind, k)
				}
			}
			if got := string(frames[0].body); got != "+OK 1\n" {
				t.Errorf("api body %q", got)
			}
			if frames[3].replyText != "+OK Job-UUID: 7f4d" || frames[3].jobUUID != "7f4d" {
				t.Errorf("reply %+v", frames[3])
			}
			if len(frames[4].body) != 67 {
				t.Errorf("disconnect body %d bytes", len(frames[4].body))
			}
			e := events[0]
			if e.Name() != "CUSTOM" || e.Subclass != "conference::maintenance" || e.Seq != 41 ||
				e.Get("caller-caller-id-name") != "Extension 1000" || e.Get("Action") != "add-member" {
				t.Errorf("event 0: %+v", e)
			}
			j := events[1]
			if j.Name() != "BACKGROUND_JOB" || j.Body != "UP 1\n" || j.Get("Job-UUID") != "7f4d" || j.Seq != 42 {
				t.Errorf("event 1: %+v", j)
			}
			if _, ok := j.Lookup("Content-Length"); ok {
				t.Error("inner Content-Length kept in Headers")
			}
		})
	}
}

func TestParsePlainDecoding(t *testing.T) {
	body := "Event-Name: CHANNEL_CREATE\nCaller-Caller-ID-Name: Caf%C3%A9%20%2B%20%25\nBad-Escape: 100%\nPartial: %4\nvariable_x: a%3Ab\nEmpty: _undef_\n\n"
	ev, err := parsePlain([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []Header{{"Event-Name", "CHANNEL_CREATE"}, {"Caller-Caller-ID-Name", "Café + %"},
		{"Bad-Escape", "100%"}, {"Partial", "%4"}, {"variable_x", "a:b"}, {"Empty", "_undef_"}}
	if len(ev.Headers) != len(want) {
		t.Fatalf("headers %+v", ev.Headers)
	}
	for i := range want {
		if ev.Headers[i] != want[i] {
			t.Errorf("header %d: %+v, want %+v", i, ev.Headers[i], want[i])
		}
	}
}

func TestParseJSON(t *testing.T) {
	body := `{"Event-Name":"BACKGROUND_JOB","Event-Sequence":"7","Job-UUID":"x","Multi":["a","b"],"Caller-Caller-ID-Name":"Ann \"Boss\" Café","Content-Length":"3","_body":"+OK"}`
	ev, err := parseJSON([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Name() != "BACKGROUND_JOB" || ev.Seq != 7 || ev.Body != "+OK" || ev.Get("Caller-Caller-ID-Name") != `Ann "Boss" Café` {
		t.Errorf("%+v", ev)
	}
	if v := ev.Values("Multi"); len(v) != 2 || v[1] != "b" {
		t.Errorf("array header %v", v)
	}
	for _, bad := range []string{"", "[]", `{"a":{"b":"c"}}`, `{"a":`} {
		if _, err := parseJSON([]byte(bad)); !errors.Is(err, ErrProtocol) {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestFrameReaderLimits(t *testing.T) {
	big := "Content-Length: 100\nContent-Type: text/event-plain\n\n" + strings.Repeat("x", 100) +
		"Content-Type: api/response\nContent-Length: 3\n\nok\n"
	rd := newFrameReader(bufio.NewReader(strings.NewReader(big)), 50)
	f, err := rd.next()
	if err != nil || !f.tooLong || f.length != 100 {
		t.Fatalf("oversized: %+v %v", f, err)
	}
	f, err = rd.next()
	if err != nil || f.kind != kindAPI || string(f.body) != "ok\n" {
		t.Fatalf("after oversized: %+v %v", f, err)
	}
	for _, bad := range []string{
		"Content-Length: -1\n\n",
		"Content-Length: x\n\n",
		"Content-Length: 99999999999999\n\n",
		"Content-Type: api/response\n" + strings.Repeat("X-Long: y\n", 10000) + "\n",
		"Content-Type: " + strings.Repeat("a", readBufferSize+10) + "\n\n",
	} {
		rd := newFrameReader(bufio.NewReaderSize(strings.NewReader(bad), readBufferSize), 50)
		if _, err := rd.next(); !errors.Is(err, ErrProtocol) {
			t.Errorf("%.40q: err %v, want ErrProtocol", bad, err)
		}
	}
	rd = newFrameReader(bufio.NewReader(strings.NewReader("Content-Length: 10\n\nshort")), 50)
	if _, err := rd.next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body: %v", err)
	}
}

// FuzzFrameReader feeds arbitrary bytes to the frame reader and the event
// parsers: they must never panic, and must honour the size cap.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte(wire))
	f.Add([]byte("Content-Length: 20\nContent-Type: text/event-json\n\n{\"Event-Name\":\"API\"}"))
	f.Add([]byte("Content-Length: 5\n\n%%%%%"))
	f.Add([]byte("\n\n\nContent-Type: auth/request\n\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 4096
		rd := newFrameReader(bufio.NewReaderSize(bytes.NewReader(data), readBufferSize), max)
		for range 1000 {
			fr, err := rd.next()
			if err != nil {
				return
			}
			if len(fr.body) > max {
				t.Fatalf("body of %d bytes over the cap", len(fr.body))
			}
			b := append([]byte(nil), fr.body...)
			if ev, err := parsePlain(b); err == nil {
				if want := referencePlain(string(fr.body)); !slices.Equal(ev.Headers, want) {
					t.Fatalf("parsePlain(%q) headers = %q, want %q", fr.body, ev.Headers, want)
				}
			}
			_, _ = parseJSON(fr.body)
		}
	})
}

// referencePlain is the plain parser's specification, written for clarity:
// lines up to the first empty one, "Name: value" with the value
// URL-decoded ('%' without two hex digits kept), the inner Content-Length
// left out.
func referencePlain(body string) []Header {
	var hs []Header
	for line := range strings.SplitSeq(body, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || name == "Content-Length" {
			continue
		}
		value = strings.TrimLeft(value, " ")
		var d strings.Builder
		for i := 0; i < len(value); i++ {
			if value[i] == '%' && i+2 < len(value) {
				if v, err := strconv.ParseUint(value[i+1:i+3], 16, 8); err == nil && value[i+1] != '+' && value[i+1] != '-' {
					d.WriteByte(byte(v))
					i += 2
					continue
				}
			}
			d.WriteByte(value[i])
		}
		hs = append(hs, Header{Name: name, Value: d.String()})
	}
	return hs
}
