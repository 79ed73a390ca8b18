package domain

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventStore is the port to the event log. Every backend (PostgreSQL,
// EventStoreDB/KurrentDB) implements it and passes the same contract suite
// (eventstore/storetest).
//
// A stream is an ordered list of events named by a string such as
// "contact-<uuid>". Events inside a stream are numbered from 1; a stream's
// version is the number of its last event, 0 when it has none. Every event
// also has a Position in the global log, which orders all events of all
// streams.
type EventStore interface {
	// Append writes events to the end of stream, atomically, when the stream's
	// current version matches expected. It returns the stream's new version and
	// the log position of the last event written.
	//
	// Appending a batch whose event IDs are already stored in that stream, at
	// consecutive versions, succeeds and writes nothing, whatever the expected
	// version: it returns the version and position of the batch's last stored
	// event (an idempotent retry, even after the stream moved on).
	//
	// Once Append returns, ReadStream sees the events; appends made one after
	// another appear in the log in that order.
	//
	// Errors: EINVALID for an empty batch; *WrongExpectedVersionError (code
	// ECONFLICT) when the version does not match (Actual is the stream's
	// version) or when an event ID is already stored elsewhere or partly
	// overlaps a stored batch (Reason says so; Actual is then informative).
	Append(ctx context.Context, stream string, expected ExpectedVersion, events []EventData) (AppendResult, error)

	// ReadStream returns up to limit events of stream, starting at version from
	// (inclusive) and going in direction dir. Backwards, from = 0 means "from
	// the last event". A stream that has no events answers ErrStreamNotFound.
	ReadStream(ctx context.Context, stream string, dir Direction, from int64, limit int) ([]RecordedEvent, error)

	// ReadAll returns up to limit events of the whole log in global order,
	// strictly after position from (the zero Position reads from the start).
	// It only returns events whose position can never be preceded by an event
	// committed later, so a reader that resumes after the last position it
	// saw never misses one. A committed event may therefore show up a moment
	// later (PostgreSQL: once older transactions end), never out of order.
	ReadAll(ctx context.Context, from Position, limit int) ([]RecordedEvent, error)

	// Subscribe delivers every event after from, in log order and exactly
	// once, to handle, in batches: first the events already stored (catch
	// up), then new ones as they are appended (live). It returns when ctx ends
	// (with ctx.Err()) or when handle returns an error (with that error).
	Subscribe(ctx context.Context, from Position, handle func(context.Context, []RecordedEvent) error) error
}

// CommunityLog is implemented by stores that index the log by community
// (the PostgreSQL store, and the sealing store over any store): a
// community's events are read without reading, or opening, another
// community's.
type CommunityLog interface {
	// ReadCommunity returns up to limit of the community's events after
	// from (exclusive), in log order, under ReadAll's visibility rule, and
	// the position to resume from: the last event returned when limit was
	// reached, else how far the log was read (nothing of the community
	// lies between the last event returned and it).
	ReadCommunity(ctx context.Context, communityID string, from Position, limit int) ([]RecordedEvent, Position, error)
}

// EventData is an event to append.
type EventData struct {
	// ID identifies the event (a UUID in text form). It makes an append
	// idempotent: retrying a command with the same event IDs writes nothing.
	ID string
	// Type is the event's type name, such as "ContactRegistered".
	Type string
	// Data is the event's JSON payload.
	Data []byte
	// Metadata is a JSON object: who, when, why (see domain.Metadata).
	Metadata []byte
}

// RecordedEvent is an event read back from the store.
type RecordedEvent struct {
	ID         string
	Stream     string
	Version    int64 // number of the event in its stream, from 1
	Type       string
	Data       []byte
	Metadata   []byte
	Position   Position // place in the global log
	RecordedAt time.Time
	// Erased is set by a store that seals personal data (see package
	// eventstore/sealed) when this event's personal values could not be
	// opened because the contact was deleted: they read as empty.
	Erased bool
}

// AppendResult is what a successful Append returns.
type AppendResult struct {
	// Version is the stream's version after the append (the number of the
	// last event written).
	Version int64
	// Position is the log position of the last event written.
	Position Position
}

// Direction is the direction of a stream read.
type Direction int

const (
	// Forwards reads from older to newer events.
	Forwards Direction = iota
	// Backwards reads from newer to older events.
	Backwards
)

// ExpectedVersion states what an append expects of the stream: a kind (any,
// no stream, stream exists) or an exact version. The zero value is Any.
type ExpectedVersion struct {
	kind    expectedKind
	version int64
}

type expectedKind int

const (
	expectAny expectedKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

var (
	// Any appends whatever the stream's version.
	Any = ExpectedVersion{kind: expectAny}
	// NoStream appends only to a stream that has no events yet.
	NoStream = ExpectedVersion{kind: expectNoStream}
	// StreamExists appends only to a stream that has at least one event.
	StreamExists = ExpectedVersion{kind: expectStreamExists}
)

// Exact appends only when the stream's version is exactly v. Exact(0) is the
// same as NoStream.
func Exact(v int64) ExpectedVersion {
	if v <= 0 {
		return NoStream
	}
	return ExpectedVersion{kind: expectExact, version: v}
}

// IsAny, IsNoStream, IsStreamExists and ExactVersion let backends translate an
// ExpectedVersion to their own terms.

// IsAny reports whether e accepts any version.
func (e ExpectedVersion) IsAny() bool { return e.kind == expectAny }

// IsNoStream reports whether e requires an empty stream.
func (e ExpectedVersion) IsNoStream() bool { return e.kind == expectNoStream }

// IsStreamExists reports whether e requires a stream with events.
func (e ExpectedVersion) IsStreamExists() bool { return e.kind == expectStreamExists }

// ExactVersion returns the exact version e requires, and whether it requires one.
func (e ExpectedVersion) ExactVersion() (int64, bool) {
	return e.version, e.kind == expectExact
}

// Accepts reports whether a stream whose version is current satisfies e.
func (e ExpectedVersion) Accepts(current int64) bool {
	switch e.kind {
	case expectNoStream:
		return current == 0
	case expectStreamExists:
		return current > 0
	case expectExact:
		return current == e.version
	default:
		return true
	}
}

func (e ExpectedVersion) String() string {
	switch e.kind {
	case expectNoStream:
		return "no stream"
	case expectStreamExists:
		return "stream exists"
	case expectExact:
		return strconv.FormatInt(e.version, 10)
	default:
		return "any"
	}
}

// Position is a place in the global log. Callers treat it as opaque: they keep
// it, compare it, send it back, but never compute with it. Each backend fills
// the two numbers with its own coordinates (PostgreSQL: committing
// transaction and row; EventStoreDB: commit and prepare positions); in both,
// the log order is the order of (Commit, Prepare).
type Position struct {
	Commit  uint64
	Prepare uint64
}

// Start is the position before the first event of the log.
var Start = Position{}

// IsStart reports whether p is the start of the log.
func (p Position) IsStart() bool { return p == Start }

// Compare returns -1, 0 or +1 as p is before, at or after q.
func (p Position) Compare(q Position) int {
	switch {
	case p.Commit < q.Commit:
		return -1
	case p.Commit > q.Commit:
		return 1
	case p.Prepare < q.Prepare:
		return -1
	case p.Prepare > q.Prepare:
		return 1
	}
	return 0
}

// String encodes p for clients, as "<commit>-<prepare>"; the start of the log
// is "0-0".
// Max returns the later of p and q.
func (p Position) Max(q Position) Position {
	if p.Compare(q) >= 0 {
		return p
	}
	return q
}

func (p Position) String() string {
	return strconv.FormatUint(p.Commit, 10) + "-" + strconv.FormatUint(p.Prepare, 10)
}

// ParsePosition decodes a position written by Position.String. An empty
// string is the start of the log.
func ParsePosition(s string) (Position, error) {
	if s == "" {
		return Start, nil
	}
	c, p, ok := strings.Cut(s, "-")
	if !ok {
		return Start, Errorf(EINVALID, "position %q: want <commit>-<prepare>", s)
	}
	commit, err1 := strconv.ParseUint(c, 10, 64)
	prepare, err2 := strconv.ParseUint(p, 10, 64)
	if err1 != nil || err2 != nil {
		return Start, Errorf(EINVALID, "position %q: want <commit>-<prepare>", s)
	}
	return Position{Commit: commit, Prepare: prepare}, nil
}

// ErrStreamNotFound is returned when reading a stream that has no events.
var ErrStreamNotFound = &Error{Code: ENOTFOUND, Message: "stream not found"}

// WrongExpectedVersionError is returned by Append when the stream's version
// does not match the expected one. Actual is the stream's current version
// (0 when it does not exist).
type WrongExpectedVersionError struct {
	Stream   string
	Expected ExpectedVersion
	Actual   int64
	// Reason is set when the conflict is not about the version itself, such
	// as an event ID already stored in another stream.
	Reason string
}

func (e *WrongExpectedVersionError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("append to %s: %s", e.Stream, e.Reason)
	}
	return fmt.Sprintf("append to %s: expected version %s, actual %d", e.Stream, e.Expected, e.Actual)
}

// Code lets ErrorCode classify the error as a conflict.
func (e *WrongExpectedVersionError) Code() string { return ECONFLICT }

// IsWrongExpectedVersion reports whether err is, or wraps, a
// *WrongExpectedVersionError.
func IsWrongExpectedVersion(err error) bool {
	var w *WrongExpectedVersionError
	return errors.As(err, &w)
}
