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
