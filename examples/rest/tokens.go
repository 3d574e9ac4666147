package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
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

// tokenStore maps bearer tokens to extensions. Its file (--tokens) is read
// at start; the file's format, hashing and saving are package tokenfile's.
// Tokens are kept only as their SHA-256.
type tokenStore struct {
	path string // "" keeps the store in memory
	demo bool   // the demo token is in the store
	log  *slog.Logger
	now  func() time.Time

	mu      sync.RWMutex
	tokens  tokenfile.Tokens // as loaded, plus minted tokens
	discord map[string]pbx.ExtensionID
}

// openTokenStore loads the store at path. With no path it is empty, except
// that a mock PBX gets the demo token and the demo Discord link.
func openTokenStore(path string, mockPBX bool, log *slog.Logger) (*tokenStore, error) {
	s := &tokenStore{path: path, log: log, now: time.Now,
		tokens: tokenfile.Tokens{}, discord: map[string]pbx.ExtensionID{}}
	if path == "" {
		if mockPBX {
			s.demo = true
			if err := s.tokens.Add(tokenfile.Token{Token: tokenfile.DemoToken, Extension: tokenfile.DemoExtension, Label: "demo"}); err != nil {
				return nil, err
			}
			s.discord[demoDiscordID] = tokenfile.DemoExtension
		} else {
			log.Warn("no --tokens file: no token is valid until the Discord login adds one, and logins are not saved")
		}
		return s, nil
	}
	f, _, err := tokenfile.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		log.Info("token store does not exist yet; it will be created by the first Discord login", "path", path)
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("token store: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("token store is readable by other users; chmod 600 it", "path", path)
	}
	s.tokens, s.discord = f.Tokens, f.Discord
	return s, nil
}

// lookup returns the principal of a bearer token, or false if the token is
// unknown or expired.
func (s *tokenStore) lookup(token string) (*principal, bool) {
	s.mu.RLock()
	e, h, ok := s.tokens.Lookup(token, s.now())
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return &principal{ext: e.Extension, key: h, discordName: e.DiscordName}, true
}

// discordExtension returns the extension linked to a Discord user.
func (s *tokenStore) discordExtension(discordID string) (pbx.ExtensionID, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ext, ok := s.discord[discordID]
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
	expired := func(t tokenfile.Token) bool { return t.Expired(now) }
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path != "" {
		_, _, err := tokenfile.UpdateTokens(s.path, func(ts []tokenfile.Token) []tokenfile.Token {
			// Drop expired tokens so that the store does not grow forever.
			return append(slices.DeleteFunc(ts, expired), e)
		})
		if err != nil {
			return "", time.Time{}, fmt.Errorf("saving the token store: %w", err)
		}
	}
	maps.DeleteFunc(s.tokens, func(_ [32]byte, t tokenfile.Token) bool { return expired(t) })
	if err := s.tokens.Add(e); err != nil {
		return "", time.Time{}, err
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
