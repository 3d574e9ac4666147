package astcore

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/ami"
	"github.com/pbxkit/pbxkit/ami/amitest"
	"github.com/pbxkit/pbxkit/pbx"
)

// sinkFunc adapts a function to pbx.EventSink.
type sinkFunc func(pbx.Event)

func (f sinkFunc) Publish(e pbx.Event) { f(e) }

// TestEndedChannelNotListed: Asterisk may still list a channel for a moment
// after its Hangup event; once CallEnded is out, the call is no longer
// listed, until a channel reuses its ID.
func TestEndedChannelNotListed(t *testing.T) {
	srv := amitest.NewServer(t, nil)
	var listed atomic.Bool // whether CoreShowChannels lists channel "x"
	listed.Store(true)
	srv.Handle("CoreShowChannels", func(s *amitest.Session, r *amitest.Request) {
		out := r.ListStart("Channels will follow")
		n := 0
		if listed.Load() {
			out += r.Item("CoreShowChannel", false, "Channel", "PJSIP/1001-00000001", "Uniqueid", "x", "ChannelState", "6")
			n++
		}
		_ = s.Write(out + r.ListComplete("CoreShowChannelsComplete", n))
	})
	ctx := context.Background()
	conn, err := ami.Dial(ctx, srv.Addr(), &ami.Options{Username: "admin", Secret: "secret", Events: true, PingInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := New(Config{Name: "test", Conn: conn})
	t.Cleanup(func() { c.Close() })
	var mu sync.Mutex
	var kinds []pbx.EventKind
	c.Attach(sinkFunc(func(e pbx.Event) {
		mu.Lock()
		kinds = append(kinds, e.Kind())
		mu.Unlock()
	}))
	waitKind := func(k pbx.EventKind, n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			count := 0
			for _, x := range kinds {
				if x == k {
					count++
				}
			}
			mu.Unlock()
			if count >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("no %d %s events: %v", n, k, kinds)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	isListed := func() bool {
		t.Helper()
		calls, err := c.ListCalls(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return len(calls) == 1 && calls[0].ID == "x"
	}
	newChannel := amitest.Event("Newchannel", "Channel", "PJSIP/1001-00000001", "Uniqueid", "x", "Linkedid", "x", "ChannelState", "6")
	srv.Broadcast(newChannel)
	waitKind(pbx.KindCallStarted, 1)
	if !isListed() {
		t.Fatal("a live channel is not listed")
	}
	srv.Broadcast(amitest.Event("Hangup", "Channel", "PJSIP/1001-00000001", "Uniqueid", "x", "Linkedid", "x", "Cause", "16"))
	waitKind(pbx.KindCallEnded, 1)
	if isListed() {
		t.Fatal("a channel is listed after its CallEnded")
	}
	listed.Store(false) // Asterisk destroyed it
	isListed()
	listed.Store(true)
	srv.Broadcast(newChannel) // the ID chosen again
	waitKind(pbx.KindCallStarted, 2)
	if !isListed() {
		t.Fatal("a new channel reusing an ended call's ID is not listed")
	}
}
