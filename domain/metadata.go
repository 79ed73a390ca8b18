package domain

import "time"

// Caller says who issues a command and on whose behalf: every event the
// command records carries it in its metadata.
type Caller struct {
	CommunityID string
	// Actor names who acted: an API key's ID, "import:<id>", "operator".
	Actor string
	// CorrelationID ties together everything one request or one import caused.
	CorrelationID string
	// CausationID is the ID of what directly caused the command (a request,
	// an event), when known.
	CausationID string
}

// Metadata is stored with every event. It never holds personal data.
type Metadata struct {
	Schema        int       `json:"schema"` // version of the event type's payload
	CommunityID   string    `json:"community_id"`
	Actor         string    `json:"actor"`
	Command       string    `json:"command"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	CausationID   string    `json:"causation_id,omitempty"`
	Time          time.Time `json:"time"`
}
