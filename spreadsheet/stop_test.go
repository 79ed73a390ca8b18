package spreadsheet_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/spreadsheet"
)

// hookedStore calls its hooks before the store's reads and appends: the
// tests use them to hold an import at one point, or to leave it there.
type hookedStore struct {
	domain.EventStore
	mu       sync.Mutex
	onRead   func(ctx context.Context, stream string)
	onAppend func(stream string)
}

func (s *hookedStore) ReadStream(ctx context.Context, stream string, dir domain.Direction, from int64, limit int) ([]domain.RecordedEvent, error) {
	s.mu.Lock()
	hook := s.onRead
	s.mu.Unlock()
	if hook != nil {
		hook(ctx, stream)
	}
	return s.EventStore.ReadStream(ctx, stream, dir, from, limit)
}

func (s *hookedStore) Append(ctx context.Context, stream string, expected domain.ExpectedVersion, events []domain.EventData) (domain.AppendResult, error) {
	s.mu.Lock()
	hook := s.onAppend
	s.mu.Unlock()
	if hook != nil {
		hook(stream)
	}
	return s.EventStore.Append(ctx, stream, expected, events)
}

// hooked is a service on b's database whose store has hooks (no read
// model shortcut: every row is loaded from the log).
func (b *bundle) hooked(configure func(*spreadsheet.Service)) (*spreadsheet.Service, *hookedStore) {
	store := &hookedStore{EventStore: b.store}
	svc := &spreadsheet.Service{Handler: &domain.Handler{Store: store, KeySecret: b.handler.KeySecret},
		Queries: b.service.Queries, Reports: b.service.Reports}
	if configure != nil {
		configure(svc)
	}
	return svc, store
}

// countImports counts the stored imports and their rows.
func (b *bundle) countImports(t *testing.T) (imports, rows int) {
	t.Helper()
	pool := b.pool
	if err := pool.QueryRow(t.Context(), `SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM import_rows)`).Scan(&imports, &rows); err != nil {
		t.Fatal(err)
	}
	return imports, rows
}

// TestImportsTakeTurns: with one turn, an import arriving while another
// reads waits, then is refused with EUNAVAILABLE; once the first is done,
// the next one runs.
func TestImportsTakeTurns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	svc, store := b.hooked(func(s *spreadsheet.Service) { s.MaxImports, s.ImportWait = 1, 10*time.Millisecond })
	reached, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	store.onRead = func(ctx context.Context, stream string) {
		once.Do(func() { close(reached); <-release }) // the first read: the first import's community
	}
	data := book(t, [][]any{header, {"ada@example.org", "Ada"}})
	req := domain.ImportRequest{Caller: b.caller, FileName: "x.xlsx", Data: data, DryRun: true}
	first := make(chan error, 1)
	go func() { _, err := svc.Import(t.Context(), req); first <- err }()
	<-reached
	_, err := svc.Import(t.Context(), req)
	if domain.ErrorCode(err) != domain.EUNAVAILABLE || !strings.Contains(err.Error(), "try again") {
		t.Errorf("second import while the first reads: %v, want EUNAVAILABLE", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first import: %v", err)
	}
	if rep, err := svc.Import(t.Context(), req); err != nil || rep.Counts.Created != 1 {
		t.Errorf("third import, after the first: %+v, %v", rep, err)
	}
}

// TestImportStopsWhileMatchingWhenTheCallerLeaves: a caller that leaves
// while the rows are being matched stops the import, dry run or not: it
// leaves no report and no rows, and changed nothing.
func TestImportStopsWhileMatchingWhenTheCallerLeaves(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.register(t, map[string]string{"email": "ada@example.org", "first_name": "Ada"})
	for _, dry := range []bool{true, false} {
		ctx, cancel := context.WithCancel(t.Context())
		svc, store := b.hooked(nil)
		store.onRead = func(_ context.Context, stream string) {
			if strings.HasPrefix(stream, "contact-") {
				cancel() // the caller leaves as the first row is matched
			}
		}
		data := book(t, [][]any{{"ID", "First name"}, {ada, "Augusta"}})
		rep, err := svc.Import(ctx, domain.ImportRequest{Caller: b.caller, FileName: "x.xlsx", Data: data, DryRun: dry})
		if !errors.Is(err, context.Canceled) || rep != nil {
			t.Errorf("dry run %v: %+v, %v; want context.Canceled and no report", dry, rep, err)
		}
		if imports, rows := b.countImports(t); imports != 0 || rows != 0 {
			t.Errorf("dry run %v: %d imports and %d rows left", dry, imports, rows)
		}
		if got := b.contact(t, ada).FirstName(); got != "Ada" {
			t.Errorf("dry run %v: Ada is now %q", dry, got)
		}
	}
}

// TestImportStopsAtARowBoundaryWhenTheCallerLeaves: a caller that leaves
// while rows are being applied stops the import after the row in flight:
// the rows applied stay applied, the others are not applied, and the
// stored report says where it stopped and why.
func TestImportStopsAtARowBoundaryWhenTheCallerLeaves(t *testing.T) {
	t.Parallel()
	b := setup(t)
	rows := [][]any{{"ID", "First name"}}
	var ids []string
	for i := range 5 {
		id := b.register(t, map[string]string{"first_name": "Ada", "email": "ada" + string(rune('a'+i)) + "@example.org"})
		ids = append(ids, id)
		rows = append(rows, []any{id, "Augusta"})
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	svc, store := b.hooked(func(s *spreadsheet.Service) { s.Workers = 1 }) // one row at a time: where it stops is known
	appends := 0
	store.onAppend = func(stream string) {
		if strings.HasPrefix(stream, "contact-") {
			if appends++; appends == 2 {
				cancel() // the caller leaves while row 3 is applied
			}
		}
	}
	rep, err := svc.Import(ctx, domain.ImportRequest{Caller: b.caller, FileName: "x.xlsx", Data: book(t, rows)})
	if !errors.Is(err, context.Canceled) || rep == nil {
		t.Fatalf("Import = %+v, %v; want the report and context.Canceled", rep, err)
	}
	stored, err := b.reports.Report(t.Context(), b.caller.CommunityID, rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.StoppedAtRow != 4 || stored.StoppedReason != "the client left" || stored.Counts != (domain.ImportCounts{Updated: 2, Rejected: 3}) {
		t.Errorf("report: stopped at %d (%q), counts %+v", stored.StoppedAtRow, stored.StoppedReason, stored.Counts)
	}
	o := outcomes(stored)
	for i, id := range ids {
		n, got := i+2, b.contact(t, id).FirstName()
		if n < 4 {
			if o[n].Outcome != domain.RowUpdated || got != "Augusta" {
				t.Errorf("row %d: %+v, first name %q; want applied", n, o[n], got)
			}
			continue
		}
		wantRejected(t, o[n], "", "not applied: the import stopped at row 4 (the client left)")
		if got != "Ada" || o[n].ContactID != id {
			t.Errorf("row %d: %+v, first name %q; want not applied", n, o[n], got)
		}
	}
}
