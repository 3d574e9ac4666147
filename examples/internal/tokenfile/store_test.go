package tokenfile

import (
	"os"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestStoreRereadsChanges(t *testing.T) {
	path := writeFile(t, `{"tokens":[{"token":"`+tokA+`","extension":"1010"}],"discord":{"42":"1010"}}`)
	s, err := OpenStore(path, time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1_000_000, 0)
	s.now = func() time.Time { return clock }
	s.checked = clock
	valid := func(token string) bool {
		_, _, ok := s.File().Tokens.Lookup(token, clock)
		return ok
	}
	rewrite := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		content string // written before the step ("-": deleted; "": unchanged)
		advance time.Duration
		a, b    bool
	}{
		{name: "as opened", a: true},
		{name: "revoked, not rechecked yet", content: `{"tokens":[{"token":"` + tokB + `","extension":"1001"}]}`, a: true},
		{name: "revoked, rechecked", advance: time.Second, b: true},
		{name: "half-written edit keeps the last good version", content: `{"tokens":[{"tok`, advance: time.Second, b: true},
		{name: "deleted file holds nothing", content: "-", advance: time.Second},
		{name: "back again", content: `{"tokens":[{"token":"` + tokA + `","extension":"1010"}]}`, advance: time.Second, a: true},
	}
	for _, st := range steps {
		switch st.content {
		case "":
		case "-":
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		default:
			rewrite(st.content)
		}
		clock = clock.Add(st.advance)
		if a, b := valid(tokA), valid(tokB); a != st.a || b != st.b {
			t.Errorf("%s: token A valid %v, B valid %v; want %v, %v", st.name, a, b, st.a, st.b)
		}
	}
}

func TestStoreUpdates(t *testing.T) {
	for _, path := range []string{"", "file"} {
		name := path
		if path == "" {
			name = "memory"
		} else {
			path = writeFile(t, "")
		}
		t.Run(name, func(t *testing.T) {
			s, err := OpenStore(path, time.Hour, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateTokens(func(ts []Token) []Token {
				return append(ts, Token{Token: tokA, Extension: "1010"}, Token{Token: tokB, Extension: "1001"})
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.UpdateDiscord(link("42", "1010")); err != nil {
				t.Fatal(err)
			}
			// Drop B: the edit sees the entries so far, by hash.
			if _, err := s.UpdateTokens(func(ts []Token) []Token {
				out := ts[:0]
				for _, t := range ts {
					if t.Extension != "1001" {
						out = append(out, t)
					}
				}
				return out
			}); err != nil {
				t.Fatal(err)
			}
			f := s.File()
			if _, _, ok := f.Tokens.Lookup(tokA, time.Now()); !ok {
				t.Error("token A lost")
			}
			if _, _, ok := f.Tokens.Lookup(tokB, time.Now()); ok {
				t.Error("token B still valid")
			}
			if f.Discord["42"] != "1010" {
				t.Errorf("links = %v", f.Discord)
			}
			if _, err := s.UpdateDiscord(link("me", "1010")); err == nil {
				t.Error("an invalid Discord ID was saved")
			}
			if _, err := s.UpdateTokens(func(ts []Token) []Token { return append(ts, Token{Token: "short"}) }); err == nil {
				t.Error("an invalid token was saved")
			}
			if got := s.File(); len(got.Tokens) != 1 || len(got.Discord) != 1 {
				t.Errorf("a refused update changed the store: %d tokens, links %v", len(got.Tokens), got.Discord)
			}
			if path != "" {
				back, _, err := Load(path)
				if err != nil || len(back.Tokens) != 1 || back.Discord["42"] != pbx.ExtensionID("1010") {
					t.Errorf("file holds %+v, %v", back, err)
				}
			}
		})
	}
}
