package domain_test

// Commands whose store fails, races or dies half-way: what they leave is
// always whole (nothing, or everything), and keys are never held twice.

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/assoc/contacts/domain"
)

// hookStore wraps the real store and calls before ahead of each append and
// after each successful one (in the appending goroutine).
type hookStore struct {
	domain.EventStore
	before, after func(stream string, events []domain.EventData)
}

func (s *hookStore) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	if s.before != nil {
		s.before(stream, events)
	}
	res, err := s.EventStore.Append(ctx, stream, expected, events)
	if err == nil && s.after != nil {
		s.after(stream, events)
	}
	return res, err
}

// readFaultyStore wraps the real store and fails the reads of one stream.
type readFaultyStore struct {
	domain.EventStore
	stream string
}

func (s *readFaultyStore) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	if stream == s.stream {
		return nil, errInjected
	}
	return s.EventStore.ReadStream(ctx, stream, dir, from, limit)
}

// once returns a function that runs fn the first time only.
func once(fn func()) func() {
	var o sync.Once
	return func() { o.Do(fn) }
}

// keyEvents groups the log's key reservation events by stream, in order.
func (f *fixture) keyEvents() map[string][]domain.Event {
	f.t.Helper()
	out := map[string][]domain.Event{}
	for _, e := range f.all() {
		if strings.HasPrefix(e.raw.Stream, "key-") {
			out[e.raw.Stream] = append(out[e.raw.Stream], e.event)
		}
	}
	return out
}

// withEmail lists the contacts (of ids) whose email is email.
func (f *fixture) withEmail(email string, ids ...string) []string {
	f.t.Helper()
	var out []string
	for _, id := range ids {
		if id == "" {
			continue
		}
		c, err := domain.LoadContact(f.t.Context(), f.store, f.caller.CommunityID, id)
		if err != nil {
			continue
		}
		if strings.EqualFold(c.Email(), email) && (c.Status == domain.StatusActive || c.Status == domain.StatusArchived) {
			out = append(out, id)
		}
	}
	return out
}

// TestHandlerStaleReservationClaimedAgain: A changes x→y but the release of
// x fails, so x's reservation still names A at A's first version. When A
// changes back y→x, its claim must be in flight again: a registration of x
// while A's append is pending must be refused, not see A (past that version,
// without x) as done with it.
func TestHandlerStaleReservationClaimedAgain(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	ann := f.register(map[string]string{"first_name": "Ann", "email": "x@example.org"})

	releasedOnce := false
	noRelease := &faultyStore{EventStore: f.store, fail: func(_ string, events []domain.EventData) bool {
		if !releasedOnce && events[0].Type == "KeyReleased" {
			releasedOnce = true
			return true
		}
		return false
	}}
	h1 := &domain.Handler{Store: noRelease, KeySecret: testSecret}
	if _, err := h1.UpdateContact(ctx, f.caller, ann, map[string]string{"email": "y@example.org"}, 0); err != nil {
		t.Fatalf("x→y: %v", err)
	}
	if !releasedOnce {
		t.Fatal("the release of x was never attempted")
	}

	var thief domain.Result
	thiefErr := errors.New("thief never ran")
	paused := &hookStore{EventStore: f.store, before: func(stream string, _ []domain.EventData) {
		if stream == domain.ContactStream(ann) {
			once(func() {
				thief, thiefErr = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Bob", "email": "x@example.org"})
			})()
		}
	}}
	h2 := &domain.Handler{Store: paused, KeySecret: testSecret}
	if _, err := h2.UpdateContact(ctx, f.caller, ann, map[string]string{"email": "x@example.org"}, 0); err != nil {
		t.Fatalf("y→x: %v", err)
	}
	if thiefErr == nil {
		t.Fatalf("registered %s with x while A's claim of x was in flight: contacts with x: %v",
			thief.ID, f.withEmail("x@example.org", ann, thief.ID))
	}
	wantErr(t, thiefErr, domain.ECONFLICT, "email", "being claimed by another request")
	if got := f.withEmail("x@example.org", ann, thief.ID); !reflect.DeepEqual(got, []string{ann}) {
		t.Fatalf("contacts with x: %v, want only %s", got, ann)
	}
	// And now x is A's for good.
	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Bob", "email": "x@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+ann)
}

// TestHandlerReleaseSurvivesCancel: once a contact's events are recorded,
// the keys it gave up are released even if the caller went away.
func TestHandlerReleaseSurvivesCancel(t *testing.T) {
	f := setup(t)
	ann := f.register(map[string]string{"first_name": "Ann", "email": "x@example.org"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	hangUp := &hookStore{EventStore: f.store, after: func(stream string, _ []domain.EventData) {
		if stream == domain.ContactStream(ann) {
			cancel() // the client disconnects right after the contact's append
		}
	}}
	h := &domain.Handler{Store: hangUp, KeySecret: testSecret}
	if _, err := h.UpdateContact(ctx, f.caller, ann, map[string]string{"email": "y@example.org"}, 0); err != nil {
		t.Fatalf("x→y: %v", err)
	}
	released := false
	for _, events := range f.keyEvents() {
		if e, ok := events[len(events)-1].(domain.KeyReleased); ok && e.ContactID == ann {
			released = true
		}
	}
	if !released {
		t.Fatalf("x's reservation was not released after the caller went away: %v", f.keyEvents())
	}
}

// TestHandlerDeleteSurvivorDeletesDuplicates: deleting a survivor deletes the
// duplicates merged into it (and those merged into them), and frees every
// key they had.
func TestHandlerDeleteSurvivorDeletesDuplicates(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	bee := f.register(map[string]string{"first_name": "Bee", "email": "bee@example.org"})
	cee := f.register(map[string]string{"first_name": "Cee", "email": "cee@example.org", "external_id": "C-1"})
	eve := f.register(map[string]string{"first_name": "Eve", "email": "eve@example.org"})
	// Eve was merged into Cee before Cee was merged into Sam.
	for _, m := range []struct {
		survivor string
		dups     []string
	}{{cee, []string{eve}}, {sam, []string{bee, cee}}} {
		if _, err := f.h.MergeContacts(ctx, f.caller, m.survivor, m.dups, nil); err != nil {
			t.Fatal(err)
		}
	}
	if s := f.load(sam); s.Email() != "bee@example.org" {
		t.Fatalf("survivor email %q, want the one it took from bee", s.Email())
	}
	if _, err := f.h.ArchiveContact(ctx, f.caller, sam); err != nil {
		t.Fatal(err)
	}
	res, err := f.h.DeleteContact(ctx, f.caller, sam)
	if err != nil {
		t.Fatalf("delete survivor: %v", err)
	}
	if !res.Changed || res.ID != sam {
		t.Errorf("delete result %+v, want the survivor %s changed", res, sam)
	}
	for _, id := range []string{sam, bee, cee, eve} {
		if c := f.load(id); c.Status != domain.StatusDeleted || len(c.Values) != 0 {
			t.Errorf("contact %s is %q with %v, want deleted with no values", id, c.Status, c.Values)
		}
	}
	// Every key is free.
	for _, values := range []map[string]string{
		{"first_name": "New", "email": "bee@example.org"},
		{"first_name": "New", "email": "cee@example.org", "external_id": "C-1"},
		{"first_name": "New", "email": "eve@example.org"},
	} {
		if _, err := f.h.RegisterContact(ctx, f.caller, values); err != nil {
			t.Errorf("keys of a deleted survivor's duplicates still taken: %v", err)
		}
	}
	// Deleting again changes nothing.
	n := f.eventCount()
	if res, err := f.h.DeleteContact(ctx, f.caller, sam); err != nil || res.Changed || f.eventCount() != n {
		t.Errorf("delete again: %+v %v, appended %d events, want nothing", res, err, f.eventCount()-n)
	}
}

// TestHandlerDeleteSurvivorInterrupted: a delete that stopped after the
// survivor leaves its duplicates' keys free at once, and deleting the
// survivor again deletes the duplicates left.
func TestHandlerDeleteSurvivorInterrupted(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam", "email": "sam@example.org"})
	bee := f.register(map[string]string{"first_name": "Bee", "email": "bee@example.org"})
	cee := f.register(map[string]string{"first_name": "Cee", "email": "cee@example.org"})
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{bee, cee}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.ArchiveContact(ctx, f.caller, sam); err != nil {
		t.Fatal(err)
	}
	faulty := &faultyStore{EventStore: f.store, fail: failOnce(domain.ContactStream(cee))}
	h := &domain.Handler{Store: faulty, KeySecret: testSecret}
	_, err := h.DeleteContact(ctx, f.caller, sam)
	if !errors.Is(err, errInjected) {
		t.Fatalf("interrupted delete: %v, want the injected failure", err)
	}
	if c := f.load(sam); c.Status != domain.StatusDeleted {
		t.Fatalf("survivor is %q, want deleted", c.Status)
	}
	if c := f.load(bee); c.Status != domain.StatusDeleted {
		t.Errorf("first duplicate is %q, want deleted", c.Status)
	}
	if c := f.load(cee); c.Status != domain.StatusMerged {
		t.Fatalf("second duplicate is %q, want still merged (its delete failed)", c.Status)
	}
	// Its survivor deleted, the merged duplicate no longer holds its email.
	newCee, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "New", "email": "cee@example.org"})
	if err != nil {
		t.Fatalf("email of a duplicate merged into a deleted survivor still taken: %v", err)
	}
	// Deleting the survivor again finishes the duplicates.
	res, err := f.h.DeleteContact(ctx, f.caller, sam)
	if err != nil || !res.Changed {
		t.Fatalf("delete again: %+v %v, want the rest of the cascade", res, err)
	}
	if c := f.load(cee); c.Status != domain.StatusDeleted || len(c.Values) != 0 {
		t.Errorf("second duplicate is %q with %v, want deleted with no values", c.Status, c.Values)
	}
	// The email stayed with its new holder.
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "X", "email": "cee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+newCee.ID)
}

// TestHandlerUnmergeHandsKeyToDuplicate: the email the survivor gives back on
// unmerge passes straight to the duplicate: a registration between the
// survivor's append and the duplicate's cannot take it.
func TestHandlerUnmergeHandsKeyToDuplicate(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	dee := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{dee}, nil); err != nil {
		t.Fatal(err)
	}
	if s := f.load(sam); s.Email() != "dee@example.org" {
		t.Fatalf("survivor email %q, want the duplicate's", s.Email())
	}
	var thief domain.Result
	thiefErr := errors.New("thief never ran")
	between := &hookStore{EventStore: f.store, after: func(stream string, events []domain.EventData) {
		if stream == domain.ContactStream(sam) && events[0].Type == "DuplicateReleased" {
			once(func() {
				thief, thiefErr = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Thief", "email": "dee@example.org"})
			})()
		}
	}}
	h := &domain.Handler{Store: between, KeySecret: testSecret}
	if _, err := h.UnmergeContact(ctx, f.caller, sam, dee); err != nil {
		t.Fatalf("unmerge: %v (thief: %+v %v)", err, thief, thiefErr)
	}
	wantErr(t, thiefErr, domain.ECONFLICT, "email", "already used by contact "+dee)
	if d := f.load(dee); d.Status != domain.StatusActive || d.Email() != "dee@example.org" {
		t.Fatalf("duplicate is %q with %v, want active with its email", d.Status, d.Values)
	}
	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "X", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+dee)
	// The duplicate found the key already its own: one handover, no release.
	for stream, events := range f.keyEvents() {
		for _, e := range events {
			if r, ok := e.(domain.KeyReleased); ok {
				t.Errorf("%s: released by %s during the unmerge, want a handover", stream, r.ContactID)
			}
		}
		if last, ok := events[len(events)-1].(domain.KeyReserved); ok && last.ContactID == dee && len(events) != 3 {
			t.Errorf("%s: %d events %v, want registered, taken by the survivor, handed back", stream, len(events), events)
		}
	}
}

// TestHandlerUnmergeSurvivorFailsKeyStaysWithIt: when the survivor's append
// fails after the handover, the key goes back to the survivor (which still
// has it) and the unmerge can run again.
func TestHandlerUnmergeSurvivorFailsKeyStaysWithIt(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	dee := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{dee}, nil); err != nil {
		t.Fatal(err)
	}
	faulty := &faultyStore{EventStore: f.store, fail: failOnce(domain.ContactStream(sam))}
	h := &domain.Handler{Store: faulty, KeySecret: testSecret}
	if _, err := h.UnmergeContact(ctx, f.caller, sam, dee); !errors.Is(err, errInjected) {
		t.Fatalf("unmerge: %v, want the injected failure", err)
	}
	if s := f.load(sam); s.Email() != "dee@example.org" || len(s.MergeOf) != 1 {
		t.Fatalf("survivor %v MergeOf %v, want unchanged", s.Values, s.MergeOf)
	}
	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "X", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+sam)
	if _, err := h.UnmergeContact(ctx, f.caller, sam, dee); err != nil {
		t.Fatalf("unmerge again: %v", err)
	}
	if d := f.load(dee); d.Status != domain.StatusActive || d.Email() != "dee@example.org" {
		t.Fatalf("duplicate is %q with %v, want active with its email", d.Status, d.Values)
	}
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "X", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+dee)
}

// TestHandlerMergeRollsBackWhenADuplicateFails: another merge takes the second
// duplicate after the first was merged: the first is unmerged again, the
// survivor is untouched, and the error names the duplicate that failed.
func TestHandlerMergeRollsBackWhenADuplicateFails(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	d1 := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	d2 := f.register(map[string]string{"first_name": "Two", "last_name": "Doe"})
	other := f.register(map[string]string{"first_name": "Oth"})
	var otherErr error
	race := &hookStore{EventStore: f.store, after: func(stream string, _ []domain.EventData) {
		if stream == domain.ContactStream(d1) {
			once(func() { _, otherErr = f.h.MergeContacts(ctx, f.caller, other, []string{d2}, nil) })()
		}
	}}
	h := &domain.Handler{Store: race, KeySecret: testSecret}
	_, err := h.MergeContacts(ctx, f.caller, sam, []string{d1, d2}, nil)
	if otherErr != nil {
		t.Fatalf("the concurrent merge: %v", otherErr)
	}
	wantErr(t, err, domain.ECONFLICT, "", "cannot merge contact "+d2+": it was merged into "+other)
	if c := f.load(d1); c.Status != domain.StatusActive || c.MergedInto != "" {
		t.Fatalf("first duplicate is %q into %q, want active again (rolled back)", c.Status, c.MergedInto)
	}
	if got := types(f.stream(domain.ContactStream(d1))); !reflect.DeepEqual(got, []string{"ContactRegistered", "ContactMerged", "ContactUnmerged"}) {
		t.Errorf("first duplicate's stream %v, want merged then unmerged", got)
	}
	if s := f.load(sam); len(s.Values) != 1 || len(s.MergeOf) != 0 || s.Merging != nil {
		t.Errorf("survivor %v MergeOf %v merging %v, want its values alone and the merge closed", s.Values, s.MergeOf, s.Merging)
	}
	if got := types(f.stream(domain.ContactStream(sam))); !reflect.DeepEqual(got, []string{"ContactRegistered", "MergeStarted", "MergeAbandoned"}) {
		t.Errorf("survivor's stream %v, want the merge started then abandoned", got)
	}
	// The first duplicate is itself again: it merges anew.
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{d1}, nil); err != nil {
		t.Fatalf("merge the first duplicate alone: %v", err)
	}
	if s := f.load(sam); s.Email() != "dee@example.org" {
		t.Errorf("survivor %v, want the first duplicate's email", s.Values)
	}
}

// TestHandlerMergeStoppedByTheStoreCarriesOn: a duplicate's append fails
// for a reason other than a conflict (the store is down): the error says
// where the merge stopped and wraps the cause; the merge stays started, and
// carrying it on (CompleteMerge, as serve does) completes it.
func TestHandlerMergeStoppedByTheStoreCarriesOn(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	d1 := f.register(map[string]string{"first_name": "Dee"})
	d2 := f.register(map[string]string{"first_name": "Two", "last_name": "Doe"})
	faulty := &faultyStore{EventStore: f.store, fail: failOnce(domain.ContactStream(d2))}
	h := &domain.Handler{Store: faulty, KeySecret: testSecret}
	_, err := h.MergeContacts(ctx, f.caller, sam, []string{d1, d2}, nil)
	if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "stopped at contact "+d2) {
		t.Fatalf("merge: %v, want the injected failure naming %s", err, d2)
	}
	if s := f.load(sam); s.Merging == nil || !reflect.DeepEqual(s.Merging.DuplicateIDs, []string{d1, d2}) {
		t.Fatalf("survivor merging %+v, want the merge open", s.Merging)
	}
	if _, err := h.CompleteMerge(ctx, f.caller, sam); err != nil {
		t.Fatalf("carry the merge on: %v", err)
	}
	s := f.load(sam)
	if s.Merging != nil || s.LastName() != "Doe" || len(s.MergeOf) != 1 {
		t.Errorf("survivor %v merging %v MergeOf %v, want the merge complete", s.Values, s.Merging, s.MergeOf)
	}
	for _, id := range []string{d1, d2} {
		if c := f.load(id); c.Status != domain.StatusMerged || c.MergedInto != sam {
			t.Errorf("duplicate %s is %q, want merged into the survivor", id, c.Status)
		}
	}
}

// TestHandlerMergeLoadFailureIsNotNotFound: a duplicate that cannot be read
// is a failure of the store, not an unknown contact.
func TestHandlerMergeLoadFailureIsNotNotFound(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	dee := f.register(map[string]string{"first_name": "Dee"})
	h := &domain.Handler{Store: &readFaultyStore{EventStore: f.store, stream: domain.ContactStream(dee)}, KeySecret: testSecret}
	_, err := h.MergeContacts(ctx, f.caller, sam, []string{dee}, nil)
	if !errors.Is(err, errInjected) || domain.ErrorCode(err) != domain.EINTERNAL {
		t.Fatalf("merge: %v (code %q), want the injected read failure, internal", err, domain.ErrorCode(err))
	}
}
