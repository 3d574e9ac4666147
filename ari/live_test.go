package ari_test

// Tests against a real Asterisk 16, started per test by asterisktest (they
// skip when Asterisk is not installed, and fail then if CI is "true"; -short
// skips them).

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/ari"
	"github.com/pbxkit/pbxkit/asterisktest"
)

// liveServer starts an Asterisk for the test and returns it with Options
// to reach it (fast reconnection, logs captured in logs).
func liveServer(t *testing.T, logs *syncBuffer) (*asterisktest.Server, *ari.Options) {
	t.Helper()
	if testing.Short() {
		t.Skip("live Asterisk test skipped in -short mode")
	}
	t.Parallel()
	s := asterisktest.Start(t, nil)
	o := &ari.Options{
		URL:          s.ARIURL,
		Username:     s.ARIUser,
		Password:     s.ARIPassword,
		ReconnectMin: 50 * time.Millisecond,
		ReconnectMax: 200 * time.Millisecond,
	}
	if logs != nil {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return s, o
}

// dialLive dials and, at cleanup, hangs up whatever channel is left (so
// that Asterisk stops quickly) and closes the Client.
func dialLive(t *testing.T, o *ari.Options) *ari.Client {
	t.Helper()
	c, err := ari.Dial(ctx5(t), o)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if chans, err := c.Channels(ctx); err == nil {
			for _, ch := range chans {
				_ = c.Hangup(ctx, ch.ID, "")
			}
		}
		c.Close()
	})
	return c
}

// waitEvent returns the next ARI event of one of the types (skipping
// others) for the channel id ("" for any); it fails on a state change.
func waitEvent(t *testing.T, sub *ari.Subscription, id string, types ...string) ari.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %v of %q: %v", types, id, err)
		}
		if ev.State != ari.StateNone && ev.State != ari.StateConnected {
			t.Fatalf("waiting for %v: state change %v (%v)", types, ev.State, ev.Err)
		}
		if !slices.Contains(types, ev.Type) {
			continue
		}
		if id != "" && (ev.Channel == nil || ev.Channel.ID != id) {
			continue
		}
		return ev
	}
}

// waitState returns the next state change, skipping events.
func waitState(t *testing.T, sub *ari.Subscription, timeout time.Duration) ari.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		ev, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for a state change: %v", err)
		}
		if ev.State != ari.StateNone {
			return ev
		}
	}
}

func TestLiveDial(t *testing.T) {
	var logs syncBuffer
	s, o := liveServer(t, &logs)
	c := dialLive(t, o)
	info, err := c.Info(ctx5(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(info.Version, "16.") || info.EntityID == "" || info.StartupTime.IsZero() || info.Config.DefaultLanguage != "en" {
		t.Errorf("Info = %+v", info)
	}
	t.Logf("Asterisk %s, entity %s, build options %q", info.Version, info.EntityID, info.Build.Options)

	bad := *o
	bad.Password = "not-the-password-42"
	_, err = ari.Dial(ctx5(t), &bad)
	var e *ari.Error
	if !errors.Is(err, ari.ErrAuth) || !errors.As(err, &e) || e.StatusCode != 401 || e.Message != "Authentication required" {
		t.Errorf("bad password: %v, want ErrAuth with the server's message", err)
	}
	if strings.Contains(err.Error(), bad.Password) {
		t.Errorf("error quotes the password: %v", err)
	}

	down := *o
	down.URL = "http://" + closedPort(t) + "/ari"
	if _, err := ari.Dial(ctx5(t), &down); !errors.Is(err, ari.ErrUnavailable) {
		t.Errorf("nothing listening: %v, want ErrUnavailable", err)
	}
	if strings.Contains(logs.String(), s.ARIPassword) {
		t.Errorf("password in logs")
	}
}

func TestLiveOriginateAndHangup(t *testing.T) {
	var logs syncBuffer
	s, o := liveServer(t, &logs)
	// After an Originate refused for a duplicate ID of a Local channel,
	// Asterisk 16.28 hangs in "core stop now": kill it instead.
	t.Cleanup(s.Kill)
	c := dialLive(t, o)
	ctx := ctx5(t)

	// Into the dialplan: the echo service, through a Local channel.
	ch, err := c.Originate(ctx, ari.OriginateRequest{
		Endpoint:       "Local/" + asterisktest.ExtenEcho + "@" + asterisktest.ContextCallMe,
		Context:        asterisktest.ContextCallMe,
		Extension:      asterisktest.ExtenHold,
		CallerID:       `"Alice" <1001>`,
		Timeout:        20 * time.Second,
		ChannelID:      "pbxkit-dp-1",
		OtherChannelID: "pbxkit-dp-2",
		Variables:      map[string]string{"PBXKIT": "yes"},
	})
	if err != nil {
		t.Fatalf("Originate: %v", err)
	}
	if ch.ID != "pbxkit-dp-1" || ch.State != "Down" || !strings.HasPrefix(ch.Name, "Local/echo@pbxkit-callme-") ||
		ch.CreationTime.IsZero() || ch.Language != "en" || ch.Caller.Number != "1001" {
		t.Errorf("originated channel = %+v", ch)
	}

	got, err := c.Channel(ctx, "pbxkit-dp-1")
	if err != nil || got.ID != "pbxkit-dp-1" || got.Name != ch.Name {
		t.Fatalf("Channel = %+v, %v", got, err)
	}
	chans, err := c.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, ch := range chans {
		ids = append(ids, ch.ID)
	}
	if !slices.Contains(ids, "pbxkit-dp-1") || !slices.Contains(ids, "pbxkit-dp-2") {
		t.Errorf("Channels = %v, want both halves", ids)
	}
	if v, err := c.Variable(ctx, "pbxkit-dp-1", "PBXKIT"); err != nil || v != "yes" {
		// A channel outside Stasis may be refused (409) by some versions.
		t.Logf("Variable of a dialplan channel: %q, %v", v, err)
	}

	// The same ID again: refused, no second call.
	_, err = c.Originate(ctx, ari.OriginateRequest{Endpoint: "Local/echo@pbxkit-callme", App: c.Application(), ChannelID: "pbxkit-dp-1"})
	if !errors.Is(err, ari.ErrConflict) {
		t.Errorf("duplicate ChannelID: %v, want ErrConflict", err)
	}

	if err := c.Hangup(ctx, "pbxkit-dp-1", "bogus"); !errors.Is(err, ari.ErrInvalid) {
		t.Errorf("Hangup with an invalid reason: %v, want ErrInvalid", err)
	}
	if err := c.Hangup(ctx, "pbxkit-dp-1", "busy"); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	// Gone soon after.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.Channel(ctx, "pbxkit-dp-1")
		if errors.Is(err, ari.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("channel still there after Hangup: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}

	err = c.Hangup(ctx, "pbxkit-no-such-channel", "")
	var e *ari.Error
	if !errors.Is(err, ari.ErrNotFound) || !errors.As(err, &e) || e.Message != "Channel not found" || e.Method != "DELETE" {
		t.Errorf("Hangup unknown: %v, want ErrNotFound 'Channel not found'", err)
	}
	_, err = c.Variable(ctx, "pbxkit-no-such-channel", "X")
	if !errors.Is(err, ari.ErrNotFound) || !errors.As(err, &e) || e.StatusCode != 404 {
		t.Errorf("Variable of unknown channel: %v, want ErrNotFound", err)
	}
	t.Logf("Variable of unknown channel: %v", err)

	for _, endpoint := range []string{"Bogus/x", "PJSIP/nobody"} {
		_, err := c.Originate(ctx, ari.OriginateRequest{Endpoint: endpoint, App: c.Application()})
		if !errors.Is(err, ari.ErrAllocationFailed) || !errors.As(err, &e) || e.StatusCode != 500 {
			t.Errorf("Originate %s: %v, want ErrAllocationFailed", endpoint, err)
		}
	}
	_, err = c.Originate(ctx, ari.OriginateRequest{Endpoint: "PJSIP/1001", App: c.Application(), Context: "x"})
	if !errors.Is(err, ari.ErrInvalid) {
		t.Errorf("Originate with App and Context: %v, want ErrInvalid", err)
	}
	if strings.Contains(logs.String(), s.ARIPassword) {
		t.Errorf("password in logs")
	}
}

func TestLiveStasisEvents(t *testing.T) {
	_, o := liveServer(t, nil)
	o.PingInterval = 100 * time.Millisecond // Asterisk must answer the pings
	o.PingTimeout = time.Second
	c := dialLive(t, o)
	// A second application that sees every event of the system.
	oAll := *o
	oAll.Application = "pbxkit-all"
	oAll.SubscribeAll = true
	all := dialLive(t, &oAll)
	ctx := ctx5(t)
	sub := c.Subscribe(0)
	defer sub.Close()
	subAll := all.Subscribe(0)
	defer subAll.Close()
	if ev := next(t, sub); ev.State != ari.StateConnected {
		t.Fatalf("first item %+v", ev)
	}

	ch, err := c.Originate(ctx, ari.OriginateRequest{
		Endpoint:  "Local/" + asterisktest.ExtenEcho + "@" + asterisktest.ContextCallMe,
		App:       c.Application(),
		AppArgs:   "one,two",
		ChannelID: "pbxkit-stasis-1",
	})
	if err != nil {
		t.Fatalf("Originate: %v", err)
	}
	if ch.ID != "pbxkit-stasis-1" || ch.State != "Down" {
		t.Errorf("channel = %+v", ch)
	}
	start := waitEvent(t, sub, "pbxkit-stasis-1", "StasisStart")
	if !slices.Equal(start.Args, []string{"one", "two"}) || start.Channel.Dialplan.AppName != "Stasis" ||
		start.Channel.State != "Up" || start.Application != c.Application() || start.AsteriskID == "" || start.Timestamp.IsZero() {
		t.Errorf("StasisStart = %+v (channel %+v)", start, start.Channel)
	}
	typed, err := start.Decode()
	if err != nil || typed.GetType() != "StasisStart" {
		t.Errorf("Decode: %v, %v", typed, err)
	}

	// In Stasis, channel variables can be read and set.
	if err := c.SetVariable(ctx, "pbxkit-stasis-1", "PBXKIT_V", "42"); err != nil {
		t.Fatal(err)
	}
	varset := waitEvent(t, sub, "pbxkit-stasis-1", "ChannelVarset")
	for varset.Variable != "PBXKIT_V" {
		varset = waitEvent(t, sub, "pbxkit-stasis-1", "ChannelVarset")
	}
	if varset.Value != "42" {
		t.Errorf("ChannelVarset = %+v", varset)
	}
	if v, err := c.Variable(ctx, "pbxkit-stasis-1", "PBXKIT_V"); err != nil || v != "42" {
		t.Errorf("Variable = %q, %v", v, err)
	}
	_, err = c.Variable(ctx, "pbxkit-stasis-1", "PBXKIT_UNSET")
	var e *ari.Error
	if !errors.Is(err, ari.ErrNotFound) || !errors.As(err, &e) {
		t.Errorf("unset variable: %v, want ErrNotFound", err)
	}
	t.Logf("unset variable: %v", err)

	if err := c.Hangup(ctx, "pbxkit-stasis-1", ""); err != nil {
		t.Fatalf("Hangup: %v", err)
	}
	waitEvent(t, sub, "pbxkit-stasis-1", "StasisEnd")
	destroyed := waitEvent(t, sub, "pbxkit-stasis-1", "ChannelDestroyed")
	if destroyed.Cause != 16 || destroyed.CauseText != "Normal Clearing" {
		t.Errorf("ChannelDestroyed cause = %d %q", destroyed.Cause, destroyed.CauseText)
	}

	// The subscribeAll application saw the channel's life, but not the
	// other application's StasisStart.
	var seen []string
	for !slices.Contains(seen, "ChannelDestroyed") {
		ev := waitEvent(t, subAll, "pbxkit-stasis-1", "ChannelCreated", "StasisStart", "ChannelDestroyed")
		seen = append(seen, ev.Type)
	}
	if !slices.Equal(seen, []string{"ChannelCreated", "ChannelDestroyed"}) {
		t.Errorf("subscribeAll application saw %v", seen)
	}

	// With pings every 100 ms, the websocket stayed up all along.
	time.Sleep(500 * time.Millisecond)
	for sub.Len() > 0 {
		if ev := next(t, sub); ev.State != ari.StateNone {
			t.Errorf("state change %v (%v) during the test", ev.State, ev.Err)
		}
	}
	if c.State() != ari.StateConnected {
		t.Errorf("State = %v", c.State())
	}
}

func TestLiveResources(t *testing.T) {
	s, o := liveServer(t, nil)
	o.SubscribeAll = true
	c := dialLive(t, o)
	ctx := ctx5(t)
	sub := c.Subscribe(0)
	defer sub.Close()

	eps, err := c.Endpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pjsip []string
	for _, ep := range eps {
		if ep.Technology == "PJSIP" {
			pjsip = append(pjsip, ep.Resource)
		}
	}
	slices.Sort(pjsip)
	var want []string
	for _, x := range s.Extensions {
		want = append(want, x.Number)
	}
	if !slices.Equal(pjsip, want) {
		t.Errorf("PJSIP endpoints = %v, want %v", pjsip, want)
	}
	ep, err := c.Endpoint(ctx, "PJSIP", "1001")
	if err != nil || ep.Resource != "1001" || ep.State != "offline" || ep.ChannelIDs == nil {
		t.Errorf("Endpoint = %+v, %v", ep, err)
	}
	if _, err := c.Endpoint(ctx, "PJSIP", "nope"); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("unknown endpoint: %v", err)
	}
	if _, err := c.Endpoint(ctx, "SIP", "1001"); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("unknown technology: %v", err)
	}

	const dev = "Stasis:pbxkit-door"
	if err := c.SetDeviceState(ctx, dev, "BUSY"); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, sub, "", "DeviceStateChanged"); ev.DeviceState == nil || *ev.DeviceState != (ari.DeviceState{Name: dev, State: "BUSY"}) {
		t.Errorf("DeviceStateChanged = %+v", ev.DeviceState)
	}
	if ds, err := c.DeviceState(ctx, dev); err != nil || ds.State != "BUSY" || ds.Name != dev {
		t.Errorf("DeviceState = %+v, %v", ds, err)
	}
	all, err := c.DeviceStates(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(all, func(d *ari.DeviceState) bool { return *d == ari.DeviceState{Name: dev, State: "BUSY"} }) {
		t.Errorf("DeviceStates lacks %s", dev)
	}
	if ds, err := c.DeviceState(ctx, "PJSIP/1001"); err != nil || ds.Name != "PJSIP/1001" || ds.State != "UNAVAILABLE" {
		t.Errorf("DeviceState(PJSIP/1001) = %+v, %v", ds, err)
	}
	if err := c.SetDeviceState(ctx, "PJSIP/1001", "BUSY"); !errors.Is(err, ari.ErrConflict) {
		t.Errorf("SetDeviceState of a PJSIP device: %v, want ErrConflict", err)
	}
	if err := c.DeleteDeviceState(ctx, dev); err != nil {
		t.Fatal(err)
	}
	if ds, err := c.DeviceState(ctx, dev); err != nil || ds.State != "UNKNOWN" {
		t.Errorf("deleted device = %+v, %v", ds, err)
	}

	bridges, err := c.Bridges(ctx)
	if err != nil || len(bridges) != 0 {
		t.Errorf("Bridges = %v, %v", bridges, err)
	}
	if _, err := c.Bridge(ctx, "nope"); !errors.Is(err, ari.ErrNotFound) {
		t.Errorf("unknown bridge: %v", err)
	}
}

func TestLiveReconnect(t *testing.T) {
	var logs syncBuffer
	s, o := liveServer(t, &logs)
	o.SubscribeAll = true
	o.PingInterval = 200 * time.Millisecond
	o.PingTimeout = time.Second
	c := dialLive(t, o)
	sub := c.Subscribe(0)
	defer sub.Close()
	ctx := ctx5(t)

	ping := func(state string) {
		t.Helper()
		if err := c.SetDeviceState(ctx, "Stasis:pbxkit-reconnect", state); err != nil {
			t.Fatalf("SetDeviceState: %v", err)
		}
		ev := waitEvent(t, sub, "", "DeviceStateChanged")
		for ev.DeviceState.Name != "Stasis:pbxkit-reconnect" || ev.DeviceState.State != state {
			ev = waitEvent(t, sub, "", "DeviceStateChanged")
		}
	}
	ping("BUSY")

	for _, outage := range []string{"restart", "crash"} {
		t.Logf("%s", outage)
		done := make(chan error, 1)
		go func() {
			rctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			if outage == "restart" {
				done <- s.Restart(rctx)
				return
			}
			s.Kill()
			// REST calls fail fast while the server is down.
			done <- s.Start(rctx)
		}()
		ev := waitState(t, sub, 30*time.Second)
		if ev.State != ari.StateDisconnected || ev.Err == nil {
			t.Fatalf("%s: got %v (%v), want StateDisconnected", outage, ev.State, ev.Err)
		}
		t.Logf("%s: disconnected: %v", outage, ev.Err)
		began := time.Now()
		_, err := c.Info(context.Background())
		if !errors.Is(err, ari.ErrUnavailable) {
			t.Errorf("%s: Info during the outage: %v, want ErrUnavailable", outage, err)
		}
		if d := time.Since(began); d > 100*time.Millisecond {
			t.Errorf("%s: Info during the outage took %v", outage, d)
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: %v", outage, err)
		}
		ev = waitState(t, sub, 30*time.Second)
		if ev.State != ari.StateReconnected {
			t.Fatalf("%s: got %v (%v), want StateReconnected", outage, ev.State, ev.Err)
		}
		// Events keep flowing on the same Subscription, REST works again.
		ping("INUSE")
		ping("NOT_INUSE")
		if _, err := c.Info(ctx5(t)); err != nil {
			t.Errorf("%s: Info after reconnection: %v", outage, err)
		}
	}
	if strings.Contains(logs.String(), s.ARIPassword) {
		t.Errorf("password in logs")
	}
	if !strings.Contains(logs.String(), "reconnected") {
		t.Errorf("logs lack the reconnection:\n%s", logs.String())
	}
}
