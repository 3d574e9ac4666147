package pbxtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pbxkit/pbxkit/pbx"
)

// placeCall makes a short answered call on ext and returns its ID once its
// CDR is posted (or, without events, once it has ended).
func (s *suite) placeCall(t *testing.T, ext pbx.ExtensionID) pbx.CallID {
	t.Helper()
	s.need(t, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents)
	id := s.originateHold(t, ext)
	sub := s.subscribe(t, s.c, &pbx.EventFilter{Calls: []pbx.CallID{id}, Kinds: []pbx.EventKind{pbx.KindCDRPosted}})
	time.Sleep(1100 * time.Millisecond) // a billable second
	s.hangupAndWait(t, id)
	waitFor(t, s, sub, "CDRPosted", func(e *pbx.CDRPosted) bool { return e.CDR.UniqueID == id })
	return id
}

func (s *suite) testCDR(t *testing.T) {
	var recent time.Time // when the suite's own CDR test call began
	t.Run("CallProducesRecord", func(t *testing.T) {
		s.need(t, pbx.CapCDR)
		ext := s.fx.Extensions[0]
		recent = time.Now().Add(-time.Minute)
		id := s.placeCall(t, ext)
		var rec *pbx.CDR
		s.eventually(t, "the call's CDR", func() error {
			page, err := s.c.CDR().Query(s.ctx(t), pbx.CDRQuery{Since: recent, Limit: 1000})
			if err != nil {
				return err
			}
			for i := range page.Records {
				if page.Records[i].UniqueID == id {
					rec = &page.Records[i]
					return nil
				}
			}
			return errors.New("not found")
		})
		// FreeSWITCH's mod_cdr_csv template names no channel: the caller
		// number identifies the leg there.
		if rec.Disposition != pbx.DispositionAnswered || (rec.Channel == "" && rec.Src == "") || rec.Start.IsZero() || rec.End.Before(rec.Start) {
			t.Errorf("CDR %+v: want an answered record with its channel or caller, and times", rec)
		}
		if rec.Billable < time.Second || rec.Duration < rec.Billable {
			t.Errorf("CDR billsec %v, duration %v: want billsec >= 1s and duration >= billsec", rec.Billable, rec.Duration)
		}
	})

	t.Run("FilterByDisposition", func(t *testing.T) {
		s.need(t, pbx.CapCDR)
		page, err := s.c.CDR().Query(s.ctx(t), pbx.CDRQuery{Dispositions: []pbx.Disposition{pbx.DispositionAnswered}, Limit: 200})
		ok(t, err, "Query")
		for _, r := range page.Records {
			if r.Disposition != pbx.DispositionAnswered {
				t.Fatalf("answered-only query returned a %s record", r.Disposition)
			}
		}
	})

	t.Run("FilterByPatterns", func(t *testing.T) {
		s.need(t, pbx.CapCDR)
		ctx := s.ctx(t)
		all, err := s.c.CDR().Query(ctx, pbx.CDRQuery{Limit: 1000})
		ok(t, err, "Query")
		if len(all.Records) == 0 {
			t.Skip("no CDR to filter")
		}
		src := all.Records[0].Src
		if src == "" {
			t.Skip("newest CDR has no src")
		}
		pattern := src[:len(src)-1] + "?"
		page, err := s.c.CDR().Query(ctx, pbx.CDRQuery{Src: pattern, Limit: 1000})
		ok(t, err, "Query by src pattern")
		if len(page.Records) == 0 {
			t.Fatalf("src pattern %q matched nothing, but record src %q", pattern, src)
		}
		for _, r := range page.Records {
			if !pbx.MatchPattern(pattern, r.Src) {
				t.Fatalf("src pattern %q returned src %q", pattern, r.Src)
			}
		}
		none, err := s.c.CDR().Query(ctx, pbx.CDRQuery{Src: "%' OR '1'='1", Limit: 10})
		ok(t, err, "Query with SQL in a pattern")
		if len(none.Records) != 0 {
			t.Fatalf("a pattern of SQL text matched %d records", len(none.Records))
		}
	})

	t.Run("FilterByTimeRange", func(t *testing.T) {
		s.need(t, pbx.CapCDR)
		until := time.Now()
		since := until.Add(-7 * 24 * time.Hour)
		page, err := s.c.CDR().Query(s.ctx(t), pbx.CDRQuery{Since: since, Until: until, Limit: 1000})
		ok(t, err, "Query")
		for _, r := range page.Records {
			if r.Start.Before(since) || !r.Start.Before(until) {
				t.Fatalf("record started %s, outside [%s, %s)", r.Start, since, until)
			}
		}
	})

	t.Run("PagingCoversEverythingOnce", func(t *testing.T) {
		s.need(t, pbx.CapCDR)
		ctx := s.ctx(t)
		want, err := s.c.CDR().Query(ctx, pbx.CDRQuery{Limit: 50})
		ok(t, err, "Query")
		if len(want.Records) < 3 {
			t.Skipf("only %d CDRs", len(want.Records))
		}
		var got []pbx.CDR
		q := pbx.CDRQuery{Limit: 2}
		for len(got) < len(want.Records) {
			page, err := s.c.CDR().Query(ctx, q)
			ok(t, err, "Query page")
			got = append(got, page.Records...)
			if page.Next == "" {
				break
			}
			q.Cursor = page.Next
		}
		got = got[:min(len(got), len(want.Records))]
		for i := range got {
			if got[i].UniqueID != want.Records[i].UniqueID || !got[i].Start.Equal(want.Records[i].Start) {
				t.Fatalf("paged record %d is %s, want %s", i, got[i].UniqueID, want.Records[i].UniqueID)
			}
			if i > 0 && pbx.CompareCDR(&got[i-1], &got[i]) < 0 {
				t.Fatalf("records %d and %d are not newest first", i-1, i)
			}
		}
	})

	t.Run("AllFollowsCursors", func(t *testing.T) {
		s.need(t, pbx.CapCDR)
		var n int
		seen := map[string]bool{}
		for r, err := range s.c.CDR().All(s.ctx(t), pbx.CDRQuery{Limit: 3, Oldest: true}) {
			ok(t, err, "All")
			key := string(r.UniqueID) + r.Start.String() + r.DstChannel
			if seen[key] {
				t.Fatalf("All yielded record %s twice", r.UniqueID)
			}
			seen[key] = true
			if n++; n == 10 {
				break
			}
		}
	})

	invalid := []struct {
		name string
		q    pbx.CDRQuery
	}{
		{"UntilBeforeSince", pbx.CDRQuery{Since: time.Now(), Until: time.Now().Add(-time.Hour)}},
		{"NegativeLimit", pbx.CDRQuery{Limit: -1}},
		{"HugeLimit", pbx.CDRQuery{Limit: 100000}},
		{"GarbageCursor", pbx.CDRQuery{Cursor: "not a cursor!"}},
		{"CRInPattern", pbx.CDRQuery{Dst: "10\r01"}},
		{"UnknownDisposition", pbx.CDRQuery{Dispositions: []pbx.Disposition{99}}},
	}
	for _, tc := range invalid {
		t.Run("InvalidQuery/"+tc.name, func(t *testing.T) {
			s.need(t, pbx.CapCDR)
			_, err := s.c.CDR().Query(s.ctx(t), tc.q)
			wantCode(t, err, pbx.InvalidArgument, "Query "+tc.name)
		})
	}

	t.Run("RecordingStreams", func(t *testing.T) {
		s.need(t, pbx.CapRecordings, pbx.CapCDR)
		ctx := s.ctx(t)
		var rec *pbx.CDR
		for r, err := range s.c.CDR().All(ctx, pbx.CDRQuery{Limit: 1000}) {
			ok(t, err, "All")
			if r.Recording != "" {
				rec = &r
				break
			}
		}
		if rec == nil {
			t.Skip("no CDR names a recording")
		}
		a, err := s.c.CDR().Recording(ctx, *rec)
		ok(t, err, "Recording")
		defer a.Close()
		data, err := io.ReadAll(a)
		ok(t, err, "reading the recording")
		if len(data) == 0 || !strings.HasPrefix(a.ContentType, "audio/") {
			t.Fatalf("recording of %d bytes, type %q", len(data), a.ContentType)
		}
	})

	for _, name := range []string{"../../../../etc/passwd", "/etc/passwd", "2026/11/01/../../../../../etc/hostname", "no-such-recording.wav"} {
		t.Run("RecordingRefused/"+strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			s.need(t, pbx.CapRecordings)
			a, err := s.c.CDR().Recording(s.ctx(t), pbx.CDR{Recording: name, Start: time.Now()})
			if err == nil {
				a.Close()
				t.Fatalf("Recording(%q) opened a file", name)
			}
			if code := pbx.Code(err); code != pbx.NotFound && code != pbx.InvalidArgument {
				t.Fatalf("Recording(%q): %v, want not found or invalid", name, err)
			}
		})
	}

	t.Run("StatsAddUp", func(t *testing.T) {
		s.need(t, pbx.CapCDR)
		st, err := s.c.CDR().Stats(s.ctx(t), time.UTC)
		ok(t, err, "Stats")
		sum := 0
		for _, n := range st.PerDay {
			sum += n
		}
		if sum != st.Total {
			t.Errorf("per-day counts add up to %d, total is %d", sum, st.Total)
		}
		if st.Total > 0 && (st.RecordDay == "" || st.PerDay[st.RecordDay] != st.RecordCount) {
			t.Errorf("record day %q with %d calls does not match the per-day counts", st.RecordDay, st.RecordCount)
		}
		for day, n := range st.PerDay {
			if n > st.RecordCount {
				t.Errorf("day %s has %d calls, more than the record %d", day, n, st.RecordCount)
			}
		}
		if !recent.IsZero() && st.Total == 0 {
			t.Error("no calls counted after a call was recorded")
		}
	})
}

func (s *suite) testSystem(t *testing.T) {
	t.Run("Info", func(t *testing.T) {
		s.need(t, pbx.CapSystem)
		info, err := s.c.System().Info(s.ctx(t))
		ok(t, err, "Info")
		if info.Version == "" || info.Uptime < 0 || info.ActiveCalls < 0 || info.ActiveChannels < info.ActiveCalls || info.CallsProcessed < 0 {
			t.Fatalf("Info = %+v", info)
		}
	})

	t.Run("InfoCountsLiveCalls", func(t *testing.T) {
		s.need(t, pbx.CapSystem, pbx.CapOriginate, pbx.CapHangup, pbx.CapEvents)
		s.originateHold(t, s.fx.Extensions[0])
		info, err := s.c.System().Info(s.ctx(t))
		ok(t, err, "Info")
		if info.ActiveChannels < 1 || info.ActiveCalls < 1 || info.CallsProcessed < 1 {
			t.Fatalf("Info during a call = %+v", info)
		}
	})

	t.Run("UserAgentsCountContacts", func(t *testing.T) {
		s.need(t, pbx.CapDevices)
		ctx := s.ctx(t)
		uas, err := s.c.System().UserAgents(ctx)
		ok(t, err, "UserAgents")
		devs, err := s.c.Devices().List(ctx)
		ok(t, err, "Devices")
		contacts, counted := 0, 0
		for _, d := range devs {
			contacts += len(d.Contacts)
		}
		for i, ua := range uas {
			counted += ua.Count
			if i > 0 && ua.Count > uas[i-1].Count {
				t.Error("user agents are not sorted by count")
			}
		}
		if contacts != counted {
			t.Fatalf("user agents count %d contacts, devices have %d", counted, contacts)
		}
	})
}

func (s *suite) testEvents(t *testing.T) {
	t.Run("FilterByExtension", func(t *testing.T) {
		s.need(t, pbx.CapEvents, pbx.CapDND)
		a, b := s.fx.Extensions[0], s.fx.Extensions[1]
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{b}})
		t.Cleanup(func() {
			_ = s.c.Devices().SetDND(context.Background(), a, false)
			_ = s.c.Devices().SetDND(context.Background(), b, false)
		})
		ctx := s.ctx(t)
		ok(t, s.c.Devices().SetDND(ctx, a, true), "SetDND a")
		ok(t, s.c.Devices().SetDND(ctx, b, true), "SetDND b")
		e := waitFor[*pbx.DNDChanged](t, s, sub, "DNDChanged", nil)
		if e.Extension != b {
			t.Fatalf("a subscription filtered on %s got an event about %s", b, e.Extension)
		}
	})

	t.Run("FilterByKind", func(t *testing.T) {
		s.need(t, pbx.CapEvents, pbx.CapDND)
		ext := s.fx.Extensions[0]
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Kinds: []pbx.EventKind{pbx.KindDNDChanged}})
		t.Cleanup(func() { _ = s.c.Devices().SetDND(context.Background(), ext, false) })
		ok(t, s.c.Devices().SetDND(s.ctx(t), ext, true), "SetDND")
		ok(t, s.c.Devices().SetDND(s.ctx(t), ext, false), "SetDND")
		for range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), s.fx.Timeout)
			e, err := sub.Next(ctx)
			cancel()
			ok(t, err, "Next")
			if _, isDND := e.(*pbx.DNDChanged); !isDND && e.Kind() != pbx.KindBackendReconnected && e.Kind() != pbx.KindBackendDisconnected {
				t.Fatalf("kind filter let %s through", e.Kind())
			}
		}
	})

	t.Run("OverflowReportsEventsDropped", func(t *testing.T) {
		s.need(t, pbx.CapEvents, pbx.CapDND)
		ext := s.fx.Extensions[0]
		sub, err := s.c.Subscribe(context.Background(), &pbx.EventFilter{Extensions: []pbx.ExtensionID{ext}, Kinds: []pbx.EventKind{pbx.KindDNDChanged}}, &pbx.SubscribeOptions{Buffer: 4})
		ok(t, err, "Subscribe")
		defer sub.Close()
		watch := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{ext}, Kinds: []pbx.EventKind{pbx.KindDNDChanged}})
		t.Cleanup(func() { _ = s.c.Devices().SetDND(context.Background(), ext, false) })
		const n = 12
		for i := range n {
			ok(t, s.c.Devices().SetDND(s.ctx(t), ext, i%2 == 0), "SetDND")
		}
		for i := range n { // wait until all n were published
			waitFor(t, s, watch, fmt.Sprintf("DNDChanged %d", i), func(e *pbx.DNDChanged) bool { return true })
		}
		ctx, cancel := context.WithTimeout(context.Background(), s.fx.Timeout)
		defer cancel()
		first, err := sub.Next(ctx)
		ok(t, err, "Next")
		dropped, isDrop := first.(*pbx.EventsDropped)
		if !isDrop || dropped.Count != n-4 {
			t.Fatalf("first event after overflow is %s %+v, want EventsDropped{Count: %d}", first.Kind(), first, n-4)
		}
		var last uint64
		for i := range 4 {
			e, err := sub.Next(ctx)
			ok(t, err, "Next")
			d, isDND := e.(*pbx.DNDChanged)
			if !isDND || d.Enabled != ((n-4+i)%2 == 0) || d.Seq <= last {
				t.Fatalf("event %d after the drop is %+v: want the newest DNDChanged events in order", i, e)
			}
			last = d.Seq
		}
	})

	t.Run("NextHonoursContext", func(t *testing.T) {
		s.need(t, pbx.CapEvents)
		sub := s.subscribe(t, s.c, &pbx.EventFilter{Extensions: []pbx.ExtensionID{s.fx.Missing}})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := sub.Next(ctx)
		wantCode(t, err, pbx.DeadlineExceeded, "Next past its deadline")
	})

	t.Run("ClosedSubscriptionEnds", func(t *testing.T) {
		s.need(t, pbx.CapEvents)
		sub, err := s.c.Subscribe(context.Background(), nil, nil)
		ok(t, err, "Subscribe")
		ok(t, sub.Close(), "Close")
		ctx, cancel := context.WithTimeout(context.Background(), s.fx.Timeout)
		defer cancel()
		for {
			_, err := sub.Next(ctx)
			if err != nil {
				if !errors.Is(err, pbx.ErrClosed) {
					t.Fatalf("Next after Close: %v, want ErrClosed", err)
				}
				return
			}
		}
	})

	for _, tc := range []struct {
		name string
		f    pbx.EventFilter
	}{
		{"BadExtension", pbx.EventFilter{Extensions: []pbx.ExtensionID{"12a;"}}},
		{"BadKind", pbx.EventFilter{Kinds: []pbx.EventKind{999}}},
		{"BadCall", pbx.EventFilter{Calls: []pbx.CallID{"x\ny"}}},
	} {
		t.Run("InvalidFilter/"+tc.name, func(t *testing.T) {
			s.need(t, pbx.CapEvents)
			_, err := s.c.Subscribe(context.Background(), &tc.f, nil)
			wantCode(t, err, pbx.InvalidArgument, "Subscribe "+tc.name)
		})
	}

	t.Run("SequenceIncreases", func(t *testing.T) {
		s.need(t, pbx.CapEvents, pbx.CapDND)
		ext := s.fx.Extensions[1]
		sub := s.subscribe(t, s.c, nil)
		t.Cleanup(func() { _ = s.c.Devices().SetDND(context.Background(), ext, false) })
		ok(t, s.c.Devices().SetDND(s.ctx(t), ext, true), "SetDND")
		ok(t, s.c.Devices().SetDND(s.ctx(t), ext, false), "SetDND")
		n := 0
		seen := s.until(t, sub, "two DNDChanged", func(e pbx.Event) bool {
			if d, isDND := e.(*pbx.DNDChanged); isDND && d.Extension == ext {
				n++
			}
			return n == 2
		})
		for i := 1; i < len(seen); i++ {
			if seen[i].Header().Seq <= seen[i-1].Header().Seq {
				t.Fatalf("event %d has seq %d after %d", i, seen[i].Header().Seq, seen[i-1].Header().Seq)
			}
			if seen[i].Header().Time.IsZero() || seen[i].Header().Backend == "" {
				t.Fatalf("event %s lacks its time or backend", seen[i].Kind())
			}
		}
	})

	t.Run("OutageIsReportedAndSurvived", func(t *testing.T) {
		s.need(t, pbx.CapEvents)
		c := s.client(t)
		sub := s.subscribe(t, c, nil)
		restore, err := s.h.World().Outage(s.ctx(t))
		world(t, err, "make the PBX unreachable")
		restored := false
		t.Cleanup(func() {
			if !restored {
				_ = restore(context.Background())
			}
		})
		waitFor[*pbx.BackendDisconnected](t, s, sub, "BackendDisconnected", nil)
		if s.cap.Has(pbx.CapCallsRead) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			start := time.Now()
			_, err := c.Calls().List(ctx, nil)
			cancel()
			if code := pbx.Code(err); code != pbx.Unavailable {
				t.Errorf("List during the outage: %v (code %s), want unavailable", err, code)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("List during the outage took %v", took)
			}
		}
		ok(t, restore(s.ctx(t)), "restore")
		restored = true
		rec := waitFor[*pbx.BackendReconnected](t, s, sub, "BackendReconnected", nil)
		if rec.Downtime <= 0 {
			t.Errorf("BackendReconnected with downtime %v", rec.Downtime)
		}
		if s.cap.Has(pbx.CapDND) {
			ext := s.fx.Extensions[0]
			t.Cleanup(func() { _ = s.c.Devices().SetDND(context.Background(), ext, false) })
			s.eventually(t, "SetDND after the outage", func() error { return c.Devices().SetDND(s.ctx(t), ext, true) })
			waitFor(t, s, sub, "DNDChanged after the outage", func(e *pbx.DNDChanged) bool { return e.Extension == ext && e.Enabled })
		}
	})
}
