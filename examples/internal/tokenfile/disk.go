package tokenfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pbxkit/pbxkit/pbx"
)

// Stamp tells versions of a file apart by modification time and size. The
// zero Stamp is no file's.
type Stamp struct {
	mod  int64 // Unix nanoseconds
	size int64
}

func stampOf(fi fs.FileInfo) Stamp {
	return Stamp{fi.ModTime().UnixNano(), fi.Size()}
}

// StampOf returns the stamp of the file at path as it is now. A missing file
// is an error that wraps fs.ErrNotExist.
func StampOf(path string) (Stamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}, err
	}
	return stampOf(fi), nil
}

// Load reads and parses the file at path and returns it with the stamp of
// the version read. A missing file is an error that wraps fs.ErrNotExist.
func Load(path string) (*File, Stamp, error) {
	data, st, err := read(path)
	if err != nil {
		return nil, Stamp{}, err
	}
	f, err := Parse(data)
	if err != nil {
		return nil, Stamp{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, st, nil
}

// UpdateTokens saves a change to "tokens": edit gets the entries as they are
// on disk now (clear tokens included) and returns them as they shall be. See
// [UpdateDiscord] for the rest. Fields of an entry that [Token] does not have
// are not kept.
func UpdateTokens(path string, edit func([]Token) []Token) (*File, Stamp, error) {
	return update(path, "tokens", func(ts *[]Token) {
		if *ts = edit(*ts); *ts == nil {
			*ts = []Token{} // "tokens": [], not null
		}
	})
}

// UpdateDiscord saves a change to "discord": it reads the file as it is on
// disk now (a missing file is empty), lets edit change the links read, and
// writes the file back with "discord" replaced and every other member as
// read, so that the changes others made since are kept. It refuses to write a
// file that Parse rejects. It writes a temporary file in the same directory,
// with mode 0600 (tokens are secrets), and renames it over path. It returns
// the file as written and its stamp.
func UpdateDiscord(path string, edit func(map[string]pbx.ExtensionID)) (*File, Stamp, error) {
	return update(path, "discord", func(m *map[string]pbx.ExtensionID) {
		if *m == nil {
			*m = map[string]pbx.ExtensionID{}
		}
		edit(*m)
	})
}

// update is a read-modify-write of one member of the file at path.
func update[V any](path, member string, edit func(*V)) (*File, Stamp, error) {
	members := map[string]json.RawMessage{}
	data, _, err := read(path)
	switch {
	case errors.Is(err, fs.ErrNotExist): // a new file
	case err != nil:
		return nil, Stamp{}, err
	default:
		if err := json.Unmarshal(data, &members); err != nil {
			return nil, Stamp{}, fmt.Errorf("%s: %w", path, err)
		}
		if members == nil { // the file is "null"
			members = map[string]json.RawMessage{}
		}
	}
	var v V
	if m, ok := members[member]; ok {
		if err := json.Unmarshal(m, &v); err != nil {
			return nil, Stamp{}, fmt.Errorf("%s: %s: %w", path, member, err)
		}
	}
	edit(&v)
	m, err := json.Marshal(v)
	if err != nil {
		return nil, Stamp{}, err
	}
	members[member] = m
	data, err = json.MarshalIndent(members, "", "  ")
	if err != nil {
		return nil, Stamp{}, err
	}
	data = append(data, '\n')
	// What is written must load: this also refuses to build on a bad
	// edit on disk, such as one the admin has not finished.
	f, err := Parse(data)
	if err != nil {
		return nil, Stamp{}, fmt.Errorf("%s: %w", path, err)
	}
	st, err := write(path, data)
	if err != nil {
		return nil, Stamp{}, err
	}
	return f, st, nil
}

// read returns the file's bytes and the stamp of the very version read.
func read(path string) ([]byte, Stamp, error) {
	fd, err := os.Open(path)
	if err != nil {
		return nil, Stamp{}, err
	}
	defer fd.Close()
	fi, err := fd.Stat()
	if err != nil {
		return nil, Stamp{}, err
	}
	data, err := io.ReadAll(fd)
	if err != nil {
		return nil, Stamp{}, err
	}
	return data, stampOf(fi), nil
}

// write replaces the file at path with data atomically: a reader sees the
// old file or the new one, never a part. The file gets mode 0600, the mode
// os.CreateTemp creates with. It returns the new file's stamp, which the
// rename keeps.
func write(path string, data []byte) (Stamp, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return Stamp{}, err
	}
	var fi fs.FileInfo
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if err == nil {
		fi, err = tmp.Stat()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return Stamp{}, err
	}
	return stampOf(fi), nil
}
