// Package domain is the core of the contact base of associations: the
// contact and community aggregates, the events they record, the rules
// (invariants) those events keep, the command handler, and the ports the
// adapters around it implement or use. It is pure Go on the standard
// library: it knows nothing of HTTP, SQL, Excel or the event store's
// backend.
//
// # Events
//
// One stream per community ("community-<id>": CommunityCreated,
// FieldDefined, FieldRemoved), one per contact ("contact-<id>":
// ContactRegistered, ContactUpdated, ContactArchived, ContactRestored,
// ContactDeleted; MergeStarted, DuplicatesAbsorbed, MergeAbandoned and
// DuplicateReleased in a survivor's; ContactMerged and ContactUnmerged in a
// duplicate's), one per unique key value ("key-<keyed hash>": KeyReserved,
// KeyReleased). docs/EVENTS.md and docs/schemas describe each payload.
//
// # Invariants
//
//   - A contact has a first name, a last name or an email.
//   - Email (case-blind) and external ID are unique in a community while a
//     contact holds them: active, archived, or merged (its keys pass to its
//     survivor), and, while a merge can be undone, the keys its survivor
//     gave up or took in it. A key is claimed (KeyReserved, with the
//     reservation stream's exact version) before the event that uses it,
//     and released after (keyChange).
//   - active → archived → deleted, archived → active; merged is final until
//     an unmerge. Only an archived contact is deleted, and deleting erases
//     its personal data (the sealing store destroys its keys).
//   - A merge is all or nothing, across crashes: MergeStarted opens it,
//     DuplicatesAbsorbed or MergeAbandoned closes it, and an open merge is
//     carried on (merge.go).
//   - A command that changes nothing records nothing; text a person cannot
//     have meant is refused before it reaches the log (text.go).
//
// # Layout
//
// Decisions are functions of state that return events or a coded *Error
// (contact_decide.go, community.go); the Handler loads a stream, folds it,
// decides and appends with the expected version (handler.go, commands.go,
// merge.go). Reads go through ports (ports.go): ContactQueries (the read
// model), ContactReader (Reader: the read model or the log), EventFeed
// (Feed), and EventStore (eventstore.go), which every backend implements
// and the contract suite eventstore/storetest checks. Imports
// (imports.go) is the Excel import and export service as the adapters
// see it, with the types of its reports.
package domain
