// Package mysqltest gives tests a fresh MySQL/MariaDB database of their own
// on the server the tests share, and drops it afterwards.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pbxkit/pbxkit/internal/testenv"
)

// DefaultDSN reaches a local MariaDB as root through its socket, as Debian's
// mariadb-server allows for the root user. PBXKIT_MYSQL_DSN overrides it.
const DefaultDSN = "root@unix(/run/mysqld/mysqld.sock)/"

// ServerDSN returns the DSN of the server, without a database.
func ServerDSN() string {
	if dsn := os.Getenv("PBXKIT_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return DefaultDSN
}

// DB is a database created for one test.
type DB struct {
	*sql.DB
	// Name is the database's name; Config is the DSN config that reaches it.
	Name   string
	Config *mysql.Config
}

// New creates a database for the test and drops it when the test ends. It
// skips the test (fails it under CI=true) when no server answers.
func New(t testing.TB) *DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(ServerDSN())
	if err != nil {
		t.Fatalf("PBXKIT_MYSQL_DSN: %v", err)
	}
	cfg.MultiStatements = true
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		testenv.Missing(t, "MariaDB", err.Error())
	}
	name := "pbxkit_test_" + rand.Text()[:12]
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4"); err != nil {
		t.Fatalf("creating database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE `"+name+"`"); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	dbCfg := cfg.Clone()
	dbCfg.DBName = name
	db, err := sql.Open("mysql", dbCfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &DB{DB: db, Name: name, Config: dbCfg}
}

// Exec runs SQL statements (several, separated by ';') or fails the test.
func (d *DB) Exec(t testing.TB, stmts string, args ...any) {
	t.Helper()
	if _, err := d.DB.Exec(stmts, args...); err != nil {
		t.Fatalf("%s: %v", truncate(stmts), err)
	}
}

func truncate(s string) string {
	if len(s) > 80 {
		return fmt.Sprintf("%s...", s[:80])
	}
	return s
}

// User creates a user for the test with all privileges on the given
// databases, reachable over TCP from 127.0.0.1 and as localhost, and drops it
// when the test ends. It returns a TCP DSN config for it, without a
// database: what a program other than the test (Asterisk's cdr_mysql, a
// backend opened from a URL) would be given.
func User(t testing.TB, databases ...string) *mysql.Config {
	t.Helper()
	cfg, err := mysql.ParseDSN(ServerDSN())
	if err != nil {
		t.Fatalf("PBXKIT_MYSQL_DSN: %v", err)
	}
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	user := "pbxkit_" + strings.ToLower(rand.Text()[:10])
	pass := rand.Text()
	for _, host := range []string{"127.0.0.1", "localhost"} {
		stmts := []string{fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY '%s'", user, host, pass)}
		for _, db := range databases {
			stmts = append(stmts, fmt.Sprintf("GRANT ALL ON `%s`.* TO '%s'@'%s'", db, user, host))
		}
		for _, s := range stmts {
			if _, err := admin.Exec(s); err != nil {
				t.Fatalf("creating a database user: %v", err)
			}
		}
		t.Cleanup(func() { _, _ = admin.Exec(fmt.Sprintf("DROP USER '%s'@'%s'", user, host)) })
	}
	out := mysql.NewConfig()
	out.User, out.Passwd, out.Net, out.Addr = user, pass, "tcp", "127.0.0.1:3306"
	if cfg.Net == "tcp" {
		out.Addr = cfg.Addr
	}
	return out
}
