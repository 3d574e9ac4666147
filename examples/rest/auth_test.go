package main

import (
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
)

func writeTokens(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

var discard = slog.New(slog.DiscardHandler)

func TestTokenStoreLoad(t *testing.T) {
	const a, b = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	tests := []struct {
		name    string
		file    string
		wantErr string
		valid   map[string]string // token → extension
		invalid []string
	}{
		{name: "clear and hashed tokens",
			file:  `{"tokens":[{"token":"` + a + `","extension":"1010"},{"sha256":"` + sha(b) + `","extension":"1001"}]}`,
			valid: map[string]string{a: "1010", b: "1001"}, invalid: []string{tokenfile.DemoToken, sha(b), strings.ToUpper(a)}},
		{name: "expired token",
			file:  `{"tokens":[{"token":"` + a + `","extension":"1010","expires":"2001-01-01T00:00:00Z"},{"token":"` + b + `","extension":"1001","expires":"2999-01-01T00:00:00Z"}]}`,
			valid: map[string]string{b: "1001"}, invalid: []string{a}},
		{name: "empty file", file: `{}`, invalid: []string{tokenfile.DemoToken}},
		{name: "both forms", file: `{"tokens":[{"token":"` + a + `","sha256":"` + sha(a) + `","extension":"1010"}]}`, wantErr: "not both"},
		{name: "short token", file: `{"tokens":[{"token":"short","extension":"1010"}]}`, wantErr: "16 to 256"},
		{name: "bad hash", file: `{"tokens":[{"sha256":"abc","extension":"1010"}]}`, wantErr: "64 hex"},
		{name: "no token", file: `{"tokens":[{"extension":"1010"}]}`, wantErr: "needs"},
		{name: "bad extension", file: `{"tokens":[{"token":"` + a + `","extension":"10;10"}]}`, wantErr: "extension"},
		{name: "bad Discord ID", file: `{"discord":{"me":"1010"}}`, wantErr: "snowflake"},
		{name: "not JSON", file: `tokens: yes`, wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := openTokenStore(writeTokens(t, tt.file), true, discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.demo {
				t.Error("a token file must disable the demo token")
			}
			for tok, ext := range tt.valid {
				if p, ok := s.lookup(tok); !ok || string(p.ext) != ext {
					t.Errorf("lookup(%s) = %v, %v; want %s", tok, p, ok, ext)
				}
			}
			for _, tok := range tt.invalid {
				if _, ok := s.lookup(tok); ok {
					t.Errorf("lookup(%s) succeeded", tok)
				}
			}
		})
	}
}

func TestTokenStoreDemo(t *testing.T) {
	s, err := openTokenStore("", true, discard)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := s.lookup(tokenfile.DemoToken); !ok || p.ext != tokenfile.DemoExtension {
		t.Fatalf("the demo token does not sign in as 1010 on a mock PBX")
	}
	s, err = openTokenStore("", false, discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.lookup(tokenfile.DemoToken); ok || s.demo {
		t.Fatal("the demo token is accepted with a real PBX")
	}
}

// TestTokenStoreFollowsFile shows that a running pbxd honours changes to the
// token file without a restart: a token the admin deletes stops working, and
// a Discord link the bot adds can sign in.
func TestTokenStoreFollowsFile(t *testing.T) {
	const a = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
	path := writeTokens(t, `{"tokens":[{"token":"`+a+`","extension":"1010"}]}`)
	s, err := openTokenStore(path, false, discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s.lookup(a); !ok {
		t.Fatal("the token of the file does not sign in")
	}
	if err := os.WriteFile(path, []byte(`{"tokens":[],"discord":{"42":"1002"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(tokenRecheck + 50*time.Millisecond) // the store checks the file at most this often
	if _, ok := s.lookup(a); ok {
		t.Error("a token deleted from the file still signs in")
	}
	if ext, ok := s.discordExtension("42"); !ok || ext != "1002" {
		t.Errorf("a link added to the file is not seen: %q, %v", ext, ok)
	}
}

func TestTokenStoreMint(t *testing.T) {
	path := writeTokens(t, `{"tokens":[{"token":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","extension":"1010","expires":"2001-01-01T00:00:00Z"}],"discord":{"42":"1002"}}`)
	s, err := openTokenStore(path, true, discard)
	if err != nil {
		t.Fatal(err)
	}
	ext, ok := s.discordExtension("42")
	if !ok || ext != "1002" {
		t.Fatalf("discordExtension(42) = %s, %v", ext, ok)
	}
	tok, exp, err := s.mint(ext, "42", "Bob", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 36 || tok[14] != '4' || time.Until(exp) < 59*time.Minute {
		t.Errorf("minted %q expiring %v", tok, exp)
	}
	if p, ok := s.lookup(tok); !ok || p.ext != "1002" || p.discordName != "Bob" {
		t.Errorf("lookup of the minted token: %+v %v", p, ok)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), tok) || !strings.Contains(string(b), sha(tok)) {
		t.Errorf("the store must hold the token's hash only:\n%s", b)
	}
	if strings.Contains(string(b), "aaaaaaaa-aaaa") {
		t.Errorf("the expired token was not pruned:\n%s", b)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store mode %v, want 0600", fi.Mode())
	}
	// A new process reads the minted token back.
	s2, err := openTokenStore(path, false, discard)
	if err != nil {
		t.Fatal(err)
	}
	if p, ok := s2.lookup(tok); !ok || p.ext != "1002" {
		t.Error("the minted token does not survive a restart")
	}
	if f, err := tokenfile.Parse(b); err != nil || f.Discord["42"] != "1002" {
		t.Errorf("the Discord links were lost: %v", err)
	}
}

func TestUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		u := newUUID()
		if len(u) != 36 || u[8] != '-' || u[13] != '-' || u[14] != '4' || !strings.ContainsRune("89ab", rune(u[19])) || seen[u] {
			t.Fatalf("bad or repeated UUID %q", u)
		}
		seen[u] = true
	}
}

// TestAuthHeader covers the forms of the Authorization header.
func TestAuthHeader(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	tests := []struct {
		header string
		status int
	}{
		{"Bearer " + tokenfile.DemoToken, 200},
		{"bearer " + tokenfile.DemoToken, 200},
		{"Bearer  " + tokenfile.DemoToken + " ", 200},
		{"", 401},
		{"Bearer", 401},
		{"Bearer ", 401},
		{"Basic " + tokenfile.DemoToken, 401},
		{tokenfile.DemoToken, 401},
		{"Bearer " + strings.ToUpper(tokenfile.DemoToken), 401},
		{"Bearer " + tokenfile.DemoToken[:35], 401},
		{"Bearer " + strings.Repeat("a", 5000), 401},
	}
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/extensions/me/dnd", nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		r := ts.send(t, req)
		if r.status != tt.status {
			t.Errorf("Authorization %.40q: status %d, want %d", tt.header, r.status, tt.status)
		}
	}
}
