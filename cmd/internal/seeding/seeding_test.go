package seeding

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestRunCallsEachIndexOnce(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	var progress []int
	done, _, err := Run(t.Context(), 25_000, 4, func(_ context.Context, i int) error {
		mu.Lock()
		seen[i]++
		mu.Unlock()
		return nil
	}, func(d int, _ time.Duration) {
		mu.Lock()
		progress = append(progress, d)
		mu.Unlock()
	})
	if err != nil || done != 25_000 || len(seen) != 25_000 {
		t.Fatalf("Run = %d, %v; %d indexes seen, want 25,000", done, err, len(seen))
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("index %d called %d times", i, n)
		}
	}
	if len(progress) != 2 {
		t.Errorf("progress at %v, want twice (10,000 and 20,000)", progress)
	}
}

func TestRunStopsAtTheFirstError(t *testing.T) {
	boom := errors.New("boom")
	start := time.Now()
	done, _, err := Run(t.Context(), 1_000_000, 4, func(ctx context.Context, i int) error {
		if i == 10 {
			return boom
		}
		time.Sleep(time.Millisecond)
		return ctx.Err()
	}, nil)
	if !errors.Is(err, boom) || done >= 1_000_000 {
		t.Fatalf("Run = %d, %v; want boom, early", done, err)
	}
	if time.Since(start) > 10*time.Second {
		t.Error("the other callers went on")
	}
}
