package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// Links maps Discord users to PBX extensions. Its file (--links) has the
// format of the REST example's token store (pbxd --tokens), so that one file
// can serve both; package tokenfile reads and writes it:
//
//	{
//	  "discord": {"123456789012345678": "1010"},
//	  "tokens": [
//	    {"token": "6f1c0b6e-1010-4d3b-9a6e-5c0ffee01010", "extension": "1010", "label": "rocord"},
//	    {"sha256": "<hex SHA-256 of a token>", "extension": "1001", "expires": "2027-01-01T00:00:00Z"}
//	  ]
//	}
//
// "discord" links Discord user IDs to extensions: the admin writes it by
// hand, or users add themselves with /link <token>, where the token is one of
// "tokens" (in clear, or as its SHA-256), not expired. A token is not used up:
// it is its holder's standing proof of owning the extension, like a bearer
// token of the REST API; the admin revokes it by deleting it. /unlink removes
// the caller's entry.
//
// The file is read again whenever it changes on disk, so hand edits apply
// without a restart. A /link or /unlink re-reads the file and rewrites only
// the caller's entry of "discord", atomically and with mode 0600 (tokens are
// secrets); every other member is kept as it was.
//
// A Links with no file keeps its links in memory. It is safe for concurrent use.
type Links struct {
	store *tokenfile.Store
	now   func() time.Time
}

// Errors of Link.
var (
	errBadToken     = errors.New("not a link token")
	errUnknownToken = errors.New("unknown or expired link token")
)

// OpenLinks reads the link file at path; a missing file is created on the
// first /link. An empty path keeps the links in memory only; demo makes the
// demo token link to the demo extension then (for a mock PBX).
func OpenLinks(path string, demo bool, log *slog.Logger) (*Links, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	store, err := tokenfile.OpenStore(path, 0, log)
	if err != nil {
		return nil, fmt.Errorf("link file: %w", err)
	}
	l := &Links{store: store, now: time.Now}
	if path == "" {
		if demo {
			if _, err := store.UpdateTokens(func(ts []tokenfile.Token) []tokenfile.Token {
				return append(ts, tokenfile.Token{Token: tokenfile.DemoToken, Extension: tokenfile.DemoExtension})
			}); err != nil {
				return nil, err
			}
		}
		return l, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		log.Warn("the link file is readable by other users; chmod 600 it", "path", path)
	}
	return l, nil
}

// Extension returns the extension linked to a Discord user.
func (l *Links) Extension(user string) (pbx.ExtensionID, bool) {
	ext, ok := l.store.File().Discord[user]
	return ext, ok
}

// Users returns the Discord users linked to an extension, sorted.
func (l *Links) Users(ext pbx.ExtensionID) []string {
	var out []string
	for user, e := range l.store.File().Discord {
		if e == ext {
			out = append(out, user)
		}
	}
	slices.Sort(out)
	return out
}

// Link links a Discord user to the extension of a token and saves the file.
// It fails with errBadToken or errUnknownToken, or if the file cannot be
// written.
func (l *Links) Link(user, token string) (pbx.ExtensionID, error) {
	token = strings.TrimSpace(token)
	if !tokenfile.ValidToken(token) {
		return "", errBadToken
	}
	e, _, ok := l.store.File().Tokens.Lookup(token, l.now())
	if !ok {
		return "", errUnknownToken
	}
	if _, err := l.store.UpdateDiscord(func(users map[string]pbx.ExtensionID) { users[user] = e.Extension }); err != nil {
		return "", fmt.Errorf("saving the link file: %w", err)
	}
	return e.Extension, nil
}

// Unlink removes a user's link and saves the file. It returns the extension
// the user was linked to, or false if there was none.
func (l *Links) Unlink(user string) (pbx.ExtensionID, bool, error) {
	ext, ok := l.Extension(user)
	if !ok {
		return "", false, nil
	}
	if _, err := l.store.UpdateDiscord(func(users map[string]pbx.ExtensionID) { delete(users, user) }); err != nil {
		return "", false, fmt.Errorf("saving the link file: %w", err)
	}
	return ext, true, nil
}
