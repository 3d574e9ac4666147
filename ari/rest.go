package ari

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
)

// REST calls are made with the Client's own net/http client rather than
// with ari/v5's native client, which takes no context (its RequestTimeout
// variable is not even used by v5.3.1: a call to a silent server hangs
// forever), discards the server's error message ("Non-2XX response: 404
// Not Found") and cannot be cancelled by Close.

// request describes one REST call.
type request struct {
	method string
	parts  []any      // path parts: literal strings and seg(...) values
	query  url.Values // may be nil
	body   any        // JSON-encoded if not nil
	out    any        // JSON-decoded from a 2xx body if not nil
	// ownConn sends the request on a connection of its own, closed after
	// the response (see Originate).
	ownConn bool
}

// do runs a REST call. Unless internal, it fails at once with
// ErrUnavailable while the websocket is down.
func (c *Client) do(ctx context.Context, r request) error {
	return c.doRequest(ctx, r, true)
}

func (c *Client) doRequest(ctx context.Context, r request, checkState bool) (err error) {
	escaped, readable, err := pathOf(r.parts...)
	if err != nil {
		return err
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return fmt.Errorf("ari: %s %s: %w: %w", r.method, readable, ErrInvalid, err)
		}
		body = bytes.NewReader(b)
	}

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return fmt.Errorf("ari: %s %s: %w", r.method, readable, ErrClosed)
	}
	if checkState && c.ws == nil {
		c.mu.Unlock()
		return fmt.Errorf("ari: %s %s: %w: the event websocket is down, reconnecting", r.method, readable, ErrUnavailable)
	}
	c.inflight.Add(1)
	c.mu.Unlock()
	defer c.inflight.Done()

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.RequestTimeout)
		defer cancel()
	}
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stop := context.AfterFunc(c.closeCtx, func() { cancel(ErrClosed) })
	defer stop()

	var wrote atomic.Bool
	reqCtx = httptrace.WithClientTrace(reqCtx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				wrote.Store(true)
			}
		},
	})

	u := c.cfg.base + escaped
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	req, err := http.NewRequestWithContext(reqCtx, r.method, u, body)
	if err != nil {
		return fmt.Errorf("ari: %s %s: %w: %w", r.method, readable, ErrInvalid, err)
	}
	if c.cfg.auth != "" {
		req.Header.Set("Authorization", c.cfg.auth)
	}
	req.Header.Set("Accept", "application/json")
	req.Close = r.ownConn
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return c.transportError(ctx, reqCtx, r.method, readable, err, wrote.Load())
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(c.cfg.MaxMessageSize)+1))
	if err != nil {
		return c.transportError(ctx, reqCtx, r.method, readable, err, true)
	}
	if len(data) > c.cfg.MaxMessageSize {
		return fmt.Errorf("ari: %s %s: %w: response larger than %d bytes", r.method, readable, ErrProtocol, c.cfg.MaxMessageSize)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newError(r.method, readable, resp.StatusCode, resp.Status, data)
	}
	if r.out != nil {
		if len(bytes.TrimSpace(data)) == 0 {
			return fmt.Errorf("ari: %s %s: %w: empty response (%d)", r.method, readable, ErrProtocol, resp.StatusCode)
		}
		if err := json.Unmarshal(data, r.out); err != nil {
			return fmt.Errorf("ari: %s %s: %w: %w", r.method, readable, ErrProtocol, err)
		}
	}
	return nil
}

// transportError classifies a failure to get a response. callerCtx is the
// caller's context (with the default timeout), reqCtx the request's.
func (c *Client) transportError(callerCtx, reqCtx context.Context, method, path string, err error, wrote bool) error {
	if context.Cause(reqCtx) == ErrClosed {
		return fmt.Errorf("ari: %s %s: %w", method, path, ErrClosed)
	}
	if ctxErr := callerCtx.Err(); ctxErr != nil {
		return fmt.Errorf("ari: %s %s: %w", method, path, ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the URL
	}
	if wrote {
		return fmt.Errorf("ari: %s %s: %w: %w", method, path, ErrDisconnected, err)
	}
	return fmt.Errorf("ari: %s %s: %w: %w", method, path, ErrUnavailable, err)
}

// info gets /asterisk/info; checkState as for doRequest.
func (c *Client) info(ctx context.Context, checkState bool) (*Info, error) {
	var w wireInfo
	if err := c.doRequest(ctx, request{method: http.MethodGet, parts: []any{"asterisk", "info"}, out: &w}, checkState); err != nil {
		return nil, err
	}
	return w.info(), nil
}
