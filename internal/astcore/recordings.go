package astcore

import (
	"context"
	"fmt"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// Recordings opens call recordings in the monitor tree that MixMonitor
// writes (/var/spool/asterisk/monitor/YYYY/MM/DD/<name>), through an os.Root:
// no name a CDR holds can reach a file outside the tree, by "..", an
// absolute path or a symbolic link.
type Recordings struct {
	root *os.Root
	dir  string
}

// OpenRecordings opens the monitor tree at dir.
func OpenRecordings(dir string) (*Recordings, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("recordings directory: %w", err)
	}
	return &Recordings{root: r, dir: strings.TrimSuffix(dir, "/")}, nil
}

// Close releases the tree.
func (r *Recordings) Close() error { return r.root.Close() }

// dateInName finds FreePBX's -YYYYMMDD-HHMMSS- in a recording's name, the
// date the file was filed under (the CDR's call date is the fallback).
var dateInName = regexp.MustCompile(`-(\d{4})(\d{2})(\d{2})-\d{6}-`)

// candidates returns the paths, relative to the tree, where a CDR's
// recording may be.
func (r *Recordings) candidates(rec *pbx.CDR) ([]string, error) {
	name := rec.Recording
	if strings.HasPrefix(name, "/") {
		// Older setups store a full path; only one inside the tree is usable.
		rel, ok := strings.CutPrefix(name, r.dir+"/")
		if !ok {
			return nil, pbx.Errorf(pbx.InvalidArgument, "recording %q is outside the recordings directory", name)
		}
		name = rel
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part == "." || part == ".." {
			return nil, pbx.Errorf(pbx.InvalidArgument, "malformed recording name %q", rec.Recording)
		}
	}
	if strings.Contains(name, "/") {
		return []string{name}, nil
	}
	var out []string
	if m := dateInName.FindStringSubmatch(name); m != nil {
		out = append(out, path.Join(m[1], m[2], m[3], name))
	}
	if !rec.Start.IsZero() {
		out = append(out, path.Join(rec.Start.Format("2006/01/02"), name))
	}
	return append(out, name), nil
}

// Recording implements pbx.RecordingBackend for the cores that have one.
func (c *Core) Recording(_ context.Context, rec *pbx.CDR) (*pbx.Audio, error) {
	return c.cfg.Recordings.Open(rec)
}

// Open opens a CDR's recording. Files of 44 bytes or less (a WAV header and
// nothing else) count as missing, as FreePBX's CDR module treats them.
func (r *Recordings) Open(rec *pbx.CDR) (*pbx.Audio, error) {
	paths, err := r.candidates(rec)
	if err != nil {
		return nil, err
	}
	for _, p := range paths {
		f, err := r.root.Open(p)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() || fi.Size() <= 44 {
			f.Close()
			continue
		}
		return &pbx.Audio{ReadCloser: f, ContentType: astutil.AudioType(p), Size: fi.Size()}, nil
	}
	return nil, pbx.Errorf(pbx.NotFound, "no recording %q", rec.Recording)
}
