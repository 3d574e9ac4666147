package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/mock"
	"github.com/pbxkit/pbxkit/pbx"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers (the log handler)
// and readers (the test).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServer is pbxd over a fresh demo PBX, served by httptest.
type testServer struct {
	*httptest.Server
	srv    *server
	client *pbx.Client
	pbx    *mock.PBX
	logs   *syncBuffer
}

// newTestServer starts pbxd on mock://demo with the given extra flags (and
// environment, for the Discord secret). The rate limit is off unless the
// flags set it.
func newTestServer(t *testing.T, flags []string, env map[string]string) *testServer {
	t.Helper()
	args := append([]string{"--rate=0", "--heartbeat=200ms"}, flags...)
	cfg, err := parseConfig(args, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatalf("parseConfig(%q): %v", args, err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	url := cfg.pbxURL
	if url == defaultURL {
		url = "mock://demo"
	}
	client, err := pbx.DefaultURLMux().Open(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	var p *mock.PBX
	if !client.As(&p) {
		t.Fatal("not a mock PBX")
	}
	tokens, err := openTokenStore(cfg.tokens, true, log)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(cfg, client, tokens, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.handler)
	t.Cleanup(func() {
		s.events.close() // ends event streams, which would hold ts.Close
		ts.Close()
		s.events.wait()
		client.Close()
	})
	return &testServer{Server: ts, srv: s, client: client, pbx: p, logs: logs}
}

// response is what one request got.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request with the demo token (token "" sends none).
func (ts *testServer) do(t *testing.T, method, path, token string, body any) response {
	t.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		r, ctype = strings.NewReader(b), "application/json"
	case []byte:
		r, ctype = bytes.NewReader(b), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return ts.send(t, req)
}

func (ts *testServer) send(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL.Path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// json decodes the body into v, failing the test if it is not JSON.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("body is not JSON (%v): %s", err, r.body)
	}
}

// errorCode returns the error code of a JSON error body.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	var e errorBody
	r.json(t, &e)
	return e.Error.Code
}

// messageID returns the ID of the first message in a mailbox's folder.
func (ts *testServer) messageID(t *testing.T, box pbx.MailboxID, folder pbx.Folder) pbx.MessageID {
	t.Helper()
	msgs, err := ts.client.Voicemail().Messages(t.Context(), box, &pbx.MessageFilter{Folder: folder})
	if err != nil || len(msgs) == 0 {
		t.Fatalf("no message in %s/%s: %v", box, folder, err)
	}
	return msgs[0].ID
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), d)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func partyOf(name, number string) pbx.Party { return pbx.Party{Name: name, Number: number} }
