package astcore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pbxkit/pbxkit/internal/astutil"
	"github.com/pbxkit/pbxkit/pbx"
)

// Spool reads and reorganises app_voicemail's spool directory:
// <root>/<context>/<mailbox>/<Folder>/msgNNNN.{txt,wav,...}. Every path is
// opened through an os.Root on the spool, from validated IDs only, so nothing
// outside the spool is ever touched, symbolic links included.
//
// Moves and deletes take app_voicemail's folder lock (a ".lock" hard link in
// the folder), and renumber the folder's messages so that they stay
// consecutive from msg0000, as app_voicemail expects.
type Spool struct {
	root           *os.Root
	defaultContext string

	mu sync.Mutex // serialises this process's changes; the lock files guard against Asterisk
}

// audioFormats lists the recording formats in preference order, with their
// MIME types: "wav" is 16-bit PCM, "WAV" (wav49) is GSM in a RIFF file.
var audioFormats = []struct{ ext, mime string }{
	{"wav", "audio/wav"},
	{"WAV", "audio/wav"},
	{"gsm", "audio/x-gsm"},
	{"ulaw", "audio/basic"},
	{"alaw", "audio/x-alaw-basic"},
	{"sln", "audio/l16"},
}

// OpenSpool opens the spool at dir; mailboxes without a context are in
// defaultContext.
func OpenSpool(dir, defaultContext string) (*Spool, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("voicemail spool: %w", err)
	}
	return &Spool{root: r, defaultContext: defaultContext}, nil
}

// Close releases the spool.
func (s *Spool) Close() error { return s.root.Close() }

// boxDir returns the mailbox's directory relative to the root. The ID must
// be valid (the client validated it).
func (s *Spool) boxDir(id pbx.MailboxID) string {
	ctx := id.Context()
	if ctx == "" {
		ctx = s.defaultContext
	}
	return path.Join(ctx, string(id.Extension()))
}

// Exists reports whether a mailbox directory exists.
func (s *Spool) Exists(id pbx.MailboxID) bool {
	fi, err := s.root.Stat(s.boxDir(id))
	return err == nil && fi.IsDir()
}

// Counts counts the messages of the INBOX, Old and Urgent folders.
func (s *Spool) Counts(id pbx.MailboxID) pbx.MailboxCounts {
	return pbx.MailboxCounts{
		New:    len(s.numbers(id, pbx.FolderInbox)),
		Old:    len(s.numbers(id, pbx.FolderOld)),
		Urgent: len(s.numbers(id, pbx.FolderUrgent)),
	}
}

// numbers returns the message numbers present in a folder, ascending.
func (s *Spool) numbers(id pbx.MailboxID, f pbx.Folder) []int {
	dir, err := s.root.Open(path.Join(s.boxDir(id), string(f)))
	if err != nil {
		return nil
	}
	defer dir.Close()
	names, _ := dir.Readdirnames(-1)
	var nums []int
	for _, n := range names {
		if num, ok := msgNumber(n); ok && strings.HasSuffix(n, ".txt") {
			nums = append(nums, num)
		}
	}
	slices.Sort(nums)
	return nums
}

// msgNumber parses "msg0007.txt" (or any extension) into 7.
func msgNumber(name string) (int, bool) {
	base, _, _ := strings.Cut(name, ".")
	digits, ok := strings.CutPrefix(base, "msg")
	if !ok || len(digits) != 4 {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

func msgBase(n int) string { return fmt.Sprintf("msg%04d", n) }

// Messages lists a mailbox's messages in one folder, or all folders when
// folder is "". It fails with NotFound if the mailbox directory is missing.
func (s *Spool) Messages(id pbx.MailboxID, folder pbx.Folder) ([]pbx.Message, error) {
	if !s.Exists(id) {
		return nil, pbx.Errorf(pbx.NotFound, "no voicemail spool for mailbox %s", id)
	}
	var out []pbx.Message
	for _, f := range pbx.Folders {
		if folder != "" && f != folder {
			continue
		}
		for i, n := range s.numbers(id, f) {
			m, err := s.read(id, f, n)
			if err != nil {
				continue // a message being written or removed right now
			}
			m.Number = i
			out = append(out, m)
		}
	}
	return out, nil
}

// read parses msgNNNN.txt and finds the recording.
func (s *Spool) read(id pbx.MailboxID, f pbx.Folder, n int) (pbx.Message, error) {
	base := path.Join(s.boxDir(id), string(f), msgBase(n))
	data, err := s.root.ReadFile(base + ".txt")
	if err != nil {
		return pbx.Message{}, err
	}
	meta := parseMessageInfo(data)
	m := pbx.Message{Mailbox: id, Folder: f, Number: n, Caller: astutil.ParseCallerID(meta["callerid"])}
	m.ID = messageID(meta, id, f, n)
	if t, err := strconv.ParseInt(meta["origtime"], 10, 64); err == nil {
		m.Time = time.Unix(t, 0)
	}
	if d, err := strconv.Atoi(meta["duration"]); err == nil {
		m.Duration = time.Duration(d) * time.Second
	}
	if _, mime, size, ok := s.audio(base); ok {
		m.ContentType, m.Size = mime, size
	}
	return m, nil
}

// audio finds the recording of a message base path.
func (s *Spool) audio(base string) (ext, mime string, size int64, ok bool) {
	for _, af := range audioFormats {
		if fi, err := s.root.Stat(base + "." + af.ext); err == nil && fi.Mode().IsRegular() {
			return af.ext, af.mime, fi.Size(), true
		}
	}
	return "", "", 0, false
}

// parseMessageInfo reads the key=value lines of a msgNNNN.txt file.
func parseMessageInfo(data []byte) map[string]string {
	meta := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok && !strings.HasPrefix(k, ";") {
			meta[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return meta
}

// messageID returns the stable ID of a message: app_voicemail's msg_id
// (Asterisk 11 and later), made safe for pbx.MessageID, or, for older
// messages without one, an ID derived from origtime and the origin.
func messageID(meta map[string]string, id pbx.MailboxID, f pbx.Folder, n int) pbx.MessageID {
	raw := meta["msg_id"]
	if raw == "" {
		raw = meta["origtime"] + "-" + meta["callerchan"]
	}
	var b strings.Builder
	for i := 0; i < len(raw) && b.Len() < 64; i++ {
		c := raw[i]
		if (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 || strings.Trim(b.String(), "-") == "" {
		return pbx.MessageID(fmt.Sprintf("%s-%s-%04d", id.Extension(), f, n))
	}
	return pbx.MessageID(b.String())
}

// find locates a message by ID.
func (s *Spool) find(id pbx.MailboxID, msg pbx.MessageID) (pbx.Folder, int, error) {
	if !s.Exists(id) {
		return "", 0, pbx.Errorf(pbx.NotFound, "no voicemail spool for mailbox %s", id)
	}
	for _, f := range pbx.Folders {
		for _, n := range s.numbers(id, f) {
			m, err := s.read(id, f, n)
			if err == nil && m.ID == msg {
				return f, n, nil
			}
		}
	}
	return "", 0, pbx.Errorf(pbx.NotFound, "no message %s in mailbox %s", msg, id)
}

// Open opens a message's recording.
func (s *Spool) Open(id pbx.MailboxID, msg pbx.MessageID) (*pbx.Audio, error) {
	f, n, err := s.find(id, msg)
	if err != nil {
		return nil, err
	}
	base := path.Join(s.boxDir(id), string(f), msgBase(n))
	ext, mime, _, ok := s.audio(base)
	if !ok {
		return nil, pbx.Errorf(pbx.NotFound, "message %s has no recording", msg)
	}
	file, err := s.root.Open(base + "." + ext)
	if err != nil {
		return nil, err
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, err
	}
	return &pbx.Audio{ReadCloser: file, ContentType: mime, Size: fi.Size()}, nil
}

// Move moves a message to another folder, as the last message there, and
// renumbers the folder it left.
func (s *Spool) Move(id pbx.MailboxID, msg pbx.MessageID, to pbx.Folder) (*pbx.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, n, err := s.find(id, msg)
	if err != nil {
		return nil, err
	}
	if from != to {
		box := s.boxDir(id)
		if err := s.mkdirLike(path.Join(box, string(to)), box); err != nil {
			return nil, err
		}
		unlockTo, err := s.lock(path.Join(box, string(to)))
		if err != nil {
			return nil, err
		}
		defer unlockTo()
		unlockFrom, err := s.lock(path.Join(box, string(from)))
		if err != nil {
			return nil, err
		}
		defer unlockFrom()
		next := 0
		if nums := s.numbers(id, to); len(nums) > 0 {
			next = nums[len(nums)-1] + 1
		}
		if next > 9999 {
			return nil, pbx.Errorf(pbx.ResourceExhausted, "folder %s of mailbox %s is full", to, id)
		}
		if err := s.renameMessage(path.Join(box, string(from)), n, path.Join(box, string(to)), next); err != nil {
			return nil, err
		}
		if err := s.renumber(path.Join(box, string(from))); err != nil {
			return nil, err
		}
	}
	msgs, err := s.Messages(id, to)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		if m.ID == msg {
			return &m, nil
		}
	}
	return nil, pbx.Errorf(pbx.Internal, "message %s vanished while moving", msg)
}

// Delete removes a message and renumbers its folder.
func (s *Spool) Delete(id pbx.MailboxID, msg pbx.MessageID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, n, err := s.find(id, msg)
	if err != nil {
		return err
	}
	dir := path.Join(s.boxDir(id), string(f))
	unlock, err := s.lock(dir)
	if err != nil {
		return err
	}
	defer unlock()
	for _, name := range s.messageFiles(dir, n) {
		if err := s.root.Remove(path.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return s.renumber(dir)
}

// messageFiles lists the files of message n in dir (txt, recordings).
func (s *Spool) messageFiles(dir string, n int) []string {
	d, err := s.root.Open(dir)
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	prefix := msgBase(n) + "."
	var out []string
	for _, name := range names {
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// mkdirLike creates dir, if missing, with the mode and owner of model, so
// that Asterisk (often another user than this process) can use it.
func (s *Spool) mkdirLike(dir, model string) error {
	if _, err := s.root.Stat(dir); err == nil {
		return nil
	}
	fi, err := s.root.Stat(model)
	if err != nil {
		return err
	}
	if err := s.root.Mkdir(dir, fi.Mode().Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		// Only root may give files away; otherwise the directory is ours, as
		// the model presumably is.
		if err := s.root.Chown(dir, int(st.Uid), int(st.Gid)); err != nil && !errors.Is(err, fs.ErrPermission) {
			return err
		}
	}
	return s.root.Chmod(dir, fi.Mode().Perm())
}

// renameMessage moves every file of message n in fromDir to number m in toDir.
// The .txt goes last, so a reader never sees metadata without its audio.
func (s *Spool) renameMessage(fromDir string, n int, toDir string, m int) error {
	files := s.messageFiles(fromDir, n)
	slices.SortStableFunc(files, func(a, b string) int {
		return boolInt(strings.HasSuffix(a, ".txt")) - boolInt(strings.HasSuffix(b, ".txt"))
	})
	for _, name := range files {
		ext := strings.TrimPrefix(name, msgBase(n))
		if err := s.root.Rename(path.Join(fromDir, name), path.Join(toDir, msgBase(m)+ext)); err != nil {
			return err
		}
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// renumber closes the gaps in a folder's message numbers.
func (s *Spool) renumber(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	for _, name := range names {
		if n, ok := msgNumber(name); ok && strings.HasSuffix(name, ".txt") {
			seen[n] = true
		}
	}
	var nums []int
	for n := range seen {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for want, n := range nums {
		if n != want {
			if err := s.renameMessage(dir, n, dir, want); err != nil {
				return err
			}
		}
	}
	return nil
}

// lock takes app_voicemail's lock on a folder: a hard link named ".lock" to a
// unique file, the scheme of Asterisk's ast_lock_path. It waits up to 3
// seconds for another holder.
func (s *Spool) lock(dir string) (unlock func(), err error) {
	unique := path.Join(dir, fmt.Sprintf(".lock-pbxkit-%d-%d", os.Getpid(), time.Now().UnixNano()))
	f, err := s.root.OpenFile(unique, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	f.Close()
	defer func() { _ = s.root.Remove(unique) }()
	lockName := path.Join(dir, ".lock")
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := s.root.Link(unique, lockName)
		if err == nil {
			return func() { _ = s.root.Remove(lockName) }, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, pbx.Errorf(pbx.Unavailable, "voicemail folder %s is locked", dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
