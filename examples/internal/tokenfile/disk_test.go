package tokenfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokens.json")
	if content != "" {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// members returns the file's top-level members, as JSON text.
func members(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("%v:\n%s", err, data)
	}
	out := map[string]string{}
	for k, v := range raw {
		var compact bytes.Buffer
		if err := json.Compact(&compact, v); err != nil {
			t.Fatal(err)
		}
		out[k] = compact.String()
	}
	return out
}

func link(user string, ext pbx.ExtensionID) func(map[string]pbx.ExtensionID) {
	return func(m map[string]pbx.ExtensionID) { m[user] = ext }
}

func TestLoad(t *testing.T) {
	path := writeFile(t, `{"tokens":[{"token":"`+tokA+`","extension":"1010"}],"discord":{"42":"1010"}}`)
	f, st, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := f.Tokens.Lookup(tokA, time.Now()); !ok || f.Discord["42"] != "1010" {
		t.Errorf("loaded %+v", f)
	}
	if now, err := StampOf(path); err != nil || now != st || st == (Stamp{}) {
		t.Errorf("StampOf = %v, %v; Load's stamp %v", now, err, st)
	}
	time.Sleep(10 * time.Millisecond) // a new modification time
	if err := os.WriteFile(path, []byte(`{}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if now, _ := StampOf(path); now == st {
		t.Error("the stamp did not change with the file")
	}

	missing := filepath.Join(t.TempDir(), "none.json")
	if _, _, err := Load(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v", err)
	}
	if _, err := StampOf(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("StampOf of a missing file: %v", err)
	}
	bad := writeFile(t, `{"tokens":[{"token":"`+tokA+`","extension":""}]}`)
	if _, _, err := Load(bad); err == nil || !strings.Contains(err.Error(), bad) || strings.Contains(err.Error(), tokA) {
		t.Errorf("Load of a bad file: %v", err)
	}
}

func TestUpdate(t *testing.T) {
	const start = `{"tokens": [{"token": "` + tokA + `", "extension": "1010", "label": "a"}],
		"discord": {"42": "1010"}, "other": {"kept": [1, "two"]}}`
	minted := Token{SHA256: sha(tokB), Extension: "1001", Label: "discord login",
		Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Expires: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name    string
		start   string // "" for no file
		save    func(path string) (*File, Stamp, error)
		want    map[string]string // members after the save
		wantErr string
	}{
		{name: "link", start: start,
			save: func(p string) (*File, Stamp, error) { return UpdateDiscord(p, link("43", "1001")) },
			want: map[string]string{
				"tokens":  `[{"token":"` + tokA + `","extension":"1010","label":"a"}]`,
				"discord": `{"42":"1010","43":"1001"}`,
				"other":   `{"kept":[1,"two"]}`}},
		{name: "unlink", start: start,
			save: func(p string) (*File, Stamp, error) {
				return UpdateDiscord(p, func(m map[string]pbx.ExtensionID) { delete(m, "42") })
			},
			want: map[string]string{
				"tokens":  `[{"token":"` + tokA + `","extension":"1010","label":"a"}]`,
				"discord": `{}`,
				"other":   `{"kept":[1,"two"]}`}},
		{name: "mint", start: start,
			save: func(p string) (*File, Stamp, error) {
				return UpdateTokens(p, func(ts []Token) []Token { return append(ts, minted) })
			},
			want: map[string]string{
				"tokens": `[{"token":"` + tokA + `","extension":"1010","label":"a"},` +
					`{"sha256":"` + sha(tokB) + `","extension":"1001","label":"discord login","created":"2026-01-01T00:00:00Z","expires":"2027-01-01T00:00:00Z"}]`,
				"discord": `{"42":"1010"}`,
				"other":   `{"kept":[1,"two"]}`}},
		{name: "remove every token",
			start: start,
			save:  func(p string) (*File, Stamp, error) { return UpdateTokens(p, func([]Token) []Token { return nil }) },
			want:  map[string]string{"tokens": `[]`, "discord": `{"42":"1010"}`, "other": `{"kept":[1,"two"]}`}},
		{name: "link into a new file",
			save: func(p string) (*File, Stamp, error) { return UpdateDiscord(p, link("43", "1001")) },
			want: map[string]string{"discord": `{"43":"1001"}`}},
		{name: "mint into a null file", start: `null`,
			save: func(p string) (*File, Stamp, error) {
				return UpdateTokens(p, func(ts []Token) []Token { return append(ts, minted) })
			},
			want: map[string]string{"tokens": `[{"sha256":"` + sha(tokB) + `","extension":"1001","label":"discord login","created":"2026-01-01T00:00:00Z","expires":"2027-01-01T00:00:00Z"}]`}},
		{name: "a bad file on disk is left alone", start: `{"tokens": [{"token": "short"}], "discord": {}}`,
			save:    func(p string) (*File, Stamp, error) { return UpdateDiscord(p, link("43", "1001")) },
			wantErr: "16 to 256"},
		{name: "a broken file on disk is left alone", start: `{"discord": {`,
			save:    func(p string) (*File, Stamp, error) { return UpdateDiscord(p, link("43", "1001")) },
			wantErr: "unexpected end"},
		{name: "a bad edit is not written", start: start,
			save:    func(p string) (*File, Stamp, error) { return UpdateDiscord(p, link("43", "10 01")) },
			wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.start)
			f, st, err := tt.save(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if data, _ := os.ReadFile(path); string(data) != tt.start {
					t.Errorf("the file was changed:\n%s", data)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got := members(t, path); !maps.Equal(got, tt.want) {
					t.Errorf("file members:\n got %v\nwant %v", got, tt.want)
				}
				if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
				}
				if now, err := StampOf(path); err != nil || now != st {
					t.Errorf("the returned stamp %v is not the file's %v (%v)", st, now, err)
				}
				reread, _, err := Load(path)
				if err != nil || !slices.Equal(sortedKeys(reread.Tokens), sortedKeys(f.Tokens)) || !maps.Equal(reread.Discord, f.Discord) {
					t.Errorf("the returned file %+v is not the one written %+v (%v)", f, reread, err)
				}
			}
			entries, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range entries {
				if e.Name() != filepath.Base(path) {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}

// TestInterleavedSaves runs a pbxd-style and a bot-style writer on one file,
// each with the view it loaded at start: neither loses the other's changes,
// nor the admin's.
func TestInterleavedSaves(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	path := writeFile(t, `{"tokens": [
		{"token": "`+tokA+`", "extension": "1010", "label": "hand-written"},
		{"token": "eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee", "extension": "1002", "expires": "2001-01-01T00:00:00Z"}
	], "discord": {"100000000000000001": "1010"}, "comment": "the admin's"}`)
	pbxd, _, err := Load(path) // pbxd reads the file at start
	if err != nil {
		t.Fatal(err)
	}
	bot, botStamp, err := Load(path) // and so does the bot
	if err != nil {
		t.Fatal(err)
	}
	// pbxd mints: it prunes expired tokens and appends the new one.
	mint := func(token string, ext pbx.ExtensionID) {
		t.Helper()
		e := Token{SHA256: sha(token), Extension: ext, Label: "discord login", Created: now, Expires: now.Add(time.Hour)}
		if _, _, err := UpdateTokens(path, func(ts []Token) []Token {
			return append(slices.DeleteFunc(ts, func(t Token) bool { return t.Expired(now) }), e)
		}); err != nil {
			t.Fatal(err)
		}
		if err := pbxd.Tokens.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	// The bot re-reads the file when its stamp changed, then saves its edit
	// and adopts the file it wrote.
	botSave := func(edit func(links map[string]pbx.ExtensionID)) {
		t.Helper()
		if st, err := StampOf(path); err != nil {
			t.Fatal(err)
		} else if st != botStamp {
			if bot, botStamp, err = Load(path); err != nil {
				t.Fatal(err)
			}
		}
		f, st, err := UpdateDiscord(path, edit)
		if err != nil {
			t.Fatal(err)
		}
		bot, botStamp = f, st
	}
	// /link: the bot looks the token up in what it read.
	linkWith := func(user, token string) {
		t.Helper()
		botSave(func(links map[string]pbx.ExtensionID) {
			e, _, ok := bot.Tokens.Lookup(token, now)
			if !ok {
				t.Fatalf("the bot does not know token %s", token)
			}
			links[user] = e.Extension
		})
	}

	const t1, t2 = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
	// pbxd writes first; the bot links on the view it loaded at start.
	mint(t1, "1001")
	linkWith("100000000000000002", tokA)
	// pbxd mints on its view, which lacks the new link.
	mint(t2, "1003")
	// The bot sees pbxd's new token, links with it, and unlinks a user.
	linkWith("100000000000000003", t2)
	botSave(func(links map[string]pbx.ExtensionID) { delete(links, "100000000000000001") })

	f, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{tokA, t1, t2} {
		if _, _, ok := f.Tokens.Lookup(tok, now); !ok {
			t.Errorf("token %s was lost", tok)
		}
	}
	for _, tok := range []string{tokA, t1, t2} {
		if _, _, ok := pbxd.Tokens.Lookup(tok, now); !ok {
			t.Errorf("pbxd does not know token %s", tok)
		}
	}
	if len(f.Tokens) != 3 {
		t.Errorf("%d tokens, want 3 (the expired one pruned)", len(f.Tokens))
	}
	want := map[string]pbx.ExtensionID{"100000000000000002": "1010", "100000000000000003": "1003"}
	if !maps.Equal(f.Discord, want) {
		t.Errorf("links %v, want %v", f.Discord, want)
	}
	m := members(t, path)
	if m["comment"] != `"the admin's"` || !strings.Contains(m["tokens"], `"token":"`+tokA+`"`) {
		t.Errorf("the admin's member or clear token was not kept: %v", m)
	}
}

func sortedKeys(ts Tokens) []string {
	var out []string
	for h := range ts {
		out = append(out, string(h[:]))
	}
	slices.Sort(out)
	return out
}
