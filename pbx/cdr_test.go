package pbx_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestMatchPattern(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "anything", true},
		{"1001", "1001", true},
		{"1001", "10011", false},
		{"10*", "1001", true},
		{"10*", "10", true},
		{"*01", "1001", true},
		{"1?01", "1001", true},
		{"1?01", "101", false},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"PJSIP/*-*", "PJSIP/1001-0000000a", true},
		{"%", "anything", false},
		{"_", "x", false},
	}
	for _, tc := range tests {
		if got := pbx.MatchPattern(tc.pattern, tc.s); got != tc.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

// FuzzMatchPattern checks MatchPattern against the equivalent regexp.
func FuzzMatchPattern(f *testing.F) {
	f.Add("a*b?c", "axxbyc")
	f.Add("**?", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 32 || len(s) > 64 {
			return
		}
		var re strings.Builder
		re.WriteString(`(?s)^`)
		for _, r := range pattern {
			switch r {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString(`$`)
		rx, err := regexp.Compile(re.String())
		if err != nil {
			return
		}
		// MatchPattern works on bytes, the regexp on runes: compare on ASCII.
		for i := 0; i < len(pattern); i++ {
			if pattern[i] >= 0x80 {
				return
			}
		}
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return
			}
		}
		if got, want := pbx.MatchPattern(pattern, s), pattern == "" || rx.MatchString(s); got != want {
			t.Fatalf("MatchPattern(%q, %q) = %v, regexp says %v", pattern, s, got, want)
		}
	})
}

func TestLikePattern(t *testing.T) {
	for in, want := range map[string]string{
		"10*":          `10%`,
		"1?01":         `1_01`,
		"50%_off\\":    `50\%\_off\\`,
		"%' OR '1'='1": `\%' OR '1'='1`,
	} {
		if got := pbx.LikePattern(in); got != want {
			t.Errorf("LikePattern(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzDecodeCDRCursor(f *testing.F) {
	f.Add(pbx.CDRCursor{Start: time.Unix(1700000000, 5), UniqueID: "1700000000.1", Sequence: 3}.Encode())
	f.Add("")
	f.Add("!!!")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := pbx.DecodeCDRCursor(s)
		if err != nil {
			return
		}
		back, err := pbx.DecodeCDRCursor(c.Encode())
		if err != nil || back != c {
			t.Fatalf("cursor %q does not round-trip: %v", s, err)
		}
	})
}

func TestPageCDRs(t *testing.T) {
	base := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var recs []pbx.CDR
	for i := range 25 {
		d := pbx.DispositionAnswered
		if i%5 == 0 {
			d = pbx.DispositionBusy
		}
		recs = append(recs, pbx.CDR{
			Start: base.Add(time.Duration(i/2) * time.Minute), // pairs share a start time
			Src:   fmt.Sprint(1000 + i%3), Dst: "2000", Disposition: d,
			UniqueID: pbx.CallID(fmt.Sprintf("1700000000.%d", i)),
		})
	}
	for _, oldest := range []bool{false, true} {
		q := pbx.CDRQuery{Limit: 4, Oldest: oldest, Src: "100?", Dispositions: []pbx.Disposition{pbx.DispositionAnswered}}
		var all []pbx.CDR
		pages := 0
		for {
			page, err := pbx.PageCDRs(recs, &q)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			all = append(all, page.Records...)
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		if len(all) != 20 || pages != 5 {
			t.Fatalf("oldest=%v: %d records in %d pages, want 20 in 5", oldest, len(all), pages)
		}
		seen := map[pbx.CallID]bool{}
		for i, r := range all {
			if seen[r.UniqueID] || r.Disposition != pbx.DispositionAnswered {
				t.Fatalf("record %s repeated or not answered", r.UniqueID)
			}
			seen[r.UniqueID] = true
			if i > 0 {
				if c := pbx.CompareCDR(&all[i-1], &r); (oldest && c > 0) || (!oldest && c < 0) {
					t.Fatalf("oldest=%v: records %d and %d out of order", oldest, i-1, i)
				}
			}
		}
	}
	page, _ := pbx.PageCDRs(recs, &pbx.CDRQuery{Since: base.Add(3 * time.Minute), Until: base.Add(5 * time.Minute)})
	for _, r := range page.Records {
		if r.Start.Before(base.Add(3*time.Minute)) || !r.Start.Before(base.Add(5*time.Minute)) {
			t.Fatalf("record at %s outside the range", r.Start)
		}
	}
	if len(page.Records) != 4 {
		t.Fatalf("time range gave %d records, want 4", len(page.Records))
	}
}

func TestCDRStatsAdd(t *testing.T) {
	st := pbx.NewCDRStats()
	day := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)
	st.Add(day, 1)
	st.Add(day.Add(2*time.Hour), 1)
	st.Add(day.Add(3*time.Hour), 1)
	if st.Total != 3 || st.PerDay["2026-11-01"] != 2 || st.PerMonth["2026-10"] != 1 || st.RecordDay != "2026-11-01" || st.RecordCount != 2 {
		t.Fatalf("stats %+v", st)
	}
}
