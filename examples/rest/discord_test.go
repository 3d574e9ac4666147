package main

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeDiscord is a local stand-in for Discord's OAuth2 token endpoint and
// /users/@me. Codes it accepts map to Discord users.
type fakeDiscord struct {
	*httptest.Server
	t           *testing.T
	mu          sync.Mutex
	codes       map[string]string // code → Discord user ID
	gotRedirect string
}

const (
	fakeClientID     = "1122334455"
	fakeClientSecret = "s3cr3t-client-secret"
	fakeAccessToken  = "discord-access-token-xyz"
)

func newFakeDiscord(t *testing.T) *fakeDiscord {
	f := &fakeDiscord{t: t, codes: map[string]string{
		"good-code":     demoDiscordID,        // linked to 1010 in the demo store
		"unlinked-code": "999999999999999999", // no extension
	}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/oauth2/token", func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if !ok || id != fakeClientID || secret != fakeClientSecret {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "authorization_code" {
			http.Error(w, `{"error":"unsupported_grant_type"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		user, ok := f.codes[r.PostForm.Get("code")]
		delete(f.codes, r.PostForm.Get("code")) // codes are single-use
		f.gotRedirect = r.PostForm.Get("redirect_uri")
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"invalid_grant"}`, http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": fakeAccessToken + ":" + user, "token_type": "Bearer",
			"expires_in": 604800, "refresh_token": "refresh", "scope": "identify"})
	})
	mux.HandleFunc("GET /api/users/@me", func(w http.ResponseWriter, r *http.Request) {
		user, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "+fakeAccessToken+":")
		if !ok {
			http.Error(w, `{"message":"401: Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": user, "username": "rocord", "global_name": "Rocord Display", "avatar": "a1b2c3d4e5f6"})
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func discordFlags(f *fakeDiscord) ([]string, map[string]string) {
	return []string{
			"--discord-client-id=" + fakeClientID,
			"--discord-authorize-url=" + f.URL + "/oauth2/authorize",
			"--discord-token-url=" + f.URL + "/api/oauth2/token",
			"--discord-api-url=" + f.URL + "/api",
		}, map[string]string{
			"DISCORD_CLIENT_SECRET": fakeClientSecret,
		}
}

// browser is an HTTP client with cookies that does not follow redirects.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// startLogin runs GET /auth/discord and returns the state Discord would get.
func startLogin(t *testing.T, ts *testServer, f *fakeDiscord, c *http.Client) string {
	t.Helper()
	resp, err := c.Get(ts.URL + "/auth/discord")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /auth/discord: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), f.URL+"/oauth2/authorize?") {
		t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("client_id") != fakeClientID || q.Get("response_type") != "code" || q.Get("scope") != "identify" ||
		q.Get("redirect_uri") != "http://localhost:3001/auth/discord/callback" || len(q.Get("state")) < 40 {
		t.Fatalf("authorize parameters: %v", q)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == stateCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/auth/discord" ||
		cookie.Value != q.Get("state") || cookie.MaxAge <= 0 {
		t.Fatalf("state cookie: %+v", cookie)
	}
	return q.Get("state")
}

// callback calls /auth/discord/callback as Discord's redirect would.
func callback(t *testing.T, ts *testServer, c *http.Client, query url.Values, wantJSON bool) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/auth/discord/callback?"+query.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if wantJSON {
		req.Header.Set("Accept", "application/json")
	} else {
		req.Header.Set("Accept", "text/html,application/xhtml+xml")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r response
	r.status, r.header = resp.StatusCode, resp.Header
	_ = json.NewDecoder(resp.Body).Decode(new(any))
	return r
}

func TestDiscordLogin(t *testing.T) {
	f := newFakeDiscord(t)
	flags, env := discordFlags(f)
	ts := newTestServer(t, flags, env)
	c := browser(t)

	state := startLogin(t, ts, f, c)
	req, _ := http.NewRequestWithContext(t.Context(), "GET",
		ts.URL+"/auth/discord/callback?"+url.Values{"code": {"good-code"}, "state": {state}}.Encode(), nil)
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var got loginResult
	err = json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || got.Extension != "1010" || got.TokenType != "Bearer" || len(got.Token) != 36 {
		t.Fatalf("callback: %d %+v %v", resp.StatusCode, got, err)
	}
	f.mu.Lock()
	redirect := f.gotRedirect
	f.mu.Unlock()
	if redirect != "http://localhost:3001/auth/discord/callback" {
		t.Errorf("the token request's redirect_uri is %q", redirect)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Error("the token answer may be cached")
	}

	// The minted token signs in as 1010, with the Discord display name.
	r := ts.do(t, "GET", "/extensions/me", got.Token, nil)
	var d extensionDetails
	r.json(t, &d)
	if r.status != 200 || d.ExtensionID != "1010" || d.User.Name != "Rocord Display" {
		t.Fatalf("GET /extensions/me with the minted token: %d %s", r.status, r.body)
	}

	// The state was single-use: replaying the callback fails.
	if r := callback(t, ts, c, url.Values{"code": {"good-code"}, "state": {state}}, true); r.status != 400 {
		t.Errorf("replayed callback: %d, want 400", r.status)
	}

	// Nothing secret reached the log.
	logs := ts.logs.String()
	for _, secret := range []string{got.Token, "good-code", state, fakeAccessToken, fakeClientSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs)
		}
	}
}

func TestDiscordLoginRedirect(t *testing.T) {
	f := newFakeDiscord(t)
	flags, env := discordFlags(f)
	ts := newTestServer(t, flags, env)
	c := browser(t)
	state := startLogin(t, ts, f, c)
	r := callback(t, ts, c, url.Values{"code": {"good-code"}, "state": {state}}, false)
	loc := r.header.Get("Location")
	tok, ok := strings.CutPrefix(loc, "/#token=")
	if r.status != http.StatusSeeOther || !ok {
		t.Fatalf("callback for a browser: %d to %q", r.status, loc)
	}
	if r := ts.do(t, "GET", "/extensions/me/dnd", tok, nil); r.status != 200 {
		t.Errorf("the token from the redirect does not work: %d", r.status)
	}
}

func TestDiscordLoginFailures(t *testing.T) {
	f := newFakeDiscord(t)
	flags, env := discordFlags(f)
	tests := []struct {
		name   string
		query  func(state string) url.Values
		fresh  bool // a client without the state cookie (a forged callback)
		status int
		code   string
	}{
		{name: "state mismatch", query: func(string) url.Values { return url.Values{"code": {"good-code"}, "state": {"forged"}} }, status: 400, code: codeInvalid},
		{name: "no state", query: func(string) url.Values { return url.Values{"code": {"good-code"}} }, status: 400, code: codeInvalid},
		{name: "no cookie", fresh: true, query: func(s string) url.Values { return url.Values{"code": {"good-code"}, "state": {s}} }, status: 400, code: codeInvalid},
		{name: "user refused", query: func(s string) url.Values { return url.Values{"error": {"access_denied"}, "state": {s}} }, status: 403, code: codeForbidden},
		{name: "no code", query: func(s string) url.Values { return url.Values{"state": {s}} }, status: 400, code: codeInvalid},
		{name: "code refused", query: func(s string) url.Values { return url.Values{"code": {"stolen"}, "state": {s}} }, status: 502, code: codeUnavailable},
		{name: "no linked extension", query: func(s string) url.Values { return url.Values{"code": {"unlinked-code"}, "state": {s}} }, status: 403, code: codeForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, flags, env)
			c := browser(t)
			state := startLogin(t, ts, f, c)
			if tt.fresh {
				c = browser(t)
			}
			req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/auth/discord/callback?"+tt.query(state).Encode(), nil)
			req.Header.Set("Accept", "application/json")
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var e errorBody
			_ = json.NewDecoder(resp.Body).Decode(&e)
			if resp.StatusCode != tt.status || e.Error.Code != tt.code {
				t.Errorf("status %d %q, want %d %q (%s)", resp.StatusCode, e.Error.Code, tt.status, tt.code, e.Error.Message)
			}
		})
	}
}

func TestDiscordNotConfigured(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	for _, p := range []string{"/auth/discord", "/auth/discord/callback?code=x&state=y"} {
		if r := ts.do(t, "GET", p, "", nil); r.status != http.StatusNotImplemented || r.errorCode(t) != codeUnsupported {
			t.Errorf("GET %s without Discord settings: %d %s", p, r.status, r.body)
		}
	}
}
