package asterisktest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pbxkit/pbxkit/internal/testenv"
)

// InstallCommand is the command, run from the repository root, that installs
// the servers the integration tests need (Asterisk 16 and MariaDB).
const InstallCommand = testenv.InstallCommand

// Default locations of the Debian packages' binary, modules and data.
const (
	DefaultBinary  = "/usr/sbin/asterisk"
	DefaultModDir  = "/usr/lib/asterisk/modules"
	DefaultDataDir = "/usr/share/asterisk"
)

// Require returns the path of the asterisk binary. When Asterisk or its
// modules are not installed it stops the test the way every integration
// helper of the repository does (internal/testenv): a skip naming
// InstallCommand, or a failure when the environment variable CI is "true".
func Require(t testing.TB) string {
	t.Helper()
	return require(t, "", DefaultModDir)
}

func require(t testing.TB, bin, modDir string) string {
	t.Helper()
	bin, err := findAsterisk(bin, modDir)
	if err != nil {
		testenv.Missing(t, "Asterisk", err.Error())
	}
	return bin
}

// findAsterisk locates the binary (bin if given, else asterisk on PATH, else
// DefaultBinary) and checks that PJSIP is among the modules in modDir.
func findAsterisk(bin, modDir string) (string, error) {
	if bin == "" {
		if p, err := exec.LookPath("asterisk"); err == nil {
			bin = p
		} else {
			bin = DefaultBinary
		}
	}
	st, err := os.Stat(bin)
	if err != nil {
		return "", fmt.Errorf("asterisk binary not found (%s)", bin)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s is not an executable", bin)
	}
	if _, err := os.Stat(filepath.Join(modDir, "chan_pjsip.so")); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("asterisk modules not found (%s/chan_pjsip.so)", modDir)
		}
		return "", err
	}
	return bin, nil
}
