package cdrstore

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// CSVOptions tunes a [CSV] store. The zero value and nil are the defaults.
type CSVOptions struct {
	// Location is the time zone of the file's times: cdr_csv writes local
	// time unless cdr.conf sets usegmtime. nil means UTC.
	Location *time.Location
}

// CSV reads the Master.csv file that Asterisk's cdr_csv module writes. It
// understands the plain 16-column layout and the longer ones written with
// loguniqueid, loguserfield and newcdrcolumns (peeraccount, linkedid,
// sequence). It re-reads only what was appended since the last query, and
// starts over if the file was rotated.
//
// A CSV is safe for concurrent use.
type CSV struct {
	path string
	loc  *time.Location

	mu      sync.Mutex
	records []pbx.CDR
	offset  int64
	ident   os.FileInfo
}

var (
	_ pbx.CDRBackend = (*CSV)(nil)
	_ pbx.CDRStatser = (*CSV)(nil)
)

// NewCSV returns a store reading path. The file need not exist yet.
func NewCSV(path string, opts *CSVOptions) *CSV {
	loc := time.UTC
	if opts != nil && opts.Location != nil {
		loc = opts.Location
	}
	return &CSV{path: path, loc: loc}
}

// QueryCDR implements pbx.CDRBackend.
func (s *CSV) QueryCDR(ctx context.Context, q *pbx.CDRQuery) (*pbx.CDRPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	return pbx.PageCDRs(s.records, q)
}

// CDRStats implements pbx.CDRStatser.
func (s *CSV) CDRStats(ctx context.Context, loc *time.Location) (*pbx.CDRStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(ctx); err != nil {
		return nil, err
	}
	st := pbx.NewCDRStats()
	for i := range s.records {
		st.Add(s.records[i].Start.In(loc), 1)
	}
	st.Updated = time.Now()
	return st, nil
}

// refresh reads what was appended since the last read. s.mu must be held.
func (s *CSV) refresh(ctx context.Context) error {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		s.records, s.offset, s.ident = nil, 0, nil
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if s.ident == nil || !os.SameFile(s.ident, fi) || fi.Size() < s.offset {
		s.records, s.offset = nil, 0 // new or rotated file
	}
	s.ident = fi
	if fi.Size() == s.offset {
		return nil
	}
	if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
		return err
	}
	// Read whole lines only: cdr_csv may be halfway through writing one.
	br := bufio.NewReader(f)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := br.ReadString('\n')
		if err == io.EOF {
			return nil // a partial last line waits for the next refresh
		}
		if err != nil {
			return err
		}
		s.offset += int64(len(line))
		if strings.TrimSpace(line) == "" {
			continue
		}
		rec, err := s.parseLine(line)
		if err != nil {
			return fmt.Errorf("%s at byte %d: %w", s.path, s.offset-int64(len(line)), err)
		}
		if rec.Sequence == 0 {
			rec.Sequence = int64(len(s.records)) // the row number, without newcdrcolumns
		}
		s.records = append(s.records, rec)
	}
}

// The columns of cdr_csv, in order.
const (
	colAccountCode = iota
	colSrc
	colDst
	colContext
	colCallerID
	colChannel
	colDstChannel
	colLastApp
	colLastData
	colStart
	colAnswer
	colEnd
	colDuration
	colBillSec
	colDisposition
	colAMAFlags
	colUniqueID    // with loguniqueid
	colUserField   // with loguserfield
	colPeerAccount // with newcdrcolumns
	colLinkedID
	colSequence
)

func (s *CSV) parseLine(line string) (pbx.CDR, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	f, err := r.Read()
	if err != nil {
		return pbx.CDR{}, err
	}
	if len(f) < colAMAFlags+1 {
		return pbx.CDR{}, fmt.Errorf("%d fields, want at least %d", len(f), colAMAFlags+1)
	}
	field := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	rec := pbx.CDR{
		AccountCode: f[colAccountCode], Src: f[colSrc], Dst: f[colDst], Context: f[colContext],
		Caller: astutil.ParseCallerID(f[colCallerID]), Channel: f[colChannel], DstChannel: f[colDstChannel],
		LastApp: f[colLastApp], LastData: f[colLastData],
		UniqueID: pbx.CallID(field(colUniqueID)), LinkedID: pbx.CallID(field(colLinkedID)),
	}
	if seq := field(colSequence); seq != "" {
		if rec.Sequence, err = strconv.ParseInt(seq, 10, 64); err != nil {
			return rec, fmt.Errorf("bad sequence %q", seq)
		}
	}
	if rec.Start, err = s.parseTime(f[colStart]); err != nil {
		return rec, err
	}
	if rec.Answer, err = s.parseTime(f[colAnswer]); err != nil {
		return rec, err
	}
	if rec.End, err = s.parseTime(f[colEnd]); err != nil {
		return rec, err
	}
	if rec.Duration, err = seconds(f[colDuration]); err != nil {
		return rec, err
	}
	if rec.Billable, err = seconds(f[colBillSec]); err != nil {
		return rec, err
	}
	rec.Disposition, _ = pbx.ParseDisposition(f[colDisposition])
	return rec, nil
}

func (s *CSV) parseTime(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	return time.ParseInLocation(time.DateTime, v, s.loc)
}

func seconds(v string) (time.Duration, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad seconds %q", v)
	}
	return time.Duration(n) * time.Second, nil
}
