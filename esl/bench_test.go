package esl

import (
	"bufio"
	"bytes"
	"context"
	"net/textproto"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/esl/esltest"
	"github.com/percipia/eslgo"
)

// replayStream is a realistic event stream: one cycle of
// esltest.SampleEvents (call lifecycles between two phones with the real
// header sets of FreeSWITCH 1.10, plus the small API and RE_SCHEDULE events
// of a monitored switch; about 2.5 KB per event), and the offset just past
// each event.
type replayStream struct {
	data []byte
	ends []int
}

const streamEvents = 1000

var (
	streamOnce sync.Once
	stream     replayStream
)

func loadStream(tb testing.TB) replayStream {
	streamOnce.Do(func() {
		data, err := esltest.SampleEvents(streamEvents, "plain", 1)
		if err != nil {
			tb.Fatal(err)
		}
		stream.data = data
		rd := newFrameReader(bufio.NewReader(bytes.NewReader(data)), 1<<20)
		off := 0
		for range streamEvents {
			f, err := rd.next()
			if err != nil {
				tb.Fatal(err)
			}
			off += len("Content-Length: \nContent-Type: text/event-plain\n\n") + len(strconv.Itoa(f.length)) + f.length
			stream.ends = append(stream.ends, off)
		}
		if off != len(data) {
			tb.Fatalf("stream offsets: %d != %d", off, len(data))
		}
	})
	return stream
}

// replay writes n events of the stream (cycling) to every connection of
// srv.
func (s replayStream) replay(srv *esltest.Server, n int) {
	for ; n >= streamEvents; n -= streamEvents {
		srv.WriteRaw(s.data)
	}
	if n > 0 {
		srv.WriteRaw(s.data[:s.ends[n-1]])
	}
}

// seqTracker counts events received out of Event-Sequence order (each
// cycle of the stream restarts the sequence, which is not counted).
type seqTracker struct {
	mu       sync.Mutex
	last     uint64
	reorders int
}

func (s *seqTracker) see(seq uint64) {
	s.mu.Lock()
	if seq < s.last && s.last-seq < streamEvents/2 {
		s.reorders++
	}
	s.last = seq
	s.mu.Unlock()
}

// BenchmarkEvents measures the whole event path over loopback TCP: the
// esltest server writes a realistic FreeSWITCH event stream as fast as it
// can, and the client parses and delivers every event to user code, which
// counts them. One op is one event. "esl" is this package's read loop with
// one Subscription; "eslgo" is github.com/percipia/eslgo v1.5.1's own
// connection with an EventListenAll listener (called in a goroutine per
// event), on the same stream in the same run. reordered% is the share of
// events user code saw out of wire order.
//
//	go test -run XXX -bench Events -benchmem -cpu 1 ./esl/
func BenchmarkEvents(b *testing.B) {
	st := loadStream(b)
	b.Run("esl", func(b *testing.B) {
		srv, err := esltest.Start(nil)
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		c, err := Dial(context.Background(), srv.Addr(), &Options{Password: srv.Password(), Events: []string{"ALL"}, PingInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		sub := c.Subscribe(1 << 16)
		defer sub.Close()
		if ev, err := sub.Next(context.Background()); err != nil || ev.State != StateConnected {
			b.Fatal(ev, err)
		}
		var tr seqTracker
		b.ReportAllocs()
		b.SetBytes(int64(len(st.data) / streamEvents))
		b.ResetTimer()
		go st.replay(srv, b.N)
		ctx := context.Background()
		var lost uint64
		for got := 0; got+int(lost) < b.N; {
			ev, err := sub.Next(ctx)
			if err != nil {
				b.Fatal(err)
			}
			lost += ev.Dropped
			if ev.State == StateNone {
				tr.see(ev.Seq)
				got++
			}
		}
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(100*float64(tr.reorders)/float64(b.N), "reordered%")
		b.ReportMetric(float64(lost), "lost")
	})
	b.Run("eslgo", func(b *testing.B) {
		srv, err := esltest.Start(nil)
		if err != nil {
			b.Fatal(err)
		}
		defer srv.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		opts := eslgo.InboundOptions{
			Options:     eslgo.Options{Context: ctx, Logger: eslgo.NilLogger{}, ExitTimeout: time.Second},
			Network:     "tcp",
			Password:    srv.Password(),
			AuthTimeout: 5 * time.Second,
		}
		conn, err := opts.Dial(srv.Addr())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.ExitAndClose()
		if err := conn.EnableEvents(ctx); err != nil {
			b.Fatal(err)
		}
		if !srv.WaitListening(1, 5*time.Second) {
			b.Fatal("eslgo did not subscribe")
		}
		var tr seqTracker
		var n atomic.Int64
		var target atomic.Int64
		done := make(chan struct{}, 1)
		conn.RegisterEventListener(eslgo.EventListenAll, func(ev *eslgo.Event) {
			seq, _ := strconv.ParseUint(ev.GetHeader("Event-Sequence"), 10, 64)
			tr.see(seq)
			if n.Add(1) == target.Load() {
				done <- struct{}{}
			}
		})
		target.Store(int64(b.N))
		b.ReportAllocs()
		b.SetBytes(int64(len(st.data) / streamEvents))
		b.ResetTimer()
		go st.replay(srv, b.N)
		<-done
		b.StopTimer()
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(100*float64(tr.reorders)/float64(b.N), "reordered%")
		b.ReportMetric(0, "lost")
	})
}

// BenchmarkParsePlain compares the parsing of one text/event-plain body
// (about 3.5 KB, a CHANNEL_BRIDGE with its channel variables): this
// package's in-place parser against eslgo's method (net/textproto's
// ReadMIMEHeader, then url.PathUnescape of each value read), which the
// notes found dominating eslgo's profile.
//
//	go test -run XXX -bench ParsePlain -benchmem -cpu 1 ./esl/
func BenchmarkParsePlain(b *testing.B) {
	st := loadStream(b)
	var body []byte
	rd := newFrameReader(bufio.NewReader(bytes.NewReader(st.data)), 1<<20)
	for {
		f, err := rd.next()
		if err != nil {
			b.Fatal(err)
		}
		if bytes.Contains(f.body, []byte("Event-Name: CHANNEL_BRIDGE")) {
			body = append([]byte(nil), f.body...)
			break
		}
	}
	b.Run("esl", func(b *testing.B) {
		buf := make([]byte, len(body))
		var spans []hspan
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			copy(buf, body)
			ev, err := parsePlainInto(buf, &spans)
			if err != nil || ev.Name() != "CHANNEL_BRIDGE" {
				b.Fatal(err)
			}
		}
	})
	b.Run("textproto", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(body))).ReadMIMEHeader()
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for _, vs := range h {
				for _, v := range vs {
					d, _ := url.PathUnescape(v)
					n += len(d)
				}
			}
			if h.Get("Event-Name") != "CHANNEL_BRIDGE" {
				b.Fatal("name")
			}
		}
	})
}
