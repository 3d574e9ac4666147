package pbxtest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/pbxkit/pbxkit/pbx"
)

func (s *suite) testClient(t *testing.T) {
	t.Run("CapabilitiesDeclared", func(t *testing.T) {
		if s.cap.Len() == 0 {
			t.Fatal("backend declares no capability")
		}
		for c := range s.cap.All() {
			back, err := pbx.ParseCapability(c.String())
			if err != nil || back != c {
				t.Errorf("capability %v does not round-trip through its name: %v", c, err)
			}
		}
		if s.c.Backend() == "" {
			t.Error("backend has no name")
		}
	})

	t.Run("UndeclaredCapabilitiesAreUnsupported", func(t *testing.T) {
		ctx := s.ctx(t)
		ext := s.fx.Extensions[0]
		probes := map[pbx.Capability]func() error{
			pbx.CapExtensionsRead:  func() error { _, err := s.c.Extensions().List(ctx); return err },
			pbx.CapExtensionsWrite: func() error { return s.c.Extensions().Delete(ctx, s.fx.Free) },
			pbx.CapSecretReset:     func() error { _, err := s.c.Extensions().ResetSecret(ctx, ext); return err },
			pbx.CapSecretReveal:    func() error { _, err := s.c.Extensions().RevealSecret(ctx, ext); return err },
			pbx.CapDevices:         func() error { _, err := s.c.Devices().List(ctx); return err },
			pbx.CapDND:             func() error { _, err := s.c.Devices().DND(ctx, ext); return err },
			pbx.CapCallForward:     func() error { _, err := s.c.Devices().Forward(ctx, ext); return err },
			pbx.CapFollowMe:        func() error { _, err := s.c.Devices().FollowMe(ctx, ext); return err },
			pbx.CapCallWaiting:     func() error { _, err := s.c.Devices().CallWaiting(ctx, ext); return err },
			pbx.CapCallsRead:       func() error { _, err := s.c.Calls().List(ctx, nil); return err },
			pbx.CapOriginate: func() error {
				_, err := s.c.Calls().CallMe(ctx, ext, pbx.CallMeRequest{Mode: pbx.ModeEchoTest})
				return err
			},
			pbx.CapHangup:            func() error { return s.c.Calls().Hangup(ctx, "unsupported-probe") },
			pbx.CapTransfer:          func() error { return s.c.Calls().Transfer(ctx, "unsupported-probe", "1", "") },
			pbx.CapVoicemail:         func() error { _, err := s.c.Voicemail().Mailboxes(ctx); return err },
			pbx.CapVoicemailWrite:    func() error { return s.c.Voicemail().Delete(ctx, s.fx.Mailbox, "none") },
			pbx.CapConferences:       func() error { _, err := s.c.Conferences().List(ctx); return err },
			pbx.CapConferenceControl: func() error { return s.c.Conferences().Lock(ctx, s.fx.Conference, false) },
			pbx.CapQueues:            func() error { _, err := s.c.Queues().List(ctx); return err },
			pbx.CapQueueMembers:      func() error { return s.c.Queues().RemoveMember(ctx, s.fx.Queue, s.fx.MemberInterface) },
			pbx.CapCDR:               func() error { _, err := s.c.CDR().Query(ctx, pbx.CDRQuery{}); return err },
			pbx.CapSystem:            func() error { _, err := s.c.System().Info(ctx); return err },
			pbx.CapEvents:            func() error { _, err := s.c.Subscribe(ctx, nil, nil); return err },
			pbx.CapQueuesWrite:       func() error { _, err := s.c.Queues().Configs(ctx); return err },
			pbx.CapConferenceRooms:   func() error { _, err := s.c.Conferences().Rooms(ctx); return err },
			pbx.CapRecordings: func() error {
				_, err := s.c.CDR().Recording(ctx, pbx.CDR{Recording: "none.wav"})
				return err
			},
		}
		absent := 0
		for _, c := range pbx.AllCapabilities() {
			if s.cap.Has(c) {
				continue
			}
			absent++
			probe := probes[c]
			if probe == nil {
				t.Fatalf("no probe for capability %s", c)
			}
			wantCode(t, probe(), pbx.Unsupported, "undeclared "+c.String())
		}
		if absent == 0 {
			t.Skip("backend declares every capability")
		}
	})

	t.Run("ClosedClientFails", func(t *testing.T) {
		c := s.client(t)
		sub, err := c.Subscribe(context.Background(), nil, nil)
		if s.cap.Has(pbx.CapEvents) {
			ok(t, err, "Subscribe")
		}
		ok(t, c.Close(), "Close")
		ok(t, c.Close(), "second Close")
		_, err = c.Calls().List(context.Background(), nil)
		wantCode(t, err, pbx.FailedPrecondition, "List after Close")
		if sub != nil {
			if _, err := sub.Next(context.Background()); err == nil {
				t.Fatal("Next on a closed client's subscription returned no error")
			}
		}
	})

	t.Run("AsRefusesUnknownTarget", func(t *testing.T) {
		var target *strings.Builder
		if s.c.As(&target) {
			t.Fatal("As accepted a *strings.Builder target")
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.c.Extensions().List(ctx)
		if s.cap.Has(pbx.CapExtensionsRead) {
			wantCode(t, err, pbx.Canceled, "List with a canceled context")
		}
		_, err = s.c.Calls().CallMe(ctx, s.fx.Extensions[0], pbx.CallMeRequest{Mode: pbx.ModeMusicOnHold})
		if s.cap.Has(pbx.CapOriginate) {
			wantCode(t, err, pbx.Canceled, "CallMe with a canceled context")
		}
	})

	t.Run("ConcurrentReads", func(t *testing.T) {
		s.need(t, pbx.CapCallsRead, pbx.CapDevices)
		ctx := s.ctx(t)
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if i%2 == 0 {
					_, err = s.c.Calls().List(ctx, nil)
				} else {
					_, err = s.c.Devices().Get(ctx, s.fx.Extensions[i%3])
				}
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			ok(t, err, "concurrent read")
		}
	})
}

func (s *suite) testExtensions(t *testing.T) {
	t.Run("ListHasFixtures", func(t *testing.T) {
		s.need(t, pbx.CapExtensionsRead)
		exts, err := s.c.Extensions().List(s.ctx(t))
		ok(t, err, "List")
		have := map[pbx.ExtensionID]bool{}
		for _, e := range exts {
			have[e.ID] = true
			if e.Secret != "" {
				t.Errorf("List returned the secret of %s", e.ID)
			}
		}
		for _, id := range append(s.fx.Extensions[:], s.fx.Unregistered) {
			if !have[id] {
				t.Errorf("List lacks fixture extension %s", id)
			}
		}
		if have[s.fx.Missing] {
			t.Errorf("List has %s, which the fixtures say is missing", s.fx.Missing)
		}
	})

	t.Run("GetKnown", func(t *testing.T) {
		s.need(t, pbx.CapExtensionsRead)
		e, err := s.c.Extensions().Get(s.ctx(t), s.fx.Extensions[0])
		ok(t, err, "Get")
		if e.ID != s.fx.Extensions[0] || e.Tech == pbx.TechUnknown || e.Secret != "" {
			t.Fatalf("Get = %+v: want ID %s, a known technology and no secret", e, s.fx.Extensions[0])
		}
	})

	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapExtensionsRead)
		_, err := s.c.Extensions().Get(s.ctx(t), s.fx.Missing)
		wantCode(t, err, pbx.NotFound, "Get missing")
	})

	for _, bad := range []pbx.ExtensionID{"12a;", "", "10\r\n10", "1010\x00", "123456789012345678901"} {
		t.Run("GetInvalid/"+strings.NewReplacer("\r", `\r`, "\n", `\n`, "\x00", `\0`).Replace(string(bad)), func(t *testing.T) {
			s.need(t, pbx.CapExtensionsRead)
			_, err := s.c.Extensions().Get(s.ctx(t), bad)
			wantCode(t, err, pbx.InvalidArgument, "Get invalid")
		})
	}

	t.Run("CreateGetUpdateDelete", func(t *testing.T) {
		s.need(t, pbx.CapExtensionsWrite, pbx.CapExtensionsRead)
		ctx := s.ctx(t)
		var sub *pbx.Subscription
		if s.cap.Has(pbx.CapEvents) {
			sub = s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{s.fx.Free}})
		}
		created, secret, err := s.c.Extensions().Create(ctx, pbx.Extension{ID: s.fx.Free, Name: "Conformance Test", Tech: pbx.TechPJSIP})
		ok(t, err, "Create")
		t.Cleanup(func() { _ = s.c.Extensions().Delete(context.Background(), s.fx.Free) })
		if created.ID != s.fx.Free || created.Name != "Conformance Test" || secret == "" || created.Secret != "" {
			t.Fatalf("Create = %+v, secret set %v: want the extension without its secret, and a secret", created, secret != "")
		}
		if sub != nil {
			waitFor(t, s, sub, "ExtensionCreated", func(e *pbx.ExtensionCreated) bool { return e.Extension.ID == s.fx.Free })
		}
		got, err := s.c.Extensions().Get(ctx, s.fx.Free)
		ok(t, err, "Get created")
		if got.Name != "Conformance Test" || got.Secret != "" {
			t.Fatalf("Get after Create = %+v", got)
		}
		got.Name = "Renamed"
		updated, err := s.c.Extensions().Update(ctx, *got)
		ok(t, err, "Update")
		if updated.Name != "Renamed" {
			t.Fatalf("Update returned name %q", updated.Name)
		}
		if again, err := s.c.Extensions().Get(ctx, s.fx.Free); err != nil || again.Name != "Renamed" {
			t.Fatalf("Get after Update = %+v, %v", again, err)
		}
		ok(t, s.c.Extensions().Delete(ctx, s.fx.Free), "Delete")
		if sub != nil {
			waitFor(t, s, sub, "ExtensionDeleted", func(e *pbx.ExtensionDeleted) bool { return e.ID == s.fx.Free })
		}
		_, err = s.c.Extensions().Get(ctx, s.fx.Free)
		wantCode(t, err, pbx.NotFound, "Get after Delete")
	})

	t.Run("CreateDuplicateIsAlreadyExists", func(t *testing.T) {
		s.need(t, pbx.CapExtensionsWrite)
		_, _, err := s.c.Extensions().Create(s.ctx(t), pbx.Extension{ID: s.fx.Extensions[0], Name: "Dup", Tech: pbx.TechPJSIP})
		wantCode(t, err, pbx.AlreadyExists, "Create existing")
	})

	for _, tc := range []struct {
		name string
		e    pbx.Extension
	}{
		{"CRLFInName", pbx.Extension{ID: s.fx.Free, Name: "Evil\r\nAction: Command"}},
		{"BadNumber", pbx.Extension{ID: "12a;", Name: "Bad"}},
		{"BadContext", pbx.Extension{ID: s.fx.Free, Name: "Bad", Context: "from internal"}},
		{"QuoteSecret", pbx.Extension{ID: s.fx.Free, Name: "Bad", Secret: `a"b`}},
	} {
		t.Run("CreateInvalid/"+tc.name, func(t *testing.T) {
			s.need(t, pbx.CapExtensionsWrite)
			_, _, err := s.c.Extensions().Create(s.ctx(t), tc.e)
			wantCode(t, err, pbx.InvalidArgument, "Create invalid")
		})
	}

	t.Run("UpdateMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapExtensionsWrite)
		_, err := s.c.Extensions().Update(s.ctx(t), pbx.Extension{ID: s.fx.Missing, Name: "Nobody", Tech: pbx.TechPJSIP})
		wantCode(t, err, pbx.NotFound, "Update missing")
	})

	t.Run("DeleteMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapExtensionsWrite)
		wantCode(t, s.c.Extensions().Delete(s.ctx(t), s.fx.Missing), pbx.NotFound, "Delete missing")
	})

	t.Run("ResetSecret", func(t *testing.T) {
		s.need(t, pbx.CapSecretReset, pbx.CapExtensionsWrite)
		ctx := s.ctx(t)
		_, _, err := s.c.Extensions().Create(ctx, pbx.Extension{ID: s.fx.Free, Name: "Secret Test", Tech: pbx.TechPJSIP})
		ok(t, err, "Create")
		t.Cleanup(func() { _ = s.c.Extensions().Delete(context.Background(), s.fx.Free) })
		a, err := s.c.Extensions().ResetSecret(ctx, s.fx.Free)
		ok(t, err, "ResetSecret")
		b, err := s.c.Extensions().ResetSecret(ctx, s.fx.Free)
		ok(t, err, "second ResetSecret")
		if a == "" || a == b {
			t.Fatalf("ResetSecret gave %q then %q: want two different non-empty secrets", a, b)
		}
		if s.cap.Has(pbx.CapSecretReveal) {
			got, err := s.c.Extensions().RevealSecret(ctx, s.fx.Free)
			ok(t, err, "RevealSecret")
			if got != b {
				t.Fatal("RevealSecret does not return the last secret set")
			}
		}
		if e, err := s.c.Extensions().Get(ctx, s.fx.Free); err != nil || e.Secret != "" {
			t.Fatalf("Get after ResetSecret = %v, secret shown %v", err, e != nil && e.Secret != "")
		}
		_, err = s.c.Extensions().ResetSecret(ctx, s.fx.Missing)
		wantCode(t, err, pbx.NotFound, "ResetSecret missing")
	})

	t.Run("RevealSecretReturnsCreateSecret", func(t *testing.T) {
		s.need(t, pbx.CapSecretReveal, pbx.CapExtensionsWrite)
		ctx := s.ctx(t)
		_, secret, err := s.c.Extensions().Create(ctx, pbx.Extension{ID: s.fx.Free, Name: "Reveal", Tech: pbx.TechPJSIP, Secret: "Conformance1234"})
		ok(t, err, "Create")
		t.Cleanup(func() { _ = s.c.Extensions().Delete(context.Background(), s.fx.Free) })
		got, err := s.c.Extensions().RevealSecret(ctx, s.fx.Free)
		ok(t, err, "RevealSecret")
		if secret != "Conformance1234" || got != secret {
			t.Fatal("RevealSecret does not return the secret given to Create")
		}
	})
}
