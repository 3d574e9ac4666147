// Package distrotest gives tests the MySQL databases of a FreePBX 16 or an
// Issabel 4 PBX, on the MariaDB server the tests share: an `asterisk`
// database and an `asteriskcdrdb` database of their own, created empty,
// loaded with the schema files of testdata/freepbx or testdata/issabel, and
// dropped when the test ends. SeedExtensions then fills in the fixture
// extensions the way each distribution's GUI writes them.
//
// The schema files document their sources (the column lists of
// /work/shared/notes/freepbx-issabel.md) and what was not verified. Only
// tests import this package.
package distrotest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pbxkit/pbxkit/internal/mysqltest"
)

// Distro is a PBX distribution whose database layout this package loads.
type Distro string

const (
	// FreePBX is FreePBX 16: testdata/freepbx.
	FreePBX Distro = "freepbx"
	// Issabel is Issabel 4 (IssabelPBX): testdata/issabel.
	Issabel Distro = "issabel"
)

// Schema file names, relative to the distribution's directory.
const (
	AsteriskSchema    = "asterisk.sql"
	CDRSchema         = "asteriskcdrdb.sql"
	UpgradedCDRSchema = "asteriskcdrdb-upgraded.sql" // Issabel only
)

// SchemaDirEnv names the environment variable that, when set, is the
// directory holding the freepbx/ and issabel/ schema directories (the
// module's testdata directory by default).
const SchemaDirEnv = "PBXKIT_DISTRO_SCHEMAS"

// Databases are the two databases of one test's PBX.
type Databases struct {
	// Distro is the distribution whose layout was loaded.
	Distro Distro
	// Asterisk is the configuration database ("asterisk" on a real PBX).
	Asterisk *sql.DB
	// CDR is the call-record database ("asteriskcdrdb" on a real PBX).
	CDR *sql.DB
	// AsteriskName and CDRName are the databases' real names, unique to the
	// test; a backend under test must be configured with them.
	AsteriskName, CDRName string
	// AsteriskConfig and CDRConfig are DSN configs that reach each database
	// (go-sql-driver/mysql). They are the test's own copies; a test may
	// change them.
	AsteriskConfig, CDRConfig *mysql.Config
	// CDRSchema is the schema file the CDR database was loaded from:
	// CDRSchema or UpgradedCDRSchema.
	CDRSchema string
}

// AsteriskDSN returns the DSN of the asterisk database.
func (d *Databases) AsteriskDSN() string { return d.AsteriskConfig.FormatDSN() }

// CDRDSN returns the DSN of the asteriskcdrdb database.
func (d *Databases) CDRDSN() string { return d.CDRConfig.FormatDSN() }

// LoadFreePBX creates the two databases of a FreePBX 16 PBX for the test.
// It skips the test when no MariaDB answers (fails it under CI=true).
func LoadFreePBX(t testing.TB) *Databases {
	t.Helper()
	return load(t, FreePBX, CDRSchema)
}

// IssabelOption changes what LoadIssabel loads.
type IssabelOption func(*issabelOptions)

type issabelOptions struct{ cdrSchema string }

// UpgradedCDR makes LoadIssabel load the cdr table of a system upgraded from
// an older Issabel/Elastix (testdata/issabel/asteriskcdrdb-upgraded.sql:
// varchar(40) caller-id columns, no linkedid, peeraccount or sequence)
// instead of the fresh-install layout.
func UpgradedCDR() IssabelOption {
	return func(o *issabelOptions) { o.cdrSchema = UpgradedCDRSchema }
}

// LoadIssabel creates the two databases of an Issabel 4 PBX for the test,
// with the fresh-install CDR layout unless UpgradedCDR is given. It skips
// the test when no MariaDB answers (fails it under CI=true).
func LoadIssabel(t testing.TB, opts ...IssabelOption) *Databases {
	t.Helper()
	o := issabelOptions{cdrSchema: CDRSchema}
	for _, opt := range opts {
		opt(&o)
	}
	return load(t, Issabel, o.cdrSchema)
}

func load(t testing.TB, distro Distro, cdrSchema string) *Databases {
	t.Helper()
	// Read and split both files before touching the server, so that a broken
	// or missing file fails the test even where MariaDB is absent.
	astStmts := readSchema(t, distro, AsteriskSchema)
	cdrStmts := readSchema(t, distro, cdrSchema)

	ast := mysqltest.New(t)
	cdr := mysqltest.New(t)
	exec(t, ast.DB, distro, AsteriskSchema, astStmts)
	exec(t, cdr.DB, distro, cdrSchema, cdrStmts)
	return &Databases{
		Distro:         distro,
		Asterisk:       ast.DB,
		CDR:            cdr.DB,
		AsteriskName:   ast.Name,
		CDRName:        cdr.Name,
		AsteriskConfig: ast.Config.Clone(),
		CDRConfig:      cdr.Config.Clone(),
		CDRSchema:      cdrSchema,
	}
}

func readSchema(t testing.TB, distro Distro, name string) []string {
	t.Helper()
	path, err := SchemaFile(distro, name)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stmts := splitStatements(string(src))
	if len(stmts) == 0 {
		t.Fatalf("%s: no SQL statements", path)
	}
	return stmts
}

func exec(t testing.TB, db *sql.DB, distro Distro, name string, stmts []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// One connection, so that every statement sees the same session.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s/%s: %v\nin: %s", distro, name, err, firstLine(s))
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// SchemaFile returns the path of a schema file (AsteriskSchema, CDRSchema or
// UpgradedCDRSchema) of the distribution.
func SchemaFile(distro Distro, name string) (string, error) {
	dir, err := SchemaDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, string(distro), name)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("distrotest: %w", err)
	}
	return p, nil
}

// SchemaDir returns the directory holding freepbx/ and issabel/:
// $PBXKIT_DISTRO_SCHEMAS if set, else testdata of the module this package was
// built from, else testdata in the working directory or one of its parents.
func SchemaDir() (string, error) {
	if d := os.Getenv(SchemaDirEnv); d != "" {
		return d, nil
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		d := filepath.Join(filepath.Dir(file), "..", "..", "testdata")
		if isSchemaDir(d) {
			return filepath.Clean(d), nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if c := filepath.Join(d, "testdata"); isSchemaDir(c) {
			return c, nil
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	return "", fmt.Errorf("distrotest: testdata/freepbx not found (set %s)", SchemaDirEnv)
}

func isSchemaDir(d string) bool {
	_, err := os.Stat(filepath.Join(d, string(FreePBX), AsteriskSchema))
	return err == nil
}

// splitStatements cuts an SQL file into statements at the semicolons outside
// quotes, dropping "-- " comments and blank statements. It knows '…', "…" and
// `…` quoting (with backslash escapes in the first two); it does not know
// /* */ comments or DELIMITER, which the schema files do not use.
func splitStatements(src string) []string {
	var (
		stmts []string
		b     strings.Builder
		quote byte
	)
	flush := func() {
		if s := strings.TrimSpace(b.String()); s != "" {
			stmts = append(stmts, s)
		}
		b.Reset()
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if quote != 0 {
			b.WriteByte(c)
			switch {
			case c == '\\' && quote != '`' && i+1 < len(src):
				i++
				b.WriteByte(src[i])
			case c == quote:
				quote = 0 // a doubled quote reopens on the next byte
			}
			continue
		}
		switch {
		case c == '\'' || c == '"' || c == '`':
			quote = c
			b.WriteByte(c)
		case c == '-' && isComment(src[i:]):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
		case c == ';':
			flush()
		default:
			b.WriteByte(c)
		}
	}
	flush()
	return stmts
}

// isComment reports whether s starts a MariaDB "-- " comment: two dashes
// followed by a space, a control character or the end of the input.
func isComment(s string) bool {
	if !strings.HasPrefix(s, "--") {
		return false
	}
	return len(s) == 2 || s[2] <= ' '
}
