package tokenfile

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// Store is a token file kept in memory for a running program. It is read
// when opened and read again when it changes on disk (checked at most once
// per recheck interval), so that hand edits, a revoked token above all, and
// the other program's saves apply without a restart. A file that has become
// unreadable or invalid is logged and the version read before is kept; a
// deleted file is an empty one.
//
// A Store with no path is kept in memory only. A Store is safe for
// concurrent use.
type Store struct {
	path    string
	recheck time.Duration
	log     *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	file    *File // replaced, never changed, once published
	stamp   Stamp // of the version in file
	checked time.Time
}

// OpenStore reads the token file at path. A missing file is an empty one,
// created by the first update; an unreadable or invalid one is an error. An
// empty path makes a Store kept in memory only. log may be nil.
func OpenStore(path string, recheck time.Duration, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Store{path: path, recheck: recheck, log: log, now: time.Now, file: emptyFile()}
	if path == "" {
		return s, nil
	}
	f, st, err := Load(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		s.file, s.stamp = f, st
	}
	s.checked = s.now()
	return s, nil
}

func emptyFile() *File { return &File{Tokens: Tokens{}, Discord: map[string]pbx.ExtensionID{}} }

// Path returns the file's path, or "" for a Store kept in memory.
func (s *Store) Path() string { return s.path }

// File returns the file as it is now, re-reading it first if it changed on
// disk and the recheck interval has passed. The File is shared: treat it as
// read-only.
func (s *Store) File() *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	if since := s.now().Sub(s.checked); s.path != "" && (since >= s.recheck || since < 0) {
		s.refresh()
	}
	return s.file
}

// refresh re-reads the file if its stamp changed. s.mu must be held.
func (s *Store) refresh() {
	s.checked = s.now()
	st, err := StampOf(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		if s.stamp != (Stamp{}) {
			s.log.Warn("token file deleted: no token or link is valid until it is back", "path", s.path)
			s.file, s.stamp = emptyFile(), Stamp{}
		}
		return
	}
	if err != nil || st == s.stamp {
		return // a passing stat failure keeps what was read
	}
	f, st, err := Load(s.path)
	if err != nil {
		s.log.Warn("token file unreadable; keeping what was read before", "path", s.path, "err", err)
		return
	}
	s.file, s.stamp = f, st
}

// UpdateTokens changes "tokens" as the package-level [UpdateTokens] does
// (in memory only for a Store without a file) and makes the result the
// Store's file.
func (s *Store) UpdateTokens(edit func([]Token) []Token) (*File, error) {
	return s.update(func() (*File, Stamp, error) { return UpdateTokens(s.path, edit) }, func(f *File) error {
		ts := Tokens{}
		for i, t := range edit(f.Tokens.entries()) {
			if err := ts.Add(t); err != nil {
				return fmt.Errorf("tokens: token %d: %w", i+1, err)
			}
		}
		f.Tokens = ts
		return nil
	})
}

// UpdateDiscord changes "discord" as the package-level [UpdateDiscord]
// does (in memory only for a Store without a file) and makes the result
// the Store's file.
func (s *Store) UpdateDiscord(edit func(map[string]pbx.ExtensionID)) (*File, error) {
	return s.update(func() (*File, Stamp, error) { return UpdateDiscord(s.path, edit) }, func(f *File) error {
		f.Discord = maps.Clone(f.Discord)
		edit(f.Discord)
		return checkDiscord(f.Discord)
	})
}

// update runs onDisk, or inMemory on a copy of the current file for a
// Store without a path, and publishes the result.
func (s *Store) update(onDisk func() (*File, Stamp, error), inMemory func(*File) error) (*File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.path == "" {
		f := *s.file
		if err := inMemory(&f); err != nil {
			return nil, err
		}
		s.file = &f
		return s.file, nil
	}
	f, st, err := onDisk()
	if err != nil {
		return nil, err
	}
	s.file, s.stamp, s.checked = f, st, s.now()
	return f, nil
}

// entries returns the entries of ts as a file would list them, by hash.
func (ts Tokens) entries() []Token {
	out := make([]Token, 0, len(ts))
	for h, t := range ts {
		t.SHA256 = hex.EncodeToString(h[:])
		out = append(out, t)
	}
	return out
}
