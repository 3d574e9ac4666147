package asttest

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// Proxy is a TCP proxy in front of AMI that keeps what clients send, and can
// cut the connections once they have sent some text a number of times:
// "AMI down" at a chosen step of a backend's work.
type Proxy struct {
	ln net.Listener

	mu      sync.Mutex
	sent    bytes.Buffer
	conns   []net.Conn
	cutOn   string
	cutN    int
	refused bool
}

// NewProxy starts a proxy to target (an AMI address) until the test ends.
func NewProxy(t *testing.T, target string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln}
	t.Cleanup(func() { ln.Close(); p.closeAll() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			refused := p.refused
			p.mu.Unlock()
			server, err := net.Dial("tcp", target)
			if err != nil || refused {
				client.Close()
				if server != nil {
					server.Close()
				}
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, client, server)
			p.mu.Unlock()
			go func() {
				defer server.Close()
				_, _ = io.Copy(io.MultiWriter(server, p), client)
			}()
			go func() {
				defer client.Close()
				_, _ = io.Copy(client, server)
			}()
		}
	}()
	return p
}

// Addr is the address clients connect to.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// CutAfter closes the connections once clients have sent text n more times
// (the n-th is delivered first), and refuses new connections until Restore.
func (p *Proxy) CutAfter(text string, n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cutOn, p.cutN = text, strings.Count(p.sent.String(), text)+n
}

// Restore accepts connections again after a cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.refused = false
}

// Write records what a client sent, and cuts the connections when told to.
func (p *Proxy) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.sent.Write(b)
	cut := p.cutOn != "" && strings.Count(p.sent.String(), p.cutOn) >= p.cutN
	if cut {
		p.cutOn, p.refused = "", true
	}
	p.mu.Unlock()
	if cut {
		p.closeAll()
	}
	return len(b), nil
}

func (p *Proxy) closeAll() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
}

// Sent is everything clients have sent.
func (p *Proxy) Sent() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sent.String()
}
