package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/pbxkit/pbxkit/examples/internal/tokenfile"
	"github.com/pbxkit/pbxkit/pbx"
)

// These tests hold pbxd to LiteNet's OpenAPI document (openapi.json, as
// published): every request the tests send and every response pbxd gives,
// errors included, goes through kin-openapi's openapi3filter.ValidateRequest
// and ValidateResponse. Each response is checked twice: against the document
// as published, and against a strict copy in which every object schema
// lists all its properties as required and forbids others, which proves that
// bodies carry exactly the document's field names.

func init() {
	// The voicemail download is "audio/wav" with a binary string schema.
	openapi3filter.RegisterBodyDecoder("audio/wav", openapi3filter.FileBodyDecoder)
}

// spec is the document loaded for validation.
type spec struct {
	doc, strict *openapi3.T
	router      routers.Router // on doc
	strictRoute routers.Router // on strict
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

func loadSpec(t *testing.T) *spec {
	t.Helper()
	specOnce.Do(func() {
		load := func() (*openapi3.T, routers.Router, error) {
			doc, err := openapi3.NewLoader().LoadFromData(openapiJSON)
			if err != nil {
				return nil, nil, err
			}
			r, err := gorillamux.NewRouter(doc)
			return doc, r, err
		}
		s := &spec{}
		if s.doc, s.router, specErr = load(); specErr != nil {
			return
		}
		if s.strict, s.strictRoute, specErr = load(); specErr != nil {
			return
		}
		tighten(s.strict)
		specVal = s
	})
	if specErr != nil {
		t.Fatalf("loading openapi.json: %v", specErr)
	}
	return specVal
}

// tighten makes every object schema of the responses require all its
// properties and refuse others (where it does not declare
// additionalProperties itself, as CallRecords.records and the survey's maps
// do).
func tighten(doc *openapi3.T) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 {
			s.Required = slices.Sorted(func(yield func(string) bool) {
				for k := range s.Properties {
					if !yield(k) {
						return
					}
				}
			})
			if s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
				no := false
				s.AdditionalProperties.Has = &no
			}
		}
		for _, p := range s.Properties {
			walk(p)
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
	}
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, resp := range op.Responses.Map() {
				if resp.Value == nil {
					continue
				}
				for _, mt := range resp.Value.Content {
					walk(mt.Schema)
				}
			}
		}
	}
}

// errorSchema is the shape of every error body (the document has none).
var errorSchema = openapi3.NewObjectSchema().
	WithProperty("error", openapi3.NewObjectSchema().
		WithProperty("code", openapi3.NewStringSchema().WithPattern(`^[a-z_]+$`)).
		WithProperty("message", openapi3.NewStringSchema().WithMinLength(1)).
		WithoutAdditionalProperties().WithRequired([]string{"code", "message"})).
	WithoutAdditionalProperties().WithRequired([]string{"error"})

// bearerPresent is the AuthenticationFunc of the validator: the document's
// BearerAuth scheme is satisfied by any "Bearer <token>" header; whether
// the token is valid is pbxd's business.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecuritySchemeName != "BearerAuth" {
		return fmt.Errorf("unknown security scheme %q", in.SecuritySchemeName)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if tok, ok := strings.CutPrefix(h, "Bearer "); !ok || strings.TrimSpace(tok) == "" {
		return errors.New("no bearer token")
	}
	return nil
}

// exchange is one request checked against the document.
type exchange struct {
	method, path string // path with its query
	token        string // "" sends no Authorization header
	body         string // JSON; "" for none
	contentType  string // defaults to application/json when there is a body
}

// validated is what validate returns.
type validated struct {
	response
	requestErr error // ValidateRequest's verdict on the request
	op         *openapi3.Operation
	opKey      string // "GET /extensions/me"
}

// validate sends x to ts and validates the request and the response against
// the document. Responses are always validated; undocumented statuses
// (pbxd's errors) must carry a JSON error body.
func (sp *spec) validate(t *testing.T, ts *testServer, x exchange) validated {
	t.Helper()
	// The document's local server is http://localhost:3001: route the
	// request as if it had been sent there.
	newReq := func(base string) *http.Request {
		var body io.Reader
		if x.body != "" {
			body = strings.NewReader(x.body)
		}
		req, err := http.NewRequestWithContext(t.Context(), x.method, base+x.path, body)
		if err != nil {
			t.Fatal(err)
		}
		if x.body != "" {
			ct := x.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
		}
		if x.token != "" {
			req.Header.Set("Authorization", "Bearer "+x.token)
		}
		return req
	}
	var out validated
	check := func(r routers.Router, doc string) {
		req := newReq("http://localhost:3001")
		route, params, err := r.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s is not an operation of the document: %v", x.method, x.path, err)
		}
		out.op = route.Operation
		out.opKey = x.method + " " + route.Path
		in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, MultiError: true}}
		reqErr := openapi3filter.ValidateRequest(t.Context(), in)
		if doc == "published" {
			out.requestErr = reqErr
			out.response = ts.send(t, newReq(ts.URL))
		}
		rin := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: in, Status: out.status, Header: out.header,
			Body:    io.NopCloser(bytes.NewReader(out.body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: out.status < 300, MultiError: true},
		}
		if err := openapi3filter.ValidateResponse(t.Context(), rin); err != nil {
			t.Errorf("%s %s: the %d response does not match the %s document: %v\nbody: %s",
				x.method, x.path, out.status, doc, err, out.body)
		}
	}
	check(sp.router, "published")
	check(sp.strictRoute, "strict")
	if out.status >= 400 {
		var v any
		if err := jsonUnmarshal(out.body, &v); err != nil {
			t.Errorf("%s %s: %d error body is not JSON: %s", x.method, x.path, out.status, out.body)
		} else if err := errorSchema.VisitJSON(v); err != nil {
			t.Errorf("%s %s: %d error body does not match the error schema: %v\n%s", x.method, x.path, out.status, err, out.body)
		}
	}
	return out
}

// TestSpecDocument pins down the document's two known defects, which is why
// pbxd and these tests load it with kin-openapi's loader and gorillamux
// router (which do not require a valid document) instead of validating it:
// the stale schema copies under components.securitySchemes, and info.version,
// which the redaction of "Bearer ..." swallowed into info.description.
// Everything else validates.
func TestSpecDocument(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(openapiJSON)
	if err != nil {
		t.Fatalf("kin-openapi cannot load the document: %v", err)
	}
	if err := doc.Validate(t.Context()); err == nil {
		t.Fatal("the published document validates: its quirks are gone, update README.md and this test")
	} else if !strings.Contains(err.Error(), "security scheme") {
		t.Fatalf("unexpected validation error: %v", err)
	}
	stale := 0
	for name := range doc.Components.SecuritySchemes {
		if name != "BearerAuth" {
			delete(doc.Components.SecuritySchemes, name)
			stale++
		}
	}
	if stale != 8 {
		t.Errorf("%d stale schemas in securitySchemes, want 8", stale)
	}
	if err := doc.Validate(t.Context()); err == nil || !strings.Contains(err.Error(), "version") {
		t.Fatalf("after dropping the stale schemas: %v, want the missing info.version", err)
	}
	doc.Info.Version = "1.0.0" // as the swallowed text says
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("the repaired copy does not validate: %v", err)
	}
	n := 0
	for _, item := range doc.Paths.Map() {
		n += len(item.Operations())
	}
	if n != 18 {
		t.Errorf("the document has %d operations, want 18", n)
	}
}

// specCase is one exchange of TestSpecOperations with what it must give.
type specCase struct {
	name   string
	x      exchange
	status int
	// reqValid is whether the document itself accepts the request. pbxd
	// must refuse (4xx) what the document refuses.
	reqValid bool
	code     string                      // the error code, for errors
	check    func(*testing.T, validated) // more checks on a success
	setup    func(*testing.T, *testServer) map[string]string
}

// placeholders replaces {name} in path and body with values the setup found.
func placeholders(s string, vals map[string]string) string {
	for k, v := range vals {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// voicemailIDs finds a message of 1010's INBOX and one of 1001's.
func voicemailIDs(t *testing.T, ts *testServer) map[string]string {
	return map[string]string{
		"mine":  string(ts.messageID(t, "1010", pbx.FolderInbox)),
		"other": string(ts.messageID(t, "1001", pbx.FolderInbox)),
	}
}

var (
	hhmmssRE      = regexp.MustCompile(`^\d{2}:\d{2}:\d{2}$`)
	msgNumberRE   = regexp.MustCompile(`^msg\d{4}$`)
	vmDateRE      = regexp.MustCompile(`^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ 123]\d \d{2}:\d{2}:\d{2} (AM|PM) UTC \d{4}$`)
	decimalRE     = regexp.MustCompile(`^\d+\.\d{2}$`)
	monthlyKeyRE  = regexp.MustCompile(`^monthly_total_\d{4}-\d{2}$`)
	jsonUnmarshal = func(b []byte, v any) error { return jsonDecoder(bytes.NewReader(b)).Decode(v) }
)

func specCases() []specCase {
	const tok = tokenfile.DemoToken
	const bogus = "00000000-0000-4000-8000-000000000000"
	vm := voicemailIDs
	return []specCase{
		// GET /extensions/me
		{name: "me", x: exchange{method: "GET", path: "/extensions/me", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var d extensionDetails
				v.json(t, &d)
				id, _ := base64.StdEncoding.DecodeString(d.ID)
				if d.ExtensionID != "1010" || d.User.Name != "rocord" || string(id) != "extension:1010" ||
					d.User.ExtPassword != "REDACTED" || d.CoreDevice.Dial != "PJSIP/1010" || !d.Status {
					t.Errorf("extension details: %+v", d)
				}
			}},
		{name: "me without token", x: exchange{method: "GET", path: "/extensions/me"}, status: 401, code: codeUnauthorized},
		{name: "me with unknown token", x: exchange{method: "GET", path: "/extensions/me", token: bogus}, status: 401, reqValid: true, code: codeUnauthorized},
		{name: "me with short token", x: exchange{method: "GET", path: "/extensions/me", token: "x"}, status: 401, reqValid: true, code: codeUnauthorized},

		// GET /extensions/me/devicestatus
		{name: "devicestatus", x: exchange{method: "GET", path: "/extensions/me/devicestatus", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var d deviceStatus
				v.json(t, &d)
				if d.Extension != "1010" || d.DeviceState != "In use" || d.ActiveChannels == nil || !strings.HasPrefix(*d.ActiveChannels, "PJSIP/1010-") {
					t.Errorf("device status: %s", v.body)
				}
			}},
		{name: "devicestatus idle has null channels", x: exchange{method: "GET", path: "/extensions/me/devicestatus", token: tok}, status: 200, reqValid: true,
			setup: func(t *testing.T, ts *testServer) map[string]string {
				if _, err := ts.client.Calls().HangupExtension(t.Context(), "1010"); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			check: func(t *testing.T, v validated) {
				if !bytes.Contains(v.body, []byte(`"activeChannels":null`)) || !bytes.Contains(v.body, []byte(`"deviceState":"Registered"`)) {
					t.Errorf("idle device status: %s", v.body)
				}
			}},
		{name: "devicestatus without token", x: exchange{method: "GET", path: "/extensions/me/devicestatus"}, status: 401, code: codeUnauthorized},

		// GET /extensions/me/calls
		{name: "calls", x: exchange{method: "GET", path: "/extensions/me/calls", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var calls []activeCall
				v.json(t, &calls)
				if len(calls) != 1 || calls[0].UniqueID != "1700000000.101" || calls[0].Application != "MusicOnHold" ||
					calls[0].State != "Up" || !hhmmssRE.MatchString(calls[0].Duration) || calls[0].Duration < "00:01:49" ||
					calls[0].Caller.Name != "Call Me Test (MusicOnHold)" {
					t.Errorf("calls: %s", v.body)
				}
			}},
		{name: "calls without token", x: exchange{method: "GET", path: "/extensions/me/calls"}, status: 401, code: codeUnauthorized},

		// DELETE /extensions/me/calls
		{name: "hang up all", x: exchange{method: "DELETE", path: "/extensions/me/calls", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var r hangupResult
				v.json(t, &r)
				if len(r.TerminatedChannels) != 1 || !strings.HasPrefix(r.TerminatedChannels[0], "PJSIP/1010-") ||
					r.Message != "Successfully requested termination for 1 call(s) for extension 1010." {
					t.Errorf("hang-up: %s", v.body)
				}
			}},
		{name: "hang up without calls", x: exchange{method: "DELETE", path: "/extensions/me/calls", token: tok}, status: 200, reqValid: true,
			setup: func(t *testing.T, ts *testServer) map[string]string {
				_, _ = ts.client.Calls().HangupExtension(t.Context(), "1010")
				return nil
			},
			check: func(t *testing.T, v validated) {
				if !bytes.Contains(v.body, []byte(`"terminatedChannels":[]`)) {
					t.Errorf("hang-up without calls: %s", v.body)
				}
			}},
		{name: "hang up without token", x: exchange{method: "DELETE", path: "/extensions/me/calls"}, status: 401, code: codeUnauthorized},

		// POST /extensions/me/callme
		{name: "callme hold", x: exchange{method: "POST", path: "/extensions/me/callme?mode=hold", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				if !bytes.Contains(v.body, []byte(`"Successfully initiated hold call to extension 1010."`)) {
					t.Errorf("callme: %s", v.body)
				}
			}},
		{name: "callme echo with caller ID and auto-answer", x: exchange{method: "POST", token: tok,
			path: "/extensions/me/callme?mode=echo&callerId=%2B15551234567&autoAnswerMode=intercom"}, status: 200, reqValid: true},
		{name: "callme with a caller ID name", x: exchange{method: "POST", token: tok,
			path: "/extensions/me/callme?mode=echo&callerId=Front+desk"}, status: 200, reqValid: true},
		{name: "callme unknown mode", x: exchange{method: "POST", path: "/extensions/me/callme?mode=loud", token: tok}, status: 400, code: codeInvalid},
		{name: "callme without mode", x: exchange{method: "POST", path: "/extensions/me/callme", token: tok}, status: 400, code: codeInvalid},
		{name: "callme caller ID with quotes", x: exchange{method: "POST", token: tok,
			path: "/extensions/me/callme?mode=hold&callerId=%22Bank%22+%3C911%3E"}, status: 400, reqValid: true, code: codeInvalid},
		{name: "callme caller ID with a newline", x: exchange{method: "POST", token: tok,
			path: "/extensions/me/callme?mode=hold&callerId=a%0D%0AAction:+Command"}, status: 400, reqValid: true, code: codeInvalid},
		{name: "callme unknown auto-answer mode", x: exchange{method: "POST", token: tok,
			path: "/extensions/me/callme?mode=hold&autoAnswerMode=sideways"}, status: 400, reqValid: true, code: codeInvalid},
		{name: "callme unregistered device", x: exchange{method: "POST", path: "/extensions/me/callme?mode=hold", token: tok}, status: 409, reqValid: true,
			code: "failed_precondition",
			setup: func(t *testing.T, ts *testServer) map[string]string {
				if err := ts.pbx.Unregister("1010"); err != nil {
					t.Fatal(err)
				}
				return nil
			}},
		{name: "callme without token", x: exchange{method: "POST", path: "/extensions/me/callme?mode=hold"}, status: 401, code: codeUnauthorized},

		// POST /extensions/me/resetsecret
		{name: "reset secret", x: exchange{method: "POST", path: "/extensions/me/resetsecret", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var r newSecretBody
				v.json(t, &r)
				if len(r.NewSecret) < 16 || v.header.Get("Cache-Control") != "no-store" {
					t.Errorf("reset secret: %s %v", v.body, v.header)
				}
			}},
		{name: "reset secret without token", x: exchange{method: "POST", path: "/extensions/me/resetsecret"}, status: 401, code: codeUnauthorized},

		// GET and POST /extensions/me/dnd
		{name: "dnd", x: exchange{method: "GET", path: "/extensions/me/dnd", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				if string(bytes.TrimSpace(v.body)) != `{"extension":"1010","dndStatus":false}` {
					t.Errorf("dnd: %s", v.body)
				}
			}},
		{name: "dnd without token", x: exchange{method: "GET", path: "/extensions/me/dnd"}, status: 401, code: codeUnauthorized},
		{name: "set dnd", x: exchange{method: "POST", path: "/extensions/me/dnd", token: tok, body: `{"dndStatus":true}`}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				if string(bytes.TrimSpace(v.body)) != `{"message":"DND status for extension 1010 set to true.","extension":"1010","dndStatus":true}` {
					t.Errorf("set dnd: %s", v.body)
				}
			}},
		{name: "set dnd without dndStatus", x: exchange{method: "POST", path: "/extensions/me/dnd", token: tok, body: `{}`}, status: 400, code: codeInvalid},
		{name: "set dnd with a string", x: exchange{method: "POST", path: "/extensions/me/dnd", token: tok, body: `{"dndStatus":"yes"}`}, status: 400, code: codeInvalid},
		{name: "set dnd with broken JSON", x: exchange{method: "POST", path: "/extensions/me/dnd", token: tok, body: `{"dndStatus":`}, status: 400, code: codeInvalid},
		{name: "set dnd as text", x: exchange{method: "POST", path: "/extensions/me/dnd", token: tok, body: `{"dndStatus":true}`, contentType: "text/plain"},
			status: 415, code: codeMediaType},
		{name: "set dnd with a huge body", x: exchange{method: "POST", path: "/extensions/me/dnd", token: tok,
			body: `{"dndStatus":true,"pad":"` + strings.Repeat("x", maxBody) + `"}`}, status: 413, reqValid: true, code: codeTooLarge},
		{name: "set dnd without token", x: exchange{method: "POST", path: "/extensions/me/dnd", body: `{"dndStatus":true}`}, status: 401, code: codeUnauthorized},

		// GET /extensions/me/endpoint
		{name: "endpoints", x: exchange{method: "GET", path: "/extensions/me/endpoint", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var d []registeredDevice
				v.json(t, &d)
				if len(d) != 1 || d[0].Port != "5060" || !decimalRE.MatchString(d[0].PingMs) || d[0].IP != "192.168.1.100" ||
					!strings.HasPrefix(d[0].UserAgent, "Linphone/") {
					t.Errorf("endpoints: %s", v.body)
				}
			}},
		{name: "endpoints without token", x: exchange{method: "GET", path: "/extensions/me/endpoint"}, status: 401, code: codeUnauthorized},

		// GET /extensions/me/voicemails
		{name: "voicemails", x: exchange{method: "GET", path: "/extensions/me/voicemails", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var list []voicemail
				v.json(t, &list)
				if len(list) != 4 {
					t.Fatalf("%d voicemails, want 4: %s", len(list), v.body)
				}
				for _, m := range list {
					if !vmDateRE.MatchString(m.Date) || !msgNumberRE.MatchString(m.OriginalMessageID) || !m.HasAudio || m.FileSize <= 0 ||
						m.MessageID == "" || m.Duration <= 0 {
						t.Errorf("voicemail %+v", m)
					}
				}
			}},
		{name: "voicemails without token", x: exchange{method: "GET", path: "/extensions/me/voicemails"}, status: 401, code: codeUnauthorized},

		// GET /extensions/me/voicemails/{messageId}/download
		{name: "download", x: exchange{method: "GET", path: "/extensions/me/voicemails/{mine}/download", token: tok}, status: 200, reqValid: true,
			setup: vm, check: func(t *testing.T, v validated) {
				if !bytes.HasPrefix(v.body, []byte("RIFF")) || v.header.Get("Content-Type") != "audio/wav" {
					t.Errorf("download: %s %q", v.header.Get("Content-Type"), v.body[:min(16, len(v.body))])
				}
			}},
		{name: "download from another mailbox", x: exchange{method: "GET", path: "/extensions/me/voicemails/{other}/download", token: tok},
			status: 404, reqValid: true, code: codeNotFound, setup: vm},
		{name: "download unknown message", x: exchange{method: "GET", path: "/extensions/me/voicemails/deadbeef/download", token: tok},
			status: 404, reqValid: true, code: codeNotFound},
		{name: "download malformed ID", x: exchange{method: "GET", path: "/extensions/me/voicemails/..%2F1001/download", token: tok},
			status: 400, reqValid: true, code: codeInvalid},
		{name: "download without token", x: exchange{method: "GET", path: "/extensions/me/voicemails/{mine}/download"},
			status: 401, code: codeUnauthorized, setup: vm},

		// PATCH /extensions/me/voicemails/{messageId}/move
		{name: "move", x: exchange{method: "PATCH", path: "/extensions/me/voicemails/{mine}/move", token: tok, body: `{"targetFolder":"Friends"}`},
			status: 200, reqValid: true, setup: vm, check: func(t *testing.T, v validated) {
				var r moveResult
				v.json(t, &r)
				if r.SourceFolder != "INBOX" || r.TargetFolder != "Friends" || r.NewMessageNumber != "msg0000" ||
					r.Message != "Voicemail moved from INBOX to Friends." {
					t.Errorf("move: %s", v.body)
				}
			}},
		{name: "move to an unknown folder", x: exchange{method: "PATCH", path: "/extensions/me/voicemails/{mine}/move", token: tok, body: `{"targetFolder":"Trash"}`},
			status: 400, code: codeInvalid, setup: vm},
		{name: "move to a folder spelled differently", x: exchange{method: "PATCH", path: "/extensions/me/voicemails/{mine}/move", token: tok, body: `{"targetFolder":"inbox"}`},
			status: 400, code: codeInvalid, setup: vm},
		{name: "move without folder", x: exchange{method: "PATCH", path: "/extensions/me/voicemails/{mine}/move", token: tok, body: `{}`},
			status: 400, code: codeInvalid, setup: vm},
		{name: "move from another mailbox", x: exchange{method: "PATCH", path: "/extensions/me/voicemails/{other}/move", token: tok, body: `{"targetFolder":"Old"}`},
			status: 404, reqValid: true, code: codeNotFound, setup: vm},
		{name: "move without token", x: exchange{method: "PATCH", path: "/extensions/me/voicemails/{mine}/move", body: `{"targetFolder":"Old"}`},
			status: 401, code: codeUnauthorized, setup: vm},

		// DELETE /extensions/me/voicemails/{messageId}
		{name: "delete voicemail", x: exchange{method: "DELETE", path: "/extensions/me/voicemails/{mine}", token: tok}, status: 200, reqValid: true,
			setup: vm, check: func(t *testing.T, v validated) {
				var r deleteResult
				v.json(t, &r)
				if r.Folder != "INBOX" || r.OriginalMessageID != "msg0000" || r.Message != "Voicemail msg0000 deleted permanently from INBOX." {
					t.Errorf("delete: %s", v.body)
				}
			}},
		{name: "delete from another mailbox", x: exchange{method: "DELETE", path: "/extensions/me/voicemails/{other}", token: tok},
			status: 404, reqValid: true, code: codeNotFound, setup: vm},
		{name: "delete malformed ID", x: exchange{method: "DELETE", path: "/extensions/me/voicemails/a.b", token: tok},
			status: 400, reqValid: true, code: codeInvalid},
		{name: "delete without token", x: exchange{method: "DELETE", path: "/extensions/me/voicemails/{mine}"}, status: 401, code: codeUnauthorized, setup: vm},

		// GET /conferences (public)
		{name: "conferences", x: exchange{method: "GET", path: "/conferences"}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				if string(bytes.TrimSpace(v.body)) != `[{"conferenceId":"400","parties":2,"marked":1,"locked":false}]` {
					t.Errorf("conferences: %s", v.body)
				}
			}},

		// GET /conferences/{conferenceId} (public)
		{name: "participants", x: exchange{method: "GET", path: "/conferences/400"}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var ps []participant
				v.json(t, &ps)
				if len(ps) != 2 || !ps[0].Admin || !ps[1].Muted || ps[0].CallerIDNum != "1004" {
					t.Errorf("participants: %s", v.body)
				}
			}},
		{name: "participants of an idle room", x: exchange{method: "GET", path: "/conferences/999"}, status: 404, reqValid: true, code: codeNotFound},
		{name: "participants of a malformed room", x: exchange{method: "GET", path: "/conferences/-rf"}, status: 400, reqValid: true, code: codeInvalid},

		// POST /conferences/{conferenceId}/connectme
		{name: "connect me", x: exchange{method: "POST", path: "/conferences/400/connectme", token: tok}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				if !bytes.Contains(v.body, []byte("conference 400")) {
					t.Errorf("connect me: %s", v.body)
				}
			}},
		{name: "connect me to a malformed room", x: exchange{method: "POST", path: "/conferences/a%20b/connectme", token: tok}, status: 400, reqValid: true, code: codeInvalid},
		{name: "connect me without token", x: exchange{method: "POST", path: "/conferences/400/connectme"}, status: 401, code: codeUnauthorized},

		// GET /system/records (public)
		{name: "records", x: exchange{method: "GET", path: "/system/records"}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var r struct {
					Records map[string]any `json:"records"`
				}
				v.json(t, &r)
				months, sum := 0, 0.0
				for k, n := range r.Records {
					if monthlyKeyRE.MatchString(k) {
						months++
						sum += n.(float64)
					}
				}
				if months < 2 || sum != r.Records["total_calls_ever_placed"] {
					t.Errorf("records: %d months summing to %v: %s", months, sum, v.body)
				}
			}},

		// GET /system/survey (public)
		{name: "survey", x: exchange{method: "GET", path: "/system/survey"}, status: 200, reqValid: true,
			check: func(t *testing.T, v validated) {
				var s surveyData
				v.json(t, &s)
				if s.PhoneTypes[typeSoftphone] != 4 || s.PhoneTypes[typeIPPhone] != 2 || s.Brands["Linphone"] != 2 || s.Brands["Yealink"] != 1 {
					t.Errorf("survey: %s", v.body)
				}
			}},
		{name: "survey with an unknown phone", x: exchange{method: "GET", path: "/system/survey"}, status: 200, reqValid: true,
			setup: func(t *testing.T, ts *testServer) map[string]string {
				if err := ts.pbx.Register("1005", pbx.Contact{IP: "192.0.2.15", Port: 5060, UserAgent: "FrobPhone 9000"}); err != nil {
					t.Fatal(err)
				}
				return nil
			},
			check: func(t *testing.T, v validated) {
				if !bytes.Contains(v.body, []byte(`"needsCategorization":[{"ua":"FrobPhone 9000"}]`)) {
					t.Errorf("survey: %s", v.body)
				}
			}},
	}
}

// TestSpecOperations runs every operation of the document, successes and
// failures, on a fresh demo PBX each, validating every request and response
// against the document; then it checks that each of the 18 operations had a
// validated success, and each secured one a 401.
func TestSpecOperations(t *testing.T) {
	sp := loadSpec(t)
	var mu sync.Mutex
	ok2xx, ok401 := map[string]bool{}, map[string]bool{}
	for _, c := range specCases() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ts := newTestServer(t, nil, nil)
			x := c.x
			if c.setup != nil {
				vals := c.setup(t, ts)
				x.path, x.body = placeholders(x.path, vals), placeholders(x.body, vals)
			}
			v := sp.validate(t, ts, x)
			if v.status != c.status {
				t.Fatalf("%s %s: status %d, want %d; body: %s", x.method, x.path, v.status, c.status, v.body)
			}
			switch {
			case c.reqValid && v.requestErr != nil:
				t.Errorf("the document refuses the request: %v", v.requestErr)
			case !c.reqValid && v.requestErr == nil:
				t.Errorf("the document accepts the request, but the case says it does not")
			}
			if c.status >= 400 {
				if got := v.errorCode(t); got != c.code {
					t.Errorf("error code %q, want %q (%s)", got, c.code, v.body)
				}
			} else if c.check != nil {
				c.check(t, v)
			}
			mu.Lock()
			defer mu.Unlock()
			if v.status < 300 {
				ok2xx[v.opKey] = true
			}
			if v.status == 401 {
				ok401[v.opKey] = true
			}
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for path, item := range sp.doc.Paths.Map() {
			for method, op := range item.Operations() {
				key := method + " " + path
				if !ok2xx[key] {
					t.Errorf("%s: no validated success", key)
				}
				if op.Security != nil && len(*op.Security) > 0 && !ok401[key] {
					t.Errorf("%s: no 401 case", key)
				}
			}
		}
		if len(ok2xx) != 18 {
			t.Errorf("%d operations succeeded, want 18", len(ok2xx))
		}
	})
}

// TestSpecSecurity derives from the document which operations are public and
// which need the bearer token, and checks pbxd agrees: without a token the
// secured ones answer 401 (and the document's validator refuses the
// request), the public ones answer.
func TestSpecSecurity(t *testing.T) {
	sp := loadSpec(t)
	ts := newTestServer(t, nil, nil)
	sample := map[string]string{"{messageId}": "deadbeef", "{conferenceId}": "400"}
	for path, item := range sp.doc.Paths.Map() {
		for method, op := range item.Operations() {
			secured := op.Security != nil && len(*op.Security) > 0
			t.Run(method+" "+path, func(t *testing.T) {
				p := path
				for k, v := range sample {
					p = strings.ReplaceAll(p, k, v)
				}
				x := exchange{method: method, path: p}
				switch {
				case strings.HasSuffix(p, "/callme"):
					x.path += "?mode=hold"
				case strings.HasSuffix(p, "/dnd") && method == "POST":
					x.body = `{"dndStatus":false}`
				case strings.HasSuffix(p, "/move"):
					x.body = `{"targetFolder":"Old"}`
				}
				v := sp.validate(t, ts, x)
				if secured {
					if v.status != 401 || v.header.Get("WWW-Authenticate") == "" {
						t.Errorf("secured operation answered %d without a token: %s", v.status, v.body)
					}
					if v.requestErr == nil {
						t.Errorf("the document's validator accepts the request without a token")
					}
				} else if v.status == 401 || v.requestErr != nil {
					t.Errorf("public operation: status %d, validator: %v", v.status, v.requestErr)
				}
			})
		}
	}
}

// TestSpecServed checks that /openapi.json serves the document unchanged.
func TestSpecServed(t *testing.T) {
	ts := newTestServer(t, nil, nil)
	r := ts.do(t, "GET", "/openapi.json", "", nil)
	if r.status != 200 || !bytes.Equal(r.body, openapiJSON) || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s, %d bytes", r.status, r.header.Get("Content-Type"), len(r.body))
	}
}
