package fpbx

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

func TestCommandApplier(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		wantErr string
		stages  []string
	}{
		{"succeeds", []string{"sh", "-c", "echo Reloading; echo Reload complete"}, "", []string{"running", "done"}},
		{"fails with its output", []string{"sh", "-c", "echo 'Error: retrieve_conf failed' >&2; exit 3"}, "retrieve_conf failed", []string{"running"}},
		{"missing command", []string{"/nonexistent/fwconsole", "reload"}, "no such file", []string{"running"}},
		{"no command", nil, "no apply command", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stages []string
			a := &CommandApplier{Argv: tc.argv, Progress: func(p Progress) { stages = append(stages, p.Stage) }}
			res, err := a.Apply(context.Background())
			if tc.wantErr == "" {
				if err != nil || !strings.Contains(res.Output, "Reload complete") {
					t.Fatalf("Apply = %+v, %v", res, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Apply error %v, want one saying %q", err, tc.wantErr)
			}
			if strings.Join(stages, ",") != strings.Join(tc.stages, ",") {
				t.Errorf("progress %v, want %v", stages, tc.stages)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := (&CommandApplier{Argv: []string{"sleep", "10"}}).Apply(ctx)
		if err == nil || time.Since(start) > 5*time.Second {
			t.Fatalf("Apply = %v after %v, want it stopped by the context", err, time.Since(start))
		}
	})
}

// fakeFreePBX is FreePBX's API module as the GraphQL applier sees it: the
// OAuth2 token endpoint and the GraphQL endpoint with doreload and
// fetchApiStatus.
type fakeFreePBX struct {
	mu       sync.Mutex
	statuses []string // what fetchApiStatus answers, in turn
	polls    int
	refuse   bool // doreload answers status false
	queries  []string
}

func (f *fakeFreePBX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/admin/api/api/token":
		if r.FormValue("grant_type") != "client_credentials" || r.FormValue("client_id") != "id" || r.FormValue("client_secret") != "secret" {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"access_token": "tok", "token_type": "Bearer", "expires_in": 3600})
	case "/admin/api/api/gql":
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		var body struct{ Query string }
		json.NewDecoder(r.Body).Decode(&body)
		f.queries = append(f.queries, body.Query)
		switch {
		case strings.Contains(body.Query, "doreload"):
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"doreload": map[string]any{
				"status": !f.refuse, "message": "Doreload/apply config has been initiated. Please check the status using fetchApiStatus api with the returned transaction id", "transaction_id": "42"}}})
		case strings.Contains(body.Query, `fetchApiStatus(txnId: "42")`):
			msg := f.statuses[min(f.polls, len(f.statuses)-1)]
			f.polls++
			json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"fetchApiStatus": map[string]any{"status": true, "message": msg}}})
		default:
			json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{"message": "Cannot query field"}}})
		}
	default:
		http.NotFound(w, r)
	}
}

func TestGraphQLApplier(t *testing.T) {
	tests := []struct {
		name     string
		fake     *fakeFreePBX
		secret   string
		wantErr  string
		wantCode pbx.ErrorCode
		stages   string
	}{
		{"executed after polling", &fakeFreePBX{statuses: []string{"Processing", "Processing", "Executed"}}, "secret", "", 0, "queued,processing,processing,done"},
		{"the reload failed", &fakeFreePBX{statuses: []string{"Processing", "Failed"}}, "secret", "transaction 42 failed", 0, "queued,processing"},
		{"doreload refused", &fakeFreePBX{refuse: true}, "secret", "doreload refused", 0, ""},
		{"bad credentials", &fakeFreePBX{}, "wrong", "token", pbx.PermissionDenied, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.fake)
			defer srv.Close()
			var stages []string
			g := &GraphQLApplier{BaseURL: srv.URL + "/", ClientID: "id", ClientSecret: tc.secret, PollInterval: time.Millisecond,
				Progress: func(p Progress) { stages = append(stages, p.Stage) }}
			res, err := g.Apply(context.Background())
			if tc.wantErr == "" {
				if err != nil || res.Output != "Executed" {
					t.Fatalf("Apply = %+v, %v", res, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Apply error %v, want one saying %q", err, tc.wantErr)
			}
			if tc.wantCode != 0 && pbx.Code(err) != tc.wantCode {
				t.Errorf("code %s, want %s", pbx.Code(err), tc.wantCode)
			}
			if got := strings.Join(stages, ","); got != tc.stages {
				t.Errorf("progress %s, want %s", got, tc.stages)
			}
		})
	}
	t.Run("transaction ID is quoted, not spliced", func(t *testing.T) {
		fake := &fakeFreePBX{statuses: []string{"Executed"}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		g := &GraphQLApplier{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret"}
		if _, err := g.Apply(context.Background()); err != nil {
			t.Fatal(err)
		}
		if last := fake.queries[len(fake.queries)-1]; !strings.Contains(last, `txnId: "42"`) {
			t.Errorf("status query %q", last)
		}
	})
	t.Run("canceled while polling", func(t *testing.T) {
		fake := &fakeFreePBX{statuses: []string{"Processing"}}
		srv := httptest.NewServer(fake)
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		g := &GraphQLApplier{BaseURL: srv.URL, ClientID: "id", ClientSecret: "secret", PollInterval: 10 * time.Millisecond}
		if _, err := g.Apply(ctx); pbx.Code(err) != pbx.DeadlineExceeded {
			t.Fatalf("Apply = %v, want the deadline", err)
		}
	})
}

func TestReadSettings(t *testing.T) {
	dir := t.TempDir()
	php := dir + "/freepbx.conf"
	writeFile(t, php, `<?php
$amp_conf['AMPDBUSER'] = 'freepbxuser';
$amp_conf['AMPDBPASS'] = "p4ss";
$amp_conf['AMPDBHOST'] = 'localhost';
$amp_conf['AMPDBNAME'] = 'asterisk';
require_once('/var/www/html/admin/bootstrap.php');
`)
	kv := dir + "/amportal.conf"
	writeFile(t, kv, "# comment\nAMPMGRUSER=admin\nAMPMGRPASS=\"amp111\"\n; other comment\nASTSPOOLDIR=/var/spool/asterisk\nAMPDBPASS=older\n")
	s, err := ReadSettings(kv, php, dir+"/missing.conf")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"AMPDBUSER": "freepbxuser", "AMPDBPASS": "p4ss", "AMPMGRUSER": "admin", "AMPMGRPASS": "amp111", "ASTSPOOLDIR": "/var/spool/asterisk"} {
		if s[k] != want {
			t.Errorf("%s = %q, want %q", k, s[k], want)
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}
