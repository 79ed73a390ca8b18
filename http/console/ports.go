package console

import (
	"context"
	"time"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

// Deps are what the console's pages call: the same ports as the HTTP API
// (the domain's commands and reads, the key store), so that no rule is
// written twice. A page whose dependency is missing answers 503.
type Deps struct {
	Commands domain.Commands
	Contacts domain.ContactReader
	Keys     Keys
	Sessions Sessions
	// Workbooks imports and exports .xlsx files (optional: the import
	// pages and exports answer 503 without it).
	Workbooks Workbooks
}

// Keys are the API keys people sign in with and admins manage
// (*apikeys.Store is one).
type Keys interface {
	// Lookup describes key: EUNAUTHORIZED or ENOTFOUND when it is not one.
	Lookup(ctx context.Context, key string) (apikeys.Key, error)
	// Create makes a key with role in communityID.
	Create(ctx context.Context, role apikeys.Role, communityID string) (string, apikeys.Key, error)
	// List returns a community's keys by role, then age.
	List(ctx context.Context, communityID string) ([]apikeys.Key, error)
	// Revoke revokes a community's key (ENOTFOUND for another's).
	Revoke(ctx context.Context, communityID, id string) error
}

// Sessions keep the console's sign-ins where every node reads them
// (*apikeys.Store is one).
type Sessions interface {
	StartSession(ctx context.Context, keyID string, ttl time.Duration) (string, apikeys.Session, error)
	// Session is ENOTFOUND when the token's session is over.
	Session(ctx context.Context, token string) (apikeys.Session, error)
	EndSession(ctx context.Context, token string) error
}
