package asterisktest

import (
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/internal/mysqltest"
)

// cdrTable is the cdr table of testdata/asterisk/README.md.
const cdrTable = "CREATE TABLE cdr (calldate datetime NOT NULL DEFAULT '0000-00-00 00:00:00', " +
	"clid varchar(80) NOT NULL DEFAULT '', src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '', " +
	"dcontext varchar(80) NOT NULL DEFAULT '', channel varchar(80) NOT NULL DEFAULT '', " +
	"dstchannel varchar(80) NOT NULL DEFAULT '', lastapp varchar(80) NOT NULL DEFAULT '', " +
	"lastdata varchar(80) NOT NULL DEFAULT '', duration int NOT NULL DEFAULT 0, billsec int NOT NULL DEFAULT 0, " +
	"disposition varchar(45) NOT NULL DEFAULT '', amaflags int NOT NULL DEFAULT 0, " +
	"accountcode varchar(20) NOT NULL DEFAULT '', uniqueid varchar(32) NOT NULL DEFAULT '', " +
	"userfield varchar(255) NOT NULL DEFAULT '', peeraccount varchar(80) NOT NULL DEFAULT '', " +
	"linkedid varchar(32) NOT NULL DEFAULT '', sequence int NOT NULL DEFAULT 0, KEY calldate (calldate))"

func TestCDRIntoMySQL(t *testing.T) {
	t.Parallel()
	Require(t)
	db := mysqltest.New(t)
	db.Exec(t, cdrTable)
	user := "pbxkit_cdr_" + strings.ToLower(rand.Text()[:8])
	pass := rand.Text()
	db.Exec(t, "CREATE USER '"+user+"'@'127.0.0.1' IDENTIFIED BY '"+pass+"'")
	db.Exec(t, "CREATE USER '"+user+"'@'localhost' IDENTIFIED BY '"+pass+"'")
	t.Cleanup(func() {
		_, _ = db.DB.Exec("DROP USER '" + user + "'@'127.0.0.1'")
		_, _ = db.DB.Exec("DROP USER '" + user + "'@'localhost'")
	})
	db.Exec(t, "GRANT ALL ON `"+db.Name+"`.* TO '"+user+"'@'127.0.0.1'")
	db.Exec(t, "GRANT ALL ON `"+db.Name+"`.* TO '"+user+"'@'localhost'")

	s := Start(t, &Options{MySQL: &MySQLOptions{Host: "127.0.0.1", User: user, Password: pass, Database: db.Name}})
	out, err := s.CLI(ctxT(t, 10*time.Second), "cdr mysql status")
	if err != nil || !strings.Contains(out, "Connected to") {
		t.Fatalf("cdr mysql status: %q %v", out, err)
	}
	a := dialAMI(t, s)
	id := a.send("Originate", "Channel", "Local/"+ExtenEcho+"@"+ContextCallMe, "Application", "Hangup",
		"Async", "true", "CallerID", "SQL <7777>")
	if ev := a.until(10*time.Second, func(m amiMsg) bool { return m["Event"] == "OriginateResponse" && m["ActionID"] == id }); ev["Response"] != "Success" {
		t.Fatalf("OriginateResponse: %v", ev)
	}
	ctx := ctxT(t, 10*time.Second)
	for {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM cdr WHERE src = '7777' AND channel LIKE 'Local/echo@pbxkit-callme-%'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no CDR in %s.cdr (Master.csv: %q)", db.Name, readCSV(t, s.CDRCSVPath))
		case <-time.After(100 * time.Millisecond):
		}
	}
}
