package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/pbxkit/pbxkit/pbx"
)

// Error codes of pbxd's own making; the codes of PBX errors come from
// pbxCodes. Every error body is {"error":{"code":"...","message":"..."}} and
// the codes are stable: clients may switch on them.
const (
	codeUnauthorized     = "unauthorized"           // 401: no, malformed, unknown or expired token
	codeRateLimited      = "rate_limited"           // 429: the token's (or address's) rate limit
	codeTooManyStreams   = "too_many_streams"       // 429: too many event streams for the token
	codeNotFound         = "not_found"              // 404: no such route (or PBX object)
	codeMethodNotAllowed = "method_not_allowed"     // 405
	codeInvalid          = "invalid_argument"       // 400: malformed request (or PBX InvalidArgument)
	codeTooLarge         = "payload_too_large"      // 413
	codeMediaType        = "unsupported_media_type" // 415: a body that is not application/json
	codeForbidden        = "permission_denied"      // 403 (or PBX PermissionDenied)
	codeCORS             = "cors_denied"            // 403: preflight from an origin not allowed
	codeUnsupported      = "unsupported"            // 501 (or PBX Unsupported)
	codeUnavailable      = "unavailable"            // 503 (or PBX Unavailable)
	codeInternal         = "internal"               // 500
)

// pbxCodes maps each pbx.ErrorCode to an HTTP status and a stable code.
var pbxCodes = map[pbx.ErrorCode]struct {
	status int
	code   string
}{
	pbx.NotFound:           {http.StatusNotFound, codeNotFound},
	pbx.AlreadyExists:      {http.StatusConflict, "already_exists"},
	pbx.InvalidArgument:    {http.StatusBadRequest, codeInvalid},
	pbx.Unsupported:        {http.StatusNotImplemented, codeUnsupported},
	pbx.PermissionDenied:   {http.StatusForbidden, codeForbidden},
	pbx.FailedPrecondition: {http.StatusConflict, "failed_precondition"},
	pbx.Unavailable:        {http.StatusServiceUnavailable, codeUnavailable},
	pbx.ResourceExhausted:  {http.StatusServiceUnavailable, "resource_exhausted"},
	pbx.Canceled:           {499, "canceled"}, // the client went away; nobody reads it
	pbx.DeadlineExceeded:   {http.StatusGatewayTimeout, "deadline_exceeded"},
	pbx.Internal:           {http.StatusInternalServerError, codeInternal},
	pbx.Unknown:            {http.StatusInternalServerError, codeInternal},
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError writes a JSON error.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{errorDetail{Code: code, Message: msg}})
}

// pbxError answers with the HTTP form of a pbx error. Client errors (4xx)
// carry the library's message, which names nothing but the caller's own
// objects and never holds secrets; server errors carry a generic message and
// are logged.
func (s *server) pbxError(w http.ResponseWriter, r *http.Request, err error) {
	c := pbx.Code(err)
	m, ok := pbxCodes[c]
	if !ok {
		m = pbxCodes[pbx.Internal]
	}
	msg := pbxMessage(err)
	if m.status >= 500 {
		s.log.Warn("PBX request failed", "method", r.Method, "path", r.URL.Path, "code", c.String(), "err", err)
		msg = http.StatusText(m.status)
		if m.status == http.StatusServiceUnavailable {
			msg = "the PBX is unavailable; try again later"
		}
	}
	writeError(w, m.status, m.code, msg)
}

// pbxMessage is the cause of a pbx error without the "pbx: backend: Op id:"
// prefix, which only helps in logs.
func pbxMessage(err error) string {
	var e *pbx.Error
	if errors.As(err, &e) && e.Err != nil {
		var inner *pbx.Error
		if errors.As(e.Err, &inner) && inner.Err != nil {
			return inner.Err.Error()
		}
		return e.Err.Error()
	}
	return pbx.Code(err).String()
}

// writeJSON writes v as a JSON response. API responses are per user and
// never cached.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // the answers are JSON, never HTML (and nosniff says so)
	err := enc.Encode(v)
	b := buf.Bytes()
	if err != nil {
		slog.Error("encoding a response failed", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"Internal Server Error"}}`+"\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
