package pbx

import (
	"cmp"
	"context"
	"slices"
	"time"
)

// DeviceService reads device states and registrations and manages DND, call
// forwarding and follow-me. Get it from [Client.Devices]; it is safe for
// concurrent use.
type DeviceService struct{ c *Client }

func (s *DeviceService) backend() DeviceBackend { return s.c.b.(DeviceBackend) }

// List returns the devices of every extension, ordered by extension.
func (s *DeviceService) List(ctx context.Context) ([]Device, error) {
	r := request{op: "Devices.List", need: CapDevices, read: true}
	devs, err := run(ctx, s.c, r, nil, func(ctx context.Context) ([]Device, error) {
		return s.backend().ListDevices(ctx)
	})
	slices.SortFunc(devs, func(a, b Device) int { return compareNumbers(string(a.Extension), string(b.Extension)) })
	return nonNil(devs, err)
}

// Get returns an extension's device: its state and registered contacts. It
// fails with ErrNotFound if the extension does not exist.
func (s *DeviceService) Get(ctx context.Context, ext ExtensionID) (*Device, error) {
	r := request{op: "Devices.Get", id: string(ext), need: CapDevices, read: true}
	return run(ctx, s.c, r, ext.Validate(), func(ctx context.Context) (*Device, error) {
		return s.backend().GetDevice(ctx, ext)
	})
}

// DND reports whether do-not-disturb is on for the extension.
func (s *DeviceService) DND(ctx context.Context, ext ExtensionID) (bool, error) {
	r := request{op: "Devices.DND", id: string(ext), need: CapDND, read: true}
	return run(ctx, s.c, r, ext.Validate(), func(ctx context.Context) (bool, error) {
		return s.backend().DND(ctx, ext)
	})
}

// SetDND switches do-not-disturb on or off. A DNDChanged event follows.
func (s *DeviceService) SetDND(ctx context.Context, ext ExtensionID, on bool) error {
	r := request{op: "Devices.SetDND", id: string(ext), need: CapDND}
	return exec(ctx, s.c, r, ext.Validate(), func(ctx context.Context) error {
		return s.backend().SetDND(ctx, ext, on)
	})
}

// CallWaiting reports whether call waiting is on for the extension: whether
// a second call may ring it while it is busy.
func (s *DeviceService) CallWaiting(ctx context.Context, ext ExtensionID) (bool, error) {
	r := request{op: "Devices.CallWaiting", id: string(ext), need: CapCallWaiting, read: true}
	return run(ctx, s.c, r, ext.Validate(), func(ctx context.Context) (bool, error) {
		return s.c.b.(CallWaitingBackend).CallWaiting(ctx, ext)
	})
}

// SetCallWaiting switches call waiting on or off. A CallWaitingChanged event
// follows.
func (s *DeviceService) SetCallWaiting(ctx context.Context, ext ExtensionID, on bool) error {
	r := request{op: "Devices.SetCallWaiting", id: string(ext), need: CapCallWaiting}
	return exec(ctx, s.c, r, ext.Validate(), func(ctx context.Context) error {
		return s.c.b.(CallWaitingBackend).SetCallWaiting(ctx, ext, on)
	})
}

// Forward returns the extension's call forwarding settings.
func (s *DeviceService) Forward(ctx context.Context, ext ExtensionID) (CallForward, error) {
	r := request{op: "Devices.Forward", id: string(ext), need: CapCallForward, read: true}
	return run(ctx, s.c, r, ext.Validate(), func(ctx context.Context) (CallForward, error) {
		return s.backend().Forward(ctx, ext)
	})
}

// SetForward replaces the call forwarding settings; empty numbers switch that
// kind of forwarding off. A ForwardChanged event follows.
func (s *DeviceService) SetForward(ctx context.Context, ext ExtensionID, f CallForward) error {
	r := request{op: "Devices.SetForward", id: string(ext), need: CapCallForward}
	err := firstErr(ext.Validate(), optionalNumber(f.Always), optionalNumber(f.Busy), optionalNumber(f.NoAnswer))
	return exec(ctx, s.c, r, err, func(ctx context.Context) error {
		return s.backend().SetForward(ctx, ext, f)
	})
}

// FollowMe returns the extension's follow-me settings.
func (s *DeviceService) FollowMe(ctx context.Context, ext ExtensionID) (*FollowMe, error) {
	r := request{op: "Devices.FollowMe", id: string(ext), need: CapFollowMe, read: true}
	return run(ctx, s.c, r, ext.Validate(), func(ctx context.Context) (*FollowMe, error) {
		return s.backend().FollowMe(ctx, ext)
	})
}

// SetFollowMe replaces the follow-me settings. A FollowMeChanged event follows.
func (s *DeviceService) SetFollowMe(ctx context.Context, ext ExtensionID, f FollowMe) error {
	r := request{op: "Devices.SetFollowMe", id: string(ext), need: CapFollowMe}
	err := ext.Validate()
	if err == nil && len(f.Numbers) > 20 {
		err = invalidf("follow-me list has %d numbers, more than 20", len(f.Numbers))
	}
	if err == nil && (f.RingTime < 0 || f.RingTime > 10*time.Minute) {
		err = invalidf("follow-me ring time %v out of range 0..10m", f.RingTime)
	}
	for _, n := range f.Numbers {
		if err == nil {
			err = ValidateNumber(n)
		}
	}
	f.Numbers = slices.Clone(f.Numbers)
	return exec(ctx, s.c, r, err, func(ctx context.Context) error {
		return s.backend().SetFollowMe(ctx, ext, &f)
	})
}

func optionalNumber(n string) error {
	if n == "" {
		return nil
	}
	return ValidateNumber(n)
}

// SystemService reports on the PBX as a whole. Get it from [Client.System];
// it is safe for concurrent use.
type SystemService struct{ c *Client }

// Info returns the PBX's version, uptime and call counters.
func (s *SystemService) Info(ctx context.Context) (*SystemInfo, error) {
	r := request{op: "System.Info", need: CapSystem, read: true}
	return run(ctx, s.c, r, nil, func(ctx context.Context) (*SystemInfo, error) {
		return s.c.b.(SystemBackend).SystemInfo(ctx)
	})
}

// UserAgents counts the registered contacts by user agent, most common first:
// the hardware survey of LiteNet's /system/survey.
func (s *SystemService) UserAgents(ctx context.Context) ([]UserAgentCount, error) {
	devs, err := s.c.Devices().List(ctx)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, d := range devs {
		for _, ct := range d.Contacts {
			counts[ct.UserAgent]++
		}
	}
	out := make([]UserAgentCount, 0, len(counts))
	for ua, n := range counts {
		out = append(out, UserAgentCount{UserAgent: ua, Count: n})
	}
	slices.SortFunc(out, func(a, b UserAgentCount) int {
		return cmp.Or(b.Count-a.Count, cmp.Compare(a.UserAgent, b.UserAgent))
	})
	return out, nil
}
