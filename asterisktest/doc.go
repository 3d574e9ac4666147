// Package asterisktest starts real, private Asterisk instances for tests and
// registers in-process SIP phones to them.
//
// # Servers
//
// Start renders the configuration templates of testdata/asterisk into a new
// directory under os.TempDir() (etc, run, spool, lib, log), picks free
// loopback ports for AMI, HTTP (ARI) and the PJSIP UDP transport plus a small
// RTP range, runs `asterisk -f -n -q -C <dir>/etc/asterisk.conf` (as the
// asterisk user with -U/-G when the test runs as root) and returns once
// `core waitfullybooted` answers on the instance's own control socket. A boot
// takes well under a second on the project's machines. The instance listens
// on 127.0.0.1 only; several can run at once. It is stopped when the test
// ends, and its log is printed if the test failed.
//
//	s := asterisktest.Start(t, nil)
//	conn, _ := net.Dial("tcp", s.AMIAddr) // log in with s.AMIUser, s.AMISecret
//	out, _ := s.CLI(ctx, "pjsip show contacts")
//	_ = s.Restart(ctx) // same ports and directories; PJSIP contacts survive in astdb
//	s.Kill()           // a crash
//
// When Asterisk is not installed, Start (and Require) skip the test with a
// message naming `sudo bash .ci/install-servers`; when the environment
// variable CI is "true" they fail it instead (internal/testenv).
//
// # Fixture
//
// Server embeds the Fixture the configuration was rendered with: extensions
// 1001-1006 (endpoint, aor and auth named after the number, secret
// "pbxkit-<number>"), mailboxes <number>@default, conference room 9000, the
// queues sales and support, and the dialplan contexts named by the Context*
// and Exten* constants. testdata/asterisk/README.md describes them all.
//
// # Phones
//
// Server.Register starts a Phone: a SIP user agent built on
// github.com/emiago/sipgo that registers one fixture extension with digest
// authentication, keeps the registration refreshed, answers qualify OPTIONS
// and MWI NOTIFYs, and answers, rejects (486) or rings forever on INVITEs
// according to its PhoneMode. It counts what happened for assertions (Calls,
// Answered, Stats, Invites, WaitFor), places calls (Dial), hangs up
// (HangupAll, OutgoingCall.Hangup), re-registers after a PBX restart
// (Reregister), unregisters (Unregister) or vanishes without unregistering
// (Close). No media is sent; SDP answers and offers name a real local RTP port.
//
// # Containers
//
// The module github.com/pbxkit/pbxkit/asterisktest/containertest starts the
// same configuration in a Docker container through testcontainers-go; it is
// a separate module so that users of this one never download Docker
// dependencies.
package asterisktest
