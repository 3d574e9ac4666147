package evq

import (
	"context"
	"errors"
	"testing"
	"time"
)

type item struct {
	v       int
	dropped uint64
}

func mark(it *item, n uint64) { it.dropped = n }

func TestQueue(t *testing.T) {
	q := New[item](3, 1)
	for v := 1; v <= 5; v++ {
		q.Push(item{v: v}, false, mark) // 4 and 5 are dropped
	}
	if !q.Push(item{v: 100}, true, mark) {
		t.Error("a full queue should report filling")
	}
	if q.Push(item{v: 101}, true, mark); q.Dropped() != 3 {
		t.Errorf("Dropped = %d, want 3 (4, 5 and the priority item past the reserve)", q.Dropped())
	}
	if q.Len() != 4 {
		t.Errorf("Len = %d, want 4", q.Len())
	}
	ctx := context.Background()
	want := []item{{1, 0}, {2, 0}, {3, 0}, {100, 2}}
	for i, w := range want {
		got, err := q.Next(ctx)
		if err != nil || got != w {
			t.Fatalf("item %d = %+v, %v; want %+v", i, got, err, w)
		}
	}
	q.Push(item{v: 6}, false, mark)
	if got, _ := q.Next(ctx); got != (item{6, 1}) {
		t.Errorf("after a drop: %+v, want the count of the dropped priority item", got)
	}
	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := q.Next(tctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next on an empty queue: %v, want the context's error", err)
	}
}

func TestEndDrainsCloseDiscards(t *testing.T) {
	ctx := context.Background()
	q := New[item](4, 0)
	q.Push(item{v: 1}, false, mark)
	q.Push(item{v: 2}, false, mark)
	q.End()
	q.Push(item{v: 3}, false, mark) // after End: ignored
	var got []int
	for it, err := range q.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it.v)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("All after End = %v, want [1 2]", got)
	}

	q = New[item](4, 0)
	q.Push(item{v: 1}, false, mark)
	q.Close()
	q.Close()
	if _, err := q.Next(ctx); err != ErrClosed {
		t.Errorf("Next after Close: %v, want ErrClosed", err)
	}
	if q.Len() != 0 {
		t.Errorf("Len after Close = %d", q.Len())
	}
}

func TestNextWakesOnPush(t *testing.T) {
	q := New[item](4, 0)
	done := make(chan item)
	go func() {
		it, _ := q.Next(context.Background())
		done <- it
	}()
	time.Sleep(10 * time.Millisecond)
	q.Push(item{v: 7}, false, mark)
	select {
	case it := <-done:
		if it.v != 7 {
			t.Errorf("got %+v", it)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next did not wake")
	}
}

func TestHub(t *testing.T) {
	ctx := context.Background()
	h := NewHub[item](1, mark, item{v: -1})
	a := h.Subscribe(3)
	h.SetState(item{v: -2}, item{v: -3}, false) // a sees -2; newcomers start at -3
	b := h.Subscribe(2)
	if h.State() != (item{v: -3}) {
		t.Errorf("State = %+v, want -3", h.State())
	}
	h.Broadcast(item{v: 1})
	h.Broadcast(item{v: 2}) // dropped by both
	h.Unsubscribe(b)
	if _, err := b.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("unsubscribed queue: Next = %v, want ErrClosed", err)
	}
	h.Broadcast(item{v: 3}) // b is gone; a is full and drops it
	h.SetState(item{v: -9}, item{v: -9}, true)
	var got []item
	for it, err := range a.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, it)
	}
	want := []item{{v: -1}, {v: -2}, {v: 1}, {v: -9, dropped: 2}} // 2 and 3
	if len(got) != len(want) {
		t.Fatalf("a got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("a got %+v, want %+v", got, want)
		}
	}
	late := h.Subscribe(4)
	if _, err := late.Next(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("subscribing to a closed hub: Next = %v, want ErrClosed", err)
	}
	h.SetState(item{v: -10}, item{v: -10}, false) // ignored once closed
	if h.State() != (item{v: -9}) {
		t.Errorf("State after close = %+v, want -9", h.State())
	}
}
