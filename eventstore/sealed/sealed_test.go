package sealed_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/eventstore/sealed"
	"github.com/assoc/contacts/eventstore/storetest"
	"github.com/assoc/contacts/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type fixture struct {
	pool   *pgxpool.Pool
	inner  *postgres.Store
	store  *sealed.Store
	master []byte
}

func setup(t testing.TB) *fixture {
	t.Helper()
	pool := pgtest.NewPool(t)
	inner := postgres.New(pool, nil)
	t.Cleanup(inner.Close)
	master := make([]byte, sealed.MasterKeySize)
	rand.Read(master)
	keys, err := sealed.NewKeyring(t.Context(), pool, master)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{pool: pool, inner: inner, store: sealed.New(inner, keys), master: master}
}

// The sealing store keeps the whole contract of an event store.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) domain.EventStore { return setup(t).store })
}

func registered(id string, values ...domain.Value) domain.EventData {
	e, err := domain.Encode(domain.ContactRegistered{ContactID: id, CommunityID: domain.NewID(), Values: values}, domain.Metadata{Actor: "test"})
	if err != nil {
		panic(err)
	}
	return e
}

func updated(id string, changes ...domain.Change) domain.EventData {
	e, err := domain.Encode(domain.ContactUpdated{ContactID: id, Changes: changes}, domain.Metadata{Actor: "test"})
	if err != nil {
		panic(err)
	}
	return e
}

func deleted(id string) domain.EventData {
	e, err := domain.Encode(domain.ContactDeleted{ContactID: id}, domain.Metadata{Actor: "test"})
	if err != nil {
		panic(err)
	}
	return e
}

func TestSealOpenErase(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	id := domain.NewID()
	stream := domain.ContactStream(id)
	reg := registered(id, domain.Value{Field: "email", Value: "zoe@example.org"}, domain.Value{Field: "first_name", Value: "Zoë"})
	upd := updated(id, domain.Change{Field: "last_name", Old: "", New: "Ångström"}, domain.Change{Field: "first_name", Old: "Zoë", New: ""})
	if _, err := f.store.Append(ctx, stream, domain.NoStream, []domain.EventData{reg, upd}); err != nil {
		t.Fatal(err)
	}

	// In the log, no value in clear; field names stay readable.
	raw, err := f.inner.ReadStream(ctx, stream, domain.Forwards, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range raw {
		for _, secret := range []string{"zoe@", "Zoë", "Ångström", "Zo\\u00eb"} {
			if strings.Contains(string(r.Data), secret) {
				t.Fatalf("%q in clear in the log: %s", secret, r.Data)
			}
		}
		if !strings.Contains(string(r.Data), `"first_name"`) {
			t.Fatalf("field names should stay readable: %s", r.Data)
		}
	}

	// Read back: the events as they were written.
	opened, err := f.store.ReadStream(ctx, stream, domain.Forwards, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	e, _, err := domain.Decode(opened[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := e.(domain.ContactRegistered); got.Values[0].Value != "zoe@example.org" || got.Values[1].Value != "Zoë" || opened[0].Erased {
		t.Fatalf("opened registration %+v", got)
	}
	e, _, _ = domain.Decode(opened[1])
	if got := e.(domain.ContactUpdated); got.Changes[0].New != "Ångström" || got.Changes[1].Old != "Zoë" || got.Changes[1].New != "" {
		t.Fatalf("opened update %+v", got)
	}
	if strings.Contains(string(opened[0].Data), "sealed_with") {
		t.Fatalf("the key member leaks to readers: %s", opened[0].Data)
	}

	// Delete: the keys go; values read as erased everywhere.
	if _, err := f.store.Append(ctx, stream, domain.Exact(2), []domain.EventData{deleted(id)}); err != nil {
		t.Fatal(err)
	}
	var keys int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM contact_keys`).Scan(&keys); err != nil {
		t.Fatal(err)
	}
	after, err := f.store.ReadStream(ctx, stream, domain.Forwards, 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range after[:2] {
		if !r.Erased || strings.Contains(string(r.Data), "Zo") || strings.Contains(string(r.Data), "sealed_with") {
			t.Fatalf("after delete: erased=%v %s", r.Erased, r.Data)
		}
		if _, _, err := domain.Decode(r); err != nil {
			t.Fatalf("an erased event no longer decodes: %v", err)
		}
	}
	if after[2].Erased {
		t.Fatal("ContactDeleted holds no personal value: nothing to mark erased")
	}
	all, err := f.store.ReadAll(ctx, domain.Start, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		if strings.Contains(string(r.Data), "Zo") {
			t.Fatalf("ReadAll shows an erased value: %s", r.Data)
		}
	}
	var seen []domain.RecordedEvent
	subCtx, cancel := context.WithCancel(ctx)
	f.store.Subscribe(subCtx, domain.Start, func(_ context.Context, events []domain.RecordedEvent) error { //nolint:errcheck // ends with cancel
		seen = append(seen, events...)
		if len(seen) >= 3 {
			cancel()
		}
		return nil
	})
	if len(seen) != 3 || !seen[0].Erased {
		t.Fatalf("subscription: %d events, first erased=%v", len(seen), seen[0].Erased)
	}
}

// A process that dies between ContactDeleted and destroying the keys leaves
// them; the Erasure projector destroys them.
func TestErasureProjectorFinishesAnErasure(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	id := domain.NewID()
	stream := domain.ContactStream(id)
	if _, err := f.store.Append(ctx, stream, domain.NoStream, []domain.EventData{registered(id, domain.Value{Field: "email", Value: "x@example.org"})}); err != nil {
		t.Fatal(err)
	}
	// The deletion written straight to the log: no erasure happened.
	if _, err := f.inner.Append(ctx, stream, domain.Exact(1), []domain.EventData{deleted(id)}); err != nil {
		t.Fatal(err)
	}
	before, _ := f.store.ReadStream(ctx, stream, domain.Forwards, 1, 10)
	if before[0].Erased {
		t.Fatal("erased before the projector ran: the test proves nothing")
	}
	events, err := f.store.ReadStream(ctx, stream, domain.Forwards, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	err = pgx.BeginFunc(ctx, f.pool, func(tx pgx.Tx) error { return sealed.Erasure{Store: f.store}.Apply(ctx, tx, events) })
	if err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.ReadStream(ctx, stream, domain.Forwards, 1, 10)
	var got domain.ContactRegistered
	json.Unmarshal(after[0].Data, &got) //nolint:errcheck
	if !after[0].Erased || got.Values[0].Value != "" {
		t.Fatalf("after the projector: erased=%v %s", after[0].Erased, after[0].Data)
	}
}

// Another master key is refused at start, rather than making every
// contact look erased.
func TestWrongMasterKeyRefused(t *testing.T) {
	f := setup(t)
	other := make([]byte, sealed.MasterKeySize)
	rand.Read(other)
	if _, err := sealed.NewKeyring(t.Context(), f.pool, other); err == nil || !strings.Contains(err.Error(), "master key differs") {
		t.Fatalf("another master key: %v", err)
	}
	if _, err := sealed.NewKeyring(t.Context(), f.pool, f.master); err != nil {
		t.Fatalf("the same master key again: %v", err)
	}
	if _, err := sealed.NewKeyring(t.Context(), f.pool, []byte("short")); err == nil {
		t.Fatal("a short master key was accepted")
	}
}
