package ami

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/staskobzar/goami2"
)

// replay is a loopback TCP server that greets, accepts any Login, then
// streams a given number of events cut from the stream recorded from a real
// Asterisk 16.28 (transcriptPath, repeated as needed), byte for byte as
// recorded: CRLF lines, Privilege second, the stray blank lines that
// Asterisk sends after some events.
type replay struct {
	ln   net.Listener
	data []byte
	ends []int // offset just past each event in data
	wg   sync.WaitGroup
	// n and start are set per connection by the benchmark.
	n     chan int
	start chan struct{}
}

func newReplay(tb testing.TB) *replay {
	tb.Helper()
	data, err := os.ReadFile(transcriptPath)
	if err != nil {
		tb.Fatal(err)
	}
	r := &replay{data: data, ends: eventEnds(data), n: make(chan int, 1), start: make(chan struct{}, 1)}
	r.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	r.wg.Add(1)
	go r.serve()
	tb.Cleanup(func() { _ = r.ln.Close(); r.wg.Wait() })
	return r
}

func (r *replay) serve() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			defer c.Close()
			_, _ = io.WriteString(c, "Asterisk Call Manager/5.0.4\r\n")
			br := bufio.NewReader(c)
			id := ""
			for { // the Login
				line, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if v, ok := strings.CutPrefix(line, "ActionID: "); ok {
					id = strings.TrimSpace(v)
				}
				if line == "\r\n" {
					break
				}
			}
			_, _ = io.WriteString(c, "Response: Success\r\nActionID: "+id+"\r\nMessage: Authentication accepted\r\n\r\n")
			n := <-r.n
			<-r.start
			for ; n >= len(r.ends); n -= len(r.ends) {
				if _, err := c.Write(r.data); err != nil {
					return
				}
			}
			if n > 0 {
				if _, err := c.Write(r.data[:r.ends[n-1]]); err != nil {
					return
				}
			}
			_, _ = io.Copy(io.Discard, c) // until the client leaves
		}()
	}
}

// BenchmarkConnEvents measures the whole pipeline: Conn's read loop,
// parsing, dispatch and one Subscription consumed by another goroutine.
// One op is one event. It fails if an event is lost: on one processor the
// default queue of 1024 is enough (the reader yields when it fills); with
// several the reader can outrun the consumer for longer, so the queue then
// holds 64Ki events (which costs some 15% on one processor: cache misses).
func BenchmarkConnEvents(b *testing.B) {
	r := newReplay(b)
	ctx := context.Background()
	c, err := Dial(ctx, r.ln.Addr().String(), &Options{Events: true, PingInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	size := 0 // Options.EventBuffer
	if runtime.GOMAXPROCS(0) > 1 {
		size = 1 << 16
	}
	sub := c.Subscribe(size)
	defer sub.Close()
	if ev, err := sub.Next(ctx); err != nil || ev.State != StateConnected {
		b.Fatal(ev, err)
	}
	r.n <- b.N
	b.SetBytes(int64(len(r.data) / len(r.ends)))
	b.ReportAllocs()
	b.ResetTimer()
	r.start <- struct{}{}
	got := 0
	for got+int(sub.Dropped()) < b.N {
		ev, err := sub.Next(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if ev.Message == nil {
			b.Fatalf("unexpected item %+v", ev)
		}
		got++
	}
	b.StopTimer()
	b.ReportMetric(float64(got)/b.Elapsed().Seconds(), "events/s")
	if sub.Dropped() != 0 || got != b.N {
		b.Fatalf("%d of %d events received, %d dropped", got, b.N, sub.Dropped())
	}
}

// BenchmarkGoami2Raw is the baseline: goami2's own framing loop (its
// consume: bufio ReadString and a strings.Builder until a blank line) and
// goami2.Parse, over the same loopback stream, no dispatch. The bufio buffer
// is 64 KiB, as Conn's (goami2 itself uses 4 KiB).
func BenchmarkGoami2Raw(b *testing.B) {
	benchGoami2(b, readBufferSize)
}

// BenchmarkGoami2Raw4K is the same with goami2's 4 KiB buffer.
func BenchmarkGoami2Raw4K(b *testing.B) {
	benchGoami2(b, 4096)
}

func benchGoami2(b *testing.B, bufSize int) {
	r := newReplay(b)
	c, err := net.Dial("tcp", r.ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "Action: Login\r\nActionID: 1\r\n\r\n"); err != nil {
		b.Fatal(err)
	}
	reader := bufio.NewReaderSize(c, bufSize)
	if _, err := reader.ReadString('\n'); err != nil { // the greeting, as goami2's login reads it
		b.Fatal(err)
	}
	buf := &strings.Builder{}
	r.n <- b.N
	b.SetBytes(int64(len(r.data) / len(r.ends)))
	b.ReportAllocs()
	b.ResetTimer()
	r.start <- struct{}{}
	got := 0
	for got < b.N {
		line, err := reader.ReadString('\n')
		if err != nil {
			b.Fatal(err)
		}
		buf.WriteString(line)
		if line != "\r\n" {
			continue
		}
		msg, err := goami2.Parse(buf.String())
		buf.Reset()
		if err != nil {
			b.Fatal(err)
		}
		if msg.IsEvent() {
			got++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkFrameReaderLoopback is Conn's reader alone (framing and parsing,
// no dispatch) over the same loopback stream.
func BenchmarkFrameReaderLoopback(b *testing.B) {
	r := newReplay(b)
	c, err := net.Dial("tcp", r.ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "Action: Login\r\nActionID: 1\r\n\r\n"); err != nil {
		b.Fatal(err)
	}
	rd := newFrameReader(bufio.NewReaderSize(c, readBufferSize), DefaultMaxMessageSize, DefaultMaxHeaders)
	if _, err := rd.readBanner(); err != nil {
		b.Fatal(err)
	}
	r.n <- b.N
	b.SetBytes(int64(len(r.data) / len(r.ends)))
	b.ReportAllocs()
	b.ResetTimer()
	r.start <- struct{}{}
	got := -1 // the Login response
	for got < b.N {
		if _, _, err := rd.next(); err != nil {
			b.Fatal(err)
		}
		got++
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// In-memory parser comparison on one recorded event (no network): the
// reader of this package against framing plus goami2.Parse.
func benchEvent(b *testing.B) []byte {
	data, err := os.ReadFile(transcriptPath)
	if err != nil {
		b.Fatal(err)
	}
	i := bytes.Index(data, []byte("Event: DialBegin"))
	j := bytes.Index(data[i:], []byte("\r\n\r\n"))
	return data[i : i+j+4]
}

func BenchmarkParseFrameReader(b *testing.B) {
	ev := benchEvent(b)
	src := bytes.NewReader(nil)
	br := bufio.NewReaderSize(src, readBufferSize)
	rd := newFrameReader(br, DefaultMaxMessageSize, DefaultMaxHeaders)
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(ev)
		br.Reset(src)
		if m, _, err := rd.next(); err != nil || m.Len() < 10 {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGoami2(b *testing.B) {
	ev := benchEvent(b)
	src := bytes.NewReader(nil)
	br := bufio.NewReaderSize(src, readBufferSize)
	var sb strings.Builder
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(ev)
		br.Reset(src)
		sb.Reset()
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				b.Fatal(err)
			}
			sb.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		if m, err := goami2.Parse(sb.String()); err != nil || m.Len() < 10 {
			b.Fatal(err)
		}
	}
}

// TestReplayNoLoss streams the transcript three times through a Conn with
// the default queue and a consumer, and checks that every event arrives, in
// order.
func TestReplayNoLoss(t *testing.T) {
	r := newReplay(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := Dial(ctx, r.ln.Addr().String(), &Options{Events: true, PingInterval: -1, EventBuffer: 1 << 14})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sub := c.Subscribe(0)
	defer sub.Close()
	n := 3 * len(r.ends)
	r.n <- n
	r.start <- struct{}{}
	want, _, _ := readAll(t, string(r.data), DefaultMaxMessageSize, DefaultMaxHeaders)
	for got := 0; got < n; {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Dropped != 0 {
			t.Fatalf("dropped %d", ev.Dropped)
		}
		if ev.Message == nil {
			continue
		}
		if w := want[got%len(want)]; ev.Message.String() != w.String() {
			t.Fatalf("event %d:\n%s\nwant\n%s", got, ev.Message, w)
		}
		got++
	}
}

// BenchmarkParseGoami2Only is goami2.Parse alone on an already framed
// string: the part of goami2 that Conn could have reused.
func BenchmarkParseGoami2Only(b *testing.B) {
	ev := string(benchEvent(b))
	b.SetBytes(int64(len(ev)))
	b.ReportAllocs()
	for b.Loop() {
		if m, err := goami2.Parse(ev); err != nil || m.Len() < 10 {
			b.Fatal(err)
		}
	}
}
