package http

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
)

// The OpenAPI 3.1 description of the API, served at /openapi.json. It is
// written by hand, next to the routes; TestOpenAPIDescribesEveryRoute fails
// when a registered route is missing from it (or it describes one that does
// not exist), and TestRolesFollowOpenAPI checks each operation's x-roles
// against what the server enforces.

type obj = map[string]any

func schemaRef(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }
func paramRef(name string) obj  { return obj{"$ref": "#/components/parameters/" + name} }

// jsonBody is a required JSON request body.
func jsonBody(schema obj) obj {
	return obj{"required": true, "content": obj{"application/json": obj{"schema": schema}}}
}

// jsonResponse is a JSON answer; headers name components.headers entries.
func jsonResponse(description string, schema obj, headers ...string) obj {
	r := obj{"description": description, "content": obj{"application/json": obj{"schema": schema}}}
	if len(headers) > 0 {
		h := obj{}
		for _, name := range headers {
			h[name] = obj{"$ref": "#/components/headers/" + name}
		}
		r["headers"] = h
	}
	return r
}

// operation describes one route. roles are who may call it (x-roles);
// responses get the problems every authenticated route can answer.
func operation(id, summary, description string, roles []string, params []obj, body obj, responses obj) obj {
	op := obj{"operationId": id, "summary": summary, "description": description, "x-roles": roles}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if body != nil {
		op["requestBody"] = body
	}
	for _, status := range []string{"401", "403", "500"} {
		if _, ok := responses[status]; !ok {
			responses[status] = problemResponse(status)
		}
	}
	op["responses"] = responses
	return op
}

// problemResponse refers to the problem answer for status.
func problemResponse(status string) obj {
	return obj{"$ref": "#/components/responses/Problem" + status}
}

// problems lists problem answers by status.
func problems(responses obj, statuses ...string) obj {
	for _, s := range statuses {
		responses[s] = problemResponse(s)
	}
	return responses
}

// problemStatuses are the statuses problems are described for.
var problemStatuses = []string{"400", "401", "403", "404", "409", "412", "413", "500", "501", "503"}

func openAPIDocument() obj {
	var (
		admin     = []string{"admin"}
		readers   = []string{"admin", "auditor"}
		operator  = []string{"operator"}
		everyone  = []string{"operator", "admin", "auditor", "analytics"}
		contactID = paramRef("ContactID")
		importID  = obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"}}
		after     = paramRef("After")
	)
	nullable := func(t, format string) obj {
		s := obj{"type": []string{t, "null"}}
		if format != "" {
			s["format"] = format
		}
		return s
	}
	str := func(description string) obj { return obj{"type": "string", "description": description} }
	listOf := func(item string) obj {
		return obj{
			"type":     "object",
			"required": []string{"items", "next_cursor"},
			"properties": obj{
				"items":       obj{"type": "array", "items": schemaRef(item)},
				"next_cursor": obj{"type": []string{"string", "null"}, "description": "Pass as cursor= for the next page; null on the last page."},
			},
		}
	}
	withPosition := func(schema string) obj {
		return obj{"allOf": []obj{schemaRef(schema), {
			"type": "object", "required": []string{"position"},
			"properties": obj{"position": schemaRef("Position")},
		}}}
	}
	bulk := func(id, verb, description string) obj {
		return obj{"post": operation(id, verb+" contacts", description, admin, nil,
			jsonBody(schemaRef("BulkRequest")),
			problems(obj{"200": jsonResponse("One outcome per ID, in the order given.", schemaRef("BulkResult"))}, "400", "413"))}
	}

	schemas := obj{
		"Problem": obj{
			"type":        "object",
			"description": "RFC 9457 problem details (application/problem+json).",
			"required":    []string{"type", "title", "status"},
			"properties": obj{
				"type":   str("A URI naming the kind of problem: https://contacts.invalid/problems/<code>, code one of invalid, too_large, not_found, conflict, precondition, unauthorized, forbidden, unavailable, internal."),
				"title":  str("The HTTP status text."),
				"status": obj{"type": "integer"},
				"detail": str("What went wrong, for people."),
				"field":  str("The input at fault, when there is one: a body key (fields.<key> for a community field), a query parameter or a header."),
			},
		},
		"Position": obj{
			"type": "string", "pattern": "^[0-9]+-[0-9]+$", "examples": []string{"912-4"},
			"description": "An opaque log position. Give it back as after= to read your own writes.",
		},
		"Contact": obj{
			"type": "object",
			"required": []string{"id", "status", "email", "first_name", "last_name", "external_id", "fields",
				"version", "created_at", "updated_at", "archived_at", "merged_into"},
			"properties": obj{
				"id":          obj{"type": "string", "format": "uuid"},
				"status":      obj{"type": "string", "enum": []string{"active", "archived", "deleted", "merged"}},
				"email":       str("\"\" when empty."),
				"first_name":  str("\"\" when empty."),
				"last_name":   str("\"\" when empty."),
				"external_id": str("An identifier the admins choose, unique in the community; \"\" when empty."),
				"fields":      obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "The community's own fields that have a value, by key."},
				"version":     obj{"type": "integer", "minimum": 1, "description": "The contact's version, also its ETag."},
				"created_at":  obj{"type": "string", "format": "date-time"},
				"updated_at":  obj{"type": "string", "format": "date-time"},
				"archived_at": nullable("string", "date-time"),
				"merged_into": obj{"type": []string{"string", "null"}, "format": "uuid", "description": "For a merged contact, the survivor it now lives on in."},
			},
		},
		"ContactResult": withPosition("Contact"),
		"ContactList":   listOf("Contact"),
		"HistoryEntry": obj{
			"type": "object",
			"required": []string{"version", "position", "type", "schema", "time", "actor", "command", "correlation_id",
				"causation_id", "changes", "related", "erased"},
			"properties": obj{
				"version":        obj{"type": "integer", "description": "The contact's version after this event."},
				"position":       str("The event's place in the log."),
				"type":           str("The event type (docs/EVENTS.md)."),
				"schema":         obj{"type": "integer", "description": "The event type's payload version."},
				"time":           obj{"type": "string", "format": "date-time"},
				"actor":          str("Who acted: an API key's ID, or import:<id>."),
				"command":        str("The command that recorded the event."),
				"correlation_id": str("The request or import that caused it."),
				"causation_id":   str("What directly caused it, when known."),
				"changes": obj{"type": "array", "items": obj{
					"type":     "object",
					"required": []string{"field", "old", "new"},
					"properties": obj{
						"field": str("A field key, or status."),
						"old":   str("The value before (\"\" = empty; [erased] once the contact was deleted)."),
						"new":   str("The value after."),
						"from":  obj{"type": "string", "format": "uuid", "description": "The duplicate a merged value came from."},
					},
				}},
				"related": obj{"type": "array", "description": "Contacts this event ties this one to (a merge's survivor or duplicates), with their histories.",
					"items": obj{"type": "object", "required": []string{"id", "history"},
						"properties": obj{"id": obj{"type": "string", "format": "uuid"}, "history": str("Path of its history.")}}},
				"erased": obj{"type": "boolean", "description": "The contact was deleted: its personal values are erased."},
			},
		},
		"History": listOf("HistoryEntry"),
		"Event": obj{
			"type":        "object",
			"description": "One NDJSON line of the event stream. A followed stream also sends {\"heartbeat\":true,\"position\":…,\"time\":…} lines; resuming from a heartbeat's position skips nothing.",
			"required":    []string{"position", "stream", "version", "type", "schema", "time", "actor", "command", "data", "erased"},
			"properties": obj{
				"position":       str("Pass as from= to resume after this event."),
				"stream":         str("contact-<id> or community-<id>."),
				"version":        obj{"type": "integer"},
				"type":           str("The event type (docs/EVENTS.md, JSON Schemas in docs/schemas/)."),
				"schema":         obj{"type": "integer", "description": "Payload version; older versions are upcast to this one."},
				"time":           obj{"type": "string", "format": "date-time"},
				"actor":          str("Who acted."),
				"command":        str("The command that recorded it."),
				"correlation_id": str("The request or import that caused it."),
				"causation_id":   str("What directly caused it."),
				"data":           obj{"type": "object", "description": "The payload."},
				"erased":         obj{"type": "boolean", "description": "The contact was deleted: its personal values read as empty."},
			},
		},
		"ProfileInput": obj{
			"type":                 "object",
			"additionalProperties": false,
			"description":          "Values of a contact. On register, null is no value. On update, an absent key leaves the value, null (or \"\") clears it.",
			"properties": obj{
				"email":       nullable("string", "email"),
				"first_name":  nullable("string", ""),
				"last_name":   nullable("string", ""),
				"external_id": nullable("string", ""),
				"fields":      obj{"type": []string{"object", "null"}, "additionalProperties": nullable("string", ""), "description": "The community's own fields, by key."},
			},
		},
		"BulkRequest": obj{
			"type": "object", "additionalProperties": false, "required": []string{"ids"},
			"properties": obj{"ids": obj{"type": "array", "minItems": 1, "maxItems": maxBulkIDs, "items": obj{"type": "string"}}},
		},
		"BulkResult": obj{
			"type": "object", "required": []string{"results", "position"},
			"properties": obj{
				"results": obj{"type": "array", "items": obj{"oneOf": []obj{
					{
						"type": "object", "required": []string{"id", "ok", "version"},
						"properties": obj{"id": obj{"type": "string"}, "ok": obj{"const": true}, "version": obj{"type": "integer"}},
					},
					{
						"type": "object", "required": []string{"id", "ok", "error"},
						"properties": obj{"id": obj{"type": "string"}, "ok": obj{"const": false}, "error": schemaRef("Problem")},
					},
				}}},
				"position": schemaRef("Position"),
			},
		},
		"MergeRequest": obj{
			"type": "object", "additionalProperties": false, "required": []string{"duplicates"},
			"properties": obj{
				"duplicates": obj{"type": "array", "minItems": 1, "maxItems": 10, "items": obj{"type": "string", "format": "uuid"}},
				"take": obj{"type": "object", "additionalProperties": obj{"type": "string", "format": "uuid"},
					"description": "Field key -> the duplicate whose value the survivor takes (even an empty one). Other fields keep the survivor's value, or the first duplicate's when the survivor's is empty."},
			},
		},
		"UnmergeRequest": obj{
			"type": "object", "additionalProperties": false, "required": []string{"duplicate"},
			"properties": obj{"duplicate": obj{"type": "string", "format": "uuid"}},
		},
		"Field": obj{
			"type": "object", "required": []string{"id", "key", "label", "type", "choices", "builtin"},
			"properties": obj{
				"id":      obj{"type": []string{"string", "null"}, "format": "uuid", "description": "null for built-in fields."},
				"key":     obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
				"label":   obj{"type": "string"},
				"type":    obj{"type": "string", "enum": []string{"text", "email", "phone", "date", "number", "choice"}},
				"choices": obj{"type": "array", "items": obj{"type": "string"}},
				"builtin": obj{"type": "boolean"},
			},
		},
		"FieldResult": withPosition("Field"),
		"RemovedField": obj{"type": "object", "required": []string{"key", "position"}, "properties": obj{
			"key":      str("The key of the field removed."),
			"position": str("The log position of the removal: pass it as after= to read without the field."),
		}},
		"FieldList": obj{
			"type": "object", "required": []string{"items"},
			"properties": obj{"items": obj{"type": "array", "items": schemaRef("Field")}},
		},
		"FieldInput": obj{
			"type": "object", "additionalProperties": false, "required": []string{"key", "label", "type"},
			"properties": obj{
				"key":     obj{"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"},
				"label":   obj{"type": "string", "minLength": 1, "maxLength": 100},
				"type":    obj{"type": "string", "enum": []string{"text", "email", "phone", "date", "number", "choice"}},
				"choices": obj{"type": "array", "items": obj{"type": "string"}, "description": "Only for type choice: 1 to 100 distinct choices."},
			},
		},
		"CommunityInput": obj{
			"type": "object", "additionalProperties": false, "required": []string{"name"},
			"properties": obj{"name": obj{"type": "string", "minLength": 1, "maxLength": 100}},
		},
		"Community": obj{
			"type": "object", "required": []string{"id", "name", "admin_key"},
			"properties": obj{
				"id":        obj{"type": "string", "format": "uuid"},
				"name":      obj{"type": "string"},
				"admin_key": str("The community's first admin key. It is shown this once."),
			},
		},
		"ImportList": listOf("ImportReport"),
		"ImportReport": obj{
			"type": "object", "required": []string{"id", "dry_run", "counts", "rows", "unknown_columns", "columns", "position"},
			"properties": obj{
				"id":              obj{"type": "string", "format": "uuid", "description": "The import's ID, the correlation ID of its events."},
				"dry_run":         obj{"type": "boolean"},
				"file_name":       obj{"type": "string"},
				"sheet":           obj{"type": "string"},
				"actor":           obj{"type": "string"},
				"created_at":      obj{"type": "string", "format": "date-time"},
				"columns":         obj{"type": "object", "additionalProperties": obj{"type": "string"}, "description": "Header -> the field key it fills (id for the contact ID)."},
				"unknown_columns": obj{"type": []string{"array", "null"}, "items": obj{"type": "string"}, "description": "Headers that name no field: ignored."},
				"counts": obj{"type": "object", "properties": obj{
					"created": obj{"type": "integer"}, "updated": obj{"type": "integer"}, "unchanged": obj{"type": "integer"}, "rejected": obj{"type": "integer"}}},
				"rows": obj{"type": "array", "items": obj{"type": "object", "required": []string{"row", "outcome"}, "properties": obj{
					"row":        obj{"type": "integer", "description": "The sheet's row number."},
					"outcome":    obj{"type": "string", "enum": []string{"created", "updated", "unchanged", "rejected"}},
					"contact_id": obj{"type": "string", "format": "uuid"},
					"version":    obj{"type": "integer"},
					"changes": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
						"field": obj{"type": "string"}, "old": obj{"type": "string"}, "new": obj{"type": "string"}}}},
					"errors": obj{"type": "array", "items": obj{"type": "object", "required": []string{"reason"}, "properties": obj{
						"cell": str("e.g. C5"), "column": str("The header."), "field": str("The field key."), "reason": obj{"type": "string"}}}},
				}}},
				"position": schemaRef("Position"),
				"stopped_at_row": obj{"type": "integer", "description": "Set when the import stopped before its end (its client left, the store failed): " +
					"the first row left not applied. The rows to apply from it on are rejected as not applied; the rows before it were applied."},
				"stopped_reason": obj{"type": "string", "description": "Why it stopped: \"the client left\", or the failure."},
				"revert": obj{"type": "object", "description": "Set once reverted.", "properties": obj{
					"id": obj{"type": "string", "format": "uuid"}, "reverted_at": obj{"type": "string", "format": "date-time"},
					"reverted": obj{"type": "integer"}, "archived": obj{"type": "integer"}, "skipped": obj{"type": "integer"},
					"contacts": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
						"row": obj{"type": "integer"}, "contact_id": obj{"type": "string"},
						"outcome": obj{"type": "string", "enum": []string{"reverted", "archived", "skipped"}}, "reason": obj{"type": "string"}}}},
					"position": schemaRef("Position"),
				}},
			},
		},
		"Projection": obj{
			"type": "object", "required": []string{"name", "position", "behind", "lag_seconds", "parked", "degraded"},
			"properties": obj{
				"name":        str("The read model."),
				"position":    schemaRef("Position"),
				"behind":      obj{"type": "boolean", "description": "It has events left to apply."},
				"lag_seconds": obj{"type": "number", "description": "Age of the oldest event it has not applied."},
				"parked":      obj{"type": "integer", "description": "Events it could not apply and set aside (contacts parked list)."},
				"degraded":    obj{"type": "boolean", "description": "True while it has events set aside."},
			},
		},
		"ProjectionList": listOf("Projection"),
		"RetryResult": obj{
			"type": "object", "required": []string{"name", "applied", "still_parked"},
			"properties": obj{
				"name": obj{"type": "string"}, "applied": obj{"type": "integer"},
				"still_parked": obj{"type": "integer", "description": "Events that still cannot be applied, or wait behind one of their stream."},
			},
		},
		"KeyInput": obj{
			"type": "object", "additionalProperties": false, "required": []string{"role"},
			"properties": obj{"role": obj{"type": "string", "enum": []string{"admin", "auditor", "analytics"}}},
		},
		"KeyList": obj{
			"type": "object", "required": []string{"items"},
			"properties": obj{"items": obj{"type": "array", "items": obj{
				"type": "object", "required": []string{"id", "role", "created_at"},
				"properties": obj{
					"id":         obj{"type": "string", "format": "uuid"},
					"role":       obj{"type": "string", "enum": []string{"admin", "auditor", "analytics"}},
					"created_at": obj{"type": "string", "format": "date-time"},
				},
			}}},
		},
		"Key": obj{
			"type": "object", "required": []string{"key", "role"},
			"properties": obj{
				"key":  str("The new key. It is shown this once."),
				"role": obj{"type": "string", "enum": []string{"admin", "auditor", "analytics"}},
			},
		},
	}

	parameters := obj{
		"ContactID": obj{"name": "id", "in": "path", "required": true, "schema": obj{"type": "string", "format": "uuid"},
			"description": "A contact ID. A contact of another community answers 404, as an unknown one."},
		"FieldKey": obj{"name": "key", "in": "path", "required": true, "schema": obj{"type": "string"}},
		"After": obj{"name": "after", "in": "query", "schema": schemaRef("Position"),
			"description": "Wait (at most a few seconds) until the read model has applied this position, as returned by a command; 503 if it does not in time."},
		"Q": obj{"name": "q", "in": "query", "schema": obj{"type": "string", "maxLength": 200},
			"description": "Search: a fragment of first name, last name, email or external ID, ignoring case and accents."},
		"Sort": obj{"name": "sort", "in": "query", "schema": obj{"type": "string",
			"enum": []string{"last_name", "-last_name", "first_name", "-first_name", "email", "-email", "created", "-created", "updated", "-updated", "archived", "-archived"}},
			"description": "Sort key (default last_name); - for descending; archived only on the archived list."},
		"Cursor": obj{"name": "cursor", "in": "query", "schema": obj{"type": "string"},
			"description": "next_cursor of the previous page, with the same sort."},
		"Limit":         obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": maxPageSize, "default": activePageSize}},
		"ArchivedLimit": obj{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": maxPageSize, "default": archivedPageSize}},
		"IfMatch": obj{"name": "If-Match", "in": "header", "schema": obj{"type": "string"},
			"description": "The ETag of the contact as read (\"<version>\"): the update is refused with 412 if the contact changed since."},
	}

	responses := obj{}
	for _, status := range problemStatuses {
		code := map[string]string{"400": "invalid", "401": "unauthorized", "403": "forbidden", "404": "not_found",
			"409": "conflict", "412": "precondition", "413": "too_large", "500": "internal", "501": "", "503": "unavailable"}[status]
		description := "A problem (" + status + ")"
		if code != "" {
			description += ", type .../problems/" + code
		}
		responses["Problem"+status] = obj{
			"description": description,
			"content":     obj{"application/problem+json": obj{"schema": schemaRef("Problem")}},
		}
	}

	paths := obj{
		"/healthz": obj{"get": obj{
			"operationId": "healthz", "summary": "Liveness probe", "security": []obj{},
			"responses": obj{"200": obj{"description": "The process is up."}},
		}},
		"/readyz": obj{"get": obj{
			"operationId": "readyz", "summary": "Readiness probe", "security": []obj{},
			"responses": obj{"200": obj{"description": "Ready to take traffic: status ready, or degraded when a read model has set events aside (it could not apply them; see GET /v1/projections).",
				"content": obj{"application/json": obj{"schema": obj{"type": "object", "required": []string{"status"}, "properties": obj{
					"status": obj{"type": "string", "enum": []string{"ready", "degraded"}},
					"degraded": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
						"read_model": obj{"type": "string"}, "parked": obj{"type": "integer"}}}}}}}}},
				"503": problemResponse("503")},
		}},
		"/openapi.json": obj{"get": operation("openapi", "This document", "", everyone, nil, nil,
			obj{"200": obj{"description": "The OpenAPI 3.1 document.", "content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}})},
		"/metrics": obj{"get": operation("metrics", "Metrics (Prometheus text format)",
			"Per read model: contacts_projection_lag_seconds (age of the oldest event not yet applied) and contacts_projection_behind; process figures.",
			operator, nil, nil,
			obj{"200": obj{"description": "Metrics.", "content": obj{"text/plain": obj{"schema": obj{"type": "string"}}}}})},
		"/v1/projections": obj{"get": operation("listProjections", "The read models' state",
			"How far each read model has got, and how many events it set aside because it could not apply them (degraded).",
			operator, nil, nil, problems(obj{"200": jsonResponse("The read models.", schemaRef("ProjectionList"))}, "503"))},
		"/v1/projections/{name}/retry": obj{"post": operation("retryParked", "Retry the events a read model set aside",
			"Applies again, in log order, the events the read model set aside, once their cause is fixed; those that still fail stay set aside.",
			operator, []obj{{"name": "name", "in": "path", "required": true, "schema": obj{"type": "string"}}}, nil,
			problems(obj{"200": jsonResponse("What the retry did.", schemaRef("RetryResult"))}, "404", "503"))},
		"/v1/communities": obj{"post": operation("createCommunity", "Create a community",
			"Creates a community and its first admin key.", operator, nil, jsonBody(schemaRef("CommunityInput")),
			problems(obj{"201": jsonResponse("Created.", schemaRef("Community"))}, "400", "413"))},
		"/v1/keys": obj{
			"post": operation("createKey", "Make an API key of the caller's community", "", admin, nil,
				jsonBody(schemaRef("KeyInput")),
				problems(obj{"201": jsonResponse("Created.", schemaRef("Key"))}, "400", "413")),
			"get": operation("listKeys", "List the community's keys", "Keys that are not revoked, by role then creation time; never the keys themselves.", admin, nil, nil,
				obj{"200": jsonResponse("The keys.", schemaRef("KeyList"))}),
		},
		"/v1/keys/{id}": obj{"delete": operation("revokeKey", "Revoke a key",
			"The key authenticates nothing from now on, and the console sessions opened with it end. 404 for a key of another community, or one already revoked.",
			admin, []obj{importID}, nil, problems(obj{"204": obj{"description": "Revoked."}}, "404"))},
		"/v1/contacts": obj{
			"get": operation("listContacts", "List active contacts", "One page of the active contacts.", readers,
				[]obj{paramRef("Q"), paramRef("Sort"), paramRef("Cursor"), paramRef("Limit"), after}, nil,
				problems(obj{"200": jsonResponse("A page.", schemaRef("ContactList"))}, "400", "503")),
			"post": operation("registerContact", "Register a contact",
				"Needs a first name, a last name or an email. Email and external ID are unique in the community (409 naming the field).",
				admin, nil, jsonBody(schemaRef("ProfileInput")),
				problems(obj{"201": jsonResponse("Registered.", schemaRef("ContactResult"), "Location", "ETag")}, "400", "409", "413")),
		},
		"/v1/archived-contacts": obj{"get": operation("listArchivedContacts", "List archived contacts",
			"The first 1000 archived contacts in one page by default; a cursor pages past them; search reaches all.", readers,
			[]obj{paramRef("Q"), paramRef("Sort"), paramRef("Cursor"), paramRef("ArchivedLimit"), after}, nil,
			problems(obj{"200": jsonResponse("A page.", schemaRef("ContactList"))}, "400", "503"))},
		"/v1/contacts/{id}": obj{
			"get": operation("getContact", "Read a contact", "Any status; a merged contact says which survivor it went into (merged_into).", readers,
				[]obj{contactID, after, {"name": "as_of", "in": "query", "schema": obj{"type": "string", "format": "date-time"},
					"description": "The contact as it was at that instant (RFC 3339), replayed from the log; 404 if it did not exist yet."}}, nil,
				problems(obj{"200": jsonResponse("The contact.", schemaRef("Contact"), "ETag")}, "400", "404", "503")),
			"patch": operation("updateContact", "Update a contact's profile",
				"Absent keys keep their value; null clears. Only an active contact can be edited (409 otherwise).", admin,
				[]obj{contactID, paramRef("IfMatch")}, jsonBody(schemaRef("ProfileInput")),
				problems(obj{"200": jsonResponse("Updated (or unchanged).", schemaRef("ContactResult"), "ETag")}, "400", "404", "409", "412", "413")),
		},
		"/v1/contacts/{id}/history": obj{"get": operation("contactHistory", "A contact's history",
			"Every event of the contact, oldest first, with who, when, why and what changed. A merged duplicate keeps its own history; the survivor's links to it.", readers,
			[]obj{contactID}, nil, problems(obj{"200": jsonResponse("The history.", schemaRef("History"))}, "404"))},
		"/v1/contacts/archive": bulk("archiveContacts", "Archive", "Archives active contacts (archived ones stay so)."),
		"/v1/contacts/restore": bulk("restoreContacts", "Restore", "Brings archived contacts back to the active list."),
		"/v1/contacts/delete":  bulk("deleteContacts", "Delete", "Erases archived contacts' personal data for good and frees their email and external ID. An active contact is refused (409): archive it first."),
		"/v1/contacts/{id}/merge": obj{"post": operation("mergeContacts", "Merge duplicates into this contact",
			"The duplicates become merged and point to this survivor; it keeps its values, fills its empty ones, and takes the ones named in take.", admin,
			[]obj{contactID}, jsonBody(schemaRef("MergeRequest")),
			problems(obj{"200": jsonResponse("The survivor after the merge.", schemaRef("ContactResult"), "ETag")}, "400", "404", "409", "413"))},
		"/v1/contacts/{id}/unmerge": obj{"post": operation("unmergeContact", "Undo the merge of one duplicate",
			"The survivor gives back the values it took from the duplicate (those not changed since), and the duplicate comes back as it was.", admin,
			[]obj{contactID}, jsonBody(schemaRef("UnmergeRequest")),
			problems(obj{"200": jsonResponse("The survivor after the unmerge.", schemaRef("ContactResult"), "ETag")}, "400", "404", "409", "413"))},
		"/v1/events": obj{"get": operation("events", "The community's events in log order (NDJSON)",
			"Events after from (exclusive), oldest first, one JSON object per line. follow=true keeps the response open and streams new events, "+
				"with a heartbeat line when idle; reconnect with the last position to miss nothing and get nothing twice. Key reservations are not shown.",
			[]string{"admin", "analytics"},
			[]obj{
				{"name": "from", "in": "query", "schema": obj{"type": "string"}, "description": "A position from a previous line (default: the start of the log)."},
				{"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 10000}, "description": "At most this many events (default 1000; unbounded when following)."},
				{"name": "type", "in": "query", "schema": obj{"type": "string"}, "description": "Only these event types (comma-separated)."},
				{"name": "follow", "in": "query", "schema": obj{"type": "boolean"}, "description": "Stay open and stream new events."},
			}, nil,
			problems(obj{"200": obj{"description": "NDJSON, one Event per line. Without follow, the HTTP trailer Next-From ends the answer: " +
				"the position to pass as from next time (the last event sent when limit cut the stream, else the last event read, " +
				"which may be another community's).", "content": obj{"application/x-ndjson": obj{"schema": schemaRef("Event")}}}}, "400"))},
		"/v1/fields": obj{
			"get": operation("listFields", "List the community's fields", "Built-in fields first, then the community's own in definition order.", readers,
				[]obj{after}, nil, problems(obj{"200": jsonResponse("The fields.", schemaRef("FieldList"))}, "400", "503")),
			"post": operation("defineField", "Define a field", "The same definition again changes nothing (200).", admin, nil,
				jsonBody(schemaRef("FieldInput")),
				problems(obj{
					"201": jsonResponse("Defined.", schemaRef("FieldResult")),
					"200": jsonResponse("Already defined so.", schemaRef("FieldResult")),
				}, "400", "409", "413")),
		},
		"/v1/fields/{key}": obj{"delete": operation("removeField", "Remove a field",
			"Its values are no longer shown; defining the key again starts every contact empty.", admin,
			[]obj{paramRef("FieldKey")}, nil,
			problems(obj{"200": jsonResponse("Removed.", schemaRef("RemovedField"))}, "400", "404"))},
		"/v1/exports/contacts.xlsx": obj{"get": operation("exportContacts", "Export contacts to Excel",
			"An .xlsx workbook: one sheet, a frozen header row (Contact ID, then every field of the community by label), one row per contact; "+
				"dates are date cells, numbers number cells. Streamed as it is written.", readers,
			[]obj{{"name": "archived", "in": "query", "schema": obj{"type": "boolean", "default": false}, "description": "Export the archived contacts instead of the active ones."},
				paramRef("Q"), after}, nil,
			problems(obj{"200": obj{"description": "The workbook.", "content": obj{xlsxType: obj{"schema": obj{"type": "string", "format": "binary"}}}}}, "400", "503"))},
		"/v1/imports": obj{"get": operation("listImports", "List the community's imports",
			"Newest first, without their rows (GET /v1/imports/{id} has them). An import whose process died is listed once the service has finished it from the log "+
				"(stopped_reason says so): what it applied can be reverted.", readers,
			[]obj{paramRef("Cursor"), {"name": "limit", "in": "query", "schema": obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 20}}}, nil,
			problems(obj{"200": jsonResponse("A page.", schemaRef("ImportList"))}, "400", "503")), "post": operation("importContacts", "Import contacts from Excel",
			"Row 1 holds headers (field labels or keys, case- and accent-blind; \"Contact ID\" for the ID). Rows match on contact ID, then email, then external ID: "+
				"matched rows update, others register. An empty cell changes nothing; a cell holding only #CLEAR empties the field. "+
				"A bad row is rejected (row, cell, reason) and the others go on; a file that cannot be read, or has no identifying column, is refused whole (400, field file). "+
				"Every event carries the import's ID as correlation ID. The report is kept: GET /v1/imports/{id}. "+
				"A few imports run at once; another waits up to 5 s, then answers 503 with Retry-After. A client that leaves stops its import: "+
				"a dry run at once, leaving nothing; a real import at a row boundary, its report (stopped_at_row) saying where.", admin,
			[]obj{{"name": "dry_run", "in": "query", "schema": obj{"type": "boolean", "default": false}, "description": "Decide and report every row, change nothing."}},
			obj{"required": true, "content": obj{"multipart/form-data": obj{"schema": obj{
				"type": "object", "required": []string{"file"},
				"properties": obj{"file": obj{"type": "string", "format": "binary", "description": "The .xlsx workbook, at most 20 MB."}},
			}}}},
			problems(obj{"201": jsonResponse("The report.", schemaRef("ImportReport"), "Location")}, "400", "413", "503"))},
		"/v1/imports/{id}": obj{"get": operation("getImport", "Read an import's report", "An import of another community answers 404.", readers,
			[]obj{importID}, nil, problems(obj{"200": jsonResponse("The report.", schemaRef("ImportReport"))}, "404", "503"))},
		"/v1/imports/{id}/revert": obj{"post": operation("revertImport", "Revert an import",
			"New events give each contact the import updated its previous values, and archive each contact it created (delete them from the archived list if wanted). "+
				"A contact changed since the import is skipped and reported. A dry run, or an import reverted already, answers 409.", admin,
			[]obj{importID}, nil, problems(obj{"200": jsonResponse("The report, with its revert.", schemaRef("ImportReport"))}, "404", "409", "503"))},
	}

	return obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "contacts",
			"version": "1",
			"description": "The contact base of associations, kept as an event log. Every call but /healthz and /readyz needs " +
				"Authorization: Bearer <key>. Each operation's x-roles lists the key roles that may call it (others get 403). " +
				"Commands answer with the log position they reached; reads accept after=<position> to see them. " +
				"X-Request-ID (1-128 of A-Z a-z 0-9 . _ : -) is echoed, or made, and tags the events a request causes.",
		},
		"security": []obj{{"bearerAuth": []string{}}},
		"paths":    paths,
		"components": obj{
			"securitySchemes": obj{"bearerAuth": obj{"type": "http", "scheme": "bearer", "description": "An API key, ck_..."}},
			"schemas":         schemas,
			"parameters":      parameters,
			"responses":       responses,
			"headers": obj{
				"ETag":     obj{"schema": obj{"type": "string"}, "description": "The contact's version, \"<version>\"; send it back as If-Match."},
				"Location": obj{"schema": obj{"type": "string"}, "description": "/v1/contacts/{id} (/v1/imports/{id} for an import)"},
			},
		},
	}
}

// openAPIJSON is the document, encoded once.
var openAPIJSON = sync.OnceValue(func() []byte {
	b, err := json.MarshalIndent(openAPIDocument(), "", "  ")
	if err != nil {
		panic(err) // a bug in the literal above
	}
	return b
})

func (s *Server) handleOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIJSON())
}
