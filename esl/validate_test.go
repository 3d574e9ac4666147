package esl

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckCommand(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		args []string
		want error
	}{
		{"status", nil, nil},
		{"uuid_kill", []string{"0a1b2c3d-aaaa-4bbb-8ccc-000000000001"}, nil},
		{"callcenter_config", []string{"agent", "set", "status", "1000@default", "'Available (On Demand)'"}, nil},
		{"originate", []string{`{origination_caller_id_name='John Doe',x=a\,b}user/1000`, "&park()"}, nil},
		{"db", []string{"insert/dnd/1000/1"}, nil},
		{"", nil, ErrInvalid},
		{"sta tus", nil, ErrInvalid},
		{"status\n\napi system", nil, ErrInvalid},
		{"uuid_kill", []string{"abc def"}, ErrInvalid},
		{"uuid_kill", []string{"abc\n\nbgapi system reboot"}, ErrInvalid},
		{"uuid_kill", []string{"abc\r"}, ErrInvalid},
		{"uuid_kill", []string{"a\x00b"}, ErrInvalid},
		{"uuid_kill", []string{"a\tb"}, ErrInvalid},
		{"uuid_kill", []string{""}, ErrInvalid},
		{"uuid_kill", []string{"'unbalanced"}, ErrInvalid},
		{"uuid_kill", []string{`trailing\`}, ErrInvalid},
		{"uuid_kill", []string{"\xff\xfe"}, ErrInvalid},
		{"echo", []string{"${system(rm -rf /)}"}, ErrForbidden},
		{"system", []string{"id"}, ErrForbidden},
		{"SYSTEM", []string{"id"}, ErrForbidden},
		{"bg_system", []string{"id"}, ErrForbidden},
		{"spawn", []string{"id"}, ErrForbidden},
		{"bg_spawn", []string{"id"}, ErrForbidden},
		{"bgapi", []string{"system", "id"}, ErrForbidden},
		{"sched_api", []string{"+1", "none", "system", "id"}, ErrForbidden},
		{"expand", []string{"system", "id"}, ErrForbidden},
		{"eval", []string{"x"}, ErrForbidden},
		{"luarun", []string{"x.lua"}, ErrForbidden},
		{"originate", []string{"user/1000", "&system(id)"}, ErrForbidden},
		{"originate", []string{"user/1000", "&bg_system(id)"}, ErrForbidden},
		{"originate", []string{"{api_hangup_hook='system id'}user/1000", "&park()"}, ErrForbidden},
		{"originate", []string{"[execute_on_answer=system]user/1000", "&park()"}, ErrForbidden},
		{"originate", []string{"user/1000", "system:id", "inline"}, ErrForbidden},
		{"uuid_broadcast", []string{"abc", "system::id", "aleg"}, ErrForbidden},
		{"uuid_transfer", []string{"abc", "'lua:x.lua'", "inline"}, ErrForbidden},
		{"uuid_setvar", []string{"abc", "api_hangup_hook", "'system id'"}, ErrForbidden},
		{"uuid_setvar", []string{"abc", "nolocal:execute_on_answer", "x"}, ErrForbidden},
		{"uuid_setvar_multi", []string{"abc", "a=b;session_in_hangup_hook=true;api_reporting_hook=x"}, ErrForbidden},
		{"uuid_setvar", []string{"abc", "effective_caller_id_name", "'Ann Lee'"}, nil},
	} {
		err := checkCommand(tc.cmd, tc.args)
		if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
			t.Errorf("%q %q: err %v, want %v", tc.cmd, tc.args, err, tc.want)
		}
	}
}

func TestOriginateVars(t *testing.T) {
	for _, tc := range []struct {
		vars map[string]string
		want string
		err  error
	}{
		{nil, "", nil},
		{map[string]string{"origination_uuid": "0a1b"}, "{origination_uuid=0a1b}", nil},
		{map[string]string{"b": "2", "a": "1"}, "{a=1,b=2}", nil},
		{map[string]string{"origination_caller_id_name": "John Doe"}, "{origination_caller_id_name='John Doe'}", nil},
		{map[string]string{"x": "a,b"}, `{x=a\,b}`, nil},
		{map[string]string{"x": "Doe, John"}, `{x='Doe\, John'}`, nil},
		{map[string]string{"sip_h_X-Account": "42=x;y"}, "{sip_h_X-Account=42=x;y}", nil},
		{map[string]string{"x": "Café <Boss> 100% & co"}, "{x='Café <Boss> 100% & co'}", nil},
		{map[string]string{"x": "it's"}, "", ErrInvalid},
		{map[string]string{"x": `a"b`}, "", ErrInvalid},
		{map[string]string{"x": `a\b`}, "", ErrInvalid},
		{map[string]string{"x": "a}b"}, "", ErrInvalid},
		{map[string]string{"x": "a{b"}, "", ErrInvalid},
		{map[string]string{"x": "[a]"}, "", ErrInvalid},
		{map[string]string{"x": "a|b"}, "", ErrInvalid},
		{map[string]string{"x": "a:_:b"}, "", ErrInvalid},
		{map[string]string{"x": " a"}, "", ErrInvalid},
		{map[string]string{"x": "a "}, "", ErrInvalid},
		{map[string]string{"x": ""}, "", ErrInvalid},
		{map[string]string{"x": "a\nb"}, "", ErrInvalid},
		{map[string]string{"x": "a\x00"}, "", ErrInvalid},
		{map[string]string{"x y": "1"}, "", ErrInvalid},
		{map[string]string{"x=y": "1"}, "", ErrInvalid},
		{map[string]string{"": "1"}, "", ErrInvalid},
		{map[string]string{"x": "${system(id)}"}, "", ErrForbidden},
		{map[string]string{"api_hangup_hook": "system id"}, "", ErrForbidden},
		{map[string]string{"execute_on_answer": "park"}, "", ErrForbidden},
		{map[string]string{"exec_after_bridge_app": "park"}, "", ErrForbidden},
	} {
		got, err := OriginateVars(tc.vars)
		if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q, %v", tc.vars, got, err, tc.want, tc.err)
		}
		if err == nil && got != "" {
			if err := checkArg(got + "user/1000"); err != nil {
				t.Errorf("%q: the block does not pass as an argument: %v", got, err)
			}
		}
	}
}

func TestQuoteArg(t *testing.T) {
	for in, want := range map[string]string{"Available (On Demand)": "'Available (On Demand)'", "x": "'x'", "": "''"} {
		got, err := QuoteArg(in)
		if err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
		if err := checkArg(got); in != "" && err != nil {
			t.Errorf("%q: quoted arg refused: %v", in, err)
		}
	}
	for _, in := range []string{"it's", `a\b`, "a\nb", "${x}"} {
		if _, err := QuoteArg(in); err == nil {
			t.Errorf("%q: accepted", in)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Command: "originate", Reply: "-ERR USER_BUSY\n"}
	if e.Text() != "USER_BUSY" || !strings.Contains(e.Error(), "originate: USER_BUSY") {
		t.Errorf("%q %q", e.Text(), e.Error())
	}
	for s, want := range map[string]bool{"-ERR x": true, "-USAGE: y": true, "-OK\n": false, "+OK": false, "\n-ERR z": true} {
		if isErrorReply(s) != want {
			t.Errorf("isErrorReply(%q) != %v", s, want)
		}
	}
}
