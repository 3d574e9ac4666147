package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// maxBody bounds request bodies: the document's bodies are tiny JSON objects.
const maxBody = 16 << 10

// server is pbxd's HTTP side: routes, middleware and the shared state of the
// handlers, which live in files by area (extensions.go, calls.go, ...).
type server struct {
	cfg     *config
	pbx     *pbx.Client
	tokens  *tokenStore
	log     *slog.Logger
	limiter *limiter
	streams *streamCounter
	events  *broker
	discord *discordLogin
	records *cached[callRecords]
	survey  *cached[surveyData]
	handler http.Handler
}

func newServer(cfg *config, client *pbx.Client, tokens *tokenStore, log *slog.Logger) (*server, error) {
	s := &server{
		cfg:     cfg,
		pbx:     client,
		tokens:  tokens,
		log:     log,
		limiter: newLimiter(cfg.rate, cfg.burst),
		streams: &streamCounter{max: cfg.maxStreams, n: map[[32]byte]int{}},
		discord: newDiscordLogin(cfg.discord, cfg.publicURL, cfg.tokenTTL, tokens, log),
	}
	s.records = newCached(cfg.cacheTTL, s.fetchRecords)
	s.survey = newCached(cfg.cacheTTL, s.fetchSurvey)
	ev, err := newBroker(client, log)
	if err != nil && pbx.Code(err) != pbx.Unsupported {
		return nil, fmt.Errorf("subscribing to PBX events: %w", err)
	}
	if err != nil {
		log.Warn("the backend has no event stream; /extensions/me/events is unavailable", "backend", client.Backend())
	}
	s.events = ev // nil when unsupported; its methods cope
	s.handler = s.routes()
	if !loopback(cfg.listen) {
		log.Warn("listening beyond loopback: pbxd controls a PBX; serve it through a TLS reverse proxy and keep the token store private",
			"listen", cfg.listen)
	}
	if tokens.demo {
		log.Warn("the demo token is enabled (mock PBX, no --tokens file); it is public, never use it with a real PBX")
	}
	return s, nil
}

// close ends what newServer started, for a server that never served.
func (s *server) close() { s.events.close() }

// serve serves on ln until ctx is done, then shuts down: event streams are
// told to end first (they would otherwise hold Shutdown until its timeout),
// in-flight requests finish, and the broker stops.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(s.events.close)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		s.events.close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "grace", s.cfg.shutdown)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.shutdown)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("requests still running after the grace period; closing them")
		err = hs.Close()
	}
	s.events.close()
	s.events.wait()
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return err
}

// ops maps HTTP methods to the handlers of one path.
type ops map[string]http.HandlerFunc

// routes builds the handler: one entry per path of the document (its 18
// operations), the event stream, the Discord login, the document itself and
// the dashboard.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(path string, o ops) { mux.Handle(path, dispatch(o)) }

	// The document's operations. Those whose operation lists BearerAuth in
	// "security" are wrapped in s.authed; the others are public.
	handle("/extensions/me", ops{"GET": s.authed(s.getExtension)})
	handle("/extensions/me/devicestatus", ops{"GET": s.authed(s.getDeviceStatus)})
	handle("/extensions/me/calls", ops{"GET": s.authed(s.getCalls), "DELETE": s.authed(s.deleteCalls)})
	handle("/extensions/me/callme", ops{"POST": s.authed(s.postCallMe)})
	handle("/extensions/me/resetsecret", ops{"POST": s.authed(s.postResetSecret)})
	handle("/extensions/me/dnd", ops{"GET": s.authed(s.getDND), "POST": s.authed(s.postDND)})
	handle("/extensions/me/endpoint", ops{"GET": s.authed(s.getEndpoints)})
	handle("/extensions/me/voicemails", ops{"GET": s.authed(s.getVoicemails)})
	handle("/extensions/me/voicemails/{messageId}/download", ops{"GET": s.authed(s.getVoicemailAudio)})
	handle("/extensions/me/voicemails/{messageId}/move", ops{"PATCH": s.authed(s.patchVoicemailMove)})
	handle("/extensions/me/voicemails/{messageId}", ops{"DELETE": s.authed(s.deleteVoicemail)})
	handle("/conferences", ops{"GET": s.public(s.getConferences)})
	handle("/conferences/{conferenceId}", ops{"GET": s.public(s.getParticipants)})
	handle("/conferences/{conferenceId}/connectme", ops{"POST": s.authed(s.postConnectMe)})
	handle("/system/records", ops{"GET": s.public(s.getRecords)})
	handle("/system/survey", ops{"GET": s.public(s.getSurvey)})

	// Beyond the document.
	handle("/extensions/me/events", ops{"GET": s.authed(s.getEvents)})
	handle("/auth/discord", ops{"GET": s.public(s.discord.start)})
	handle("/auth/discord/callback", ops{"GET": s.public(s.discord.callback)})
	handle("/openapi.json", ops{"GET": serveSpec})
	mux.Handle("/static/", dispatch(ops{"GET": serveStatic()}))
	mux.Handle("/", dispatch(ops{"GET": serveDashboard}))

	return s.logRequests(securityHeaders(limits(s.cors(mux))))
}

// dispatch routes by method, answering 405 in JSON with an Allow header.
func dispatch(o ops) http.Handler {
	allow := make([]string, 0, len(o))
	for m := range o {
		allow = append(allow, m)
	}
	slices.Sort(allow)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h, ok := o[r.Method]; ok {
			h(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, r.Method+" is not allowed here")
	})
}

// authed requires a bearer token, applies the token's rate limit and hands
// the signed-in user to h. Failed attempts count against the client
// address's limit.
func (s *server) authed(h func(http.ResponseWriter, *http.Request, *principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticate(r)
		if !ok {
			if !s.rateLimit(w, clientKey(r.RemoteAddr)) {
				return
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="pbxd"`)
			writeError(w, http.StatusUnauthorized, codeUnauthorized, "a valid bearer token is required (Authorization: Bearer <token>)")
			return
		}
		if !s.rateLimit(w, "token:"+string(p.key[:])) {
			return
		}
		if l, ok := w.(*loggingWriter); ok {
			l.ext = p.ext
		}
		h(w, r, p)
	}
}

// public applies the client address's rate limit.
func (s *server) public(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.rateLimit(w, clientKey(r.RemoteAddr)) {
			return
		}
		h(w, r)
	}
}

func (s *server) authenticate(r *http.Request) (*principal, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, false
	}
	return s.tokens.lookup(strings.TrimSpace(token))
}

// rateLimit takes a request from key's bucket, or answers 429 with
// Retry-After and returns false.
func (s *server) rateLimit(w http.ResponseWriter, key string) bool {
	ok, wait := s.limiter.allow(key)
	if ok {
		return true
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(w, http.StatusTooManyRequests, codeRateLimited, "too many requests; retry after the Retry-After delay")
	return false
}

// limits caps every request body and bounds how long reading it and writing
// the answer may take. The deadlines are set on each request, so none is
// left over from an earlier request on the same connection; the event
// stream lifts them for itself.
func limits(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(30 * time.Second))
		_ = rc.SetWriteDeadline(time.Now().Add(time.Minute))
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// cors answers cross-origin requests from the allowed origins only. With no
// allowed origin (the default) it sets no CORS header at all, so browsers
// keep other sites' pages away from the API. Credentials (cookies) are never
// allowed: the API authenticates with bearer tokens.
func (s *server) cors(next http.Handler) http.Handler {
	allowed := s.cfg.corsOrigins
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" || len(allowed) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		ok := slices.Contains(allowed, origin)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if ok {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "Retry-After, Content-Disposition")
			if preflight {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		} else if preflight {
			writeError(w, http.StatusForbidden, codeCORS, "origin not allowed")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loggingWriter records the status for the access log. Unwrap lets
// http.ResponseController reach the connection (flushes, deadlines).
type loggingWriter struct {
	http.ResponseWriter
	status int
	ext    pbx.ExtensionID
}

func (l *loggingWriter) WriteHeader(code int) {
	if l.status == 0 {
		l.status = code
	}
	l.ResponseWriter.WriteHeader(code)
}

func (l *loggingWriter) Write(b []byte) (int, error) {
	if l.status == 0 {
		l.status = http.StatusOK
	}
	return l.ResponseWriter.Write(b)
}

func (l *loggingWriter) Unwrap() http.ResponseWriter { return l.ResponseWriter }

// logRequests writes one access-log line per request. It logs the path only:
// never the query (the OAuth callback's carries a code and a state), never
// headers (the token), never bodies.
func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		lw := &loggingWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v))
				if lw.status == 0 {
					writeError(lw, http.StatusInternalServerError, codeInternal, "Internal Server Error")
				}
			}
			attrs := []any{"method", r.Method, "path", r.URL.Path, "status", lw.status,
				"duration", time.Since(start).Round(time.Microsecond)}
			if lw.ext != "" {
				attrs = append(attrs, "ext", lw.ext)
			}
			s.log.Info("request", attrs...)
		}()
		next.ServeHTTP(lw, r)
	})
}

// decodeJSON reads a JSON request body into v, answering 4xx and returning
// false when it cannot.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, codeMediaType, "the body must be application/json")
		return false
	}
	dec := jsonDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, codeTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxBody))
			return false
		}
		writeError(w, http.StatusBadRequest, codeInvalid, "the body is not valid JSON: "+err.Error())
		return false
	}
	if dec.More() {
		writeError(w, http.StatusBadRequest, codeInvalid, "the body holds more than one JSON value")
		return false
	}
	return true
}
