package asttest

import (
	"context"
	"encoding/binary"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/asterisktest"
	"github.com/pbxkit/pbxkit/internal/distrotest"
	"github.com/pbxkit/pbxkit/internal/mysqltest"
	"github.com/pbxkit/pbxkit/pbx"
	"github.com/pbxkit/pbxkit/pbx/pbxtest"
)

// Distro is the test PBX of the freepbx and issabel backends: the
// distribution's two databases on MariaDB, seeded with the fixture
// extensions 1001-1006 as its GUI writes them and with one recorded call,
// and a private Asterisk that writes its CDRs into the CDR database.
type Distro struct {
	*Harness
	DBs *distrotest.Databases
	// Options reach the Asterisk: AMI credentials, spool, recordings, and
	// the fixture's dialplan. CDR is nil: the backend reads the database.
	Options asterisk.Options
	// Recording is the recordingfile of the seeded call.
	Recording string
}

// Dialplan is where the fixture dialplan (testdata/asterisk) sends
// originated calls, in FreePBX's terms: from-internal, *43 for the echo
// test, and ConfBridge rooms in pbxkit-conference.
var Dialplan = asterisk.Dialplan{
	DialContext:       "from-internal",
	Hold:              asterisk.Location{Context: "pbxkit-callme", Exten: "hold"},
	Echo:              asterisk.Location{Context: "from-internal", Exten: "*43"},
	ConferenceContext: "pbxkit-conference",
}

// NewDistro starts the test PBX of a distribution. Set Harness.Open.
func NewDistro(ctx context.Context, t *testing.T, d distrotest.Distro) (*Distro, error) {
	var dbs *distrotest.Databases
	if d == distrotest.Issabel {
		dbs = distrotest.LoadIssabel(t)
	} else {
		dbs = distrotest.LoadFreePBX(t)
	}
	distrotest.SeedExtensions(t, dbs.Asterisk, d)
	user := mysqltest.User(t, dbs.CDRName)
	srv := asterisktest.Start(t, &asterisktest.Options{MySQL: &asterisktest.MySQLOptions{
		Host: "127.0.0.1", User: user.User, Password: user.Passwd, Database: dbs.CDRName}})
	h, err := New(ctx, t, srv)
	if err != nil {
		return nil, err
	}
	opts := Options(srv)
	opts.CDR = nil
	opts.Dialplan = Dialplan
	env := &Distro{Harness: h, DBs: dbs, Options: opts}
	if err := env.seedRecording(ctx); err != nil {
		return nil, err
	}
	return env, nil
}

// seedRecording files a one-second recording of a call from 1002 to 1001
// yesterday, as FreePBX names and files them, and its CDR.
func (d *Distro) seedRecording(ctx context.Context) error {
	when := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	d.Recording = "external-1001-1002-" + when.Format("20060102-150405") + "-1700000000.1.wav"
	dir := filepath.Join(d.Options.MonitorDir, when.Format("2006/01/02"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, d.Recording), silence(8000), 0o644); err != nil {
		return err
	}
	_, err := d.DBs.CDR.ExecContext(ctx, `INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel,
		lastapp, lastdata, duration, billsec, disposition, amaflags, uniqueid, recordingfile, cnum, cnam)
		VALUES (?, '"Bob" <1002>', '1002', '1001', 'from-internal', 'PJSIP/1002-00000001', 'PJSIP/1001-00000002',
		'Dial', 'PJSIP/1001,30', 2, 1, 'ANSWERED', 3, '1700000000.1', ?, '1002', 'Bob')`,
		when.Format(time.DateTime), d.Recording)
	return err
}

// silence returns a WAV file of n samples of 8 kHz 16-bit mono silence.
func silence(n int) []byte {
	data := uint32(2 * n)
	h := []any{[4]byte{'R', 'I', 'F', 'F'}, 36 + data, [4]byte{'W', 'A', 'V', 'E'},
		[4]byte{'f', 'm', 't', ' '}, uint32(16), uint16(1), uint16(1), uint32(8000), uint32(16000), uint16(2), uint16(16),
		[4]byte{'d', 'a', 't', 'a'}, data}
	var out []byte
	for _, v := range h {
		out, _ = binary.Append(out, binary.LittleEndian, v)
	}
	return append(out, make([]byte, data)...)
}

// DistroConformance is the pbxtest harness of a distribution's backend:
// the test PBX of NewDistro, with clients made by open.
func DistroConformance(d distrotest.Distro, open func(ctx context.Context, env *Distro) (*pbx.Client, error)) pbxtest.HarnessMaker {
	return func(ctx context.Context, t *testing.T) (pbxtest.Harness, error) {
		env, err := NewDistro(ctx, t, d)
		if err != nil {
			return nil, err
		}
		env.Open = func(ctx context.Context) (*pbx.Client, error) { return open(ctx, env) }
		return env, nil
	}
}

// URL is the test PBX as a freepbx:// or issabel:// URL (scheme), as a
// program given only a URL (pbxctl, pbxd) reaches it: its Asterisk's AMI,
// its databases through a user of their own, its spool and recordings, the
// fixture's conference context, and "true" as the apply command.
func (d *Distro) URL(t *testing.T, scheme string) string {
	user := mysqltest.User(t, d.DBs.AsteriskName, d.DBs.CDRName)
	dsn := func(db string) string { c := user.Clone(); c.DBName = db; return c.FormatDSN() }
	u := url.URL{Scheme: scheme, User: url.UserPassword(d.Srv.AMIUser, d.Srv.AMISecret), Host: d.Srv.AMIAddr}
	u.RawQuery = url.Values{
		"db": {dsn(d.DBs.AsteriskName)}, "cdrdb": {dsn(d.DBs.CDRName)},
		"spool": {d.Options.SpoolDir}, "monitor": {d.Options.MonitorDir},
		"conference_context": {d.Options.Dialplan.ConferenceContext},
		"apply_command":      {"true"},
	}.Encode()
	return u.String()
}
