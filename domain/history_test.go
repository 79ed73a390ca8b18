package domain_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
)

// TestContactHistory tells a contact's life in plain terms: who did what,
// when, why, and what changed; a merge links survivor and duplicate.
func TestContactHistory(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	caller := f.caller
	caller.CorrelationID = "req-1"
	res, err := f.h.RegisterContact(ctx, caller, map[string]string{"first_name": "Hélène", "email": "helene@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	id := res.ID
	caller.CorrelationID = "import-7"
	if _, err := f.h.UpdateContact(ctx, caller, id, map[string]string{"first_name": "Helene", "last_name": "Dupré"}, 0); err != nil {
		t.Fatal(err)
	}
	dup := f.register(map[string]string{"last_name": "Dupré", "external_id": "M-1"})
	if _, err := f.h.MergeContacts(ctx, f.caller, id, []string{dup}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.h.ArchiveContact(ctx, f.caller, id); err != nil {
		t.Fatal(err)
	}

	history, err := domain.ContactHistory(ctx, f.store, f.caller.CommunityID, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range history {
		types = append(types, e.Type)
	}
	if want := []string{"ContactRegistered", "ContactUpdated", "MergeStarted", "DuplicatesAbsorbed", "ContactArchived"}; !reflect.DeepEqual(types, want) {
		t.Fatalf("history types %v, want %v", types, want)
	}
	first := history[0]
	if first.Version != 1 || first.Actor != "test" || first.Command != "RegisterContact" || first.CorrelationID != "req-1" || first.Schema != 1 ||
		first.Time.IsZero() || time.Since(first.Time) > time.Minute || first.Position.IsStart() {
		t.Fatalf("first entry %+v", first)
	}
	if !hasChange(first.Changes, domain.Change{Field: "status", Old: "", New: "active"}) ||
		!hasChange(first.Changes, domain.Change{Field: "first_name", New: "Hélène"}) {
		t.Fatalf("registration changes %+v", first.Changes)
	}
	if u := history[1]; u.CorrelationID != "import-7" || !hasChange(u.Changes, domain.Change{Field: "first_name", Old: "Hélène", New: "Helene"}) {
		t.Fatalf("update entry %+v", u)
	}
	if m := history[2]; !reflect.DeepEqual(m.Related, []string{dup}) || len(m.Changes) != 0 {
		t.Fatalf("merge started entry %+v: want the duplicates linked, no change", m)
	}
	if m := history[3]; !reflect.DeepEqual(m.Related, []string{dup}) || !hasChange(m.Changes, domain.Change{Field: "external_id", New: "M-1", From: dup}) {
		t.Fatalf("merge entry %+v", m)
	}
	if a := history[4]; !hasChange(a.Changes, domain.Change{Field: "status", Old: "active", New: "archived"}) {
		t.Fatalf("archive entry %+v", a)
	}

	// The duplicate's history stays under its own ID and links back.
	dupHistory, err := domain.ContactHistory(ctx, f.store, f.caller.CommunityID, dup)
	if err != nil {
		t.Fatal(err)
	}
	last := dupHistory[len(dupHistory)-1]
	if last.Type != "ContactMerged" || !reflect.DeepEqual(last.Related, []string{id}) ||
		!hasChange(last.Changes, domain.Change{Field: "status", Old: "active", New: "merged"}) {
		t.Fatalf("duplicate's last entry %+v", last)
	}

	// Deleting the survivor deletes the duplicate too, and its history
	// names the survivor's deletion as the cause.
	deleted, err := f.h.DeleteContact(ctx, f.caller, id)
	if err != nil {
		t.Fatal(err)
	}
	dupHistory, err = domain.ContactHistory(ctx, f.store, f.caller.CommunityID, dup)
	if err != nil {
		t.Fatal(err)
	}
	if last := dupHistory[len(dupHistory)-1]; last.Type != "ContactDeleted" || last.CausationID != fmt.Sprintf("contact-%s@%d", id, deleted.Version) {
		t.Fatalf("the duplicate's deletion: %+v, want caused by contact-%s@%d", last, id, deleted.Version)
	}

	// Another community sees nothing, as for an unknown ID.
	other := f.newCommunity("Other")
	if _, err := domain.ContactHistory(ctx, f.store, other.CommunityID, id); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("foreign history: %v, want ENOTFOUND", err)
	}
	if _, err := domain.ContactHistory(ctx, f.store, f.caller.CommunityID, domain.NewID()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("unknown history: %v, want ENOTFOUND", err)
	}
}

func hasChange(changes []domain.Change, want domain.Change) bool {
	for _, c := range changes {
		if c.Field == want.Field && c.Old == want.Old && c.New == want.New && (want.From == "" || c.From == want.From) {
			return true
		}
	}
	return false
}

// TestLoadContactAsOf replays a contact up to an instant.
func TestLoadContactAsOf(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	id := f.register(map[string]string{"first_name": "Ada"})
	before := time.Now()
	time.Sleep(5 * time.Millisecond)
	if _, err := f.h.UpdateContact(ctx, f.caller, id, map[string]string{"first_name": "Grace"}, 0); err != nil {
		t.Fatal(err)
	}
	then, err := domain.LoadContactAsOf(ctx, f.store, f.caller.CommunityID, id, before)
	if err != nil {
		t.Fatal(err)
	}
	if then.FirstName() != "Ada" || then.Version != 1 {
		t.Fatalf("as of before the update: %q v%d, want Ada v1", then.FirstName(), then.Version)
	}
	if now := f.load(id); now.FirstName() != "Grace" {
		t.Fatalf("now: %q", now.FirstName())
	}
	if _, err := domain.LoadContactAsOf(ctx, f.store, f.caller.CommunityID, id, before.Add(-time.Hour)); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("before it existed: %v, want ENOTFOUND", err)
	}
}
