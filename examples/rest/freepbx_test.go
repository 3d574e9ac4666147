package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/internal/asttest"
	"github.com/pbxkit/pbxkit/internal/distrotest"
)

// TestAgainstFreePBX serves the API over FreePBX's databases and a real
// Asterisk (--pbx freepbx://...): the user's extension comes from the
// database, a call-me rings the registered phone through originate-skipvm
// and is listed and hung up, and the DND toggle reaches astdb.
func TestAgainstFreePBX(t *testing.T) {
	env, err := asttest.NewDistro(context.Background(), t, distrotest.FreePBX)
	if err != nil {
		t.Fatal(err)
	}
	tokens := writeTokens(t, `{"tokens": [{"token": "alice-token-0123456789abcdef", "extension": "1001"}]}`)
	r := startRun(t, "--pbx="+env.URL(t, "freepbx"), "--tokens="+tokens)
	call := func(method, path string, body ...string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, r.base+path, strings.NewReader(strings.Join(body, "")))
		req.Header.Set("Authorization", "Bearer alice-token-0123456789abcdef")
		if len(body) > 0 {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if len(data) > 0 && data[0] == '{' {
			if err := json.Unmarshal(data, &out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, data)
			}
		} else {
			out = map[string]any{"list": string(data)}
		}
		return resp.StatusCode, out
	}

	if code, me := call("GET", "/extensions/me"); code != 200 || !strings.Contains(jsonText(me), "Alice") {
		t.Fatalf("GET /extensions/me: %d %v", code, me)
	}
	if code, out := call("POST", "/extensions/me/callme?mode=hold"); code != 200 {
		t.Fatalf("callme: %d %v", code, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, out := call("GET", "/extensions/me/calls")
		if s := jsonText(out); strings.Contains(s, "MusicOnHold") && strings.Contains(s, "originate-skipvm") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the call-me never showed in MusicOnHold: %v", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The legs are the Local channel FreePBX originates on and the phone's;
	// hanging up one may end the other before its turn, so the reply lists
	// at least one of them.
	if code, out := call("DELETE", "/extensions/me/calls"); code != 200 || !strings.Contains(jsonText(out), "1001") {
		t.Fatalf("hang-up: %d %v", code, out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, out := call("GET", "/extensions/me/calls")
		if !strings.Contains(jsonText(out), "1001") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("calls remain after the hang-up: %v", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, out := call("POST", "/extensions/me/dnd", `{"dndStatus": true}`); code != 200 {
		t.Fatalf("dnd on: %d %v", code, out)
	}
	if out, err := env.Srv.CLI(t.Context(), "database get DND 1001"); err != nil || !strings.Contains(out, "YES") {
		t.Fatalf("astdb DND/1001 after the toggle: %q, %v", out, err)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
