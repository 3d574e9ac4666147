// Package containertest starts Asterisk in a Docker container through
// testcontainers-go, configured from the same templates as asterisktest
// (testdata/asterisk of the pbxkit module), and returns the same connection
// data. It is its own module so that users of pbxkit never download Docker
// dependencies.
//
// The image is configurable (Options.Image, default DefaultImage). The
// rendered configuration is copied into the container's /etc/asterisk before
// it starts, with every service bound to 0.0.0.0 inside the container and
// published on a random host port: AMI 5038/tcp, HTTP (ARI) 8088/tcp and
// PJSIP 5060/udp. The image's own command starts Asterisk unless Options.Cmd
// replaces it; the directories of asterisk.conf default to the standard
// source-install layout (astdatadir /var/lib/asterisk), which is that of the
// default image; set Options.DataDir and friends for other images.
//
// Tests that need a container skip when no Docker engine is reachable, also
// when CI is "true": the project's machines have no Docker engine, and the
// asterisktest package covers the same ground with a local Asterisk.
package containertest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/asterisktest"
	"github.com/testcontainers/testcontainers-go"
	tcexec "github.com/testcontainers/testcontainers-go/exec"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DefaultImage is the image StartContainer runs unless Options.Image is set.
const DefaultImage = "andrius/asterisk:16"

// Ports inside the container.
const (
	AMIPort  = "5038/tcp"
	HTTPPort = "8088/tcp"
	SIPPort  = "5060/udp"
)

// DefaultStartupTimeout bounds pulling nothing and booting Asterisk.
const DefaultStartupTimeout = 2 * time.Minute

// Options configures StartContainer. The zero value (or nil) gives the defaults.
type Options struct {
	// Image is the Docker image; "" means DefaultImage.
	Image string
	// Cmd replaces the image's command when set, for example
	// {"asterisk", "-f", "-n", "-C", "/etc/asterisk/asterisk.conf"}.
	Cmd []string
	// StartupTimeout bounds the start; 0 means DefaultStartupTimeout.
	StartupTimeout time.Duration
	// EtcDir is where the configuration is copied; "" means /etc/asterisk.
	EtcDir string
	// ModDir, DataDir, LibDir, SpoolDir, RunDir and LogDir are the container's
	// Asterisk directories; "" means /usr/lib/asterisk/modules,
	// /var/lib/asterisk, /var/lib/asterisk, /var/spool/asterisk,
	// /var/run/asterisk and /var/log/asterisk.
	ModDir, DataDir, LibDir, SpoolDir, RunDir, LogDir string
	// AMIUser, AMISecret, ARIUser and ARIPassword default to asterisktest's defaults.
	AMIUser, AMISecret, ARIUser, ARIPassword string
	// MySQL, when set, makes Asterisk write CDRs to that server too (an
	// address the container can reach).
	MySQL *asterisktest.MySQLOptions
	// ExtraConfig adds or replaces configuration files (name → content).
	ExtraConfig map[string]string
	// TemplateDir holds the templates; "" means asterisktest.TemplateDir().
	TemplateDir string
}

// Server is an Asterisk running in a container.
type Server struct {
	// Fixture is the data the configuration was rendered with.
	asterisktest.Fixture
	// Container is the running container.
	Container testcontainers.Container
	// AMIAddr is the published AMI address on the Docker host, "host:port".
	AMIAddr string
	// AMIUser and AMISecret log in to AMI.
	AMIUser, AMISecret string
	// HTTPAddr is the published HTTP address.
	HTTPAddr string
	// ARIURL is "http://<HTTPAddr>/ari".
	ARIURL string
	// ARIUser and ARIPassword authenticate to ARI.
	ARIUser, ARIPassword string
	// SIPAddr is the published PJSIP UDP address. Registering an
	// asterisktest.Phone through it is not supported: Asterisk would send
	// requests to a contact address behind Docker's NAT.
	SIPAddr string

	etcDir string
}

// withDefaults returns a copy of o (nil allowed) with every default filled in.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Image, DefaultImage)
	def(&c.EtcDir, "/etc/asterisk")
	def(&c.ModDir, "/usr/lib/asterisk/modules")
	def(&c.DataDir, "/var/lib/asterisk")
	def(&c.LibDir, "/var/lib/asterisk")
	def(&c.SpoolDir, "/var/spool/asterisk")
	def(&c.RunDir, "/var/run/asterisk")
	def(&c.LogDir, "/var/log/asterisk")
	def(&c.AMIUser, asterisktest.DefaultAMIUser)
	def(&c.AMISecret, asterisktest.DefaultAMISecret)
	def(&c.ARIUser, asterisktest.DefaultARIUser)
	def(&c.ARIPassword, asterisktest.DefaultARIPassword)
	if c.StartupTimeout <= 0 {
		c.StartupTimeout = DefaultStartupTimeout
	}
	return c
}

// Config returns the template data for a container with these options:
// container paths, services on 0.0.0.0 at the standard ports, AMI open to
// every address (the port is only published on the Docker host).
func (o *Options) Config() *asterisktest.Config {
	c := o.withDefaults()
	return &asterisktest.Config{
		Fixture:     asterisktest.DefaultFixture(),
		Dir:         "/",
		EtcDir:      c.EtcDir,
		LibDir:      c.LibDir,
		SpoolDir:    c.SpoolDir,
		RunDir:      c.RunDir,
		LogDir:      c.LogDir,
		ModDir:      c.ModDir,
		DataDir:     c.DataDir,
		BindAddr:    "0.0.0.0",
		AMIPermit:   "0.0.0.0/0.0.0.0",
		AMIPort:     5038,
		HTTPPort:    8088,
		SIPPort:     5060,
		RTPStart:    10000,
		RTPEnd:      10099,
		AMIUser:     c.AMIUser,
		AMISecret:   c.AMISecret,
		ARIUser:     c.ARIUser,
		ARIPassword: c.ARIPassword,
		MySQL:       c.MySQL,
	}
}

// RenderConfig renders the configuration for a container with these options
// into dir and returns the container files to copy into EtcDir.
func (o *Options) RenderConfig(dir string) ([]testcontainers.ContainerFile, error) {
	c := o.withDefaults()
	tmpl := c.TemplateDir
	if tmpl == "" {
		d, err := asterisktest.TemplateDir()
		if err != nil {
			return nil, err
		}
		tmpl = d
	}
	if err := asterisktest.RenderConfig(tmpl, dir, o.Config(), c.ExtraConfig); err != nil {
		return nil, err
	}
	var files []testcontainers.ContainerFile
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		files = append(files, testcontainers.ContainerFile{
			HostFilePath:      p,
			ContainerFilePath: filepath.ToSlash(filepath.Join(c.EtcDir, rel)),
			FileMode:          0o644,
		})
		return nil
	})
	return files, err
}

// DockerAvailable reports whether a Docker engine answers, through
// testcontainers' provider health check (DOCKER_HOST, the Docker context,
// ~/.testcontainers.properties or the default socket).
func DockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	p, err := testcontainers.ProviderDocker.GetProvider()
	if err != nil {
		return err
	}
	defer p.Close()
	return p.Health(ctx)
}

// RequireDocker skips the test when no Docker engine is reachable, whatever
// CI says: the project's machines have none.
func RequireDocker(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := DockerAvailable(ctx); err != nil {
		t.Skipf("containertest: no Docker engine is reachable, skipping (also under CI=true): %v", err)
	}
}

// StartContainer starts Asterisk in a container configured from the
// templates, waits until it is fully booted and returns how to reach it. The
// container is terminated when the test ends, after its logs are printed if
// the test failed. It skips the test when no Docker engine is reachable.
func StartContainer(t testing.TB, opts *Options) *Server {
	t.Helper()
	RequireDocker(t)
	c := opts.withDefaults()
	files, err := opts.RenderConfig(t.TempDir())
	if err != nil {
		t.Fatalf("containertest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.StartupTimeout)
	defer cancel()
	req := testcontainers.ContainerRequest{
		Image:        c.Image,
		Cmd:          c.Cmd,
		ExposedPorts: []string{AMIPort, HTTPPort, SIPPort},
		Files:        files,
		WaitingFor: wait.ForAll(
			wait.ForListeningPort(AMIPort),
			wait.ForExec([]string{"asterisk", "-C", c.EtcDir + "/asterisk.conf", "-rx", "core waitfullybooted"}).
				WithExitCode(0),
		).WithDeadline(c.StartupTimeout),
	}
	ctr, err := testcontainers.GenericContainer(ctx, testcontainers.GenericContainerRequest{
		ContainerRequest: req,
		Started:          true,
	})
	if ctr != nil {
		t.Cleanup(func() {
			if t.Failed() {
				if logs, err := containerLogs(ctr); err == nil {
					t.Logf("containertest: container log:\n%s", logs)
				}
			}
			testcontainers.CleanupContainer(t, ctr)
		})
	}
	if err != nil {
		t.Fatalf("containertest: start %s: %v", c.Image, err)
	}
	s := &Server{
		Fixture:     asterisktest.DefaultFixture(),
		Container:   ctr,
		AMIUser:     c.AMIUser,
		AMISecret:   c.AMISecret,
		ARIUser:     c.ARIUser,
		ARIPassword: c.ARIPassword,
		etcDir:      c.EtcDir,
	}
	for _, p := range []struct {
		port string
		dst  *string
	}{{AMIPort, &s.AMIAddr}, {HTTPPort, &s.HTTPAddr}, {SIPPort, &s.SIPAddr}} {
		addr, err := ctr.PortEndpoint(ctx, p.port, "")
		if err != nil {
			t.Fatalf("containertest: port %s: %v", p.port, err)
		}
		*p.dst = addr
	}
	s.ARIURL = "http://" + s.HTTPAddr + "/ari"
	return s
}

// CLI runs a CLI command in the container with `asterisk -rx`.
func (s *Server) CLI(ctx context.Context, command string) (string, error) {
	code, r, err := s.Container.Exec(ctx, []string{"asterisk", "-C", s.etcDir + "/asterisk.conf", "-rx", command},
		tcexec.Multiplexed())
	if err != nil {
		return "", err
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return string(out), err
	}
	if code != 0 {
		return string(out), fmt.Errorf("containertest: CLI %q exited %d: %s", command, code, out)
	}
	return string(out), nil
}

func containerLogs(ctr testcontainers.Container) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}
