package distrotest

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// column is one row of SHOW COLUMNS.
type column struct {
	Type, Null, Key string
	Default         sql.NullString
}

func columns(t *testing.T, db *sql.DB, table string) map[string]column {
	t.Helper()
	rows, err := db.Query("SHOW COLUMNS FROM `" + table + "`")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols := map[string]column{}
	for rows.Next() {
		var field, extra string
		var c column
		if err := rows.Scan(&field, &c.Type, &c.Null, &c.Key, &c.Default, &extra); err != nil {
			t.Fatal(err)
		}
		cols[field] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cols) == 0 {
		t.Fatalf("table %s has no columns", table)
	}
	return cols
}

// index is one index of SHOW INDEX: its columns in order and uniqueness.
type index struct {
	Unique  bool
	Columns []string
}

func indexes(t *testing.T, db *sql.DB, table string) map[string]index {
	t.Helper()
	rows, err := db.Query("SHOW INDEX FROM `" + table + "`")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, n := range names {
		pos[n] = i
	}
	idx := map[string]index{}
	for rows.Next() {
		vals := make([]sql.RawBytes, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		key := string(vals[pos["Key_name"]])
		ix := idx[key]
		ix.Unique = string(vals[pos["Non_unique"]]) == "0"
		ix.Columns = append(ix.Columns, string(vals[pos["Column_name"]])) // rows come in Seq_in_index order
		idx[key] = ix
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return idx
}

func tables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	var names []string
	rows, err := db.Query("SHOW TABLES")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func wantTables(t *testing.T, db *sql.DB, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := tables(t, db); !slices.Equal(got, want) {
		t.Errorf("tables:\n got %v\nwant %v", got, want)
	}
}

func wantType(t *testing.T, cols map[string]column, table, col, typ string) {
	t.Helper()
	c, ok := cols[col]
	if !ok {
		t.Errorf("%s.%s: missing", table, col)
		return
	}
	if c.Type != typ {
		t.Errorf("%s.%s: type %s, want %s", table, col, c.Type, typ)
	}
}

func wantNoColumn(t *testing.T, cols map[string]column, table string, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, ok := cols[n]; ok {
			t.Errorf("%s.%s exists, want no such column", table, n)
		}
	}
}

func wantIndex(t *testing.T, idx map[string]index, table, name string, unique bool, cols ...string) {
	t.Helper()
	ix, ok := idx[name]
	if !ok {
		t.Errorf("%s: no index %s (have %v)", table, name, idx)
		return
	}
	if ix.Unique != unique || !slices.Equal(ix.Columns, cols) {
		t.Errorf("%s index %s: unique=%v %v, want unique=%v %v", table, name, ix.Unique, ix.Columns, unique, cols)
	}
}

func wantNoPrimaryKey(t *testing.T, idx map[string]index, table string) {
	t.Helper()
	if ix, ok := idx["PRIMARY"]; ok {
		t.Errorf("%s has PRIMARY KEY %v, want none", table, ix.Columns)
	}
}

func queryString(t *testing.T, db *sql.DB, q string, args ...any) string {
	t.Helper()
	var s sql.NullString
	if err := db.QueryRow(q, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return s.String
}

func wantStrict(t *testing.T, db *sql.DB) {
	t.Helper()
	if mode := queryString(t, db, "SELECT @@SESSION.sql_mode"); !strings.Contains(mode, "STRICT_TRANS_TABLES") {
		t.Errorf("sql_mode %q is not strict; the schema files must load in strict mode", mode)
	}
}

// settings checks the seed rows of freepbx_settings/issabelpbx_settings.
func wantSettings(t *testing.T, db *sql.DB, table string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := queryString(t, db, "SELECT `value` FROM `"+table+"` WHERE `keyword` = ?", k); got != v {
			t.Errorf("%s %s = %q, want %q", table, k, got, v)
		}
	}
}

func TestFreePBXSchema(t *testing.T) {
	t.Parallel()
	d := LoadFreePBX(t)
	if d.Distro != FreePBX || d.CDRSchema != CDRSchema || d.AsteriskName == d.CDRName {
		t.Fatalf("Databases = %+v", d)
	}
	wantStrict(t, d.Asterisk)
	ast := d.Asterisk
	wantTables(t, ast, "admin", "arimanager", "dahdi", "devices", "emergencydevices", "findmefollow",
		"freepbx_settings", "globals", "iax", "incoming", "manager", "meetme", "outbound_route_email",
		"outbound_route_patterns", "outbound_route_sequence", "outbound_route_trunks", "outbound_routes",
		"pjsip", "queues_config", "queues_details", "ringgroups", "sip", "trunk_dialpatterns", "trunks",
		"users", "voicemail_admin")

	// No primary key on users and devices, only non-unique indexes (0.3).
	ui := indexes(t, ast, "users")
	wantNoPrimaryKey(t, ui, "users")
	wantIndex(t, ui, "users", "extension", false, "extension")
	di := indexes(t, ast, "devices")
	wantNoPrimaryKey(t, di, "devices")
	wantIndex(t, di, "devices", "id", false, "id")
	wantIndex(t, di, "devices", "tech", false, "tech")
	dc := columns(t, ast, "devices")
	wantType(t, dc, "devices", "dial", "varchar(255)")
	wantType(t, dc, "devices", "hint_override", "varchar(100)")
	uc := columns(t, ast, "users")
	if c := uc["mohclass"]; c.Default.String != "default" || c.Null != "YES" {
		t.Errorf("users.mohclass = %+v, want nullable with default 'default'", c)
	}
	if c := uc["noanswer_cid"]; c.Default.String != "" || !c.Default.Valid || c.Null != "NO" {
		t.Errorf("users.noanswer_cid = %+v, want NOT NULL DEFAULT ''", c)
	}

	wantIndex(t, indexes(t, ast, "sip"), "sip", "PRIMARY", true, "id", "keyword")
	wantType(t, columns(t, ast, "sip"), "sip", "data", "varchar(8100)")
	wantIndex(t, indexes(t, ast, "pjsip"), "pjsip", "PRIMARY", true, "id", "keyword")
	wantType(t, columns(t, ast, "pjsip"), "pjsip", "data", "varchar(8100)")

	wantIndex(t, indexes(t, ast, "queues_details"), "queues_details", "PRIMARY", true, "id", "keyword", "data")
	qc := columns(t, ast, "queues_config")
	wantType(t, qc, "queues_config", "extension", "varchar(20)")
	wantNoColumn(t, qc, "queues_config", "destcontinue")

	fc := columns(t, ast, "findmefollow")
	wantType(t, fc, "findmefollow", "rvolume", "varchar(2)")
	wantType(t, fc, "findmefollow", "calendar_enable", "tinyint(1)")
	mc := columns(t, ast, "meetme")
	wantType(t, mc, "meetme", "users", "smallint(5) unsigned")
	wantType(t, mc, "meetme", "language", "varchar(10)")
	wantType(t, mc, "meetme", "timeout", "int(10) unsigned")
	wantType(t, columns(t, ast, "globals"), "globals", "variable", "varchar(190)")
	wantIndex(t, indexes(t, ast, "trunks"), "trunks", "PRIMARY", true, "trunkid", "tech", "channelid")
	wantIndex(t, indexes(t, ast, "arimanager"), "arimanager", "name", true, "name")

	if got := queryString(t, ast, "SELECT `value` FROM `admin` WHERE `variable` = 'need_reload'"); got != "false" {
		t.Errorf("admin need_reload = %q, want false", got)
	}
	wantSettings(t, ast, "freepbx_settings", map[string]string{
		"AMPMGRUSER": "pbxkit", "AMPMGRPASS": "pbxkit-ami-secret", "ASTMANAGERHOST": "127.0.0.1",
		"ASTMANAGERPORT": "5038", "ASTSIPDRIVER": "chan_pjsip", "MIXMON_DIR": "",
		"ASTSPOOLDIR": "/var/spool/asterisk", "ENABLE_ARI": "1", "FPBX_ARI_USER": "pbxkit",
		"FPBX_ARI_PASSWORD": "pbxkit-ari-secret",
	})

	cdr := d.CDR
	wantStrict(t, cdr)
	wantTables(t, cdr, "cdr", "cel")
	ci := indexes(t, cdr, "cdr")
	wantNoPrimaryKey(t, ci, "cdr")
	for _, c := range []string{"calldate", "dst", "accountcode", "uniqueid", "did", "recordingfile"} {
		wantIndex(t, ci, "cdr", c, false, c)
	}
	if _, ok := ci["linkseq"]; ok {
		t.Error("FreePBX cdr has Issabel's linkseq index")
	}
	cc := columns(t, cdr, "cdr")
	for _, c := range []string{"cnum", "cnam", "outbound_cnum", "outbound_cnam", "dst_cnam"} {
		wantType(t, cc, "cdr", c, "varchar(80)")
	}
	wantType(t, cc, "cdr", "linkedid", "varchar(32)")
	wantType(t, cc, "cdr", "sequence", "int(11)")
	for name, c := range cc {
		if c.Null != "NO" || !c.Default.Valid {
			t.Errorf("cdr.%s = %+v, want NOT NULL with a default", name, c)
		}
	}
	el := columns(t, cdr, "cel")
	wantType(t, el, "cel", "extra", "varchar(512)")
	wantType(t, el, "cel", "appdata", "varchar(1024)")
	wantNoColumn(t, el, "cel", "eventextra", "userfield")
	ei := indexes(t, cdr, "cel")
	wantIndex(t, ei, "cel", "PRIMARY", true, "id")
	wantIndex(t, ei, "cel", "context_index", false, "context")
}

func TestIssabelSchema(t *testing.T) {
	t.Parallel()
	d := LoadIssabel(t)
	if d.Distro != Issabel || d.CDRSchema != CDRSchema {
		t.Fatalf("Databases = %+v", d)
	}
	wantStrict(t, d.Asterisk)
	ast := d.Asterisk
	wantTables(t, ast, "admin", "dahdi", "devices", "findmefollow", "globals", "iax", "incoming",
		"issabelpbx_settings", "manager", "meetme", "outbound_route_patterns", "outbound_route_sequence",
		"outbound_route_trunks", "outbound_routes", "pjsipsettings", "queues_config", "queues_details",
		"ringgroups", "sip", "trunk_dialpatterns", "trunks", "users", "voicemail_admin")

	wantIndex(t, indexes(t, ast, "users"), "users", "PRIMARY", true, "extension")
	di := indexes(t, ast, "devices")
	wantIndex(t, di, "devices", "PRIMARY", true, "id")
	wantIndex(t, di, "devices", "tech", false, "tech")
	dc := columns(t, ast, "devices")
	wantType(t, dc, "devices", "dial", "varchar(50)")
	wantNoColumn(t, dc, "devices", "hint_override")

	wantIndex(t, indexes(t, ast, "sip"), "sip", "PRIMARY", true, "id", "keyword")
	wantType(t, columns(t, ast, "sip"), "sip", "data", "varchar(255)")
	wantIndex(t, indexes(t, ast, "pjsipsettings"), "pjsipsettings", "PRIMARY", true, "keyword", "seq", "type")

	wantIndex(t, indexes(t, ast, "queues_details"), "queues_details", "PRIMARY", true, "id", "keyword", "data")
	qc := columns(t, ast, "queues_config")
	wantType(t, qc, "queues_config", "extension", "varchar(45)")
	wantType(t, qc, "queues_config", "destcontinue", "varchar(50)")

	wantNoColumn(t, columns(t, ast, "findmefollow"), "findmefollow",
		"rvolume", "calendar_enable", "calendar_id", "calendar_group_id", "calendar_match")
	mc := columns(t, ast, "meetme")
	wantType(t, mc, "meetme", "users", "tinyint(4)")
	wantNoColumn(t, mc, "meetme", "language", "timeout")
	wantNoColumn(t, columns(t, ast, "ringgroups"), "ringgroups", "progress", "elsewhere", "rvolume")
	wantType(t, columns(t, ast, "globals"), "globals", "variable", "varchar(155)")

	if got := queryString(t, ast, "SELECT `value` FROM `admin` WHERE `variable` = 'need_reload'"); got != "false" {
		t.Errorf("admin need_reload = %q, want false", got)
	}
	wantSettings(t, ast, "issabelpbx_settings", map[string]string{
		"AMPMGRUSER": "pbxkit", "AMPMGRPASS": "pbxkit-ami-secret", "ASTMANAGERHOST": "127.0.0.1",
		"ASTMANAGERPORT": "5038", "MIXMON_DIR": "", "ASTSPOOLDIR": "/var/spool/asterisk",
	})

	cdr := d.CDR
	wantStrict(t, cdr)
	ci := indexes(t, cdr, "cdr")
	wantNoPrimaryKey(t, ci, "cdr")
	wantIndex(t, ci, "cdr", "link", false, "linkedid")
	wantIndex(t, ci, "cdr", "ceq", false, "sequence")
	wantIndex(t, ci, "cdr", "linkseq", false, "linkedid", "sequence")
	cc := columns(t, cdr, "cdr")
	for _, c := range []string{"cnum", "cnam", "outbound_cnum", "outbound_cnam", "dst_cnam"} {
		wantType(t, cc, "cdr", c, "varchar(80)")
	}
	for _, c := range []string{"linkedid", "peeraccount", "sequence"} {
		if _, ok := cc[c]; !ok {
			t.Errorf("fresh Issabel cdr lacks %s", c)
		}
	}
	wantIssabelCEL(t, cdr)
}

func wantIssabelCEL(t *testing.T, cdr *sql.DB) {
	t.Helper()
	el := columns(t, cdr, "cel")
	wantType(t, el, "cel", "appdata", "varchar(240)")
	wantType(t, el, "cel", "eventextra", "varchar(255)")
	wantType(t, el, "cel", "userfield", "varchar(255)")
	wantNoColumn(t, el, "cel", "extra")
	ei := indexes(t, cdr, "cel")
	wantIndex(t, ei, "cel", "PRIMARY", true, "id")
	if _, ok := ei["context_index"]; ok {
		t.Error("Issabel cel has FreePBX's context index")
	}
}

func TestIssabelUpgradedCDR(t *testing.T) {
	t.Parallel()
	d := LoadIssabel(t, UpgradedCDR())
	if d.CDRSchema != UpgradedCDRSchema {
		t.Fatalf("CDRSchema = %q", d.CDRSchema)
	}
	wantStrict(t, d.CDR)
	wantTables(t, d.CDR, "cdr", "cel")
	cc := columns(t, d.CDR, "cdr")
	for _, c := range []string{"cnum", "cnam", "outbound_cnum", "outbound_cnam", "dst_cnam"} {
		wantType(t, cc, "cdr", c, "varchar(40)")
	}
	wantType(t, cc, "cdr", "did", "varchar(50)")
	wantType(t, cc, "cdr", "recordingfile", "varchar(255)")
	wantNoColumn(t, cc, "cdr", "linkedid", "peeraccount", "sequence")
	wantNoPrimaryKey(t, indexes(t, d.CDR, "cdr"), "cdr")
	wantIssabelCEL(t, d.CDR)
	// The asterisk database is the same as without the option.
	wantType(t, columns(t, d.Asterisk, "sip"), "sip", "data", "varchar(255)")
}

func TestDatabasesConfig(t *testing.T) {
	t.Parallel()
	d := LoadFreePBX(t)
	if d.AsteriskConfig.DBName != d.AsteriskName || d.CDRConfig.DBName != d.CDRName {
		t.Fatalf("configs name %s/%s, databases are %s/%s", d.AsteriskConfig.DBName, d.CDRConfig.DBName, d.AsteriskName, d.CDRName)
	}
	// The DSNs reach the databases from a connection of the test's own.
	for dsn, table := range map[string]string{d.AsteriskDSN(): "sip", d.CDRDSN(): "cdr"} {
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		err = db.QueryRow("SELECT COUNT(*) FROM `" + table + "`").Scan(&n)
		_ = db.Close()
		if err != nil {
			t.Errorf("%s through its DSN: %v", table, err)
		}
	}
}

// TestSeedExtensions seeds the fixture extensions and reads every row back:
// the database holds exactly what Rows describes.
func TestSeedExtensions(t *testing.T) {
	t.Parallel()
	for _, distro := range []Distro{FreePBX, Issabel} {
		t.Run(string(distro), func(t *testing.T) {
			t.Parallel()
			var d *Databases
			if distro == FreePBX {
				d = LoadFreePBX(t)
			} else {
				d = LoadIssabel(t)
			}
			db := d.Asterisk
			SeedExtensions(t, db, distro)

			exts := DefaultExtensions()
			if len(exts) != 6 || exts[0].Number != "1001" || exts[5].Name != "Frank" || exts[2].Secret != "pbxkit-1003" {
				t.Fatalf("DefaultExtensions = %+v", exts)
			}
			for _, e := range exts {
				want := Rows(distro, e)
				wantRow(t, db, want.Users, "extension", e.Number)
				wantRow(t, db, want.Devices, "id", e.Number)
				if got := queryString(t, db, "SELECT `mohclass` FROM `users` WHERE `extension` = ?", e.Number); got != "default" {
					t.Errorf("users %s mohclass = %q, want the column default", e.Number, got)
				}
				wantSIP(t, sipRows(t, db, e.Number), want.SIP)
				seen := map[int]string{}
				for _, k := range want.SIP {
					if k.Flags < 2 {
						t.Errorf("sip %s %s flags %d: 1 means disabled, rows start at 2", e.Number, k.Keyword, k.Flags)
					}
					if other, dup := seen[k.Flags]; dup {
						t.Errorf("sip %s: %s and %s share flags %d", e.Number, other, k.Keyword, k.Flags)
					}
					seen[k.Flags] = k.Keyword
				}
				if s, ok := want.Keyword("secret"); !ok || s.Data != "pbxkit-"+e.Number {
					t.Errorf("secret row of %s = %+v", e.Number, s)
				}
				if s, ok := want.Keyword("dial"); !ok || s.Data != "PJSIP/"+e.Number {
					t.Errorf("dial row of %s = %+v", e.Number, s)
				}
			}

			// How a reader finds the PJSIP extensions (section 0.1).
			q := "SELECT COUNT(*) FROM `devices` WHERE `tech` = 'pjsip'"
			if distro == FreePBX {
				q = "SELECT COUNT(*) FROM `devices` d JOIN `sip` s ON s.`id` = d.`id` " +
					"AND s.`keyword` = 'sipdriver' AND s.`data` = 'chan_pjsip' WHERE d.`tech` = 'pjsip'"
			}
			if n := queryString(t, db, q); n != "6" {
				t.Errorf("%s: %s PJSIP extensions, want 6", q, n)
			}
		})
	}
}

// TestDuplicateUser shows why a FreePBX writer must check for an existing
// extension itself: only Issabel's users table has a primary key.
func TestDuplicateUser(t *testing.T) {
	t.Parallel()
	for _, distro := range []Distro{FreePBX, Issabel} {
		t.Run(string(distro), func(t *testing.T) {
			t.Parallel()
			var d *Databases
			if distro == FreePBX {
				d = LoadFreePBX(t)
			} else {
				d = LoadIssabel(t)
			}
			e := DefaultExtensions()[0]
			SeedExtensions(t, d.Asterisk, distro, e)
			u := Rows(distro, e).Users
			_, err := d.Asterisk.Exec("INSERT INTO `users` (`extension`, `name`) VALUES (?, ?)", e.Number, u.Values[2])
			var me *mysql.MySQLError
			switch {
			case distro == FreePBX && err != nil:
				t.Errorf("second users row for %s: %v, want it accepted (no primary key)", e.Number, err)
			case distro == Issabel && !(errors.As(err, &me) && me.Number == 1062):
				t.Errorf("second users row for %s: %v, want a duplicate-key error 1062", e.Number, err)
			}
		})
	}
}

// wantRow compares the row of the table whose key column is key with want.
func wantRow(t *testing.T, db *sql.DB, want Row, keyCol, key string) {
	t.Helper()
	cols := make([]string, len(want.Columns))
	for i, c := range want.Columns {
		cols[i] = "`" + c + "`"
	}
	got := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range got {
		ptrs[i] = &got[i]
	}
	q := "SELECT " + strings.Join(cols, ", ") + " FROM `" + want.Table + "` WHERE `" + keyCol + "` = ?"
	if err := db.QueryRow(q, key).Scan(ptrs...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	for i, c := range want.Columns {
		w := want.Values[i]
		switch {
		case w == nil && got[i].Valid:
			t.Errorf("%s %s.%s = %q, want NULL", key, want.Table, c, got[i].String)
		case w != nil && (!got[i].Valid || got[i].String != fmt.Sprint(w)):
			t.Errorf("%s %s.%s = %+v, want %v", key, want.Table, c, got[i], w)
		}
	}
}

func sipRows(t *testing.T, db *sql.DB, id string) []KeywordRow {
	t.Helper()
	rows, err := db.Query("SELECT `id`, `keyword`, `data`, `flags` FROM `sip` WHERE `id` = ?", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []KeywordRow
	for rows.Next() {
		var k KeywordRow
		if err := rows.Scan(&k.ID, &k.Keyword, &k.Data, &k.Flags); err != nil {
			t.Fatal(err)
		}
		got = append(got, k)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// wantSIP compares the sip rows read back with want, keyword by keyword.
func wantSIP(t *testing.T, got, want []KeywordRow) {
	t.Helper()
	byKeyword := map[string]KeywordRow{}
	for _, k := range got {
		byKeyword[k.Keyword] = k
	}
	for _, w := range want {
		g, ok := byKeyword[w.Keyword]
		switch {
		case !ok:
			t.Errorf("sip %s: no %s row, want %+v", w.ID, w.Keyword, w)
		case g != w:
			t.Errorf("sip %s %s = %+v, want %+v", w.ID, w.Keyword, g, w)
		}
		delete(byKeyword, w.Keyword)
	}
	for _, g := range byKeyword {
		t.Errorf("sip %s: unexpected row %+v", g.ID, g)
	}
}

func TestRows(t *testing.T) {
	t.Parallel()
	e := FixtureExtension{Number: "1001", Name: "A <b>", Secret: "s", VoicemailContext: ""}
	fp := Rows(FreePBX, e)
	if v, _ := fp.Users.Value("name"); v != "A (b)" {
		t.Errorf("FreePBX users.name = %v, want < and > replaced", v)
	}
	if v, _ := fp.Users.Value("voicemail"); v != "novm" {
		t.Errorf("users.voicemail without a context = %v, want novm", v)
	}
	if v, ok := fp.Devices.Value("hint_override"); !ok || v != nil {
		t.Errorf("FreePBX devices.hint_override = %v, %v; want NULL", v, ok)
	}
	if k, _ := fp.Keyword("callerid"); k.Data != "A (b) <1001>" {
		t.Errorf("FreePBX callerid = %q", k.Data)
	}
	if k, _ := fp.Keyword("remove_existing"); k.Data != "yes" {
		t.Errorf("FreePBX remove_existing = %q, want yes with max_contacts 1", k.Data)
	}
	if k, _ := fp.Keyword("dtmfmode"); k.Data != "rfc4733" {
		t.Errorf("FreePBX dtmfmode = %q, want rfc4733", k.Data)
	}
	for i, k := range fp.SIP {
		if k.Flags != i+2 {
			t.Errorf("FreePBX sip %s flags %d, want %d", k.Keyword, k.Flags, i+2)
		}
	}

	is := Rows(Issabel, e)
	if _, ok := is.Devices.Value("hint_override"); ok {
		t.Error("Issabel devices row has hint_override")
	}
	if _, ok := is.Keyword("sipdriver"); ok {
		t.Error("Issabel rows have FreePBX's sipdriver keyword")
	}
	for kw, want := range map[string]KeywordRow{
		"secret":          {ID: "1001", Keyword: "secret", Data: "s", Flags: 2},
		"context":         {ID: "1001", Keyword: "context", Data: "from-internal", Flags: 5},
		"nat":             {ID: "1001", Keyword: "nat", Data: "yes", Flags: 9},
		"qualify_timeout": {ID: "1001", Keyword: "qualify_timeout", Data: "3.0", Flags: 10},
		"transport":       {ID: "1001", Keyword: "transport", Data: "transport-udp", Flags: 14},
		"dial":            {ID: "1001", Keyword: "dial", Data: "PJSIP/1001", Flags: 26},
		"callerid":        {ID: "1001", Keyword: "callerid", Data: "device <1001>", Flags: 33},
	} {
		if got, _ := is.Keyword(kw); got != want {
			t.Errorf("Issabel %s row = %+v, want %+v", kw, got, want)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	t.Parallel()
	src := "-- header; with a semicolon\n" +
		"CREATE TABLE `a;b` (x int); -- trailing comment\n" +
		"INSERT INTO t VALUES ('it''s; fine', \"q;\\\"x\", 'back\\\\'); \n" +
		"SELECT 5--3;\n" +
		"  ;\n" +
		"SELECT 1"
	want := []string{
		"CREATE TABLE `a;b` (x int)",
		"INSERT INTO t VALUES ('it''s; fine', \"q;\\\"x\", 'back\\\\')",
		"SELECT 5--3",
		"SELECT 1",
	}
	if got := splitStatements(src); !slices.Equal(got, want) {
		t.Errorf("splitStatements:\n got %q\nwant %q", got, want)
	}
}

// TestSchemaFiles checks that every schema file is found and holds only
// CREATE TABLE and INSERT statements, without a server.
func TestSchemaFiles(t *testing.T) {
	t.Parallel()
	for _, f := range []struct {
		distro Distro
		name   string
	}{
		{FreePBX, AsteriskSchema}, {FreePBX, CDRSchema},
		{Issabel, AsteriskSchema}, {Issabel, CDRSchema}, {Issabel, UpgradedCDRSchema},
	} {
		stmts := readSchema(t, f.distro, f.name)
		for _, s := range stmts {
			if !strings.HasPrefix(s, "CREATE TABLE `") && !strings.HasPrefix(s, "INSERT INTO `") {
				t.Errorf("%s/%s: unexpected statement %q", f.distro, f.name, firstLine(s))
			}
		}
	}
	if _, err := SchemaFile(FreePBX, UpgradedCDRSchema); err == nil {
		t.Error("FreePBX has an upgraded CDR schema file; only Issabel should")
	}
}
