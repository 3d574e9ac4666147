package tokenfile

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

const (
	tokA = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
	tokB = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func TestValid(t *testing.T) {
	tests := []struct {
		s              string
		token, discord bool
	}{
		{"", false, false},
		{"42", false, true},
		{"123456789012345678", true, true},
		{strings.Repeat("9", 20), true, true},
		{strings.Repeat("9", 21), true, false},
		{strings.Repeat("a", 15), false, false},
		{strings.Repeat("a", 16), true, false},
		{strings.Repeat("a", 256), true, false},
		{strings.Repeat("a", 257), false, false},
		{"-12", false, false},
		{DemoToken, true, false},
	}
	for _, tt := range tests {
		if got := ValidToken(tt.s); got != tt.token {
			t.Errorf("ValidToken(%q) = %v", tt.s, got)
		}
		if got := ValidDiscordID(tt.s); got != tt.discord {
			t.Errorf("ValidDiscordID(%q) = %v", tt.s, got)
		}
	}
}

func TestParse(t *testing.T) {
	const secret = "short-secret"
	tests := []struct {
		name    string
		file    string
		wantErr string
		tokens  int
		discord map[string]pbx.ExtensionID
	}{
		{name: "clear and hashed",
			file:   `{"tokens":[{"token":"` + tokA + `","extension":"1010","label":"x"},{"sha256":"` + sha(tokB) + `","extension":"1001"}],"discord":{"42":"1010"}}`,
			tokens: 2, discord: map[string]pbx.ExtensionID{"42": "1010"}},
		{name: "upper-case hash", file: `{"tokens":[{"sha256":"` + strings.ToUpper(sha(tokB)) + `","extension":"1001"}]}`, tokens: 1},
		{name: "other members", file: `{"other":[1,2],"tokens":[]}`},
		{name: "empty object", file: `{}`},
		{name: "null", file: `null`},
		{name: "both forms", file: `{"tokens":[{"token":"` + tokA + `","sha256":"` + sha(tokA) + `","extension":"1010"}]}`, wantErr: "tokens: token 1: give"},
		{name: "short token", file: `{"tokens":[{"token":"` + secret + `","extension":"1010"}]}`, wantErr: "16 to 256"},
		{name: "long token", file: `{"tokens":[{"token":"` + strings.Repeat("x", 257) + `","extension":"1010"}]}`, wantErr: "16 to 256"},
		{name: "bad hash", file: `{"tokens":[{"sha256":"abc","extension":"1010"}]}`, wantErr: "64 hex"},
		{name: "no token", file: `{"tokens":[{"extension":"1010"}]}`, wantErr: "needs"},
		{name: "bad extension", file: `{"tokens":[{"token":"` + tokA + `","extension":"10;10"}]}`, wantErr: "extension"},
		{name: "no extension", file: `{"tokens":[{"token":"` + tokA + `"}]}`, wantErr: "extension is empty"},
		{name: "bad Discord ID", file: `{"discord":{"me":"1010"}}`, wantErr: "snowflake"},
		{name: "bad Discord extension", file: `{"discord":{"42":"x"}}`, wantErr: `discord: user 42: pbx: invalid argument: extension "x"`},
		{name: "not JSON", file: `tokens: yes`, wantErr: "invalid character"},
		{name: "not an object", file: `[]`, wantErr: "cannot unmarshal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.file))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), tokA) {
					t.Errorf("the error quotes a token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Tokens) != tt.tokens || len(f.Discord) != len(tt.discord) || f.Discord == nil {
				t.Fatalf("got %d tokens and links %v", len(f.Tokens), f.Discord)
			}
			for id, ext := range tt.discord {
				if f.Discord[id] != ext {
					t.Errorf("discord[%s] = %q, want %q", id, f.Discord[id], ext)
				}
			}
			for _, e := range f.Tokens {
				if e.Token != "" {
					t.Errorf("a clear token is kept in memory: %+v", e)
				}
			}
		})
	}
}

func TestLookup(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ts := Tokens{}
	for _, e := range []Token{
		{Token: tokA, Extension: "1010", Label: "a"},
		{SHA256: sha(tokB), Extension: "1001", DiscordName: "Bob", Expires: now.Add(time.Hour)},
		{Token: "cccccccc-cccc-4ccc-8ccc-cccccccccccc", Extension: "1002", Expires: now},
		{Token: DemoToken, Extension: DemoExtension},
	} {
		if err := ts.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		token string
		ext   pbx.ExtensionID // "" for none
	}{
		{tokA, "1010"},
		{tokB, "1001"},
		{DemoToken, "1010"},
		{"cccccccc-cccc-4ccc-8ccc-cccccccccccc", ""}, // expires now
		{strings.ToUpper(tokA), ""},
		{tokA + " ", ""},
		{sha(tokB), ""}, // the hash is not the token
		{"", ""},
		{"short", ""},
		{strings.Repeat("a", 5000), ""},
	}
	for _, tt := range tests {
		e, h, ok := ts.Lookup(tt.token, now)
		if ok != (tt.ext != "") || e.Extension != tt.ext {
			t.Errorf("Lookup(%.20q) = %q, %v; want %q", tt.token, e.Extension, ok, tt.ext)
			continue
		}
		if ok && h != sha256.Sum256([]byte(tt.token)) {
			t.Errorf("Lookup(%q) returned a hash that is not the token's", tt.token)
		}
		if e.Token != "" {
			t.Errorf("Lookup(%q) returned the clear token", tt.token)
		}
	}
	if e, _, _ := ts.Lookup(tokB, now); e.DiscordName != "Bob" {
		t.Errorf("the entry's fields were not kept: %+v", e)
	}
	// An entry put in the map without Add (and so without its hash) never matches.
	ts[sha256.Sum256([]byte(tokB))] = Token{Extension: "1001"}
	if _, _, ok := ts.Lookup(tokB, now); ok {
		t.Error("an entry not added with Add matched")
	}
}

func TestExpired(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		expires time.Time
		want    bool
	}{
		{time.Time{}, false},
		{now.Add(time.Nanosecond), false},
		{now, true},
		{now.Add(-time.Hour), true},
	}
	for _, tt := range tests {
		if got := (Token{Expires: tt.expires}).Expired(now); got != tt.want {
			t.Errorf("Expired with expiry %v = %v", tt.expires, got)
		}
	}
}
