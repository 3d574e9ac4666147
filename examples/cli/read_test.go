package main

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"
)

// TestRead runs every read command against the demo PBX and checks that
// the demo's data shows.
func TestRead(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args   []string
		want   []string                     // substrings of stdout
		check  func(t *testing.T, r result) // more checks, optional
		stderr string                       // a substring of stderr, if it is not empty
	}{
		{args: []string{"extensions", "list"}, want: []string{"EXT", "1001", "Alice Johnson", "1010", "rocord", "PJSIP/1010"}},
		{args: []string{"ext", "list"}, want: []string{"Frank Miller"}},
		{args: []string{"extensions", "get", "1010"}, want: []string{"Extension:", "1010", "rocord", "pjsip", "from-internal", "20s"}},
		{args: []string{"devices", "list"}, want: []string{"Yealink SIP-T46S", "192.0.2.11", "unavailable", "not in use"}},
		{args: []string{"devices", "get", "1002"}, want: []string{"PJSIP/1002", "Linphone/5.2.5 (belle-sip/5.2.4)", "192.0.2.12", "5062", "35ms", "reachable"}},
		{args: []string{"dnd", "get", "1006"}, want: []string{"1006: DND on"}},
		{args: []string{"dnd", "get", "1001"}, want: []string{"1001: DND off"}},
		{args: []string{"forward", "get", "1003"}, check: func(t *testing.T, r result) {
			if row := r.row("No answer:"); !strings.Contains(row, "1001") {
				t.Errorf("no-answer forward row = %q, want 1001", row)
			}
			if row := r.row("Always:"); !strings.Contains(row, "off") {
				t.Errorf("always forward row = %q, want off", row)
			}
		}},
		{args: []string{"followme", "get", "1004"}, want: []string{"Enabled:", "yes", "1004, +15550001004", "20s"}},
		{args: []string{"calls", "list"}, check: func(t *testing.T, r result) {
			row := r.row("1700000000.101")
			containsAll(t, "the call-me row", row, "1010", "PJSIP/1010-", "up", "MusicOnHold(default)", "00:01:")
			containsAll(t, "calls list", r.stdout, "Bob Smith <1002>", "Carol White <1003>", "ConfBridge(400)", "Queue(sales)")
			if len(r.lines()) != 8 {
				t.Errorf("calls list has %d lines, want a header and 7 legs:\n%s", len(r.lines()), r.stdout)
			}
		}},
		{args: []string{"calls", "list", "--ext", "1010"}, check: func(t *testing.T, r result) {
			if len(r.lines()) != 2 || r.row("MusicOnHold") == "" {
				t.Errorf("want a header and the 1010 call:\n%s", r.stdout)
			}
		}},
		{args: []string{"calls", "get", "1700000000.102"}, want: []string{"PJSIP/1002-", "Bob Smith <1002>", "Carol White <1003>", "Dial(PJSIP/1003,30)", "00:04:1"}},
		{args: []string{"voicemail", "mailboxes"}, check: func(t *testing.T, r result) {
			if f := strings.Fields(r.row("rocord")); len(f) != 5 || f[0] != "1010" || f[2] != "1" || f[3] != "2" {
				t.Errorf("mailbox 1010 row = %q, want 1010 rocord 1 new 2 old", r.row("rocord"))
			}
		}},
		{args: []string{"vm", "list", "1010"}, check: func(t *testing.T, r result) {
			if len(r.lines()) != 5 {
				t.Errorf("want a header and 4 messages:\n%s", r.stdout)
			}
			containsAll(t, "voicemail list", r.stdout, "INBOX", "Old", "Work", "Alice Johnson <1001>", "WIRELESS CALLER <+15557654321>", "00:00:07")
		}},
		{args: []string{"voicemail", "list", "1010", "--folder", "old"}, check: func(t *testing.T, r result) {
			if len(r.lines()) != 3 || strings.Contains(r.stdout, "INBOX") {
				t.Errorf("want a header and the 2 old messages:\n%s", r.stdout)
			}
		}},
		{args: []string{"conferences", "list"}, check: func(t *testing.T, r result) {
			if f := strings.Fields(r.row("400")); len(f) < 4 || f[1] != "2" || f[2] != "1" || f[3] != "no" {
				t.Errorf("room row = %q, want 400 with 2 parties, 1 marked, unlocked", r.row("400"))
			}
		}},
		{args: []string{"conf", "get", "400"}, want: []string{"Room:", "400", "PJSIP/1004-", "Dave Brown <1004>", "Alice Johnson <1001>", "1700000000.200"}},
		{args: []string{"queues", "list"}, want: []string{"sales", "rrmemory", "support", "leastrecent", "00:00:38"}},
		{args: []string{"queues", "get", "sales"}, want: []string{"PJSIP/1001", "Alice Johnson", "PJSIP/1004", "lunch", "JOHN CALLER <+15551234567>", "+15559876543", "POS"}},
		{args: []string{"cdr", "list", "--limit", "5"}, check: func(t *testing.T, r result) {
			if len(r.lines()) != 6 {
				t.Errorf("want a header and 5 records:\n%s", r.stdout)
			}
			containsAll(t, "cdr list", r.stdout, "START", "DISPOSITION")
		}, stderr: "more records: add --cursor "},
		{args: []string{"cdr", "stats", "--tz", "Europe/Paris"}, want: []string{"Total:", "Record day:", "Europe/Paris", "MONTH", "DAY"}},
		{args: []string{"system", "info"}, want: []string{"Backend:", "mock", "Version:", "pbxkit mock", "Active channels:", "7"}},
		{args: []string{"system", "useragents"}, want: []string{"USER AGENT", "Yealink SIP-T46S 66.86.0.15", "MicroSIP/3.21.3"}},
		{args: []string{"capabilities"}, check: func(t *testing.T, r result) {
			if row := r.row("calls.originate"); !strings.Contains(row, "yes") {
				t.Errorf("calls.originate row = %q", row)
			}
		}},
		{args: []string{"events", "--for", "100ms"}}, // the demo without activity is quiet
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			r := pbxctl(t, tt.args...)
			if tt.stderr == "" {
				r.ok(t)
			} else if r.code != 0 || !strings.Contains(r.stderr, tt.stderr) {
				t.Fatalf("exit %d, stderr %q; want 0 and %q", r.code, r.stderr, tt.stderr)
			}
			containsAll(t, "stdout", r.stdout, tt.want...)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// TestTables checks that tables are aligned: every column of the header
// starts where the column starts in each row.
func TestTables(t *testing.T) {
	t.Parallel()
	r := pbxctl(t, "calls", "list").ok(t)
	lines := r.lines()
	for _, col := range []string{"EXT", "CHANNEL", "STATE", "DURATION"} {
		at := strings.Index(lines[0], col)
		for _, l := range lines[1:] {
			if at >= len(l) || l[at-1] != ' ' || l[at] == ' ' {
				t.Errorf("column %s (at %d) is not aligned in %q", col, at, l)
			}
		}
	}
}

// TestJSON checks that --json prints JSON: arrays for lists, objects for
// single results.
func TestJSON(t *testing.T) {
	t.Parallel()
	lists := [][]string{
		{"extensions", "list"},
		{"devices", "list"},
		{"calls", "list"},
		{"calls", "list", "--ext", "1010"},
		{"voicemail", "mailboxes"},
		{"voicemail", "list", "1010"},
		{"conferences", "list"},
		{"queues", "list"},
		{"system", "useragents"},
		{"cdr", "list", "--limit", "3"},
		{"calls", "hangup", "--ext", "1010"},
	}
	for _, args := range lists {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			r := pbxctl(t, append([]string{"--json"}, args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			if v := r.jsonArray(t); len(v) == 0 {
				t.Errorf("empty list")
			}
		})
	}
	objects := []struct {
		args []string
		key  string // a key the object must have
	}{
		{[]string{"extensions", "get", "1010"}, "mailbox"},
		{[]string{"devices", "get", "1010"}, "contacts"},
		{[]string{"dnd", "get", "1006"}, "dnd"},
		{[]string{"forward", "get", "1003"}, "noAnswer"},
		{[]string{"followme", "get", "1004"}, "numbers"},
		{[]string{"calls", "get", "1700000000.101"}, "application"},
		{[]string{"conferences", "get", "400"}, "participants"},
		{[]string{"queues", "get", "sales"}, "members"},
		{[]string{"cdr", "stats"}, "perMonth"},
		{[]string{"system", "info"}, "version"},
		{[]string{"capabilities"}, "capabilities"},
		{[]string{"extensions", "reveal-secret", "1001"}, "secret"},
	}
	for _, tt := range objects {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			v := pbxctl(t, append([]string{"--json"}, tt.args...)...).ok(t).jsonObject(t)
			if _, ok := v[tt.key]; !ok {
				t.Errorf("no %q in %v", tt.key, v)
			}
		})
	}
	t.Run("calls list 1010", func(t *testing.T) {
		t.Parallel()
		calls := pbxctl(t, "--json", "calls", "list", "--ext", "1010").ok(t).jsonArray(t)
		if len(calls) != 1 || calls[0]["id"] != "1700000000.101" || calls[0]["application"] != "MusicOnHold" {
			t.Errorf("calls on 1010 = %v", calls)
		}
	})
	t.Run("voicemail list 1010", func(t *testing.T) {
		t.Parallel()
		if msgs := pbxctl(t, "--json", "voicemail", "list", "1010").ok(t).jsonArray(t); len(msgs) != 4 {
			t.Errorf("%d messages, want 4", len(msgs))
		}
	})
}

func TestCDR(t *testing.T) {
	t.Parallel()
	t.Run("csv", func(t *testing.T) {
		t.Parallel()
		r := pbxctl(t, "cdr", "list", "--format", "csv", "--limit", "5")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 6 || rows[0][0] != "start" || rows[0][3] != "src" {
			t.Fatalf("want a header and 5 rows, got %d rows:\n%s", len(rows), r.stdout)
		}
		for _, row := range rows[1:] {
			if _, err := time.Parse(time.RFC3339, row[0]); err != nil {
				t.Errorf("start %q: %v", row[0], err)
			}
		}
		// More records match: the next page's cursor goes to stderr.
		if !strings.Contains(r.stderr, "--cursor ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("stderr = %q, want one line with the next cursor", r.stderr)
		}
	})
	t.Run("all", func(t *testing.T) {
		t.Parallel()
		recs := pbxctl(t, "cdr", "list", "--all", "--src", "1001", "--format", "json", "--limit", "10").ok(t).jsonArray(t)
		if len(recs) <= 10 {
			t.Fatalf("--all gave %d records, want more than one page of 10", len(recs))
		}
		seen := map[string]bool{}
		var last string
		for _, rec := range recs {
			id, start := rec["uniqueId"].(string), rec["start"].(string)
			if rec["src"] != "1001" {
				t.Errorf("record %s has src %v", id, rec["src"])
			}
			if seen[id] {
				t.Errorf("record %s listed twice", id)
			}
			seen[id] = true
			if last != "" && mustTime(t, start).After(mustTime(t, last)) {
				t.Errorf("record %s (%s) after %s: not newest first", id, start, last)
			}
			last = start
		}
	})
	t.Run("cursor", func(t *testing.T) {
		t.Parallel()
		first := pbxctl(t, "cdr", "list", "--json", "--limit", "3")
		_, cursor, ok := strings.Cut(strings.TrimSpace(first.stderr), "--cursor ")
		cursor, _, _ = strings.Cut(cursor, " ")
		if first.code != 0 || !ok {
			t.Fatalf("exit %d, stderr %q", first.code, first.stderr)
		}
		page1 := first.jsonArray(t)
		page2 := pbxctl(t, "cdr", "list", "--json", "--limit", "3", "--cursor", cursor).jsonArray(t)
		if len(page2) != 3 || page2[0]["uniqueId"] == page1[2]["uniqueId"] {
			t.Errorf("second page %v does not follow the first %v", page2, page1)
		}
	})
	t.Run("filters", func(t *testing.T) {
		t.Parallel()
		since := time.Now().Add(-49 * time.Hour)
		recs := pbxctl(t, "cdr", "list", "--since", "2d", "--oldest", "--disposition", "busy,no-answer", "--format", "json").ok(t).jsonArray(t)
		if len(recs) == 0 {
			t.Fatal("no busy or unanswered calls in 2 days")
		}
		var last time.Time
		for _, rec := range recs {
			start := mustTime(t, rec["start"].(string))
			if d := rec["disposition"]; d != "BUSY" && d != "NO ANSWER" {
				t.Errorf("disposition %v", d)
			}
			if start.Before(since) || start.Before(last) {
				t.Errorf("start %v: before --since or not oldest first", start)
			}
			last = start
		}
	})
	t.Run("until date", func(t *testing.T) {
		t.Parallel()
		day := time.Now().AddDate(0, 0, -3).Format(time.DateOnly)
		midnight, _ := time.ParseInLocation(time.DateOnly, day, time.Local)
		recs := pbxctl(t, "cdr", "list", "--until", day, "--limit", "1", "--json").jsonArray(t)
		if len(recs) != 1 || !mustTime(t, recs[0]["start"].(string)).Before(midnight) {
			t.Errorf("--until %s gave %v", day, recs)
		}
	})
	t.Run("stats json", func(t *testing.T) {
		t.Parallel()
		st := pbxctl(t, "--json", "cdr", "stats", "--tz", "Europe/Paris").ok(t).jsonObject(t)
		if st["total"].(float64) < 100 {
			t.Errorf("total = %v", st["total"])
		}
	})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
