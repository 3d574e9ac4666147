package pbx

import (
	"cmp"
	"context"
	"encoding/base64"
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CDRService queries call detail records. Get it from [Client.CDR]; it is
// safe for concurrent use.
type CDRService struct{ c *Client }

const (
	defaultCDRLimit = 100
	maxCDRLimit     = 1000
)

// Query returns one page of the records q selects, newest first unless
// q.Oldest is set. Pass the page's Next as q.Cursor to get the next page.
func (s *CDRService) Query(ctx context.Context, q CDRQuery) (*CDRPage, error) {
	r := request{op: "CDR.Query", need: CapCDR, read: true}
	if q.Limit == 0 {
		q.Limit = defaultCDRLimit
	}
	q.Dispositions = slices.Clone(q.Dispositions)
	page, err := run(ctx, s.c, r, q.Validate(), func(ctx context.Context) (*CDRPage, error) {
		return s.c.b.(CDRBackend).QueryCDR(ctx, &q)
	})
	if page != nil && page.Records == nil {
		page.Records = []CDR{}
	}
	return page, err
}

// Recording opens the recording of a call (r.Recording names it, as the
// PBX stored it). The caller must close it. It fails with ErrNotFound when
// the file does not exist; names that would lead outside the PBX's
// recordings directory are refused.
func (s *CDRService) Recording(ctx context.Context, r CDR) (*Audio, error) {
	req := request{op: "CDR.Recording", id: r.Recording, need: CapRecordings, read: true}
	err := ValidateText("recording name", r.Recording, 255)
	if err == nil && r.Recording == "" {
		err = Errorf(NotFound, "the record has no recording")
	}
	return run(ctx, s.c, req, err, func(ctx context.Context) (*Audio, error) {
		return s.c.b.(RecordingBackend).Recording(ctx, &r)
	})
}

// All iterates over every record q selects, page by page (q.Limit sets the
// page size). The iteration stops at the first error, which it yields.
func (s *CDRService) All(ctx context.Context, q CDRQuery) iter.Seq2[CDR, error] {
	return func(yield func(CDR, error) bool) {
		for {
			page, err := s.Query(ctx, q)
			if err != nil {
				yield(CDR{}, err)
				return
			}
			for _, rec := range page.Records {
				if !yield(rec, nil) {
					return
				}
			}
			if page.Next == "" {
				return
			}
			q.Cursor = page.Next
		}
	}
}

// Stats counts calls in total, per day and per month, and finds the record
// day, with dates in loc (nil means UTC): LiteNet's /system/records.
func (s *CDRService) Stats(ctx context.Context, loc *time.Location) (*CDRStats, error) {
	const op = "CDR.Stats"
	if loc == nil {
		loc = time.UTC
	}
	if st, ok := s.c.b.(CDRStatser); ok {
		return run(ctx, s.c, request{op: op, need: CapCDR, read: true}, nil, func(ctx context.Context) (*CDRStats, error) {
			return st.CDRStats(ctx, loc)
		})
	}
	if err := s.c.check(ctx, op, CapCDR); err != nil {
		return nil, err
	}
	acc := NewCDRStats()
	for rec, err := range s.All(ctx, CDRQuery{Limit: maxCDRLimit, Oldest: true}) {
		if err != nil {
			return nil, err
		}
		acc.Add(rec.Start.In(loc), 1)
	}
	acc.Updated = s.c.opts.Now()
	return acc, nil
}

// NewCDRStats returns empty stats, for backends that implement CDRStatser.
func NewCDRStats() *CDRStats {
	return &CDRStats{PerDay: map[string]int{}, PerMonth: map[string]int{}}
}

// Add counts n calls started at t (already in the stats' time zone) and keeps
// the record day up to date.
func (st *CDRStats) Add(t time.Time, n int) {
	day, month := t.Format(time.DateOnly), t.Format("2006-01")
	st.Total += n
	st.PerDay[day] += n
	st.PerMonth[month] += n
	if c := st.PerDay[day]; c > st.RecordCount || (c == st.RecordCount && day < st.RecordDay) {
		st.RecordDay, st.RecordCount = day, c
	}
}

// Validate reports whether the query is well formed. The client calls it;
// backends receive only valid queries.
func (q *CDRQuery) Validate() error {
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return invalidf("until (%s) is not after since (%s)", q.Until.Format(time.RFC3339), q.Since.Format(time.RFC3339))
	}
	if q.Limit < 0 || q.Limit > maxCDRLimit {
		return invalidf("limit %d out of range 1..%d", q.Limit, maxCDRLimit)
	}
	for _, p := range []struct{ name, v string }{
		{"src", q.Src}, {"dst", q.Dst}, {"channel", q.Channel}, {"account code", q.AccountCode}, {"caller", q.Caller},
	} {
		if err := ValidateText(p.name+" pattern", p.v, 80); err != nil {
			return err
		}
	}
	for _, d := range q.Dispositions {
		if d <= DispositionUnknown || d > DispositionCongestion {
			return invalidf("unknown disposition %d", int(d))
		}
	}
	if q.Cursor != "" {
		if _, err := DecodeCDRCursor(q.Cursor); err != nil {
			return err
		}
	}
	return nil
}

// Match reports whether r passes the query's filters (not its cursor or
// limit). In-memory stores use it; SQL stores translate the patterns with
// [LikePattern].
func (q *CDRQuery) Match(r *CDR) bool {
	if !q.Since.IsZero() && r.Start.Before(q.Since) {
		return false
	}
	if !q.Until.IsZero() && !r.Start.Before(q.Until) {
		return false
	}
	if !MatchPattern(q.Src, r.Src) || !MatchPattern(q.Dst, r.Dst) || !MatchPattern(q.AccountCode, r.AccountCode) {
		return false
	}
	if q.Channel != "" && !MatchPattern(q.Channel, r.Channel) && !MatchPattern(q.Channel, r.DstChannel) {
		return false
	}
	if q.Caller != "" && !MatchPattern(q.Caller, r.Caller.Name) && !MatchPattern(q.Caller, r.Caller.Number) {
		return false
	}
	if len(q.Dispositions) > 0 && !slices.Contains(q.Dispositions, r.Disposition) {
		return false
	}
	return true
}

// MatchPattern reports whether s matches a CDR query pattern: '*' matches any
// run of characters, '?' any one, everything else itself. An empty pattern
// matches everything.
func MatchPattern(pattern, s string) bool {
	if pattern == "" {
		return true
	}
	// Iterative wildcard matching with one backtrack point.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// LikePattern translates a CDR query pattern into an SQL LIKE pattern with
// '\' as the escape character: '*' becomes '%', '?' becomes '_', and
// literal '%', '_' and '\' are escaped.
func LikePattern(pattern string) string {
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch c := pattern[i]; c {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// CDRCursor is the position a CDR page ends at: the start time, unique ID
// and sequence number of its last record. Records are ordered by (Start,
// UniqueID, Sequence).
type CDRCursor struct {
	Start    time.Time
	UniqueID CallID
	Sequence int64
}

// Encode returns the cursor as an opaque string for CDRPage.Next.
func (c CDRCursor) Encode() string {
	raw := strconv.FormatInt(c.Start.UnixNano(), 10) + "/" + strconv.FormatInt(c.Sequence, 10) + "/" + string(c.UniqueID)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCDRCursor parses a string made by [CDRCursor.Encode].
func DecodeCDRCursor(s string) (CDRCursor, error) {
	bad := invalidf("malformed CDR cursor")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return CDRCursor{}, bad
	}
	parts := strings.SplitN(string(raw), "/", 3)
	if len(parts) != 3 {
		return CDRCursor{}, bad
	}
	ns, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseInt(parts[1], 10, 64)
	c := CDRCursor{Start: time.Unix(0, ns), Sequence: seq, UniqueID: CallID(parts[2])}
	if err1 != nil || err2 != nil || (c.UniqueID != "" && c.UniqueID.Validate() != nil) {
		return CDRCursor{}, bad
	}
	return c, nil
}

// CompareCDR orders records by start time, unique ID, then sequence.
func CompareCDR(a, b *CDR) int {
	return cmp.Or(a.Start.Compare(b.Start), strings.Compare(string(a.UniqueID), string(b.UniqueID)), cmp.Compare(a.Sequence, b.Sequence))
}

// After reports whether r comes after the cursor in the query's order
// (newest first unless oldest).
func (c CDRCursor) After(r *CDR, oldest bool) bool {
	d := CompareCDR(r, &CDR{Start: c.Start, UniqueID: c.UniqueID, Sequence: c.Sequence})
	if oldest {
		return d > 0
	}
	return d < 0
}

// PageCDRs applies a validated query to records held in memory: it filters,
// sorts, applies the cursor and cuts one page. The records slice is not
// modified. Stores that hold records in memory (the mock, CSV files) use it.
func PageCDRs(records []CDR, q *CDRQuery) (*CDRPage, error) {
	var cur *CDRCursor
	if q.Cursor != "" {
		c, err := DecodeCDRCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		cur = &c
	}
	limit := cmp.Or(q.Limit, defaultCDRLimit)
	var out []CDR
	for i := range records {
		if q.Match(&records[i]) && (cur == nil || cur.After(&records[i], q.Oldest)) {
			out = append(out, records[i])
		}
	}
	slices.SortFunc(out, func(a, b CDR) int {
		if q.Oldest {
			return CompareCDR(&a, &b)
		}
		return CompareCDR(&b, &a)
	})
	page := &CDRPage{Records: out}
	if len(out) > limit {
		page.Records = out[:limit:limit]
		last := &page.Records[limit-1]
		page.Next = CDRCursor{Start: last.Start, UniqueID: last.UniqueID, Sequence: last.Sequence}.Encode()
	}
	if page.Records == nil {
		page.Records = []CDR{}
	}
	return page, nil
}
