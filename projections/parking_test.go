package projections_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/projections"
)

// appendRaw appends events straight to the store, past the command
// handler's rules: what a log written before those rules may hold.
func (b *bundle) appendRaw(t *testing.T, stream string, expected domain.ExpectedVersion, events ...domain.Event) domain.AppendResult {
	t.Helper()
	var data []domain.EventData
	for _, e := range events {
		d, err := domain.Encode(e, domain.Metadata{CommunityID: b.caller.CommunityID, Actor: "legacy", Command: "Legacy", Time: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, d)
	}
	res, err := b.store.Append(t.Context(), stream, expected, data)
	if err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

// randomText is n characters of random CJK ideographs (three bytes each in
// UTF-8), which do not compress.
func randomText(n int) string {
	var s strings.Builder
	for range n {
		s.WriteRune(rune(0x4e00 + rand.IntN(0x5000)))
	}
	return s.String()
}

// TestEventsFromBeforeTheRulesProject: events the rules now refuse (a NUL,
// invalid text, a name too long for the read model's indexes), appended
// before the rules existed, still project: the read model keeps what
// PostgreSQL can hold, and nothing is set aside.
func TestEventsFromBeforeTheRulesProject(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	field, _, err := b.handler.DefineField(ctx, b.caller, domain.Field{Key: "notes", Label: "Notes", Type: domain.FieldText})
	if err != nil {
		t.Fatal(err)
	}
	id := domain.NewID()
	long := randomText(1000)
	b.appendRaw(t, domain.ContactStream(id), domain.NoStream,
		domain.ContactRegistered{ContactID: id, CommunityID: b.caller.CommunityID, Values: []domain.Value{
			{Field: domain.KeyFirstName, Value: "a\x00b"},
			{Field: domain.KeyLastName, Value: long},
			{Field: domain.KeyEmail, Value: "bad\xffbyte@example.org"},
			{Field: "notes", FieldID: field.ID, Value: "nul\x00note"},
		}},
		domain.ContactUpdated{ContactID: id, Changes: []domain.Change{{Field: domain.KeyExternalID, New: "E\x001"}}})
	b.appendRaw(t, domain.CommunityStream(b.caller.CommunityID), domain.Any,
		domain.FieldDefined{CommunityID: b.caller.CommunityID, Field: domain.Field{ID: domain.NewID(), Key: "k\x00", Label: "L\x00", Type: "text", Choices: []string{"c\x00"}}})
	last := b.register(t, map[string]string{"first_name": "After"})
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatalf("the read model did not get past the old events: %v", err)
	}
	got, err := b.queries.Contact(ctx, b.caller.CommunityID, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.FirstName != "a\uFFFDb" || got.ExternalID != "E\uFFFD1" || got.Email != "bad\uFFFDbyte@example.org" || got.Fields["notes"] != "nul\uFFFDnote" {
		t.Errorf("contact %+v: want NUL and invalid bytes kept as U+FFFD", got)
	}
	if !strings.HasPrefix(long, got.LastName) || len(got.LastName) > 400 || len(got.LastName) < 390 || !utf8.ValidString(got.LastName) {
		t.Errorf("last name of %d bytes: want the beginning of the 3000-byte name, whole characters, at most 400 bytes", len(got.LastName))
	}
	if parked, err := runner.ListParked(ctx, ""); err != nil || len(parked) != 0 {
		t.Errorf("parked %v, %v: want nothing set aside", parked, err)
	}
}

// breakable is the contacts projector with a bug that refuses the
// updates of one contact until it is "fixed".
type breakable struct {
	projections.ContactsProjector
	contact string
	fixed   atomic.Bool
}

func (p *breakable) Apply(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error {
	for _, e := range events {
		if !p.fixed.Load() && e.Type == "ContactUpdated" && e.Stream == domain.ContactStream(p.contact) {
			return errors.New("a bug in the projector")
		}
	}
	return p.ContactsProjector.Apply(ctx, tx, events)
}

// TestProjectorSetsAsideWhatItCannotApply: an event the projector cannot
// apply is tried, then set aside with its position and error, and every
// later event is applied but those of its stream, which wait behind it;
// the read model's status counts them. After a fix, a retry applies them
// in order.
func TestProjectorSetsAsideWhatItCannotApply(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	ann := b.register(t, map[string]string{"first_name": "Ann"})
	p := &breakable{contact: ann.ID}
	runner := b.run(t, p)

	first, err := b.handler.UpdateContact(ctx, b.caller, ann.ID, map[string]string{"last_name": "Lee"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A poison event of PostgreSQL's own refusal, on another stream.
	badID := domain.NewID()
	b.appendRaw(t, domain.ContactStream(badID), domain.NoStream, domain.ContactArchived{ContactID: "not-a-uuid"})
	second, err := b.handler.ArchiveContact(ctx, b.caller, ann.ID) // Ann's stream: waits behind her update
	if err != nil {
		t.Fatal(err)
	}
	bo := b.register(t, map[string]string{"first_name": "Bo"}) // another stream: applied
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, bo.Position, 30*time.Second); err != nil {
		t.Fatalf("the read model stopped at a poison event: %v", err)
	}
	if _, err := b.queries.Contact(ctx, b.caller.CommunityID, bo.ID); err != nil {
		t.Errorf("Bo, registered after the poison events: %v", err)
	}
	parked, err := runner.ListParked(ctx, projections.ContactsReadModel)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 3 {
		t.Fatalf("parked %+v: want Ann's update, the bad archive, Ann's archive behind her update", parked)
	}
	wantParked := []struct {
		pos     domain.Position
		stream  string
		err     string
		attempt int
	}{
		{first.Position, domain.ContactStream(ann.ID), "a bug in the projector", 3},
		{domain.Position{}, domain.ContactStream(badID), "SQLSTATE 22P02", 3},
		{second.Position, domain.ContactStream(ann.ID), "waits behind the event of its stream set aside at " + first.Position.String(), 0},
	}
	for i, w := range wantParked {
		got := parked[i]
		if (!w.pos.IsStart() && got.Position != w.pos) || got.Stream != w.stream || !strings.Contains(got.Error, w.err) || got.Attempts != w.attempt {
			t.Errorf("parked[%d] = %+v, want at %s on %s, error %q, %d attempts", i, got, w.pos, w.stream, w.err, w.attempt)
		}
	}
	statuses, err := runner.Status(ctx)
	if err != nil || len(statuses) != 1 || statuses[0].Parked != 3 {
		t.Errorf("status %+v, %v: want 3 parked", statuses, err)
	}
	view, err := b.queries.Contact(ctx, b.caller.CommunityID, ann.ID)
	if err != nil || view.Version != 1 || view.Status != "active" {
		t.Errorf("Ann %+v, %v: want her as registered, version 1, until her update is applied", view, err)
	}

	// Retried before the fix: nothing moves.
	if res, err := runner.Retry(ctx, p); err != nil || res.Applied != 0 || res.StillParked != 3 {
		t.Fatalf("retry before the fix: %+v, %v; want 3 still parked", res, err)
	}
	// After the fix, Ann's events apply in order; the bad archive stays.
	p.fixed.Store(true)
	if res, err := runner.Retry(ctx, p); err != nil || res.Applied != 2 || res.StillParked != 1 {
		t.Fatalf("retry after the fix: %+v, %v; want 2 applied, 1 still parked", res, err)
	}
	view, err = b.queries.Contact(ctx, b.caller.CommunityID, ann.ID)
	if err != nil || view.Version != second.Version || view.Status != "archived" || view.LastName != "Lee" {
		t.Errorf("Ann %+v, %v: want her updated then archived, version %d", view, err, second.Version)
	}
	// And the running projector goes on with her stream.
	restored, err := b.handler.RestoreContact(ctx, b.caller, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, restored.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if view, _ := b.queries.Contact(ctx, b.caller.CommunityID, ann.ID); view.Status != "active" || view.Version != restored.Version {
		t.Errorf("Ann %+v: want her restored", view)
	}
}

// failingEverything cannot apply any contact event: a fault of the code or
// the database, not of one event.
type failingEverything struct{ projections.ContactsProjector }

func (failingEverything) Apply(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error {
	return errors.New("every event fails")
}

// TestSystemicFaultIsNotSetAside: when every event fails, the projector
// sets a few aside, then stops and restarts as before rather than empty
// the log into the parked table.
func TestSystemicFaultIsNotSetAside(t *testing.T) {
	b := setup(t)
	for i := range 20 {
		b.register(t, map[string]string{"first_name": fmt.Sprintf("N%d", i)})
	}
	restarts := make(chan struct{}, 100)
	runner := projections.NewRunner(b.pool, b.store, slog.New(logHook{msg: "projector stopped; restarting", seen: restarts}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { runner.Run(ctx, failingEverything{}); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for range 2 { // the first stop, and one after a restart
		select {
		case <-restarts:
		case <-time.After(60 * time.Second):
			t.Fatal("the projector never stopped")
		}
	}
	parked, err := runner.ListParked(t.Context(), projections.ContactsReadModel)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 10 {
		t.Errorf("%d events set aside, want 10 then a stop", len(parked))
	}
}

// logHook is a slog handler that signals each record with message msg.
type logHook struct {
	msg  string
	seen chan struct{}
}

func (h logHook) Enabled(context.Context, slog.Level) bool { return true }
func (h logHook) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		select {
		case h.seen <- struct{}{}:
		default:
		}
	}
	return nil
}
func (h logHook) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h logHook) WithGroup(string) slog.Handler      { return h }

// TestRebuildSetsAsideToo: a rebuild meets the same poison event, sets it
// aside as the running projector did, completes, and the swapped-in read
// model comes with its parked events.
func TestRebuildSetsAsideToo(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	ann := b.register(t, map[string]string{"first_name": "Ann"})
	badID := domain.NewID()
	b.appendRaw(t, domain.ContactStream(badID), domain.NoStream, domain.ContactArchived{ContactID: "not-a-uuid"})
	b.appendRaw(t, domain.ContactStream(badID), domain.Exact(1), domain.ContactRestored{ContactID: badID})
	bo := b.register(t, map[string]string{"first_name": "Bo"})
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, bo.Position, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := b.pool.Exec(ctx, `DELETE FROM projection_parked`); err != nil { // as if parked by an older release
		t.Fatal(err)
	}
	if _, err := runner.Rebuild(ctx, projections.ContactsProjector{}); err != nil {
		t.Fatalf("rebuild stopped at the poison event: %v", err)
	}
	parked, err := runner.ListParked(ctx, projections.ContactsReadModel)
	if err != nil {
		t.Fatal(err)
	}
	if len(parked) != 2 || parked[0].Stream != domain.ContactStream(badID) || !strings.Contains(parked[0].Error, "22P02") ||
		!strings.Contains(parked[1].Error, "waits behind") {
		t.Fatalf("parked after the rebuild: %+v; want the bad archive and the restore behind it", parked)
	}
	for _, id := range []string{ann.ID, bo.ID} {
		if _, err := b.queries.Contact(ctx, b.caller.CommunityID, id); err != nil {
			t.Errorf("contact %s after the rebuild: %v", id, err)
		}
	}
}

// TestRebuildStopsAtASystemicFault: a rebuild whose projector fails on
// every event fails before its swap: the read model in service stays.
func TestRebuildStopsAtASystemicFault(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	var last domain.Result
	for i := range 30 {
		last = b.register(t, map[string]string{"first_name": fmt.Sprintf("N%d", i)})
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, last.Position, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Rebuild(ctx, failingEverything{}); err == nil {
		t.Fatal("a rebuild that applied nothing swapped in")
	}
	page, err := b.queries.ListContacts(ctx, domain.ListQuery{CommunityID: b.caller.CommunityID, Status: domain.StatusActive, Limit: 100})
	if err != nil || len(page.Items) != 30 {
		t.Fatalf("active list after the failed rebuild: %d contacts, %v; want the 30", len(page.Items), err)
	}
}

// TestIsolatedPoisonEventsNeverAddUp: poison events far apart, each
// followed by events that apply, are each set aside: the count of events
// set aside in a row starts over at every event applied, so the eleventh
// does not stop the read model.
func TestIsolatedPoisonEventsNeverAddUp(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	for i := range 12 {
		b.appendRaw(t, domain.ContactStream(domain.NewID()), domain.NoStream, domain.ContactArchived{ContactID: "not-a-uuid"})
		good := b.register(t, map[string]string{"first_name": fmt.Sprintf("Good %d", i)})
		if err := runner.WaitFor(ctx, projections.ContactsReadModel, good.Position, 30*time.Second); err != nil {
			t.Fatalf("after poison event %d: %v", i+1, err)
		}
	}
	if parked, err := runner.ListParked(ctx, projections.ContactsReadModel); err != nil || len(parked) != 12 {
		t.Fatalf("%d events set aside (%v), want the 12 poison events", len(parked), err)
	}
}

// TestDeletionIsNeverHeldBehind: a contact whose stream has an event set
// aside is deleted: the deletion is applied all the same (its personal
// data leaves the read model at once), and the events set aside of its
// stream are dropped.
func TestDeletionIsNeverHeldBehind(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	ann := b.register(t, map[string]string{"first_name": "Annabelle", "last_name": "Quelconque"})
	p := &breakable{contact: ann.ID}
	runner := b.run(t, p)
	if _, err := b.handler.UpdateContact(ctx, b.caller, ann.ID, map[string]string{"email": "annabelle@example.org"}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.handler.ArchiveContact(ctx, b.caller, ann.ID); err != nil {
		t.Fatal(err)
	}
	deleted, err := b.handler.DeleteContact(ctx, b.caller, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, deleted.Position, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	view, err := b.queries.Contact(ctx, b.caller.CommunityID, ann.ID)
	if err != nil || view.Status != "deleted" || view.FirstName != "" || view.LastName != "" {
		t.Errorf("Ann after her deletion: %+v, %v; want deleted, her names gone", view, err)
	}
	if parked, err := runner.ListParked(ctx, ""); err != nil || len(parked) != 0 {
		t.Errorf("parked %+v, %v: want her events set aside dropped", parked, err)
	}
}

// TestParkedReasonQuotesNoInput: the reason kept for an event set aside
// does not quote the input PostgreSQL refused, which may be a person's.
func TestParkedReasonQuotesNoInput(t *testing.T) {
	b := setup(t)
	ctx := t.Context()
	runner := b.run(t, projections.ContactsProjector{})
	b.appendRaw(t, domain.ContactStream(domain.NewID()), domain.NoStream, domain.ContactArchived{ContactID: "jeanne.dupont@example.org"})
	after := b.register(t, map[string]string{"first_name": "After"})
	if err := runner.WaitFor(ctx, projections.ContactsReadModel, after.Position, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	parked, err := runner.ListParked(ctx, "")
	if err != nil || len(parked) != 1 || strings.Contains(parked[0].Error, "jeanne") || !strings.Contains(parked[0].Error, "22P02") {
		t.Fatalf("parked %+v, %v: want the error without the input", parked, err)
	}
}
