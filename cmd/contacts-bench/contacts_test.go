package main

import (
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
)

func TestBenchContactsPercentileIsNearestRank(t *testing.T) {
	var l bcLatencies
	for i := 100; i >= 1; i-- { // unsorted on purpose
		l = append(l, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {95, 95 * time.Millisecond}, {99, 99 * time.Millisecond}, {100, 100 * time.Millisecond}} {
		if got := l.pct(c.p); got != c.want {
			t.Errorf("p%v = %s, want %s", c.p, got, c.want)
		}
	}
	if l.max() != 100*time.Millisecond || l[0] != 100*time.Millisecond {
		t.Errorf("max = %s (or pct sorted the caller's slice)", l.max())
	}
	if (bcLatencies{}).pct(99) != 0 {
		t.Error("empty latencies must give 0")
	}
}

func TestBenchContactsValuesAreValidVariedAndUnique(t *testing.T) {
	if len(bcLastNames) < 200 {
		t.Fatalf("%d last names, want 200+", len(bcLastNames))
	}
	community := &domain.Community{ID: domain.NewID(), Version: 1}
	emails, lastNames := map[string]bool{}, map[string]bool{}
	for i := range 5000 {
		v := bcContactValues(i)
		if _, err := domain.RegisterContact(community, domain.NewID(), v); err != nil {
			t.Fatalf("contact %d %v: %v", i, v, err)
		}
		if emails[v[domain.KeyEmail]] {
			t.Fatalf("contact %d: email %s repeats", i, v[domain.KeyEmail])
		}
		emails[v[domain.KeyEmail]] = true
		lastNames[v[domain.KeyLastName]] = true
	}
	if len(lastNames) < 200 {
		t.Errorf("5000 contacts use %d last names, want 200+", len(lastNames))
	}
	if got := bcContactValues(42); got[domain.KeyEmail] != bcContactValues(42)[domain.KeyEmail] {
		t.Error("values must be deterministic in the contact number")
	}
}
