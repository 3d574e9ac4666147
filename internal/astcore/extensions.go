package astcore

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// ExtensionStore provisions extensions. Plain Asterisk keeps them in a PJSIP
// configuration file ([PJSIPStore]); FreePBX and Issabel in their databases.
// Implementations return coded errors (NotFound, AlreadyExists, ...).
type ExtensionStore interface {
	List(ctx context.Context) ([]pbx.Extension, error)
	Get(ctx context.Context, id pbx.ExtensionID) (*pbx.Extension, error)
	Create(ctx context.Context, e *pbx.Extension) error
	Update(ctx context.Context, e *pbx.Extension) error
	Delete(ctx context.Context, id pbx.ExtensionID) error
	SetSecret(ctx context.Context, id pbx.ExtensionID, secret string) error
	Secret(ctx context.Context, id pbx.ExtensionID) (string, error)
}

// ListExtensions implements pbx.ExtensionBackend.
func (c *Core) ListExtensions(ctx context.Context) ([]pbx.Extension, error) {
	return c.ext.List(ctx)
}

// GetExtension implements pbx.ExtensionBackend.
func (c *Core) GetExtension(ctx context.Context, id pbx.ExtensionID) (*pbx.Extension, error) {
	return c.ext.Get(ctx, id)
}

// CreateExtension implements pbx.ExtensionBackend and reports
// ExtensionCreated.
func (c *Core) CreateExtension(ctx context.Context, e *pbx.Extension) error {
	if err := c.ext.Create(ctx, e); err != nil {
		return err
	}
	return c.reportExtension(ctx, e.ID, func(x pbx.Extension) pbx.Event { return &pbx.ExtensionCreated{Extension: x} })
}

// UpdateExtension implements pbx.ExtensionBackend and reports
// ExtensionUpdated.
func (c *Core) UpdateExtension(ctx context.Context, e *pbx.Extension) error {
	if err := c.ext.Update(ctx, e); err != nil {
		return err
	}
	return c.reportExtension(ctx, e.ID, func(x pbx.Extension) pbx.Event { return &pbx.ExtensionUpdated{Extension: x} })
}

// DeleteExtension implements pbx.ExtensionBackend and reports
// ExtensionDeleted.
func (c *Core) DeleteExtension(ctx context.Context, id pbx.ExtensionID) error {
	if err := c.ext.Delete(ctx, id); err != nil {
		return err
	}
	c.publishLocked(&pbx.ExtensionDeleted{ID: id})
	return nil
}

// SetSecret implements pbx.ExtensionBackend and reports ExtensionUpdated.
func (c *Core) SetSecret(ctx context.Context, id pbx.ExtensionID, secret string) error {
	if err := c.ext.SetSecret(ctx, id, secret); err != nil {
		return err
	}
	return c.reportExtension(ctx, id, func(x pbx.Extension) pbx.Event { return &pbx.ExtensionUpdated{Extension: x} })
}

// RevealSecret implements pbx.ExtensionBackend.
func (c *Core) RevealSecret(ctx context.Context, id pbx.ExtensionID) (string, error) {
	return c.ext.Secret(ctx, id)
}

func (c *Core) reportExtension(ctx context.Context, id pbx.ExtensionID, event func(pbx.Extension) pbx.Event) error {
	e, err := c.ext.Get(ctx, id)
	if err != nil {
		return err
	}
	e.Secret = ""
	c.publishLocked(event(*e))
	return nil
}

// PJSIPOptions tunes a PJSIPStore.
type PJSIPOptions struct {
	// File is the configuration file holding the extensions' sections,
	// read and written through AMI's GetConfig and UpdateConfig; empty
	// means "pjsip.conf".
	File string
	// Context is the dialplan context of new extensions; empty means
	// "from-internal".
	Context string
	// VoicemailContext is the context of their mailboxes; empty means
	// "default".
	VoicemailContext string
	// Endpoint, Auth and AOR are extra settings for new sections (a
	// transport, codecs, qualify_frequency, ...). Nil means pbxkit's
	// defaults: codecs ulaw, alaw and gsm, no direct media, symmetric RTP;
	// one contact per AOR, replaced on re-registration, qualified every 60s.
	Endpoint, AOR [][2]string
}

// PJSIPStore provisions PJSIP extensions in a configuration file through AMI:
// an endpoint [<ext>], an auth [<ext>-auth] and an AOR [<ext>] per
// extension, then a reload of res_pjsip. Outbound caller ID, ring time and
// no-answer destination, which PJSIP has no place for, go to astdb under
// FreePBX's AMPUSER keys.
type PJSIPStore struct {
	c    *Core
	opts PJSIPOptions

	mu sync.Mutex // serialises read-modify-write of the file
}

// NewPJSIPStore returns a factory for Config.Extensions.
func NewPJSIPStore(opts PJSIPOptions) func(*Core) ExtensionStore {
	if opts.File == "" {
		opts.File = "pjsip.conf"
	}
	if opts.Context == "" {
		opts.Context = "from-internal"
	}
	if opts.VoicemailContext == "" {
		opts.VoicemailContext = "default"
	}
	if opts.Endpoint == nil {
		opts.Endpoint = [][2]string{{"disallow", "all"}, {"allow", "ulaw,alaw,gsm"}, {"direct_media", "no"},
			{"rtp_symmetric", "yes"}, {"force_rport", "yes"}, {"rewrite_contact", "yes"}}
	}
	if opts.AOR == nil {
		opts.AOR = [][2]string{{"max_contacts", "1"}, {"remove_existing", "yes"}, {"qualify_frequency", "60"}}
	}
	return func(c *Core) ExtensionStore { return &PJSIPStore{c: c, opts: opts} }
}

// section is one category of a configuration file.
type section struct {
	name string
	vars [][2]string
}

func (s *section) get(key string) string {
	for _, kv := range s.vars {
		if kv[0] == key {
			return kv[1]
		}
	}
	return ""
}

// readConfig reads the file's categories with GetConfig.
func (p *PJSIPStore) readConfig(ctx context.Context) ([]section, error) {
	resp, err := p.c.conn.Do(ctx, action("GetConfig", "Filename", p.opts.File))
	if err != nil {
		return nil, err
	}
	var secs []section
	byIndex := map[string]int{}
	for k, v := range resp.All() {
		switch {
		case strings.HasPrefix(k, "Category-"):
			byIndex[strings.TrimPrefix(k, "Category-")] = len(secs)
			secs = append(secs, section{name: v})
		case strings.HasPrefix(k, "Line-"):
			idx, _, _ := strings.Cut(strings.TrimPrefix(k, "Line-"), "-")
			i, ok := byIndex[idx]
			if !ok {
				continue
			}
			name, value, _ := strings.Cut(v, "=")
			secs[i].vars = append(secs[i].vars, [2]string{strings.TrimSpace(name), strings.TrimSpace(value)})
		}
	}
	return secs, nil
}

// extension gathers one extension's sections.
type extSections struct {
	endpoint, auth, aor *section
}

func (p *PJSIPStore) index(secs []section) map[pbx.ExtensionID]*extSections {
	out := map[pbx.ExtensionID]*extSections{}
	byName := map[string]*section{}
	for i := range secs {
		byName[secs[i].name+"/"+secs[i].get("type")] = &secs[i]
	}
	for i := range secs {
		s := &secs[i]
		id := pbx.ExtensionID(s.name)
		if s.get("type") != "endpoint" || id.Validate() != nil {
			continue
		}
		x := &extSections{endpoint: s}
		if auth := strings.Split(s.get("auth"), ",")[0]; auth != "" {
			x.auth = byName[auth+"/auth"]
		}
		if aor := strings.Split(s.get("aors"), ",")[0]; aor != "" {
			x.aor = byName[aor+"/aor"]
		}
		out[id] = x
	}
	return out
}

func (p *PJSIPStore) extension(ctx context.Context, id pbx.ExtensionID, x *extSections) pbx.Extension {
	e := pbx.Extension{
		ID: id, Tech: pbx.TechPJSIP, Context: x.endpoint.get("context"), Dial: "PJSIP/" + string(id),
		Name: astutil.ParseCallerID(x.endpoint.get("callerid")).Name,
	}
	if mb := strings.Split(x.endpoint.get("mailboxes"), ",")[0]; mb != "" {
		e.Mailbox = p.c.mailboxID(mb)
	}
	key := func(k string) string { return string(id) + "/" + k }
	e.OutboundCallerID, _ = p.c.dbGet(ctx, p.c.db.User, key("outboundcid"))
	e.NoAnswerDestination, _ = p.c.dbGet(ctx, p.c.db.User, key("noanswer"))
	if rt, _ := p.c.dbGet(ctx, p.c.db.User, key("ringtimer")); rt != "" {
		if n, err := strconv.Atoi(rt); err == nil {
			e.RingTime = time.Duration(n) * time.Second
		}
	}
	return e
}

// List implements ExtensionStore.
func (p *PJSIPStore) List(ctx context.Context) ([]pbx.Extension, error) {
	secs, err := p.readConfig(ctx)
	if err != nil {
		return nil, err
	}
	idx := p.index(secs)
	out := make([]pbx.Extension, 0, len(idx))
	for _, id := range sortedIDs(idx) {
		out = append(out, p.extension(ctx, id, idx[id]))
	}
	return out, nil
}

// Get implements ExtensionStore.
func (p *PJSIPStore) Get(ctx context.Context, id pbx.ExtensionID) (*pbx.Extension, error) {
	secs, err := p.readConfig(ctx)
	if err != nil {
		return nil, err
	}
	x := p.index(secs)[id]
	if x == nil {
		return nil, pbx.Errorf(pbx.NotFound, "no PJSIP endpoint %s in %s", id, p.opts.File)
	}
	e := p.extension(ctx, id, x)
	return &e, nil
}

// Secret implements ExtensionStore.
func (p *PJSIPStore) Secret(ctx context.Context, id pbx.ExtensionID) (string, error) {
	secs, err := p.readConfig(ctx)
	if err != nil {
		return "", err
	}
	x := p.index(secs)[id]
	if x == nil {
		return "", pbx.Errorf(pbx.NotFound, "no PJSIP endpoint %s in %s", id, p.opts.File)
	}
	if x.auth == nil {
		return "", nil
	}
	return x.auth.get("password"), nil
}

// Create implements ExtensionStore.
func (p *PJSIPStore) Create(ctx context.Context, e *pbx.Extension) error {
	if e.Tech != pbx.TechPJSIP && e.Tech != pbx.TechUnknown {
		return pbx.Errorf(pbx.Unsupported, "this backend provisions PJSIP extensions only, not %s", e.Tech)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	secs, err := p.readConfig(ctx)
	if err != nil {
		return err
	}
	for _, s := range secs {
		if s.name == string(e.ID) || s.name == string(e.ID)+"-auth" {
			return pbx.Errorf(pbx.AlreadyExists, "section [%s] exists in %s", s.name, p.opts.File)
		}
	}
	if err := p.write(ctx, e, string(e.Secret), false); err != nil {
		// Leave no half-made extension: remove whatever was written.
		u := newUpdate(p.opts.File)
		u.addOpt("DelCat", string(e.ID), "", "", "ignoreerror")
		u.addOpt("DelCat", string(e.ID)+"-auth", "", "", "ignoreerror")
		if rerr := p.apply(ctx, u); rerr != nil {
			return fmt.Errorf("%w (and removing the partial extension failed: %v)", err, rerr)
		}
		return err
	}
	return nil
}

// Update implements ExtensionStore.
func (p *PJSIPStore) Update(ctx context.Context, e *pbx.Extension) error {
	if e.Tech != pbx.TechPJSIP && e.Tech != pbx.TechUnknown {
		return pbx.Errorf(pbx.Unsupported, "this backend provisions PJSIP extensions only, not %s", e.Tech)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	secs, err := p.readConfig(ctx)
	if err != nil {
		return err
	}
	x := p.index(secs)[e.ID]
	if x == nil {
		return pbx.Errorf(pbx.NotFound, "no PJSIP endpoint %s in %s", e.ID, p.opts.File)
	}
	upd := *e
	if upd.Context == "" {
		upd.Context = x.endpoint.get("context")
	}
	secret := string(e.Secret)
	if secret == "" && x.auth != nil {
		secret = x.auth.get("password")
	}
	return p.write(ctx, &upd, secret, true)
}

// SetSecret implements ExtensionStore.
func (p *PJSIPStore) SetSecret(ctx context.Context, id pbx.ExtensionID, secret string) error {
	e, err := p.Get(ctx, id)
	if err != nil {
		return err
	}
	e.Secret = pbx.Secret(secret)
	return p.Update(ctx, e)
}

// Delete implements ExtensionStore.
func (p *PJSIPStore) Delete(ctx context.Context, id pbx.ExtensionID) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	secs, err := p.readConfig(ctx)
	if err != nil {
		return err
	}
	if p.index(secs)[id] == nil {
		return pbx.Errorf(pbx.NotFound, "no PJSIP endpoint %s in %s", id, p.opts.File)
	}
	u := newUpdate(p.opts.File)
	u.add("DelCat", string(id), "", "")
	u.addOpt("DelCat", string(id)+"-auth", "", "", "ignoreerror")
	if err := p.apply(ctx, u); err != nil {
		return err
	}
	_, _ = p.c.conn.Do(ctx, action("DBDelTree", "Family", p.c.db.User, "Key", string(id)))
	return nil
}

// write replaces an extension's three sections in one UpdateConfig, then
// reloads res_pjsip. The endpoint and the AOR share the extension's name
// (registrations find the AOR by the To user, calls the endpoint by the
// From user); UpdateConfig addresses sections by name only, so the AOR is
// built under a temporary name and renamed last.
func (p *PJSIPStore) write(ctx context.Context, e *pbx.Extension, secret string, replace bool) error {
	id := string(e.ID)
	ctxName := e.Context
	if ctxName == "" {
		ctxName = p.opts.Context
	}
	u := newUpdate(p.opts.File)
	if replace {
		u.add("DelCat", id, "", "")
		u.addOpt("DelCat", id+"-auth", "", "", "ignoreerror")
	}
	u.add("NewCat", id, "", "")
	endpoint := [][2]string{{"type", "endpoint"}, {"context", ctxName}, {"auth", id + "-auth"}, {"aors", id}}
	if e.Name != "" {
		endpoint = append(endpoint, [2]string{"callerid", astutil.FormatCallerID(pbx.Party{Name: e.Name, Number: id})})
	}
	if e.Mailbox != "" {
		box := e.Mailbox.Extension()
		mctx := e.Mailbox.Context()
		if mctx == "" {
			mctx = p.opts.VoicemailContext
		}
		endpoint = append(endpoint, [2]string{"mailboxes", fmt.Sprintf("%s@%s", box, mctx)})
	}
	for _, kv := range slices.Concat(endpoint, p.opts.Endpoint) {
		u.add("Append", id, kv[0], kv[1])
	}
	u.add("NewCat", id+"-auth", "", "")
	for _, kv := range [][2]string{{"type", "auth"}, {"auth_type", "userpass"}, {"username", id}, {"password", secret}} {
		u.add("Append", id+"-auth", kv[0], kv[1])
	}
	tmp := "pbxkit-new-aor-" + id
	u.add("NewCat", tmp, "", "")
	for _, kv := range slices.Concat([][2]string{{"type", "aor"}}, p.opts.AOR) {
		u.add("Append", tmp, kv[0], kv[1])
	}
	u.add("RenameCat", tmp, "", id)
	if err := p.apply(ctx, u); err != nil {
		return err
	}
	key := func(k string) string { return id + "/" + k }
	ring := ""
	if e.RingTime > 0 {
		ring = strconv.Itoa(int(e.RingTime / time.Second))
	}
	for _, kv := range [][2]string{{key("outboundcid"), e.OutboundCallerID}, {key("noanswer"), e.NoAnswerDestination}, {key("ringtimer"), ring}} {
		if err := p.c.dbPut(ctx, p.c.db.User, kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// apply sends an UpdateConfig and reloads res_pjsip.
func (p *PJSIPStore) apply(ctx context.Context, u *update) error {
	if _, err := p.c.conn.Do(ctx, u.msg); err != nil {
		return err
	}
	_, err := p.c.conn.Do(ctx, action("Reload", "Module", "res_pjsip.so"))
	return err
}

// update builds an UpdateConfig action.
type update struct {
	msg *ami.Message
	n   int
}

func newUpdate(file string) *update {
	return &update{msg: action("UpdateConfig", "SrcFilename", file, "DstFilename", file, "PreserveEffectiveContext", "yes")}
}

func (u *update) add(act, cat, v, value string) { u.addOpt(act, cat, v, value, "") }

func (u *update) addOpt(act, cat, v, value, opts string) {
	n := fmt.Sprintf("%06d", u.n)
	u.n++
	u.msg.Add("Action-"+n, act).Add("Cat-"+n, cat)
	if act == "RenameCat" {
		u.msg.Add("Value-"+n, value)
		return
	}
	if v != "" {
		u.msg.Add("Var-"+n, v).Add("Value-"+n, value)
	}
	if opts != "" {
		u.msg.Add("Options-"+n, opts)
	}
}
