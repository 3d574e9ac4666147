package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestLinesFitOneMessage(t *testing.T) {
	items := make([]string, 300)
	for i := range items {
		items[i] = "• " + strings.Repeat("x", 20)
	}
	got := lines("Header:", items)
	if len(got) > maxMessage {
		t.Errorf("%d characters, more than %d", len(got), maxMessage)
	}
	if !strings.HasPrefix(got, "Header:\n• ") || !strings.Contains(got, "more.") {
		t.Errorf("got %q", got[len(got)-40:])
	}
	if got := lines("H:", []string{"a", "b"}); got != "H:\na\nb" {
		t.Errorf("short list: %q", got)
	}
}

func TestCleanAndParty(t *testing.T) {
	for _, c := range []struct {
		p    pbx.Party
		want string
	}{
		{pbx.Party{Name: "Bob Smith", Number: "1002"}, "Bob Smith (1002)"},
		{pbx.Party{Number: "1002"}, "1002"},
		{pbx.Party{Name: "1002", Number: "1002"}, "1002"},
		{pbx.Party{Name: "Alice"}, "Alice"},
		{pbx.Party{}, "an unknown caller"},
		{pbx.Party{Name: "a_b*c\r\n`d`"}, `a\_b\*c  \` + "`d\\`"},
		{pbx.Party{Name: strings.Repeat("é", 60)}, strings.Repeat("é", 47) + "…"},
	} {
		if got := party(c.p); got != c.want {
			t.Errorf("party(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
	if got := duration(109*time.Second + 400*time.Millisecond); got != "1m49s" {
		t.Errorf("duration: %q", got)
	}
	if got := timestamp(time.Unix(1700000000, 0)); got != "<t:1700000000:R>" {
		t.Errorf("timestamp: %q", got)
	}
}
