package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pbxkit/pbxkit/mock"
	"github.com/pbxkit/pbxkit/pbx"
)

// result is what one run of pbxctl printed and returned.
type result struct {
	stdout, stderr string
	code           int
}

// pbxctl runs the command line against mock://demo, unless args name
// another PBX with --pbx.
func pbxctl(t *testing.T, args ...string) result {
	t.Helper()
	return pbxctlCtx(t, t.Context(), args...)
}

func pbxctlCtx(t *testing.T, ctx context.Context, args ...string) result {
	t.Helper()
	if !slices.ContainsFunc(args, func(a string) bool { return a == "--pbx" || strings.HasPrefix(a, "--pbx=") }) {
		args = append([]string{"--pbx=mock://demo"}, args...)
	}
	var stdout, stderr bytes.Buffer
	code := run(ctx, args, &stdout, &stderr)
	return result{stdout: stdout.String(), stderr: stderr.String(), code: code}
}

// ok fails the test unless the run exited 0 with nothing on stderr.
func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, want 0; stderr:\n%s\nstdout:\n%s", r.code, r.stderr, r.stdout)
	}
	return r
}

// lines returns stdout's lines.
func (r result) lines() []string {
	return strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
}

// row returns the first stdout line containing s, or "".
func (r result) row(s string) string {
	for _, l := range r.lines() {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}

// jsonArray decodes stdout as a JSON array of objects.
func (r result) jsonArray(t *testing.T) []map[string]any {
	t.Helper()
	var v []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not a JSON array of objects: %v\n%s", err, r.stdout)
	}
	return v
}

// jsonObject decodes stdout as one JSON object.
func (r result) jsonObject(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, r.stdout)
	}
	return v
}

func containsAll(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// Each run of pbxctl on mock://demo opens a fresh demo PBX, so a mutation
// cannot be read back by a second run. The "shared" scheme, registered for
// the tests only, opens a new client on a demo PBX that lives as long as
// its test: sharedDemo returns its URL.
var (
	sharedPBXs sync.Map // host → *mock.PBX
	sharedSeq  atomic.Int64
)

func init() {
	pbx.DefaultURLMux().Register("shared", pbx.URLOpenerFunc(func(_ context.Context, u *url.URL, _ *pbx.ClientOptions) (*pbx.Client, error) {
		p, ok := sharedPBXs.Load(u.Host)
		if !ok {
			return nil, pbx.Errorf(pbx.NotFound, "no shared PBX %q", u.Host)
		}
		return p.(*mock.PBX).Client(), nil
	}))
}

func sharedDemo(t *testing.T) string {
	p := mock.NewDemo(nil)
	host := fmt.Sprintf("demo%d", sharedSeq.Add(1))
	sharedPBXs.Store(host, p)
	t.Cleanup(func() {
		sharedPBXs.Delete(host)
		p.Close()
	})
	return "shared://" + host
}

// firstMessage returns the ID of the first message of a demo mailbox. The
// demo is seeded: every run of it has the same message IDs.
func firstMessage(t *testing.T, box, folder string) string {
	t.Helper()
	msgs := pbxctl(t, "--json", "voicemail", "list", box, "--folder", folder).ok(t).jsonArray(t)
	if len(msgs) == 0 {
		t.Fatalf("mailbox %s has no message in %s", box, folder)
	}
	return msgs[0]["id"].(string)
}
