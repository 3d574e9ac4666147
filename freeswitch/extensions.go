package freeswitch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// userFile is a directory user file, <include><user id="..."> with its
// params and variables, as the vanilla configuration lays them out.
// Attributes and elements the backend does not manage (gateways, a vcard,
// ...) are kept as they are.
type userFile struct {
	XMLName xml.Name `xml:"include"`
	User    userXML  `xml:"user"`
}

type userXML struct {
	ID        string      `xml:"id,attr"`
	Attrs     []xml.Attr  `xml:",any,attr"`
	Params    []nameValue `xml:"params>param"`
	Variables []nameValue `xml:"variables>variable"`
	Other     []rawXML    `xml:",any"`
}

type nameValue struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type rawXML struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   []byte     `xml:",innerxml"`
}

func lookup(list []nameValue, name string) string {
	for _, nv := range list {
		if nv.Name == name {
			return nv.Value
		}
	}
	return ""
}

// set sets name to value in list, or removes it when value is "".
func set(list []nameValue, name, value string) []nameValue {
	i := slices.IndexFunc(list, func(nv nameValue) bool { return nv.Name == name })
	switch {
	case value == "" && i >= 0:
		return slices.Delete(list, i, i+1)
	case value == "":
		return list
	case i >= 0:
		list[i].Value = value
		return list
	}
	return append(list, nameValue{Name: name, Value: value})
}

// fileName is the file of an extension in the directory. The ID is a
// validated extension number: digits only.
func fileName(id pbx.ExtensionID) string { return string(id) + ".xml" }

// readUserFile reads an extension's file; a missing file is (nil, nil).
func (b *backend) readUserFile(id pbx.ExtensionID) (*userFile, error) {
	data, err := b.dir.ReadFile(fileName(id))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var f userFile
	if err := xml.Unmarshal(data, &f); err != nil || f.User.ID != string(id) {
		return nil, pbx.Errorf(pbx.FailedPrecondition, "%s is not a single-user directory file for %s", fileName(id), id)
	}
	return &f, nil
}

// writeUserFile replaces an extension's file atomically: a temporary file
// (whose name FreeSWITCH's "*.xml" include does not match) renamed over
// it, inside the directory root. An existing file keeps its permissions.
func (b *backend) writeUserFile(id pbx.ExtensionID, f *userFile) error {
	data, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	mode := fs.FileMode(0o640) // it holds the SIP password
	if fi, err := b.dir.Stat(fileName(id)); err == nil {
		mode = fi.Mode().Perm()
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	tmp := "." + fileName(id) + "." + hex.EncodeToString(r[:]) + ".tmp"
	out, err := b.dir.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = out.Write(data)
	if err == nil {
		err = out.Sync()
	}
	if err = errors.Join(err, out.Close()); err == nil {
		err = b.dir.Rename(tmp, fileName(id))
	}
	if err != nil {
		_ = b.dir.Remove(tmp)
	}
	return err
}

// reloadXML makes FreeSWITCH read its XML configuration, the directory
// included, again.
func (b *backend) reloadXML(ctx context.Context) error {
	reply, err := b.conn.API(ctx, "reloadxml")
	if err == nil && !strings.HasPrefix(reply, "+OK") {
		err = pbx.Errorf(pbx.Internal, "reloadxml: %s", strings.TrimSpace(reply))
	}
	return err
}

// preprocessorRef is the XML preprocessor's $${name}, which FreeSWITCH
// replaced by a global variable when it loaded the file.
var preprocessorRef = regexp.MustCompile(`\$\$\{([A-Za-z0-9_.-]+)\}`)

// globals expands the $${name} references of values read from the files,
// as the preprocessor did, reading the global variables once
// ("global_getvar" lists them all) when a value needs them.
type globals struct {
	b    *backend
	ctx  context.Context
	vars map[string]string
	err  error
}

func (g *globals) expand(v string) string {
	if !strings.Contains(v, "$${") {
		return v
	}
	if g.vars == nil && g.err == nil {
		var body string
		if body, g.err = g.b.conn.API(g.ctx, "global_getvar"); g.err == nil {
			g.vars = map[string]string{}
			for line := range strings.Lines(body) {
				if k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), "="); ok {
					g.vars[k] = v
				}
			}
		}
	}
	return preprocessorRef.ReplaceAllStringFunc(v, func(ref string) string { return g.vars[ref[3:len(ref)-1]] })
}

// extension builds an extension from its list_users row and, when the
// directory holds its file, from the file.
func (b *backend) extension(u *dirUser, f *userFile, g *globals) pbx.Extension {
	e := pbx.Extension{
		ID: u.id, Name: u.name, Tech: pbx.TechFreeSWITCH, Context: u.context,
		Mailbox: pbx.MailboxID(u.id), Dial: b.dialString(u.id),
	}
	if f != nil {
		if strings.EqualFold(g.expand(lookup(f.User.Params, "vm-enabled")), "false") {
			e.Mailbox = ""
		}
		e.OutboundCallerID = astutil.FormatCallerID(pbx.Party{
			Name:   g.expand(lookup(f.User.Variables, "outbound_caller_id_name")),
			Number: g.expand(lookup(f.User.Variables, "outbound_caller_id_number")),
		})
	}
	return e
}

// ListExtensions implements pbx.ExtensionBackend: the directory users of
// the domain (list_users), with what their files say when the directory
// is configured.
func (b *backend) ListExtensions(ctx context.Context) ([]pbx.Extension, error) {
	users, err := b.listUsers(ctx, b.domain, "")
	if err != nil {
		return nil, err
	}
	g := &globals{b: b, ctx: ctx}
	exts := make([]pbx.Extension, 0, len(users))
	for i := range users {
		f, err := b.userFileOf(users[i].id)
		if err != nil {
			return nil, err
		}
		exts = append(exts, b.extension(&users[i], f, g))
	}
	return exts, g.err
}

// userFileOf reads an extension's file when the directory is configured.
func (b *backend) userFileOf(id pbx.ExtensionID) (*userFile, error) {
	if b.dir == nil {
		return nil, nil
	}
	return b.readUserFile(id)
}

// GetExtension implements pbx.ExtensionBackend.
func (b *backend) GetExtension(ctx context.Context, id pbx.ExtensionID) (*pbx.Extension, error) {
	u, err := b.user(ctx, id)
	if err != nil {
		return nil, err
	}
	f, err := b.userFileOf(id)
	if err != nil {
		return nil, err
	}
	g := &globals{b: b, ctx: ctx}
	e := b.extension(u, f, g)
	return &e, g.err
}

// expandable reports whether s holds what FreeSWITCH would expand: $${var}
// when it preprocesses the XML, ${var} (and ${api(...)}) when it uses the
// value on a channel.
func expandable(s string) bool { return strings.Contains(s, "${") }

// apply writes e's settings into a user element. Only the settings a
// directory user holds are accepted: the ring time and the no-answer
// destination belong to the dialplan, and the mailbox is the user's own.
// A value that a $${var} reference of the file already gives is left as
// the reference.
func (b *backend) apply(u *userXML, e *pbx.Extension, create bool, g *globals) error {
	for _, v := range []string{e.Name, e.OutboundCallerID, string(e.Secret)} {
		if expandable(v) {
			return pbx.Errorf(pbx.InvalidArgument, "%q would be expanded by FreeSWITCH", v)
		}
	}
	if e.RingTime != 0 || e.NoAnswerDestination != "" {
		return pbx.Errorf(pbx.Unsupported, "the ring time and no-answer destination belong to the FreeSWITCH dialplan, not the directory")
	}
	if e.Mailbox != "" && e.Mailbox != pbx.MailboxID(e.ID) && e.Mailbox != pbx.MailboxID(string(e.ID)+"@"+b.domain) {
		return pbx.Errorf(pbx.InvalidArgument, "a FreeSWITCH user's mailbox is its own (%s), not %s", e.ID, e.Mailbox)
	}
	keep := func(list []nameValue, name, value string) []nameValue {
		if old := lookup(list, name); old != "" && g.expand(old) == value {
			return list
		}
		return set(list, name, value)
	}
	if e.Secret != "" {
		u.Params = keep(u.Params, "password", string(e.Secret))
	}
	vmEnabled := ""
	if e.Mailbox == "" {
		vmEnabled = "false"
	}
	u.Params = set(u.Params, "vm-enabled", vmEnabled)
	u.Variables = keep(u.Variables, "effective_caller_id_name", e.Name)
	if create {
		u.Variables = set(u.Variables, "effective_caller_id_number", string(e.ID))
	}
	switch {
	case e.Context != "":
		u.Variables = keep(u.Variables, "user_context", e.Context)
	case create:
		u.Variables = set(u.Variables, "user_context", "default")
	}
	out := astutil.ParseCallerID(e.OutboundCallerID)
	u.Variables = keep(u.Variables, "outbound_caller_id_name", out.Name)
	u.Variables = keep(u.Variables, "outbound_caller_id_number", out.Number)
	return g.err
}

// save writes a file and makes FreeSWITCH load it; if FreeSWITCH refuses
// the configuration, the previous file (or none) is put back.
func (b *backend) save(ctx context.Context, id pbx.ExtensionID, f, previous *userFile) error {
	if err := b.writeUserFile(id, f); err != nil {
		return err
	}
	err := b.reloadXML(ctx)
	if err == nil {
		return nil
	}
	if previous != nil {
		err = errors.Join(err, b.writeUserFile(id, previous))
	} else {
		err = errors.Join(err, b.dir.Remove(fileName(id)))
	}
	return err
}

// CreateExtension implements pbx.ExtensionBackend: <id>.xml in the
// directory, then reloadxml.
func (b *backend) CreateExtension(ctx context.Context, e *pbx.Extension) error {
	b.dirMu.Lock()
	defer b.dirMu.Unlock()
	switch _, err := b.user(ctx, e.ID); {
	case err == nil:
		return pbx.Errorf(pbx.AlreadyExists, "user %s exists", e.ID)
	case pbx.Code(err) != pbx.NotFound:
		return err
	}
	switch _, err := b.dir.Stat(fileName(e.ID)); {
	case err == nil:
		return pbx.Errorf(pbx.AlreadyExists, "%s exists", fileName(e.ID))
	case !errors.Is(err, fs.ErrNotExist):
		return err
	}
	f := &userFile{User: userXML{ID: string(e.ID)}}
	if err := b.apply(&f.User, e, true, &globals{b: b, ctx: ctx}); err != nil {
		return err
	}
	if err := b.save(ctx, e.ID, f, nil); err != nil {
		return err
	}
	return b.published(ctx, e.ID, func(x *pbx.Extension) pbx.Event { return &pbx.ExtensionCreated{Extension: *x} })
}

// published reads an extension back and publishes the event built from it.
func (b *backend) published(ctx context.Context, id pbx.ExtensionID, event func(*pbx.Extension) pbx.Event) error {
	x, err := b.GetExtension(ctx, id)
	if err != nil {
		return err
	}
	b.publishLocked(event(x))
	return nil
}

// ownFile returns an existing extension's file: NotFound if the user does
// not exist, FailedPrecondition if it is defined elsewhere than in the
// directory (another file, a database through xml_curl).
func (b *backend) ownFile(ctx context.Context, id pbx.ExtensionID) (*userFile, error) {
	f, err := b.readUserFile(id)
	if err != nil || f != nil {
		return f, err
	}
	if _, err := b.user(ctx, id); err != nil {
		return nil, err
	}
	return nil, pbx.Errorf(pbx.FailedPrecondition, "user %s is not defined by %s in the directory", id, fileName(id))
}

// UpdateExtension implements pbx.ExtensionBackend: the user's file is
// rewritten with what it held besides the settings, then reloadxml.
func (b *backend) UpdateExtension(ctx context.Context, e *pbx.Extension) error {
	b.dirMu.Lock()
	defer b.dirMu.Unlock()
	f, err := b.ownFile(ctx, e.ID)
	if err != nil {
		return err
	}
	previous := *f
	previous.User.Params = slices.Clone(f.User.Params)
	previous.User.Variables = slices.Clone(f.User.Variables)
	if err := b.apply(&f.User, e, false, &globals{b: b, ctx: ctx}); err != nil {
		return err
	}
	if err := b.save(ctx, e.ID, f, &previous); err != nil {
		return err
	}
	return b.published(ctx, e.ID, func(x *pbx.Extension) pbx.Event { return &pbx.ExtensionUpdated{Extension: *x} })
}

// DeleteExtension implements pbx.ExtensionBackend.
func (b *backend) DeleteExtension(ctx context.Context, id pbx.ExtensionID) error {
	b.dirMu.Lock()
	defer b.dirMu.Unlock()
	if _, err := b.ownFile(ctx, id); err != nil {
		return err
	}
	if err := b.dir.Remove(fileName(id)); err != nil {
		return err
	}
	if err := b.reloadXML(ctx); err != nil {
		return err
	}
	b.publishLocked(&pbx.ExtensionDeleted{ID: id})
	return nil
}

// SetSecret implements pbx.ExtensionBackend: the password param.
func (b *backend) SetSecret(ctx context.Context, id pbx.ExtensionID, secret string) error {
	b.dirMu.Lock()
	defer b.dirMu.Unlock()
	f, err := b.ownFile(ctx, id)
	if err != nil {
		return err
	}
	previous := *f
	previous.User.Params = slices.Clone(f.User.Params)
	f.User.Params = set(f.User.Params, "password", secret)
	if err := b.save(ctx, id, f, &previous); err != nil {
		return err
	}
	return b.published(ctx, id, func(x *pbx.Extension) pbx.Event { return &pbx.ExtensionUpdated{Extension: *x} })
}

// RevealSecret implements pbx.ExtensionBackend: the password param, its
// $${var} references expanded ($${default_password} in the vanilla files).
func (b *backend) RevealSecret(ctx context.Context, id pbx.ExtensionID) (string, error) {
	f, err := b.ownFile(ctx, id)
	if err != nil {
		return "", err
	}
	g := &globals{b: b, ctx: ctx}
	pw := g.expand(lookup(f.User.Params, "password"))
	if g.err != nil {
		return "", g.err
	}
	if pw == "" {
		return "", pbx.Errorf(pbx.NotFound, "%s holds no password", fileName(id))
	}
	return pw, nil
}
