package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/pgtest"
	"github.com/assoc/contacts/projections"
)

// killedAfter is a store whose process dies after n appends.
type killedAfter struct {
	domain.EventStore
	mu sync.Mutex
	n  int
}

func (s *killedAfter) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return domain.AppendResult{}, errors.New("killed")
	}
	s.n--
	return s.EventStore.Append(ctx, stream, expected, events)
}

// TestServeCarriesOnMergesCutShort: a merge cut short by a crash shows in
// the read model as open; serve's sweep finds it and completes it, and the
// read model then shows it closed and the survivor with what it took.
func TestServeCarriesOnMergesCutShort(t *testing.T) {
	pool := pgtest.NewPool(t)
	store := postgres.New(pool, nil)
	t.Cleanup(store.Close)
	secret := make([]byte, 32)
	rand.Read(secret) //nolint:errcheck // never fails
	h := &domain.Handler{Store: store, KeySecret: secret}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	runner := projections.NewRunner(pool, store, nil)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { runner.Run(ctx, projections.ContactsProjector{}) })

	community, err := h.CreateCommunity(ctx, domain.Caller{Actor: "test"}, "Choir")
	if err != nil {
		t.Fatal(err)
	}
	caller := domain.Caller{CommunityID: community.ID, Actor: "test"}
	register := func(values map[string]string) string {
		res, err := h.RegisterContact(ctx, caller, values)
		if err != nil {
			t.Fatal(err)
		}
		return res.ID
	}
	survivor := register(map[string]string{"first_name": "Sam"})
	var dups []string
	for i := range 10 {
		dups = append(dups, register(map[string]string{"first_name": fmt.Sprintf("D%d", i), "last_name": "Doe"}))
	}
	killed := &domain.Handler{Store: &killedAfter{EventStore: store, n: 5}, KeySecret: secret}
	if _, err := killed.MergeContacts(ctx, caller, survivor, dups, nil); err == nil {
		t.Fatal("the killed merge succeeded")
	}
	queries := &projections.Queries{Pool: pool}
	var open []projections.OpenMerge
	for deadline := time.Now().Add(20 * time.Second); len(open) == 0; time.Sleep(20 * time.Millisecond) {
		if open, err = queries.OpenMerges(ctx, time.Now().Add(time.Hour)); err != nil || time.Now().After(deadline) {
			t.Fatalf("open merges %v, %v: want the one cut short", open, err)
		}
	}
	if open[0].SurvivorID != survivor || open[0].CommunityID != community.ID {
		t.Fatalf("open merge %+v", open[0])
	}

	wg.Go(func() { carryOnMerges(ctx, queries, h, slog.New(slog.DiscardHandler), 0, 50*time.Millisecond) })
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		open, err := queries.OpenMerges(ctx, time.Now().Add(time.Hour))
		if err == nil && len(open) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the merge is still open: %v, %v", open, err)
		}
	}
	s, err := domain.LoadContact(ctx, store, community.ID, survivor)
	if err != nil || s.Merging != nil || s.LastName() != "Doe" || len(s.MergeOf) != 1 {
		t.Fatalf("survivor %+v, %v: want the merge completed", s, err)
	}
	view, err := queries.Contact(ctx, community.ID, survivor)
	if err != nil || view.LastName != "Doe" || view.Version != s.Version {
		t.Errorf("read model %+v, %v: want the survivor at version %d with the duplicates' last name", view, err, s.Version)
	}
}
