package projections

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// ContactsProjector builds the communities, community_fields and contacts
// tables: the active and archived lists, the details of any contact, the
// fields of each community.
type ContactsProjector struct{}

// ContactsReadModel is the name of the contacts read model and its checkpoint.
const ContactsReadModel = domain.ContactsReadModel

// Name implements Projector.
func (ContactsProjector) Name() string { return ContactsReadModel }

// Apply implements Projector. It queues one statement per event, or one
// per run of registrations and one per run of archivals and restorations
// (most of a rebuild), and sends the batch in one round trip (pipelined,
// in order, in the caller's transaction).
func (ContactsProjector) Apply(ctx context.Context, tx pgx.Tx, events []domain.RecordedEvent) error {
	batch := &pgx.Batch{}
	var (
		registered registrations
		moved      statusMoves
	)
	for _, r := range events {
		if !contactsEventTypes[r.Type] {
			continue // most of the log is key reservations: skip them undecoded
		}
		e, meta, err := domain.Decode(r)
		if err != nil {
			return err
		}
		// A run holds events of one kind; a run ends before an event of
		// another kind is queued, so statements keep the log's order.
		switch e := e.(type) {
		case domain.ContactRegistered:
			moved.flush(batch)
			registered.add(e, meta, r)
		case domain.ContactArchived:
			registered.flush(batch)
			moved.add(batch, e.ContactID, domain.StatusArchived, meta, r)
		case domain.ContactRestored:
			registered.flush(batch)
			moved.add(batch, e.ContactID, domain.StatusActive, meta, r)
		default:
			registered.flush(batch)
			moved.flush(batch)
			if err := queueContactEvent(batch, e, meta, r); err != nil {
				return err
			}
		}
	}
	registered.flush(batch)
	moved.flush(batch)
	if batch.Len() == 0 {
		return nil
	}
	return tx.SendBatch(ctx, batch).Close()
}

// statusMoves gathers a run of archivals and restorations, applied with
// one statement. A contact appears at most once in a run (one UPDATE
// changes a row once): its second move starts a new run.
type statusMoves struct {
	ids, statuses []string
	archivedAt    []*time.Time
	times         []time.Time
	versions      []int64
	seen          map[string]bool
}

func (m *statusMoves) add(b *pgx.Batch, id string, to domain.ContactStatus, meta domain.Metadata, r domain.RecordedEvent) {
	if m.seen[id] {
		m.flush(b)
	}
	if m.seen == nil {
		m.seen = map[string]bool{}
	}
	at := meta.Time
	if at.IsZero() {
		at = r.RecordedAt
	}
	var archivedAt *time.Time
	if to == domain.StatusArchived {
		archivedAt = &at
	}
	m.seen[id] = true
	m.ids = append(m.ids, id)
	m.statuses = append(m.statuses, string(to))
	m.archivedAt = append(m.archivedAt, archivedAt)
	m.times = append(m.times, at)
	m.versions = append(m.versions, r.Version)
}

// flush queues the gathered moves, if any, and empties the run.
func (m *statusMoves) flush(b *pgx.Batch) {
	if len(m.ids) == 0 {
		return
	}
	b.Queue(`UPDATE contacts c SET status = u.status, archived_at = u.archived_at, updated_at = u.at, version = u.version
		FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::bigint[]) AS u (id, status, archived_at, at, version)
		WHERE c.id = u.id`, m.ids, m.statuses, m.archivedAt, m.times, m.versions)
	*m = statusMoves{}
}

// registrations gathers a run of ContactRegistered events, inserted with
// one statement (a rebuild is mostly registrations).
type registrations struct {
	ids, communities, emails, firsts, lasts, externals []string
	fields                                             []map[string]string
	versions                                           []int64
	times                                              []time.Time
}

func (g *registrations) add(e domain.ContactRegistered, meta domain.Metadata, r domain.RecordedEvent) {
	builtin, fields := splitValues(e.Values)
	at := meta.Time
	if at.IsZero() {
		at = r.RecordedAt
	}
	g.ids = append(g.ids, e.ContactID)
	g.communities = append(g.communities, e.CommunityID)
	g.emails = append(g.emails, builtin[domain.KeyEmail])
	g.firsts = append(g.firsts, builtin[domain.KeyFirstName])
	g.lasts = append(g.lasts, builtin[domain.KeyLastName])
	g.externals = append(g.externals, builtin[domain.KeyExternalID])
	g.fields = append(g.fields, fields)
	g.versions = append(g.versions, r.Version)
	g.times = append(g.times, at)
}

// flush queues the gathered registrations, if any, and empties the run.
func (g *registrations) flush(b *pgx.Batch) {
	if len(g.ids) == 0 {
		return
	}
	b.Queue(`INSERT INTO contacts (id, community_id, status, email, first_name, last_name, external_id, fields, version, created_at, updated_at)
		SELECT u.id, u.community_id, 'active', u.email, u.first_name, u.last_name, u.external_id, u.fields, u.version, u.at, u.at
		FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::bigint[], $9::timestamptz[])
			AS u (id, community_id, email, first_name, last_name, external_id, fields, version, at)`,
		g.ids, g.communities, g.emails, g.firsts, g.lasts, g.externals, g.fields, g.versions, g.times)
	*g = registrations{}
}

// contactsEventTypes are the event types this read model applies.
var contactsEventTypes = map[string]bool{
	"CommunityCreated": true, "FieldDefined": true, "FieldRemoved": true,
	"ContactRegistered": true, "ContactUpdated": true, "ContactArchived": true, "ContactRestored": true,
	"ContactDeleted": true, "ContactMerged": true, "DuplicatesAbsorbed": true, "ContactUnmerged": true,
	"DuplicateReleased": true, "MergeStarted": true, "MergeAbandoned": true,
}

// queueContactEvent queues the statement of one event (registrations,
// archivals and restorations go in runs: see Apply).
func queueContactEvent(b *pgx.Batch, e domain.Event, meta domain.Metadata, r domain.RecordedEvent) error {
	at := meta.Time
	if at.IsZero() {
		at = r.RecordedAt
	}
	switch e := e.(type) {
	case domain.CommunityCreated:
		b.Queue(`INSERT INTO communities (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`,
			e.CommunityID, storable(e.Name), at)
	case domain.FieldDefined:
		choices, _ := json.Marshal(storableAll(e.Field.Choices))
		b.Queue(`INSERT INTO community_fields (community_id, field_id, key, label, type, choices, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			e.CommunityID, e.Field.ID, storable(e.Field.Key), storable(e.Field.Label), storable(string(e.Field.Type)), choices, r.Version)
	case domain.FieldRemoved:
		b.Queue(`UPDATE community_fields SET removed = true WHERE community_id = $1 AND field_id = $2`, e.CommunityID, e.FieldID)
	case domain.ContactUpdated:
		queueChanges(b, e.ContactID, e.Changes, r.Version, at)
	case domain.MergeStarted:
		b.Queue(`UPDATE contacts SET version = $2 WHERE id = $1`, e.ContactID, r.Version)
		b.Queue(`INSERT INTO open_merges (merge_id, survivor_id, community_id, started_at)
			SELECT $1, c.id, c.community_id, $3 FROM contacts c WHERE c.id = $2
			ON CONFLICT (merge_id) DO NOTHING`, e.MergeID, e.ContactID, at)
	case domain.MergeAbandoned:
		b.Queue(`UPDATE contacts SET version = $2 WHERE id = $1`, e.ContactID, r.Version)
		b.Queue(`DELETE FROM open_merges WHERE merge_id = $1`, e.MergeID)
	case domain.DuplicatesAbsorbed:
		b.Queue(`DELETE FROM open_merges WHERE merge_id = $1`, e.MergeID)
		queueChanges(b, e.ContactID, e.Changes, r.Version, at)
	case domain.DuplicateReleased:
		queueChanges(b, e.ContactID, e.Changes, r.Version, at)
	case domain.ContactDeleted:
		// Personal data leaves the read model; the row only says the contact
		// existed and was deleted.
		b.Queue(`UPDATE contacts SET status = 'deleted', email = '', first_name = '', last_name = '', external_id = '',
			fields = '{}', archived_at = NULL, updated_at = $2, version = $3 WHERE id = $1`, e.ContactID, at, r.Version)
	case domain.ContactMerged:
		b.Queue(`UPDATE contacts SET status_before_merge = status, status = 'merged', merged_into = $2, updated_at = $3, version = $4
			WHERE id = $1`, e.ContactID, e.SurvivorID, at, r.Version)
	case domain.ContactUnmerged:
		b.Queue(`UPDATE contacts SET status = status_before_merge, status_before_merge = '', merged_into = NULL, updated_at = $2, version = $3
			WHERE id = $1`, e.ContactID, at, r.Version)
	}
	return nil
}

// queueChanges applies value changes: built-in columns and the fields map.
func queueChanges(b *pgx.Batch, id string, changes []domain.Change, version int64, at time.Time) {
	var email, first, last, external *string
	set := map[string]string{}
	var unset []string
	for _, ch := range changes {
		v := indexable(ch.New)
		switch {
		case ch.FieldID != "":
			if v = storable(ch.New); v == "" {
				unset = append(unset, storable(ch.FieldID))
			} else {
				set[storable(ch.FieldID)] = v
			}
		case ch.Field == domain.KeyEmail:
			email = &v
		case ch.Field == domain.KeyFirstName:
			first = &v
		case ch.Field == domain.KeyLastName:
			last = &v
		case ch.Field == domain.KeyExternalID:
			external = &v
		}
	}
	b.Queue(`UPDATE contacts SET
			email = coalesce($2, email), first_name = coalesce($3, first_name),
			last_name = coalesce($4, last_name), external_id = coalesce($5, external_id),
			fields = (fields || $6::jsonb) - $7::text[], version = $8, updated_at = $9
		WHERE id = $1`, id, email, first, last, external, set, nonNil(unset), version, at)
}

// splitValues separates built-in values from admin-defined ones (by field
// ID), each as the read model can hold it (see storable and indexable).
func splitValues(values []domain.Value) (builtin, fields map[string]string) {
	builtin, fields = map[string]string{}, map[string]string{}
	for _, v := range values {
		if v.FieldID != "" {
			fields[storable(v.FieldID)] = storable(v.Value)
		} else {
			builtin[v.Field] = indexable(v.Value)
		}
	}
	return builtin, fields
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
