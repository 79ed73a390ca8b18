package domain_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
)

// dyingStore is a process killed after its first n appends: from then on
// it writes nothing (no rollback either), as kill -9 would leave the log.
type dyingStore struct {
	domain.EventStore
	mu      sync.Mutex
	left    int
	crashed bool
}

var errKilled = errors.New("killed")

func (s *dyingStore) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	s.mu.Lock()
	if s.left == 0 {
		s.crashed = true
		s.mu.Unlock()
		return domain.AppendResult{}, errKilled
	}
	s.left--
	s.mu.Unlock()
	return s.EventStore.Append(ctx, stream, expected, events)
}

// TestMergeCutShortAtEveryStepCompletes kills a 10-way merge after each of
// its appends in turn, then carries it on as a restarted serve does
// (CompleteMerge on the survivor): every time the merge ends complete, as
// if never cut: every duplicate merged once and absorbed, the survivor's
// values as chosen, every key held by exactly the contact that should.
func TestMergeCutShortAtEveryStepCompletes(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	for step := 0; ; step++ {
		f.caller = f.newCommunity(fmt.Sprintf("Crash at %d", step))
		survivor := f.register(map[string]string{"first_name": "Sam", "email": "sam@example.org", "external_id": "S"})
		var dups []string
		for i := range 10 {
			dups = append(dups, f.register(map[string]string{
				"first_name": fmt.Sprintf("D%d", i), "last_name": fmt.Sprintf("Doe%d", i),
				"email": fmt.Sprintf("d%d@example.org", i), "external_id": fmt.Sprintf("X%d", i)}))
		}
		take := map[string]string{"email": dups[3]}
		dying := &dyingStore{EventStore: f.store, left: step}
		killed := &domain.Handler{Store: dying, KeySecret: testSecret}
		_, err := killed.MergeContacts(ctx, f.caller, survivor, dups, take)
		if !dying.crashed {
			if err != nil {
				t.Fatalf("uncut merge: %v", err)
			}
			if step < 12 {
				t.Fatalf("a 10-way merge took only %d appends", step)
			}
			return // every step has been cut
		}
		if !errors.Is(err, errKilled) {
			t.Fatalf("step %d: merge error %v, want the kill", step, err)
		}
		// A restarted process carries the merge on.
		if _, err := f.h.CompleteMerge(ctx, f.caller, survivor); err != nil {
			t.Fatalf("step %d: carry on: %v", step, err)
		}
		s := f.load(survivor)
		if step == 0 { // killed before MergeStarted: nothing happened
			if s.Version != 1 || s.Merging != nil {
				t.Fatalf("step 0: survivor at version %d merging %v, want untouched", s.Version, s.Merging)
			}
			continue
		}
		want := map[string]string{"first_name": "Sam", "last_name": "Doe0", "email": "d3@example.org", "external_id": "S"}
		if s.Merging != nil || !reflect.DeepEqual(s.Values, want) {
			t.Fatalf("step %d: survivor %v merging %v, want %v and the merge closed", step, s.Values, s.Merging, want)
		}
		var absorbed []string
		for _, ids := range s.MergeOf {
			absorbed = append(absorbed, ids...)
		}
		if !reflect.DeepEqual(absorbed, dups) {
			t.Fatalf("step %d: absorbed %v, want the 10 duplicates", step, absorbed)
		}
		for _, d := range dups {
			c := f.load(d)
			merges := 0
			for _, e := range f.stream(domain.ContactStream(d)) {
				if e.raw.Type == "ContactMerged" {
					merges++
				}
			}
			if c.Status != domain.StatusMerged || c.MergedInto != survivor || merges != 1 {
				t.Fatalf("step %d: duplicate %s %q into %q, merged %d times", step, d, c.Status, c.MergedInto, merges)
			}
		}
		// Keys: the duplicates' (through the survivor), the one it took and
		// its own it gave up (kept for an unmerge) are all held.
		for _, values := range []map[string]string{
			{"first_name": "N", "email": "d3@example.org"}, {"first_name": "N", "email": "d7@example.org"},
			{"first_name": "N", "external_id": "X5"}, {"first_name": "N", "email": "sam@example.org"},
		} {
			if _, err := f.h.RegisterContact(ctx, f.caller, values); domain.ErrorCode(err) != domain.ECONFLICT {
				t.Fatalf("step %d: register %v: %v, want a conflict", step, values, err)
			}
		}
	}
}

// TestMergeThatCannotCompleteRollsBack: a merge cut short, and meanwhile
// one of its duplicates (not merged yet) deleted: carrying it on rolls it
// back whole: the duplicates it merged come back, the survivor records
// MergeAbandoned and took nothing.
func TestMergeThatCannotCompleteRollsBack(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	survivor := f.register(map[string]string{"first_name": "Sam"})
	var dups []string
	for i := range 4 {
		dups = append(dups, f.register(map[string]string{"first_name": fmt.Sprintf("D%d", i), "email": fmt.Sprintf("d%d@example.org", i)}))
	}
	dying := &dyingStore{EventStore: f.store, left: 3} // MergeStarted, then two duplicates
	if _, err := (&domain.Handler{Store: dying, KeySecret: testSecret}).MergeContacts(ctx, f.caller, survivor, dups, nil); !errors.Is(err, errKilled) {
		t.Fatalf("merge: %v, want the kill", err)
	}
	if _, err := f.h.ArchiveContact(ctx, f.caller, dups[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.DeleteContact(ctx, f.caller, dups[3]); err != nil {
		t.Fatal(err)
	}
	_, err := f.h.CompleteMerge(ctx, f.caller, survivor)
	wantErr(t, err, domain.ECONFLICT, "", "it was deleted")
	s := f.load(survivor)
	if s.Merging != nil || len(s.MergeOf) != 0 || !reflect.DeepEqual(s.Values, map[string]string{"first_name": "Sam"}) {
		t.Errorf("survivor %v merging %v MergeOf %v, want untouched and the merge closed", s.Values, s.Merging, s.MergeOf)
	}
	if got := types(f.stream(domain.ContactStream(survivor))); !reflect.DeepEqual(got, []string{"ContactRegistered", "MergeStarted", "MergeAbandoned"}) {
		t.Errorf("survivor's stream %v", got)
	}
	for _, d := range dups[:3] {
		if c := f.load(d); c.Status != domain.StatusActive {
			t.Errorf("duplicate %s is %q, want active again", d, c.Status)
		}
	}
	// Their keys are theirs again.
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "N", "email": "d0@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+dups[0])
}

// TestMergeCutAfterTheSurvivorsClaimKeepsTheKey: a merge killed after the
// survivor claimed the duplicate's email (it claims it just before
// recording what it takes): while the merge is open, nobody can register
// that email, even once the claim's lease has passed; rolled back, the
// email is the duplicate's again.
func TestMergeCutAfterTheSurvivorsClaimKeepsTheKey(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam", "email": "sam@example.org"})
	dee := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	// MergeStarted, ContactMerged, then the survivor's claim of dee@.
	dying := &dyingStore{EventStore: f.store, left: 3}
	_, err := (&domain.Handler{Store: dying, KeySecret: testSecret}).MergeContacts(ctx, f.caller, sam, []string{dee}, map[string]string{"email": dee})
	if !errors.Is(err, errKilled) {
		t.Fatalf("merge: %v, want the kill", err)
	}
	impatient := &domain.Handler{Store: f.store, KeySecret: testSecret, Lease: time.Nanosecond}
	_, err = impatient.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Eve", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "")
	// The survivor is archived meanwhile: the merge can no longer complete.
	if _, err := f.h.ArchiveContact(ctx, f.caller, sam); err != nil {
		t.Fatal(err)
	}
	_, err = f.h.CompleteMerge(ctx, f.caller, sam)
	wantErr(t, err, domain.ECONFLICT, "", "archived")
	if d := f.load(dee); d.Status != domain.StatusActive || d.Email() != "dee@example.org" {
		t.Fatalf("duplicate after the rollback: %q %v", d.Status, d.Values)
	}
	if holder, err := f.h.KeyHolder(ctx, f.caller.CommunityID, "email", "dee@example.org"); err != nil || holder != dee {
		t.Errorf("dee@example.org held by %q (%v), want the duplicate again", holder, err)
	}
	_, err = impatient.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Eve", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+dee)
}

// TestUnmergeAfterTheSurvivorChangedTheKeyItTook: a survivor that took a
// duplicate's email and changed it since keeps the duplicate's email
// reserved: nobody registers it, and the unmerge gives it back.
func TestUnmergeAfterTheSurvivorChangedTheKeyItTook(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam", "email": "sam@example.org"})
	dee := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{dee}, map[string]string{"email": dee}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.UpdateContact(ctx, f.caller, sam, map[string]string{"email": "samuel@example.org"}, 0); err != nil {
		t.Fatal(err)
	}
	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Eve", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "reserved for contact "+sam)
	if _, err := f.h.UnmergeContact(ctx, f.caller, sam, dee); err != nil {
		t.Fatalf("unmerge: %v", err)
	}
	if d := f.load(dee); d.Status != domain.StatusActive || d.Email() != "dee@example.org" {
		t.Fatalf("duplicate after the unmerge: %q %v", d.Status, d.Values)
	}
	if s := f.load(sam); s.Email() != "samuel@example.org" {
		t.Errorf("survivor after the unmerge: %v, want the email it chose kept", s.Values)
	}
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Eve", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+dee)
	// Its own old email, given up in the merge, is free now.
	f.register(map[string]string{"first_name": "Eve", "email": "sam@example.org"})
}
