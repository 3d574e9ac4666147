package fpbx_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbxkit/pbxkit/freepbx"
	"github.com/pbxkit/pbxkit/issabel"
	"github.com/pbxkit/pbxkit/pbx"
)

func TestURLRefused(t *testing.T) {
	db := url.QueryEscape("u:p@tcp(127.0.0.1:1)/asterisk")
	for _, scheme := range []string{"freepbx", "issabel"} {
		for name, rawQuery := range map[string]string{
			"unknown parameter": "db=" + db + "&colour=blue",
			"bad apply":         "db=" + db + "&apply=magic",
			"bad autoapply":     "db=" + db + "&autoapply=perhaps",
			"no database":       "",
			"malformed DSN":     "db=" + url.QueryEscape("not a dsn"),
			"bad asterisk one":  "db=" + db + "&tls=sometimes",
		} {
			t.Run(scheme+"/"+name, func(t *testing.T) {
				raw := scheme + "://admin:topsecret@127.0.0.1:1/?" + rawQuery
				c, err := pbx.Open(context.Background(), raw)
				if err == nil {
					c.Close()
					t.Fatal("opened")
				}
				if pbx.Code(err) != pbx.InvalidArgument {
					t.Errorf("%v: want InvalidArgument", err)
				}
				if strings.Contains(err.Error(), "topsecret") {
					t.Errorf("the error shows the password: %v", err)
				}
			})
		}
	}
	t.Run("graphql is FreePBX's", func(t *testing.T) {
		_, err := pbx.Open(context.Background(), "issabel://admin:x@127.0.0.1:1/?db="+db+"&apply=graphql")
		if pbx.Code(err) != pbx.InvalidArgument {
			t.Errorf("issabel apply=graphql: %v, want InvalidArgument", err)
		}
	})
	t.Run("database down", func(t *testing.T) {
		_, err := pbx.Open(context.Background(), "freepbx://admin:x@127.0.0.1:1/?db="+db)
		if pbx.Code(err) != pbx.Unavailable {
			t.Errorf("freepbx with no database: %v, want Unavailable", err)
		}
	})
}

func TestHostOptions(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	amportal := write("amportal.conf", "AMPMGRUSER=admin\nAMPMGRPASS=mgrpass\nASTMANAGERPORT=5039\nASTSPOOLDIR=/srv/spool\nAMPDBUSER=old\n")
	fpconf := write("freepbx.conf", "<?php\n$amp_conf['AMPDBUSER'] = 'freepbxuser';\n$amp_conf['AMPDBPASS'] = 'dbpass';\n$amp_conf['AMPDBHOST'] = '10.0.0.5';\n$amp_conf['AMPDBNAME'] = 'asterisk';\n")
	t.Run("freepbx", func(t *testing.T) {
		o, addr, err := freepbx.HostOptions(amportal, fpconf)
		if err != nil {
			t.Fatal(err)
		}
		if addr != "127.0.0.1:5039" || o.Username != "admin" || o.Secret != "mgrpass" ||
			o.SpoolDir != "/srv/spool/voicemail" || o.MonitorDir != "/srv/spool/monitor" ||
			o.DBDSN != "freepbxuser:dbpass@tcp(10.0.0.5:3306)/asterisk" ||
			o.CDRDSN != "freepbxuser:dbpass@tcp(10.0.0.5:3306)/asteriskcdrdb" {
			t.Errorf("HostOptions = %+v, %s", o, addr)
		}
	})
	t.Run("issabel", func(t *testing.T) {
		iconf := write("issabel.conf", "mysqlrootpwd=root\namiadminpwd=amipass\n")
		o, addr, err := issabel.HostOptions(write("amportal-i.conf", "AMPDBUSER=asteriskuser\nAMPDBPASS=dbpass\n"), iconf)
		if err != nil {
			t.Fatal(err)
		}
		if addr != "127.0.0.1:5038" || o.Username != "admin" || o.Secret != "amipass" ||
			o.DBDSN != "asteriskuser:dbpass@unix(/var/lib/mysql/mysql.sock)/asterisk" {
			t.Errorf("HostOptions = %+v, %s", o, addr)
		}
	})
	t.Run("not a PBX host", func(t *testing.T) {
		if _, _, err := freepbx.HostOptions(filepath.Join(dir, "none.conf")); pbx.Code(err) != pbx.FailedPrecondition {
			t.Errorf("freepbx: %v, want FailedPrecondition", err)
		}
		if _, _, err := issabel.HostOptions(filepath.Join(dir, "none.conf")); pbx.Code(err) != pbx.FailedPrecondition {
			t.Errorf("issabel: %v, want FailedPrecondition", err)
		}
	})
}
