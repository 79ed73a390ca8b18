package sealed_test

import (
	"testing"

	"github.com/assoc/contacts/domain"
)

// TestOwnedValues: values sealed for their owner open until the owner's
// erasure, which destroys its key; an owner keeps one key however many
// values it seals; an owner erased already gets no key (its values are
// not to be kept); an import's key goes with DestroyOwned.
func TestOwnedValues(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	keys := f.store.Keyring()
	ann, bob, imp := domain.NewID(), domain.NewID(), domain.NewID()
	sealedVals, err := keys.SealOwned(ctx, []string{ann, ann, bob, imp}, [][]byte{[]byte("Annabelle"), []byte("Anna"), []byte("Bob"), []byte("pending")})
	if err != nil {
		t.Fatal(err)
	}
	again, err := keys.SealOwned(ctx, []string{ann}, [][]byte{[]byte("Annie")})
	if err != nil {
		t.Fatal(err)
	}
	var annKeys int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM contact_keys WHERE contact_id = $1`, ann).Scan(&annKeys); err != nil || annKeys != 1 {
		t.Errorf("Ann owns %d keys (%v), want one for all her values", annKeys, err)
	}
	plains, erased, err := keys.OpenOwned(ctx, append(sealedVals, again...))
	if err != nil || string(plains[0]) != "Annabelle" || string(plains[2]) != "Bob" || string(plains[4]) != "Annie" || erased[0] {
		t.Fatalf("opened %q, erased %v, %v", plains, erased, err)
	}

	// Ann's deletion erases her: her values are gone, Bob's stay.
	if _, err := f.store.Append(ctx, domain.ContactStream(ann), domain.Any, []domain.EventData{registered(ann), deleted(ann)}); err != nil {
		t.Fatal(err)
	}
	_, erased, err = keys.OpenOwned(ctx, sealedVals)
	if err != nil || !erased[0] || !erased[1] || erased[2] || erased[3] {
		t.Fatalf("after Ann's erasure: erased %v, %v; want hers only", erased, err)
	}
	// Nothing is sealed for her any more.
	late, err := keys.SealOwned(ctx, []string{ann, bob}, [][]byte{[]byte("Ann again"), []byte("Bob again")})
	if err != nil || late[0] != "" || late[1] == "" {
		t.Fatalf("sealed after her erasure: %q, %v; want nothing for Ann", late, err)
	}
	// An import's values go with its key.
	if err := keys.DestroyOwned(ctx, imp); err != nil {
		t.Fatal(err)
	}
	if _, erased, err = keys.OpenOwned(ctx, sealedVals[3:]); err != nil || !erased[0] {
		t.Errorf("the import's value after DestroyOwned: erased %v, %v", erased, err)
	}
}
