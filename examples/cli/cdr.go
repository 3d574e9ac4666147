package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // --tz works where the system has no zone database

	"github.com/pbxkit/pbxkit/pbx"
	"github.com/spf13/cobra"
)

func (a *app) cdrCmd() *cobra.Command {
	cmd := a.group(&cobra.Command{
		Use:   "cdr",
		Short: "Query call detail records",
	})
	cmd.AddCommand(a.cdrListCmd(), a.cdrStatsCmd())
	return cmd
}

func (a *app) cdrListCmd() *cobra.Command {
	var (
		q      pbx.CDRQuery
		all    bool
		format string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List call detail records, newest first",
		Long: `List call detail records, newest first (--oldest: oldest first), one page
of --limit records (default 100, at most 1000). When more records match, the
cursor of the next page is printed on stderr; pass it as --cursor with the
same filters, or use --all to follow the cursors to the end.

--since and --until bound the start time (since <= start < until). Each takes
an RFC 3339 time (2026-11-23T09:00:00+01:00), a local date (2026-11-23,
meaning its midnight) or a duration meaning that long ago (90m, 24h, 7d).

Patterns (--src, --dst, --channel, --account-code, --caller) match a whole
field; '*' matches any run of characters and '?' any one character.`,
		Example: `  pbxctl cdr list --since 24h --src 1001
  pbxctl cdr list --since 2026-11-01 --until 2026-12-01 --disposition busy,no-answer --all --format csv
  pbxctl cdr list --dst '+44*' --limit 10 --format json`,
		Args: args(),
	}
	f := cmd.Flags()
	f.Var(&timeValue{t: &q.Since}, "since", "only records that started at or after this time")
	f.Var(&timeValue{t: &q.Until}, "until", "only records that started before this time")
	f.StringVar(&q.Src, "src", "", "pattern on the source (caller) number")
	f.StringVar(&q.Dst, "dst", "", "pattern on the destination number")
	f.StringVar(&q.Channel, "channel", "", "pattern on the channel or destination channel")
	f.StringVar(&q.AccountCode, "account-code", "", "pattern on the account code")
	f.StringVar(&q.Caller, "caller", "", "pattern on the caller ID name or number")
	f.Var(newList(&q.Dispositions, "dispositions", pbx.ParseDisposition), "disposition",
		"only these dispositions, comma-separated: answered, no-answer, busy, failed, congestion")
	f.IntVar(&q.Limit, "limit", 0, "records per page (default 100, at most 1000)")
	f.StringVar(&q.Cursor, "cursor", "", "continue after a previous page (its printed cursor)")
	f.BoolVar(&q.Oldest, "oldest", false, "oldest records first")
	f.BoolVar(&all, "all", false, "follow the cursors: list every matching record")
	f.Var(newEnum(&format, "", "format", parseFormat), "format", "table, json or csv (default table, or json with --json)")

	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
		if format == "" {
			format = "table"
			if a.json {
				format = "json"
			}
		}
		w := a.cdrWriter(format)
		for {
			page, err := c.CDR().Query(ctx, q)
			if err != nil {
				return err
			}
			if err := w.write(page.Records); err != nil {
				return err
			}
			if page.Next == "" {
				break
			}
			if !all {
				if err := w.close(); err != nil {
					return err
				}
				_, err := fmt.Fprintf(a.stderr, "pbxctl: more records: add --cursor %s (or use --all)\n", page.Next)
				return err
			}
			q.Cursor = page.Next
		}
		return w.close()
	})
	return cmd
}

func parseFormat(s string) (string, error) {
	switch s {
	case "table", "json", "csv":
		return s, nil
	}
	return "", fmt.Errorf("unknown format %q: want table, json or csv", s)
}

// cdrWriter prints records as they arrive, page by page.
type cdrWriter interface {
	write([]pbx.CDR) error
	close() error
}

func (a *app) cdrWriter(format string) cdrWriter {
	switch format {
	case "json":
		return &cdrJSON{a: a}
	case "csv":
		return &cdrCSV{w: csv.NewWriter(a.stdout)}
	}
	t := a.table("START", "SRC", "DST", "CALLER", "DISPOSITION", "DURATION", "BILLSEC", "ACCOUNT", "UNIQUE ID")
	return &cdrTable{t: t}
}

type cdrTable struct{ t *table }

func (w *cdrTable) write(recs []pbx.CDR) error {
	for _, r := range recs {
		w.t.row(fmtDateTime(r.Start), r.Src, r.Dst, fmtParty(r.Caller), r.Disposition.String(),
			fmtClock(r.Duration), fmtClock(r.Billable), r.AccountCode, string(r.UniqueID))
	}
	return nil
}

func (w *cdrTable) close() error { return w.t.flush() }

// cdrJSON streams one JSON array.
type cdrJSON struct {
	a *app
	n int
}

func (w *cdrJSON) write(recs []pbx.CDR) error {
	for _, r := range recs {
		b, err := json.MarshalIndent(r, "  ", "  ")
		if err != nil {
			return err
		}
		sep := ",\n  "
		if w.n == 0 {
			sep = "[\n  "
		}
		w.n++
		if _, err := fmt.Fprintf(w.a.stdout, "%s%s", sep, b); err != nil {
			return err
		}
	}
	return nil
}

func (w *cdrJSON) close() error {
	end := "\n]\n"
	if w.n == 0 {
		end = "[]\n"
	}
	_, err := fmt.Fprint(w.a.stdout, end)
	return err
}

// cdrCSV writes a header row, then one row per record. Times are RFC 3339
// and durations whole seconds, as CDR CSV files have them.
type cdrCSV struct {
	w      *csv.Writer
	header bool
}

var cdrCSVHeader = []string{
	"start", "answer", "end", "src", "dst", "caller_name", "caller_number", "context", "channel", "dst_channel",
	"last_app", "last_data", "duration", "billsec", "disposition", "account_code", "unique_id", "linked_id", "recording",
}

func (w *cdrCSV) write(recs []pbx.CDR) error {
	if !w.header {
		w.header = true
		if err := w.w.Write(cdrCSVHeader); err != nil {
			return err
		}
	}
	rfc := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339)
	}
	secs := func(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }
	for _, r := range recs {
		err := w.w.Write([]string{
			rfc(r.Start), rfc(r.Answer), rfc(r.End), r.Src, r.Dst, r.Caller.Name, r.Caller.Number, r.Context,
			r.Channel, r.DstChannel, r.LastApp, r.LastData, secs(r.Duration), secs(r.Billable), r.Disposition.String(),
			r.AccountCode, string(r.UniqueID), string(r.LinkedID), r.Recording,
		})
		if err != nil {
			return err
		}
	}
	w.w.Flush()
	return w.w.Error()
}

func (w *cdrCSV) close() error { return w.write(nil) }

// timeValue is a --since/--until flag.
type timeValue struct{ t *time.Time }

func (v *timeValue) Type() string { return "time" }

func (v *timeValue) String() string {
	if v.t == nil || v.t.IsZero() {
		return ""
	}
	return v.t.Format(time.RFC3339)
}

func (v *timeValue) Set(s string) error {
	t, err := parseWhen(s, time.Now())
	if err != nil {
		return err
	}
	*v.t = t
	return nil
}

// parseWhen reads an RFC 3339 time, a local date, or a duration ago.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, time.Local); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, errors.New("want an RFC 3339 time (2026-11-23T09:00:00Z), a date (2026-11-23) or a duration ago (24h, 7d)")
}

func (a *app) cdrStatsCmd() *cobra.Command {
	loc := time.Local
	cmd := &cobra.Command{
		Use:   "stats [--tz Europe/Paris]",
		Short: "Count calls in total, per month and per day, and find the record day",
		Args:  args(),
	}
	cmd.Flags().Var(newEnum(&loc, "", "zone", time.LoadLocation), "tz", "time zone of the days and months (default: local)")
	cmd.RunE = a.withClient(func(ctx context.Context, c *pbx.Client, _ []string) error {
		st, err := c.CDR().Stats(ctx, loc)
		if err != nil {
			return err
		}
		return a.output(st, func() error {
			record := ""
			if st.RecordDay != "" {
				record = fmt.Sprintf("%s (%d calls)", st.RecordDay, st.RecordCount)
			}
			if err := a.kv("Total", strconv.Itoa(st.Total), "Record day", record, "Time zone", zoneName(loc),
				"Updated", fmtTime(st.Updated)); err != nil {
				return err
			}
			for _, part := range []struct {
				title  string
				counts map[string]int
			}{{"MONTH", st.PerMonth}, {"DAY", st.PerDay}} {
				if err := a.printf(""); err != nil {
					return err
				}
				t := a.table(part.title, "CALLS")
				for _, k := range slices.Sorted(maps.Keys(part.counts)) {
					t.row(k, strconv.Itoa(part.counts[k]))
				}
				if err := t.flush(); err != nil {
					return err
				}
			}
			return nil
		})
	})
	return cmd
}

// zoneName names a time zone, spelling out what "Local" is.
func zoneName(loc *time.Location) string {
	if loc == time.Local {
		name, _ := time.Now().Zone()
		return "local (" + name + ")"
	}
	return loc.String()
}
