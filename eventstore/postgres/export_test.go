package postgres

// AppendAny is the statement Append runs for expected version Any, so that
// tests can run it inside a transaction they keep open. Its parameters are
// the stream, then the events' IDs, types, data and metadata as arrays.
var AppendAny = appendBatch.any

// PendingQuery is the statement a subscriber runs when it finds nothing
// to read, to tell an idle log from one held back.
const PendingQuery = pendingQuery
