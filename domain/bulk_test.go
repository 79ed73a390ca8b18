package domain_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/assoc/contacts/domain"
)

// RunBulk tries every ID (a refusal stops no other), keeps the order of the
// IDs, never runs more than a few at once, and returns the last position
// appended.
func TestRunBulk(t *testing.T) {
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = domain.NewID()
	}
	var running, most atomic.Int32
	outcomes, last := domain.RunBulk(t.Context(), ids, func(_ context.Context, id string) (domain.Result, error) {
		now := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
		}
		i := slices.Index(ids, id)
		if i%3 == 0 {
			return domain.Result{}, domain.Errorf(domain.ECONFLICT, "refused")
		}
		return domain.Result{ID: id, Position: domain.Position{Commit: uint64(100 - i), Prepare: 1}}, nil
	})
	if len(outcomes) != len(ids) {
		t.Fatalf("%d outcomes for %d IDs", len(outcomes), len(ids))
	}
	for i, o := range outcomes {
		if o.ID != ids[i] || (o.Err != nil) != (i%3 == 0) {
			t.Errorf("outcome %d: %+v", i, o)
		}
	}
	if want := (domain.Position{Commit: 99, Prepare: 1}); last != want {
		t.Errorf("last position %s, want %s (the latest of the commands that appended)", last, want)
	}
	if m := most.Load(); m < 1 || m > 8 {
		t.Errorf("%d commands ran at once, want 1 to 8", m)
	}
	if _, last := domain.RunBulk(t.Context(), ids[:1], func(context.Context, string) (domain.Result, error) {
		return domain.Result{}, domain.Errorf(domain.ENOTFOUND, "no")
	}); last != domain.Start {
		t.Errorf("nothing appended: last %s, want the start", last)
	}
}
