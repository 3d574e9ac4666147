package astcore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// ListDevices implements pbx.DeviceBackend: every PJSIP endpoint named by an
// extension number, with its state and contacts (user agent, source address,
// qualify round trip).
func (c *Core) ListDevices(ctx context.Context) ([]pbx.Device, error) {
	list, err := c.conn.DoList(ctx, action("PJSIPShowEndpoints"))
	if err != nil && !ami.IsEmptyList(err) {
		return nil, err
	}
	contacts, err := c.contactList(ctx)
	if err != nil {
		return nil, err
	}
	devs, err := c.sipPeers(ctx)
	if err != nil {
		return nil, err
	}
	if list != nil {
		for _, m := range list.Items {
			ext := pbx.ExtensionID(m.Get("ObjectName"))
			if m.Event() != "EndpointList" || ext.Validate() != nil {
				continue
			}
			devs = append(devs, pbx.Device{
				Extension: ext, Name: "PJSIP/" + string(ext),
				State:    astutil.DeviceState(m.Get("DeviceState")),
				Contacts: nonNilContacts(contacts[ext]),
			})
		}
	}
	return devs, nil
}

func nonNilContacts(cs []pbx.Contact) []pbx.Contact {
	if cs == nil {
		return []pbx.Contact{}
	}
	return cs
}

// sipPeers lists chan_sip's peers named by extension numbers, where chan_sip
// is loaded, each with its registration (user agent from SIPshowpeer).
func (c *Core) sipPeers(ctx context.Context) ([]pbx.Device, error) {
	list, err := c.conn.DoList(ctx, action("SIPpeers"))
	if ErrorCode(err) == pbx.Unsupported || ami.IsEmptyList(err) {
		return nil, nil // chan_sip is not loaded
	}
	if err != nil {
		return nil, err
	}
	var devs []pbx.Device
	for _, m := range list.Items {
		ext := pbx.ExtensionID(m.Get("ObjectName"))
		if m.Event() != "PeerEntry" || ext.Validate() != nil {
			continue
		}
		name := "SIP/" + string(ext)
		st, err := c.deviceState(ctx, name)
		if err != nil {
			return nil, err
		}
		d := pbx.Device{Extension: ext, Name: name, State: st, Contacts: []pbx.Contact{}}
		if ip := m.Get("IPaddress"); ip != "" && ip != "-none-" {
			peer, err := c.conn.Do(ctx, action("SIPshowpeer", "Peer", string(ext)))
			if err != nil {
				return nil, err
			}
			ct := contactFromURI(peer.Get("Reg-Contact"))
			ct.IP = ip
			ct.Port, _ = strconv.Atoi(m.Get("IPport"))
			ct.UserAgent = peer.Get("SIP-Useragent")
			ct.Status, ct.RTT = sipPeerStatus(m.Get("Status"))
			d.Contacts = append(d.Contacts, ct)
		}
		devs = append(devs, d)
	}
	return devs, nil
}

// sipPeerStatus reads chan_sip's "OK (12 ms)", "UNREACHABLE", "Unmonitored".
func sipPeerStatus(s string) (pbx.ContactStatus, time.Duration) {
	switch {
	case strings.HasPrefix(s, "OK"):
		var ms int
		_, _ = fmt.Sscanf(s, "OK (%d ms)", &ms)
		return pbx.ContactReachable, time.Duration(ms) * time.Millisecond
	case strings.HasPrefix(s, "UNREACHABLE"), strings.HasPrefix(s, "LAGGED"):
		return pbx.ContactUnreachable, 0
	}
	return pbx.ContactUnknown, 0
}

// contactList reads every registered contact, by AOR.
func (c *Core) contactList(ctx context.Context) (map[pbx.ExtensionID][]pbx.Contact, error) {
	out := map[pbx.ExtensionID][]pbx.Contact{}
	list, err := c.conn.DoList(ctx, action("PJSIPShowContacts"))
	if ami.IsEmptyList(err) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	for _, m := range list.Items {
		if m.Event() != "ContactList" {
			continue
		}
		aor, _, _ := strings.Cut(m.Get("ObjectName"), ";")
		ext := pbx.ExtensionID(aor)
		if ext.Validate() != nil {
			continue
		}
		ct := contactFromURI(m.Get("Uri"))
		ct.UserAgent = m.Get("UserAgent")
		ct.Status = contactStatusWord(m.Get("Status"))
		if via := m.Get("ViaAddr"); via != "" {
			ct.IP = via
			ct.Port, _ = strconv.Atoi(m.Get("ViaPort"))
		}
		if us, err := strconv.ParseInt(m.Get("RoundtripUsec"), 10, 64); err == nil && us > 0 {
			ct.RTT = time.Duration(us) * time.Microsecond
		}
		if exp, err := strconv.ParseInt(m.Get("ExpirationTime"), 10, 64); err == nil && exp > 0 {
			ct.Expires = time.Unix(exp, 0)
		}
		out[ext] = append(out[ext], ct)
	}
	c.mu.Lock()
	for _, cts := range out {
		for _, ct := range cts {
			if _, known := c.contacts[ct.URI]; !known {
				c.contacts[ct.URI] = ct
			}
		}
	}
	c.mu.Unlock()
	return out, nil
}

// GetDevice implements pbx.DeviceBackend.
func (c *Core) GetDevice(ctx context.Context, ext pbx.ExtensionID) (*pbx.Device, error) {
	devs, err := c.ListDevices(ctx)
	if err != nil {
		return nil, err
	}
	for i := range devs {
		if devs[i].Extension == ext {
			return &devs[i], nil
		}
	}
	return nil, pbx.Errorf(pbx.NotFound, "no PJSIP endpoint %s", ext)
}

// deviceStates reads every PJSIP device's state with DeviceStateList.
func (c *Core) deviceStates(ctx context.Context) (map[pbx.ExtensionID]pbx.DeviceState, error) {
	list, err := c.conn.DoList(ctx, action("DeviceStateList"))
	if err != nil {
		return nil, err
	}
	out := map[pbx.ExtensionID]pbx.DeviceState{}
	for _, m := range list.Items {
		if ext := deviceExtension(m.Get("Device")); ext != "" {
			out[ext] = astutil.DeviceState(m.Get("State"))
		}
	}
	return out, nil
}

// device finds an extension's device: its PJSIP endpoint, else its chan_sip
// peer. It fails with NotFound when there is neither.
func (c *Core) device(ctx context.Context, ext pbx.ExtensionID) (string, pbx.DeviceState, error) {
	for _, tech := range []string{"PJSIP/", "SIP/"} {
		name := tech + string(ext)
		st, err := c.deviceState(ctx, name)
		if err != nil {
			return "", st, err
		}
		if st != pbx.DeviceInvalid {
			return name, st, nil
		}
	}
	return "", pbx.DeviceInvalid, pbx.Errorf(pbx.NotFound, "no extension %s (no PJSIP endpoint or SIP peer)", ext)
}

// mustExist fails with NotFound unless the extension has a device.
func (c *Core) mustExist(ctx context.Context, ext pbx.ExtensionID) error {
	_, _, err := c.device(ctx, ext)
	return err
}

// dbGet reads an astdb key; a missing key is "", not an error.
func (c *Core) dbGet(ctx context.Context, family, key string) (string, error) {
	list, err := c.conn.DoList(ctx, action("DBGet", "Family", family, "Key", key))
	if err != nil {
		if isNotFound(err) {
			return "", nil
		}
		return "", err
	}
	for _, m := range list.Items {
		if m.Event() == "DBGetResponse" {
			return m.Get("Val"), nil
		}
	}
	return "", nil
}

// dbPut writes an astdb key, or deletes it when value is "".
func (c *Core) dbPut(ctx context.Context, family, key, value string) error {
	if value == "" {
		_, err := c.conn.Do(ctx, action("DBDel", "Family", family, "Key", key))
		var ae *ami.Error
		if errors.As(err, &ae) {
			// "Database entry could not be deleted": the key is missing.
			return nil
		}
		return err
	}
	_, err := c.conn.Do(ctx, action("DBPut", "Family", family, "Key", key, "Val", value))
	return err
}

// setCustomState sets a custom device state (for BLF keys), as FreePBX does.
// The astdb key is the setting; the state only lights phones' keys, so a
// failure is logged, not returned.
func (c *Core) setCustomState(ctx context.Context, name, state string) {
	if _, err := c.conn.Do(ctx, action("Setvar", "Variable", "DEVICE_STATE(Custom:"+name+")", "Value", state)); err != nil {
		c.log.Warn("setting a custom device state", "device", "Custom:"+name, "err", err)
	}
}

// DND implements pbx.DeviceBackend: <DND>/<ext> = YES.
func (c *Core) DND(ctx context.Context, ext pbx.ExtensionID) (bool, error) {
	if err := c.mustExist(ctx, ext); err != nil {
		return false, err
	}
	v, err := c.dbGet(ctx, c.db.DND, string(ext))
	return v == "YES", err
}

// SetDND implements pbx.DeviceBackend, with FreePBX's Custom:DND<ext> state.
func (c *Core) SetDND(ctx context.Context, ext pbx.ExtensionID, on bool) error {
	if err := c.mustExist(ctx, ext); err != nil {
		return err
	}
	value, state := "", "UNAVAILABLE"
	if on {
		value, state = "YES", "BUSY"
	}
	if err := c.dbPut(ctx, c.db.DND, string(ext), value); err != nil {
		return err
	}
	c.setCustomState(ctx, "DND"+string(ext), state)
	c.publishLocked(&pbx.DNDChanged{Extension: ext, Enabled: on})
	return nil
}

// CallWaiting implements pbx.CallWaitingBackend: <CW>/<ext> = ENABLED, as
// FreePBX's dialplan reads it (a missing key means off).
func (c *Core) CallWaiting(ctx context.Context, ext pbx.ExtensionID) (bool, error) {
	if err := c.mustExist(ctx, ext); err != nil {
		return false, err
	}
	v, err := c.dbGet(ctx, c.db.CW, string(ext))
	return v == "ENABLED", err
}

// SetCallWaiting implements pbx.CallWaitingBackend.
func (c *Core) SetCallWaiting(ctx context.Context, ext pbx.ExtensionID, on bool) error {
	if err := c.mustExist(ctx, ext); err != nil {
		return err
	}
	value := ""
	if on {
		value = "ENABLED"
	}
	if err := c.dbPut(ctx, c.db.CW, string(ext), value); err != nil {
		return err
	}
	c.publishLocked(&pbx.CallWaitingChanged{Extension: ext, Enabled: on})
	return nil
}

// Forward implements pbx.DeviceBackend: <CF|CFB|CFU>/<ext> = number.
func (c *Core) Forward(ctx context.Context, ext pbx.ExtensionID) (pbx.CallForward, error) {
	var f pbx.CallForward
	if err := c.mustExist(ctx, ext); err != nil {
		return f, err
	}
	for _, x := range []struct {
		family string
		dst    *string
	}{{c.db.CF, &f.Always}, {c.db.CFB, &f.Busy}, {c.db.CFU, &f.NoAnswer}} {
		v, err := c.dbGet(ctx, x.family, string(ext))
		if err != nil {
			return f, err
		}
		*x.dst = v
	}
	return f, nil
}

// SetForward implements pbx.DeviceBackend, with FreePBX's Custom:CF<ext>
// state for unconditional forwarding.
func (c *Core) SetForward(ctx context.Context, ext pbx.ExtensionID, f pbx.CallForward) error {
	if err := c.mustExist(ctx, ext); err != nil {
		return err
	}
	for _, x := range []struct{ family, value string }{{c.db.CF, f.Always}, {c.db.CFB, f.Busy}, {c.db.CFU, f.NoAnswer}} {
		if err := c.dbPut(ctx, x.family, string(ext), x.value); err != nil {
			return err
		}
	}
	state := "NOT_INUSE"
	if f.Always != "" {
		state = "BUSY"
	}
	c.setCustomState(ctx, "CF"+string(ext), state)
	c.publishLocked(&pbx.ForwardChanged{Extension: ext, Forward: f})
	return nil
}

// FollowMe implements pbx.DeviceBackend from FreePBX's follow-me keys:
// <User>/<ext>/followme/{grplist,grptime,ddial}.
func (c *Core) FollowMe(ctx context.Context, ext pbx.ExtensionID) (*pbx.FollowMe, error) {
	if err := c.mustExist(ctx, ext); err != nil {
		return nil, err
	}
	key := func(k string) string { return string(ext) + "/followme/" + k }
	list, err := c.dbGet(ctx, c.db.User, key("grplist"))
	if err != nil {
		return nil, err
	}
	grptime, err := c.dbGet(ctx, c.db.User, key("grptime"))
	if err != nil {
		return nil, err
	}
	ddial, err := c.dbGet(ctx, c.db.User, key("ddial"))
	if err != nil {
		return nil, err
	}
	f := &pbx.FollowMe{Enabled: ddial == "DIRECT", Numbers: []string{}}
	for _, n := range strings.Split(list, "-") {
		if n = strings.TrimSuffix(n, "#"); n != "" {
			f.Numbers = append(f.Numbers, n)
		}
	}
	if secs, err := strconv.Atoi(grptime); err == nil {
		f.RingTime = time.Duration(secs) * time.Second
	}
	return f, nil
}

// SetFollowMe implements pbx.DeviceBackend. Numbers that are not extensions
// get FreePBX's '#' suffix for outside numbers.
func (c *Core) SetFollowMe(ctx context.Context, ext pbx.ExtensionID, f *pbx.FollowMe) error {
	if err := c.mustExist(ctx, ext); err != nil {
		return err
	}
	var parts []string
	for _, n := range f.Numbers {
		id := pbx.ExtensionID(n)
		if id.Validate() == nil && c.mustExist(ctx, id) == nil {
			parts = append(parts, n)
		} else {
			parts = append(parts, n+"#")
		}
	}
	ddial := "EXTENSION"
	if f.Enabled {
		ddial = "DIRECT"
	}
	key := func(k string) string { return string(ext) + "/followme/" + k }
	for _, kv := range [][2]string{
		{key("grplist"), strings.Join(parts, "-")},
		{key("grptime"), strconv.Itoa(int(f.RingTime / time.Second))},
		{key("ddial"), ddial},
	} {
		if err := c.dbPut(ctx, c.db.User, kv[0], kv[1]); err != nil {
			return err
		}
	}
	state := "NOT_INUSE"
	if f.Enabled {
		state = "BUSY"
	}
	c.setCustomState(ctx, "FOLLOWME"+string(ext), state)
	c.publishLocked(&pbx.FollowMeChanged{Extension: ext, FollowMe: *f})
	return nil
}

// AstDBPut writes an astdb key; an empty value deletes it.
func (c *Core) AstDBPut(ctx context.Context, family, key, value string) error {
	return c.dbPut(ctx, family, key, value)
}

// AstDBSet writes an astdb key, keeping an empty value as an empty string
// (as FreePBX's GUI does) rather than deleting the key.
func (c *Core) AstDBSet(ctx context.Context, family, key, value string) error {
	_, err := c.conn.Do(ctx, action("DBPut", "Family", family, "Key", key, "Val", value))
	return err
}

// AstDBDelTree deletes a family or a subtree of it; a missing tree is not an
// error.
func (c *Core) AstDBDelTree(ctx context.Context, family, key string) error {
	a := action("DBDelTree", "Family", family)
	if key != "" {
		a.Add("Key", key)
	}
	_, err := c.conn.Do(ctx, a)
	var ae *ami.Error
	if errors.As(err, &ae) {
		return nil // "Database entry not found": nothing to delete
	}
	return err
}
