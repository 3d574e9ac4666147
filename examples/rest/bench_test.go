package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// Benchmarks report figures; no test asserts on timing. The figures of
// README.md ("Load figures") come from wrk and internal/ssebench against a
// running pbxd; these measure the in-process parts alone.

// BenchmarkGetCalls measures GET /extensions/me/calls through the whole
// handler chain (logging, auth, rate limit off, PBX read, JSON), without a
// network.
func BenchmarkGetCalls(b *testing.B) {
	ts := newBenchServer(b)
	req := httptest.NewRequest("GET", "/extensions/me/calls", nil)
	req.Header.Set("Authorization", "Bearer "+tokenfile.DemoToken)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		ts.handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkBrokerDispatch1000 measures fanning one event out to 1,000
// streams of the same extension: encoding once, queueing 1,000 times.
func BenchmarkBrokerDispatch1000(b *testing.B) {
	s := newBenchServer(b)
	const n = 1000
	streams := make([]*stream, n)
	for i := range streams {
		st, ok := s.events.add("1010", "1010")
		if !ok {
			b.Fatal("add failed")
		}
		streams[i] = st
	}
	e := &pbx.DNDChanged{Extension: "1010", Enabled: true}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.events.dispatch(e)
		for _, st := range streams {
			<-st.ch
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/delivery")
}

// newBenchServer is newTestServer for benchmarks.
func newBenchServer(b *testing.B) *server {
	cfg, err := parseConfig([]string{"--rate=0", "--log-level=error"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	client, err := pbx.DefaultURLMux().Open(b.Context(), "mock://demo", nil)
	if err != nil {
		b.Fatal(err)
	}
	tokens, _ := openTokenStore("", true, discard)
	s, err := newServer(cfg, client, tokens, discard)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		s.events.close()
		s.events.wait()
		client.Close()
	})
	return s
}
