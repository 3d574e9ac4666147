package ari_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cyari "github.com/CyCoreSystems/ari/v5"
	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"go.uber.org/goleak"

	"github.com/pbxkit/pbxkit/ari"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes (log output).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fakeOptions are Options for f with fast reconnection and a debug logger
// writing to logs (if not nil).
func fakeOptions(f *fakeARI, logs *syncBuffer) *ari.Options {
	o := &ari.Options{
		URL:          f.URL(),
		Username:     fakeUser,
		Password:     fakePassword,
		ReconnectMin: 20 * time.Millisecond,
		ReconnectMax: 100 * time.Millisecond,
	}
	if logs != nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o
}

func dialFake(t *testing.T, f *fakeARI, o *ari.Options) *ari.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := ari.Dial(ctx, o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	f.WaitWebsocket(t) // registered on the server side: f.Send reaches it
	return c
}

// next returns the subscription's next item within 5 s.
func next(t *testing.T, s *ari.Subscription) ari.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ev, err := s.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return ev
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestDialOptionsRefused(t *testing.T) {
	const pw = "hunter2-very-secret"
	for _, tc := range []struct {
		name string
		o    *ari.Options
	}{
		{"nil", nil},
		{"no URL", &ari.Options{Username: "u", Password: pw}},
		{"credentials in URL", &ari.Options{URL: "http://u:" + pw + "@127.0.0.1:8088/ari"}},
		{"api_key in URL", &ari.Options{URL: "http://127.0.0.1:8088/ari?api_key=u:" + pw}},
		{"credentials in websocket URL", &ari.Options{URL: "http://127.0.0.1:8088/ari", WebsocketURL: "ws://u:" + pw + "@127.0.0.1:8088/ari/events"}},
		{"query in websocket URL", &ari.Options{URL: "http://127.0.0.1:8088/ari", WebsocketURL: "ws://127.0.0.1:8088/ari/events?api_key=u:" + pw}},
		{"ftp URL", &ari.Options{URL: "ftp://127.0.0.1/ari"}},
		{"relative URL", &ari.Options{URL: "/ari"}},
		{"http websocket URL", &ari.Options{URL: "http://127.0.0.1:8088/ari", WebsocketURL: "http://127.0.0.1:8088/ari/events"}},
		{"colon in Username", &ari.Options{URL: "http://127.0.0.1:8088/ari", Username: "a:b", Password: pw}},
		{"LF in Password", &ari.Options{URL: "http://127.0.0.1:8088/ari", Username: "a", Password: pw + "\n"}},
		{"comma in Application", &ari.Options{URL: "http://127.0.0.1:8088/ari", Application: "a,b"}},
		{"CR in Application", &ari.Options{URL: "http://127.0.0.1:8088/ari", Application: "a\rb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var orig ari.Options
			if tc.o != nil {
				orig = *tc.o
			}
			c, err := ari.Dial(context.Background(), tc.o)
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded")
			}
			if !errors.Is(err, ari.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error quotes the password: %v", err)
			}
			if tc.o != nil && !reflect.DeepEqual(*tc.o, orig) {
				t.Errorf("Dial modified the Options")
			}
		})
	}
}

func TestDialDoesNotModifyOptions(t *testing.T) {
	f := newFakeARI(t)
	o := fakeOptions(f, nil)
	orig := *o
	dialFake(t, f, o)
	if !reflect.DeepEqual(*o, orig) {
		t.Errorf("Options changed: %+v, want %+v", *o, orig)
	}
	if got := f.WebsocketQueries()[0]; got != "app=pbxkit" {
		t.Errorf("websocket query = %q, want app=pbxkit", got)
	}
}

func TestDialBadPassword(t *testing.T) {
	f := newFakeARI(t)
	var logs syncBuffer
	o := fakeOptions(f, &logs)
	o.Password = "wrong-password-xyz"
	_, err := ari.Dial(ctx5(t), o)
	if !errors.Is(err, ari.ErrAuth) {
		t.Fatalf("err = %v, want ErrAuth", err)
	}
	var e *ari.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %T, want *ari.Error", err)
	}
	if e.StatusCode != 401 || e.Message != "Authentication required" || e.Method != "GET" || e.Path != "/asterisk/info" {
		t.Errorf("Error = %+v", e)
	}
	if s := secretsIn(err.Error()+logs.String(), o.Password); len(s) > 0 {
		t.Errorf("secret found in error or logs: %v", s)
	}
}

func TestDialWebsocketRefused(t *testing.T) {
	f := newFakeARI(t)
	f.SetRefuseWebsocket(http.StatusUnauthorized)
	_, err := ari.Dial(ctx5(t), fakeOptions(f, nil))
	var e *ari.Error
	if !errors.As(err, &e) || !errors.Is(err, ari.ErrAuth) {
		t.Fatalf("err = %v, want a *ari.Error matching ErrAuth", err)
	}
	if e.Path != "/events" || e.StatusCode != 401 || e.Message != "refused by the test" {
		t.Errorf("Error = %+v", e)
	}
}

func TestDialUnavailable(t *testing.T) {
	start := time.Now()
	_, err := ari.Dial(ctx5(t), &ari.Options{URL: "http://" + closedPort(t) + "/ari", Username: "u", Password: "p"})
	if !errors.Is(err, ari.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if errors.Is(err, ari.ErrDisconnected) {
		t.Errorf("err = %v matches ErrDisconnected; nothing was sent", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Dial took %v", d)
	}
}

func TestDialTimeout(t *testing.T) {
	addr := silentListener(t)
	start := time.Now()
	_, err := ari.Dial(context.Background(), &ari.Options{URL: "http://" + addr + "/ari", ConnectTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ari.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrUnavailable and DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Dial took %v", d)
	}
}

func TestErrorMapping(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	type want struct {
		code    int
		message string
		is      []error
		isNot   []error
	}
	all := []error{ari.ErrNotFound, ari.ErrConflict, ari.ErrAuth, ari.ErrUnavailable, ari.ErrAllocationFailed, ari.ErrInvalid}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    want
	}{
		{"404 JSON", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 404, `{"message":"Channel not found"}`)
		}, want{404, "Channel not found", []error{ari.ErrNotFound}, nil}},
		{"custom reason phrase", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(w, "404 Variable Not Found", "", "")
		}, want{404, "Variable Not Found", []error{ari.ErrNotFound}, nil}},
		{"custom reason with JSON body", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(w, "404 Channel Not Found", "application/json", `{"message":"Provided channel was not found"}`)
		}, want{404, "Provided channel was not found", []error{ari.ErrNotFound}, nil}},
		{"allocation failed", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 500, `{"error":"Allocation failed"}`)
		}, want{500, "Allocation failed", []error{ari.ErrAllocationFailed}, nil}},
		{"other 500", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 500, `{"message":"Unknown device"}`)
		}, want{500, "Unknown device", nil, nil}},
		{"409", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 409, `{"message":"Channel with given unique ID already exists"}`)
		}, want{409, "Channel with given unique ID already exists", []error{ari.ErrConflict}, nil}},
		{"412", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 412, `{"message":"Channel in invalid state"}`)
		}, want{412, "Channel in invalid state", []error{ari.ErrConflict}, nil}},
		{"400 HTML", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(w, "400 Bad Request", "text/html", "<html><body>missing param: app</body></html>")
		}, want{400, "Bad Request", []error{ari.ErrInvalid}, nil}},
		{"400 custom reason", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(w, "400 Invalid Reason", "application/json", `{"message":"Invalid reason for hangup provided"}`)
		}, want{400, "Invalid reason for hangup provided", []error{ari.ErrInvalid}, nil}},
		{"422", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 422, `{"message":"Endpoint is not the same type as the channel"}`)
		}, want{422, "Endpoint is not the same type as the channel", []error{ari.ErrInvalid}, nil}},
		{"403", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 403, `{"message":"Forbidden"}`)
		}, want{403, "Forbidden", []error{ari.ErrAuth}, nil}},
		{"503", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(w, "503 Service Unavailable", "text/html", "<html>busy</html>")
		}, want{503, "Service Unavailable", []error{ari.ErrUnavailable}, []error{ari.ErrDisconnected}}},
		{"empty reason, no body", func(w http.ResponseWriter, r *http.Request) {
			rawResponse(w, "418", "", "")
		}, want{418, "I'm a teapot", nil, nil}},
		{"control characters in message", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 404, `{"message":"line1\nInjected: yes"}`)
		}, want{404, "line1 Injected: yes", []error{ari.ErrNotFound}, nil}},
		{"long message", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 404, `{"message":"`+strings.Repeat("x", 600)+`"}`)
		}, want{404, strings.Repeat("x", 512) + "...", []error{ari.ErrNotFound}, nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.Handle("GET /ari/channels/x1", tc.handler)
			_, err := c.Channel(ctx5(t), "x1")
			var e *ari.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *ari.Error", err, err)
			}
			if e.StatusCode != tc.want.code || e.Message != tc.want.message || e.Method != "GET" || e.Path != "/channels/x1" {
				t.Errorf("Error = %+v", e)
			}
			for _, s := range all {
				wantIs := false
				for _, w := range tc.want.is {
					if w == s {
						wantIs = true
					}
				}
				if errors.Is(err, s) != wantIs {
					t.Errorf("errors.Is(err, %v) = %v, want %v", s, !wantIs, wantIs)
				}
			}
			for _, s := range tc.want.isNot {
				if errors.Is(err, s) {
					t.Errorf("errors.Is(err, %v)", s)
				}
			}
		})
	}
	if got := (&ari.Error{Method: "DELETE", Path: "/channels/x", StatusCode: 404, Message: "Channel not found"}).Error(); got != "ari: DELETE /channels/x: 404 Channel not found" {
		t.Errorf("Error() = %q", got)
	}
}

func TestRequestShaping(t *testing.T) {
	f := newFakeARI(t)
	var logs syncBuffer
	c := dialFake(t, f, fakeOptions(f, &logs))
	ctx := ctx5(t)
	chanJSON := `{"id":"c-1","name":"Local/echo@pbxkit-callme-00000000;1","state":"Down","protocol_id":"","caller":{"name":"Alice","number":"1001"},"connected":{"name":"","number":""},"accountcode":"acct","dialplan":{"context":"pbxkit-callme","exten":"echo","priority":1,"app_name":"AppDial2","app_data":"(Outgoing Line)"},"creationtime":"2026-11-23T18:23:02.415+0000","language":"en"}`
	f.Handle("POST /ari/channels", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, chanJSON) })
	f.Handle("DELETE /ari/channels/c-1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 204, "") })
	f.Handle("GET /ari/channels/a%2Fb%3Fc%23d%25e%20f", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, chanJSON) })
	f.Handle("GET /ari/deviceStates/PJSIP%2F1001", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"name":"PJSIP/1001","state":"UNAVAILABLE"}`)
	})
	f.Handle("GET /ari/endpoints/PJSIP/1001", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `{"technology":"PJSIP","resource":"1001","state":"offline","channel_ids":[]}`)
	})
	f.Handle("POST /ari/channels/c-1/continue", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 204, "") })
	f.Handle("GET /ari/channels/c-1/variable", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"value":"42"}`) })
	f.Handle("PUT /ari/deviceStates/Stasis:door", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 204, "") })

	ch, err := c.Originate(ctx, ari.OriginateRequest{
		Endpoint:  "Local/echo@pbxkit-callme",
		Context:   "pbxkit-callme",
		Extension: "echo",
		CallerID:  `"Alice" <1001>`,
		Timeout:   1500 * time.Millisecond,
		ChannelID: "c-1",
		Variables: map[string]string{"CALLERID(name)": "Alice", "X": "a&b=c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCh := &ari.Channel{
		ID: "c-1", Name: "Local/echo@pbxkit-callme-00000000;1", State: "Down",
		Caller: ari.CallerID{Name: "Alice", Number: "1001"}, Accountcode: "acct",
		Dialplan:     ari.Dialplan{Context: "pbxkit-callme", Exten: "echo", Priority: 1, AppName: "AppDial2", AppData: "(Outgoing Line)"},
		CreationTime: time.Date(2026, 11, 23, 18, 23, 2, 415e6, time.UTC),
		Language:     "en",
	}
	if !ch.CreationTime.Equal(wantCh.CreationTime) {
		t.Errorf("CreationTime = %v, want %v", ch.CreationTime, wantCh.CreationTime)
	}
	ch.CreationTime = wantCh.CreationTime
	if fmt.Sprint(*ch) != fmt.Sprint(*wantCh) {
		t.Errorf("channel = %+v\nwant %+v", *ch, *wantCh)
	}
	if err := c.Hangup(ctx, "c-1", "busy"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Channel(ctx, "a/b?c#d%e f"); err != nil {
		t.Fatal(err)
	}
	if ds, err := c.DeviceState(ctx, "PJSIP/1001"); err != nil || *ds != (ari.DeviceState{Name: "PJSIP/1001", State: "UNAVAILABLE"}) {
		t.Fatalf("DeviceState = %v, %v", ds, err)
	}
	if ep, err := c.Endpoint(ctx, "PJSIP", "1001"); err != nil || ep.State != "offline" || ep.Resource != "1001" {
		t.Fatalf("Endpoint = %+v, %v", ep, err)
	}
	if err := c.Continue(ctx, "c-1", "from-internal", "1002", 0); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Variable(ctx, "c-1", "CALLERID(num)"); err != nil || v != "42" {
		t.Fatalf("Variable = %q, %v", v, err)
	}
	if err := c.SetDeviceState(ctx, "Stasis:door", "BUSY"); err != nil {
		t.Fatal(err)
	}

	reqs := f.Requests()
	byURI := map[string]recorded{}
	for _, r := range reqs {
		byURI[r.Method+" "+r.RequestURI] = r
		if got := r.Header.Get("Authorization"); got != "Basic cGJ4a2l0OnMzY3JldC1QYXNzdzByZA==" {
			t.Errorf("%s %s: Authorization = %q", r.Method, r.RequestURI, got)
		}
		if s := secretsIn(r.RequestURI, fakePassword); len(s) > 0 {
			t.Errorf("%s %s: credentials in the URL", r.Method, r.RequestURI)
		}
	}
	post, ok := byURI["POST /ari/channels"]
	if !ok {
		t.Fatalf("no POST /ari/channels in %v", reqs)
	}
	if ct := post.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var body map[string]any
	if err := json.Unmarshal([]byte(post.Body), &body); err != nil {
		t.Fatal(err)
	}
	wantBody := map[string]any{
		"endpoint": "Local/echo@pbxkit-callme", "context": "pbxkit-callme", "extension": "echo",
		"priority": 1.0, "callerId": `"Alice" <1001>`, "timeout": 2.0, "channelId": "c-1",
		"variables": map[string]any{"CALLERID(name)": "Alice", "X": "a&b=c"},
	}
	if fmt.Sprint(body) != fmt.Sprint(wantBody) {
		t.Errorf("originate body = %v\nwant %v", body, wantBody)
	}
	for _, uri := range []string{
		"DELETE /ari/channels/c-1?reason=busy",
		"GET /ari/channels/a%2Fb%3Fc%23d%25e%20f",
		"GET /ari/deviceStates/PJSIP%2F1001",
		"GET /ari/endpoints/PJSIP/1001",
		"POST /ari/channels/c-1/continue?context=from-internal&extension=1002",
		"GET /ari/channels/c-1/variable?variable=CALLERID%28num%29",
		"PUT /ari/deviceStates/Stasis:door?deviceState=BUSY",
	} {
		if _, ok := byURI[uri]; !ok {
			t.Errorf("no request %s", uri)
		}
	}
	// The websocket handshake carries the credentials in the header only.
	if s := secretsIn(f.WebsocketQueries()[0], fakePassword); len(s) > 0 {
		t.Errorf("credentials in the websocket query %q", f.WebsocketQueries()[0])
	}
	if s := secretsIn(logs.String(), fakePassword); len(s) > 0 {
		t.Errorf("secret in logs: %v", s)
	}
}

func TestOriginateTimeoutAndDefaults(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	f.Handle("POST /ari/channels", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `{"id":"x"}`) })
	for _, tc := range []struct {
		req  ari.OriginateRequest
		want string
	}{
		{ari.OriginateRequest{Endpoint: "PJSIP/1001", App: "pbxkit", AppArgs: "a,b"}, `{"endpoint":"PJSIP/1001","app":"pbxkit","appArgs":"a,b"}`},
		{ari.OriginateRequest{Endpoint: "PJSIP/1001", App: "pbxkit", Timeout: -1}, `{"endpoint":"PJSIP/1001","timeout":-1,"app":"pbxkit"}`},
		{ari.OriginateRequest{Endpoint: "PJSIP/1001", Extension: "1002", Priority: 3, Timeout: 30 * time.Second}, `{"endpoint":"PJSIP/1001","timeout":30,"extension":"1002","priority":3}`},
		{ari.OriginateRequest{Endpoint: "PJSIP/1001", Extension: "1002", Label: "start"}, `{"endpoint":"PJSIP/1001","extension":"1002","label":"start"}`},
	} {
		if _, err := c.Originate(ctx5(t), tc.req); err != nil {
			t.Fatal(err)
		}
		reqs := f.Requests()
		if got := reqs[len(reqs)-1].Body; got != tc.want {
			t.Errorf("body = %s\nwant %s", got, tc.want)
		}
	}
}

func TestValidationBeforeSending(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	ctx := ctx5(t)
	before := len(f.Requests())
	long := strings.Repeat("x", 600)
	checks := map[string]error{}
	add := func(name string, err error) { checks[name] = err }
	_, err := c.Channel(ctx, "")
	add("empty ID", err)
	_, err = c.Channel(ctx, "a\nb")
	add("LF in ID", err)
	_, err = c.Channel(ctx, "a\x00b")
	add("NUL in ID", err)
	_, err = c.Channel(ctx, "..")
	add("dot-dot ID", err)
	_, err = c.Channel(ctx, ".")
	add("dot ID", err)
	_, err = c.Channel(ctx, long)
	add("long ID", err)
	_, err = c.Channel(ctx, "\xff\xfe")
	add("invalid UTF-8", err)
	add("hangup reason", c.Hangup(ctx, "x", "normal\r\nX: y"))
	_, err = c.Endpoint(ctx, "PJSIP", "")
	add("empty resource", err)
	_, err = c.DeviceState(ctx, "Stasis:\x7f")
	add("DEL in device name", err)
	add("empty device state", c.SetDeviceState(ctx, "Stasis:x", ""))
	add("redirect without endpoint", c.Redirect(ctx, "x", ""))
	add("negative priority", c.Continue(ctx, "x", "", "", -1))
	_, err = c.Variable(ctx, "x", "")
	add("empty variable", err)
	add("variable value LF", c.SetVariable(ctx, "x", "A", "b\nc"))
	for name, req := range map[string]ari.OriginateRequest{
		"no endpoint":             {App: "pbxkit"},
		"no destination":          {Endpoint: "PJSIP/1001"},
		"both destinations":       {Endpoint: "PJSIP/1001", App: "pbxkit", Extension: "1"},
		"context without exten":   {Endpoint: "PJSIP/1001", Context: "x"},
		"appargs without app":     {Endpoint: "PJSIP/1001", Extension: "1", AppArgs: "a"},
		"CR in endpoint":          {Endpoint: "PJSIP/1001\r", App: "pbxkit"},
		"LF in caller ID":         {Endpoint: "PJSIP/1001", App: "pbxkit", CallerID: "a\nb"},
		"empty variable name":     {Endpoint: "PJSIP/1001", App: "pbxkit", Variables: map[string]string{"": "x"}},
		"LF in variable value":    {Endpoint: "PJSIP/1001", App: "pbxkit", Variables: map[string]string{"A": "x\ny"}},
		"dot-dot channel ID":      {Endpoint: "PJSIP/1001", App: "pbxkit", ChannelID: ".."},
		"negative priority":       {Endpoint: "PJSIP/1001", Extension: "1", Priority: -1},
		"NUL in other channel ID": {Endpoint: "PJSIP/1001", App: "pbxkit", OtherChannelID: "a\x00"},
	} {
		_, err := c.Originate(ctx, req)
		add("Originate: "+name, err)
	}
	for name, err := range checks {
		if !errors.Is(err, ari.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	if n := len(f.Requests()) - before; n != 0 {
		t.Errorf("%d requests sent for invalid calls", n)
	}
}

func TestEvents(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	sub := c.Subscribe(0)
	defer sub.Close()
	if ev := next(t, sub); ev.State != ari.StateConnected {
		t.Fatalf("first item = %+v, want StateConnected", ev)
	}
	msgs := []string{
		`{"type":"StasisStart","timestamp":"2026-11-23T18:23:02.416+0000","args":["a","b"],"channel":{"id":"my-1","name":"Local/echo@pbxkit-callme-00000000;1","state":"Up","protocol_id":"","caller":{"name":"","number":""},"connected":{"name":"","number":""},"accountcode":"","dialplan":{"context":"pbxkit-callme","exten":"echo","priority":1,"app_name":"Stasis","app_data":"pbxkit"},"creationtime":"2026-11-23T18:23:02.415+0000","language":"en"},"asterisk_id":"02:fc:00:00:00:01","application":"pbxkit"}`,
		`not json at all`,
		`{"no":"type"}`,
		`{"type":"SomethingNewInAsterisk22","application":"pbxkit","x":1}`,
		`{"type":"ChannelDestroyed","timestamp":"2026-11-23T18:23:03.023+0000","cause":16,"cause_txt":"Normal Clearing","channel":{"id":"my-1","name":"Local/echo@pbxkit-callme-00000000;1","state":"Up"},"asterisk_id":"02:fc:00:00:00:01","application":"pbxkit"}`,
		`{"type":"ChannelVarset","variable":"FOO","value":"bar","channel":"not an object","application":"pbxkit"}`,
		`{"type":"DeviceStateChanged","application":"pbxkit","timestamp":"2026-11-23T18:23:02.411+0000","device_state":{"name":"Stasis:foo","state":"BUSY"},"asterisk_id":"02:fc:00:00:00:01"}`,
		`{"type":"Dial","dialstatus":"ANSWER","peer":{"id":"my-1"},"application":"pbxkit"}`,
	}
	for _, m := range msgs {
		f.Send(m)
	}
	f.SendFrame(ws.NewBinaryFrame([]byte("binary is ignored")))

	ev := next(t, sub)
	if ev.Type != "StasisStart" || ev.Application != "pbxkit" || ev.AsteriskID != "02:fc:00:00:00:01" ||
		ev.Channel == nil || ev.Channel.ID != "my-1" || ev.Channel.Dialplan.AppName != "Stasis" ||
		fmt.Sprint(ev.Args) != "[a b]" || ev.State != ari.StateNone || ev.Dropped != 0 ||
		!ev.Timestamp.Equal(time.Date(2026, 11, 23, 18, 23, 2, 416e6, time.UTC)) {
		t.Errorf("StasisStart = %+v", ev)
	}
	if string(ev.Raw) != msgs[0] {
		t.Errorf("Raw = %s", ev.Raw)
	}
	typed, err := ev.Decode()
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if ss, ok := typed.(*cyari.StasisStart); !ok || ss.Channel.ID != "my-1" || len(ss.Args) != 2 {
		t.Errorf("Decode = %#v", typed)
	}

	ev = next(t, sub)
	if ev.Type != "SomethingNewInAsterisk22" || string(ev.Raw) != msgs[3] {
		t.Errorf("unknown event = %+v", ev)
	}
	if _, err := ev.Decode(); err == nil {
		t.Errorf("Decode of an unknown type succeeded")
	}
	ev = next(t, sub)
	if ev.Type != "ChannelDestroyed" || ev.Cause != 16 || ev.CauseText != "Normal Clearing" || ev.Channel.ID != "my-1" {
		t.Errorf("ChannelDestroyed = %+v", ev)
	}
	ev = next(t, sub)
	if ev.Type != "ChannelVarset" || ev.Channel != nil || string(ev.Raw) != msgs[5] {
		t.Errorf("malformed ChannelVarset = %+v", ev)
	}
	ev = next(t, sub)
	if ev.Type != "DeviceStateChanged" || ev.DeviceState == nil || *ev.DeviceState != (ari.DeviceState{Name: "Stasis:foo", State: "BUSY"}) {
		t.Errorf("DeviceStateChanged = %+v", ev)
	}
	ev = next(t, sub)
	if ev.Type != "Dial" || ev.DialStatus != "ANSWER" || ev.Peer == nil || ev.Peer.ID != "my-1" {
		t.Errorf("Dial = %+v", ev)
	}
	if _, err := (ari.Event{State: ari.StateConnected}).Decode(); !errors.Is(err, ari.ErrInvalid) {
		t.Errorf("Decode of a state change: %v", err)
	}
}

func TestSubscriptionOverflow(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	slow := c.Subscribe(4)
	fast := c.Subscribe(0)
	defer slow.Close()
	defer fast.Close()
	next(t, slow)
	next(t, fast)
	const n = 10
	for i := range n {
		f.Send(fmt.Sprintf(`{"type":"T%d","application":"pbxkit"}`, i))
	}
	// The fast subscriber gets everything, in order.
	for i := range n {
		if ev := next(t, fast); ev.Type != fmt.Sprintf("T%d", i) || ev.Dropped != 0 {
			t.Fatalf("fast: item %d = %+v", i, ev)
		}
	}
	// The slow one kept the first 4, lost 6, and is told so on the next.
	for i := range 4 {
		if ev := next(t, slow); ev.Type != fmt.Sprintf("T%d", i) || ev.Dropped != 0 {
			t.Fatalf("slow: item %d = %+v", i, ev)
		}
	}
	f.Send(`{"type":"after","application":"pbxkit"}`)
	ev := next(t, slow)
	if ev.Type != "after" || ev.Dropped != 6 {
		t.Errorf("slow: after overflow = %+v, want Dropped 6", ev)
	}
	if slow.Dropped() != 6 || fast.Dropped() != 0 {
		t.Errorf("Dropped() = %d, %d", slow.Dropped(), fast.Dropped())
	}
}

func TestReconnect(t *testing.T) {
	f := newFakeARI(t)
	var logs syncBuffer
	c := dialFake(t, f, fakeOptions(f, &logs))
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	f.Send(`{"type":"before","application":"pbxkit"}`)
	if ev := next(t, sub); ev.Type != "before" {
		t.Fatalf("got %+v", ev)
	}

	f.SetRefuseWebsocket(http.StatusServiceUnavailable)
	f.DropWebsockets()
	ev := next(t, sub)
	if ev.State != ari.StateDisconnected || ev.Err == nil {
		t.Fatalf("got %+v, want StateDisconnected with an error", ev)
	}
	if c.State() != ari.StateDisconnected {
		t.Errorf("State = %v", c.State())
	}
	start := time.Now()
	_, err := c.Channels(ctx5(t))
	if !errors.Is(err, ari.ErrUnavailable) || errors.Is(err, ari.ErrDisconnected) {
		t.Errorf("Channels while down: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Channels while down took %v", d)
	}

	f.WaitRefused(t)
	f.SetRefuseWebsocket(0)
	f.WaitWebsocket(t)
	if ev := next(t, sub); ev.State != ari.StateReconnected || ev.Err != nil {
		t.Fatalf("got %+v, want StateReconnected", ev)
	}
	if c.State() != ari.StateConnected {
		t.Errorf("State = %v", c.State())
	}
	f.Send(`{"type":"after","application":"pbxkit"}`)
	if ev := next(t, sub); ev.Type != "after" {
		t.Fatalf("got %+v", ev)
	}
	if _, err := c.Info(ctx5(t)); err != nil {
		t.Errorf("Info after reconnection: %v", err)
	}
	if s := secretsIn(logs.String(), fakePassword); len(s) > 0 {
		t.Errorf("secret in logs: %v", s)
	}
	if !strings.Contains(logs.String(), "reconnection failed") {
		t.Errorf("logs do not mention the failed attempts:\n%s", logs.String())
	}
}

func TestServerCloseFrame(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	f.SendFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusGoingAway, "shutting down")))
	ev := next(t, sub)
	var ce wsutil.ClosedError
	if ev.State != ari.StateDisconnected || !errors.As(ev.Err, &ce) || ce.Code != ws.StatusGoingAway || ce.Reason != "shutting down" {
		t.Fatalf("got %+v (%v), want StateDisconnected with ClosedError 1001", ev, ev.Err)
	}
	if ev := next(t, sub); ev.State != ari.StateReconnected {
		t.Fatalf("got %+v, want StateReconnected", ev)
	}
}

func TestKeepalive(t *testing.T) {
	f := newFakeARI(t)
	o := fakeOptions(f, nil)
	o.PingInterval = 30 * time.Millisecond
	o.PingTimeout = 100 * time.Millisecond
	c := dialFake(t, f, o)
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)

	// Pongs keep the connection alive.
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	ev, err := sub.Next(ctx)
	cancel()
	if err == nil {
		t.Fatalf("got %+v while the server answers pings", ev)
	}

	f.SetNoPong(true)
	ev = next(t, sub)
	if ev.State != ari.StateDisconnected || !errors.Is(ev.Err, context.DeadlineExceeded) {
		t.Fatalf("got %+v (%v), want StateDisconnected by keepalive", ev, ev.Err)
	}
	f.SetNoPong(false)
	if ev := next(t, sub); ev.State != ari.StateReconnected {
		t.Fatalf("got %+v, want StateReconnected", ev)
	}
}

func TestOversizedEvent(t *testing.T) {
	f := newFakeARI(t)
	o := fakeOptions(f, nil)
	o.MaxMessageSize = 600 // fakeInfo fits
	c := dialFake(t, f, o)
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	f.Send(`{"type":"big","application":"pbxkit","pad":"` + strings.Repeat("x", 700) + `"}`)
	f.Send(`{"type":"small","application":"pbxkit"}`)
	if ev := next(t, sub); ev.Type != "small" || ev.Dropped != 0 {
		t.Fatalf("got %+v, want the small event", ev)
	}
	// A response larger than the limit is refused too.
	f.Handle("GET /ari/channels", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, "["+strings.Repeat(`{"id":"x"},`, 100)+`{"id":"y"}]`)
	})
	if _, err := c.Channels(ctx5(t)); !errors.Is(err, ari.ErrProtocol) {
		t.Errorf("Channels: %v, want ErrProtocol", err)
	}
}

func TestContextCancellation(t *testing.T) {
	f := newFakeARI(t)
	o := fakeOptions(f, nil)
	o.RequestTimeout = 150 * time.Millisecond
	c := dialFake(t, f, o)
	release := make(chan struct{})
	defer close(release)
	f.Handle("GET /ari/channels", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	start := time.Now()
	_, err := c.Channels(ctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ari.ErrUnavailable) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("returned after %v", d)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	if _, err := c.Channels(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want Canceled", err)
	}

	// No deadline: Options.RequestTimeout applies.
	start = time.Now()
	if _, err := c.Channels(context.Background()); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > time.Second {
		t.Errorf("RequestTimeout: returned after %v", d)
	}
}

func TestCloseCancelsInFlight(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	f.Handle("GET /ari/channels", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	errc := make(chan error, 1)
	go func() {
		_, err := c.Channels(context.Background())
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	sub := c.Subscribe(0)
	next(t, sub)
	c.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ari.ErrClosed) {
			t.Errorf("in-flight call: %v, want ErrClosed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("in-flight call not released by Close")
	}
	if ev := next(t, sub); ev.State != ari.StateClosed {
		t.Errorf("last item = %+v, want StateClosed", ev)
	}
	if _, err := sub.Next(context.Background()); !errors.Is(err, ari.ErrClosed) {
		t.Errorf("Next after close: %v", err)
	}
	if _, err := c.Info(context.Background()); !errors.Is(err, ari.ErrClosed) {
		t.Errorf("Info after Close: %v", err)
	}
	if c.State() != ari.StateClosed {
		t.Errorf("State = %v", c.State())
	}
	if _, err := c.Subscribe(0).Next(context.Background()); !errors.Is(err, ari.ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
	c.Close() // idempotent
}

func TestDisconnectedInFlight(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	f.Handle("POST /ari/channels", func(w http.ResponseWriter, r *http.Request) { hijackClose(w) })
	_, err := c.Originate(ctx5(t), ari.OriginateRequest{Endpoint: "PJSIP/1001", App: "pbxkit"})
	if !errors.Is(err, ari.ErrDisconnected) || !errors.Is(err, ari.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrDisconnected", err)
	}
	// The POST was not resent by the HTTP client.
	n := 0
	for _, r := range f.Requests() {
		if r.Method == "POST" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d POSTs reached the server, want 1", n)
	}
}

func TestSubscriptionCloseAndAll(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	sub := c.Subscribe(0)
	f.Send(`{"type":"A","application":"pbxkit"}`)
	f.Send(`{"type":"B","application":"pbxkit"}`)
	var got []string
	ctx := ctx5(t)
	for ev, err := range sub.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, ev.State.String()+"/"+ev.Type)
		if ev.Type == "B" {
			break
		}
	}
	if fmt.Sprint(got) != "[connected/ none/A none/B]" {
		t.Errorf("got %v", got)
	}
	sub.Close()
	sub.Close()
	if _, err := sub.Next(ctx); !errors.Is(err, ari.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
	if sub.Len() != 0 {
		t.Errorf("Len = %d", sub.Len())
	}
	// All ends quietly once the Client is closed.
	sub2 := c.Subscribe(0)
	c.Close()
	n := 0
	for _, err := range sub2.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 2 { // connected, closed
		t.Errorf("All yielded %d items, want 2", n)
	}
}

func TestStateString(t *testing.T) {
	for st, want := range map[ari.State]string{
		ari.StateNone: "none", ari.StateConnected: "connected", ari.StateDisconnected: "disconnected",
		ari.StateReconnected: "reconnected", ari.StateClosed: "closed", ari.State(42): "unknown",
	} {
		if st.String() != want {
			t.Errorf("%d.String() = %q", st, st.String())
		}
	}
}

// TestCloseLeavesNoGoroutine checks, beyond TestMain's global check, that
// Close itself ends everything the Client started: supervisor, keepalive,
// reconnection, REST calls in flight and HTTP connections.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	f := newFakeARI(t)
	before := goleak.IgnoreCurrent()
	o := fakeOptions(f, nil)
	o.PingInterval = 20 * time.Millisecond
	c := dialFake(t, f, o)
	sub := c.Subscribe(0)
	next(t, sub)
	f.DropWebsockets()
	if ev := next(t, sub); ev.State != ari.StateDisconnected {
		t.Fatalf("got %+v", ev)
	}
	f.WaitWebsocket(t)
	if ev := next(t, sub); ev.State != ari.StateReconnected {
		t.Fatalf("got %+v", ev)
	}
	for range 5 {
		if _, err := c.Info(ctx5(t)); err != nil {
			t.Fatal(err)
		}
	}
	f.Handle("GET /ari/channels", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	errc := make(chan error, 1)
	go func() {
		_, err := c.Channels(context.Background())
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond)
	// Closing while the websocket is down and a redial is pending, too.
	f.SetRefuseWebsocket(http.StatusServiceUnavailable)
	f.DropWebsockets()
	if ev := next(t, sub); ev.State != ari.StateDisconnected {
		t.Fatalf("got %+v", ev)
	}
	c.Close()
	if err := <-errc; !errors.Is(err, ari.ErrClosed) {
		t.Errorf("in-flight call: %v", err)
	}
	f.Close() // the fake's own goroutines
	goleak.VerifyNone(t, before)
}

func TestResourceConversions(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	ctx := ctx5(t)
	bridge := `{"id":"b1","technology":"simple_bridge","bridge_type":"mixing","bridge_class":"stasis","creator":"Stasis","name":"room","channels":["c1","c2"],"creationtime":"2026-11-23T18:23:03.024+0000","video_mode":"talker"}`
	f.Handle("GET /ari/bridges", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, "["+bridge+"]") })
	f.Handle("GET /ari/bridges/b1", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, bridge) })
	f.Handle("GET /ari/endpoints", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"technology":"PJSIP","resource":"1001","state":"online","channel_ids":["c1"]},{"technology":"PJSIP","resource":"1002","state":"offline","channel_ids":[]}]`)
	})
	f.Handle("GET /ari/deviceStates", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"name":"PJSIP/1001","state":"INUSE"},{"name":"Stasis:door","state":"BUSY"}]`)
	})
	f.Handle("GET /ari/channels", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, `[{"id":"c1","name":"PJSIP/1001-00000001","state":"Up","protocol_id":"abc@host","caller":{"name":"Alice","number":"1001"},"connected":{"name":"Bob","number":"1002"},"accountcode":"","dialplan":{"context":"from-internal","exten":"1002","priority":2,"app_name":"Dial","app_data":"PJSIP/1002,30"},"creationtime":"2026-11-23T18:23:02.415+0000","language":"fr","channelvars":{"CDR(userfield)":"x"}}]`)
	})
	f.Handle("POST /ari/channels/c1/redirect", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 204, "") })
	f.Handle("DELETE /ari/deviceStates/Stasis:door", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 204, "") })
	f.Handle("POST /ari/channels/c1/variable", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 204, "") })

	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "16.28.0~dfsg-0+deb11u4" || info.EntityID != "02:fc:00:00:00:01" || info.Build.Options != "OPTIONAL_API, TEST_FRAMEWORK" ||
		info.Config.DefaultLanguage != "en" || !info.StartupTime.Equal(time.Date(2026, 11, 23, 18, 23, 1, 971e6, time.UTC)) {
		t.Errorf("Info = %+v", info)
	}
	wantBridge := ari.Bridge{ID: "b1", Technology: "simple_bridge", Type: "mixing", Class: "stasis", Creator: "Stasis", Name: "room",
		Channels: []string{"c1", "c2"}, VideoMode: "talker", CreationTime: time.Date(2026, 11, 23, 18, 23, 3, 24e6, time.UTC)}
	bs, err := c.Bridges(ctx)
	if err != nil || len(bs) != 1 {
		t.Fatalf("Bridges = %v, %v", bs, err)
	}
	b, err := c.Bridge(ctx, "b1")
	if err != nil {
		t.Fatal(err)
	}
	for _, got := range []*ari.Bridge{bs[0], b} {
		if !got.CreationTime.Equal(wantBridge.CreationTime) {
			t.Errorf("CreationTime = %v", got.CreationTime)
		}
		g := *got
		g.CreationTime = wantBridge.CreationTime
		if !reflect.DeepEqual(g, wantBridge) {
			t.Errorf("Bridge = %+v\nwant %+v", g, wantBridge)
		}
	}
	eps, err := c.Endpoints(ctx)
	if err != nil || len(eps) != 2 || !reflect.DeepEqual(*eps[0], ari.Endpoint{Technology: "PJSIP", Resource: "1001", State: "online", ChannelIDs: []string{"c1"}}) {
		t.Errorf("Endpoints = %v, %v", eps, err)
	}
	dss, err := c.DeviceStates(ctx)
	if err != nil || len(dss) != 2 || *dss[1] != (ari.DeviceState{Name: "Stasis:door", State: "BUSY"}) {
		t.Errorf("DeviceStates = %v, %v", dss, err)
	}
	chans, err := c.Channels(ctx)
	if err != nil || len(chans) != 1 {
		t.Fatalf("Channels = %v, %v", chans, err)
	}
	ch := chans[0]
	if ch.ProtocolID != "abc@host" || ch.Connected != (ari.CallerID{Name: "Bob", Number: "1002"}) || ch.Language != "fr" ||
		ch.Dialplan != (ari.Dialplan{Context: "from-internal", Exten: "1002", Priority: 2, AppName: "Dial", AppData: "PJSIP/1002,30"}) ||
		ch.Variables["CDR(userfield)"] != "x" {
		t.Errorf("Channel = %+v", ch)
	}
	if err := c.Redirect(ctx, "c1", "PJSIP/1003"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteDeviceState(ctx, "Stasis:door"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetVariable(ctx, "c1", "A B", "x y&z"); err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range f.Requests() {
		uris = append(uris, r.Method+" "+r.RequestURI)
	}
	for _, want := range []string{
		"POST /ari/channels/c1/redirect?endpoint=PJSIP%2F1003",
		"DELETE /ari/deviceStates/Stasis:door",
		"POST /ari/channels/c1/variable?value=x+y%26z&variable=A+B",
	} {
		if !slices.Contains(uris, want) {
			t.Errorf("no request %s in %v", want, uris)
		}
	}
	// An answer that is not the JSON expected.
	f.Handle("GET /ari/bridges/bad", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, `<html>`) })
	if _, err := c.Bridge(ctx, "bad"); !errors.Is(err, ari.ErrProtocol) {
		t.Errorf("bad JSON: %v, want ErrProtocol", err)
	}
	f.Handle("GET /ari/bridges/empty", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, ``) })
	if _, err := c.Bridge(ctx, "empty"); !errors.Is(err, ari.ErrProtocol) {
		t.Errorf("empty body: %v, want ErrProtocol", err)
	}
}

func TestEventInvalidUTF8(t *testing.T) {
	f := newFakeARI(t)
	c := dialFake(t, f, fakeOptions(f, nil))
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	f.Send("{\"type\":\"ChannelCallerId\",\"application\":\"pbxkit\",\"channel\":{\"id\":\"c1\",\"caller\":{\"name\":\"Jos\xe9\",\"number\":\"1001\"}}}")
	ev := next(t, sub)
	if ev.Type != "ChannelCallerId" || ev.Channel == nil || ev.Channel.Caller.Name != "Jos\uFFFD" {
		t.Fatalf("got %+v", ev)
	}
	if c.State() != ari.StateConnected || sub.Len() != 0 {
		t.Errorf("the connection did not survive: %v", c.State())
	}
}

func TestDialerAndClearTextWarning(t *testing.T) {
	f := newFakeARI(t)
	var logs syncBuffer
	o := fakeOptions(f, &logs)
	o.URL = "http://pbx.example.net:8088/ari" // reached through o.Dialer
	fakeAddr := strings.TrimPrefix(f.srv.URL, "http://")
	var dialed []string
	var mu sync.Mutex
	o.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, addr)
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, network, fakeAddr)
	}
	c := dialFake(t, f, o)
	if _, err := c.Info(ctx5(t)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) < 2 || dialed[0] != "pbx.example.net:8088" {
		t.Errorf("dialed %v", dialed)
	}
	if !strings.Contains(logs.String(), "clear text") {
		t.Errorf("no clear-text warning in:\n%s", logs.String())
	}
	if s := secretsIn(logs.String(), fakePassword); len(s) > 0 {
		t.Errorf("secret in logs: %v", s)
	}
}
