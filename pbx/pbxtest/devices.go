package pbxtest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func (s *suite) testDevices(t *testing.T) {
	t.Run("ListHasFixtures", func(t *testing.T) {
		s.need(t, pbx.CapDevices)
		devs, err := s.c.Devices().List(s.ctx(t))
		ok(t, err, "List")
		byExt := map[pbx.ExtensionID]pbx.Device{}
		for _, d := range devs {
			byExt[d.Extension] = d
		}
		for _, id := range s.fx.Extensions {
			d, found := byExt[id]
			if !found {
				t.Fatalf("List lacks the device of %s", id)
			}
			if !d.State.Available() || len(d.Contacts) == 0 {
				t.Errorf("device of %s: state %s with %d contacts, want registered", id, d.State, len(d.Contacts))
			}
		}
	})

	t.Run("GetRegisteredHasContacts", func(t *testing.T) {
		s.need(t, pbx.CapDevices)
		d, err := s.c.Devices().Get(s.ctx(t), s.fx.Extensions[0])
		ok(t, err, "Get")
		if d.Extension != s.fx.Extensions[0] || len(d.Contacts) == 0 {
			t.Fatalf("Get = %+v: want the extension's device with contacts", d)
		}
		for _, c := range d.Contacts {
			if c.URI == "" || c.IP == "" || c.Port <= 0 || c.UserAgent == "" {
				t.Errorf("contact %+v lacks its URI, IP, port or user agent", c)
			}
		}
		if d.State == pbx.DeviceUnknown || !d.State.Available() {
			t.Errorf("registered device in state %s", d.State)
		}
	})

	t.Run("GetUnregisteredIsUnavailable", func(t *testing.T) {
		s.need(t, pbx.CapDevices)
		d, err := s.c.Devices().Get(s.ctx(t), s.fx.Unregistered)
		ok(t, err, "Get")
		if d.State != pbx.DeviceUnavailable || len(d.Contacts) != 0 {
			t.Fatalf("unregistered device: state %s, %d contacts; want unavailable and none", d.State, len(d.Contacts))
		}
	})

	t.Run("GetMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapDevices)
		_, err := s.c.Devices().Get(s.ctx(t), s.fx.Missing)
		wantCode(t, err, pbx.NotFound, "Get missing")
	})

	t.Run("RegisterAndUnregisterEmitEvents", func(t *testing.T) {
		s.need(t, pbx.CapDevices, pbx.CapEvents)
		ext := s.fx.Unregistered
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{ext}})
		world(t, s.h.World().RegisterDevice(s.ctx(t), ext), "register a device")
		t.Cleanup(func() { _ = s.h.World().UnregisterDevice(context.Background(), ext) })
		reg := waitFor(t, s, sub, "ContactRegistered", func(e *pbx.ContactRegistered) bool { return e.Extension == ext })
		if reg.Contact.URI == "" {
			t.Errorf("ContactRegistered without a contact URI: %+v", reg.Contact)
		}
		s.eventually(t, "device available after registering", func() error {
			d, err := s.c.Devices().Get(s.ctx(t), ext)
			if err != nil {
				return err
			}
			if !d.State.Available() || len(d.Contacts) == 0 {
				return fmt.Errorf("state %s, %d contacts", d.State, len(d.Contacts))
			}
			return nil
		})
		ok(t, s.h.World().UnregisterDevice(s.ctx(t), ext), "unregister")
		// The PBX may report the state before or after the registration.
		var gone, unavailable bool
		s.until(t, sub, "ContactUnregistered and DeviceStateChanged to unavailable", func(e pbx.Event) bool {
			switch e := e.(type) {
			case *pbx.ContactUnregistered:
				gone = gone || e.Extension == ext
			case *pbx.DeviceStateChanged:
				unavailable = unavailable || (e.Extension == ext && e.State == pbx.DeviceUnavailable)
			}
			return gone && unavailable
		})
	})

	t.Run("StateFollowsCalls", func(t *testing.T) {
		s.need(t, pbx.CapDevices, pbx.CapEvents, pbx.CapOriginate, pbx.CapHangup)
		ext := s.fx.Extensions[1]
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{ext}, Kinds: []pbx.EventKind{pbx.KindDeviceStateChanged}})
		id := s.originateHold(t, ext)
		waitFor(t, s, sub, "DeviceStateChanged to in use", func(e *pbx.DeviceStateChanged) bool { return e.State == pbx.DeviceInUse })
		s.hangupAndWait(t, id)
		waitFor(t, s, sub, "DeviceStateChanged to not in use", func(e *pbx.DeviceStateChanged) bool { return e.State == pbx.DeviceNotInUse })
	})

	t.Run("DND", func(t *testing.T) {
		s.need(t, pbx.CapDND)
		ctx := s.ctx(t)
		ext := s.fx.Extensions[2]
		var sub *pbx.Subscription
		if s.cap.Has(pbx.CapEvents) {
			sub = s.subscribe(t, s.c, &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindDNDChanged}})
		}
		t.Cleanup(func() { _ = s.c.Devices().SetDND(context.Background(), ext, false) })
		for _, on := range []bool{true, false} {
			ok(t, s.c.Devices().SetDND(ctx, ext, on), "SetDND")
			got, err := s.c.Devices().DND(ctx, ext)
			ok(t, err, "DND")
			if got != on {
				t.Fatalf("DND = %v after SetDND(%v)", got, on)
			}
			if sub != nil {
				waitFor(t, s, sub, "DNDChanged", func(e *pbx.DNDChanged) bool { return e.Extension == ext && e.Enabled == on })
			}
		}
	})

	t.Run("DNDMissingIsNotFound", func(t *testing.T) {
		s.need(t, pbx.CapDND)
		wantCode(t, s.c.Devices().SetDND(s.ctx(t), s.fx.Missing, true), pbx.NotFound, "SetDND missing")
	})

	t.Run("DNDInvalidIsInvalid", func(t *testing.T) {
		s.need(t, pbx.CapDND)
		wantCode(t, s.c.Devices().SetDND(s.ctx(t), "12a;", true), pbx.InvalidArgument, "SetDND invalid")
	})

	t.Run("CallWaiting", func(t *testing.T) {
		s.need(t, pbx.CapCallWaiting)
		ctx := s.ctx(t)
		ext := s.fx.Extensions[2]
		var sub *pbx.Subscription
		if s.cap.Has(pbx.CapEvents) {
			sub = s.subscribe(t, s.c, &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindCallWaitingChanged}})
		}
		was, err := s.c.Devices().CallWaiting(ctx, ext)
		ok(t, err, "CallWaiting")
		t.Cleanup(func() { _ = s.c.Devices().SetCallWaiting(context.Background(), ext, was) })
		for _, on := range []bool{!was, was} {
			ok(t, s.c.Devices().SetCallWaiting(ctx, ext, on), "SetCallWaiting")
			got, err := s.c.Devices().CallWaiting(ctx, ext)
			ok(t, err, "CallWaiting")
			if got != on {
				t.Fatalf("CallWaiting = %v after SetCallWaiting(%v)", got, on)
			}
			if sub != nil {
				waitFor(t, s, sub, "CallWaitingChanged", func(e *pbx.CallWaitingChanged) bool { return e.Extension == ext && e.Enabled == on })
			}
		}
		wantCode(t, s.c.Devices().SetCallWaiting(ctx, s.fx.Missing, true), pbx.NotFound, "SetCallWaiting missing")
		wantCode(t, s.c.Devices().SetCallWaiting(ctx, "12a;", true), pbx.InvalidArgument, "SetCallWaiting invalid")
	})

	t.Run("Forward", func(t *testing.T) {
		s.need(t, pbx.CapCallForward)
		ctx := s.ctx(t)
		ext := s.fx.Extensions[2]
		before, err := s.c.Devices().Forward(ctx, ext)
		ok(t, err, "Forward")
		t.Cleanup(func() { _ = s.c.Devices().SetForward(context.Background(), ext, before) })
		var sub *pbx.Subscription
		if s.cap.Has(pbx.CapEvents) {
			sub = s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{ext}, Kinds: []pbx.EventKind{pbx.KindForwardChanged}})
		}
		want := pbx.CallForward{Always: "5551234", Busy: string(s.fx.Extensions[0]), NoAnswer: "+15550001"}
		ok(t, s.c.Devices().SetForward(ctx, ext, want), "SetForward")
		got, err := s.c.Devices().Forward(ctx, ext)
		ok(t, err, "Forward")
		if got != want {
			t.Fatalf("Forward = %+v, want %+v", got, want)
		}
		if sub != nil {
			waitFor(t, s, sub, "ForwardChanged", func(e *pbx.ForwardChanged) bool { return e.Forward == want })
		}
		ok(t, s.c.Devices().SetForward(ctx, ext, pbx.CallForward{}), "clear forward")
		if got, err := s.c.Devices().Forward(ctx, ext); err != nil || got != (pbx.CallForward{}) {
			t.Fatalf("Forward after clearing = %+v, %v", got, err)
		}
	})

	t.Run("ForwardInvalidNumber", func(t *testing.T) {
		s.need(t, pbx.CapCallForward)
		err := s.c.Devices().SetForward(s.ctx(t), s.fx.Extensions[2], pbx.CallForward{Always: "12&PJSIP/666"})
		wantCode(t, err, pbx.InvalidArgument, "SetForward with a dial-string injection")
	})

	t.Run("FollowMe", func(t *testing.T) {
		s.need(t, pbx.CapFollowMe)
		ctx := s.ctx(t)
		ext := s.fx.Extensions[2]
		before, err := s.c.Devices().FollowMe(ctx, ext)
		ok(t, err, "FollowMe")
		t.Cleanup(func() { _ = s.c.Devices().SetFollowMe(context.Background(), ext, *before) })
		want := pbx.FollowMe{Enabled: true, Numbers: []string{string(ext), "+15550002"}, RingTime: 20 * time.Second}
		ok(t, s.c.Devices().SetFollowMe(ctx, ext, want), "SetFollowMe")
		got, err := s.c.Devices().FollowMe(ctx, ext)
		ok(t, err, "FollowMe")
		if got.Enabled != want.Enabled || !slices.Equal(got.Numbers, want.Numbers) || got.RingTime != want.RingTime {
			t.Fatalf("FollowMe = %+v, want %+v", got, want)
		}
	})

	t.Run("FollowMeInvalidNumbers", func(t *testing.T) {
		s.need(t, pbx.CapFollowMe)
		err := s.c.Devices().SetFollowMe(s.ctx(t), s.fx.Extensions[2], pbx.FollowMe{Enabled: true, Numbers: []string{"1001", "10\n01"}})
		wantCode(t, err, pbx.InvalidArgument, "SetFollowMe with a newline")
	})
}
