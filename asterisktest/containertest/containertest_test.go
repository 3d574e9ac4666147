package containertest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/asterisktest"
)

func TestOptionsDefaults(t *testing.T) {
	var o *Options
	c := o.withDefaults()
	if c.Image != DefaultImage || c.EtcDir != "/etc/asterisk" || c.DataDir != "/var/lib/asterisk" ||
		c.AMIUser != asterisktest.DefaultAMIUser || c.StartupTimeout != DefaultStartupTimeout {
		t.Errorf("defaults: %+v", c)
	}
	c = (&Options{Image: "example/asterisk:20", DataDir: "/usr/share/asterisk"}).withDefaults()
	if c.Image != "example/asterisk:20" || c.DataDir != "/usr/share/asterisk" || c.ModDir != "/usr/lib/asterisk/modules" {
		t.Errorf("overrides: %+v", c)
	}
}

func TestRenderConfigForContainer(t *testing.T) {
	dir := t.TempDir()
	o := &Options{AMISecret: "s3", ExtraConfig: map[string]string{"extensions_extra.conf": "[x]\n"}}
	files, err := o.RenderConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	byPath := map[string]string{}
	for _, f := range files {
		byPath[f.ContainerFilePath] = f.HostFilePath
	}
	for _, p := range []string{"/etc/asterisk/asterisk.conf", "/etc/asterisk/pjsip.conf", "/etc/asterisk/manager.conf", "/etc/asterisk/extensions_extra.conf"} {
		if byPath[p] == "" {
			t.Errorf("no container file %s in %v", p, byPath)
		}
	}
	if _, ok := byPath["/etc/asterisk/cdr_mysql.conf"]; ok {
		t.Error("cdr_mysql.conf without MySQL options")
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for name, want := range map[string][]string{
		"manager.conf":  {"bindaddr = 0.0.0.0", "port = 5038", "secret = s3", "permit = 0.0.0.0/0.0.0.0"},
		"http.conf":     {"bindaddr = 0.0.0.0", "bindport = 8088"},
		"pjsip.conf":    {"bind = 0.0.0.0:5060"},
		"asterisk.conf": {"astetcdir => /etc/asterisk", "astdatadir => /var/lib/asterisk", "astspooldir => /var/spool/asterisk"},
	} {
		got := read(name)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, got)
			}
		}
	}
	if strings.Contains(read("pjsip.conf"), "media_address") {
		t.Error("pjsip.conf binds RTP to a media address inside the container")
	}
}

func TestStartContainer(t *testing.T) {
	s := StartContainer(t, nil) // skips without a Docker engine
	c, err := net.DialTimeout("tcp", s.AMIAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	banner, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(banner, "Asterisk Call Manager/") {
		t.Fatalf("banner %q: %v", banner, err)
	}
	fmt.Fprintf(c, "Action: Login\r\nUsername: %s\r\nSecret: %s\r\n\r\n", s.AMIUser, s.AMISecret)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(line, "Response:") {
			if !strings.Contains(line, "Success") {
				t.Fatalf("login: %q", line)
			}
			break
		}
	}
	out, err := s.CLI(context.Background(), "pjsip show endpoints")
	if err != nil || !strings.Contains(out, "1001") {
		t.Errorf("pjsip show endpoints: %q %v", out, err)
	}
}
