package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// The event stream, GET /extensions/me/events, is pbxd's addition to the
// document: Server-Sent Events about the signed-in user's extension (its
// calls, device, registrations, DND, forwarding), its mailbox, and the
// conference rooms (public, as GET /conferences is), so that a dashboard
// need not poll. Each event is
//
//	id: <sequence number>
//	event: <kind, such as call.started>
//	data: <the event as pbx.MarshalEvent encodes it>
//
// The stream opens with "event: hello" (data: the extension and mailbox),
// carries a ": ping" comment every --heartbeat, and ends with
// "event: bye" (data: {"reason": "shutdown"} or "overflow") when the server
// shuts down or the client falls too far behind. After a reconnect, a client
// should re-read what it shows: events are not replayed.
//
// One subscription to the PBX feeds every stream: the broker encodes each
// event once and hands the bytes to the streams it concerns, without
// blocking; a stream whose buffer is full is ended (and the client
// reconnects) rather than slowing the others down.

const streamBuffer = 128 // frames a stream may have waiting

// broker fans PBX events out to the event streams.
type broker struct {
	sub    *pbx.Subscription
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	byExt  map[pbx.ExtensionID]map[*stream]struct{} // by the stream's extension
	byBox  map[pbx.ExtensionID]map[*stream]struct{} // by the extension part of the stream's mailbox
	all    map[*stream]struct{}
	closed bool
}

// stream is one client's event stream.
type stream struct {
	ext     pbx.ExtensionID
	mailbox pbx.MailboxID
	ch      chan []byte
	reason  string // why ch was closed: "shutdown" or "overflow"; under broker.mu
}

// newBroker subscribes to every event of the client.
func newBroker(client *pbx.Client, log *slog.Logger) (*broker, error) {
	ctx, cancel := context.WithCancel(context.Background())
	sub, err := client.Subscribe(ctx, nil, &pbx.SubscribeOptions{Buffer: 4096})
	if err != nil {
		cancel()
		return nil, err
	}
	b := &broker{sub: sub, log: log, cancel: cancel, done: make(chan struct{}),
		byExt: map[pbx.ExtensionID]map[*stream]struct{}{}, byBox: map[pbx.ExtensionID]map[*stream]struct{}{},
		all: map[*stream]struct{}{}}
	go b.run(ctx)
	return b, nil
}

func (b *broker) run(ctx context.Context) {
	defer close(b.done)
	defer b.closeStreams("shutdown")
	for {
		e, err := b.sub.Next(ctx)
		if err != nil {
			return // closed, or ctx canceled by close
		}
		if e.Kind() == pbx.KindEventsDropped {
			b.log.Warn("the event broker fell behind; streams lost events", "count", e.(*pbx.EventsDropped).Count)
		}
		b.dispatch(e)
	}
}

// close ends the broker and every stream. It is safe to call more than once,
// and on a nil broker.
func (b *broker) close() {
	if b == nil {
		return
	}
	b.cancel()
	b.sub.Close()
	b.closeStreams("shutdown")
}

// wait returns once the broker's goroutine has ended.
func (b *broker) wait() {
	if b != nil {
		<-b.done
	}
}

func (b *broker) closeStreams(reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for st := range b.all {
		b.drop(st, reason)
	}
}

// add registers a stream; it fails once the broker is closed.
func (b *broker) add(ext pbx.ExtensionID, mailbox pbx.MailboxID) (*stream, bool) {
	if b == nil {
		return nil, false
	}
	st := &stream{ext: ext, mailbox: mailbox, ch: make(chan []byte, streamBuffer)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, false
	}
	b.all[st] = struct{}{}
	index(b.byExt, ext, st)
	if mailbox != "" {
		index(b.byBox, mailbox.Extension(), st)
	}
	return st, true
}

// remove unregisters a stream its handler is done with.
func (b *broker) remove(st *stream) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.all[st]; ok {
		b.drop(st, "")
	}
}

func index(m map[pbx.ExtensionID]map[*stream]struct{}, k pbx.ExtensionID, st *stream) {
	if m[k] == nil {
		m[k] = map[*stream]struct{}{}
	}
	m[k][st] = struct{}{}
}

func unindex(m map[pbx.ExtensionID]map[*stream]struct{}, k pbx.ExtensionID, st *stream) {
	if set := m[k]; set != nil {
		delete(set, st)
		if len(set) == 0 {
			delete(m, k)
		}
	}
}

// drop unregisters st and closes its channel. b.mu is held.
func (b *broker) drop(st *stream, reason string) {
	delete(b.all, st)
	unindex(b.byExt, st.ext, st)
	if st.mailbox != "" {
		unindex(b.byBox, st.mailbox.Extension(), st)
	}
	st.reason = reason
	close(st.ch)
}

// dispatch encodes e once and queues it on the streams it concerns.
func (b *broker) dispatch(e pbx.Event) {
	exts, box, public := route(e)
	if !public && exts[0] == "" && exts[1] == "" {
		return
	}
	frame, err := sseFrame(e)
	if err != nil {
		b.log.Warn("encoding an event failed", "kind", e.Kind().String(), "err", err)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	send := func(st *stream) {
		select {
		case st.ch <- frame:
		default:
			b.drop(st, "overflow")
		}
	}
	if public {
		for st := range b.all {
			send(st)
		}
		return
	}
	if box != "" {
		for st := range b.byBox[box.Extension()] {
			if sameMailbox(st.mailbox, box) {
				send(st)
			}
		}
		return
	}
	for i, ext := range exts {
		if ext == "" || (i == 1 && ext == exts[0]) {
			continue
		}
		for st := range b.byExt[ext] {
			send(st)
		}
	}
}

// route says whom an event concerns: the extensions whose users see it (and,
// for voicemail events, the mailbox they must own), or everyone (public).
// Queue-caller events, about outside callers, go to nobody.
func route(e pbx.Event) (exts [2]pbx.ExtensionID, mailbox pbx.MailboxID, public bool) {
	one := func(x pbx.ExtensionID) [2]pbx.ExtensionID { return [2]pbx.ExtensionID{x} }
	switch e := e.(type) {
	case *pbx.CallStarted:
		return one(e.Call.Extension), "", false
	case *pbx.CallRinging:
		return one(e.Call.Extension), "", false
	case *pbx.CallAnswered:
		return one(e.Call.Extension), "", false
	case *pbx.CallBridged:
		return one(e.Call.Extension), "", false
	case *pbx.CallTransferred:
		return one(e.Call.Extension), "", false
	case *pbx.CallEnded:
		return one(e.Call.Extension), "", false
	case *pbx.DeviceStateChanged:
		return one(e.Extension), "", false
	case *pbx.ContactRegistered:
		return one(e.Extension), "", false
	case *pbx.ContactUnregistered:
		return one(e.Extension), "", false
	case *pbx.ContactStatusChanged:
		return one(e.Extension), "", false
	case *pbx.DNDChanged:
		return one(e.Extension), "", false
	case *pbx.ForwardChanged:
		return one(e.Extension), "", false
	case *pbx.FollowMeChanged:
		return one(e.Extension), "", false
	case *pbx.ExtensionCreated:
		return one(e.Extension.ID), "", false
	case *pbx.ExtensionUpdated:
		return one(e.Extension.ID), "", false
	case *pbx.ExtensionDeleted:
		return one(e.ID), "", false
	case *pbx.VoicemailReceived:
		return one(e.Mailbox.Extension()), e.Mailbox, false
	case *pbx.MailboxChanged:
		return one(e.Mailbox.Extension()), e.Mailbox, false
	case *pbx.ConferenceStarted, *pbx.ConferenceEnded, *pbx.ConferenceJoined, *pbx.ConferenceLeft,
		*pbx.ParticipantMuted, *pbx.ConferenceLocked:
		return exts, "", true
	case *pbx.QueueMemberAdded:
		return one(pbx.InterfaceExtension(e.Member.Interface)), "", false
	case *pbx.QueueMemberRemoved:
		return one(pbx.InterfaceExtension(e.Member.Interface)), "", false
	case *pbx.QueueMemberPaused:
		return one(pbx.InterfaceExtension(e.Member.Interface)), "", false
	case *pbx.QueueMemberStatusChanged:
		return one(pbx.InterfaceExtension(e.Member.Interface)), "", false
	case *pbx.CDRPosted:
		return [2]pbx.ExtensionID{pbx.ExtensionID(e.CDR.Src), pbx.ExtensionID(e.CDR.Dst)}, "", false
	case *pbx.BackendDisconnected, *pbx.BackendReconnected, *pbx.EventsDropped:
		return exts, "", true
	}
	return exts, "", false
}

// sameMailbox compares mailboxes, taking "1010" and "1010@default" as one.
func sameMailbox(a, b pbx.MailboxID) bool {
	if a == b {
		return true
	}
	ctx := func(m pbx.MailboxID) string {
		if c := m.Context(); c != "" {
			return c
		}
		return "default"
	}
	return a.Extension() == b.Extension() && ctx(a) == ctx(b)
}

// sseFrame encodes one event as an SSE frame. The JSON holds no newline, so
// it fits one data line.
func sseFrame(e pbx.Event) ([]byte, error) {
	data, err := pbx.MarshalEvent(e)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(data) + 64)
	buf.WriteString("id: ")
	buf.WriteString(strconv.FormatUint(e.Header().Seq, 10))
	buf.WriteString("\nevent: ")
	buf.WriteString(e.Kind().String())
	buf.WriteString("\ndata: ")
	buf.Write(data)
	buf.WriteString("\n\n")
	return buf.Bytes(), nil
}

// GET /extensions/me/events
func (s *server) getEvents(w http.ResponseWriter, r *http.Request, p *principal) {
	if s.events == nil {
		writeError(w, http.StatusNotImplemented, codeUnsupported, "the "+s.pbx.Backend()+" backend has no event stream")
		return
	}
	box, ok := s.mailboxOrNone(w, r, p)
	if !ok {
		return
	}
	if !s.streams.acquire(p.key) {
		writeError(w, http.StatusTooManyRequests, codeTooManyStreams,
			fmt.Sprintf("at most %d event streams per token", s.cfg.maxStreams))
		return
	}
	defer s.streams.release(p.key)
	st, ok := s.events.add(p.ext, box)
	if !ok {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "the server is shutting down")
		return
	}
	defer s.events.remove(st)

	rc := http.NewResponseController(w)
	// A stream lives long: lift the request's deadlines, and bound each
	// write instead.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)

	hello, _ := json.Marshal(map[string]string{"extension": string(p.ext), "mailbox": string(box)})
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !write(fmt.Appendf(nil, "retry: 3000\nevent: hello\ndata: %s\n\n", hello)) {
		return
	}
	tick := time.NewTicker(s.cfg.heartbeat)
	defer tick.Stop()
	for {
		select {
		case f, ok := <-st.ch:
			if !ok {
				s.events.mu.Lock()
				reason := st.reason
				s.events.mu.Unlock()
				write(fmt.Appendf(nil, "event: bye\ndata: {\"reason\":%q}\n\n", reason))
				return
			}
			// Write what else is waiting in the same flush.
			_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := w.Write(f); err != nil {
				return
			}
			for more := true; more; {
				select {
				case g, ok := <-st.ch:
					if !ok {
						more = false
						break
					}
					if _, err := w.Write(g); err != nil {
						return
					}
				default:
					more = false
				}
			}
			if rc.Flush() != nil {
				return
			}
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case <-r.Context().Done():
			return
		}
	}
}

// mailboxOrNone is the user's mailbox, "" if the extension has none.
func (s *server) mailboxOrNone(w http.ResponseWriter, r *http.Request, p *principal) (pbx.MailboxID, bool) {
	e, err := s.pbx.Extensions().Get(r.Context(), p.ext)
	switch {
	case pbx.Code(err) == pbx.Unsupported:
		return pbx.MailboxID(p.ext), true
	case err != nil:
		s.pbxError(w, r, err)
		return "", false
	}
	return e.Mailbox, true
}
