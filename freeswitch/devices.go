package freeswitch

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// dirUser is one row of list_users.
type dirUser struct {
	id      pbx.ExtensionID
	context string
	contact string // sofia_contact: "error/user_not_registered" when not registered
	name    string // effective_caller_id_name
}

func (u *dirUser) registered() bool {
	return u.contact != "" && !strings.HasPrefix(u.contact, "error/")
}

// listUsers reads a domain's directory users with list_users; ext, when
// set, narrows it to one user.
func (b *backend) listUsers(ctx context.Context, domain string, ext pbx.ExtensionID) ([]dirUser, error) {
	args := []string{"domain", domain}
	if ext != "" {
		args = append(args, "user", string(ext))
	}
	body, err := b.conn.API(ctx, "list_users", args...)
	if err != nil {
		return nil, err
	}
	var users []dirUser
	for _, r := range parseTable(body) {
		id := pbx.ExtensionID(r["userid"])
		if id.Validate() != nil {
			continue // not an extension number
		}
		users = append(users, dirUser{id: id, context: r["context"], contact: r["contact"], name: r["effective_caller_id_name"]})
	}
	return users, nil
}

// user returns one directory user of the backend's domain, or NotFound.
func (b *backend) user(ctx context.Context, ext pbx.ExtensionID) (*dirUser, error) {
	return b.userIn(ctx, b.domain, ext)
}

// userIn returns one directory user of a domain, or NotFound.
func (b *backend) userIn(ctx context.Context, domain string, ext pbx.ExtensionID) (*dirUser, error) {
	users, err := b.listUsers(ctx, domain, ext)
	if err != nil {
		return nil, err
	}
	for i := range users {
		if users[i].id == ext {
			return &users[i], nil
		}
	}
	return nil, pbx.Errorf(pbx.NotFound, "no user %s in the directory of %s", ext, domain)
}

// registrations reads the registered contacts of the profiles followed.
func (b *backend) registrations(ctx context.Context) ([]registration, error) {
	var out []registration
	for _, p := range b.opts.Profiles {
		body, err := b.conn.API(ctx, "sofia", "xmlstatus", "profile", p, "reg")
		if err != nil {
			return nil, err
		}
		regs, err := parseRegistrations(body, time.Now())
		if err != nil {
			return nil, err
		}
		out = append(out, regs...)
	}
	return out, nil
}

// devices builds the devices of users from the switch's registrations and
// channels.
func (b *backend) devices(ctx context.Context, users []dirUser) ([]pbx.Device, error) {
	regs, err := b.registrations(ctx)
	if err != nil {
		return nil, err
	}
	calls, err := b.showChannels(ctx)
	if err != nil {
		return nil, err
	}
	devs := make([]pbx.Device, 0, len(users))
	for _, u := range users {
		d := pbx.Device{Extension: u.id, Name: b.dialString(u.id), Contacts: []pbx.Contact{}}
		for _, r := range regs {
			if r.ext == u.id {
				d.Contacts = append(d.Contacts, r.contact)
			}
		}
		var states []pbx.CallState
		for _, c := range calls {
			if c.Extension == u.id {
				states = append(states, c.State)
			}
		}
		d.State = deviceState(len(d.Contacts) > 0, states)
		devs = append(devs, d)
	}
	return devs, nil
}

// ListDevices implements pbx.DeviceBackend: every directory user, with its
// Sofia registrations (user agent, source address, ping time) and a state
// derived from them and its channels.
func (b *backend) ListDevices(ctx context.Context) ([]pbx.Device, error) {
	users, err := b.listUsers(ctx, b.domain, "")
	if err != nil {
		return nil, err
	}
	return b.devices(ctx, users)
}

// GetDevice implements pbx.DeviceBackend.
func (b *backend) GetDevice(ctx context.Context, ext pbx.ExtensionID) (*pbx.Device, error) {
	u, err := b.user(ctx, ext)
	if err != nil {
		return nil, err
	}
	devs, err := b.devices(ctx, []dirUser{*u})
	if err != nil {
		return nil, err
	}
	return &devs[0], nil
}

// The store keys of the per-extension settings; see the package
// documentation.
func dndKey(ext pbx.ExtensionID) string                  { return "dnd_" + string(ext) }
func forwardKey(kind string, ext pbx.ExtensionID) string { return "cf_" + kind + "_" + string(ext) }
func followMeKey(part string, ext pbx.ExtensionID) string {
	if part == "" {
		return "followme_" + string(ext)
	}
	return "followme_" + part + "_" + string(ext)
}

// storeGet reads a key of the db or hash store; a missing key is "".
func (b *backend) storeGet(ctx context.Context, key string) (string, error) {
	v, err := b.conn.API(ctx, b.opts.Store.Kind, "select/"+b.opts.Store.Realm+"/"+key)
	if noReply(err) {
		return "", nil
	}
	return strings.TrimSpace(v), err
}

// maxDBValue is the longest value mod_db keeps: "db select" cuts longer
// ones.
const maxDBValue = 255

// storePut writes a key of the store, or deletes it when value is "".
func (b *backend) storePut(ctx context.Context, key, value string) error {
	if b.opts.Store.Kind == "db" && len(value) > maxDBValue {
		return pbx.Errorf(pbx.InvalidArgument, "%s: %d bytes, and mod_db keeps at most %d", key, len(value), maxDBValue)
	}
	arg := "insert/" + b.opts.Store.Realm + "/" + key + "/" + value
	if value == "" {
		arg = "delete/" + b.opts.Store.Realm + "/" + key
	}
	_, err := b.conn.API(ctx, b.opts.Store.Kind, arg)
	if value == "" && ErrorCode(err) == pbx.NotFound {
		return nil // mod_hash: "-ERR Not found" deleting a missing key
	}
	return err
}

// DND implements pbx.DeviceBackend: dnd_<ext> = true in the store.
func (b *backend) DND(ctx context.Context, ext pbx.ExtensionID) (bool, error) {
	if _, err := b.user(ctx, ext); err != nil {
		return false, err
	}
	v, err := b.storeGet(ctx, dndKey(ext))
	return v == "true", err
}

// SetDND implements pbx.DeviceBackend.
func (b *backend) SetDND(ctx context.Context, ext pbx.ExtensionID, on bool) error {
	if _, err := b.user(ctx, ext); err != nil {
		return err
	}
	value := ""
	if on {
		value = "true"
	}
	if err := b.storePut(ctx, dndKey(ext), value); err != nil {
		return err
	}
	b.publishLocked(&pbx.DNDChanged{Extension: ext, Enabled: on})
	return nil
}

// forwardKinds are the store keys of the three kinds of forwarding.
var forwardKinds = []string{"always", "busy", "noanswer"}

func forwardFields(f *pbx.CallForward) []*string { return []*string{&f.Always, &f.Busy, &f.NoAnswer} }

// Forward implements pbx.DeviceBackend: cf_always_<ext>, cf_busy_<ext> and
// cf_noanswer_<ext> hold the numbers.
func (b *backend) Forward(ctx context.Context, ext pbx.ExtensionID) (pbx.CallForward, error) {
	var f pbx.CallForward
	if _, err := b.user(ctx, ext); err != nil {
		return f, err
	}
	for i, dst := range forwardFields(&f) {
		v, err := b.storeGet(ctx, forwardKey(forwardKinds[i], ext))
		if err != nil {
			return f, err
		}
		*dst = v
	}
	return f, nil
}

// SetForward implements pbx.DeviceBackend.
func (b *backend) SetForward(ctx context.Context, ext pbx.ExtensionID, f pbx.CallForward) error {
	if _, err := b.user(ctx, ext); err != nil {
		return err
	}
	for i, v := range forwardFields(&f) {
		if err := b.storePut(ctx, forwardKey(forwardKinds[i], ext), *v); err != nil {
			return err
		}
	}
	b.publishLocked(&pbx.ForwardChanged{Extension: ext, Forward: f})
	return nil
}

// FollowMe implements pbx.DeviceBackend: followme_<ext> is true or false,
// followme_numbers_<ext> the comma-separated numbers, followme_time_<ext>
// the seconds each step rings.
func (b *backend) FollowMe(ctx context.Context, ext pbx.ExtensionID) (*pbx.FollowMe, error) {
	if _, err := b.user(ctx, ext); err != nil {
		return nil, err
	}
	var vals [3]string
	for i, part := range []string{"", "numbers", "time"} {
		v, err := b.storeGet(ctx, followMeKey(part, ext))
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	f := &pbx.FollowMe{Enabled: vals[0] == "true", Numbers: []string{}, RingTime: seconds(vals[2])}
	for n := range strings.SplitSeq(vals[1], ",") {
		if n != "" {
			f.Numbers = append(f.Numbers, n)
		}
	}
	return f, nil
}

// SetFollowMe implements pbx.DeviceBackend.
func (b *backend) SetFollowMe(ctx context.Context, ext pbx.ExtensionID, f *pbx.FollowMe) error {
	if _, err := b.user(ctx, ext); err != nil {
		return err
	}
	ringTime := ""
	if f.RingTime > 0 {
		ringTime = strconv.Itoa(int(f.RingTime / time.Second))
	}
	for _, kv := range [][2]string{
		{followMeKey("", ext), strconv.FormatBool(f.Enabled)},
		{followMeKey("numbers", ext), strings.Join(f.Numbers, ",")},
		{followMeKey("time", ext), ringTime},
	} {
		if err := b.storePut(ctx, kv[0], kv[1]); err != nil {
			return err
		}
	}
	b.publishLocked(&pbx.FollowMeChanged{Extension: ext, FollowMe: *f})
	return nil
}
