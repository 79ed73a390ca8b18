package domain

import (
	"context"
	"time"
)

// The ports: what the domain needs of the adapters around it, and what
// the adapters that serve people (the HTTP API, the console) need of the
// rest. Adapters implement or use these interfaces, never each other's
// types. EventStore (eventstore.go) is the first of them.

// Commands are the commands people issue; *Handler is them.
type Commands interface {
	CreateCommunity(ctx context.Context, caller Caller, name string) (Result, error)
	DefineField(ctx context.Context, caller Caller, f Field) (Field, Result, error)
	RemoveField(ctx context.Context, caller Caller, key string) (Result, error)
	RegisterContact(ctx context.Context, caller Caller, values map[string]string) (Result, error)
	UpdateContact(ctx context.Context, caller Caller, id string, values map[string]string, ifVersion int64) (Result, error)
	ArchiveContact(ctx context.Context, caller Caller, id string) (Result, error)
	RestoreContact(ctx context.Context, caller Caller, id string) (Result, error)
	DeleteContact(ctx context.Context, caller Caller, id string) (Result, error)
	MergeContacts(ctx context.Context, caller Caller, survivorID string, duplicateIDs []string, take map[string]string) (Result, error)
	UnmergeContact(ctx context.Context, caller Caller, survivorID, duplicateID string) (Result, error)
}

var _ Commands = (*Handler)(nil)

// ContactQueries reads the contacts read model (projections.Queries is
// one). Errors: ENOTFOUND for a contact that does not exist or belongs to
// another community; EINVALID for a query the model cannot answer (a sort
// key, a cursor, a search term), naming the field.
type ContactQueries interface {
	Contact(ctx context.Context, communityID, id string) (ContactView, error)
	ListContacts(ctx context.Context, q ListQuery) (ContactPage, error)
	// CountContacts counts the contacts of a list (q's status and search;
	// its sort, cursor and limit aside).
	CountContacts(ctx context.Context, q ListQuery) (int, error)
	// Fields returns the community's fields, built-ins first.
	Fields(ctx context.Context, communityID string) ([]Field, error)
}

// ContactsReadModel names the read model of contacts and fields, the one
// a command on contacts waits for.
const ContactsReadModel = "contacts"

// ReadModels tells when the read models have applied a log position,
// whichever node applies it (projections.Runner is one).
type ReadModels interface {
	// WaitFor returns nil once read model name has applied pos, or an
	// EUNAVAILABLE error when timeout passes first.
	WaitFor(ctx context.Context, name string, pos Position, timeout time.Duration) error
	// WaitForAll is WaitFor for every read model: a command's events may
	// change any of them.
	WaitForAll(ctx context.Context, pos Position, timeout time.Duration) error
	// Behind lists the read models that have not applied pos yet.
	Behind(pos Position) []string
}

// ContactReader answers what people read of contacts: from the read model
// (waiting, briefly, for a position they wrote), or from the log where the
// read model cannot answer (the past, a read model that lags behind a
// command). *Reader is one.
type ContactReader interface {
	// Contact reads a contact once the read model has applied after.
	Contact(ctx context.Context, communityID, id string, after Position) (ContactView, error)
	// List reads a page of a list once the read model has applied after.
	List(ctx context.Context, q ListQuery, after Position) (ContactPage, error)
	// Count counts the contacts of a list once the read model has applied
	// after (the console's "Showing the first 1000 of N").
	Count(ctx context.Context, q ListQuery, after Position) (int, error)
	// Fields reads the community's fields once the read model has applied after.
	Fields(ctx context.Context, communityID string, after Position) ([]Field, error)
	// WaitFor waits until the read model has applied after (EUNAVAILABLE
	// past a few seconds).
	WaitFor(ctx context.Context, after Position) error
	// Settle is the one rule of every command's answer: it waits, briefly,
	// until every read model has applied the command's last event (pos),
	// and returns those that still have not (the answer then says so).
	Settle(ctx context.Context, pos Position) (behind []string, err error)
	// AfterCommand is the contact as a command left it (res), once every
	// read model has applied the command (Settle): from the read model, or,
	// where the contacts read model lags past the wait, folded from the
	// log, so a write never looks failed; behind as Settle's.
	AfterCommand(ctx context.Context, communityID string, res Result) (view ContactView, behind []string, err error)
	// AsOf is the contact as it was at an instant, folded from the log.
	AsOf(ctx context.Context, communityID, id string, at time.Time) (ContactView, error)
	// History is every event of the contact, oldest first, told for auditors.
	History(ctx context.Context, communityID, id string) ([]HistoryEntry, error)
}

var _ ContactReader = (*Reader)(nil)

// ReadModelStatus is how far one read model is behind the log (the
// projections' runner reports it, from the checkpoints every node shares).
type ReadModelStatus struct {
	Name string
	// Position is the last event it applied.
	Position Position
	// Behind is true when the log has events it has not applied yet.
	Behind bool
	// LagSeconds is the age of the oldest event it has not applied (0 when
	// it is up to date).
	LagSeconds float64
	// Parked counts the events it set aside (see projections/parking.go):
	// while there are any, the read model is degraded.
	Parked int
}

// ParkedRetry says what a retry of the events a read model set aside did.
type ParkedRetry struct {
	Applied     int // events applied and no longer set aside
	StillParked int // events that still cannot be applied, or wait behind one
}
