// Package testenv decides what a test does when a real server it needs is
// missing: locally it skips, naming the command that installs the server; in
// CI (CI=true) it fails, so that integration tests never skip silently there.
package testenv

import (
	"os"
	"testing"
)

// InstallCommand is the command that installs every server the tests use.
const InstallCommand = "sudo bash .ci/install-servers"

// CI reports whether the tests run in CI, where missing servers are failures.
func CI() bool { return os.Getenv("CI") == "true" }

// Missing stops the test because what is unavailable (why says how it was
// detected): a skip locally, a failure under CI=true.
func Missing(t testing.TB, what, why string) {
	t.Helper()
	if CI() {
		t.Fatalf("%s is required under CI=true but is unavailable: %s", what, why)
	}
	t.Skipf("%s is unavailable (%s); install it with %q, start it, and run the tests again", what, why, InstallCommand)
}
