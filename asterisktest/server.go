package asterisktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Defaults of Options.
const (
	DefaultAMIUser      = "pbxkit"
	DefaultAMISecret    = "pbxkit-ami-secret"
	DefaultARIUser      = "pbxkit"
	DefaultARIPassword  = "pbxkit-ari-secret"
	DefaultStartTimeout = 60 * time.Second
	DefaultStopTimeout  = 15 * time.Second
)

// KeepDirEnv names the environment variable that, when "1", keeps each
// instance's directory after the test instead of removing it.
const KeepDirEnv = "PBXKIT_ASTERISK_KEEP"

// dirPrefix starts the name of every instance directory under os.TempDir().
const dirPrefix = "pbxkit-asterisk-"

// Options configures Start. The zero value (or nil) gives the defaults.
type Options struct {
	// Binary is the asterisk executable; "" means asterisk on PATH, else DefaultBinary.
	Binary string
	// ModDir is astmoddir; "" means DefaultModDir.
	ModDir string
	// DataDir is astdatadir (sounds, moh, rest-api); "" means DefaultDataDir.
	DataDir string
	// TemplateDir holds the configuration templates; "" means TemplateDir().
	TemplateDir string
	// StartTimeout bounds each boot (Start and Restart); 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// AMIUser and AMISecret name the manager.conf user; "" means the defaults.
	AMIUser, AMISecret string
	// ARIUser and ARIPassword name the ari.conf user; "" means the defaults.
	ARIUser, ARIPassword string
	// MySQL, when set, makes Asterisk write CDRs into that MySQL/MariaDB table too.
	MySQL *MySQLOptions
	// ExtraConfig adds or replaces files of etc/ after the templates are
	// rendered: the key is the file name (for example "extensions_test.conf"
	// together with a replaced "extensions.conf" that #includes it).
	ExtraConfig map[string]string
}

// Server is one private Asterisk instance started by Start. Its fields
// describe how to reach it; they do not change across Restart.
type Server struct {
	// Fixture is the data the configuration was rendered with (extensions,
	// secrets, mailboxes, conference room, queues).
	Fixture

	// AMIAddr is the AMI TCP address, "127.0.0.1:port".
	AMIAddr string
	// AMIUser and AMISecret log in to AMI.
	AMIUser, AMISecret string
	// HTTPAddr is the HTTP server's address, "127.0.0.1:port".
	HTTPAddr string
	// ARIURL is the ARI base URL, "http://127.0.0.1:port/ari".
	ARIURL string
	// ARIUser and ARIPassword authenticate to ARI (HTTP basic auth).
	ARIUser, ARIPassword string
	// SIPAddr is the PJSIP UDP transport, "127.0.0.1:port".
	SIPAddr string
	// RTPStart and RTPEnd bound the instance's RTP port range.
	RTPStart, RTPEnd int

	// Dir is the instance's root directory (etc, run, spool, lib, log).
	Dir string
	// ConfigDir is astetcdir, Dir/etc, holding the rendered configuration.
	ConfigDir string
	// SpoolDir is the voicemail spool root, Dir/spool/voicemail: messages of
	// 1001@default land in SpoolDir/default/1001/INBOX/msg0000.{wav,txt}.
	SpoolDir string
	// CDRCSVPath is cdr_csv's Master.csv, Dir/log/cdr-csv/Master.csv.
	CDRCSVPath string
	// LogPath is Asterisk's "messages" log file, Dir/log/messages.
	LogPath string

	t            testing.TB
	bin          string
	confPath     string
	runAs        *user.User // nil: run as the current user
	startTimeout time.Duration
	console      *tailBuffer

	mu      sync.Mutex
	proc    *exec.Cmd
	done    chan struct{} // closed when proc has exited
	waitErr error
}

// Start creates a private Asterisk instance for the test, boots it and
// returns when it is fully booted. The instance listens only on loopback
// ports picked for it; it is stopped, and its directory removed, when the
// test ends; if the test failed, its log is printed with t.Log first. A nil
// opts means the defaults. When Asterisk is not installed, Start stops the
// test as Require does (a skip, or a failure when CI is "true").
// Several instances may run at once.
func Start(t testing.TB, opts *Options) *Server {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	modDir := or(opts.ModDir, DefaultModDir)
	bin := require(t, opts.Binary, modDir)
	sweepStale()
	s, err := newServer(t, bin, modDir, opts)
	if err != nil {
		t.Fatalf("asterisktest: %v", err)
	}
	t.Cleanup(s.cleanup)
	ctx, cancel := context.WithTimeout(context.Background(), s.startTimeout)
	defer cancel()
	began := time.Now()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("asterisktest: start Asterisk in %s: %v", s.Dir, err)
	}
	t.Logf("asterisktest: Asterisk booted in %v (AMI %s, SIP %s, ARI %s, dir %s)",
		time.Since(began).Round(time.Millisecond), s.AMIAddr, s.SIPAddr, s.ARIURL, s.Dir)
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newServer(t testing.TB, bin, modDir string, opts *Options) (*Server, error) {
	tmplDir := opts.TemplateDir
	if tmplDir == "" {
		d, err := TemplateDir()
		if err != nil {
			return nil, err
		}
		tmplDir = d
	}
	tcp, udp, err := pickPorts(2, 1)
	if err != nil {
		return nil, err
	}
	rtpStart, rtpEnd, err := pickRTPRange()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return nil, err
	}
	s := &Server{
		Fixture:      DefaultFixture(),
		AMIAddr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp[0])),
		AMIUser:      or(opts.AMIUser, DefaultAMIUser),
		AMISecret:    or(opts.AMISecret, DefaultAMISecret),
		HTTPAddr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp[1])),
		ARIUser:      or(opts.ARIUser, DefaultARIUser),
		ARIPassword:  or(opts.ARIPassword, DefaultARIPassword),
		SIPAddr:      net.JoinHostPort("127.0.0.1", strconv.Itoa(udp[0])),
		RTPStart:     rtpStart,
		RTPEnd:       rtpEnd,
		Dir:          dir,
		ConfigDir:    filepath.Join(dir, "etc"),
		SpoolDir:     filepath.Join(dir, "spool", "voicemail"),
		CDRCSVPath:   filepath.Join(dir, "log", "cdr-csv", "Master.csv"),
		LogPath:      filepath.Join(dir, "log", "messages"),
		t:            t,
		bin:          bin,
		confPath:     filepath.Join(dir, "etc", "asterisk.conf"),
		startTimeout: opts.StartTimeout,
		console:      &tailBuffer{max: 1 << 20},
	}
	s.ARIURL = "http://" + s.HTTPAddr + "/ari"
	if s.startTimeout <= 0 {
		s.startTimeout = DefaultStartTimeout
	}
	for _, d := range []string{
		"etc", "run", "lib/keys", "log/cdr-csv",
		"spool/voicemail", "spool/outgoing", "spool/tmp", "spool/monitor", "spool/recording",
	} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	cfg := &Config{
		Fixture:     s.Fixture,
		Dir:         dir,
		EtcDir:      s.ConfigDir,
		LibDir:      filepath.Join(dir, "lib"),
		SpoolDir:    filepath.Join(dir, "spool"),
		RunDir:      filepath.Join(dir, "run"),
		LogDir:      filepath.Join(dir, "log"),
		ModDir:      modDir,
		DataDir:     or(opts.DataDir, DefaultDataDir),
		BindAddr:    "127.0.0.1",
		MediaAddr:   "127.0.0.1",
		AMIPermit:   "127.0.0.1/255.255.255.255",
		AMIPort:     tcp[0],
		HTTPPort:    tcp[1],
		SIPPort:     udp[0],
		RTPStart:    rtpStart,
		RTPEnd:      rtpEnd,
		AMIUser:     s.AMIUser,
		AMISecret:   s.AMISecret,
		ARIUser:     s.ARIUser,
		ARIPassword: s.ARIPassword,
		MySQL:       opts.MySQL,
	}
	if err := RenderConfig(tmplDir, s.ConfigDir, cfg, opts.ExtraConfig); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		if u, err := user.Lookup("asterisk"); err == nil {
			s.runAs = u
			if err := chownTree(dir, u); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func chownTree(dir string, u *user.User) error {
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return err
	}
	return filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

// Start boots the instance again after Stop or Kill, on the same ports and
// directories, and returns once it is fully booted or ctx ends. It returns an
// error if the instance is already running.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.running() {
		s.mu.Unlock()
		return errors.New("asterisktest: Asterisk is already running")
	}
	args := []string{"-f", "-n", "-q", "-C", s.confPath}
	if s.runAs != nil {
		args = append(args, "-U", s.runAs.Username, "-G", s.runAs.Username)
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.Dir
	cmd.Stdout = s.console
	cmd.Stderr = s.console
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	fmt.Fprintf(s.console, "--- %s %s\n", time.Now().Format("15:04:05.000"), strings.Join(cmd.Args, " "))
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		return fmt.Errorf("asterisktest: run %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	s.proc, s.done, s.waitErr = cmd, done, nil
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		if s.proc == cmd {
			s.waitErr = err
		}
		s.mu.Unlock()
		fmt.Fprintf(s.console, "--- %s asterisk exited: %v\n", time.Now().Format("15:04:05.000"), err)
		close(done)
	}()
	s.mu.Unlock()

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.startTimeout)
		defer cancel()
	}
	if err := s.waitBooted(ctx, done); err != nil {
		s.Kill()
		return err
	}
	return nil
}

// waitBooted polls "core waitfullybooted" on the control socket until it
// answers, the process exits or ctx ends.
func (s *Server) waitBooted(ctx context.Context, done <-chan struct{}) error {
	var last error
	for {
		select {
		case <-done:
			return fmt.Errorf("asterisktest: Asterisk exited while booting: %v", s.exitErr())
		default:
		}
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		out, err := s.CLI(actx, "core waitfullybooted")
		cancel()
		if err == nil && strings.Contains(out, "fully booted") {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("unexpected answer %q", out)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("asterisktest: Asterisk not fully booted in time (%v): last: %v", ctx.Err(), last)
		case <-done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (s *Server) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// running reports whether the process runs; s.mu must be held.
func (s *Server) running() bool {
	if s.proc == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Running reports whether the Asterisk process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running()
}

// PID returns the process id of the running Asterisk, or 0.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running() {
		return 0
	}
	return s.proc.Process.Pid
}

// CLI runs one CLI command through `asterisk -rx` on the instance's private
// control socket and returns its output.
func (s *Server) CLI(ctx context.Context, command string) (string, error) {
	cmd := exec.CommandContext(ctx, s.bin, "-C", s.confPath, "-rx", command)
	cmd.Dir = s.Dir
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("asterisktest: CLI %q: %w: %s", command, err, strings.TrimSpace(out.String()))
	}
	if strings.HasPrefix(out.String(), "Unable to connect to remote asterisk") {
		return out.String(), fmt.Errorf("asterisktest: CLI %q: %s", command, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

// Stop shuts Asterisk down with "core stop now" and waits for it to exit; if
// it has not exited when ctx ends (or after DefaultStopTimeout when ctx has
// no deadline), it is killed. Stopping a stopped instance does nothing.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	if !s.running() {
		s.mu.Unlock()
		return nil
	}
	done := s.done
	s.mu.Unlock()
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultStopTimeout)
		defer cancel()
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, cliErr := s.CLI(cctx, "core stop now")
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.Kill()
		if cliErr != nil {
			return fmt.Errorf("asterisktest: Asterisk did not stop, killed it: %v", cliErr)
		}
		return errors.New("asterisktest: Asterisk did not stop in time, killed it")
	}
}

// Restart stops the instance and starts it again on the same ports and
// directories, returning once it is fully booted: a PBX restart as clients
// see it (AMI and ARI connections drop, PJSIP contacts persist in astdb).
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(ctx); err != nil {
		return err
	}
	return s.Start(ctx)
}

// Kill ends Asterisk with SIGKILL, as in a crash, and waits for it to exit.
func (s *Server) Kill() {
	s.mu.Lock()
	if !s.running() {
		s.mu.Unlock()
		return
	}
	p, done := s.proc.Process, s.done
	s.mu.Unlock()
	_ = p.Signal(syscall.SIGKILL)
	<-done
}

// Log returns Asterisk's "messages" log followed by what the process wrote
// to stdout and stderr.
func (s *Server) Log() string {
	var b strings.Builder
	if data, err := os.ReadFile(s.LogPath); err == nil {
		b.WriteString("=== ")
		b.WriteString(s.LogPath)
		b.WriteString(" ===\n")
		b.Write(data)
	} else {
		fmt.Fprintf(&b, "=== %s: %v ===\n", s.LogPath, err)
	}
	b.WriteString("=== asterisk stdout/stderr ===\n")
	b.WriteString(s.console.String())
	return b.String()
}

// MailboxDir returns the directory of a folder ("INBOX", "Old", ...) of a
// fixture mailbox number in the voicemail context "default".
func (s *Server) MailboxDir(number, folder string) string {
	return filepath.Join(s.SpoolDir, VoicemailContext, number, folder)
}

func (s *Server) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultStopTimeout)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		s.t.Logf("asterisktest: %v", err)
	}
	if s.t.Failed() {
		s.t.Logf("asterisktest: Asterisk log of %s:\n%s", s.Dir, s.Log())
	}
	if os.Getenv(KeepDirEnv) == "1" {
		s.t.Logf("asterisktest: kept %s", s.Dir)
		return
	}
	_ = os.RemoveAll(s.Dir)
}

// tailBuffer keeps the last max bytes written to it; safe for concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
