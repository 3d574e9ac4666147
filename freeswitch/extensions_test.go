package freeswitch_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbxkit/pbxkit/esl/esltest"
	"github.com/pbxkit/pbxkit/freeswitch"
	"github.com/pbxkit/pbxkit/pbx"
)

// TestDirectoryFiles: an update rewrites only what it manages, keeping the
// file's other params and variables and its $${var} references; values are
// XML-escaped; the switch reads what was written; no temporary file is
// left behind.
func TestDirectoryFiles(t *testing.T) {
	env := newSwitch(t)
	ctx := context.Background()
	c := env.client(t)
	exts := c.Extensions()

	if secret, err := exts.RevealSecret(ctx, "1000"); err != nil || secret != "1234" {
		t.Fatalf("RevealSecret of $${default_password} = %q, %v", secret, err)
	}
	e, err := exts.Get(ctx, "1000")
	if err != nil {
		t.Fatal(err)
	}
	e.Name = `Bob & "Co" <sales>`
	e.OutboundCallerID = `"Front Desk" <+15550100>`
	if _, err := exts.Update(ctx, *e); err != nil {
		t.Fatal(err)
	}
	got, err := exts.Get(ctx, "1000")
	if err != nil || got.Name != e.Name || got.OutboundCallerID != e.OutboundCallerID || got.Mailbox != "1000" || got.Context != "default" {
		t.Fatalf("Get after Update = %+v, %v", got, err)
	}
	data, err := os.ReadFile(filepath.Join(env.opts.Directory, "1000.xml"))
	if err != nil {
		t.Fatal(err)
	}
	file := string(data)
	for _, want := range []string{
		`name="password" value="$${default_password}"`, `name="toll_allow" value="domestic,international,local"`,
		`name="accountcode" value="1000"`, `name="callgroup" value="techsupport"`,
		`value="Bob &amp; &#34;Co&#34; &lt;sales&gt;"`, `name="outbound_caller_id_number" value="+15550100"`,
	} {
		if !strings.Contains(file, want) {
			t.Errorf("1000.xml lacks %s:\n%s", want, file)
		}
	}
	if secret, err := exts.RevealSecret(ctx, "1000"); err != nil || secret != "1234" {
		t.Fatalf("an update changed the secret to %q, %v", secret, err)
	}
	reset, err := exts.ResetSecret(ctx, "1000")
	if err != nil {
		t.Fatal(err)
	}
	if secret, err := exts.RevealSecret(ctx, "1000"); err != nil || secret != reset {
		t.Fatalf("RevealSecret after ResetSecret = %q, %v", secret, err)
	}
	for _, bad := range []pbx.Extension{
		{ID: "1000", Name: "x", RingTime: 20e9},
		{ID: "1000", Name: "x", Mailbox: "1001"},
	} {
		if _, err := exts.Update(ctx, bad); err == nil {
			t.Errorf("Update(%+v) was accepted", bad)
		}
	}
	entries, err := os.ReadDir(env.opts.Directory)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		if !strings.HasSuffix(de.Name(), ".xml") || strings.HasPrefix(de.Name(), ".") {
			t.Errorf("left in the directory: %s", de.Name())
		}
	}
}

// TestUsersDefinedElsewhere: a user the directory files do not define can
// be read but not written, and the extension capabilities that need the
// directory are left out without one.
func TestUsersDefinedElsewhere(t *testing.T) {
	dir := t.TempDir()
	srv := esltest.NewServer(t, &esltest.Options{Users: []esltest.User{{ID: "3000"}}, Directory: dir})
	ctx := context.Background()
	c, err := freeswitch.Open(ctx, srv.Addr(), &freeswitch.Options{Password: srv.Password(), Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Extensions().Get(ctx, "3000"); err != nil {
		t.Fatal(err)
	}
	if err := c.Extensions().Delete(ctx, "3000"); pbx.Code(err) != pbx.FailedPrecondition {
		t.Fatalf("Delete of a user defined elsewhere: %v", err)
	}
	if _, err := c.Extensions().RevealSecret(ctx, "3000"); pbx.Code(err) != pbx.FailedPrecondition {
		t.Fatalf("RevealSecret of a user defined elsewhere: %v", err)
	}

	bare, err := freeswitch.Open(ctx, srv.Addr(), &freeswitch.Options{Password: srv.Password()})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	for _, cp := range []pbx.Capability{pbx.CapExtensionsWrite, pbx.CapSecretReset, pbx.CapSecretReveal, pbx.CapVoicemail, pbx.CapCDR} {
		if bare.Capabilities().Has(cp) {
			t.Errorf("declares %s without its directory, storage or store", cp)
		}
	}
	if _, _, err := bare.Extensions().Create(ctx, pbx.Extension{ID: "3001"}); pbx.Code(err) != pbx.Unsupported {
		t.Fatalf("Create without a directory: %v", err)
	}
}
