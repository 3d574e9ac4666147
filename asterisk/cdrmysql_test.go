package asterisk_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/asterisktest"
	"github.com/pbxkit/pbxkit/internal/mysqltest"
	"github.com/pbxkit/pbxkit/pbx"
)

// TestCDRFromMySQL has Asterisk write CDRs with cdr_mysql into MariaDB and
// reads them back through an asterisk:// URL with cdr_mysql=.
func TestCDRFromMySQL(t *testing.T) {
	db := mysqltest.New(t)
	db.Exec(t, "CREATE TABLE cdr (calldate datetime NOT NULL DEFAULT '0000-00-00 00:00:00', "+
		"clid varchar(80) NOT NULL DEFAULT '', src varchar(80) NOT NULL DEFAULT '', dst varchar(80) NOT NULL DEFAULT '', "+
		"dcontext varchar(80) NOT NULL DEFAULT '', channel varchar(80) NOT NULL DEFAULT '', dstchannel varchar(80) NOT NULL DEFAULT '', "+
		"lastapp varchar(80) NOT NULL DEFAULT '', lastdata varchar(80) NOT NULL DEFAULT '', duration int NOT NULL DEFAULT 0, "+
		"billsec int NOT NULL DEFAULT 0, disposition varchar(45) NOT NULL DEFAULT '', amaflags int NOT NULL DEFAULT 0, "+
		"accountcode varchar(20) NOT NULL DEFAULT '', uniqueid varchar(32) NOT NULL DEFAULT '', userfield varchar(255) NOT NULL DEFAULT '', "+
		"peeraccount varchar(80) NOT NULL DEFAULT '', linkedid varchar(32) NOT NULL DEFAULT '', sequence int NOT NULL DEFAULT 0)")
	dsn := mysqltest.User(t, db.Name)
	srv := asterisktest.Start(t, &asterisktest.Options{MySQL: &asterisktest.MySQLOptions{
		Host: "127.0.0.1", User: dsn.User, Password: dsn.Passwd, Database: db.Name}})
	ctx := context.Background()
	phone, err := srv.Register(ctx, "1001", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()

	dsn.DBName = db.Name
	u := url.URL{Scheme: "asterisk", User: url.UserPassword(srv.AMIUser, srv.AMISecret), Host: srv.AMIAddr,
		RawQuery: url.Values{"cdr_mysql": {dsn.FormatDSN()}, "cdr_tz": {"Local"}}.Encode()}
	c, err := pbx.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	sub, err := c.Subscribe(ctx, &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindCallAnswered, pbx.KindCDRPosted}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	waitUntil(t, 10*time.Second, "the phone registered", func() bool {
		d, err := c.Devices().Get(ctx, "1001")
		return err == nil && len(d.Contacts) > 0
	})
	id, err := c.Calls().CallMe(ctx, "1001", pbx.CallMeRequest{Mode: pbx.ModeEchoTest, CallerID: pbx.Party{Name: "SQL", Number: "7777"}})
	if err != nil {
		t.Fatal(err)
	}
	for e, err := range sub.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := e.(*pbx.CallAnswered); ok && a.Call.ID == id {
			time.Sleep(1100 * time.Millisecond)
			if err := c.Calls().Hangup(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if p, ok := e.(*pbx.CDRPosted); ok && p.CDR.UniqueID == id {
			break
		}
	}
	var rec *pbx.CDR
	waitUntil(t, 10*time.Second, "the CDR in MySQL", func() bool {
		page, err := c.CDR().Query(ctx, pbx.CDRQuery{Src: "7777", Limit: 10})
		if err != nil || len(page.Records) == 0 {
			return false
		}
		rec = &page.Records[0]
		return true
	})
	if rec.UniqueID != id || rec.Disposition != pbx.DispositionAnswered || rec.Billable < time.Second ||
		!strings.HasPrefix(rec.Channel, "PJSIP/1001-") || rec.LastApp != "Echo" || rec.Caller.Name != "SQL" {
		t.Fatalf("CDR from MySQL: %+v", rec)
	}
	st, err := c.CDR().Stats(ctx, nil)
	if err != nil || st.Total < 1 {
		t.Fatalf("stats %+v, %v", st, err)
	}
}
