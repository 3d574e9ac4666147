package astcore

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestRecordingsResolveAndStayInside(t *testing.T) {
	dir := t.TempDir()
	wav := append([]byte("RIFF\x00\x00\x00\x00WAVEfmt "), make([]byte, 100)...)
	write := func(rel string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	name := "out-5551234-1001-20261101-101500-1761991700.42.wav"
	write("2026/11/01/"+name, wav)
	write("2026/10/31/in-1001-5550100-x.wav", wav)                 // found by the call date
	write("2026/11/02/empty-1001-20261102-101500-1.wav", wav[:44]) // header only
	outside := t.TempDir()
	write("../"+filepath.Base(outside)+"/secret.wav", wav)
	if err := os.WriteFile(filepath.Join(outside, "secret.wav"), wav, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.wav"), filepath.Join(dir, "2026", "11", "01", "link-1001-20261101-101500-2.wav")); err != nil {
		t.Fatal(err)
	}
	r, err := OpenRecordings(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	callDate := time.Date(2026, 10, 31, 23, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		want pbx.ErrorCode // Unknown: opens
	}{
		{name, pbx.Unknown},
		{"in-1001-5550100-x.wav", pbx.Unknown},
		{filepath.Join(dir, "2026/11/01", name), pbx.Unknown},
		{"2026/11/01/" + name, pbx.Unknown},
		{"empty-1001-20261102-101500-1.wav", pbx.NotFound},
		{"link-1001-20261101-101500-2.wav", pbx.NotFound},
		{"../" + filepath.Base(outside) + "/secret.wav", pbx.InvalidArgument},
		{filepath.Join(outside, "secret.wav"), pbx.InvalidArgument},
		{"/etc/passwd", pbx.InvalidArgument},
		{"2026/11/01/../../../../etc/passwd", pbx.InvalidArgument},
		{"missing-1001-20261101-101500-3.wav", pbx.NotFound},
	}
	for _, tc := range tests {
		a, err := r.Open(&pbx.CDR{Recording: tc.name, Start: callDate})
		if tc.want == pbx.Unknown {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
				continue
			}
			data, _ := io.ReadAll(a)
			a.Close()
			if len(data) != len(wav) || a.ContentType != "audio/wav" {
				t.Errorf("%s: %d bytes of %s", tc.name, len(data), a.ContentType)
			}
			continue
		}
		if err == nil {
			a.Close()
			t.Errorf("%s: opened", tc.name)
		} else if pbx.Code(err) != tc.want {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
}
