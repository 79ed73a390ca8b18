package projections

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/assoc/contacts/domain"
)

// Queries answers reads from the read models. It returns read types, not
// domain entities.
type Queries struct {
	Pool *pgxpool.Pool
	// CursorKey seals list cursors (32 bytes, the same on every node; see
	// cursor.go). Unset, a random key of this process is used.
	CursorKey []byte

	cursors cursorSealer
}

// SortKeys maps the sort names clients use to columns.
var SortKeys = map[string]string{
	"last_name":  "last_name",
	"first_name": "first_name",
	"email":      "email",
	"created":    "created_at",
	"updated":    "updated_at",
	"archived":   "archived_at",
}

const contactColumns = `id, community_id, status, email, first_name, last_name, external_id, fields, version, created_at, updated_at, archived_at, merged_into`

// thenBy is the column that orders the rows a sort column ties: people of
// one last name by first name, and the other way round, as a reader of a
// list of names expects. The contact ID breaks the remaining ties.
var thenBy = map[string]string{
	"last_name":  "first_name",
	"first_name": "last_name",
}

// Contact returns one contact in any state (ENOTFOUND when it does not
// exist or belongs to another community).
func (q *Queries) Contact(ctx context.Context, communityID, id string) (domain.ContactView, error) {
	if !domain.ValidID(id) {
		return domain.ContactView{}, domain.Errorf(domain.ENOTFOUND, "contact %s not found", id)
	}
	keys, err := q.fieldKeys(ctx, communityID)
	if err != nil {
		return domain.ContactView{}, err
	}
	items, err := q.scanContacts(ctx, keys, `SELECT `+contactColumns+` FROM contacts WHERE id = $1 AND community_id = $2`, id, communityID)
	if err != nil {
		return domain.ContactView{}, fmt.Errorf("read contact: %w", err)
	}
	if len(items) == 0 {
		return domain.ContactView{}, domain.Errorf(domain.ENOTFOUND, "contact %s not found", id)
	}
	return items[0], nil
}

// Fields returns a community's fields: built-ins, then admin-defined ones in
// definition order.
func (q *Queries) Fields(ctx context.Context, communityID string) ([]domain.Field, error) {
	rows, err := q.Pool.Query(ctx, `SELECT field_id, key, label, type, choices FROM community_fields
		WHERE community_id = $1 AND NOT removed ORDER BY position`, communityID)
	if err != nil {
		return nil, fmt.Errorf("read fields: %w", err)
	}
	fields := append([]domain.Field(nil), domain.BuiltinFields...)
	custom, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Field, error) {
		var f domain.Field
		var typ string
		err := row.Scan(&f.ID, &f.Key, &f.Label, &typ, &f.Choices)
		f.Type = domain.FieldType(typ)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("read fields: %w", err)
	}
	return append(fields, custom...), nil
}

// CommunityExists reports whether the communities read model has id.
func (q *Queries) CommunityExists(ctx context.Context, id string) (bool, error) {
	var exists bool
	err := q.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM communities WHERE id = $1)`, id).Scan(&exists)
	return exists, err
}

// fieldKeys maps the current field IDs of a community to their keys.
func (q *Queries) fieldKeys(ctx context.Context, communityID string) (map[string]string, error) {
	rows, err := q.Pool.Query(ctx, `SELECT field_id::text, key FROM community_fields WHERE community_id = $1 AND NOT removed`, communityID)
	if err != nil {
		return nil, fmt.Errorf("read fields: %w", err)
	}
	keys := map[string]string{}
	var id, key string
	_, err = pgx.ForEachRow(rows, []any{&id, &key}, func() error {
		keys[id] = key
		return nil
	})
	return keys, err
}

func (q *Queries) scanContacts(ctx context.Context, keys map[string]string, sql string, args ...any) ([]domain.ContactView, error) {
	rows, err := q.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.ContactView, error) {
		var c domain.ContactView
		var rawFields []byte
		err := row.Scan(&c.ID, &c.CommunityID, &c.Status, &c.Email, &c.FirstName, &c.LastName, &c.ExternalID,
			&rawFields, &c.Version, &c.CreatedAt, &c.UpdatedAt, &c.ArchivedAt, &c.MergedInto)
		if err != nil {
			return c, err
		}
		// Most contacts have no admin-defined value: "{}" is not decoded.
		var byID map[string]string
		if len(rawFields) > 2 {
			if err := json.Unmarshal(rawFields, &byID); err != nil {
				return c, fmt.Errorf("contact %s: fields: %w", c.ID, err)
			}
		}
		c.Fields = make(map[string]string, len(byID))
		for id, v := range byID {
			if key, ok := keys[id]; ok {
				c.Fields[key] = v
			}
		}
		return c, nil
	})
}

func sortValue(c domain.ContactView, column string) string {
	switch column {
	case "last_name":
		return c.LastName
	case "first_name":
		return c.FirstName
	case "email":
		return c.Email
	case "created_at":
		return c.CreatedAt.Format(time.RFC3339Nano)
	case "updated_at":
		return c.UpdatedAt.Format(time.RFC3339Nano)
	case "archived_at":
		if c.ArchivedAt != nil {
			return c.ArchivedAt.Format(time.RFC3339Nano)
		}
	}
	return ""
}

func prefixed(columns string) string {
	parts := strings.Split(columns, ", ")
	for i, p := range parts {
		parts[i] = "c." + p
	}
	return strings.Join(parts, ", ")
}
