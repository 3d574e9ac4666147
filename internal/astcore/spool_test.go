package astcore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// writeMessage writes msgNNNN.txt and .wav as app_voicemail does.
func writeMessage(t *testing.T, dir string, n int, msgID, callerID string, origtime int64) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	txt := fmt.Sprintf(";\n; Message Information file\n;\n[message]\norigmailbox=1001\ncontext=from-internal\nmacrocontext=\nexten=1001\nrdnis=unknown\npriority=2\ncallerchan=PJSIP/1002-00000001\ncallerid=%s\norigdate=Mon Nov 23 10:00:00 AM UTC 2026\norigtime=%d\ncategory=\nmsg_id=%s\nflag=\nduration=7\n", callerID, origtime, msgID)
	base := filepath.Join(dir, fmt.Sprintf("msg%04d", n))
	if err := os.WriteFile(base+".txt", []byte(txt), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(base+".wav", []byte("RIFF....WAVEfmt "+msgID), 0o644); err != nil {
		t.Fatal(err)
	}
}

func testSpool(t *testing.T) (*Spool, string) {
	t.Helper()
	root := t.TempDir()
	inbox := filepath.Join(root, "default", "1001", "INBOX")
	for i, id := range []string{"1763629201-00000000", "1763629300-00000001", "1763629400-00000002"} {
		writeMessage(t, inbox, i, id, `"Bob" <1002>`, 1763629201+int64(i))
	}
	writeMessage(t, filepath.Join(root, "default", "1001", "Old"), 0, "1763000000-00000009", "5550100", 1763000000)
	s, err := OpenSpool(root, "default")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, root
}

func numbersAndIDs(t *testing.T, s *Spool, f pbx.Folder) []string {
	t.Helper()
	msgs, err := s.Messages("1001", f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, fmt.Sprintf("%d:%s", m.Number, m.ID))
	}
	return out
}

func TestSpoolReadsMessages(t *testing.T) {
	s, _ := testSpool(t)
	msgs, err := s.Messages("1001", "")
	if err != nil || len(msgs) != 4 {
		t.Fatalf("%d messages, %v", len(msgs), err)
	}
	m := msgs[0]
	if m.ID != "1763629201-00000000" || m.Folder != pbx.FolderInbox || m.Caller != (pbx.Party{Name: "Bob", Number: "1002"}) ||
		m.Duration != 7*time.Second || !m.Time.Equal(time.Unix(1763629201, 0)) || m.ContentType != "audio/wav" || m.Size == 0 {
		t.Fatalf("message %+v", m)
	}
	if c := s.Counts("1001"); c != (pbx.MailboxCounts{New: 3, Old: 1}) {
		t.Fatalf("counts %+v", c)
	}
	if _, err := s.Messages("1099", ""); pbx.Code(err) != pbx.NotFound {
		t.Fatalf("missing mailbox: %v", err)
	}
}

func TestSpoolMoveRenumbers(t *testing.T) {
	s, root := testSpool(t)
	moved, err := s.Move("1001", "1763629300-00000001", pbx.FolderOld)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Folder != pbx.FolderOld || moved.Number != 1 || moved.ID != "1763629300-00000001" {
		t.Fatalf("moved %+v", moved)
	}
	if got, want := numbersAndIDs(t, s, pbx.FolderInbox), []string{"0:1763629201-00000000", "1:1763629400-00000002"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("INBOX %v, want %v", got, want)
	}
	// The files were renamed, audio with metadata, and the lock released.
	for _, name := range []string{"INBOX/msg0001.txt", "INBOX/msg0001.wav", "Old/msg0001.txt", "Old/msg0001.wav"} {
		if _, err := os.Stat(filepath.Join(root, "default", "1001", name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, name := range []string{"INBOX/msg0002.txt", "INBOX/.lock", "Old/.lock"} {
		if _, err := os.Stat(filepath.Join(root, "default", "1001", name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still exists", name)
		}
	}
	// Moving into a folder that does not exist yet creates it.
	if m, err := s.Move("1001", "1763629201-00000000", pbx.FolderFriends); err != nil || m.Number != 0 {
		t.Fatalf("move to Friends: %+v, %v", m, err)
	}
	a, err := s.Open("1001", "1763629201-00000000")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(a)
	a.Close()
	if string(data) != "RIFF....WAVEfmt 1763629201-00000000" || a.Size != int64(len(data)) {
		t.Fatalf("audio %q", data)
	}
}

func TestSpoolDeleteRenumbers(t *testing.T) {
	s, _ := testSpool(t)
	if err := s.Delete("1001", "1763629201-00000000"); err != nil {
		t.Fatal(err)
	}
	if got, want := numbersAndIDs(t, s, pbx.FolderInbox), []string{"0:1763629300-00000001", "1:1763629400-00000002"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("INBOX %v, want %v", got, want)
	}
	if err := s.Delete("1001", "1763629201-00000000"); pbx.Code(err) != pbx.NotFound {
		t.Fatalf("second delete: %v", err)
	}
}

func TestSpoolWaitsForLock(t *testing.T) {
	s, root := testSpool(t)
	lock := filepath.Join(root, "default", "1001", "INBOX", ".lock")
	if err := os.WriteFile(lock, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(200 * time.Millisecond)
		os.Remove(lock)
	}()
	start := time.Now()
	if err := s.Delete("1001", "1763629201-00000000"); err != nil {
		t.Fatal(err)
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("delete did not wait for Asterisk's lock (%v)", waited)
	}
}

func TestSpoolStaysInsideRoot(t *testing.T) {
	s, root := testSpool(t)
	outside := t.TempDir()
	writeMessage(t, filepath.Join(outside, "INBOX"), 0, "outside-0001", "x", 1)
	// A symlink from a mailbox folder to a directory outside the spool.
	if err := os.Symlink(filepath.Join(outside, "INBOX"), filepath.Join(root, "default", "1001", "Work")); err != nil {
		t.Fatal(err)
	}
	msgs, err := s.Messages("1001", pbx.FolderWork)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 0 {
		t.Fatalf("read %d messages through a symlink out of the spool", len(msgs))
	}
	if _, err := s.Open("1001", "outside-0001"); err == nil {
		t.Fatal("opened audio outside the spool")
	}
}
