package fpbx

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/cdrstore"
	"github.com/pbxkit/pbxkit/pbx"
)

// Options are what the freepbx and issabel packages' Options have in common;
// each package documents them for its distribution.
type Options struct {
	asterisk.Options
	DB, CDRDB     *sql.DB
	DBDSN, CDRDSN string
	CDRTable      string
	ApplyCommand  []string
	GraphQL       *GraphQLApplier
	NoApply       bool
	AutoApply     bool
	OnApply       func(Progress)
}

// Open connects a FreePBX or Issabel backend.
func Open(ctx context.Context, d *Dialect, addr string, o Options) (*pbx.Client, error) {
	fail := func(code pbx.ErrorCode, err error) (*pbx.Client, error) {
		return nil, &pbx.Error{Code: code, Op: "Open", Backend: d.Name, Err: err}
	}
	var closers []func() error
	if c, ok := o.Options.CDR.(io.Closer); ok {
		// Opened from a URL: ours to release if Open fails early (after
		// asterisk.Connect, its release does it).
		closers = append(closers, c.Close)
	}
	closeAll := func() {
		for _, c := range closers {
			c()
		}
	}
	if o.Dialplan == (asterisk.Dialplan{}) {
		o.Dialplan = d.Dialplan
	}
	if slices.Contains(knownDefaultSecrets, o.Secret) && o.Logger != nil {
		o.Logger.Warn("the AMI password is a well-known default; set a random one", "backend", d.Name, "user", o.Username)
	}
	db := o.DB
	if db == nil {
		if o.DBDSN == "" {
			return fail(pbx.InvalidArgument, errString("no asterisk database (Options.DB or DBDSN)"))
		}
		cfg, err := mysql.ParseDSN(o.DBDSN)
		if err != nil {
			return fail(pbx.InvalidArgument, errString("malformed asterisk database DSN"))
		}
		connector, err := mysql.NewConnector(cfg)
		if err != nil {
			return fail(pbx.InvalidArgument, err)
		}
		db = sql.OpenDB(connector)
		closers = append(closers, db.Close)
	}
	if err := db.PingContext(ctx); err != nil {
		closeAll()
		return fail(pbx.Unavailable, err)
	}
	if o.CDR == nil && (o.CDRDB != nil || o.CDRDSN != "") {
		var store *cdrstore.SQL
		var err error
		table := o.CDRTable
		if table == "" {
			table = "cdr"
		}
		if o.CDRDB != nil {
			store, err = cdrstore.NewSQL(o.CDRDB, &cdrstore.SQLOptions{Table: table, Location: time.Local})
		} else {
			cfg, perr := mysql.ParseDSN(o.CDRDSN)
			if perr != nil {
				closeAll()
				return fail(pbx.InvalidArgument, errString("malformed CDR database DSN"))
			}
			store, err = cdrstore.OpenSQL(cfg, &cdrstore.SQLOptions{Table: table, Location: time.Local})
		}
		if err != nil {
			closeAll()
			return nil, err
		}
		o.Options.CDR = store
	}
	core, release, err := asterisk.Connect(ctx, addr, &o.Options, d.Name)
	if err != nil {
		closeAll()
		return nil, err
	}
	closers = append(closers[:0:0], dbCloser(o.DB, db)...)
	closers = append(closers, release)
	core.OriginateChannel = d.OriginateChannel
	var applier Applier
	switch {
	case o.NoApply:
	case o.GraphQL != nil:
		g := *o.GraphQL
		g.Progress = o.OnApply
		applier = &g
	default:
		argv := o.ApplyCommand
		if argv == nil {
			argv = d.ApplyCommand
		}
		applier = &CommandApplier{Argv: argv, Progress: o.OnApply}
	}
	b := New(Config{Dialect: d, Core: core, DB: db, Applier: applier, AutoApply: o.AutoApply, Closers: closers})
	c, err := pbx.NewClient(b, o.Client)
	if err != nil {
		b.Close()
		return nil, err
	}
	return c, nil
}

// knownDefaultSecrets are the AMI passwords FreePBX and Issabel shipped
// with (amp111, issabel789); a backend that finds one warns.
var knownDefaultSecrets = []string{"amp111", "issabel789"}

// dbCloser releases the database pool if Open made it.
func dbCloser(given, db *sql.DB) []func() error {
	if given != nil {
		return nil
	}
	return []func() error{db.Close}
}

type errString string

func (e errString) Error() string { return string(e) }

// phpSetting matches $amp_conf['KEY'] = 'value'; in /etc/freepbx.conf.
var phpSetting = regexp.MustCompile(`\$amp_conf\[\s*['"]([A-Z_]+)['"]\s*\]\s*=\s*['"]([^'"]*)['"]\s*;`)

// ReadSettings reads KEY=value lines (amportal.conf, issabel.conf) and
// FreePBX's PHP $amp_conf lines from the files that exist; later files win.
func ReadSettings(paths ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, m := range phpSetting.FindAllSubmatch(data, -1) {
			out[string(m[1])] = string(m[2])
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" || line[0] == '#' || line[0] == ';' || strings.HasPrefix(line, "$") || strings.HasPrefix(line, "<?") {
				continue
			}
			if k, v, ok := strings.Cut(line, "="); ok {
				out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
			}
		}
	}
	return out, nil
}
