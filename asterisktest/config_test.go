package asterisktest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testConfig(dir string) *Config {
	return &Config{
		Fixture: DefaultFixture(), Dir: dir, EtcDir: dir + "/etc", LibDir: dir + "/lib",
		SpoolDir: dir + "/spool", RunDir: dir + "/run", LogDir: dir + "/log",
		ModDir: DefaultModDir, DataDir: DefaultDataDir, BindAddr: "127.0.0.1", MediaAddr: "127.0.0.1",
		AMIPermit: "127.0.0.1/255.255.255.255", AMIPort: 15038, HTTPPort: 18088, SIPPort: 15060,
		RTPStart: 21000, RTPEnd: 21039, AMIUser: "u", AMISecret: "s", ARIUser: "au", ARIPassword: "ap",
	}
}

func TestRenderConfig(t *testing.T) {
	tmpl, err := TemplateDir()
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := RenderConfig(tmpl, dst, testConfig("/x"), map[string]string{"extra.conf": "[x]\n"}); err != nil {
		t.Fatal(err)
	}
	read := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, want := range map[string][]string{
		"asterisk.conf":  {"astetcdir => /x/etc", "astspooldir => /x/spool", "astrundir => /x/run", "astmoddir => " + DefaultModDir},
		"manager.conf":   {"bindaddr = 127.0.0.1", "port = 15038", "[u]", "secret = s", "permit = 127.0.0.1/255.255.255.255"},
		"http.conf":      {"bindport = 18088"},
		"ari.conf":       {"[au]", "password = ap"},
		"pjsip.conf":     {"bind = 127.0.0.1:15060", "[1006]", "password = pbxkit-1006", "mailboxes = 1001@default", "media_address = 127.0.0.1"},
		"rtp.conf":       {"rtpstart = 21000", "rtpend = 21039"},
		"voicemail.conf": {"1003 => 1234,Carol", "format = wav"},
		"modules.conf":   {"noload => chan_sip.so", "noload => cdr_mysql.so"},
		"extra.conf":     {"[x]"},
	} {
		got := read(name)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, got)
			}
		}
		if strings.Contains(got, "{{") {
			t.Errorf("%s has an unrendered action", name)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "cdr_mysql.conf")); !os.IsNotExist(err) {
		t.Errorf("cdr_mysql.conf rendered without MySQL options (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(dst, "README.md")); !os.IsNotExist(err) {
		t.Errorf("README.md copied into etc (%v)", err)
	}

	c := testConfig("/x")
	c.MySQL = &MySQLOptions{Host: "127.0.0.1", User: "cdr", Password: "pw", Database: "asteriskcdrdb"}
	dst2 := t.TempDir()
	if err := RenderConfig(tmpl, dst2, c, nil); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dst2, "cdr_mysql.conf"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"hostname = 127.0.0.1", "port = 3306", "dbname = asteriskcdrdb", "table = cdr", "user = cdr", "password = pw"} {
		if !strings.Contains(string(b), w) {
			t.Errorf("cdr_mysql.conf lacks %q:\n%s", w, b)
		}
	}
	if m, _ := os.ReadFile(filepath.Join(dst2, "modules.conf")); strings.Contains(string(m), "noload => cdr_mysql.so") {
		t.Error("modules.conf noloads cdr_mysql.so although MySQL is set")
	}
}

func TestDefaultFixture(t *testing.T) {
	f := DefaultFixture()
	if len(f.Extensions) != 6 || f.Extensions[0].Number != "1001" || f.Extensions[5].Number != "1006" {
		t.Fatalf("extensions: %+v", f.Extensions)
	}
	e, ok := f.Extension("1002")
	if !ok || e.Name != "Bob" || e.Secret != "pbxkit-1002" || e.Mailbox != "1002@default" || e.VoicemailPIN != "1234" {
		t.Errorf("1002: %+v %v", e, ok)
	}
	if _, ok := f.Extension("1007"); ok {
		t.Error("1007 found")
	}
	if f.ConfRoom != "9000" || len(f.Queues) != 2 || f.Queues[0].Members[0] != "PJSIP/1002" {
		t.Errorf("fixture: %+v", f)
	}
}

func TestFindAsteriskMissing(t *testing.T) {
	if _, err := findAsterisk(filepath.Join(t.TempDir(), "asterisk"), DefaultModDir); err == nil {
		t.Error("a missing binary was found")
	}
	bin := filepath.Join(t.TempDir(), "asterisk")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := findAsterisk(bin, t.TempDir()); err == nil || !strings.Contains(err.Error(), "chan_pjsip.so") {
		t.Errorf("missing modules: %v", err)
	}
}

func TestStartWithoutAsteriskSkips(t *testing.T) {
	t.Setenv("CI", "")
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Start(t, &Options{Binary: filepath.Join(t.TempDir(), "no-asterisk")})
		t.Error("Start returned without Asterisk")
	})
	if !skipped {
		t.Error("Start without Asterisk did not skip")
	}
}
