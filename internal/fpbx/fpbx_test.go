package fpbx_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/freepbx"
	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/internal/distrotest"
	"github.com/pbxkit/pbxkit/issabel"
	"github.com/pbxkit/pbxkit/pbx"
)

// distro is one distribution and how the tests open its backend.
type distro struct {
	name string
	d    distrotest.Distro
	open func(ctx context.Context, addr string, env *asttest.Distro) (*pbx.Client, error)
}

var distros = []distro{
	{"FreePBX", distrotest.FreePBX, func(ctx context.Context, addr string, env *asttest.Distro) (*pbx.Client, error) {
		return freepbx.Open(ctx, addr, &freepbx.Options{Options: env.Options, DB: env.DBs.Asterisk, CDRDB: env.DBs.CDR, ApplyCommand: []string{"true"}})
	}},
	{"Issabel", distrotest.Issabel, func(ctx context.Context, addr string, env *asttest.Distro) (*pbx.Client, error) {
		return issabel.Open(ctx, addr, &issabel.Options{Options: env.Options, DB: env.DBs.Asterisk, CDRDB: env.DBs.CDR, ApplyCommand: []string{"true"}})
	}},
}

// TestDistributions runs, on each distribution's databases and a real
// Asterisk, what the conformance suite cannot see: the exact rows and astdb
// keys written, the faults of a create, hostile CDR filters and recording
// names, and applying configuration.
func TestDistributions(t *testing.T) {
	for _, dd := range distros {
		t.Run(dd.name, func(t *testing.T) {
			ctx := context.Background()
			env, err := asttest.NewDistro(ctx, t, dd.d)
			if err != nil {
				t.Fatal(err)
			}
			c, err := dd.open(ctx, env.Srv.AMIAddr, env)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			x := &fixture{t: t, dd: dd, env: env, c: c}
			t.Run("GoldenRowsPJSIP", func(t *testing.T) { x.golden(t, "1071", "") })
			t.Run("GoldenRowsChanSIP", func(t *testing.T) { x.golden(t, "1072", "sip") })
			t.Run("DuplicateRefused", x.duplicate)
			t.Run("ReadsOtherKeywordSpellings", x.otherSpellings)
			t.Run("DBKilledMidCreate", x.dbKilled)
			t.Run("AMIDownDuringAstDB", x.amiDown)
			t.Run("CDRInjectionInert", x.cdrInjection)
			t.Run("RecordingTraversalRefused", x.recordingTraversal)
			t.Run("ApplyConfig", x.apply)
			t.Run("OpenedFromURL", x.fromURL)
		})
	}
}

type fixture struct {
	t   *testing.T
	dd  distro
	env *asttest.Distro
	c   *pbx.Client
}

func (x *fixture) db() *sql.DB { return x.env.DBs.Asterisk }

// golden creates an extension and compares every row and astdb key written
// with the distribution's documented output (distrotest.Rows, AstDBKeys).
func (x *fixture) golden(t *testing.T, num, tech string) {
	ctx := context.Background()
	want := distrotest.FixtureExtension{Number: num, Tech: tech, Name: "Zoe <Z>", VoicemailContext: "default"}
	e := pbx.Extension{ID: pbx.ExtensionID(num), Name: want.Name, Mailbox: pbx.MailboxID(num), Tech: pbx.TechPJSIP}
	if tech == "sip" {
		e.Tech = pbx.TechSIP
	}
	_, secret, err := x.c.Extensions().Create(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	want.Secret = secret
	rows := distrotest.Rows(x.dd.d, want)
	for _, r := range []distrotest.Row{rows.Users, rows.Devices} {
		key := "extension"
		if r.Table == "devices" {
			key = "id"
		}
		got := selectRows(t, x.db(), r.Table, r.Columns, key, num)
		if len(got) != 1 {
			t.Fatalf("%d %s rows for %s, want 1", len(got), r.Table, num)
		}
		for i, col := range r.Columns {
			if w := sqlString(r.Values[i]); !ptrEqual(got[0][i], w) {
				t.Errorf("%s.%s = %s, want %s", r.Table, col, show(got[0][i]), show(w))
			}
		}
	}
	var sip []distrotest.KeywordRow
	rs, err := x.db().Query("SELECT id, keyword, data, flags FROM sip WHERE id = ? ORDER BY flags", num)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var k distrotest.KeywordRow
		if err := rs.Scan(&k.ID, &k.Keyword, &k.Data, &k.Flags); err != nil {
			t.Fatal(err)
		}
		sip = append(sip, k)
	}
	rs.Close()
	if !slices.Equal(sip, rows.SIP) {
		t.Errorf("sip rows differ from the GUI's:\n%s", diffKeywords(sip, rows.SIP))
	}
	if got, want := x.astdb(t, num), distrotest.AstDBKeys(x.dd.d, want); !maps.Equal(got, want) {
		t.Errorf("astdb keys differ from the GUI's:\n%s", diffMaps(got, want))
	}
	var admin *freepbx.Admin
	if !x.c.As(&admin) {
		t.Fatal("As(*Admin) = false")
	}
	if need, err := admin.NeedsReload(ctx); err != nil || !need {
		t.Errorf("NeedsReload = %v, %v after a create; want true", need, err)
	}
	name, _ := rows.Users.Value("name") // FreePBX writes "Zoe (Z)"
	got, err := x.c.Extensions().Get(ctx, e.ID)
	if err != nil || got.Name != name || got.Tech != e.Tech || got.Mailbox != e.Mailbox {
		t.Errorf("Get = %+v, %v; want what was created", got, err)
	}
	if s, err := x.c.Extensions().RevealSecret(ctx, e.ID); err != nil || s != secret {
		t.Errorf("RevealSecret = %q, %v; want the secret Create returned", s, err)
	}
	if err := x.c.Extensions().Delete(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	x.wantGone(t, num)
}

// duplicate: the tables have no primary key on FreePBX; the backend checks.
func (x *fixture) duplicate(t *testing.T) {
	_, _, err := x.c.Extensions().Create(context.Background(), pbx.Extension{ID: "1001", Name: "Again"})
	if pbx.Code(err) != pbx.AlreadyExists {
		t.Fatalf("Create of an existing extension: %v, want AlreadyExists", err)
	}
	if n := count(t, x.db(), "SELECT COUNT(*) FROM users WHERE extension = '1001'"); n != 1 {
		t.Fatalf("%d users rows for 1001", n)
	}
}

// otherSpellings reads an extension written by Issabel's batch importer,
// which uses PJSIP's own keyword names, and one written by FreePBX 13
// without a sipdriver row.
func (x *fixture) otherSpellings(t *testing.T) {
	ctx := context.Background()
	_, err := x.db().Exec(`INSERT INTO users (extension, password, name, voicemail, ringtimer, noanswer, recording,
		outboundcid, sipname, noanswer_cid, busy_cid, chanunavail_cid, noanswer_dest, busy_dest, chanunavail_dest)
		VALUES ('1073', '', 'Batch', 'novm', 15, '', '', '', '', '', '', '', '', '', '')`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.db().Exec(`INSERT INTO devices (id, tech, dial, devicetype, user, description, emergency_cid)
		VALUES ('1073', 'pjsip', 'PJSIP/1073', 'fixed', '1073', 'Batch', '')`); err != nil {
		t.Fatal(err)
	}
	for i, kv := range [][2]string{{"secret", "s3cret"}, {"context", "from-internal"}, {"trust_id_inbound", "yes"},
		{"use_avpf", "no"}, {"ice_support", "no"}, {"dtls_setup", "actpass"}, {"mailbox", "1073@default"}} {
		if _, err := x.db().Exec("INSERT INTO sip (id, keyword, data, flags) VALUES ('1073', ?, ?, ?)", kv[0], kv[1], i+2); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, q := range []string{"DELETE FROM users WHERE extension = '1073'", "DELETE FROM devices WHERE id = '1073'", "DELETE FROM sip WHERE id = '1073'"} {
			_, _ = x.db().Exec(q)
		}
	})
	e, err := x.c.Extensions().Get(ctx, "1073")
	if err != nil {
		t.Fatal(err)
	}
	if e.Tech != pbx.TechPJSIP || e.Context != "from-internal" || e.RingTime != 15*time.Second || e.Name != "Batch" || e.Mailbox != "" {
		t.Errorf("Get = %+v", e)
	}
	if s, err := x.c.Extensions().RevealSecret(ctx, "1073"); err != nil || s != "s3cret" {
		t.Errorf("RevealSecret = %q, %v", s, err)
	}
}

// dbKilled kills the backend's database connection while the create's
// transaction waits in a trigger: nothing of the extension remains.
func (x *fixture) dbKilled(t *testing.T) {
	ctx := context.Background()
	if _, err := x.db().Exec("CREATE TRIGGER pbxkit_slow_sip BEFORE INSERT ON sip FOR EACH ROW SET @pbxkit_slept = SLEEP(5)"); err != nil {
		t.Fatal(err)
	}
	defer x.db().Exec("DROP TRIGGER pbxkit_slow_sip")
	done := make(chan error, 1)
	go func() {
		_, _, err := x.c.Extensions().Create(ctx, pbx.Extension{ID: "1074", Name: "Killed"})
		done <- err
	}()
	var victim int64
	deadline := time.Now().Add(10 * time.Second)
	for victim == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the create never reached the sip table")
		}
		// While the trigger runs, the connection shows its statement.
		err := x.db().QueryRow("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SET @pbxkit_slept%' LIMIT 1").Scan(&victim)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := x.db().Exec(fmt.Sprintf("KILL %d", victim)); err != nil {
		t.Fatal(err)
	}
	err := <-done
	if err == nil {
		t.Fatal("Create succeeded with its connection killed")
	}
	t.Logf("Create: %v", err)
	if !strings.Contains(err.Error(), "wrote nothing") || pbx.Code(err) != pbx.Unavailable {
		t.Errorf("Create: %v (%s), want Unavailable saying nothing was written", err, pbx.Code(err))
	}
	x.wantGone(t, "1074")
}

// amiDown cuts AMI while the astdb keys are being written: the rows and the
// keys already written are removed once AMI is back.
func (x *fixture) amiDown(t *testing.T) {
	ctx := context.Background()
	proxy := asttest.NewProxy(t, x.env.Srv.AMIAddr)
	c, err := x.dd.open(ctx, proxy.Addr(), x.env)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	proxy.CutAfter("Action: DBPut", 8)
	go func() {
		time.Sleep(2 * time.Second)
		proxy.Restore()
	}()
	_, _, err = c.Extensions().Create(ctx, pbx.Extension{ID: "1075", Name: "Cut"})
	if err == nil {
		t.Fatal("Create succeeded with AMI cut")
	}
	t.Logf("Create: %v", err)
	if !strings.Contains(err.Error(), "astdb") || !strings.Contains(err.Error(), "was removed") {
		t.Errorf("Create: %v, want it to say the astdb step failed and the extension was removed", err)
	}
	if n := strings.Count(proxy.Sent(), "Action: DBPut"); n < 8 {
		t.Errorf("only %d DBPut actions were sent: the cut came before the astdb step", n)
	}
	x.wantGone(t, "1075")
}

// cdrInjection sends SQL in every filter: each is a pattern like any other,
// the table survives, and only what the filter means is returned.
func (x *fixture) cdrInjection(t *testing.T) {
	ctx := context.Background()
	before := count(t, x.env.DBs.CDR, "SELECT COUNT(*) FROM cdr")
	if before == 0 {
		t.Fatal("no CDRs to query")
	}
	hostile := []string{"1' OR '1'='1", "%' OR 1=1 -- ", "1002'; DROP TABLE cdr; -- ", "\\' UNION SELECT * FROM users -- ", "`cdr`", "1002\" OR \"\"=\""}
	for _, h := range hostile {
		for name, q := range map[string]pbx.CDRQuery{
			"Src": {Src: h}, "Dst": {Dst: h}, "Channel": {Channel: h}, "AccountCode": {AccountCode: h}, "Caller": {Caller: h},
			"Oldest": {Src: h, Oldest: true},
		} {
			page, err := x.c.CDR().Query(ctx, q)
			if err != nil {
				if pbx.Code(err) != pbx.InvalidArgument {
					t.Errorf("%s %q: %v", name, h, err)
				}
				continue
			}
			if len(page.Records) != 0 {
				t.Errorf("%s %q matched %d records", name, h, len(page.Records))
			}
		}
	}
	if _, err := x.c.CDR().Query(ctx, pbx.CDRQuery{Cursor: "' OR 1=1 --"}); pbx.Code(err) != pbx.InvalidArgument {
		t.Errorf("hostile cursor: %v, want InvalidArgument", err)
	}
	if after := count(t, x.env.DBs.CDR, "SELECT COUNT(*) FROM cdr"); after != before {
		t.Fatalf("the cdr table had %d rows and now has %d", before, after)
	}
	// The control: the same filters mean what they say.
	page, err := x.c.CDR().Query(ctx, pbx.CDRQuery{Src: "1002", Dst: "1001", Caller: "Bob", Dispositions: []pbx.Disposition{pbx.DispositionAnswered}})
	if err != nil || len(page.Records) != 1 || page.Records[0].Recording != x.env.Recording {
		t.Fatalf("the seeded call: %+v, %v", page, err)
	}
}

// recordingTraversal: a CDR's recordingfile can name anything; nothing
// outside the monitor tree is opened.
func (x *fixture) recordingTraversal(t *testing.T) {
	ctx := context.Background()
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.wav"), []byte(strings.Repeat("SECRET", 20)), 0o644); err != nil {
		t.Fatal(err)
	}
	day := time.Now().Format("2006/01/02")
	if err := os.MkdirAll(filepath.Join(x.env.Options.MonitorDir, day), 0o755); err != nil {
		t.Fatal(err)
	}
	link := "in-1001-1002-" + time.Now().Format("20060102-150405") + "-1.9.wav"
	if err := os.Symlink(filepath.Join(outside, "secret.wav"), filepath.Join(x.env.Options.MonitorDir, day, link)); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"../../../../../etc/passwd", "/etc/passwd", filepath.Join(outside, "secret.wav"),
		day + "/../../../../../etc/hostname", link, day + "/" + link, "..", ""} {
		a, err := x.c.CDR().Recording(ctx, pbx.CDR{Recording: name, Start: time.Now()})
		if err == nil {
			data, _ := io.ReadAll(a)
			a.Close()
			t.Errorf("Recording(%q) opened %d bytes", name, len(data))
			continue
		}
		if code := pbx.Code(err); code != pbx.NotFound && code != pbx.InvalidArgument {
			t.Errorf("Recording(%q): %v, want NotFound or InvalidArgument", name, err)
		}
	}
	a, err := x.c.CDR().Recording(ctx, pbx.CDR{Recording: x.env.Recording})
	if err != nil {
		t.Fatalf("the seeded recording: %v", err)
	}
	a.Close()
}

// apply: Admin.Apply runs the configured command and reports its outcome.
func (x *fixture) apply(t *testing.T) {
	ctx := context.Background()
	var admin *freepbx.Admin
	if !x.c.As(&admin) {
		t.Fatal("As(*Admin) = false")
	}
	if _, err := admin.Apply(ctx); err != nil {
		t.Fatalf("Apply with a command that succeeds: %v", err)
	}
}

// fromURL opens the backend from a URL, as pbxctl and pbxd do.
func (x *fixture) fromURL(t *testing.T) {
	ctx := context.Background()
	c, err := pbx.Open(ctx, x.env.URL(t, strings.ToLower(x.dd.name))+"&apply=none")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	exts, err := c.Extensions().List(ctx)
	if err != nil || len(exts) != 6 {
		t.Fatalf("List = %d extensions, %v; want the 6 seeded", len(exts), err)
	}
	page, err := c.CDR().Query(ctx, pbx.CDRQuery{Src: "1002", Dst: "1001"})
	if err != nil || len(page.Records) != 1 {
		t.Fatalf("CDR = %+v, %v", page, err)
	}
	a, err := c.CDR().Recording(ctx, page.Records[0])
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	var admin *freepbx.Admin
	if !c.As(&admin) {
		t.Fatal("no Admin")
	}
	if _, err := admin.Apply(ctx); pbx.Code(err) != pbx.Unsupported {
		t.Errorf("Apply with apply=none: %v, want Unsupported", err)
	}
}

// wantGone fails unless no row and no astdb key of the extension remains.
func (x *fixture) wantGone(t *testing.T, num string) {
	t.Helper()
	for _, q := range []string{"SELECT COUNT(*) FROM users WHERE extension = ?", "SELECT COUNT(*) FROM devices WHERE id = ?",
		"SELECT COUNT(*) FROM sip WHERE id = ?"} {
		if n := count(t, x.db(), q, num); n != 0 {
			t.Errorf("%s: %d rows remain", strings.Replace(q, "?", num, 1), n)
		}
	}
	if keys := x.astdb(t, num); len(keys) != 0 {
		t.Errorf("astdb keys remain: %v", keys)
	}
	if _, err := x.c.Extensions().Get(context.Background(), pbx.ExtensionID(num)); pbx.Code(err) != pbx.NotFound {
		t.Errorf("Get(%s) = %v, want NotFound", num, err)
	}
}

// astdb reads an extension's AMPUSER, DEVICE and CW keys through the
// Asterisk CLI (not through the backend's AMI connection).
func (x *fixture) astdb(t *testing.T, num string) map[string]string {
	t.Helper()
	out, err := x.env.Srv.CLI(context.Background(), "database show")
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		k = strings.TrimSpace(k)
		if !ok || !strings.HasPrefix(k, "/") {
			continue
		}
		k = k[1:]
		if strings.HasPrefix(k, "AMPUSER/"+num+"/") || strings.HasPrefix(k, "DEVICE/"+num+"/") || k == "CW/"+num {
			keys[k] = strings.TrimRight(v, " ")
		}
	}
	return keys
}

func selectRows(t *testing.T, db *sql.DB, table string, cols []string, key, val string) [][]*string {
	t.Helper()
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = "`" + c + "`"
	}
	rs, err := db.Query("SELECT "+strings.Join(quoted, ", ")+" FROM `"+table+"` WHERE `"+key+"` = ?", val)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out [][]*string
	for rs.Next() {
		vals := make([]sql.NullString, len(cols))
		dest := make([]any, len(cols))
		for i := range vals {
			dest[i] = &vals[i]
		}
		if err := rs.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		row := make([]*string, len(cols))
		for i, v := range vals {
			if v.Valid {
				row[i] = &v.String
			}
		}
		out = append(out, row)
	}
	return out
}

func sqlString(v any) *string {
	if v == nil {
		return nil
	}
	s := fmt.Sprint(v)
	return &s
}

func ptrEqual(a, b *string) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func show(s *string) string {
	if s == nil {
		return "NULL"
	}
	return fmt.Sprintf("%q", *s)
}

func count(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func diffKeywords(got, want []distrotest.KeywordRow) string {
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w distrotest.KeywordRow
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		mark := " "
		if g != w {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s got %-30s want %s\n", mark, fmt.Sprintf("%s=%q (%d)", g.Keyword, g.Data, g.Flags), fmt.Sprintf("%s=%q (%d)", w.Keyword, w.Data, w.Flags))
	}
	return b.String()
}

func diffMaps(got, want map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if g, ok := got[k]; !ok || g != want[k] {
			fmt.Fprintf(&b, "  %s: got %q (present %v), want %q\n", k, g, ok, want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "  %s: got %q, not written by the GUI\n", k, got[k])
		}
	}
	return b.String()
}
