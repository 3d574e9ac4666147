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

// CSVLayout is the column layout of a CDR file.
type CSVLayout int

// The layouts.
const (
	// LayoutAsterisk is the Master.csv of Asterisk's cdr_csv: the plain
	// 16-column layout and the longer ones written with loguniqueid,
	// loguserfield and newcdrcolumns (peeraccount, linkedid, sequence).
	LayoutAsterisk CSVLayout = iota
	// LayoutFreeSWITCH is the Master.csv of FreeSWITCH's mod_cdr_csv, with
	// its built-in default template or the "example" template of the
	// vanilla cdr_csv.conf.xml, which share their first 13 columns:
	// caller_id_name, caller_id_number, destination_number, context,
	// start_stamp, answer_stamp, end_stamp, duration, billsec,
	// hangup_cause, uuid, bleg_uuid, accountcode (then read_codec and
	// write_codec). The disposition comes from the hangup cause (see
	// [HangupDisposition]); the template has no channel names.
	LayoutFreeSWITCH
)

// CSVOptions tunes a [CSV] store. The zero value and nil are the defaults.
type CSVOptions struct {
	// Location is the time zone of the file's times: cdr_csv writes local
	// time unless cdr.conf sets usegmtime, mod_cdr_csv the switch's local
	// time. nil means UTC.
	Location *time.Location
	// Layout is the file's column layout; the zero value is Asterisk's.
	Layout CSVLayout
}

// CSV reads a Master.csv file of call detail records, in the layout of
// Asterisk's cdr_csv or FreeSWITCH's mod_cdr_csv (CSVOptions.Layout). It
// re-reads only what was appended since the last query, and starts over if
// the file was rotated.
//
// A CSV is safe for concurrent use.
type CSV struct {
	path   string
	loc    *time.Location
	layout CSVLayout

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
	s := &CSV{path: path, loc: time.UTC}
	if opts != nil {
		if opts.Location != nil {
			s.loc = opts.Location
		}
		s.layout = opts.Layout
	}
	return s
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

// The columns of mod_cdr_csv's default and example templates, in order.
const (
	fsCallerName = iota
	fsCallerNumber
	fsDst
	fsContext
	fsStart
	fsAnswer
	fsEnd
	fsDuration
	fsBillSec
	fsHangupCause
	fsUUID
	fsBLegUUID
	fsAccountCode
)

func (s *CSV) parseLine(line string) (pbx.CDR, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	// mod_cdr_csv's built-in template writes `, "${accountcode}"`.
	r.TrimLeadingSpace = s.layout == LayoutFreeSWITCH
	f, err := r.Read()
	if err != nil {
		return pbx.CDR{}, err
	}
	var rec pbx.CDR
	var start, answer, end, duration, billsec string
	switch s.layout {
	case LayoutFreeSWITCH:
		if len(f) < fsAccountCode+1 {
			return pbx.CDR{}, fmt.Errorf("%d fields, want at least %d", len(f), fsAccountCode+1)
		}
		rec = pbx.CDR{
			Caller: pbx.Party{Name: f[fsCallerName], Number: f[fsCallerNumber]},
			Src:    f[fsCallerNumber], Dst: f[fsDst], Context: f[fsContext],
			UniqueID: pbx.CallID(f[fsUUID]), AccountCode: f[fsAccountCode],
		}
		start, answer, end, duration, billsec = f[fsStart], f[fsAnswer], f[fsEnd], f[fsDuration], f[fsBillSec]
	default:
		if len(f) < colAMAFlags+1 {
			return pbx.CDR{}, fmt.Errorf("%d fields, want at least %d", len(f), colAMAFlags+1)
		}
		field := func(i int) string {
			if i < len(f) {
				return f[i]
			}
			return ""
		}
		rec = pbx.CDR{
			AccountCode: f[colAccountCode], Src: f[colSrc], Dst: f[colDst], Context: f[colContext],
			Caller: astutil.ParseCallerID(f[colCallerID]), Channel: f[colChannel], DstChannel: f[colDstChannel],
			LastApp: f[colLastApp], LastData: f[colLastData],
			UniqueID: pbx.CallID(field(colUniqueID)), LinkedID: pbx.CallID(field(colLinkedID)),
		}
		rec.Disposition, _ = pbx.ParseDisposition(f[colDisposition])
		if seq := field(colSequence); seq != "" {
			if rec.Sequence, err = strconv.ParseInt(seq, 10, 64); err != nil {
				return rec, fmt.Errorf("bad sequence %q", seq)
			}
		}
		start, answer, end, duration, billsec = f[colStart], f[colAnswer], f[colEnd], f[colDuration], f[colBillSec]
	}
	if rec.Start, err = s.parseTime(start); err != nil {
		return rec, err
	}
	if rec.Answer, err = s.parseTime(answer); err != nil {
		return rec, err
	}
	if rec.End, err = s.parseTime(end); err != nil {
		return rec, err
	}
	if rec.Duration, err = seconds(duration); err != nil {
		return rec, err
	}
	if rec.Billable, err = seconds(billsec); err != nil {
		return rec, err
	}
	if s.layout == LayoutFreeSWITCH {
		rec.Disposition = HangupDisposition(f[fsHangupCause], !rec.Answer.IsZero())
	}
	return rec, nil
}

// HangupDisposition returns the CDR disposition of a FreeSWITCH call leg
// from its hangup cause ("NORMAL_CLEARING", "USER_BUSY", ...) and whether it
// was answered: an answered leg is ANSWERED whatever the cause; otherwise
// busy causes are BUSY, unanswered and cancelled calls NO ANSWER,
// congestion CONGESTION and anything else FAILED, as Asterisk's
// dispositions read.
func HangupDisposition(cause string, answered bool) pbx.Disposition {
	if answered {
		return pbx.DispositionAnswered
	}
	switch cause {
	case "USER_BUSY":
		return pbx.DispositionBusy
	case "NO_ANSWER", "NO_USER_RESPONSE", "ORIGINATOR_CANCEL", "ALLOTTED_TIMEOUT",
		"NORMAL_CLEARING", "LOSE_RACE", "PICKED_OFF":
		return pbx.DispositionNoAnswer
	case "NORMAL_CIRCUIT_CONGESTION", "SWITCH_CONGESTION":
		return pbx.DispositionCongestion
	}
	return pbx.DispositionFailed
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
