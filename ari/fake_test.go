package ari_test

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// Credentials of the fake server.
const (
	fakeUser     = "pbxkit"
	fakePassword = "s3cret-Passw0rd"
)

// fakeInfo is GET /asterisk/info as Asterisk 16.28 answers it.
const fakeInfo = `{"build":{"os":"Linux","kernel":"unknown","machine":"unknown","options":"OPTIONAL_API, TEST_FRAMEWORK","date":"2024-01-04 17:58:50 UTC","user":"nobody"},"system":{"version":"16.28.0~dfsg-0+deb11u4","entity_id":"02:fc:00:00:00:01"},"config":{"name":"","default_language":"en","setid":{"user":"","group":""}},"status":{"startup_time":"2026-11-23T18:23:01.971+0000","last_reload_time":"2026-11-23T18:23:01.971+0000"}}`

// recorded is one request the fake server received.
type recorded struct {
	Method     string
	RequestURI string
	Header     http.Header
	Body       string
}

// fakeARI is a small ARI server for offline tests: basic authentication,
// /asterisk/info, the event websocket, and handlers that tests add.
type fakeARI struct {
	t   testing.TB
	srv *httptest.Server

	mu       sync.Mutex
	handlers map[string]http.HandlerFunc // "GET /ari/channels/x"
	requests []recorded
	conns    map[net.Conn]*sync.Mutex
	refuseWS int // status for websocket upgrades, 0 to accept
	refused  chan struct{}
	noPong   bool // ignore pings
	wsApps   []string

	wsUp chan struct{} // a value per accepted websocket
	wg   sync.WaitGroup
	down atomic.Bool
}

func newFakeARI(t testing.TB) *fakeARI {
	f := &fakeARI{
		t:        t,
		handlers: map[string]http.HandlerFunc{},
		conns:    map[net.Conn]*sync.Mutex{},
		wsUp:     make(chan struct{}, 100),
		refused:  make(chan struct{}, 100),
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

// URL is the ARI base URL.
func (f *fakeARI) URL() string { return f.srv.URL + "/ari" }

// Close drops the websockets and stops the server.
func (f *fakeARI) Close() {
	f.srv.Close()
	f.DropWebsockets()
	f.wg.Wait()
}

// Handle sets the handler of "METHOD /ari/path".
func (f *fakeARI) Handle(pattern string, h http.HandlerFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.handlers[pattern] = h
}

// Requests returns the requests received so far.
func (f *fakeARI) Requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

// SetRefuseWebsocket makes websocket upgrades fail with that status (0
// accepts them again).
func (f *fakeARI) SetRefuseWebsocket(status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refuseWS = status
}

// SetNoPong makes the server ignore pings.
func (f *fakeARI) SetNoPong(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noPong = v
}

// SetDown makes every request fail: the connection is closed unanswered.
func (f *fakeARI) SetDown(v bool) { f.down.Store(v) }

// WaitWebsocket waits for the next accepted websocket.
func (f *fakeARI) WaitWebsocket(t testing.TB) {
	t.Helper()
	select {
	case <-f.wsUp:
	case <-time.After(5 * time.Second):
		t.Fatal("fake: no websocket connection")
	}
}

// WaitRefused waits for the next refused websocket upgrade.
func (f *fakeARI) WaitRefused(t testing.TB) {
	t.Helper()
	select {
	case <-f.refused:
	case <-time.After(5 * time.Second):
		t.Fatal("fake: no refused websocket upgrade")
	}
}

// WebsocketQueries returns the query strings of the websocket upgrades.
func (f *fakeARI) WebsocketQueries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.wsApps...)
}

// Send writes one text message to every websocket.
func (f *fakeARI) Send(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c, mu := range f.conns {
		mu.Lock()
		_ = wsutil.WriteServerText(c, []byte(msg))
		mu.Unlock()
	}
}

// SendFrame writes a raw frame to every websocket.
func (f *fakeARI) SendFrame(fr ws.Frame) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c, mu := range f.conns {
		mu.Lock()
		_ = ws.WriteFrame(c, fr)
		mu.Unlock()
	}
}

// DropWebsockets closes every websocket's TCP connection, without a close
// frame, as a crashing server does.
func (f *fakeARI) DropWebsockets() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for c := range f.conns {
		_ = c.Close()
		delete(f.conns, c)
	}
}

func (f *fakeARI) authorized(r *http.Request) bool {
	u, p, ok := r.BasicAuth()
	return ok && u == fakeUser && p == fakePassword
}

func (f *fakeARI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests = append(f.requests, recorded{r.Method, r.RequestURI, r.Header.Clone(), string(body)})
	h := f.handlers[r.Method+" "+r.URL.EscapedPath()]
	refuse := f.refuseWS
	f.mu.Unlock()

	if f.down.Load() {
		hijackClose(w)
		return
	}
	if !f.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="Asterisk REST Interface"`)
		w.Header().Set("Content-type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"message":"Authentication required"}`)
		return
	}
	switch {
	case h != nil:
		h(w, r)
	case r.Method == http.MethodGet && r.URL.Path == "/ari/asterisk/info":
		writeJSON(w, http.StatusOK, fakeInfo)
	case r.URL.Path == "/ari/events":
		if refuse != 0 {
			writeJSON(w, refuse, `{"message":"refused by the test"}`)
			select {
			case f.refused <- struct{}{}:
			default:
			}
			return
		}
		f.upgrade(w, r)
	default:
		writeJSON(w, http.StatusNotFound, `{"message":"Resource not found"}`)
	}
}

func (f *fakeARI) upgrade(w http.ResponseWriter, r *http.Request) {
	conn, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	mu := &sync.Mutex{}
	f.mu.Lock()
	f.conns[conn] = mu
	f.wsApps = append(f.wsApps, r.URL.RawQuery)
	f.mu.Unlock()
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		defer func() {
			f.mu.Lock()
			delete(f.conns, conn)
			f.mu.Unlock()
			conn.Close()
		}()
		rd := wsutil.NewServerSideReader(conn)
		for {
			hdr, err := rd.NextFrame()
			if err != nil {
				return
			}
			payload, _ := io.ReadAll(rd)
			f.mu.Lock()
			noPong := f.noPong
			f.mu.Unlock()
			switch hdr.OpCode {
			case ws.OpPing:
				if !noPong {
					mu.Lock()
					_ = ws.WriteFrame(conn, ws.NewPongFrame(payload))
					mu.Unlock()
				}
			case ws.OpClose:
				mu.Lock()
				_ = ws.WriteFrame(conn, ws.NewCloseFrame(payload))
				mu.Unlock()
				return
			}
		}
	}()
	f.wsUp <- struct{}{}
}

// writeJSON writes a response as Asterisk does (Content-type, compact JSON).
func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-type", "application/json")
	if body == "" {
		w.WriteHeader(status)
		return
	}
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// rawResponse writes a whole HTTP response by hand, so that the status
// line can carry a custom reason phrase ("404 Variable Not Found").
func rawResponse(w http.ResponseWriter, statusLine, contentType, body string) {
	conn, bw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	fmt.Fprintf(bw, "HTTP/1.1 %s\r\nServer: Asterisk/16.28.0~dfsg-0+deb11u4\r\n", statusLine)
	if contentType != "" {
		fmt.Fprintf(bw, "Content-type: %s\r\n", contentType)
	}
	fmt.Fprintf(bw, "Content-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
	_ = bw.Flush()
}

// hijackClose closes the connection without answering.
func hijackClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		conn.Close()
	}
}

// silentListener accepts connections and never answers, as a blackholed
// server would; it returns its address.
func silentListener(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(io.Discard, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// secretsIn returns which forms of the password occur in s.
func secretsIn(s, password string) []string {
	var found []string
	for _, form := range []string{
		password,
		base64.StdEncoding.EncodeToString([]byte(fakeUser + ":" + password)),
		"api_key",
	} {
		if strings.Contains(s, form) {
			found = append(found, form)
		}
	}
	return found
}
