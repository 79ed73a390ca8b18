package projections

import (
	"context"
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

// ContactView, ListQuery and Page are the domain's read types, under the
// names this package's callers know.
type (
	ContactView = domain.ContactView
	ListQuery   = domain.ListQuery
	Page        = domain.ContactPage
)

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

// ListContacts returns one page of a community's active or archived contacts.
func (q *Queries) ListContacts(ctx context.Context, lq ListQuery) (Page, error) {
	sortName := lq.Sort
	if sortName == "" {
		sortName = "last_name"
	}
	desc := strings.HasPrefix(sortName, "-")
	column, ok := SortKeys[strings.TrimPrefix(sortName, "-")]
	if !ok || (column == "archived_at" && lq.Status != domain.StatusArchived) {
		keys := "last_name, first_name, email, created, updated"
		if lq.Status == domain.StatusArchived {
			keys += ", archived"
		}
		return Page{}, domain.FieldError("sort", "%q is not a sort key of this list (%s; - before a key for descending)", sortName, keys)
	}
	if err := domain.CheckText("q", lq.Search, domain.MaxSearchLength); err != nil {
		return Page{}, err
	}
	args := []any{lq.CommunityID, string(lq.Status)}
	where := []string{"c.community_id = $1", "c.status = $2"}
	if s := strings.TrimSpace(lq.Search); s != "" {
		args = append(args, "%"+escapeLike(s)+"%")
		where = append(where, fmt.Sprintf("c.search LIKE fold_text($%d)", len(args)))
	}
	sealer, err := q.sealer()
	if err != nil {
		return Page{}, err
	}
	if lq.Cursor != "" {
		cur, err := sealer.open(lq.Cursor, lq.CommunityID, string(lq.Status))
		if err != nil || cur.Sort != sortName || !domain.ValidID(cur.ID) {
			return Page{}, errBadCursor
		}
		op := ">"
		if desc {
			op = "<"
		}
		cast := "text"
		if strings.HasSuffix(column, "_at") {
			cast = "timestamptz"
		}
		if then, ok := thenBy[column]; ok {
			args = append(args, cur.Value, cur.Then, cur.ID)
			where = append(where, fmt.Sprintf("(c.%s, c.%s, c.id) %s ($%d::text, $%d::text, $%d::uuid)", column, then, op, len(args)-2, len(args)-1, len(args)))
		} else {
			args = append(args, cur.Value, cur.ID)
			where = append(where, fmt.Sprintf("(c.%s, c.id) %s ($%d::%s, $%d::uuid)", column, op, len(args)-1, cast, len(args)))
		}
	}
	// The order, for a table alias: column[, then], id, each descending
	// for a descending sort.
	orderBy := func(alias string) string {
		columns := []string{column}
		if then, ok := thenBy[column]; ok {
			columns = append(columns, then)
		}
		columns = append(columns, "id")
		for i, c := range columns {
			columns[i] = alias + "." + c
			if desc {
				columns[i] += " DESC"
			}
		}
		return strings.Join(columns, ", ")
	}
	selected := "c.id, c." + column // what the search's first step reads
	if then, ok := thenBy[column]; ok {
		selected += ", c." + then
	}
	args = append(args, lq.Limit+1)
	sql := fmt.Sprintf(`SELECT %s FROM contacts c WHERE %s ORDER BY %s LIMIT $%d`,
		prefixed(contactColumns), strings.Join(where, " AND "), orderBy("c"), len(args))
	if strings.TrimSpace(lq.Search) != "" {
		// A search picks the page's IDs first, from the sort index alone (the
		// name index covers the search column, so filtering while walking
		// names reads no table row), then fetches those few rows. Collecting
		// every match before sorting cost ~100 ms for a fragment matching
		// 30,000 contacts; without a search, one index scan is fastest.
		sql = fmt.Sprintf(`WITH page AS (
				SELECT %s FROM contacts c WHERE %s ORDER BY %s LIMIT $%d)
			SELECT %s FROM page JOIN contacts c USING (id) ORDER BY %s`,
			selected, strings.Join(where, " AND "), orderBy("c"), len(args), prefixed(contactColumns), orderBy("page"))
	}
	keys, err := q.fieldKeys(ctx, lq.CommunityID)
	if err != nil {
		return Page{}, err
	}
	items, err := q.scanContacts(ctx, keys, sql, args...)
	if err != nil {
		return Page{}, fmt.Errorf("list contacts: %w", err)
	}
	page := Page{Items: items}
	if len(items) > lq.Limit {
		page.Items = items[:lq.Limit]
		last := page.Items[lq.Limit-1]
		next := cursor{Sort: sortName, Value: sortValue(last, column), ID: last.ID}
		if then, ok := thenBy[column]; ok {
			next.Then = sortValue(last, then)
		}
		page.NextCursor = sealer.seal(next, lq.CommunityID, string(lq.Status))
	}
	return page, nil
}

// Contact returns one contact in any state (ENOTFOUND when it does not
// exist or belongs to another community).
func (q *Queries) Contact(ctx context.Context, communityID, id string) (ContactView, error) {
	if !domain.ValidID(id) {
		return ContactView{}, domain.Errorf(domain.ENOTFOUND, "contact %s not found", id)
	}
	keys, err := q.fieldKeys(ctx, communityID)
	if err != nil {
		return ContactView{}, err
	}
	items, err := q.scanContacts(ctx, keys, `SELECT `+contactColumns+` FROM contacts WHERE id = $1 AND community_id = $2`, id, communityID)
	if err != nil {
		return ContactView{}, fmt.Errorf("read contact: %w", err)
	}
	if len(items) == 0 {
		return ContactView{}, domain.Errorf(domain.ENOTFOUND, "contact %s not found", id)
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

func (q *Queries) scanContacts(ctx context.Context, keys map[string]string, sql string, args ...any) ([]ContactView, error) {
	rows, err := q.Pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (ContactView, error) {
		var c ContactView
		var byID map[string]string
		err := row.Scan(&c.ID, &c.CommunityID, &c.Status, &c.Email, &c.FirstName, &c.LastName, &c.ExternalID,
			&byID, &c.Version, &c.CreatedAt, &c.UpdatedAt, &c.ArchivedAt, &c.MergedInto)
		c.Fields = map[string]string{}
		for id, v := range byID {
			if key, ok := keys[id]; ok {
				c.Fields[key] = v
			}
		}
		return c, err
	})
}

func sortValue(c ContactView, column string) string {
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

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
