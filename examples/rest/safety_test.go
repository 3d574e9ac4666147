package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// TestVoicemailOwnMailboxOnly checks that another mailbox's messages are out
// of reach and untouched, whatever the operation.
func TestVoicemailOwnMailboxOnly(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	other := ts.messageID(t, "1001", pbx.FolderInbox)
	before, err := ts.client.Voicemail().Messages(t.Context(), "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct{ method, path, body string }{
		{"GET", "/extensions/me/voicemails/" + string(other) + "/download", ""},
		{"PATCH", "/extensions/me/voicemails/" + string(other) + "/move", `{"targetFolder":"Old"}`},
		{"DELETE", "/extensions/me/voicemails/" + string(other), ""},
	} {
		var body any
		if x.body != "" {
			body = x.body
		}
		r := ts.do(t, x.method, x.path, tokenfile.DemoToken, body)
		if r.status != 404 || r.errorCode(t) != codeNotFound {
			t.Errorf("%s %s: %d %s", x.method, x.path, r.status, r.body)
		}
		if strings.Contains(string(r.body), "1001") {
			t.Errorf("the error names the other mailbox: %s", r.body)
		}
	}
	after, err := ts.client.Voicemail().Messages(t.Context(), "1001", nil)
	if err != nil || len(after) != len(before) || after[0].Folder != before[0].Folder {
		t.Errorf("1001's mailbox changed: %v -> %v (%v)", before, after, err)
	}
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, []string{"--rate=1", "--burst=3"}, nil)
	// A token's bucket: three requests, then 429 with Retry-After.
	for i := range 3 {
		if r := ts.do(t, "GET", "/extensions/me/dnd", tokenfile.DemoToken, nil); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
	}
	r := ts.do(t, "GET", "/extensions/me/dnd", tokenfile.DemoToken, nil)
	if r.status != http.StatusTooManyRequests || r.errorCode(t) != codeRateLimited {
		t.Fatalf("fourth request: %d %s", r.status, r.body)
	}
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 2 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	// The client address has its own bucket, for public requests and for
	// failed sign-ins alike.
	for i := range 3 {
		if r := ts.do(t, "GET", "/extensions/me", "wrong-token-wrong-token", nil); r.status != 401 {
			t.Fatalf("bad sign-in %d: %d", i+1, r.status)
		}
	}
	if r := ts.do(t, "GET", "/conferences", "", nil); r.status != http.StatusTooManyRequests {
		t.Errorf("public request after three bad sign-ins: %d", r.status)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := newLimiter(2, 2)
	l.now = func() time.Time { return now }
	want := func(key string, ok bool, wait time.Duration) {
		t.Helper()
		gotOK, gotWait := l.allow(key)
		if gotOK != ok || gotWait != wait {
			t.Fatalf("allow(%s) = %v %v, want %v %v", key, gotOK, gotWait, ok, wait)
		}
	}
	want("a", true, 0)
	want("a", true, 0)
	want("a", false, 500*time.Millisecond)
	want("b", true, 0) // keys are independent
	now = now.Add(250 * time.Millisecond)
	want("a", false, 250*time.Millisecond)
	now = now.Add(250 * time.Millisecond)
	want("a", true, 0)
	now = now.Add(time.Hour)
	l.allow("c")
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("%d buckets after the sweep, want 1", n)
	}
	if ok, _ := newLimiter(0, 1).allow("x"); !ok {
		t.Error("rate 0 must not limit")
	}
}

func TestClientKey(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:5000":             "ip:192.0.2.7",
		"[::ffff:192.0.2.7]:5000":    "ip:192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:443": "net:2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::1]:443": "net:2001:db8:1:2::/64",
		"@":                          "addr:@",
	} {
		if got := clientKey(addr); got != want {
			t.Errorf("clientKey(%q) = %q, want %q", addr, got, want)
		}
	}
}

func TestCORS(t *testing.T) {
	preflight := func(ts *testServer, origin string) response {
		req, _ := http.NewRequestWithContext(t.Context(), "OPTIONS", ts.URL+"/extensions/me/calls", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "DELETE")
		req.Header.Set("Access-Control-Request-Headers", "authorization")
		return ts.send(t, req)
	}
	get := func(ts *testServer, origin string) response {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/conferences", nil)
		req.Header.Set("Origin", origin)
		return ts.send(t, req)
	}
	t.Run("off by default", func(t *testing.T) {
		ts := newTestServer(t, nil, nil)
		for _, r := range []response{preflight(ts, "https://evil.example"), get(ts, "https://evil.example")} {
			if h := r.header.Get("Access-Control-Allow-Origin"); h != "" {
				t.Errorf("CORS header %q with no allowed origin", h)
			}
		}
	})
	t.Run("allow list", func(t *testing.T) {
		ts := newTestServer(t, []string{"--cors-origin=https://dash.example, http://localhost:8080"}, nil)
		r := preflight(ts, "https://dash.example")
		if r.status != 204 || r.header.Get("Access-Control-Allow-Origin") != "https://dash.example" ||
			!strings.Contains(r.header.Get("Access-Control-Allow-Headers"), "Authorization") ||
			r.header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("allowed preflight: %d %v", r.status, r.header)
		}
		if r := get(ts, "http://localhost:8080"); r.header.Get("Access-Control-Allow-Origin") != "http://localhost:8080" {
			t.Errorf("allowed GET: %v", r.header)
		}
		if r := preflight(ts, "https://evil.example"); r.status != 403 || r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("refused preflight: %d %v", r.status, r.header)
		}
		if r := get(ts, "https://evil.example"); r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("refused GET: %v", r.header)
		}
	})
}

// TestNoSecretsInLogs runs the operations that handle secrets with debug
// logging on and checks that the log holds none of them.
func TestNoSecretsInLogs(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	r := ts.do(t, "POST", "/extensions/me/resetsecret", tokenfile.DemoToken, nil)
	var s newSecretBody
	r.json(t, &s)
	ts.do(t, "GET", "/extensions/me", tokenfile.DemoToken, nil)
	ts.do(t, "GET", "/extensions/me", "not-the-token-but-close", nil)
	ts.do(t, "GET", "/auth/discord/callback?code=secret-code&state=secret-state", "", nil)
	logs := ts.logs.String()
	if !strings.Contains(logs, "SIP secret reset") || !strings.Contains(logs, "path=/extensions/me") {
		t.Fatalf("the log misses the expected lines:\n%s", logs)
	}
	for _, secret := range []string{s.NewSecret, tokenfile.DemoToken, "not-the-token-but-close", "secret-code", "secret-state"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
	// The secret is shown once: nothing reads it back.
	if r := ts.do(t, "GET", "/extensions/me", tokenfile.DemoToken, nil); strings.Contains(string(r.body), s.NewSecret) {
		t.Error("GET /extensions/me reveals the new secret")
	}
}

func TestRoutingAndHeaders(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        string
	}{
		{"PUT", "/extensions/me/dnd", 405, codeMethodNotAllowed, "GET, POST"},
		{"GET", "/extensions/me/resetsecret", 405, codeMethodNotAllowed, "POST"},
		{"GET", "/nope", 404, codeNotFound, ""},
		{"GET", "/extensions/me/", 404, codeNotFound, ""},
		{"POST", "/", 405, codeMethodNotAllowed, "GET"},
	}
	for _, tt := range tests {
		r := ts.do(t, tt.method, tt.path, tokenfile.DemoToken, nil)
		if r.status != tt.status || r.errorCode(t) != tt.code || r.header.Get("Allow") != tt.allow {
			t.Errorf("%s %s: %d %s Allow=%q", tt.method, tt.path, r.status, r.body, r.header.Get("Allow"))
		}
	}
	r := ts.do(t, "GET", "/", "", nil)
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Security-Policy"), "script-src 'self'") ||
		!strings.Contains(string(r.body), `id="login-form"`) {
		t.Errorf("dashboard: %d %v", r.status, r.header)
	}
	for _, p := range []string{"/static/app.js", "/static/app.css"} {
		if r := ts.do(t, "GET", p, "", nil); r.status != 200 || len(r.body) < 1000 {
			t.Errorf("GET %s: %d, %d bytes", p, r.status, len(r.body))
		}
	}
	r = ts.do(t, "GET", "/extensions/me/calls", tokenfile.DemoToken, nil)
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
		"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
}

// TestPBXErrors maps the library's error codes to HTTP.
func TestPBXErrors(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	tests := []struct {
		err    error
		status int
		code   string
	}{
		{pbx.Errorf(pbx.Unavailable, "AMI connection lost"), 503, "unavailable"},
		{pbx.Errorf(pbx.PermissionDenied, "no originate privilege"), 403, "permission_denied"},
		{pbx.Errorf(pbx.Internal, "bad state at 0xdeadbeef"), 500, "internal"},
		{pbx.Errorf(pbx.DeadlineExceeded, "slow"), 504, "deadline_exceeded"},
	}
	for _, tt := range tests {
		n := 1
		if pbx.Code(tt.err) == pbx.Unavailable {
			n = 3 // reads are tried three times on Unavailable
		}
		for range n {
			ts.pbx.FailNext("Calls.List", tt.err)
		}
		r := ts.do(t, "GET", "/extensions/me/calls", tokenfile.DemoToken, nil)
		if r.status != tt.status || r.errorCode(t) != tt.code {
			t.Errorf("%v: %d %s", tt.err, r.status, r.body)
		}
		if tt.status >= 500 && strings.Contains(string(r.body), "0xdeadbeef") {
			t.Errorf("a server error leaks its cause: %s", r.body)
		}
	}
}
