// Package tokenfile reads and writes the token file that the REST example's
// token store (pbxd --tokens) and the Discord bot's link file (pbxbot
// --links) share:
//
//	{
//	  "tokens": [
//	    {"token": "9b2e6c1a-0c55-4b8e-a3f4-0d1e2f3a4b5c", "extension": "1010", "label": "rocord's laptop"},
//	    {"sha256": "<hex SHA-256 of a token>", "extension": "1001", "expires": "2027-01-01T00:00:00Z"}
//	  ],
//	  "discord": {"123456789012345678": "1010"}
//	}
//
// A token is given either in clear ("token", handy for a hand-written file)
// or as the hex SHA-256 of the token ("sha256", so that the file holds no
// usable token). "discord" links Discord user IDs to extensions.
//
// In memory a token is kept only as its SHA-256 (see [Tokens]). Both programs
// may write the same file: pbxd adds the tokens its Discord login mints
// ([UpdateTokens]) and the bot adds and removes "discord" links
// ([UpdateDiscord]). Each save re-reads the file, changes only its own member
// and renames a temporary file over the old one, so neither program erases
// what the other (or the admin) wrote before. Two saves by different processes
// in the same instant can still race: the later rename wins. A running program
// holds the file in a [Store], which reads it again when it changes on disk.
package tokenfile

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// The demo token. It is public (the READMEs print it), so the programs
// accept it only with a mock PBX and no token file.
const (
	// DemoToken is the demo's bearer and link token.
	DemoToken = "6f1c0b6e-1010-4d3b-9a6e-5c0ffee01010"
	// DemoExtension is the extension DemoToken stands for, the demo's LiteNet user.
	DemoExtension = pbx.ExtensionID("1010")
)

// ValidToken reports whether s has a token's length: 16 to 256 bytes. A
// presented token of another length is refused before it is hashed.
func ValidToken(s string) bool {
	return len(s) >= 16 && len(s) <= 256
}

// ValidDiscordID reports whether id looks like a Discord user ID (a
// snowflake): 1 to 20 decimal digits.
func ValidDiscordID(id string) bool {
	if len(id) < 1 || len(id) > 20 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// Token is one member of "tokens".
type Token struct {
	Token       string          `json:"token,omitempty"`  // the token in clear, or
	SHA256      string          `json:"sha256,omitempty"` // its hex SHA-256
	Extension   pbx.ExtensionID `json:"extension"`
	Label       string          `json:"label,omitempty"`
	DiscordID   string          `json:"discordId,omitempty"`   // who the Discord login minted it for
	DiscordName string          `json:"discordName,omitempty"` // their display name then
	Created     time.Time       `json:"created,omitzero"`
	Expires     time.Time       `json:"expires,omitzero"` // zero: never

	hash [32]byte // set by Tokens.Add
}

// Hash returns the SHA-256 of the entry's token, from its clear token or its
// "sha256". Its errors never quote the token.
func (t Token) Hash() ([32]byte, error) {
	var h [32]byte
	switch {
	case t.Token != "" && t.SHA256 != "":
		return h, errors.New(`give "token" or "sha256", not both`)
	case t.Token != "":
		if !ValidToken(t.Token) {
			return h, errors.New("a token must have 16 to 256 characters")
		}
		return sha256.Sum256([]byte(t.Token)), nil
	case t.SHA256 != "":
		b, err := hex.DecodeString(t.SHA256)
		if err != nil || len(b) != len(h) {
			return h, errors.New(`"sha256" must be 64 hex digits`)
		}
		copy(h[:], b)
		return h, nil
	}
	return h, errors.New(`a token needs "token" or "sha256"`)
}

// Expired reports whether the token has expired at now.
func (t Token) Expired(now time.Time) bool {
	return !t.Expires.IsZero() && !now.Before(t.Expires)
}

// Tokens maps the SHA-256 of tokens to their entries, which hold no clear
// token. Make one with Tokens{} or [Parse]; add to it with Add only.
type Tokens map[[32]byte]Token

// Add checks an entry (its token or hash, and its extension) and adds it
// under its hash, dropping its clear token.
func (ts Tokens) Add(t Token) error {
	h, err := t.Hash()
	if err != nil {
		return err
	}
	if err := t.Extension.Validate(); err != nil {
		return err
	}
	t.Token, t.hash = "", h
	ts[h] = t
	return nil
}

// Lookup hashes a presented token and returns its entry and hash, or false
// if it is unknown or expired at now. The map is keyed by the hash, whose
// bytes the caller cannot steer, and the final comparison is constant-time,
// so the lookup's timing tells nothing about the stored tokens.
func (ts Tokens) Lookup(token string, now time.Time) (Token, [32]byte, bool) {
	if !ValidToken(token) {
		return Token{}, [32]byte{}, false
	}
	h := sha256.Sum256([]byte(token))
	t, ok := ts[h]
	if !ok || subtle.ConstantTimeCompare(t.hash[:], h[:]) != 1 || t.Expired(now) {
		return Token{}, [32]byte{}, false
	}
	return t, h, true
}

// File is a token file as parsed.
type File struct {
	Tokens  Tokens                     // "tokens", by hash
	Discord map[string]pbx.ExtensionID // "discord"; never nil
}

// Parse decodes and checks a token file. Its errors never quote a token.
func Parse(data []byte) (*File, error) {
	var j struct {
		Tokens  []Token                    `json:"tokens"`
		Discord map[string]pbx.ExtensionID `json:"discord"`
	}
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, err
	}
	f := &File{Tokens: Tokens{}, Discord: map[string]pbx.ExtensionID{}}
	for i, t := range j.Tokens {
		if err := f.Tokens.Add(t); err != nil {
			return nil, fmt.Errorf("tokens: token %d: %w", i+1, err)
		}
	}
	if err := checkDiscord(j.Discord); err != nil {
		return nil, err
	}
	maps.Copy(f.Discord, j.Discord)
	return f, nil
}

// checkDiscord checks the members of "discord".
func checkDiscord(links map[string]pbx.ExtensionID) error {
	for id, ext := range links {
		if !ValidDiscordID(id) {
			return fmt.Errorf("discord: %q is not a Discord user ID (a snowflake)", id)
		}
		if err := ext.Validate(); err != nil {
			return fmt.Errorf("discord: user %s: %w", id, err)
		}
	}
	return nil
}
