package esltest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// cdrTemplate is the "example" template of the vanilla cdr_csv.conf.xml,
// the default-template FreeSWITCH ships with; mod_cdr_csv expands it with
// the channel's variables and does not escape the values.
var cdrTemplate = []string{
	"caller_id_name", "caller_id_number", "destination_number", "context",
	"start_stamp", "answer_stamp", "end_stamp", "duration", "billsec",
	"hangup_cause", "uuid", "bleg_uuid", "accountcode", "read_codec", "write_codec",
}

// CDRPath returns the Master.csv file that the simulated mod_cdr_csv
// appends a line to when an A leg ends (legs="a", the default):
// <Dir>/cdr-csv/Master.csv.
func (s *Server) CDRPath() string {
	return filepath.Join(s.opts.Dir, "cdr-csv", "Master.csv")
}

// stamp formats t as the core's *_stamp variables: local time, "" for
// the zero time.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02 15:04:05")
}

// cdrVar returns the value ${name} expands to on ch at reporting time.
func (ch *channel) cdrVar(name string) string {
	switch name {
	case "caller_id_name":
		return ch.cidName
	case "caller_id_number":
		return ch.cidNum
	case "destination_number":
		return ch.dest
	case "context":
		return ch.context
	case "uuid":
		return ch.uuid
	case "read_codec", "write_codec":
		return "PCMU"
	}
	return ch.getVar(name)
}

// writeCDRLocked appends ch's record to Master.csv, as mod_cdr_csv's
// reporting state handler does: B legs (those with an originator) are
// skipped, an accountcode also gets its own <accountcode>.csv.
func (sw *switchState) writeCDRLocked(ch *channel) {
	if ch.originator != nil {
		return
	}
	fields := make([]string, len(cdrTemplate))
	for i, name := range cdrTemplate {
		fields[i] = `"` + ch.cdrVar(name) + `"`
	}
	line := strings.Join(fields, ",") + "\n"
	paths := []string{sw.s.CDRPath()}
	if code := ch.getVar("accountcode"); code != "" && !strings.ContainsAny(code, `/\`) {
		paths = append(paths, filepath.Join(filepath.Dir(paths[0]), code+".csv"))
	}
	for _, p := range paths {
		if err := appendFile(p, line); err != nil {
			sw.s.logf("esltest: writing %s: %v", p, err)
		}
	}
}

func appendFile(path, line string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteString(line)
	return errors.Join(err, f.Close())
}
