package cdrstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// SQLOptions tunes an [SQL] store. The zero value and nil are the defaults.
type SQLOptions struct {
	// Table is the CDR table's name, optionally qualified by its database
	// ("asteriskcdrdb.cdr"); empty means "cdr". Letters, digits and '_' only.
	Table string
	// Location is the time zone of the calldate column (Asterisk writes local
	// time); nil means UTC.
	Location *time.Location
}

// SQL reads CDRs from the MySQL/MariaDB `cdr` table that Asterisk's
// cdr_mysql (or cdr_adaptive_odbc) writes, and that FreePBX and Issabel keep
// in asteriskcdrdb. The table's columns are discovered on first use, since
// they differ between versions and distributions; every value in a query is
// a parameter, and only known column names ever reach the SQL text.
//
// Any database/sql driver for MySQL works (github.com/go-sql-driver/mysql,
// with or without parseTime). An SQL is safe for concurrent use.
type SQL struct {
	db    *sql.DB
	owned bool   // made by OpenSQL: Close closes db
	table string // quoted
	loc   *time.Location

	mu   sync.Mutex
	cols map[string]bool // nil until discovered
}

var (
	_ pbx.CDRBackend = (*SQL)(nil)
	_ pbx.CDRStatser = (*SQL)(nil)
)

// The columns the store reads, when the table has them.
var sqlColumns = []string{
	"calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp", "lastdata",
	"duration", "billsec", "disposition", "accountcode", "uniqueid", "linkedid", "sequence",
	"recordingfile", "cnum", "cnam",
}

// NewSQL returns a store over db. It fails only for a malformed table name;
// the table is looked at on first use.
func NewSQL(db *sql.DB, opts *SQLOptions) (*SQL, error) {
	var o SQLOptions
	if opts != nil {
		o = *opts
	}
	if o.Table == "" {
		o.Table = "cdr"
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	var quoted []string
	for _, part := range strings.Split(o.Table, ".") {
		if part == "" || strings.TrimFunc(part, func(r rune) bool {
			return r == '_' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		}) != "" {
			return nil, pbx.Errorf(pbx.InvalidArgument, "malformed CDR table name %q", o.Table)
		}
		quoted = append(quoted, "`"+part+"`")
	}
	if len(quoted) > 2 {
		return nil, pbx.Errorf(pbx.InvalidArgument, "malformed CDR table name %q", o.Table)
	}
	return &SQL{db: db, table: strings.Join(quoted, "."), loc: o.Location}, nil
}

// OpenSQL opens a store on its own connection pool to the MySQL server of
// cfg (go-sql-driver/mysql's Config). Close releases the pool.
func OpenSQL(cfg *mysql.Config, opts *SQLOptions) (*SQL, error) {
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	s, err := NewSQL(db, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Close closes the connection pool if OpenSQL made it; a store made by
// NewSQL leaves its *sql.DB to its owner.
func (s *SQL) Close() error {
	if s.owned {
		return s.db.Close()
	}
	return nil
}

// columns discovers the table's columns on first use. A failure is not
// remembered: the table may be created later.
func (s *SQL) columns(ctx context.Context) (map[string]bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cols != nil {
		return s.cols, nil
	}
	rows, err := s.db.QueryContext(ctx, "SHOW COLUMNS FROM "+s.table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]sql.RawBytes, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	cols := map[string]bool{}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		cols[strings.ToLower(string(vals[0]))] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, need := range []string{"calldate", "src", "dst", "duration", "billsec", "disposition"} {
		if !cols[need] {
			return nil, fmt.Errorf("table %s has no %s column: not a CDR table", s.table, need)
		}
	}
	s.cols = cols
	return cols, nil
}

// QueryCDR implements pbx.CDRBackend.
func (s *SQL) QueryCDR(ctx context.Context, q *pbx.CDRQuery) (*pbx.CDRPage, error) {
	cols, err := s.columns(ctx)
	if err != nil {
		return nil, err
	}
	var selected []string
	for _, c := range sqlColumns {
		if cols[c] {
			selected = append(selected, c)
		}
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if !q.Since.IsZero() {
		add("calldate >= ?", s.dbTime(q.Since))
	}
	if !q.Until.IsZero() {
		add("calldate < ?", s.dbTime(q.Until))
	}
	like := func(col, pattern string) {
		if pattern != "" {
			add(col+" LIKE ?", pbx.LikePattern(pattern))
		}
	}
	like("src", q.Src)
	like("dst", q.Dst)
	like("accountcode", q.AccountCode)
	if q.Channel != "" {
		p := pbx.LikePattern(q.Channel)
		add("(channel LIKE ? OR dstchannel LIKE ?)", p, p)
	}
	if q.Caller != "" {
		p := pbx.LikePattern(q.Caller)
		// clid is `"Name" <number>`: match the pattern against either part.
		cond, a := "(clid LIKE ? OR clid LIKE ? OR clid LIKE ?", []any{`"` + p + `" <%`, `%<` + p + `>`, p}
		if cols["cnum"] && cols["cnam"] {
			cond, a = cond+" OR cnum LIKE ? OR cnam LIKE ?", append(a, p, p)
		}
		add(cond+")", a...)
	}
	if len(q.Dispositions) > 0 {
		marks := make([]string, len(q.Dispositions))
		for i, d := range q.Dispositions {
			marks[i] = "?"
			args = append(args, d.String())
		}
		where = append(where, "disposition IN ("+strings.Join(marks, ",")+")")
	}
	dir, cmpOp := "DESC", "<"
	if q.Oldest {
		dir, cmpOp = "ASC", ">"
	}
	order := []string{"calldate " + dir}
	if cols["uniqueid"] {
		order = append(order, "uniqueid "+dir)
	}
	hasSeq := cols["sequence"]
	if hasSeq {
		order = append(order, "sequence "+dir)
	}
	if q.Cursor != "" {
		c, err := pbx.DecodeCDRCursor(q.Cursor)
		if err != nil {
			return nil, err
		}
		t := s.dbTime(c.Start)
		switch {
		case cols["uniqueid"] && hasSeq:
			add("(calldate "+cmpOp+" ? OR (calldate = ? AND (uniqueid "+cmpOp+" ? OR (uniqueid = ? AND sequence "+cmpOp+" ?))))",
				t, t, string(c.UniqueID), string(c.UniqueID), c.Sequence)
		case cols["uniqueid"]:
			add("(calldate "+cmpOp+" ? OR (calldate = ? AND uniqueid "+cmpOp+" ?))", t, t, string(c.UniqueID))
		default:
			add("calldate "+cmpOp+" ?", t)
		}
	}
	query := "SELECT " + strings.Join(selected, ", ") + " FROM " + s.table
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query += " ORDER BY " + strings.Join(order, ", ") + " LIMIT ?"
	args = append(args, limit+1)

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	page := &pbx.CDRPage{Records: []pbx.CDR{}}
	for rows.Next() {
		rec, err := s.scan(rows, selected)
		if err != nil {
			return nil, err
		}
		page.Records = append(page.Records, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Records) > limit {
		page.Records = page.Records[:limit]
		last := page.Records[limit-1]
		page.Next = pbx.CDRCursor{Start: last.Start, UniqueID: last.UniqueID, Sequence: last.Sequence}.Encode()
	}
	return page, nil
}

// scan reads one row of the selected columns.
func (s *SQL) scan(rows *sql.Rows, selected []string) (pbx.CDR, error) {
	var rec pbx.CDR
	start := timeScanner{loc: s.loc}
	var clid, disposition, uniqueid, linkedid, cnum, cnam string
	var duration, billsec int64
	dest := make([]any, len(selected))
	for i, c := range selected {
		switch c {
		case "calldate":
			dest[i] = &start
		case "clid":
			dest[i] = &clid
		case "src":
			dest[i] = &rec.Src
		case "dst":
			dest[i] = &rec.Dst
		case "dcontext":
			dest[i] = &rec.Context
		case "channel":
			dest[i] = &rec.Channel
		case "dstchannel":
			dest[i] = &rec.DstChannel
		case "lastapp":
			dest[i] = &rec.LastApp
		case "lastdata":
			dest[i] = &rec.LastData
		case "duration":
			dest[i] = &duration
		case "billsec":
			dest[i] = &billsec
		case "disposition":
			dest[i] = &disposition
		case "accountcode":
			dest[i] = &rec.AccountCode
		case "uniqueid":
			dest[i] = &uniqueid
		case "linkedid":
			dest[i] = &linkedid
		case "sequence":
			dest[i] = &rec.Sequence
		case "recordingfile":
			dest[i] = &rec.Recording
		case "cnum":
			dest[i] = &cnum
		case "cnam":
			dest[i] = &cnam
		}
	}
	if err := rows.Scan(dest...); err != nil {
		return rec, err
	}
	rec.Start = start.t
	rec.Duration = time.Duration(duration) * time.Second
	rec.Billable = time.Duration(billsec) * time.Second
	rec.End = rec.Start.Add(rec.Duration)
	if billsec > 0 {
		rec.Answer = rec.End.Add(-rec.Billable)
	}
	rec.Caller = astutil.ParseCallerID(clid)
	if cnum != "" || cnam != "" {
		rec.Caller = pbx.Party{Name: cnam, Number: cnum}
	}
	rec.Disposition, _ = pbx.ParseDisposition(disposition)
	rec.UniqueID, rec.LinkedID = pbx.CallID(uniqueid), pbx.CallID(linkedid)
	return rec, nil
}

// CDRStats implements pbx.CDRStatser. It counts calls per quarter hour in SQL
// and folds those into days and months of loc, so any time zone offset
// works without time zone tables in the database.
func (s *SQL) CDRStats(ctx context.Context, loc *time.Location) (*pbx.CDRStats, error) {
	if _, err := s.columns(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT DATE_FORMAT(calldate, '%Y-%m-%d %H'), FLOOR(MINUTE(calldate) / 15), COUNT(*) FROM "+
		s.table+" GROUP BY 1, 2")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	st := pbx.NewCDRStats()
	type bucket struct {
		t time.Time
		n int
	}
	var buckets []bucket
	for rows.Next() {
		var hour string
		var quarter, n int
		if err := rows.Scan(&hour, &quarter, &n); err != nil {
			return nil, err
		}
		t, err := time.ParseInLocation("2006-01-02 15", hour, s.loc)
		if err != nil {
			continue // a zero calldate
		}
		buckets = append(buckets, bucket{t.Add(time.Duration(quarter) * 15 * time.Minute), n})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(buckets, func(a, b bucket) int { return a.t.Compare(b.t) })
	for _, b := range buckets {
		st.Add(b.t.In(loc), b.n)
	}
	st.Updated = time.Now()
	return st, nil
}

// dbTime formats t as the DATETIME text of the table's time zone, so that no
// driver time zone setting can shift it.
func (s *SQL) dbTime(t time.Time) string {
	return t.In(s.loc).Format(time.DateTime)
}

// timeScanner reads a DATETIME as the wall clock of loc, whether the driver
// returns text (parseTime off) or a time.Time (parseTime on).
type timeScanner struct {
	loc *time.Location
	t   time.Time
}

func (ts *timeScanner) Scan(v any) error {
	switch v := v.(type) {
	case time.Time:
		ts.t = time.Date(v.Year(), v.Month(), v.Day(), v.Hour(), v.Minute(), v.Second(), v.Nanosecond(), ts.loc)
		return nil
	case []byte:
		return ts.parse(string(v))
	case string:
		return ts.parse(v)
	case nil:
		ts.t = time.Time{}
		return nil
	}
	return fmt.Errorf("cannot read %T as a calldate", v)
}

func (ts *timeScanner) parse(v string) error {
	if strings.HasPrefix(v, "0000-00-00") {
		ts.t = time.Time{}
		return nil
	}
	t, err := time.ParseInLocation(time.DateTime, v, ts.loc)
	ts.t = t
	return err
}
