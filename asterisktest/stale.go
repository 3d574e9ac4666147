package asterisktest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// ownerFile, in an instance directory, holds the pid of the test process
// that created it.
const ownerFile = "owner.pid"

var sweepOnce sync.Once

// sweepStale removes what earlier test processes left behind when they died
// before their cleanups ran (a panic, a -timeout, a SIGKILL): for every
// instance directory whose owner process is gone, the Asterisk whose pid file
// is in it (and whose command line names that directory) is killed, and the
// directory removed. It runs once per process.
func sweepStale() {
	sweepOnce.Do(func() {
		dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
		for _, dir := range dirs {
			data, err := os.ReadFile(filepath.Join(dir, ownerFile))
			if err != nil {
				continue
			}
			owner, err := strconv.Atoi(strings.TrimSpace(string(data)))
			if err != nil || owner <= 0 || processAlive(owner) {
				continue
			}
			if pid := asteriskPID(dir); pid > 0 {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			if os.Getenv(KeepDirEnv) != "1" {
				_ = os.RemoveAll(dir)
			}
		}
	})
}

func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// asteriskPID returns the pid in dir/run/asterisk.pid if that process is
// still an asterisk started with dir's configuration, else 0.
func asteriskPID(dir string) int {
	data, err := os.ReadFile(filepath.Join(dir, "run", "asterisk.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0
	}
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || !strings.Contains(string(cmdline), filepath.Join(dir, "etc", "asterisk.conf")) {
		return 0
	}
	return pid
}
