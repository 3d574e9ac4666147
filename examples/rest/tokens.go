package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// demoDiscordID is the document's example Discord user ID. With the demo
// token (mock PBX, no --tokens file), the store links it to the demo
// extension so that the Discord login can be tried against a fake OAuth
// server.
const demoDiscordID = "123456789012345678"

// principal is the signed-in user of a request.
type principal struct {
	ext pbx.ExtensionID
	// key is the SHA-256 of the token: the rate limit's key, never the token.
	key         [32]byte
	discordName string // the Discord display name, for tokens the Discord login minted
}

// tokenRecheck is how often the token file is checked for changes: a token
// deleted from it stops working within this time.
const tokenRecheck = time.Second

// tokenStore maps bearer tokens to extensions. Its file (--tokens) is read
// at start and again whenever it changes (checked at most once per
// tokenRecheck); the file's format, hashing and saving are package
// tokenfile's. Tokens are kept only as their SHA-256.
type tokenStore struct {
	store *tokenfile.Store
	demo  bool // the demo token is in the store
	now   func() time.Time
}

// openTokenStore loads the store at path. With no path it is empty, except
// that a mock PBX gets the demo token and the demo Discord link.
func openTokenStore(path string, mockPBX bool, log *slog.Logger) (*tokenStore, error) {
	store, err := tokenfile.OpenStore(path, tokenRecheck, log)
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	s := &tokenStore{store: store, now: time.Now}
	switch {
	case path == "" && mockPBX:
		s.demo = true
		if _, err := store.UpdateTokens(func(ts []tokenfile.Token) []tokenfile.Token {
			return append(ts, tokenfile.Token{Token: tokenfile.DemoToken, Extension: tokenfile.DemoExtension, Label: "demo"})
		}); err != nil {
			return nil, err
		}
		if _, err := store.UpdateDiscord(func(links map[string]pbx.ExtensionID) {
			links[demoDiscordID] = tokenfile.DemoExtension
		}); err != nil {
			return nil, err
		}
	case path == "":
		log.Warn("no --tokens file: no token is valid until the Discord login adds one, and logins are not saved")
	default:
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			log.Info("token store does not exist yet; it will be created by the first Discord login", "path", path)
		case err == nil && fi.Mode().Perm()&0o077 != 0:
			log.Warn("token store is readable by other users; chmod 600 it", "path", path)
		}
	}
	return s, nil
}

// lookup returns the principal of a bearer token, or false if the token is
// unknown or expired.
func (s *tokenStore) lookup(token string) (*principal, bool) {
	e, h, ok := s.store.File().Tokens.Lookup(token, s.now())
	if !ok {
		return nil, false
	}
	return &principal{ext: e.Extension, key: h, discordName: e.DiscordName}, true
}

// discordExtension returns the extension linked to a Discord user.
func (s *tokenStore) discordExtension(discordID string) (pbx.ExtensionID, bool) {
	ext, ok := s.store.File().Discord[discordID]
	return ext, ok
}

// mint creates a token for ext, valid for ttl, and saves its hash. The token
// is returned once and never stored or logged in clear. The save re-reads the
// file and changes only "tokens", so that links the bot (examples/bot) or
// the admin wrote meanwhile are kept.
func (s *tokenStore) mint(ext pbx.ExtensionID, discordID, discordName string, ttl time.Duration) (string, time.Time, error) {
	token := newUUID()
	h := sha256.Sum256([]byte(token))
	now := s.now().UTC().Truncate(time.Second)
	e := tokenfile.Token{SHA256: hex.EncodeToString(h[:]), Extension: ext, DiscordID: discordID,
		DiscordName: discordName, Created: now, Expires: now.Add(ttl), Label: "discord login"}
	_, err := s.store.UpdateTokens(func(ts []tokenfile.Token) []tokenfile.Token {
		// Drop expired tokens so that the store does not grow forever.
		return append(slices.DeleteFunc(ts, func(t tokenfile.Token) bool { return t.Expired(now) }), e)
	})
	if err != nil {
		return "", time.Time{}, fmt.Errorf("saving the token store: %w", err)
	}
	return token, e.Expires, nil
}

// newUUID returns a random (version 4) UUID, the document's bearer format.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
