package freeswitch

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/esl"
	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// mod_voicemail keeps every message in its "inbox" folder, flagged new
// ("") or saved ("save"); messages flagged "delete" wait to be purged. Its
// new messages are the portable INBOX, its saved ones the Old folder; the
// other folders are always empty, and a move to them is unsupported.
var folderFilters = map[pbx.Folder]string{pbx.FolderInbox: "new", pbx.FolderOld: "save"}

// box names a mailbox as mod_voicemail does: a user and a domain (the
// backend's unless the mailbox names one).
func (b *backend) box(id pbx.MailboxID) (user, domain string) {
	domain = id.Context()
	if domain == "" {
		domain = b.domain
	}
	return string(id.Extension()), domain
}

// mailboxID names mod_voicemail's "user@domain" as a mailbox ID, without
// the backend's domain; "" when it is not a valid one.
func (b *backend) mailboxID(account string) pbx.MailboxID {
	user, domain, _ := strings.Cut(account, "@")
	id := pbx.MailboxID(user)
	if domain != "" && domain != b.domain {
		id = pbx.MailboxID(user + "@" + domain)
	}
	if id.Validate() != nil {
		return ""
	}
	return id
}

// vmCommand runs a vm_fsdb_* command on a mailbox: cmd [json] <profile> <domain>
// <user> args...
func (b *backend) vmCommand(ctx context.Context, cmd string, json bool, id pbx.MailboxID, args ...string) (string, error) {
	user, domain := b.box(id)
	all := []string{b.opts.VoicemailProfile, domain, user}
	if json {
		all = append([]string{"json"}, all...)
	}
	return b.conn.API(ctx, cmd, append(all, args...)...)
}

// counts reads a mailbox's counts with vm_fsdb_msg_count: new messages
// (urgent ones included), saved messages, and urgent new messages.
func (b *backend) counts(ctx context.Context, id pbx.MailboxID) (pbx.MailboxCounts, error) {
	body, err := b.vmCommand(ctx, "vm_fsdb_msg_count", true, id, "inbox")
	if err != nil {
		return pbx.MailboxCounts{}, err
	}
	m, err := parseEventJSON(body)
	if err != nil {
		return pbx.MailboxCounts{}, err
	}
	n := func(k string) int { v, _ := strconv.Atoi(m[k]); return v }
	return pbx.MailboxCounts{New: n("VM-Total-New-Messages"), Old: n("VM-Total-Saved-Messages"), Urgent: n("VM-Total-New-Urgent-Messages")}, nil
}

// countsOf reads the counts of the mailbox an event names, for the event
// loop (bounded in time); nil if it cannot.
func (b *backend) countsOf(ctx context.Context, user, domain string) *pbx.MailboxCounts {
	id := b.mailboxID(user + "@" + domain)
	if id == "" || !b.caps.Has(pbx.CapVoicemail) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, err := b.counts(ctx, id)
	if err != nil {
		b.log.Debug("reading a mailbox's counts", "mailbox", id, "err", err)
		return nil
	}
	return &c
}

// mwiCounts returns the counts of the mailbox a MESSAGE_WAITING names: as
// vm_fsdb_msg_count reads them, so that they agree with the folders, or
// else as the event says. mod_voicemail writes MWI-Voice-Message as
// "new/saved", or "new/saved (urgent new/urgent saved)" with its profile's
// send-full-vm-header; new and saved include the urgent messages and are
// counted by whether messages were listened to.
func (b *backend) mwiCounts(ctx context.Context, ev *esl.Event) *pbx.MailboxCounts {
	user, domain, _ := strings.Cut(get(ev, "MWI-Message-Account"), "@")
	if c := b.countsOf(ctx, user, domain); c != nil {
		return c
	}
	var nw, saved, urgentNew, urgentSaved int
	_, _ = fmt.Sscanf(get(ev, "MWI-Voice-Message"), "%d/%d (%d/%d)", &nw, &saved, &urgentNew, &urgentSaved)
	return &pbx.MailboxCounts{New: nw, Old: saved, Urgent: urgentNew}
}

// mailboxCounts reports a mailbox's counts: always after a change the
// backend made, else only when they changed. b.mu is held.
func (b *backend) mailboxCounts(box pbx.MailboxID, counts pbx.MailboxCounts, h pbx.EventHeader, always bool) {
	if prev, known := b.state.mwi[box]; known && prev == counts && !always {
		return
	}
	b.state.mwi[box] = counts
	b.publish(&pbx.MailboxChanged{EventHeader: h, Mailbox: box, Counts: counts})
}

// voicemailEvent maps vm::maintenance's leave-message. b.mu is held.
func (b *backend) voicemailEvent(ev *esl.Event, h pbx.EventHeader, counts *pbx.MailboxCounts) {
	if get(ev, "VM-Action") != "leave-message" {
		return
	}
	box := b.mailboxID(get(ev, "VM-User") + "@" + get(ev, "VM-Domain"))
	if box == "" {
		return
	}
	c := b.state.mwi[box]
	if counts != nil {
		c = *counts
	}
	msg := &pbx.Message{
		ID: pbx.MessageID(get(ev, "VM-UUID")), Mailbox: box, Folder: pbx.FolderInbox,
		Caller:   pbx.Party{Name: get(ev, "VM-Caller-ID-Name"), Number: get(ev, "VM-Caller-ID-Number")},
		Time:     epochTime(get(ev, "VM-Timestamp")),
		Duration: seconds(get(ev, "VM-Message-Len")), ContentType: astutil.AudioType(get(ev, "VM-File-Path")),
	}
	// Urgent messages are listed first, each kind oldest first.
	if get(ev, "VM-Flags") == "A_URGENT" {
		msg.Number = max(c.Urgent-1, 0)
	} else {
		msg.Number = max(c.New-1, 0)
	}
	if msg.ID.Validate() != nil {
		msg = nil
	}
	b.publish(&pbx.VoicemailReceived{EventHeader: h, Mailbox: box, Message: msg, Counts: c})
}

// mailbox checks that a mailbox's user exists and returns it.
func (b *backend) mailbox(ctx context.Context, id pbx.MailboxID) (*dirUser, error) {
	user, domain := b.box(id)
	return b.userIn(ctx, domain, pbx.ExtensionID(user))
}

// Mailboxes implements pbx.VoicemailBackend: every directory user of the
// domain has one, as in mod_voicemail.
func (b *backend) Mailboxes(ctx context.Context) ([]pbx.Mailbox, error) {
	users, err := b.listUsers(ctx, b.domain, "")
	if err != nil {
		return nil, err
	}
	boxes := make([]pbx.Mailbox, 0, len(users))
	for _, u := range users {
		id := pbx.MailboxID(u.id)
		c, err := b.counts(ctx, id)
		if err != nil {
			return nil, err
		}
		boxes = append(boxes, pbx.Mailbox{ID: id, Name: u.name, Counts: c})
	}
	return boxes, nil
}

// Mailbox implements pbx.VoicemailBackend.
func (b *backend) Mailbox(ctx context.Context, id pbx.MailboxID) (*pbx.Mailbox, error) {
	u, err := b.mailbox(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := b.counts(ctx, id)
	if err != nil {
		return nil, err
	}
	return &pbx.Mailbox{ID: id, Name: u.name, Counts: c}, nil
}

// messageIDs lists the UUIDs of a folder's messages in mod_voicemail's
// order (urgent first, then oldest first).
func (b *backend) messageIDs(ctx context.Context, id pbx.MailboxID, folder pbx.Folder) ([]pbx.MessageID, error) {
	filter, ok := folderFilters[folder]
	if !ok {
		return nil, nil
	}
	body, err := b.vmCommand(ctx, "vm_fsdb_msg_list", true, id, "inbox", filter)
	if err != nil {
		return nil, err
	}
	m, err := parseEventJSON(body)
	if err != nil {
		return nil, err
	}
	n, _ := strconv.Atoi(m["VM-List-Count"])
	ids := make([]pbx.MessageID, 0, n)
	for i := 1; i <= n; i++ {
		if u := pbx.MessageID(m["VM-List-Message-"+strconv.Itoa(i)+"-UUID"]); u.Validate() == nil {
			ids = append(ids, u)
		}
	}
	return ids, nil
}

// vmMessage is a message as vm_fsdb_msg_get reports it.
type vmMessage struct {
	pbx.Message
	path string // the audio file, absolute
}

// message reads one message; a missing one, or one flagged for deletion,
// is NotFound.
func (b *backend) message(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID) (*vmMessage, error) {
	body, err := b.vmCommand(ctx, "vm_fsdb_msg_get", true, id, string(msg))
	if err != nil {
		return nil, err
	}
	m, err := parseEventJSON(body)
	if err != nil {
		return nil, err
	}
	if m["VM-Message-UUID"] != string(msg) || m["VM-Message-Flags"] == "delete" {
		return nil, pbx.Errorf(pbx.NotFound, "no message %s in mailbox %s", msg, id)
	}
	folder := pbx.FolderInbox
	if m["VM-Message-Flags"] == "save" {
		folder = pbx.FolderOld
	}
	v := &vmMessage{path: m["VM-Message-File-Path"], Message: pbx.Message{
		ID: msg, Mailbox: id, Folder: folder,
		Caller:   pbx.Party{Name: m["VM-Message-Caller-Name"], Number: m["VM-Message-Caller-Number"]},
		Time:     epochTime(m["VM-Message-Received-Epoch"]),
		Duration: seconds(m["VM-Message-Duration"]), ContentType: astutil.AudioType(m["VM-Message-File-Path"]),
	}}
	if rel, err := b.storagePath(v.path); err == nil {
		if fi, err := b.vm.Stat(rel); err == nil && fi.Mode().IsRegular() {
			v.Size = fi.Size()
		}
	}
	return v, nil
}

// storagePath returns a file's path relative to the voicemail storage
// root, refusing anything outside it. The os.Root also refuses symbolic
// links that lead out.
func (b *backend) storagePath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		return "", pbx.Errorf(pbx.NotFound, "message file %q is not an absolute path", p)
	}
	rel, err := filepath.Rel(b.vmPath, filepath.Clean(p))
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", pbx.Errorf(pbx.NotFound, "message file %q is outside the voicemail storage", p)
	}
	return rel, nil
}

// Messages implements pbx.VoicemailBackend.
func (b *backend) Messages(ctx context.Context, id pbx.MailboxID, folder pbx.Folder) ([]pbx.Message, error) {
	if _, err := b.mailbox(ctx, id); err != nil {
		return nil, err
	}
	folders := []pbx.Folder{pbx.FolderInbox, pbx.FolderOld}
	if folder != "" {
		folders = []pbx.Folder{folder}
	}
	out := []pbx.Message{}
	for _, f := range folders {
		ids, err := b.messageIDs(ctx, id, f)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, msgID := range ids {
			m, err := b.message(ctx, id, msgID)
			if pbx.Code(err) == pbx.NotFound {
				continue // deleted meanwhile
			}
			if err != nil {
				return nil, err
			}
			m.Folder, m.Number = f, n
			n++
			out = append(out, m.Message)
		}
	}
	return out, nil
}

// Audio implements pbx.VoicemailBackend: the file mod_voicemail reports,
// opened inside the storage root only.
func (b *backend) Audio(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID) (*pbx.Audio, error) {
	m, err := b.message(ctx, id, msg)
	if err != nil {
		return nil, err
	}
	rel, err := b.storagePath(m.path)
	if err != nil {
		return nil, err
	}
	f, err := b.vm.Open(rel)
	if err != nil {
		return nil, pbx.Errorf(pbx.NotFound, "audio of message %s: %w", msg, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, pbx.Errorf(pbx.NotFound, "audio of message %s is not a file", msg)
	}
	return &pbx.Audio{ReadCloser: f, ContentType: m.ContentType, Size: fi.Size()}, nil
}

// MoveMessage implements pbx.VoicemailBackend: to Old with
// vm_fsdb_msg_save, back to INBOX with vm_fsdb_msg_undelete (which clears
// the flags); mod_voicemail has no other folder.
func (b *backend) MoveMessage(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID, to pbx.Folder) (*pbx.Message, error) {
	m, err := b.message(ctx, id, msg)
	if err != nil {
		return nil, err
	}
	if m.Folder != to {
		var cmd string
		switch to {
		case pbx.FolderOld:
			cmd = "vm_fsdb_msg_save"
		case pbx.FolderInbox:
			cmd = "vm_fsdb_msg_undelete"
		default:
			return nil, pbx.Errorf(pbx.Unsupported, "mod_voicemail has no folder %s: messages are new (INBOX) or saved (Old)", to)
		}
		if _, err := b.vmCommand(ctx, cmd, false, id, string(msg)); err != nil {
			return nil, err
		}
		if err := b.refreshCounts(ctx, id); err != nil {
			return nil, err
		}
	}
	ids, err := b.messageIDs(ctx, id, to)
	if err != nil {
		return nil, err
	}
	m.Folder, m.Number = to, max(slices.Index(ids, msg), 0)
	return &m.Message, nil
}

// DeleteMessage implements pbx.VoicemailBackend: vm_fsdb_msg_delete flags
// the message, vm_fsdb_msg_purge removes the flagged messages and their
// files, as the voicemail menu does when the caller hangs up.
func (b *backend) DeleteMessage(ctx context.Context, id pbx.MailboxID, msg pbx.MessageID) error {
	if _, err := b.message(ctx, id, msg); err != nil {
		return err
	}
	if _, err := b.vmCommand(ctx, "vm_fsdb_msg_delete", false, id, string(msg)); err != nil {
		return err
	}
	if _, err := b.vmCommand(ctx, "vm_fsdb_msg_purge", false, id); err != nil {
		return err
	}
	return b.refreshCounts(ctx, id)
}

// refreshCounts reports a mailbox's counts after the backend changed it.
func (b *backend) refreshCounts(ctx context.Context, id pbx.MailboxID) error {
	c, err := b.counts(ctx, id)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mailboxCounts(id, c, pbx.EventHeader{}, true)
	return nil
}
