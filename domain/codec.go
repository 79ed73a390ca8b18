package domain

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// schemaVersion is the current payload version of each event type, written
// in every event's metadata. Every type is at version 1 so far, so there is
// nothing to upcast yet; when a payload changes shape, its version goes up
// here and Decode is where upcasters from older versions will go, so that
// readers keep seeing one shape.
func schemaVersion(eventType string) int {
	return 1
}

// SchemaVersion is the current payload version of an event type: the shape
// Decode returns, whatever version was stored.
func SchemaVersion(eventType string) int { return schemaVersion(eventType) }

// NewEvent returns a pointer to a zero event of the named type (false when
// there is no such type), for decoders and the schema catalogue's test.
func NewEvent(eventType string) (Event, bool) { return newEvent(eventType) }

// newEvent returns a pointer to a zero event of the named type, for decoding.
func newEvent(eventType string) (Event, bool) {
	switch eventType {
	case "CommunityCreated":
		return &CommunityCreated{}, true
	case "FieldDefined":
		return &FieldDefined{}, true
	case "FieldRemoved":
		return &FieldRemoved{}, true
	case "ContactRegistered":
		return &ContactRegistered{}, true
	case "ContactUpdated":
		return &ContactUpdated{}, true
	case "ContactArchived":
		return &ContactArchived{}, true
	case "ContactRestored":
		return &ContactRestored{}, true
	case "ContactDeleted":
		return &ContactDeleted{}, true
	case "MergeStarted":
		return &MergeStarted{}, true
	case "MergeAbandoned":
		return &MergeAbandoned{}, true
	case "ContactMerged":
		return &ContactMerged{}, true
	case "DuplicatesAbsorbed":
		return &DuplicatesAbsorbed{}, true
	case "ContactUnmerged":
		return &ContactUnmerged{}, true
	case "DuplicateReleased":
		return &DuplicateReleased{}, true
	case "KeyReserved":
		return &KeyReserved{}, true
	case "KeyReleased":
		return &KeyReleased{}, true
	}
	return nil, false
}

// EventTypes lists every event type name, for catalogues and tests.
var EventTypes = []string{
	"CommunityCreated", "FieldDefined", "FieldRemoved",
	"ContactRegistered", "ContactUpdated", "ContactArchived", "ContactRestored", "ContactDeleted",
	"MergeStarted", "ContactMerged", "DuplicatesAbsorbed", "MergeAbandoned", "ContactUnmerged", "DuplicateReleased",
	"KeyReserved", "KeyReleased",
}

// Encode turns an event and its metadata into what the store appends. The
// metadata's Schema is set to the type's current version.
func Encode(e Event, meta Metadata) (EventData, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return EventData{}, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	meta.Schema = schemaVersion(e.EventType())
	metadata, err := json.Marshal(meta)
	if err != nil {
		return EventData{}, fmt.Errorf("encode %s metadata: %w", e.EventType(), err)
	}
	return EventData{ID: NewID(), Type: e.EventType(), Data: data, Metadata: metadata}, nil
}

// Decode turns a stored event back into a domain event (a value, not a
// pointer) and its metadata.
func Decode(r RecordedEvent) (Event, Metadata, error) {
	var meta Metadata
	if len(r.Metadata) > 0 {
		if err := json.Unmarshal(r.Metadata, &meta); err != nil {
			return nil, meta, fmt.Errorf("decode %s metadata at %s@%d: %w", r.Type, r.Stream, r.Version, err)
		}
	}
	ptr, ok := newEvent(r.Type)
	if !ok {
		return nil, meta, fmt.Errorf("decode %s@%d: unknown event type %q", r.Stream, r.Version, r.Type)
	}
	if err := json.Unmarshal(r.Data, ptr); err != nil {
		return nil, meta, fmt.Errorf("decode %s at %s@%d: %w", r.Type, r.Stream, r.Version, err)
	}
	return deref(ptr), meta, nil
}

// deref returns the event value a decoding pointer points to, so that type
// switches over events match values.
func deref(e Event) Event {
	return reflect.ValueOf(e).Elem().Interface().(Event)
}
