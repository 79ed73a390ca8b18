package domain_test

import (
	"testing"

	"github.com/assoc/contacts/domain"
)

// KeyHolder names the contact that holds a key, by its reservation: any
// case of an email, while the contact is active or archived, not once the
// key was given up or its contact deleted, never across communities.
func TestHandlerKeyHolder(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	holder := func(kind, value string) string {
		t.Helper()
		id, err := f.h.KeyHolder(ctx, f.caller.CommunityID, kind, value)
		if err != nil {
			t.Fatalf("KeyHolder(%s, %s): %v", kind, value, err)
		}
		return id
	}
	ann := f.register(map[string]string{"first_name": "Ann", "email": "ann@example.org", "external_id": "A-1"})
	if got := holder(domain.KeyEmail, " ANN@example.org "); got != ann {
		t.Errorf("email holder %q, want %s", got, ann)
	}
	if got := holder(domain.KeyExternalID, "A-1"); got != ann {
		t.Errorf("external ID holder %q, want %s", got, ann)
	}
	if got := holder(domain.KeyExternalID, "a-1"); got != "" {
		t.Errorf("external IDs compare exactly: %q holds a-1", got)
	}
	if got := holder(domain.KeyEmail, "nobody@example.org"); got != "" {
		t.Errorf("a free email is held by %q", got)
	}
	other := f.newCommunity("Other")
	if id, err := f.h.KeyHolder(ctx, other.CommunityID, domain.KeyEmail, "ann@example.org"); err != nil || id != "" {
		t.Errorf("another community sees %q, %v", id, err)
	}
	if _, err := f.h.KeyHolder(ctx, f.caller.CommunityID, domain.KeyFirstName, "Ann"); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("first name as a key: %v, want EINVALID", err)
	}

	if _, err := f.h.UpdateContact(ctx, f.caller, ann, map[string]string{"email": "ann2@example.org"}, 0); err != nil {
		t.Fatal(err)
	}
	if got := holder(domain.KeyEmail, "ann@example.org"); got != "" {
		t.Errorf("a given-up email is held by %q", got)
	}
	if _, err := f.h.ArchiveContact(ctx, f.caller, ann); err != nil {
		t.Fatal(err)
	}
	if got := holder(domain.KeyEmail, "ann2@example.org"); got != ann {
		t.Errorf("an archived contact's email is held by %q, want %s", got, ann)
	}
	if _, err := f.h.DeleteContact(ctx, f.caller, ann); err != nil {
		t.Fatal(err)
	}
	if got := holder(domain.KeyExternalID, "A-1"); got != "" {
		t.Errorf("a deleted contact's external ID is held by %q", got)
	}
}

// TestLegacyKeySecret: a database whose reservations were named by an
// older secret keeps its unique keys under a handler on the new secret
// that reads the old names: a key held there stays held, a release or a
// new claim goes to the new stream, which answers from then on.
func TestLegacyKeySecret(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	old := &domain.Handler{Store: f.store, KeySecret: []byte("the old secret")}
	ann, err := old.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Ann", "email": "ann@example.org", "external_id": "A-1"})
	if err != nil {
		t.Fatal(err)
	}
	h := &domain.Handler{Store: f.store, KeySecret: []byte("the new secret"), LegacyKeySecret: []byte("the old secret")}
	_, err = h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Eve", "email": "ANN@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+ann.ID)
	if holder, err := h.KeyHolder(ctx, f.caller.CommunityID, "external_id", "A-1"); err != nil || holder != ann.ID {
		t.Fatalf("A-1 held by %q (%v), want Ann", holder, err)
	}
	// Ann gives her email up: released under the new name, it is free.
	if _, err := h.UpdateContact(ctx, f.caller, ann.ID, map[string]string{"email": "ann.new@example.org"}, 0); err != nil {
		t.Fatal(err)
	}
	eve, err := h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Eve", "email": "ann@example.org"})
	if err != nil {
		t.Fatalf("the email Ann gave up: %v", err)
	}
	_, err = h.RegisterContact(ctx, f.caller, map[string]string{"first_name": "Zoe", "email": "ann@example.org"})
	wantErr(t, err, domain.ECONFLICT, "email", "already used by contact "+eve.ID)
	// A handler without the old secret would not see Ann's external ID:
	// the legacy name is what keeps it.
	if holder, _ := (&domain.Handler{Store: f.store, KeySecret: []byte("the new secret")}).KeyHolder(ctx, f.caller.CommunityID, "external_id", "A-1"); holder != "" {
		t.Fatalf("without the old secret, A-1 held by %q", holder)
	}
}
