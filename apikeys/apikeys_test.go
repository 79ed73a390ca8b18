package apikeys_test

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestCreateAndLookup(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	store := apikeys.New(pool)
	ctx := t.Context()
	community := domain.NewID()

	for _, tc := range []struct {
		role      apikeys.Role
		community string
	}{
		{apikeys.RoleOperator, ""},
		{apikeys.RoleAdmin, community},
		{apikeys.RoleAuditor, community},
		{apikeys.RoleAnalytics, community},
	} {
		key, k, err := store.Create(ctx, tc.role, tc.community)
		if err != nil {
			t.Fatalf("create %s: %v", tc.role, err)
		}
		if !strings.HasPrefix(key, "ck_") || len(key) != 3+43 {
			t.Errorf("key %q: want ck_ and 43 base64url characters", key)
		}
		if !domain.ValidID(k.ID) || k.Role != tc.role || k.CommunityID != tc.community || k.CreatedAt.IsZero() {
			t.Errorf("created %+v", k)
		}
		got, err := store.Lookup(ctx, key)
		if err != nil {
			t.Fatalf("lookup %s key: %v", tc.role, err)
		}
		if got.ID != k.ID || got.Role != k.Role || got.CommunityID != k.CommunityID || !got.CreatedAt.Equal(k.CreatedAt) {
			t.Errorf("lookup = %+v, want %+v", got, k)
		}
	}
	n, err := store.Count(ctx)
	if err != nil || n != 4 {
		t.Errorf("Count = %d, %v; want 4", n, err)
	}
}

func TestOnlyTheHashIsStored(t *testing.T) {
	t.Parallel()
	pool := pgtest.NewPool(t)
	store := apikeys.New(pool)
	key, k, err := store.Create(t.Context(), apikeys.RoleOperator, "")
	if err != nil {
		t.Fatal(err)
	}
	var hash []byte
	var row string
	if err := pool.QueryRow(t.Context(), `SELECT hash, k::text FROM api_keys k WHERE id = $1`, k.ID).Scan(&hash, &row); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte(key))
	if string(hash) != string(want[:]) {
		t.Errorf("stored hash %x, want SHA-256 of the key %x", hash, want)
	}
	secret := strings.TrimPrefix(key, "ck_")
	if strings.Contains(row, secret) || strings.Contains(row, key) {
		t.Errorf("row %s holds the key", row)
	}
}

func TestKeysAreRandom(t *testing.T) {
	t.Parallel()
	store := apikeys.New(pgtest.NewPool(t))
	seen := map[string]bool{}
	for range 20 {
		key, _, err := store.Create(t.Context(), apikeys.RoleAdmin, domain.NewID())
		if err != nil {
			t.Fatal(err)
		}
		if seen[key] {
			t.Fatalf("key %s made twice", key)
		}
		seen[key] = true
	}
}

func TestLookupRefusals(t *testing.T) {
	t.Parallel()
	store := apikeys.New(pgtest.NewPool(t))
	key, _, err := store.Create(t.Context(), apikeys.RoleOperator, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key, code string
	}{
		{"", domain.EUNAUTHORIZED},
		{"ck_", domain.EUNAUTHORIZED},
		{"nope", domain.EUNAUTHORIZED},
		{strings.TrimPrefix(key, "ck_"), domain.EUNAUTHORIZED},       // prefix missing
		{key + "!", domain.EUNAUTHORIZED},                            // not base64url
		{"ck_" + strings.Repeat("A", 201), domain.EUNAUTHORIZED},     // too long
		{key[:len(key)-1] + flip(key[len(key)-1]), domain.ENOTFOUND}, // one character off
		{"ck_" + strings.Repeat("A", 43), domain.ENOTFOUND},          // never made
		{strings.ToUpper(key[:3]) + key[3:], domain.EUNAUTHORIZED},   // CK_ is not the prefix
	} {
		_, err := store.Lookup(t.Context(), tc.key)
		if got := domain.ErrorCode(err); got != tc.code {
			t.Errorf("Lookup(%q) = %v (code %q), want code %q", tc.key, err, got, tc.code)
		}
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestCreateRefusals(t *testing.T) {
	t.Parallel()
	store := apikeys.New(pgtest.NewPool(t))
	community := domain.NewID()
	for _, tc := range []struct {
		role      apikeys.Role
		community string
		field     string
	}{
		{"root", "", "role"},
		{"", community, "role"},
		{apikeys.RoleOperator, community, "community_id"},
		{apikeys.RoleAdmin, "", "community_id"},
		{apikeys.RoleAuditor, "not-a-uuid", "community_id"},
	} {
		_, _, err := store.Create(t.Context(), tc.role, tc.community)
		var e *domain.Error
		if domain.ErrorCode(err) != domain.EINVALID || !errors.As(err, &e) || e.Field != tc.field {
			t.Errorf("Create(%q, %q) = %v, want EINVALID on %s", tc.role, tc.community, err, tc.field)
		}
	}
	if n, err := store.Count(t.Context()); err != nil || n != 0 {
		t.Errorf("Count = %d, %v after refusals; want 0", n, err)
	}
}

func TestAdd(t *testing.T) {
	t.Parallel()
	store := apikeys.New(pgtest.NewPool(t))
	ctx := t.Context()
	const key = "ck_bootstrap-key-chosen-by-the-operator"
	k, err := store.Add(ctx, key, apikeys.RoleOperator, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.Lookup(ctx, key)
	if err != nil || got.ID != k.ID {
		t.Errorf("Lookup = %+v, %v; want %+v", got, err, k)
	}
	if _, err := store.Add(ctx, key, apikeys.RoleOperator, ""); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("adding the same key again: %v, want ECONFLICT", err)
	}
	if _, err := store.Add(ctx, "short", apikeys.RoleOperator, ""); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("adding a malformed key: %v, want EINVALID", err)
	}
}
