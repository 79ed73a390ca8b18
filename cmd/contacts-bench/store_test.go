package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestMeasureCountsEveryWritersEvents(t *testing.T) {
	var calls [3]atomic.Int64
	r, err := measure(context.Background(), 3, 30*time.Millisecond, func(_ context.Context, w, _ int) (int, error) {
		calls[w].Add(1)
		time.Sleep(time.Millisecond)
		return 10, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for w := range calls {
		if calls[w].Load() == 0 {
			t.Errorf("writer %d never ran", w)
		}
		total += calls[w].Load()
	}
	if int64(r.events) != 10*total {
		t.Errorf("events = %d, want %d", r.events, 10*total)
	}
	if r.elapsed < 30*time.Millisecond || r.perSecond() <= 0 {
		t.Errorf("rate = %+v", r)
	}
}

func TestMeasureStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	start := time.Now()
	_, err := measure(context.Background(), 4, time.Minute, func(ctx context.Context, w, i int) (int, error) {
		if w == 2 && i == 5 {
			return 0, boom
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Millisecond):
			return 1, nil
		}
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("measure did not stop the other writers")
	}
}

func TestReadLoopWrapsAfterTotal(t *testing.T) {
	var froms []int
	read := func(_ context.Context, after, limit int) (int, int, error) {
		froms = append(froms, after)
		return after + limit, limit, nil
	}
	step := readLoop(100, 25, 10, read)
	var got []int
	for range 4 {
		n, err := step(context.Background(), 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, n)
	}
	// 10 + 10 + 5 = 25, then from the start again.
	if want := []int{10, 10, 5, 10}; !slices.Equal(got, want) {
		t.Errorf("page sizes = %v, want %v", got, want)
	}
	if want := []int{100, 110, 120, 100}; !slices.Equal(froms, want) {
		t.Errorf("cursors = %v, want %v", froms, want)
	}
}

func TestBenchEventsAreJSON(t *testing.T) {
	events := benchEvents(3)
	if events[0].ID == events[1].ID {
		t.Error("event IDs repeat")
	}
	for _, e := range events {
		if !json.Valid(e.Data) || !json.Valid(e.Metadata) {
			t.Errorf("invalid JSON: %s / %s", e.Data, e.Metadata)
		}
	}
}

func TestThousands(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", 300000: "300,000"} {
		if got := thousands(v); got != want {
			t.Errorf("thousands(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestParseInts(t *testing.T) {
	got, err := parseInts("1, 4,16")
	if err != nil || !slices.Equal(got, []int{1, 4, 16}) {
		t.Errorf("parseInts = %v, %v", got, err)
	}
	for _, bad := range []string{"", "1,,4", "0", "-3", "x"} {
		if _, err := parseInts(bad); err == nil {
			t.Errorf("parseInts(%q) accepted", bad)
		}
	}
}
