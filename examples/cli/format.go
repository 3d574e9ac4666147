package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// output prints v as JSON with --json, and calls text otherwise.
func (a *app) output(v any, text func() error) error {
	if a.json {
		return a.printJSON(v)
	}
	return text()
}

// printJSON prints v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printf prints a line of text output.
func (a *app) printf(format string, args ...any) error {
	_, err := fmt.Fprintf(a.stdout, format+"\n", args...)
	return err
}

// nonNil returns s, or an empty slice for nil, so that JSON shows [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// table prints aligned columns.
type table struct{ tw *tabwriter.Writer }

func (a *app) table(headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)}
	if len(headers) > 0 {
		t.row(headers...)
	}
	return t
}

// row adds a row; empty cells print as "-".
func (t *table) row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			t.tw.Write([]byte{'\t'})
		}
		t.tw.Write([]byte(cell(c)))
	}
	t.tw.Write([]byte{'\n'})
}

func (t *table) flush() error { return t.tw.Flush() }

// cell keeps a value on one line and inside its column.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// kv prints "key: value" lines, aligned; pairs alternate key and value.
func (a *app) kv(pairs ...string) error {
	t := a.table()
	for i := 0; i+1 < len(pairs); i += 2 {
		t.row(pairs[i]+":", pairs[i+1])
	}
	return t.flush()
}

// fmtTime prints a time in the local zone, as briefly as is unambiguous
// today: "15:04:05" today, "Jan 02 15:04" this year, else the date.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.Local()
	now := time.Now()
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04:05")
	case t.Year() == now.Year():
		return t.Format("Jan 02 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// fmtDateTime prints a time in the local zone with its date, for records.
func fmtDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// fmtClock prints a call's length as hh:mm:ss ("00:01:49").
func fmtClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60)
}

// fmtDur prints a setting or an age briefly ("1m49s", "20s", "2h", "12ms");
// zero prints as "".
func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return ""
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d >= 48*time.Hour:
		days := d / (24 * time.Hour)
		return fmt.Sprintf("%dd", days) + fmtDur((d - days*24*time.Hour).Round(time.Minute))
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// fmtParty prints a caller ID as "Name <number>", or whichever part is set.
func fmtParty(p pbx.Party) string {
	switch {
	case p.Name != "" && p.Number != "":
		return p.Name + " <" + p.Number + ">"
	case p.Name != "":
		return p.Name
	}
	return p.Number
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}
