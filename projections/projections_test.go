package projections_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/pgtest"
	"github.com/assoc/contacts/projections"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type bundle struct {
	pool    *pgxpool.Pool
	store   *postgres.Store
	handler *domain.Handler
	queries *projections.Queries
	caller  domain.Caller
}

func setup(t *testing.T) *bundle {
	t.Helper()
	pool := pgtest.NewPool(t)
	store := postgres.New(pool, nil)
	t.Cleanup(store.Close)
	secret := make([]byte, 32)
	rand.Read(secret)
	b := &bundle{pool: pool, store: store, handler: &domain.Handler{Store: store, KeySecret: secret}, queries: &projections.Queries{Pool: pool}}
	res, err := b.handler.CreateCommunity(t.Context(), domain.Caller{Actor: "test"}, "Test community")
	if err != nil {
		t.Fatal(err)
	}
	b.caller = domain.Caller{CommunityID: res.ID, Actor: "test"}
	return b
}

// run starts the runner with the contacts projector until the test ends.
func (b *bundle) run(t *testing.T, p projections.Projector) *projections.Runner {
	t.Helper()
	runner, _ := b.start(t, p)
	return runner
}

// start starts the runner with p and returns it with a function that
// stops it (idempotent; the test's end stops it too).
func (b *bundle) start(t *testing.T, p projections.Projector) (*projections.Runner, func()) {
	t.Helper()
	runner := projections.NewRunner(b.pool, b.store, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runner.Run(ctx, p); close(done) }()
	stop := func() { cancel(); <-done }
	t.Cleanup(stop)
	return runner, stop
}

func (b *bundle) register(t *testing.T, values map[string]string) domain.Result {
	t.Helper()
	res, err := b.handler.RegisterContact(t.Context(), b.caller, values)
	if err != nil {
		t.Fatalf("register %v: %v", values, err)
	}
	return res
}

func TestContactsReadModel(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})

	field, _, err := b.handler.DefineField(ctx, b.caller, domain.Field{Key: "city", Label: "City", Type: domain.FieldText})
	if err != nil {
		t.Fatal(err)
	}
	helene := b.register(t, map[string]string{"first_name": "Hélène", "last_name": "Dupré", "email": "helene@example.org", "city": "Lyon"})
	elodie := b.register(t, map[string]string{"first_name": "Élodie", "last_name": "Zola"})
	zoe := b.register(t, map[string]string{"first_name": "Zoé", "last_name": "Elodie"})
	if _, err := b.handler.ArchiveContact(ctx, b.caller, elodie.ID); err != nil {
		t.Fatal(err)
	}
	last, err := b.handler.UpdateContact(ctx, b.caller, zoe.ID, map[string]string{"email": "zoe@example.org"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	active, err := b.queries.ListContacts(ctx, domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusActive, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(active.Items); !reflect.DeepEqual(got, []string{"Dupré", "Elodie"}) {
		t.Fatalf("active list by last name = %v, want [Dupré Elodie]", got)
	}
	if active.Items[0].Fields["city"] != "Lyon" {
		t.Errorf("Hélène's city = %q, want Lyon (field %s)", active.Items[0].Fields["city"], field.ID)
	}
	found, err := b.queries.ListContacts(ctx, domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusActive, Search: "helene", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(found.Items) != 1 || found.Items[0].ID != helene.ID {
		t.Fatalf("search helene = %v, want Hélène Dupré", names(found.Items))
	}
	archived, err := b.queries.ListContacts(ctx, domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusArchived, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(archived.Items) != 1 || archived.Items[0].ID != elodie.ID || archived.Items[0].ArchivedAt == nil {
		t.Fatalf("archived list = %+v, want Élodie with archived_at", archived.Items)
	}
	z, err := b.queries.Contact(ctx, b.caller.CommunityID, zoe.ID)
	if err != nil {
		t.Fatal(err)
	}
	if z.Email != "zoe@example.org" || z.Version != 2 {
		t.Errorf("Zoé = %+v, want email zoe@example.org at version 2", z)
	}
	if _, err := b.queries.Contact(ctx, domain.NewID(), zoe.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("contact read from another community: err = %v, want not found", err)
	}
}

func TestFrenchCollationAndPaging(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	var last domain.Result
	for _, n := range []string{"Zoé", "élodie", "Elodie", "Bernard", "arnaud", "Émile", "Yves"} {
		last = b.register(t, map[string]string{"last_name": n})
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	var got []string
	cursor := ""
	for {
		page, err := b.queries.ListContacts(ctx, domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusActive, Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, names(page.Items)...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	want := []string{"arnaud", "Bernard", "élodie", "Elodie", "Émile", "Yves", "Zoé"}
	if len(got) != len(want) {
		t.Fatalf("paged list = %v, want %v", got, want)
	}
	for i := range want {
		// élodie and Elodie compare equal but for case and accent: either order.
		if got[i] != want[i] && !(i == 2 || i == 3) {
			t.Fatalf("paged list = %v, want %v (French order)", got, want)
		}
	}
}

// crashingProjector fails in the middle of a batch once, after its
// transaction has already changed some rows: a crash mid-batch.
type crashingProjector struct {
	projections.ContactsProjector
	crashed atomic.Bool
}

func (p *crashingProjector) Apply(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error {
	if len(events) > 1 && !p.crashed.Load() {
		half := events[:len(events)/2]
		if err := p.ContactsProjector.Apply(ctx, tx, half); err != nil {
			return err
		}
		p.crashed.Store(true)
		// As the database connection would fail: not the events' fault,
		// so the run stops rather than set anything aside.
		return fmt.Errorf("crash mid-batch: %w", io.ErrUnexpectedEOF)
	}
	return p.ContactsProjector.Apply(ctx, tx, events)
}

// TestProjectorCrashMidBatch kills the projector in the middle of a batch,
// restarts it, and shows the read model equals a rebuild from the log.
func TestProjectorCrashMidBatch(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	var last domain.Result
	var ids []string
	for i := range 60 {
		last = b.register(t, map[string]string{"first_name": fmt.Sprintf("N%02d", i), "email": fmt.Sprintf("n%02d@example.org", i)})
		ids = append(ids, last.ID)
	}
	for _, id := range ids[:20] {
		if last, _ = b.handler.ArchiveContact(ctx, b.caller, id); last.ID == "" {
			t.Fatal("archive failed")
		}
	}
	if _, err := b.handler.MergeContacts(ctx, b.caller, ids[30], ids[31:34], nil); err != nil {
		t.Fatal(err)
	}
	last, err := b.handler.UpdateContact(ctx, b.caller, ids[40], map[string]string{"last_name": "Last"}, 0)
	if err != nil {
		t.Fatal(err)
	}

	crashing := &crashingProjector{}
	runner := projections.NewRunner(b.pool, b.store, nil)
	if err := runner.RunOnce(ctx, crashing); err == nil || !crashing.crashed.Load() {
		t.Fatalf("projector did not crash: %v", err)
	}
	// Restart (the runner resumes from the checkpoint of the last committed batch).
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { runner.Run(runCtx, crashing); close(done) }()
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	afterCrash := snapshot(t, b.pool)

	// Rebuild from the log into empty tables and compare.
	if _, err := b.pool.Exec(ctx, `TRUNCATE contacts, communities, community_fields; DELETE FROM projection_checkpoints`); err != nil {
		t.Fatal(err)
	}
	rebuild := b.run(t, projections.ContactsProjector{})
	if err := rebuild.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	rebuilt := snapshot(t, b.pool)
	if len(afterCrash) != len(rebuilt) {
		t.Fatalf("after crash %d rows, rebuilt %d", len(afterCrash), len(rebuilt))
	}
	for i := range rebuilt {
		if afterCrash[i] != rebuilt[i] {
			t.Fatalf("row %d differs:\nafter crash: %s\nrebuilt:     %s", i, afterCrash[i], rebuilt[i])
		}
	}
	if len(rebuilt) < 60+1 {
		t.Fatalf("only %d rows in the read model", len(rebuilt))
	}
}

// snapshot returns every row of the read models, as text, in a stable order.
func snapshot(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `
		SELECT 'contact ' || row_to_json(c)::text FROM contacts c
		UNION ALL SELECT 'community ' || row_to_json(m)::text FROM communities m
		UNION ALL SELECT 'field ' || row_to_json(f)::text FROM community_fields f
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func names(items []domain.ContactView) []string {
	var out []string
	for _, c := range items {
		out = append(out, c.LastName)
	}
	return out
}

// TestStatusShowsLag: a stopped projector is reported behind, with the age
// of the oldest event it has not applied.
func TestStatusShowsLag(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := projections.NewRunner(b.pool, b.store, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { runner.Run(runCtx, projections.ContactsProjector{}); close(done) }()
	first := b.register(t, map[string]string{"last_name": "Avant"})
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, first.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	st, err := runner.Status(ctx)
	if err != nil || len(st) != 1 || st[0].Behind || st[0].LagSeconds != 0 {
		t.Fatalf("status of an up-to-date projector = %+v, %v", st, err)
	}
	cancel()
	<-done
	b.register(t, map[string]string{"last_name": "Après"})
	time.Sleep(20 * time.Millisecond)
	// The log may hold the event back for a moment (an older transaction on
	// the shared server): poll until it shows.
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err = runner.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st[0].Behind || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !st[0].Behind || st[0].LagSeconds < 0.01 {
		t.Fatalf("status of a stopped projector with a new event = %+v, want behind with a lag", st)
	}
}

// countingProjector is the contacts projector, counting its batches.
type countingProjector struct {
	projections.ContactsProjector
	applied atomic.Int32
}

func (p *countingProjector) Apply(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error {
	p.applied.Add(1)
	return p.ContactsProjector.Apply(ctx, tx, events)
}

// TestOneActiveProjectorPerReadModel: a second runner of the same read model
// (another node) waits as a standby while the first runs, then takes over.
func TestOneActiveProjectorPerReadModel(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	first := projections.NewRunner(b.pool, b.store, nil)
	firstCtx, stopFirst := context.WithCancel(ctx)
	firstDone := make(chan struct{})
	go func() { first.Run(firstCtx, projections.ContactsProjector{}); close(firstDone) }()
	res := b.register(t, map[string]string{"last_name": "Un"})
	if err := first.WaitFor(ctx, projections.ContactsReadModel, res.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}

	standby := projections.NewRunner(b.pool, b.store, nil)
	b.run(t, projections.ContactsProjector{}) // a third one, also waiting: the lock admits one at a time
	standbyCtx, stopStandby := context.WithCancel(ctx)
	defer stopStandby()
	counted := &countingProjector{}
	go standby.Run(standbyCtx, counted)
	res = b.register(t, map[string]string{"last_name": "Deux"})
	// The standby learns how far the read model has got (the first
	// runner's checkpoint, notified), without applying anything itself.
	if err := standby.WaitFor(ctx, projections.ContactsReadModel, res.Position, 10*time.Second); err != nil {
		t.Fatalf("the standby never learnt the read model's progress: %v", err)
	}
	if n := counted.applied.Load(); n != 0 {
		t.Fatalf("the standby applied %d batches while the first runner held the read model", n)
	}
	stopFirst()
	<-firstDone
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE last_name = 'Deux'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no standby took over after the first runner stopped")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRebuildSwapsWhileServing rebuilds the read model aside while the
// projector runs and writes keep coming, swaps it in, and shows the result
// equals the read model the projector had built, and that the projector
// goes on on the new tables.
func TestRebuildSwapsWhileServing(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner, stopRunner := b.start(t, projections.ContactsProjector{})
	var ids []string
	for i := range 40 {
		res := b.register(t, map[string]string{"first_name": fmt.Sprintf("R%02d", i), "email": fmt.Sprintf("r%02d@example.org", i)})
		ids = append(ids, res.ID)
	}
	archived, err := b.handler.ArchiveContact(ctx, b.caller, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	// The log shows events once older transactions (of any database of the
	// cluster, such as other packages' tests) end: wait until it does.
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, archived.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	// Writes go on during the rebuild.
	stop := make(chan struct{})
	writerDone := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				writerDone <- nil
				return
			default:
			}
			if _, err := b.handler.UpdateContact(context.Background(), b.caller, ids[1+i%30], map[string]string{"last_name": fmt.Sprintf("L%d", i)}, 0); err != nil {
				writerDone <- err
				return
			}
		}
	}()
	stats, err := runner.Rebuild(ctx, projections.ContactsProjector{})
	close(stop)
	if err := <-writerDone; err != nil {
		t.Fatal(err)
	}
	if err != nil {
		t.Fatalf("rebuild: %v", err)
	}
	if stats.Events == 0 {
		t.Fatal("the rebuild read no event")
	}
	last, err := b.handler.UpdateContact(ctx, b.caller, ids[35], map[string]string{"last_name": "After swap"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatalf("the projector did not go on after the swap: %v", err)
	}
	swapped := snapshot(t, b.pool)
	var indexes int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'contacts'`).Scan(&indexes); err != nil || indexes < 8 {
		t.Fatalf("the swapped contacts table has %d indexes (%v), want its primary key and every secondary index", indexes, err)
	}
	var target int
	if err := b.pool.QueryRow(ctx, `SELECT attstattarget FROM pg_attribute WHERE attrelid = 'public.contacts'::regclass AND attname = 'search'`).
		Scan(&target); err != nil || target != 300 {
		t.Fatalf("the swapped contacts table's search column has statistics target %d (%v), want the migration's 300", target, err)
	}

	// The same log replayed from scratch gives the same rows.
	stopRunner()
	if _, err := b.pool.Exec(ctx, `TRUNCATE contacts, communities, community_fields; DELETE FROM projection_checkpoints`); err != nil {
		t.Fatal(err)
	}
	fresh := b.run(t, projections.ContactsProjector{})
	if err := fresh.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	rebuilt := snapshot(t, b.pool)
	if len(swapped) != len(rebuilt) {
		t.Fatalf("after the swap %d rows, replayed %d", len(swapped), len(rebuilt))
	}
	for i := range rebuilt {
		if swapped[i] != rebuilt[i] {
			t.Fatalf("row %d differs:\nswapped:  %s\nreplayed: %s", i, swapped[i], rebuilt[i])
		}
	}
}

// TestRunsKeepTheLogOrder: a batch holding registrations, archivals and
// restorations of the same contacts (which Apply gathers in runs) leaves
// the read model as applying its events one by one does.
func TestRunsKeepTheLogOrder(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	a := b.register(t, map[string]string{"last_name": "A"}).ID
	c := b.register(t, map[string]string{"last_name": "C"}).ID
	for _, step := range []struct {
		archive bool
		id      string
	}{{true, a}, {true, c}, {false, a}, {true, a}, {false, c}} {
		do := b.handler.RestoreContact
		if step.archive {
			do = b.handler.ArchiveContact
		}
		if _, err := do(ctx, b.caller, step.id); err != nil {
			t.Fatal(err)
		}
	}
	last := b.register(t, map[string]string{"last_name": "D"})
	// The whole log, once readers see it (another package's open
	// transaction on the shared server can hold its tail back a while).
	var events []domain.RecordedEvent
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var err error
		if events, err = b.store.ReadAll(ctx, domain.Start, 1000); err != nil {
			t.Fatal(err)
		}
		if len(events) > 0 && events[len(events)-1].Position == last.Position {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read %d events, the last registration's not among them", len(events))
		}
	}
	apply := func(batches [][]domain.RecordedEvent) []string {
		if _, err := b.pool.Exec(ctx, `TRUNCATE contacts, communities, community_fields`); err != nil {
			t.Fatal(err)
		}
		for _, batch := range batches {
			err := pgx.BeginFunc(ctx, b.pool, func(tx pgx.Tx) error { return projections.ContactsProjector{}.Apply(ctx, tx, batch) })
			if err != nil {
				t.Fatal(err)
			}
		}
		return snapshot(t, b.pool)
	}
	var oneByOne [][]domain.RecordedEvent
	for _, e := range events {
		oneByOne = append(oneByOne, []domain.RecordedEvent{e})
	}
	want := apply(oneByOne)
	if got := apply([][]domain.RecordedEvent{events}); !reflect.DeepEqual(got, want) {
		t.Fatalf("applied at once:\n%s\none by one:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var statuses []string
	rows, err := b.pool.Query(ctx, `SELECT last_name || ' ' || status || ' ' || (archived_at IS NOT NULL) FROM contacts ORDER BY last_name`)
	if err != nil {
		t.Fatal(err)
	}
	if statuses, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		t.Fatal(err)
	}
	if want := []string{"A archived true", "C active false", "D active false"}; !reflect.DeepEqual(statuses, want) {
		t.Fatalf("statuses %v, want %v", statuses, want)
	}
}

// TestSearchMatchesWordsTogether: a term's words match side by side, with
// spaces and punctuation matching one another, and LIKE's wildcards are
// plain characters.
func TestSearchMatchesWordsTogether(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	var last domain.Result
	for _, v := range []map[string]string{
		{"first_name": "Jean-Pierre", "last_name": "Dupré", "email": "jp.dupre@example.org"},
		{"first_name": "Jeanne", "last_name": "Pierrot", "email": "jeanne@example.org"},
		{"first_name": "Anna", "last_name": "Bell", "email": "anna_b@example.org"},
	} {
		last = b.register(t, v)
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for term, want := range map[string][]string{
		"jean pierre": {"Dupré"},
		"Jean-Pierre": {"Dupré"},
		"dupre jp":    {"Dupré"},
		"jp.dupre@":   {"Dupré"},
		"jeanne":      {"Pierrot"},
		"anna b":      {"Bell"},
		"a%l":         nil, // a wildcard in LIKE: here a character, in no name
		"n_e":         nil,
		"pierre d":    {"Dupré"},
		"pierre-p":    nil,
	} {
		q := domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusActive, Search: term, Limit: 10}
		page, err := b.queries.ListContacts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(page.Items); !slices.Equal(got, want) {
			t.Errorf("search %q: %v, want %v", term, got, want)
		}
		if n, err := b.queries.CountContacts(ctx, q); err != nil || n != len(want) {
			t.Errorf("count %q: %d (%v), want %d", term, n, err, len(want))
		}
	}
}
