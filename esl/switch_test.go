package esl

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/esl/esltest"
)

// TestSwitchThroughConn drives the simulated switch the way the FreeSWITCH
// backend will: commands through a Conn, results checked against events.
func TestSwitchThroughConn(t *testing.T) {
	srv := esltest.NewServer(t, nil)
	c := dial(t, srv, &Options{Events: []string{
		"CHANNEL_CREATE CHANNEL_ANSWER CHANNEL_BRIDGE CHANNEL_HANGUP_COMPLETE MESSAGE_WAITING",
		"CUSTOM sofia::register conference::maintenance callcenter::info",
	}})
	sub := c.Subscribe(0)
	defer sub.Close()
	next(t, sub)
	ctx := ctx5s(t)
	for _, u := range []string{"1000", "1001"} {
		if err := srv.Register(u, esltest.Registration{UserAgent: "Polycom VVX 411"}); err != nil {
			t.Fatal(err)
		}
		if ev := waitEvent(t, sub, "CUSTOM"); ev.Get("from-user") != u {
			t.Errorf("register %s", ev.String())
		}
	}
	users, err := c.API(ctx, "list_users")
	if err != nil || !strings.Contains(users, "1001|default|10.0.0.5|default|sofia/internal/sip:1001@") {
		t.Fatalf("%q %v", users, err)
	}

	srv.SetPhone("1001", esltest.Phone{Mode: esltest.Busy})
	_, err = c.API(ctx, "originate", "user/1001", "&park()")
	var fe *Error
	if !errors.As(err, &fe) || fe.Text() != "USER_BUSY" {
		t.Fatalf("busy: %v", err)
	}
	waitEvent(t, sub, "CHANNEL_HANGUP_COMPLETE")
	srv.SetPhone("1001", esltest.Phone{Mode: esltest.Answer, Delay: 20 * time.Millisecond})

	id := newUUID()
	vars, err := OriginateVars(map[string]string{"origination_uuid": id, "origination_caller_id_name": "Reception, desk 2"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := c.API(ctx, "originate", vars+"user/1000", "1001")
	if err != nil || reply != "+OK "+id+"\n" {
		t.Fatalf("originate %q %v", reply, err)
	}
	if ev := waitEvent(t, sub, "CHANNEL_CREATE"); ev.UniqueID() != id || ev.Get("Caller-Caller-ID-Name") != "Reception, desk 2" {
		t.Errorf("create %s", ev.String())
	}
	if ev := waitEvent(t, sub, "CHANNEL_BRIDGE"); ev.Get("Bridge-A-Unique-ID") != id {
		t.Errorf("bridge %s", ev.String())
	}
	out, err := c.API(ctx, "show", "calls", "as", "json")
	var calls struct {
		RowCount int                 `json:"row_count"`
		Rows     []map[string]string `json:"rows"`
	}
	if err != nil || json.Unmarshal([]byte(out), &calls) != nil || calls.RowCount != 1 || calls.Rows[0]["b_dest"] != "1001" {
		t.Fatalf("calls %q %v", out, err)
	}
	if _, err := c.API(ctx, "uuid_kill", id); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, sub, "CHANNEL_HANGUP_COMPLETE")
	waitEvent(t, sub, "CHANNEL_HANGUP_COMPLETE")
	if out, _ := c.API(ctx, "show", "channels", "as", "json"); out != "{\"row_count\": 0}\n" {
		t.Errorf("channels after hangup %q", out)
	}
	if _, err := c.API(ctx, "uuid_kill", id); !errors.As(err, &fe) || fe.Text() != "No such channel!" {
		t.Errorf("kill twice: %v", err)
	}

	status, _ := QuoteArg("Available (On Demand)")
	if _, err := c.API(ctx, "callcenter_config", "agent", "add", "1000@default", "callback"); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, sub, "CUSTOM"); ev.Get("CC-Action") != "agent-add" || ev.Get("CC-Agent-Type") != "callback" {
		t.Errorf("%s", ev.String())
	}
	if _, err := c.API(ctx, "callcenter_config", "agent", "set", "status", "1000@default", status); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, sub, "CUSTOM"); ev.Get("CC-Agent-Status") != "Available (On Demand)" {
		t.Errorf("%s", ev.String())
	}

	if _, _, err := srv.LeaveVoicemail("1000", "Eve", "5554000", time.Second, true); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, sub, "MESSAGE_WAITING"); ev.Get("MWI-Messages-Waiting") != "yes" || ev.Get("MWI-Voice-Message") != "1/0" || ev.Get("Update-Reason") != "NEW" {
		t.Errorf("%s", ev.String())
	}
	if _, err := c.API(ctx, "hash", "insert/dnd/1000/1"); err != nil {
		t.Fatal(err)
	}
	if v, ok := srv.HashValue("dnd", "1000"); !ok || v != "1" {
		t.Errorf("hash %q %v", v, ok)
	}
}
