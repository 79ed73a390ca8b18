package apikeys_test

import (
	"testing"
	"time"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/pgtest"
)

// TestSessionsLiveUntilSignOutOrRevocation: a session reads back with its
// key and CSRF token until it is ended, expires, or its key is revoked.
func TestSessionsLiveUntilSignOutOrRevocation(t *testing.T) {
	t.Parallel()
	store := apikeys.New(pgtest.NewPool(t))
	ctx := t.Context()
	community := domain.NewID()
	_, admin, err := store.Create(ctx, apikeys.RoleAdmin, community)
	if err != nil {
		t.Fatal(err)
	}
	token, sess, err := store.StartSession(ctx, admin.ID, time.Hour)
	if err != nil || sess.Key.ID != admin.ID || sess.Key.CommunityID != community || sess.CSRF == "" {
		t.Fatalf("StartSession = %+v, %v", sess, err)
	}
	got, err := store.Session(ctx, token)
	if err != nil || got.CSRF != sess.CSRF || got.Key.Role != apikeys.RoleAdmin {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if err := store.EndSession(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Session(ctx, token); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("after sign-out: %v, want not found", err)
	}

	expired, _, err := store.StartSession(ctx, admin.ID, -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Session(ctx, expired); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("expired session: %v, want not found", err)
	}

	token, _, err = store.StartSession(ctx, admin.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Revoke(ctx, domain.NewID(), admin.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("revoke from another community: %v, want not found", err)
	}
	if err := store.Revoke(ctx, community, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Session(ctx, token); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("session of a revoked key: %v, want not found", err)
	}
	if _, _, err := store.StartSession(ctx, admin.ID, time.Hour); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("new session of a revoked key: %v, want not found", err)
	}
	if err := store.Revoke(ctx, community, admin.ID); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("revoke twice: %v, want not found", err)
	}
}

// TestListAndRevoke: a community's keys list by role then age; a revoked
// key leaves the list and authenticates nothing.
func TestListAndRevoke(t *testing.T) {
	t.Parallel()
	store := apikeys.New(pgtest.NewPool(t))
	ctx := t.Context()
	community := domain.NewID()
	var made []apikeys.Key
	for _, role := range []apikeys.Role{apikeys.RoleAuditor, apikeys.RoleAdmin, apikeys.RoleAnalytics} {
		_, k, err := store.Create(ctx, role, community)
		if err != nil {
			t.Fatal(err)
		}
		made = append(made, k)
	}
	if _, _, err := store.Create(ctx, apikeys.RoleAdmin, domain.NewID()); err != nil {
		t.Fatal(err)
	}
	keys, err := store.List(ctx, community)
	if err != nil || len(keys) != 3 || keys[0].Role != apikeys.RoleAdmin || keys[1].Role != apikeys.RoleAnalytics || keys[2].Role != apikeys.RoleAuditor {
		t.Fatalf("List = %+v, %v", keys, err)
	}
	key, k, err := store.Create(ctx, apikeys.RoleAuditor, community)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Revoke(ctx, community, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Lookup(ctx, key); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("Lookup of a revoked key: %v, want not found", err)
	}
	if keys, _ := store.List(ctx, community); len(keys) != len(made) {
		t.Errorf("List after revoke = %d keys, want %d", len(keys), len(made))
	}
}
