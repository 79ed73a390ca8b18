package spreadsheet_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/eventstore/postgres"
	"github.com/assoc/contacts/eventstore/sealed"
	"github.com/assoc/contacts/pgtest"
	"github.com/assoc/contacts/projections"
	"github.com/assoc/contacts/spreadsheet"
	importstore "github.com/assoc/contacts/spreadsheet/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// bundle is the service on a database of its own, with a community that
// has a date, a number and a choice field, and its projector running.
type bundle struct {
	store   *postgres.Store
	handler *domain.Handler
	runner  *projections.Runner
	keyring *sealed.Keyring
	service *spreadsheet.Service
	reports *importstore.Reports
	pool    *pgxpool.Pool
	caller  domain.Caller
	last    domain.Position // the last position a helper wrote
}

func setup(t *testing.T) *bundle {
	t.Helper()
	pool := pgtest.NewPool(t)
	store := postgres.New(pool, nil)
	t.Cleanup(store.Close)
	secret := make([]byte, 32)
	rand.Read(secret)
	handler := &domain.Handler{Store: store, KeySecret: secret}
	runner := projections.NewRunner(pool, store, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { runner.Run(ctx, projections.ContactsProjector{}) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	master := make([]byte, sealed.MasterKeySize)
	rand.Read(master)
	keyring, err := sealed.NewKeyring(t.Context(), pool, master)
	if err != nil {
		t.Fatal(err)
	}
	reports := &importstore.Reports{Pool: pool, Sealer: keyring}
	b := &bundle{store: store, handler: handler, runner: runner, keyring: keyring, reports: reports, pool: pool, service: &spreadsheet.Service{
		Handler: handler, Queries: &projections.Queries{Pool: pool}, Reports: reports,
		CaughtUp: importstore.CaughtUp(pool, store, time.Second),
	}}
	res, err := handler.CreateCommunity(t.Context(), domain.Caller{Actor: "test"}, "Test community")
	if err != nil {
		t.Fatal(err)
	}
	b.caller = domain.Caller{CommunityID: res.ID, Actor: "test"}
	for _, f := range []domain.Field{
		{Key: "birthday", Label: "Date de naissance", Type: domain.FieldDate},
		{Key: "score", Label: "Score", Type: domain.FieldNumber},
		{Key: "level", Label: "Niveau", Type: domain.FieldChoice, Choices: []string{"Bronze", "Or"}},
	} {
		_, r, err := handler.DefineField(t.Context(), b.caller, f)
		if err != nil {
			t.Fatal(err)
		}
		b.last = r.Position
	}
	return b
}

// register registers a contact and returns its ID.
func (b *bundle) register(t *testing.T, values map[string]string) string {
	t.Helper()
	res, err := b.handler.RegisterContact(t.Context(), b.caller, values)
	if err != nil {
		t.Fatal(err)
	}
	b.last = res.Position
	return res.ID
}

// settle waits until the read model has applied what the helpers wrote.
func (b *bundle) settle(t *testing.T) {
	t.Helper()
	if err := b.runner.WaitFor(t.Context(), projections.ContactsReadModel, b.last, 10*time.Second); err != nil {
		t.Fatalf("wait for %s (reached %s): %v", b.last, b.runner.Reached(projections.ContactsReadModel), err)
	}
}

func (b *bundle) export(t *testing.T, q domain.ExportQuery) []byte {
	t.Helper()
	b.settle(t)
	q.CommunityID = b.caller.CommunityID
	var buf bytes.Buffer
	if err := b.service.Export(t.Context(), &buf, q); err != nil {
		t.Fatal(err)
	}
	sameAsExcelize(t, buf.Bytes())
	return buf.Bytes()
}

func (b *bundle) importFile(t *testing.T, data []byte, dryRun bool) *domain.ImportReport {
	t.Helper()
	rep, err := b.service.Import(t.Context(), domain.ImportRequest{Caller: b.caller, FileName: "test.xlsx", Data: data, DryRun: dryRun})
	if err != nil {
		t.Fatal(err)
	}
	// The rows are in the store: the report as stored is the one to check.
	stored, err := b.reports.Report(t.Context(), b.caller.CommunityID, rep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Counts != rep.Counts {
		t.Errorf("stored counts %+v, returned %+v", stored.Counts, rep.Counts)
	}
	return stored
}

func (b *bundle) contact(t *testing.T, id string) *domain.Contact {
	t.Helper()
	c, err := domain.LoadContact(t.Context(), b.store, b.caller.CommunityID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// outcomes lists each row's outcome, by row number.
func outcomes(rep *domain.ImportReport) map[int]domain.ImportRow {
	out := map[int]domain.ImportRow{}
	for _, o := range rep.Rows {
		out[o.Row] = o
	}
	return out
}

// value reads a contact's value of a field key from its stream.
func (b *bundle) value(t *testing.T, id, key string) string {
	t.Helper()
	community, err := domain.LoadCommunity(t.Context(), b.store, b.caller.CommunityID)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := community.Field(key)
	if !ok {
		t.Fatalf("no field %s", key)
	}
	return b.contact(t, id).Value(f.Slot())
}

// testWriter sends log lines to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
