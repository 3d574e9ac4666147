package ari

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
)

// The event websocket is run by this package rather than by ari/v5's
// native client, which gives no signal when its websocket drops (its
// "connected" flag is unsynchronised), blocks forever in Connect while the
// server is unreachable, sleeps a fixed second between redials that Close
// cannot interrupt, panics on an event type it does not know when a bus
// subscription exists, and drops events silently past 100 per subscription.
// gobwas/ws gives us a context-bounded dial, the handshake's status code,
// and control frames (ping/pong keepalive).

// wsConn is one websocket connection, from handshake to loss.
type wsConn struct {
	nc       net.Conn // wrapped: reads record lastRead
	br       *bufio.Reader
	lastRead atomic.Int64 // unix nanoseconds of the last successful read

	wmu sync.Mutex // serialises frame writes

	done chan struct{}
	once sync.Once
	err  error // why it ended; set before done is closed
}

// activityConn records the time of every read that returned data.
type activityConn struct {
	net.Conn
	last *atomic.Int64
}

func (c activityConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.last.Store(time.Now().UnixNano())
	}
	return n, err
}

// dialWebsocket opens the event websocket. A refused handshake is a *Error
// (401 matches ErrAuth); a network failure matches ErrUnavailable.
func (c *Client) dialWebsocket(ctx context.Context) (*wsConn, error) {
	w := &wsConn{done: make(chan struct{})}
	var statusErr *Error
	h := http.Header{}
	if c.cfg.auth != "" {
		h.Set("Authorization", c.cfg.auth)
	}
	d := ws.Dialer{
		Header:    ws.HandshakeHeaderHTTP(h),
		NetDial:   c.dialer,
		TLSConfig: c.cfg.TLS,
		WrapConn: func(nc net.Conn) net.Conn {
			return activityConn{Conn: nc, last: &w.lastRead}
		},
		OnStatusError: func(status int, reason []byte, resp io.Reader) {
			statusErr = handshakeError(status, reason, resp)
		},
	}
	nc, br, _, err := d.Dial(ctx, c.cfg.wsURL)
	if err != nil {
		if statusErr != nil {
			return nil, statusErr
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("ari: websocket: %w: %w", ErrUnavailable, ctxErr)
		}
		return nil, fmt.Errorf("ari: websocket: %w: %w", ErrUnavailable, err)
	}
	w.nc = nc
	if br == nil {
		br = bufio.NewReaderSize(nc, 32<<10)
	}
	w.br = br
	w.lastRead.Store(time.Now().UnixNano())
	return w, nil
}

// handshakeError reads the refused handshake's response (status line,
// headers and a bounded body) into a *Error.
func handshakeError(status int, reason []byte, resp io.Reader) *Error {
	e := &Error{Method: http.MethodGet, Path: "/events", StatusCode: status}
	r, err := http.ReadResponse(bufio.NewReader(io.LimitReader(resp, 64<<10)), nil)
	var body []byte
	if err == nil {
		body, _ = io.ReadAll(io.LimitReader(r.Body, 16<<10))
		_ = r.Body.Close()
	}
	e.Message = errorMessage(status, fmt.Sprintf("%d %s", status, reason), body)
	return e
}

// fail ends the connection once, recording why.
func (w *wsConn) fail(err error) {
	w.once.Do(func() {
		w.err = err
		close(w.done)
		_ = w.nc.Close()
	})
}

// writeFrame writes one masked frame, whole, within timeout.
func (w *wsConn) writeFrame(f ws.Frame, timeout time.Duration) error {
	b, err := ws.CompileFrame(ws.MaskFrameInPlace(f))
	if err != nil {
		return err
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_ = w.nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err = w.nc.Write(b)
	return err
}

// closeGracefully sends a close frame (best effort, briefly), then closes.
func (w *wsConn) closeGracefully(err error) {
	select {
	case <-w.done:
		return
	default:
	}
	_ = w.writeFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "")), 200*time.Millisecond)
	w.fail(err)
}

// readLoop reads messages until the connection fails, handing each text
// message to deliver. It answers pings, ignores pongs and binary messages,
// and returns a *wsutil.ClosedError when the server closes.
func (w *wsConn) readLoop(maxSize int, deliver func([]byte), tooLarge func(int64)) error {
	// UTF-8 is not checked: invalid bytes (a caller ID name in Latin-1,
	// say) would otherwise end the connection; encoding/json replaces them
	// with U+FFFD.
	rd := &wsutil.Reader{
		Source: w.br,
		State:  ws.StateClientSide,
	}
	rd.OnIntermediate = func(h ws.Header, r io.Reader) error { return w.control(h, r) }
	for {
		hdr, err := rd.NextFrame()
		if err != nil {
			return err
		}
		if hdr.OpCode.IsControl() {
			if err := w.control(hdr, rd); err != nil {
				return err
			}
			continue
		}
		if hdr.OpCode != ws.OpText {
			if err := rd.Discard(); err != nil {
				return err
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(rd, int64(maxSize)+1))
		if err != nil {
			return err
		}
		if len(data) > maxSize {
			n := int64(len(data))
			if err := rd.Discard(); err != nil {
				return err
			}
			tooLarge(n)
			continue
		}
		deliver(data)
	}
}

// control handles a control frame whose payload r holds: a ping is
// answered, a pong ignored, a close answered and reported as an error.
func (w *wsConn) control(h ws.Header, r io.Reader) error {
	payload, err := io.ReadAll(io.LimitReader(r, 125))
	if err != nil {
		return err
	}
	switch h.OpCode {
	case ws.OpPing:
		return w.writeFrame(ws.NewPongFrame(payload), 5*time.Second)
	case ws.OpPong:
		return nil
	case ws.OpClose:
		code, reason := ws.StatusNoStatusRcvd, ""
		if len(payload) >= 2 {
			code = ws.StatusCode(binary.BigEndian.Uint16(payload))
			reason = string(bytes.ToValidUTF8(payload[2:], nil))
		}
		_ = w.writeFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(code, "")), time.Second)
		return wsutil.ClosedError{Code: code, Reason: reason}
	}
	return nil
}

// keepalive pings every interval; if nothing has been read within timeout
// of a ping, the connection is declared lost.
func (w *wsConn) keepalive(interval, timeout time.Duration, closing <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-w.done:
			return
		case <-closing:
			return
		case <-t.C:
		}
		sent := time.Now()
		if err := w.writeFrame(ws.NewPingFrame(nil), timeout); err != nil {
			w.fail(fmt.Errorf("ari: websocket: ping: %w", err))
			return
		}
		wait := time.NewTimer(timeout)
		select {
		case <-w.done:
			wait.Stop()
			return
		case <-closing:
			wait.Stop()
			return
		case <-wait.C:
		}
		if w.lastRead.Load() < sent.UnixNano() {
			w.fail(fmt.Errorf("ari: websocket: keepalive: nothing received within %v of a ping: %w", timeout, context.DeadlineExceeded))
			return
		}
	}
}
