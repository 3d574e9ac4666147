package asterisktest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"text/template"
)

// TemplateDirEnv names the environment variable that, when set, overrides
// where the configuration templates are read from.
const TemplateDirEnv = "PBXKIT_ASTERISK_TEMPLATES"

// MySQLOptions makes Asterisk also write CDRs into a MySQL/MariaDB table
// through cdr_mysql (testdata/asterisk/cdr_mysql.conf.tmpl). The table must
// exist; testdata/asterisk/README.md has a CREATE TABLE for it.
type MySQLOptions struct {
	// Host is the server's address; use an IP address such as "127.0.0.1"
	// (cdr_mysql takes "localhost" to mean the default Unix socket).
	Host string
	// Port is the TCP port; 0 means 3306.
	Port int
	// User and Password authenticate to the server.
	User, Password string
	// Database is the database (dbname) holding the table.
	Database string
	// Table is the CDR table; "" means "cdr".
	Table string
}

// Config is what the templates under testdata/asterisk are rendered with.
// Start fills one in for a private local instance; the containertest module
// fills one in with the paths and addresses inside a container.
type Config struct {
	// Fixture supplies the extensions (pjsip.conf, voicemail.conf).
	Fixture
	// Dir is the instance's root directory (informational, used in comments).
	Dir string
	// EtcDir, LibDir, SpoolDir, RunDir and LogDir are the directories
	// asterisk.conf points astetcdir, astvarlibdir/astdbdir/astkeydir,
	// astspooldir, astrundir and astlogdir at.
	EtcDir, LibDir, SpoolDir, RunDir, LogDir string
	// ModDir is astmoddir (the installed modules) and DataDir astdatadir
	// (sounds, moh, rest-api, documentation).
	ModDir, DataDir string
	// BindAddr is the address AMI, HTTP and PJSIP bind to ("127.0.0.1").
	BindAddr string
	// MediaAddr, when set, is the PJSIP media_address RTP binds to.
	MediaAddr string
	// AMIPermit is the AMI user's permit= ACL ("127.0.0.1/255.255.255.255").
	AMIPermit string
	// AMIPort, HTTPPort and SIPPort are the AMI, HTTP (ARI) and PJSIP UDP ports.
	AMIPort, HTTPPort, SIPPort int
	// RTPStart and RTPEnd bound rtp.conf's port range.
	RTPStart, RTPEnd int
	// AMIUser and AMISecret are the manager.conf user.
	AMIUser, AMISecret string
	// ARIUser and ARIPassword are the ari.conf user.
	ARIUser, ARIPassword string
	// MySQL, when set, renders cdr_mysql.conf and loads cdr_mysql.so.
	MySQL *MySQLOptions
}

// TemplateDir returns the directory holding the configuration templates:
// $PBXKIT_ASTERISK_TEMPLATES if set, else testdata/asterisk of the module
// this package was built from, else testdata/asterisk in the working
// directory or one of its parents.
func TemplateDir() (string, error) {
	if d := os.Getenv(TemplateDirEnv); d != "" {
		return checkTemplateDir(d)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		d := filepath.Join(filepath.Dir(file), "..", "testdata", "asterisk")
		if _, err := checkTemplateDir(d); err == nil {
			return filepath.Clean(d), nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "testdata", "asterisk")
		if _, err := checkTemplateDir(c); err == nil {
			return c, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("asterisktest: testdata/asterisk not found (set %s)", TemplateDirEnv)
}

func checkTemplateDir(d string) (string, error) {
	if _, err := os.Stat(filepath.Join(d, "asterisk.conf")); err != nil {
		return "", fmt.Errorf("asterisktest: no configuration templates in %s: %w", d, err)
	}
	return d, nil
}

// RenderConfig renders every *.conf template of templateDir into dst (created
// if missing) with text/template and c. Optional templates named *.conf.tmpl
// are rendered (without the .tmpl suffix) only when switched on: today only
// cdr_mysql.conf.tmpl, when c.MySQL is set. extra adds or replaces files in dst
// after rendering (name relative to dst, content as is).
func RenderConfig(templateDir, dst string, c *Config, extra map[string]string) error {
	if c == nil {
		return errors.New("asterisktest: RenderConfig: nil Config")
	}
	cc := *c
	if cc.MySQL != nil {
		m := *cc.MySQL
		if m.Port == 0 {
			m.Port = 3306
		}
		if m.Table == "" {
			m.Table = "cdr"
		}
		cc.MySQL = &m
	}
	entries, err := os.ReadDir(templateDir)
	if err != nil {
		return fmt.Errorf("asterisktest: read templates: %w", err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() {
			continue
		}
		out := ""
		switch {
		case strings.HasSuffix(name, ".conf"):
			out = name
		case name == "cdr_mysql.conf.tmpl" && cc.MySQL != nil:
			out = strings.TrimSuffix(name, ".tmpl")
		default:
			continue
		}
		src, err := os.ReadFile(filepath.Join(templateDir, name))
		if err != nil {
			return err
		}
		tmpl, err := template.New(name).Option("missingkey=error").Parse(string(src))
		if err != nil {
			return fmt.Errorf("asterisktest: parse %s: %w", name, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, &cc); err != nil {
			return fmt.Errorf("asterisktest: render %s: %w", name, err)
		}
		if err := os.WriteFile(filepath.Join(dst, out), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(extra))
	for n := range extra {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(dst, filepath.Clean("/" + n)[1:])
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(extra[n]), 0o644); err != nil {
			return err
		}
	}
	return nil
}
