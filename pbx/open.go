package pbx

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
)

// URLOpener opens a Client from a URL. Each backend package provides one and
// registers it for its scheme on [DefaultURLMux] when imported. opts may be
// nil; openers pass it on to [NewClient].
type URLOpener interface {
	OpenClientURL(ctx context.Context, u *url.URL, opts *ClientOptions) (*Client, error)
}

// URLOpenerFunc adapts a function to [URLOpener].
type URLOpenerFunc func(ctx context.Context, u *url.URL, opts *ClientOptions) (*Client, error)

// OpenClientURL calls f.
func (f URLOpenerFunc) OpenClientURL(ctx context.Context, u *url.URL, opts *ClientOptions) (*Client, error) {
	return f(ctx, u, opts)
}

// URLMux maps URL schemes to openers. The zero value is an empty mux ready to
// use; it is safe for concurrent use. Applications that need openers with
// custom options (a TLS config, a dialer) register them on a mux of their own.
type URLMux struct {
	mu      sync.RWMutex
	openers map[string]URLOpener
}

// Register makes scheme open through o. It panics if o is nil or the scheme
// is registered already, as registration happens at init time.
func (m *URLMux) Register(scheme string, o URLOpener) {
	if o == nil {
		panic("pbx: Register opener is nil")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.openers[scheme]; dup {
		panic("pbx: Register called twice for scheme " + scheme)
	}
	if m.openers == nil {
		m.openers = map[string]URLOpener{}
	}
	m.openers[scheme] = o
}

// Schemes returns the registered schemes, sorted.
func (m *URLMux) Schemes() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var s []string
	for k := range m.openers {
		s = append(s, k)
	}
	slices.Sort(s)
	return s
}

// Open parses rawURL and opens a Client through the opener of its scheme,
// with the given client options (nil for the defaults). ctx bounds connecting
// and logging in only. Errors never contain the URL's password.
func (m *URLMux) Open(ctx context.Context, rawURL string, opts *ClientOptions) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse errors quote the whole input, password included.
		return nil, &Error{Code: InvalidArgument, Op: "Open", Err: fmt.Errorf("malformed PBX URL")}
	}
	m.mu.RLock()
	o, ok := m.openers[u.Scheme]
	m.mu.RUnlock()
	if !ok {
		return nil, &Error{Code: InvalidArgument, Op: "Open", ID: RedactURL(u),
			Err: fmt.Errorf("no backend registered for scheme %q (forgotten import? registered: %v)", u.Scheme, m.Schemes())}
	}
	return o.OpenClientURL(ctx, u, opts)
}

var defaultURLMux = new(URLMux)

// DefaultURLMux returns the mux that backend packages register their schemes
// on when imported ("mock", "asterisk", "freepbx", "issabel", "freeswitch").
func DefaultURLMux() *URLMux { return defaultURLMux }

// Open opens a Client from a URL on [DefaultURLMux], such as "mock://demo" or
// "asterisk://user:secret@127.0.0.1:5038". Import the backend package (often
// blank, as in import _ "github.com/pbxkit/pbxkit/mock") to register its
// scheme. ctx bounds connecting only; Close the Client when done. Use
// DefaultURLMux().Open to pass [ClientOptions].
func Open(ctx context.Context, rawURL string) (*Client, error) {
	return defaultURLMux.Open(ctx, rawURL, nil)
}

// RedactURL formats a PBX URL for errors and logs: the password is replaced
// by "xxxxx" and the query, which may hold other credentials, is left out.
func RedactURL(u *url.URL) string {
	r := *u
	r.RawQuery, r.ForceQuery, r.Fragment = "", false, ""
	return r.Redacted()
}
