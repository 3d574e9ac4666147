package asterisk_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/asterisk"
	"github.com/pbxkit/pbxkit/asterisktest"
	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/pbx"
)

// TestChanSIPPeers loads chan_sip next to PJSIP and checks that its peers
// are devices like any other: listed with their registration, and reachable
// for DND and originate.
func TestChanSIPPeers(t *testing.T) {
	tmpl, err := asterisktest.TemplateDir()
	if err != nil {
		t.Fatal(err)
	}
	modules, err := os.ReadFile(filepath.Join(tmpl, "modules.conf"))
	if err != nil {
		t.Fatal(err)
	}
	port := freeUDPPort(t)
	srv := asterisktest.Start(t, &asterisktest.Options{ExtraConfig: map[string]string{
		"modules.conf": strings.Replace(string(modules), "noload => chan_sip.so", "", 1),
		"sip.conf": "[general]\nudpbindaddr=127.0.0.1:" + port + "\ntcpenable=no\ncontext=from-internal\n" +
			"qualify=yes\nqualifyfreq=2\n\n[1101]\ntype=friend\nhost=dynamic\nsecret=pbxkit-1101\ncontext=from-internal\n" +
			"disallow=all\nallow=ulaw\n\n[1102]\ntype=friend\nhost=dynamic\nsecret=pbxkit-1102\ncontext=from-internal\n",
	}})
	ctx := context.Background()
	phone, err := asterisktest.NewPhone("127.0.0.1:"+port, "1101", "pbxkit-1101", &asterisktest.PhoneOptions{UserAgent: "chan_sip phone/2.0"})
	if err != nil {
		t.Fatal(err)
	}
	defer phone.Close()
	if err := phone.Reregister(ctx); err != nil {
		t.Fatal(err)
	}
	opts := asttest.Options(srv)
	c, err := asterisk.Open(ctx, srv.AMIAddr, &opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	var dev *pbx.Device
	waitUntil(t, 15*time.Second, "the chan_sip peer registered and qualified", func() bool {
		dev, err = c.Devices().Get(ctx, "1101")
		return err == nil && len(dev.Contacts) == 1 && dev.Contacts[0].Status == pbx.ContactReachable
	})
	ct := dev.Contacts[0]
	if dev.Name != "SIP/1101" || ct.UserAgent != "chan_sip phone/2.0" || ct.IP != "127.0.0.1" || ct.Port == 0 || !dev.State.Available() {
		t.Fatalf("device %+v, contact %+v", dev, ct)
	}
	if d, err := c.Devices().Get(ctx, "1102"); err != nil || len(d.Contacts) != 0 || d.State != pbx.DeviceUnavailable {
		t.Fatalf("unregistered peer: %+v, %v", d, err)
	}
	if err := c.Devices().SetDND(ctx, "1101", true); err != nil {
		t.Fatalf("DND on a chan_sip extension: %v", err)
	}
	id, err := c.Calls().CallMe(ctx, "1101", pbx.CallMeRequest{Mode: pbx.ModeEchoTest})
	if err != nil {
		t.Fatal(err)
	}
	if err := phone.WaitFor(ctx, func(s asterisktest.PhoneStats) bool { return s.Answered >= 1 }); err != nil {
		t.Fatal(err)
	}
	call, err := c.Calls().Get(ctx, id)
	if err != nil || !strings.HasPrefix(call.Channel, "SIP/1101-") || call.Extension != "1101" {
		t.Fatalf("call %+v, %v", call, err)
	}
	if _, err := c.Calls().CallMe(ctx, "1102", pbx.CallMeRequest{Mode: pbx.ModeEchoTest}); pbx.Code(err) != pbx.FailedPrecondition {
		t.Fatalf("call-me to an unregistered peer: %v", err)
	}
}

func freeUDPPort(t *testing.T) string {
	t.Helper()
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	return port
}
