package cdrstore_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/cdrstore"
	"github.com/pbxkit/pbxkit/internal/mysqltest"
	"github.com/pbxkit/pbxkit/pbx"
)

var paris, _ = time.LoadLocation("Europe/Paris")

// The FreePBX 16 asteriskcdrdb.cdr layout (column for column) and the
// shorter layout Asterisk's own cdr_mysql creates.
const (
	freepbxCDR = "CREATE TABLE cdr (" +
		"calldate datetime NOT NULL DEFAULT '0000-00-00 00:00:00', clid varchar(80) NOT NULL DEFAULT '', " +
		"src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '', dcontext varchar(80) NOT NULL DEFAULT '', " +
		"channel varchar(80) NOT NULL DEFAULT '', dstchannel varchar(80) NOT NULL DEFAULT '', lastapp varchar(80) NOT NULL DEFAULT '', " +
		"lastdata varchar(80) NOT NULL DEFAULT '', duration int(11) NOT NULL DEFAULT 0, billsec int(11) NOT NULL DEFAULT 0, " +
		"disposition varchar(45) NOT NULL DEFAULT '', amaflags int(11) NOT NULL DEFAULT 0, accountcode varchar(20) NOT NULL DEFAULT '', " +
		"uniqueid varchar(32) NOT NULL DEFAULT '', userfield varchar(255) NOT NULL DEFAULT '', did varchar(50) NOT NULL DEFAULT '', " +
		"recordingfile varchar(255) NOT NULL DEFAULT '', cnum varchar(80) NOT NULL DEFAULT '', cnam varchar(80) NOT NULL DEFAULT '', " +
		"outbound_cnum varchar(80) NOT NULL DEFAULT '', outbound_cnam varchar(80) NOT NULL DEFAULT '', dst_cnam varchar(80) NOT NULL DEFAULT '', " +
		"linkedid varchar(32) NOT NULL DEFAULT '', peeraccount varchar(80) NOT NULL DEFAULT '', sequence int(11) NOT NULL DEFAULT 0, " +
		"KEY calldate (calldate), KEY dst (dst), KEY accountcode (accountcode), KEY uniqueid (uniqueid))"
	plainCDR = "CREATE TABLE cdr (calldate datetime NOT NULL, clid varchar(80) NOT NULL DEFAULT '', src varchar(80) NOT NULL DEFAULT '', " +
		"dst varchar(80) NOT NULL DEFAULT '', dcontext varchar(80) NOT NULL DEFAULT '', channel varchar(80) NOT NULL DEFAULT '', " +
		"dstchannel varchar(80) NOT NULL DEFAULT '', lastapp varchar(80) NOT NULL DEFAULT '', lastdata varchar(80) NOT NULL DEFAULT '', " +
		"duration int NOT NULL DEFAULT 0, billsec int NOT NULL DEFAULT 0, disposition varchar(45) NOT NULL DEFAULT '', " +
		"amaflags int NOT NULL DEFAULT 0, accountcode varchar(20) NOT NULL DEFAULT '', uniqueid varchar(32) NOT NULL DEFAULT '', " +
		"userfield varchar(255) NOT NULL DEFAULT '')"
)

func csvStore(t *testing.T) *cdrstore.CSV {
	t.Helper()
	return cdrstore.NewCSV(filepath.Join("testdata", "Master.csv"), &cdrstore.CSVOptions{Location: paris})
}

// sqlStore loads the records of testdata/Master.csv into a fresh table of the
// given layout.
func sqlStore(t *testing.T, ddl string) (*cdrstore.SQL, *mysqltest.DB) {
	t.Helper()
	db := mysqltest.New(t)
	db.Exec(t, ddl)
	page, err := csvStore(t).QueryCDR(context.Background(), &pbx.CDRQuery{Limit: 1000, Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	full := strings.Contains(ddl, "sequence")
	for _, r := range page.Records {
		clid := `"` + r.Caller.Name + `" <` + r.Caller.Number + `>`
		if r.Caller.Name == "" {
			clid = "<" + r.Caller.Number + ">"
		}
		args := []any{r.Start.In(paris).Format(time.DateTime), clid, r.Src, r.Dst, r.Context, r.Channel, r.DstChannel,
			r.LastApp, r.LastData, int(r.Duration.Seconds()), int(r.Billable.Seconds()), r.Disposition.String(), r.AccountCode, string(r.UniqueID)}
		q := "INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec, disposition, accountcode, uniqueid"
		if full {
			q += ", linkedid, sequence) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
			args = append(args, string(r.LinkedID), r.Sequence)
		} else {
			q += ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		}
		db.Exec(t, q, args...)
	}
	s, err := cdrstore.NewSQL(db.DB, &cdrstore.SQLOptions{Location: paris})
	if err != nil {
		t.Fatal(err)
	}
	return s, db
}

var queries = []struct {
	name string
	q    pbx.CDRQuery
	want []pbx.CallID // unique IDs, in order
}{
	{"all newest first", pbx.CDRQuery{}, []pbx.CallID{"1763798400.7", "1763722800.5", "1763722800.3", "1763633700.1", "1763629201.0"}},
	{"all oldest first", pbx.CDRQuery{Oldest: true}, []pbx.CallID{"1763629201.0", "1763633700.1", "1763722800.3", "1763722800.5", "1763798400.7"}},
	{"src pattern", pbx.CDRQuery{Src: "100?"}, []pbx.CallID{"1763798400.7", "1763722800.5", "1763633700.1", "1763629201.0"}},
	{"dst exact", pbx.CDRQuery{Dst: "1002"}, []pbx.CallID{"1763798400.7", "1763722800.5"}},
	{"channel matches dstchannel", pbx.CDRQuery{Channel: "PJSIP/1003-*"}, []pbx.CallID{"1763722800.5", "1763633700.1"}},
	{"account code", pbx.CDRQuery{AccountCode: "sales"}, []pbx.CallID{"1763633700.1"}},
	{"caller name", pbx.CDRQuery{Caller: "Bob, *"}, []pbx.CallID{"1763633700.1"}},
	{"caller number", pbx.CDRQuery{Caller: "+1555*"}, []pbx.CallID{"1763722800.3"}},
	{"dispositions", pbx.CDRQuery{Dispositions: []pbx.Disposition{pbx.DispositionBusy, pbx.DispositionNoAnswer}}, []pbx.CallID{"1763722800.5", "1763633700.1"}},
	{"time range", pbx.CDRQuery{Since: time.Date(2026, 11, 21, 0, 0, 0, 0, paris), Until: time.Date(2026, 11, 22, 0, 0, 0, 0, paris)}, []pbx.CallID{"1763722800.5", "1763722800.3"}},
	{"SQL in a pattern is text", pbx.CDRQuery{Src: "1' OR '1'='1"}, nil},
	{"LIKE wildcards are literal", pbx.CDRQuery{Src: "100%"}, nil},
	{"comment injection is text", pbx.CDRQuery{Dst: "1002'; DROP TABLE cdr; -- "}, nil},
}

func ids(recs []pbx.CDR) []pbx.CallID {
	var out []pbx.CallID
	for _, r := range recs {
		out = append(out, r.UniqueID)
	}
	return out
}

func runQueries(t *testing.T, store pbx.CDRBackend) {
	ctx := context.Background()
	for _, tc := range queries {
		t.Run(tc.name, func(t *testing.T) {
			q := tc.q
			q.Limit = 100
			page, err := store.QueryCDR(ctx, &q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(page.Records); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("paging by two", func(t *testing.T) {
		q := pbx.CDRQuery{Limit: 2}
		var got []pbx.CallID
		for range 10 {
			page, err := store.QueryCDR(ctx, &q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, ids(page.Records)...)
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if !reflect.DeepEqual(got, queries[0].want) {
			t.Fatalf("pages gave %v, want %v", got, queries[0].want)
		}
	})
	t.Run("record fields", func(t *testing.T) {
		page, err := store.QueryCDR(ctx, &pbx.CDRQuery{Src: "+15551234567", Limit: 10})
		if err != nil || len(page.Records) != 1 {
			t.Fatalf("%v, %v", page, err)
		}
		r := page.Records[0]
		start := time.Date(2026, 11, 21, 11, 0, 0, 0, paris)
		if !r.Start.Equal(start) || !r.Answer.Equal(start.Add(5*time.Second)) || !r.End.Equal(start.Add(185*time.Second)) ||
			r.Duration != 185*time.Second || r.Billable != 180*time.Second || r.Disposition != pbx.DispositionAnswered ||
			r.Caller.Number != "+15551234567" || r.Channel != "PJSIP/trunk-00000003" || r.LastData != "PJSIP/1001,30" {
			t.Fatalf("record %+v", r)
		}
	})
	t.Run("stats", func(t *testing.T) {
		st, err := store.(pbx.CDRStatser).CDRStats(ctx, paris)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"2026-11-20": 2, "2026-11-21": 2, "2026-11-22": 1}
		if st.Total != 5 || !reflect.DeepEqual(st.PerDay, want) || st.PerMonth["2026-11"] != 5 || st.RecordDay != "2026-11-20" {
			t.Fatalf("stats %+v", st)
		}
		utc, err := store.(pbx.CDRStatser).CDRStats(ctx, time.FixedZone("UTC-10", -10*3600))
		if err != nil {
			t.Fatal(err)
		}
		// 09:00 and 10:15 Paris on the 20th are the 19th ten hours west of UTC.
		if utc.PerDay["2026-11-19"] != 2 {
			t.Fatalf("stats in UTC-10: %+v", utc.PerDay)
		}
	})
}

func TestCSV(t *testing.T) { runQueries(t, csvStore(t)) }

func TestSQLFreePBXLayout(t *testing.T) {
	s, db := sqlStore(t, freepbxCDR)
	runQueries(t, s)
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM cdr").Scan(&n); err != nil || n != 5 {
		t.Fatalf("after injection attempts the table has %d rows (%v)", n, err)
	}
}

func TestSQLPlainCdrMySQLLayout(t *testing.T) {
	s, _ := sqlStore(t, plainCDR)
	runQueries(t, s)
}

func TestSQLRefusesBadTableNames(t *testing.T) {
	for _, name := range []string{"cdr; DROP TABLE cdr", "a.b.c", "`cdr`", "cdr--", "."} {
		if _, err := cdrstore.NewSQL(nil, &cdrstore.SQLOptions{Table: name}); pbx.Code(err) != pbx.InvalidArgument {
			t.Errorf("NewSQL(%q) = %v", name, err)
		}
	}
}

func TestSQLNotACDRTable(t *testing.T) {
	db := mysqltest.New(t)
	db.Exec(t, "CREATE TABLE cdr (id int)")
	s, _ := cdrstore.NewSQL(db.DB, nil)
	if _, err := s.QueryCDR(context.Background(), &pbx.CDRQuery{Limit: 1}); err == nil || !strings.Contains(err.Error(), "not a CDR table") {
		t.Fatalf("query on a non-CDR table: %v", err)
	}
}

func TestCSVShortLayoutAndGrowth(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "Master.csv")
	short, err := os.ReadFile(filepath.Join("testdata", "Master-short.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(short), "\n")
	// The first line and half of the second: the half line must wait.
	if err := os.WriteFile(path, []byte(lines[0]+lines[1][:20]), 0o644); err != nil {
		t.Fatal(err)
	}
	s := cdrstore.NewCSV(path, nil)
	ctx := context.Background()
	count := func() int {
		page, err := s.QueryCDR(ctx, &pbx.CDRQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Records)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d records with a half-written line, want 1", n)
	}
	if err := os.WriteFile(path, short, 0o644); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 2 {
		t.Fatalf("%d records after the line completed, want 2", n)
	}
	// Rotation: a new, shorter file starts over.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(lines[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d records after rotation, want 1", n)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d records without a file", n)
	}
}

func TestCSVMalformedLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Master.csv")
	if err := os.WriteFile(path, []byte("\"a\",\"b\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := cdrstore.NewCSV(path, nil).QueryCDR(context.Background(), &pbx.CDRQuery{Limit: 1})
	if err == nil || !strings.Contains(err.Error(), "fields") {
		t.Fatalf("malformed CSV: %v", err)
	}
}

// TestCSVFreeSWITCHLayout reads mod_cdr_csv's records: the vanilla
// "example" template (15 columns) and the module's built-in default (13,
// with a space before the account code).
func TestCSVFreeSWITCHLayout(t *testing.T) {
	store := cdrstore.NewCSV(filepath.Join("testdata", "freeswitch-Master.csv"), &cdrstore.CSVOptions{Location: paris, Layout: cdrstore.LayoutFreeSWITCH})
	page, err := store.QueryCDR(context.Background(), &pbx.CDRQuery{Limit: 100, Oldest: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		id          pbx.CallID
		caller      pbx.Party
		src, dst    string
		account     string
		disposition pbx.Disposition
		billable    time.Duration
		answered    bool
	}{
		{"0d1a9a2c-1111-4000-8000-000000000001", pbx.Party{Name: "Extension 1000", Number: "1000"}, "1000", "1001", "", pbx.DispositionAnswered, 7 * time.Second, true},
		{"0d1a9a2c-1111-4000-8000-000000000003", pbx.Party{Name: "Bob, Smith", Number: "1002"}, "1002", "1003", "sales", pbx.DispositionNoAnswer, 0, false},
		{"0d1a9a2c-1111-4000-8000-000000000004", pbx.Party{Number: "+15551234567"}, "+15551234567", "1001", "", pbx.DispositionBusy, 0, false},
		{"0d1a9a2c-1111-4000-8000-000000000005", pbx.Party{Name: "Front Desk", Number: "1004"}, "1004", "5550100", "", pbx.DispositionFailed, 0, false},
	}
	if len(page.Records) != len(want) {
		t.Fatalf("got %d records, want %d", len(page.Records), len(want))
	}
	for i, w := range want {
		r := page.Records[i]
		if r.UniqueID != w.id || r.Caller != w.caller || r.Src != w.src || r.Dst != w.dst || r.AccountCode != w.account ||
			r.Disposition != w.disposition || r.Billable != w.billable || r.Answer.IsZero() == w.answered {
			t.Errorf("record %d = %+v, want %+v", i, r, w)
		}
	}
	if got := page.Records[0].Start; !got.Equal(time.Date(2026, 11, 20, 9, 0, 1, 0, paris)) {
		t.Errorf("start %v, want 09:00:01 in Paris", got)
	}
	busy, err := store.QueryCDR(context.Background(), &pbx.CDRQuery{Limit: 10, Dispositions: []pbx.Disposition{pbx.DispositionBusy}})
	if err != nil || len(busy.Records) != 1 {
		t.Fatalf("busy records %v, %v", busy, err)
	}
}

func TestHangupDisposition(t *testing.T) {
	for _, tc := range []struct {
		cause    string
		answered bool
		want     pbx.Disposition
	}{
		{"NORMAL_CLEARING", true, pbx.DispositionAnswered},
		{"USER_BUSY", true, pbx.DispositionAnswered},
		{"USER_BUSY", false, pbx.DispositionBusy},
		{"NO_ANSWER", false, pbx.DispositionNoAnswer},
		{"ORIGINATOR_CANCEL", false, pbx.DispositionNoAnswer},
		{"NORMAL_CIRCUIT_CONGESTION", false, pbx.DispositionCongestion},
		{"USER_NOT_REGISTERED", false, pbx.DispositionFailed},
		{"", false, pbx.DispositionFailed},
	} {
		if got := cdrstore.HangupDisposition(tc.cause, tc.answered); got != tc.want {
			t.Errorf("HangupDisposition(%q, %v) = %s, want %s", tc.cause, tc.answered, got, tc.want)
		}
	}
}
