package domain_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/memory"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

var testSecret = []byte("domain handler test secret")

// fixture is a handler on a fresh event store, with one community.
type fixture struct {
	t      *testing.T
	store  domain.EventStore
	pool   *pgxpool.Pool // on PostgreSQL: what the log holds, visible or not yet
	h      *domain.Handler
	caller domain.Caller
}

func setup(t *testing.T) *fixture {
	t.Helper()
	store, pool := newStore(t)
	f := &fixture{t: t, store: store, pool: pool, h: &domain.Handler{Store: store, KeySecret: testSecret}}
	f.caller = f.newCommunity("Choir")
	return f
}

// newStore is the store a test runs on: in memory (the domain needs no
// database), or PostgreSQL for the tests TestOnPostgres runs again there.
func newStore(t *testing.T) (domain.EventStore, *pgxpool.Pool) {
	t.Helper()
	if !strings.HasPrefix(t.Name(), "TestOnPostgres/") {
		return memory.New(), nil
	}
	pool := pgtest.NewPool(t)
	store := postgres.New(pool, nil)
	t.Cleanup(store.Close)
	return store, pool
}

// TestOnPostgres runs the tests that lean hardest on the store (races,
// crashes, keys, merges) again on PostgreSQL, the service's own store.
func TestOnPostgres(t *testing.T) {
	for name, test := range map[string]func(*testing.T){
		"RegisterThenLoad":                    TestHandlerRegisterThenLoad,
		"UniqueKeys":                          TestHandlerUniqueKeys,
		"ConcurrentUpdates":                   TestHandlerConcurrentUpdates,
		"ConcurrentRegistrationsOfOneEmail":   TestHandlerConcurrentRegistrationsOfOneEmail,
		"CrashBetweenReservationAndContact":   TestHandlerCrashBetweenReservationAndContact,
		"Merge":                               TestHandlerMerge,
		"Unmerge":                             TestHandlerUnmerge,
		"MergeCutShortAtEveryStepCompletes":   TestMergeCutShortAtEveryStepCompletes,
		"MergeCutAfterTheSurvivorsClaimKeeps": TestMergeCutAfterTheSurvivorsClaimKeepsTheKey,
		"DeleteSurvivorDeletesDuplicates":     TestHandlerDeleteSurvivorDeletesDuplicates,
		"Metadata":                            TestHandlerMetadata,
		"ContactHistory":                      TestContactHistory,
		"UnmergeNeverBlockedByDisplacedKey":   TestHandlerUnmergeNeverBlockedByDisplacedKey,
	} {
		t.Run(name, test)
	}
}

// newCommunity creates a community and returns a caller acting in it.
func (f *fixture) newCommunity(name string) domain.Caller {
	f.t.Helper()
	res, err := f.h.CreateCommunity(f.t.Context(), domain.Caller{Actor: "test"}, name)
	if err != nil {
		f.t.Fatalf("create community: %v", err)
	}
	return domain.Caller{CommunityID: res.ID, Actor: "test"}
}

func (f *fixture) defineField(key string, typ domain.FieldType) domain.Field {
	f.t.Helper()
	field, _, err := f.h.DefineField(f.t.Context(), f.caller, domain.Field{Key: key, Label: key, Type: typ})
	if err != nil {
		f.t.Fatalf("define field %s: %v", key, err)
	}
	return field
}

func (f *fixture) register(values map[string]string) string {
	f.t.Helper()
	res, err := f.h.RegisterContact(f.t.Context(), f.caller, values)
	if err != nil {
		f.t.Fatalf("register %v: %v", values, err)
	}
	return res.ID
}

func (f *fixture) load(id string) *domain.Contact {
	f.t.Helper()
	c, err := domain.LoadContact(f.t.Context(), f.store, f.caller.CommunityID, id)
	if err != nil {
		f.t.Fatalf("load %s: %v", id, err)
	}
	return c
}

// eventCount is the length of the whole log.
func (f *fixture) eventCount() int64 {
	f.t.Helper()
	var n int64
	if f.pool != nil {
		// ReadAll holds events back until older transactions end: count
		// what is stored.
		if err := f.pool.QueryRow(f.t.Context(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
			f.t.Fatalf("count events: %v", err)
		}
		return n
	}
	for from := domain.Start; ; {
		page, err := f.store.ReadAll(f.t.Context(), from, 10000)
		if err != nil {
			f.t.Fatalf("count events: %v", err)
		}
		if len(page) == 0 {
			return n
		}
		n += int64(len(page))
		from = page[len(page)-1].Position
	}
}

type decoded struct {
	event domain.Event
	meta  domain.Metadata
	raw   domain.RecordedEvent
}

// stream reads and decodes a whole stream.
func (f *fixture) stream(name string) []decoded {
	f.t.Helper()
	records, err := f.store.ReadStream(f.t.Context(), name, domain.Forwards, 1, 1000)
	if err != nil {
		f.t.Fatalf("read %s: %v", name, err)
	}
	out := make([]decoded, len(records))
	for i, r := range records {
		e, meta, err := domain.Decode(r)
		if err != nil {
			f.t.Fatalf("decode %s@%d: %v", name, r.Version, err)
		}
		out[i] = decoded{e, meta, r}
	}
	return out
}

// all reads and decodes the whole log. ReadAll holds back events until
// every older transaction of the server has ended (other tests' too), so
// it waits until the log shows every stored event.
func (f *fixture) all() []decoded {
	f.t.Helper()
	want := f.eventCount()
	var records []domain.RecordedEvent
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		records, err = f.store.ReadAll(f.t.Context(), domain.Start, 10000)
		if err != nil {
			f.t.Fatalf("read all: %v", err)
		}
		if int64(len(records)) >= want {
			break
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("read all: %d of %d events after 20s", len(records), want)
		}
	}
	out := make([]decoded, len(records))
	for i, r := range records {
		e, meta, err := domain.Decode(r)
		if err != nil {
			f.t.Fatalf("decode %s@%d: %v", r.Stream, r.Version, err)
		}
		out[i] = decoded{e, meta, r}
	}
	return out
}

func types(events []decoded) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.raw.Type
	}
	return out
}

// faultyStore wraps the real store and fails the appends fail picks.
type faultyStore struct {
	domain.EventStore
	mu   sync.Mutex
	fail func(stream string, events []domain.EventData) bool
}

var errInjected = errors.New("injected append failure")

func (s *faultyStore) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	s.mu.Lock()
	fail := s.fail(stream, events)
	s.mu.Unlock()
	if fail {
		return domain.AppendResult{}, errInjected
	}
	return s.EventStore.Append(ctx, stream, expected, events)
}

// failOnce fails the first append to stream.
func failOnce(stream string) func(string, []domain.EventData) bool {
	done := false
	return func(s string, _ []domain.EventData) bool {
		if !done && s == stream {
			done = true
			return true
		}
		return false
	}
}

func TestHandlerRegisterThenLoad(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	phone := f.defineField("phone", domain.FieldPhone)

	res, err := f.h.RegisterContact(ctx, f.caller, map[string]string{
		"first_name": " Ann ", "email": "Ann@Example.org", "phone": "+33 1 23 45", "last_name": ""})
	if err != nil {
		t.Fatal(err)
	}
	if !domain.ValidID(res.ID) || res.Version != 1 || !res.Changed || res.Position.IsStart() {
		t.Fatalf("result %+v, want a new ID at version 1, changed, with a position", res)
	}
	c := f.load(res.ID)
	want := map[string]string{"first_name": "Ann", "email": "Ann@Example.org", phone.ID: "+33 1 23 45"}
	if !reflect.DeepEqual(c.Values, want) {
		t.Errorf("loaded values %v, want %v", c.Values, want)
	}
	if c.ID != res.ID || c.CommunityID != f.caller.CommunityID || c.Status != domain.StatusActive || c.Version != 1 || c.CreatedAt.IsZero() {
		t.Errorf("loaded %+v, want active contact %s of %s at version 1 with a creation time", c, res.ID, f.caller.CommunityID)
	}

	// Another community does not see it.
	other := f.newCommunity("Other")
	_, err = domain.LoadContact(ctx, f.store, other.CommunityID, res.ID)
	wantErr(t, err, domain.ENOTFOUND, "", "not found")
	_, err = f.h.UpdateContact(ctx, other, res.ID, map[string]string{"first_name": "X"}, 0)
	wantErr(t, err, domain.ENOTFOUND, "", "not found")

	// A refused registration writes nothing.
	n := f.eventCount()
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"email": "bad", "first_name": "B"})
	wantErr(t, err, domain.EINVALID, "email", "not an email")
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"nickname": "B"})
	wantErr(t, err, domain.EINVALID, "nickname", "not a field")
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"phone": "0123 456"})
	wantErr(t, err, domain.EINVALID, "", "needs a first name")
	_, err = f.h.RegisterContact(ctx, domain.Caller{CommunityID: domain.NewID(), Actor: "test"}, map[string]string{"first_name": "B"})
	wantErr(t, err, domain.ENOTFOUND, "", "not found")
	if got := f.eventCount(); got != n {
		t.Errorf("refused registrations wrote %d events", got-n)
	}

	// An ID already used is refused, and its email stays with its holder.
	_, err = f.h.RegisterContactWithID(ctx, f.caller, res.ID, map[string]string{"first_name": "Bob", "email": "bob@example.org"})
	wantErr(t, err, domain.ECONFLICT, "", "already exists")
	if c := f.load(res.ID); c.Version != 1 || c.FirstName() != "Ann" {
		t.Errorf("existing contact changed by a colliding registration: %+v", c)
	}
	f.register(map[string]string{"first_name": "Bob", "email": "bob@example.org"})
}

func TestHandlerUniqueKeys(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	ann := f.register(map[string]string{"first_name": "Ann", "email": "ann@example.org", "external_id": "M-001"})

	n := f.eventCount()
	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Imposter", "email": " ANN@Example.ORG "})
	wantErr(t, err, domain.ECONFLICT, "email", "email is already used by contact "+ann)
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Imposter", "external_id": "M-001"})
	wantErr(t, err, domain.ECONFLICT, "external_id", "external_id is already used by contact "+ann)
	if got := f.eventCount(); got != n {
		t.Errorf("refused registrations wrote %d events", got-n)
	}

	// External IDs compare exactly; emails of other addresses are free.
	f.register(map[string]string{"first_name": "Lower", "external_id": "m-001"})
	bob := f.register(map[string]string{"first_name": "Bob", "email": "bob@example.org"})

	// Taking a used key by update is refused too.
	_, err = f.h.UpdateContact(ctx, f.caller, bob, map[string]string{"email": "Ann@example.org"}, 0)
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+ann)
	_, err = f.h.UpdateContact(ctx, f.caller, bob, map[string]string{"external_id": "M-001"}, 0)
	wantErr(t, err, domain.ECONFLICT, "external_id", "already used by contact "+ann)
	if c := f.load(bob); c.Email() != "bob@example.org" || c.ExternalID() != "" || c.Version != 1 {
		t.Errorf("bob changed by refused updates: %v version %d", c.Values, c.Version)
	}

	// A contact's own email in another case is no collision.
	if _, err := f.h.UpdateContact(ctx, f.caller, ann, map[string]string{"email": "ANN@example.org"}, 0); err != nil {
		t.Fatalf("changing the case of one's own email: %v", err)
	}
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Imposter", "email": "ann@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+ann)
}

func TestHandlerSameEmailInAnotherCommunity(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.register(map[string]string{"first_name": "Ann", "email": "ann@example.org", "external_id": "M-1"})
	other := f.newCommunity("Other")
	res, err := f.h.RegisterContact(ctx, other, map[string]string{"first_name": "Ann", "email": "ann@example.org", "external_id": "M-1"})
	if err != nil {
		t.Fatalf("same keys in another community refused: %v", err)
	}
	// ...and there it is unique too.
	_, err = f.h.RegisterContact(ctx, other, map[string]string{"first_name": "Again", "email": "Ann@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+res.ID)
}

func TestHandlerKeyReservedWhileArchivedFreedByDelete(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	ann := f.register(map[string]string{"first_name": "Ann", "email": "ann@example.org", "external_id": "A-1"})
	if res, err := f.h.ArchiveContact(ctx, f.caller, ann); err != nil || !res.Changed {
		t.Fatalf("archive: %+v %v", res, err)
	}

	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Bob", "email": "ann@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+ann)
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Bob", "external_id": "A-1"})
	wantErr(t, err, domain.ECONFLICT, "external_id", "already used by contact "+ann)

	res, err := f.h.RestoreContact(ctx, f.caller, ann)
	if err != nil || !res.Changed {
		t.Fatalf("restore: %+v %v", res, err)
	}
	if c := f.load(ann); c.Status != domain.StatusActive || c.Email() != "ann@example.org" || c.ExternalID() != "A-1" {
		t.Fatalf("restored %q with %v, want active with its values", c.Status, c.Values)
	}

	_, err = f.h.DeleteContact(ctx, f.caller, ann)
	wantErr(t, err, domain.ECONFLICT, "", "archive it before deleting it")
	if _, err := f.h.ArchiveContact(ctx, f.caller, ann); err != nil {
		t.Fatal(err)
	}
	if res, err := f.h.DeleteContact(ctx, f.caller, ann); err != nil || !res.Changed {
		t.Fatalf("delete: %+v %v", res, err)
	}
	if c := f.load(ann); c.Status != domain.StatusDeleted || len(c.Values) != 0 {
		t.Fatalf("deleted %q with %v, want deleted without values", c.Status, c.Values)
	}
	_, err = f.h.RestoreContact(ctx, f.caller, ann)
	wantErr(t, err, domain.ECONFLICT, "", "it was deleted")

	bob, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Bob", "email": "Ann@example.org", "external_id": "A-1"})
	if err != nil {
		t.Fatalf("keys of a deleted contact still taken: %v", err)
	}
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Carl", "email": "ann@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+bob.ID)
}

func TestHandlerChangingEmailFreesTheOldOne(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	ann := f.register(map[string]string{"first_name": "Ann", "email": "old@example.org", "external_id": "X-1"})
	if _, err := f.h.UpdateContact(ctx, f.caller, ann, map[string]string{"email": "new@example.org", "external_id": "X-2"}, 0); err != nil {
		t.Fatal(err)
	}
	f.register(map[string]string{"first_name": "Bob", "email": "old@example.org", "external_id": "X-1"})
	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Carl", "email": "new@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+ann)

	// Clearing it frees it too.
	if _, err := f.h.UpdateContact(ctx, f.caller, ann, map[string]string{"email": ""}, 0); err != nil {
		t.Fatal(err)
	}
	f.register(map[string]string{"first_name": "Carl", "email": "new@example.org"})
}

// TestHandlerCrashBetweenReservationAndContact: a command that dies after
// reserving an email but before recording its contact leaves a reservation
// nobody holds. It blocks the email for the lease only.
func TestHandlerCrashBetweenReservationAndContact(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	crashed := false
	dying := &faultyStore{EventStore: f.store, fail: func(stream string, _ []domain.EventData) bool {
		if strings.HasPrefix(stream, "contact-") {
			crashed = true
		}
		return crashed // once dead, it writes nothing more (no release either)
	}}
	dead := &domain.Handler{Store: dying, KeySecret: testSecret}
	ghost := domain.NewID()
	_, err := dead.RegisterContactWithID(ctx, f.caller, ghost, map[string]string{"first_name": "Ghost", "email": "ghost@example.org"})
	if !errors.Is(err, errInjected) {
		t.Fatalf("crashing registration: got %v, want the injected failure", err)
	}
	if _, err := domain.LoadContact(ctx, f.store, f.caller.CommunityID, ghost); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("ghost contact: got %v, want not found", err)
	}
	var reserved []domain.KeyReserved
	for _, e := range f.all() {
		switch e := e.event.(type) {
		case domain.KeyReserved:
			reserved = append(reserved, e)
		case domain.KeyReleased:
			t.Fatalf("crashed command released its key: %+v", e)
		}
	}
	if len(reserved) != 1 || reserved[0].ContactID != ghost {
		t.Fatalf("reservations %+v, want one held by the ghost %s", reserved, ghost)
	}

	// Within the lease the claim may still be in flight: the first
	// sighting of it starts the lease, on this process's own clock.
	var uptime atomic.Int64
	short := &domain.Handler{Store: f.store, KeySecret: testSecret, Uptime: func() time.Duration { return time.Duration(uptime.Load()) }}
	_, err = short.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Real", "email": "Ghost@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "being claimed by another request")
	uptime.Store(int64(5 * time.Second))
	_, err = short.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Real", "email": "Ghost@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "being claimed by another request")

	// Seen in flight for a whole lease, the email is reclaimed.
	uptime.Store(int64(11 * time.Second))
	res, err := short.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Real", "email": "Ghost@example.org"})
	if err != nil {
		t.Fatalf("registration after the lease: %v", err)
	}
	if c := f.load(res.ID); c.Email() != "Ghost@example.org" {
		t.Fatalf("registered %v", c.Values)
	}
	// And now it is really taken, lease or not.
	_, err = short.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Third", "email": "ghost@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+res.ID)
}

// TestHandlerSlowCommandGivesItsClaimUp: a command that gets slow between
// claiming a key and recording its contact (past half the lease, after
// which another command could take the claim over) records nothing and
// gives the key back, so the key is free at once, never held twice.
func TestHandlerSlowCommandGivesItsClaimUp(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	var late atomic.Int64 // how far the slow command's clock has moved
	stalling := &faultyStore{EventStore: f.store, fail: func(stream string, _ []domain.EventData) bool {
		if strings.HasPrefix(stream, domain.KeyStreamPrefix) {
			late.Store(int64(6 * time.Second)) // the claim is made, then the command stalls
		}
		return false
	}}
	slow := &domain.Handler{Store: stalling, KeySecret: testSecret, Uptime: func() time.Duration { return time.Duration(late.Load()) }}
	_, err := slow.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Slow", "email": "slow@example.org"})
	wantErr(t, err, domain.EUNAVAILABLE, "", "after claiming its email")
	for _, e := range f.all() {
		if _, ok := e.event.(domain.ContactRegistered); ok {
			t.Fatalf("the slow command registered its contact: %+v", e)
		}
	}
	// Given back: another contact takes the email at once.
	if _, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Quick", "email": "slow@example.org"}); err != nil {
		t.Fatalf("registration after the slow command gave up: %v", err)
	}
}

// barrierStore holds the first two appends to contact streams until both
// have arrived, so two commands decide on the same version.
type barrierStore struct {
	domain.EventStore
	arrived atomic.Int32
	both    chan struct{}
}

func newBarrierStore(inner domain.EventStore) *barrierStore {
	return &barrierStore{EventStore: inner, both: make(chan struct{})}
}

func (s *barrierStore) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	if strings.HasPrefix(stream, "contact-") {
		switch s.arrived.Add(1) {
		case 1:
			select {
			case <-s.both:
			case <-time.After(10 * time.Second):
				return domain.AppendResult{}, errors.New("barrier: the other command never appended")
			}
		case 2:
			close(s.both)
		}
	}
	return s.EventStore.Append(ctx, stream, expected, events)
}

func TestHandlerConcurrentUpdates(t *testing.T) {
	t.Run("same ifVersion: one wins, one fails the precondition", func(t *testing.T) {
		f := setup(t)
		id := f.register(map[string]string{"first_name": "Ann"})
		h := &domain.Handler{Store: newBarrierStore(f.store), KeySecret: testSecret}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, values := range []map[string]string{{"first_name": "Anna"}, {"last_name": "Lee"}} {
			wg.Go(func() { _, errs[i] = h.UpdateContact(t.Context(), f.caller, id, values, 1) })
		}
		wg.Wait()
		ok, failed := 0, 0
		for _, err := range errs {
			switch domain.ErrorCode(err) {
			case "":
				ok++
			case domain.EPRECONDITION:
				failed++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if ok != 1 || failed != 1 {
			t.Fatalf("%d succeeded, %d failed the precondition (%v), want 1 and 1", ok, failed, errs)
		}
		c := f.load(id)
		if c.Version != 2 || (c.FirstName() == "Anna") == (c.LastName() == "Lee") {
			t.Fatalf("version %d values %v, want version 2 with exactly one update applied", c.Version, c.Values)
		}
		// A stale ifVersion is refused before deciding.
		_, err := f.h.UpdateContact(t.Context(), f.caller, id, map[string]string{"first_name": "Zed"}, 1)
		wantErr(t, err, domain.EPRECONDITION, "", "is at version 2, not 1")
		if res, err := f.h.UpdateContact(t.Context(), f.caller, id, map[string]string{"first_name": "Zed"}, 2); err != nil || res.Version != 3 {
			t.Fatalf("update at the current version: %+v %v", res, err)
		}
	})
	t.Run("no ifVersion: both apply", func(t *testing.T) {
		f := setup(t)
		id := f.register(map[string]string{"first_name": "Ann"})
		h := &domain.Handler{Store: newBarrierStore(f.store), KeySecret: testSecret}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, values := range []map[string]string{{"first_name": "Anna"}, {"last_name": "Lee"}} {
			wg.Go(func() { _, errs[i] = h.UpdateContact(t.Context(), f.caller, id, values, 0) })
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("errors %v, want both to apply", errs)
		}
		c := f.load(id)
		if c.Version != 3 || c.FirstName() != "Anna" || c.LastName() != "Lee" {
			t.Fatalf("version %d values %v, want version 3 with both updates", c.Version, c.Values)
		}
	})
	t.Run("a retry decides again: archive races an update", func(t *testing.T) {
		f := setup(t)
		id := f.register(map[string]string{"first_name": "Ann"})
		h := &domain.Handler{Store: newBarrierStore(f.store), KeySecret: testSecret}
		var updErr, archErr error
		var wg sync.WaitGroup
		wg.Go(func() {
			_, updErr = h.UpdateContact(t.Context(), f.caller, id, map[string]string{"first_name": "Anna"}, 0)
		})
		wg.Go(func() { _, archErr = h.ArchiveContact(t.Context(), f.caller, id) })
		wg.Wait()
		if archErr != nil {
			t.Fatalf("archive: %v", archErr)
		}
		c := f.load(id)
		if updErr == nil {
			// The update won the race: it is recorded before the archive.
			if c.FirstName() != "Anna" || c.Version != 3 {
				t.Fatalf("update succeeded but contact is %v at version %d", c.Values, c.Version)
			}
		} else {
			// The archive won: the update, decided again, is refused.
			wantErr(t, updErr, domain.ECONFLICT, "", "archived")
			if c.FirstName() != "Ann" || c.Version != 2 {
				t.Fatalf("update refused but contact is %v at version %d", c.Values, c.Version)
			}
		}
		if c.Status != domain.StatusArchived {
			t.Fatalf("status %q, want archived", c.Status)
		}
	})
}

func TestHandlerConcurrentRegistrationsOfOneEmail(t *testing.T) {
	f := setup(t)
	const n = 6
	errs := make([]error, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var res domain.Result
			res, errs[i] = f.h.RegisterContact(t.Context(), f.caller, map[string]string{"first_name": fmt.Sprint("N", i), "email": "same@example.org"})
			ids[i] = res.ID
		})
	}
	wg.Wait()
	var winners []string
	for i, err := range errs {
		if err == nil {
			winners = append(winners, ids[i])
			continue
		}
		var e *domain.Error
		if !errors.As(err, &e) || e.Code != domain.ECONFLICT || e.Field != "email" {
			t.Errorf("registration %d: %v, want ECONFLICT on email", i, err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d registrations of one email succeeded (%v), want exactly 1", len(winners), errs)
	}
	if c := f.load(winners[0]); c.Email() != "same@example.org" {
		t.Fatalf("winner has %v", c.Values)
	}
}

func TestHandlerNoOpAppendsNothing(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.defineField("fee", domain.FieldNumber)
	id := f.register(map[string]string{"first_name": "Ann", "email": "ann@example.org", "fee": "12.5"})
	n := f.eventCount()
	noop := func(what string, res domain.Result, err error, version int64) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if res.Changed || !res.Position.IsStart() || res.Version != version {
			t.Errorf("%s: result %+v, want unchanged at version %d with no position", what, res, version)
		}
		if got := f.eventCount(); got != n {
			t.Errorf("%s appended %d events", what, got-n)
		}
	}
	res, err := f.h.UpdateContact(ctx, f.caller, id, map[string]string{"first_name": " Ann", "email": "ann@example.org", "fee": "12,50"}, 0)
	noop("same values", res, err, 1)
	res, err = f.h.UpdateContact(ctx, f.caller, id, map[string]string{"first_name": "Ann"}, 1)
	noop("same values at the current version", res, err, 1)
	res, err = f.h.RestoreContact(ctx, f.caller, id)
	noop("restore of an active contact", res, err, 1)

	if _, err := f.h.ArchiveContact(ctx, f.caller, id); err != nil {
		t.Fatal(err)
	}
	n = f.eventCount()
	res, err = f.h.ArchiveContact(ctx, f.caller, id)
	noop("archive of an archived contact", res, err, 2)
	if _, err := f.h.DeleteContact(ctx, f.caller, id); err != nil {
		t.Fatal(err)
	}
	n = f.eventCount()
	res, err = f.h.DeleteContact(ctx, f.caller, id)
	noop("delete of a deleted contact", res, err, 3)

	field, res, err := f.h.DefineField(ctx, f.caller, domain.Field{Key: "fee", Label: "fee", Type: domain.FieldNumber})
	noop("the same field definition", res, err, 2)
	if field.Key != "fee" || field.ID == "" {
		t.Errorf("no-op definition returned %+v, want the existing field", field)
	}
}

func TestHandlerMerge(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	phone := f.defineField("phone", domain.FieldPhone)
	sam := f.register(map[string]string{"first_name": "Sam", "email": "sam@example.org"})
	d1 := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	d2 := f.register(map[string]string{"last_name": "Two", "email": "two@example.org", "phone": "0222 222"})
	d3 := f.register(map[string]string{"first_name": "Tri", "email": "tri@example.org", "external_id": "X-3", "phone": "0333 333"})
	if _, err := f.h.ArchiveContact(ctx, f.caller, d3); err != nil {
		t.Fatal(err)
	}

	res, err := f.h.MergeContacts(ctx, f.caller, sam, []string{d1, d2, d3}, map[string]string{"email": d2})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != sam || !res.Changed || res.Version != 3 || res.Position.IsStart() {
		t.Fatalf("merge result %+v, want the survivor %s changed at version 3 (started, absorbed)", res, sam)
	}
	s := f.load(sam)
	want := map[string]string{"first_name": "Sam", "email": "two@example.org", "last_name": "Two", phone.ID: "0222 222", "external_id": "X-3"}
	if !reflect.DeepEqual(s.Values, want) {
		t.Errorf("survivor values %v, want %v", s.Values, want)
	}
	if len(s.MergeOf) != 1 {
		t.Fatalf("survivor MergeOf %v, want one merge", s.MergeOf)
	}
	var mergeID string
	for id, dups := range s.MergeOf {
		mergeID = id
		if !reflect.DeepEqual(dups, []string{d1, d2, d3}) {
			t.Errorf("merge absorbed %v, want %v", dups, []string{d1, d2, d3})
		}
	}
	for _, d := range []string{d1, d2, d3} {
		c := f.load(d)
		if c.Status != domain.StatusMerged || c.MergedInto != sam || len(c.Values) == 0 {
			t.Errorf("duplicate %s: status %q into %q values %v, want merged into %s, values kept", d, c.Status, c.MergedInto, c.Values, sam)
		}
		events := f.stream(domain.ContactStream(d))
		last, ok := events[len(events)-1].event.(domain.ContactMerged)
		if !ok || last.SurvivorID != sam || last.MergeID != mergeID {
			t.Errorf("duplicate %s's last event %#v, want ContactMerged into %s by merge %s", d, events[len(events)-1].event, sam, mergeID)
		}
	}
	if c := f.load(d3); c.StatusBeforeMerge != domain.StatusArchived {
		t.Errorf("archived duplicate remembers %q before the merge, want archived", c.StatusBeforeMerge)
	}

	// The taken email's reservation passed to the survivor...
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "New", "email": "TWO@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+sam)
	// ...and so did the external ID it filled in.
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "New", "external_id": "X-3"})
	wantErr(t, err, domain.ECONFLICT, "external_id", "already used by contact "+sam)
	// A merged duplicate's own email stays reserved.
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "New", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+d1)
	// The survivor's email it gave up for the taken one stays reserved for
	// it while the merge can be undone, so an unmerge can give it back.
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "New", "email": "sam@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "reserved for contact "+sam+" by a merge that can still be undone")

	// Merged contacts can no longer be edited nor merged again elsewhere.
	_, err = f.h.UpdateContact(ctx, f.caller, d1, map[string]string{"first_name": "X"}, 0)
	wantErr(t, err, domain.ECONFLICT, "", "merged into "+sam)
	other := f.register(map[string]string{"first_name": "Other"})
	_, err = f.h.MergeContacts(ctx, f.caller, other, []string{d1}, nil)
	wantErr(t, err, domain.ECONFLICT, "", "merged into "+sam)
}

func TestHandlerMergeRefusalsWriteNothing(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	dee := f.register(map[string]string{"first_name": "Dee"})
	gone := f.register(map[string]string{"first_name": "Gone"})
	for _, step := range []func(context.Context, domain.Caller, string) (domain.Result, error){f.h.ArchiveContact, f.h.DeleteContact} {
		if _, err := step(ctx, f.caller, gone); err != nil {
			t.Fatal(err)
		}
	}
	otherCaller := f.newCommunity("Other")
	far, err := f.h.RegisterContact(ctx, otherCaller, map[string]string{"first_name": "Far"})
	if err != nil {
		t.Fatal(err)
	}
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = f.register(map[string]string{"first_name": fmt.Sprint("Dup", i)})
	}
	n := f.eventCount()

	cases := []struct {
		name             string
		dups             []string
		take             map[string]string
		code, field, msg string
	}{
		{"eleven duplicates", eleven, nil, domain.EINVALID, "duplicates", "1 to 10"},
		{"no duplicate", nil, nil, domain.EINVALID, "duplicates", "1 to 10"},
		{"self-merge", []string{dee, sam}, nil, domain.EINVALID, "duplicates", "into itself"},
		{"listed twice", []string{dee, dee}, nil, domain.EINVALID, "duplicates", "listed twice"},
		{"other community", []string{dee, far.ID}, nil, domain.ENOTFOUND, "duplicates", "not found"},
		{"unknown contact", []string{dee, domain.NewID()}, nil, domain.ENOTFOUND, "duplicates", "not found"},
		{"deleted duplicate", []string{dee, gone}, nil, domain.ECONFLICT, "", "it was deleted"},
		{"take of an unknown field", []string{dee}, map[string]string{"nickname": dee}, domain.EINVALID, "take.nickname", "not a field"},
		{"take of a non-duplicate", []string{dee}, map[string]string{"first_name": sam}, domain.EINVALID, "take.first_name", "not one of the duplicates"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.h.MergeContacts(ctx, f.caller, sam, tc.dups, tc.take)
			wantErr(t, err, tc.code, tc.field, tc.msg)
			if got := f.eventCount(); got != n {
				t.Fatalf("refused merge appended %d events", got-n)
			}
		})
	}
	if c := f.load(dee); c.Status != domain.StatusActive {
		t.Errorf("valid duplicate of a refused merge is %q, want active", c.Status)
	}
	// Ten is fine.
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, eleven[:10], nil); err != nil {
		t.Fatalf("merge of 10: %v", err)
	}
}

func TestHandlerInterruptedMergeCompletes(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	d1 := f.register(map[string]string{"first_name": "Dee", "last_name": "One"})
	d2 := f.register(map[string]string{"first_name": "Two", "external_id": "E-2"})
	faulty := &faultyStore{EventStore: f.store, fail: failOnce(domain.ContactStream(sam))}
	h := &domain.Handler{Store: faulty, KeySecret: testSecret}

	_, err := h.MergeContacts(ctx, f.caller, sam, []string{d1, d2}, nil)
	if !errors.Is(err, errInjected) {
		t.Fatalf("first run: %v, want the injected failure", err)
	}
	// The first append, the survivor's MergeStarted, failed: nothing
	// happened.
	if s := f.load(sam); s.Version != 1 || len(s.MergeOf) != 0 || s.Merging != nil {
		t.Fatalf("survivor changed by the failed run: version %d MergeOf %v", s.Version, s.MergeOf)
	}
	for _, d := range []string{d1, d2} {
		if c := f.load(d); c.Status != domain.StatusActive {
			t.Fatalf("duplicate %s is %q after the failed run, want active", d, c.Status)
		}
	}

	res, err := h.MergeContacts(ctx, f.caller, sam, []string{d1, d2}, nil)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if !res.Changed || res.Version != 3 {
		t.Fatalf("second run result %+v, want the survivor at version 3", res)
	}
	s := f.load(sam)
	want := map[string]string{"first_name": "Sam", "last_name": "One", "external_id": "E-2"}
	if !reflect.DeepEqual(s.Values, want) {
		t.Errorf("survivor values %v, want %v", s.Values, want)
	}
	var absorbed []string
	for _, dups := range s.MergeOf {
		absorbed = append(absorbed, dups...)
	}
	if !reflect.DeepEqual(absorbed, []string{d1, d2}) {
		t.Errorf("survivor absorbed %v, want %v", absorbed, []string{d1, d2})
	}
	for _, d := range []string{d1, d2} {
		if got := types(f.stream(domain.ContactStream(d))); !reflect.DeepEqual(got, []string{"ContactRegistered", "ContactMerged"}) {
			t.Errorf("duplicate %s's stream %v, want registered then merged once", d, got)
		}
	}
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "New", "external_id": "E-2"})
	wantErr(t, err, domain.ECONFLICT, "external_id", "already used by contact "+sam)
}

// TestHandlerMergeInterruptedBetweenDuplicates: a run that died after
// merging some duplicates (too dead to roll them back) is completed by the
// same merge run again.
func TestHandlerMergeInterruptedBetweenDuplicates(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	d1 := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	d2 := f.register(map[string]string{"first_name": "Two", "last_name": "Doe"})
	dead := false
	dying := &faultyStore{EventStore: f.store, fail: func(stream string, _ []domain.EventData) bool {
		dead = dead || stream == domain.ContactStream(d2)
		return dead // once dead, it writes nothing more (no rollback either)
	}}
	h := &domain.Handler{Store: dying, KeySecret: testSecret}

	_, err := h.MergeContacts(ctx, f.caller, sam, []string{d1, d2}, nil)
	if !errors.Is(err, errInjected) {
		t.Fatalf("first run: %v, want the injected failure", err)
	}
	if c := f.load(d1); c.Status != domain.StatusMerged {
		t.Fatalf("first duplicate is %q after the interrupted run, want merged", c.Status)
	}
	if c := f.load(d2); c.Status != domain.StatusActive {
		t.Fatalf("second duplicate is %q after the interrupted run, want still active", c.Status)
	}
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{d1, d2}, nil); err != nil {
		t.Fatalf("second run: %v", err)
	}
	s := f.load(sam)
	want := map[string]string{"first_name": "Sam", "email": "dee@example.org", "last_name": "Doe"}
	if !reflect.DeepEqual(s.Values, want) {
		t.Errorf("survivor values %v, want %v", s.Values, want)
	}
	if c := f.load(d2); c.Status != domain.StatusMerged || c.MergedInto != sam {
		t.Errorf("second duplicate is %q into %q, want merged into %s", c.Status, c.MergedInto, sam)
	}
	if got := types(f.stream(domain.ContactStream(d1))); !reflect.DeepEqual(got, []string{"ContactRegistered", "ContactMerged"}) {
		t.Errorf("first duplicate's stream %v, want it merged once", got)
	}
}

// TestHandlerInterruptedMergeKeepsKeysReserved: while an interrupted merge
// waits to be run again, the duplicates' keys must stay reserved (a merged
// duplicate's keys pass to its survivor), or the merge can never complete.
func TestHandlerInterruptedMergeKeepsKeysReserved(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	dee := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	faulty := &faultyStore{EventStore: f.store, fail: failOnce(domain.ContactStream(sam))}
	h := &domain.Handler{Store: faulty, KeySecret: testSecret}
	if _, err := h.MergeContacts(ctx, f.caller, sam, []string{dee}, nil); !errors.Is(err, errInjected) {
		t.Fatalf("first run: %v, want the injected failure", err)
	}

	_, err := f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Thief", "email": "dee@example.org"})
	if err == nil {
		t.Errorf("the email of a merged duplicate was registered anew while its merge was interrupted")
	} else {
		wantErr(t, err, domain.ECONFLICT, "email", "already used")
	}
	if _, err := h.MergeContacts(ctx, f.caller, sam, []string{dee}, nil); err != nil {
		t.Fatalf("completing the merge: %v", err)
	}
	if s := f.load(sam); s.Email() != "dee@example.org" {
		t.Fatalf("survivor email %q, want the duplicate's", s.Email())
	}
}

// TestHandlerMergeAgainChangesNothing: running a merge that already
// completed again records nothing (it is how a caller retries).
func TestHandlerMergeAgainChangesNothing(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam"})
	dee := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org"})
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{dee}, nil); err != nil {
		t.Fatal(err)
	}
	n := f.eventCount()
	res, err := f.h.MergeContacts(ctx, f.caller, sam, []string{dee}, nil)
	if err != nil {
		t.Fatalf("merge again: %v", err)
	}
	if res.Changed || f.eventCount() != n {
		t.Errorf("merge again: result %+v appended %d events, want nothing", res, f.eventCount()-n)
	}
	if got := types(f.stream(domain.ContactStream(sam))); !reflect.DeepEqual(got, []string{"ContactRegistered", "MergeStarted", "DuplicatesAbsorbed"}) {
		t.Errorf("survivor stream %v, want one merge", got)
	}
	// Listing an absorbed duplicate with a new one is refused, writing nothing.
	tri := f.register(map[string]string{"first_name": "Tri"})
	n = f.eventCount()
	_, err = f.h.MergeContacts(ctx, f.caller, sam, []string{tri, dee}, nil)
	wantErr(t, err, domain.ECONFLICT, "", "it was merged into "+sam)
	if got := f.eventCount(); got != n {
		t.Errorf("refused merge appended %d events", got-n)
	}
	// Whatever happened, an unmerge must give the email back.
	if _, err := f.h.UnmergeContact(ctx, f.caller, sam, dee); err != nil {
		t.Fatal(err)
	}
	if s := f.load(sam); s.Email() != "" {
		t.Errorf("after unmerge the survivor still has the duplicate's email %q", s.Email())
	}
}

func TestHandlerUnmerge(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	phone := f.defineField("phone", domain.FieldPhone)
	sam := f.register(map[string]string{"first_name": "Sam"})
	deeValues := map[string]string{"first_name": "Dee", "last_name": "Doe", "email": "dee@example.org", "external_id": "D-1", "phone": "0444 444"}
	dee := f.register(deeValues)
	other := f.register(map[string]string{"first_name": "Oth", "email": "oth@example.org"})
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{dee, other}, map[string]string{"email": dee}); err != nil {
		t.Fatal(err)
	}
	// The survivor changes one of the values it took.
	if _, err := f.h.UpdateContact(ctx, f.caller, sam, map[string]string{"phone": "0555 555"}, 0); err != nil {
		t.Fatal(err)
	}

	res, err := f.h.UnmergeContact(ctx, f.caller, sam, dee)
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != dee || !res.Changed {
		t.Errorf("unmerge result %+v, want the duplicate %s changed", res, dee)
	}
	d := f.load(dee)
	wantDee := map[string]string{"first_name": "Dee", "last_name": "Doe", "email": "dee@example.org", "external_id": "D-1", phone.ID: "0444 444"}
	if d.Status != domain.StatusActive || d.MergedInto != "" || !reflect.DeepEqual(d.Values, wantDee) {
		t.Errorf("duplicate is %q into %q with %v, want active again with %v", d.Status, d.MergedInto, d.Values, wantDee)
	}
	s := f.load(sam)
	wantSam := map[string]string{"first_name": "Sam", phone.ID: "0555 555"}
	if !reflect.DeepEqual(s.Values, wantSam) {
		t.Errorf("survivor values %v, want %v (gave back email, last name, external ID; kept its changed phone)", s.Values, wantSam)
	}
	events := f.stream(domain.ContactStream(sam))
	released, ok := events[len(events)-1].event.(domain.DuplicateReleased)
	if !ok {
		t.Fatalf("survivor's last event %#v, want DuplicateReleased", events[len(events)-1].event)
	}
	if released.DuplicateID != dee || !reflect.DeepEqual(released.Kept, []string{"phone"}) {
		t.Errorf("released %s kept %v, want %s kept [phone]", released.DuplicateID, released.Kept, dee)
	}
	var given []string
	for _, ch := range released.Changes {
		given = append(given, ch.Field)
		if ch.New != deeValues[ch.Field] && ch.New != "" {
			t.Errorf("gave back %s as %q", ch.Field, ch.New)
		}
	}
	slices.Sort(given)
	if !reflect.DeepEqual(given, []string{"email", "external_id", "last_name"}) {
		t.Errorf("gave back %v, want email, external_id, last_name", given)
	}

	// The duplicate's keys came back with it.
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "X", "email": "dee@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+dee)
	_, err = f.h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "X", "external_id": "D-1"})
	wantErr(t, err, domain.ECONFLICT, "external_id", "already used by contact "+dee)
	// The other duplicate stays merged.
	if c := f.load(other); c.Status != domain.StatusMerged {
		t.Errorf("other duplicate is %q, want still merged", c.Status)
	}
	if _, ok := s.MergeOf[released.MergeID]; !ok || len(s.MergeOf[released.MergeID]) != 1 {
		t.Errorf("survivor MergeOf %v, want the merge still absorbing the other duplicate", s.MergeOf)
	}
	// The duplicate is editable again.
	if _, err := f.h.UpdateContact(ctx, f.caller, dee, map[string]string{"first_name": "Deedee"}, 0); err != nil {
		t.Errorf("editing the unmerged duplicate: %v", err)
	}
	// Unmerging twice is refused.
	_, err = f.h.UnmergeContact(ctx, f.caller, sam, dee)
	wantErr(t, err, domain.ENOTFOUND, "duplicate", "was not merged into "+sam)
}

func TestHandlerMetadata(t *testing.T) {
	store, pool := newStore(t)
	ctx := t.Context()
	at := time.Date(2025, 6, 1, 12, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	h := &domain.Handler{Store: store, KeySecret: testSecret, Now: func() time.Time { return at }}
	f := &fixture{t: t, store: store, pool: pool, h: h}

	caller := domain.Caller{Actor: "apikey:k1", CorrelationID: "corr-1", CausationID: "req-1"}
	created, err := h.CreateCommunity(ctx, caller, "Choir")
	if err != nil {
		t.Fatal(err)
	}
	caller.CommunityID = created.ID
	reg, err := h.RegisterContact(ctx, caller, map[string]string{"first_name": "Ann", "email": "ann@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	caller.CorrelationID, caller.CausationID = "corr-2", ""
	if _, err := h.UpdateContact(ctx, caller, reg.ID, map[string]string{"last_name": "Lee"}, 0); err != nil {
		t.Fatal(err)
	}

	check := func(where string, got domain.Metadata, command, correlation, causation string) {
		t.Helper()
		want := domain.Metadata{Schema: 1, CommunityID: created.ID, Actor: "apikey:k1", Command: command,
			CorrelationID: correlation, CausationID: causation, Time: at}
		if got.Schema != want.Schema || got.CommunityID != want.CommunityID || got.Actor != want.Actor || got.Command != want.Command ||
			got.CorrelationID != want.CorrelationID || got.CausationID != want.CausationID || !got.Time.Equal(at) {
			t.Errorf("%s metadata\ngot  %+v\nwant %+v", where, got, want)
		}
	}

	community := f.stream(domain.CommunityStream(created.ID))
	if len(community) != 1 {
		t.Fatalf("community stream has %d events, want 1", len(community))
	}
	if e, ok := community[0].event.(domain.CommunityCreated); !ok || e.CommunityID != created.ID || e.Name != "Choir" {
		t.Errorf("community event %#v", community[0].event)
	}
	check("CommunityCreated", community[0].meta, "CreateCommunity", "corr-1", "req-1")

	contact := f.stream(domain.ContactStream(reg.ID))
	if got := types(contact); !reflect.DeepEqual(got, []string{"ContactRegistered", "ContactUpdated"}) {
		t.Fatalf("contact stream %v", got)
	}
	wantReg := domain.ContactRegistered{ContactID: reg.ID, CommunityID: created.ID,
		Values: []domain.Value{{Field: "email", Value: "ann@example.org"}, {Field: "first_name", Value: "Ann"}}}
	if !reflect.DeepEqual(contact[0].event, wantReg) {
		t.Errorf("registered %#v, want %#v", contact[0].event, wantReg)
	}
	check("ContactRegistered", contact[0].meta, "RegisterContact", "corr-1", "req-1")
	check("ContactUpdated", contact[1].meta, "UpdateContact", "corr-2", "")
	if c := f.load2(created.ID, reg.ID); !c.CreatedAt.Equal(at) || !c.UpdatedAt.Equal(at) {
		t.Errorf("contact times %v %v, want %v from the handler's clock", c.CreatedAt, c.UpdatedAt, at)
	}

	// The email's reservation: in a stream whose name and events hold no
	// personal data.
	var reservations []decoded
	for _, e := range f.all() {
		if strings.Contains(string(e.raw.Metadata), "ann@") || strings.Contains(e.raw.Stream, "ann") {
			t.Errorf("%s@%d: the email shows in its stream name or metadata", e.raw.Stream, e.raw.Version)
		}
		if e.raw.Type == "KeyReserved" {
			reservations = append(reservations, e)
		}
	}
	if len(reservations) != 1 {
		t.Fatalf("%d key reservations, want 1 (the email)", len(reservations))
	}
	r := reservations[0]
	if !strings.HasPrefix(r.raw.Stream, "key-") || strings.Contains(r.raw.Stream, created.ID) || strings.Contains(string(r.raw.Data), "ann@") {
		t.Errorf("reservation in stream %q with data %s, want a keyed-hash stream without personal data", r.raw.Stream, r.raw.Data)
	}
	if e, ok := r.event.(domain.KeyReserved); !ok || e.ContactID != reg.ID || e.HolderVersion != 0 {
		t.Errorf("reservation %#v, want held by %s from version 0", r.event, reg.ID)
	}
	check("KeyReserved", r.meta, "ReserveKey", "corr-1", "req-1")
}

// load2 loads a contact of a given community.
func (f *fixture) load2(communityID, id string) *domain.Contact {
	f.t.Helper()
	c, err := domain.LoadContact(f.t.Context(), f.store, communityID, id)
	if err != nil {
		f.t.Fatalf("load %s: %v", id, err)
	}
	return c
}

// TestHandlerUnmergeNeverBlockedByDisplacedKey: a survivor that took its
// duplicate's email keeps its own reserved while the merge can be undone:
// nobody can register it meanwhile, so the unmerge that gives it back never
// collides. Once given back (or the survivor deleted) the reservation ends.
func TestHandlerUnmergeNeverBlockedByDisplacedKey(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	sam := f.register(map[string]string{"first_name": "Sam", "email": "sam@example.org", "external_id": "S-1"})
	dee := f.register(map[string]string{"first_name": "Dee", "email": "dee@example.org", "external_id": "D-1"})
	if _, err := f.h.MergeContacts(ctx, f.caller, sam, []string{dee}, map[string]string{"email": dee, "external_id": dee}); err != nil {
		t.Fatal(err)
	}
	for field, values := range map[string]map[string]string{
		"email":       {"first_name": "Eve", "email": "SAM@example.org"},
		"external_id": {"first_name": "Eve", "external_id": "S-1"},
	} {
		_, err := f.h.RegisterContact(ctx, f.caller, values)
		wantErr(t, err, domain.ECONFLICT, field, "reserved for contact "+sam)
	}
	if holder, err := f.h.KeyHolder(ctx, f.caller.CommunityID, "email", "sam@example.org"); err != nil || holder != sam {
		t.Errorf("sam@example.org held by %q (%v), want the survivor", holder, err)
	}
	if _, err := f.h.UnmergeContact(ctx, f.caller, sam, dee); err != nil {
		t.Fatalf("unmerge: %v", err)
	}
	if s := f.load(sam); s.Email() != "sam@example.org" || s.ExternalID() != "S-1" {
		t.Errorf("survivor after unmerge: %v, want its own email and external ID back", s.Values)
	}
	if d := f.load(dee); d.Email() != "dee@example.org" || d.Status != domain.StatusActive {
		t.Errorf("duplicate after unmerge: %q %v", d.Status, d.Values)
	}
	// The merge is undone: the survivor holds its own keys only. Changing
	// its email frees the old one.
	if _, err := f.h.UpdateContact(ctx, f.caller, sam, map[string]string{"email": "samuel@example.org"}, 0); err != nil {
		t.Fatal(err)
	}
	f.register(map[string]string{"first_name": "Eve", "email": "sam@example.org"})

	// Deleting a survivor frees the keys it gave up in a merge too.
	ann := f.register(map[string]string{"first_name": "Ann", "email": "ann@example.org"})
	bob := f.register(map[string]string{"first_name": "Bob", "email": "bob@example.org"})
	if _, err := f.h.MergeContacts(ctx, f.caller, ann, []string{bob}, map[string]string{"email": bob}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.ArchiveContact(ctx, f.caller, ann); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.DeleteContact(ctx, f.caller, ann); err != nil {
		t.Fatal(err)
	}
	f.register(map[string]string{"first_name": "New Ann", "email": "ann@example.org"})
	f.register(map[string]string{"first_name": "New Bob", "email": "bob@example.org"})
}

// TestKeyLeasesIgnoreClocks: two handlers (two nodes) whose clocks differ
// by 30 s, the one ahead trying to register an email while the other's
// claim of it is in flight: it does not take the claim for expired (its
// clock says nothing of the other's lease), and the email is held once.
func TestKeyLeasesIgnoreClocks(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	ahead := &domain.Handler{Store: f.store, KeySecret: testSecret, Now: func() time.Time { return time.Now().Add(30 * time.Second) }}
	behind := time.Now().Add(-30 * time.Second)
	var aheadErr error
	var aheadRes domain.Result
	tried := make(chan struct{})
	// The node behind claims the email; while its contact is not yet
	// recorded, the node ahead registers the same email.
	paused := &hookStore{EventStore: f.store, before: func(stream string, _ []domain.EventData) {
		if strings.HasPrefix(stream, "contact-") {
			aheadRes, aheadErr = ahead.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Ahead", "email": "one@example.org"})
			close(tried)
		}
	}}
	slow := &domain.Handler{Store: paused, KeySecret: testSecret, Now: func() time.Time { return behind }}
	res, err := slow.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Behind", "email": "one@example.org"})
	<-tried
	if err != nil {
		t.Fatalf("the first claimant: %v", err)
	}
	wantErr(t, aheadErr, domain.ECONFLICT, "email", "being claimed by another request")
	if aheadRes.ID != "" {
		t.Fatalf("the node ahead registered %s too", aheadRes.ID)
	}
	holder, err := f.h.KeyHolder(ctx, f.caller.CommunityID, "email", "one@example.org")
	if err != nil || holder != res.ID {
		t.Fatalf("one@example.org held by %q (%v), want the first claimant %s alone", holder, err, res.ID)
	}
	_, err = ahead.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Ahead", "email": "one@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+res.ID)
}
