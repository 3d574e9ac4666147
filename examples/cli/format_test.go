package main

import (
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{fmtClock(109 * time.Second), "00:01:49"},
		{fmtClock(4*time.Hour + 12*time.Second + 600*time.Millisecond), "04:00:12"},
		{fmtClock(123 * time.Hour), "123:00:00"},
		{fmtClock(-time.Second), "00:00:00"},
		{fmtDur(0), ""},
		{fmtDur(12 * time.Millisecond), "12ms"},
		{fmtDur(20 * time.Second), "20s"},
		{fmtDur(109 * time.Second), "1m49s"},
		{fmtDur(2 * time.Minute), "2m"},
		{fmtDur(2 * time.Hour), "2h"},
		{fmtDur(26*time.Hour + 3*time.Minute), "26h3m"},
		{fmtDur(3*24*time.Hour + 4*time.Hour + 12*time.Minute + 5*time.Second), "3d4h12m"},
		{fmtParty(pbx.Party{Name: "Alice", Number: "1001"}), "Alice <1001>"},
		{fmtParty(pbx.Party{Number: "1001"}), "1001"},
		{fmtParty(pbx.Party{Name: "Alice"}), "Alice"},
		{fmtParty(pbx.Party{}), ""},
		{application("Dial", "PJSIP/1003,30"), "Dial(PJSIP/1003,30)"},
		{application("Echo", ""), "Echo"},
		{cell(""), "-"},
		{cell("a\tb\nc"), "a b c"},
		{oneLine("a\nb\r\nc\rd\n"), `a; b; c\rd`},
		{fmtTime(time.Time{}), ""},
		{fmtTime(time.Date(2001, 2, 3, 4, 5, 6, 0, time.Local)), "2001-02-03 04:05"},
		{fmtDateTime(time.Date(2001, 2, 3, 4, 5, 6, 0, time.Local)), "2001-02-03 04:05:06"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	if got := fmtTime(time.Now()); len(got) != len("15:04:05") {
		t.Errorf("fmtTime(now) = %q, want the time of day", got)
	}
}

func TestParseWhen(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Time
	}{
		{"2026-11-20T09:30:00Z", time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)},
		{"2026-11-20T09:30:00+01:00", time.Date(2026, 11, 20, 8, 30, 0, 0, time.UTC)},
		{"2026-11-20", time.Date(2026, 11, 20, 0, 0, 0, 0, time.Local)},
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"7d", now.AddDate(0, 0, -7)},
	} {
		got, err := parseWhen(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", "yesterday", "-24h", "2026-13-01", "xd", "-3d"} {
		if _, err := parseWhen(in, now); err == nil {
			t.Errorf("parseWhen(%q) succeeded", in)
		}
	}
}
