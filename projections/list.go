package projections

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/assoc/contacts/domain"
)

// ListContacts returns one page of a community's active or archived
// contacts: keyset pages in the order of a sort key, searched case- and
// accent-blind.
func (q *Queries) ListContacts(ctx context.Context, lq domain.ListQuery) (domain.ContactPage, error) {
	order, err := sortOf(lq)
	if err != nil {
		return domain.ContactPage{}, err
	}
	if err := domain.CheckText("q", lq.Search, domain.MaxSearchLength); err != nil {
		return domain.ContactPage{}, err
	}
	sealer, err := q.sealer()
	if err != nil {
		return domain.ContactPage{}, err
	}
	var after *cursor
	if lq.Cursor != "" {
		cur, err := sealer.open(lq.Cursor, lq.CommunityID, string(lq.Status))
		if err != nil || cur.Sort != order.name || !domain.ValidID(cur.ID) {
			return domain.ContactPage{}, errBadCursor
		}
		after = &cur
	}
	sql, args := order.query(lq, after)
	keys, err := q.fieldKeys(ctx, lq.CommunityID)
	if err != nil {
		return domain.ContactPage{}, err
	}
	items, err := q.scanContacts(ctx, keys, sql, args...)
	if err != nil {
		return domain.ContactPage{}, fmt.Errorf("list contacts: %w", err)
	}
	page := domain.ContactPage{Items: items}
	if len(items) > lq.Limit {
		page.Items = items[:lq.Limit]
		page.NextCursor = sealer.seal(order.cursorAfter(page.Items[lq.Limit-1]), lq.CommunityID, string(lq.Status))
	}
	return page, nil
}

// listOrder is a list's sort: the sort key as the client named it, its
// column, the column that orders its ties (then, "" for none) and the
// direction. The contact ID breaks the remaining ties.
type listOrder struct {
	name, column, then string
	desc               bool
}

// sortOf reads the sort key of a list query (last_name by default).
func sortOf(lq domain.ListQuery) (listOrder, error) {
	name := lq.Sort
	if name == "" {
		name = "last_name"
	}
	column, ok := SortKeys[strings.TrimPrefix(name, "-")]
	if !ok || (column == "archived_at" && lq.Status != domain.StatusArchived) {
		keys := "last_name, first_name, email, created, updated"
		if lq.Status == domain.StatusArchived {
			keys += ", archived"
		}
		return listOrder{}, domain.FieldError("sort", "%q is not a sort key of this list (%s; - before a key for descending)", name, keys)
	}
	return listOrder{name: name, column: column, then: thenBy[column], desc: strings.HasPrefix(name, "-")}, nil
}

// query is the SQL of one page (one row more than the limit, to know
// whether another page follows) and its arguments (a search's led by the
// query mode that plans it for its term).
func (o listOrder) query(lq domain.ListQuery, after *cursor) (string, []any) {
	args := []any{lq.CommunityID, string(lq.Status)}
	where := []string{"c.community_id = $1", "c.status = $2"}
	search := strings.TrimSpace(lq.Search)
	if search != "" {
		args = append(args, search)
		where = append(where, fmt.Sprintf("c.search LIKE %s", searchPattern(len(args))))
	}
	if after != nil {
		var cond string
		cond, args = o.after(*after, args)
		where = append(where, cond)
	}
	args = append(args, lq.Limit+1)
	conditions := strings.Join(where, " AND ")
	if search == "" {
		return fmt.Sprintf(`SELECT %s FROM contacts c WHERE %s ORDER BY %s LIMIT $%d`,
			prefixed(contactColumns), conditions, o.by("c"), len(args)), args
	}
	// A search picks the page's IDs first, from the sort index alone (the
	// name index covers the search column, so filtering while walking
	// names reads no table row), then fetches those few rows (figures:
	// docs/BENCHMARKS.md); without a search, one index scan is fastest.
	selected := "c.id, c." + o.column
	if o.then != "" {
		selected += ", c." + o.then
	}
	sql := fmt.Sprintf(`WITH page AS (
			SELECT %s FROM contacts c WHERE %s ORDER BY %s LIMIT $%d)
		SELECT %s FROM page JOIN contacts c USING (id) ORDER BY %s`,
		selected, conditions, o.by("c"), len(args), prefixed(contactColumns), o.by("page"))
	// Planned for this term, every time (an unnamed statement): a prepared
	// statement's generic plan, made once for any term, took the trigram
	// index for every term, and a term thousands of contacts hold was then
	// fetched whole (docs/BENCHMARKS.md).
	return sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

// searchPattern is the LIKE pattern of the search term in parameter n:
// its search form (migration 0020: folded, spaces and punctuation made
// one letter, LIKE's own % _ \ among them) anywhere in the contact's.
func searchPattern(n int) string {
	return fmt.Sprintf("('%%' || search_form($%d) || '%%')", n)
}

// after is the keyset condition of the rows after cur, with its arguments
// appended to args.
func (o listOrder) after(cur cursor, args []any) (string, []any) {
	op := ">"
	if o.desc {
		op = "<"
	}
	if o.then != "" {
		args = append(args, cur.Value, cur.Then, cur.ID)
		return fmt.Sprintf("(c.%s, c.%s, c.id) %s ($%d::text, $%d::text, $%d::uuid)", o.column, o.then, op, len(args)-2, len(args)-1, len(args)), args
	}
	cast := "text"
	if strings.HasSuffix(o.column, "_at") {
		cast = "timestamptz"
	}
	args = append(args, cur.Value, cur.ID)
	return fmt.Sprintf("(c.%s, c.id) %s ($%d::%s, $%d::uuid)", o.column, op, len(args)-1, cast, len(args)), args
}

// by is the ORDER BY list for a table alias: column[, then], id, each
// descending for a descending sort.
func (o listOrder) by(alias string) string {
	columns := []string{o.column}
	if o.then != "" {
		columns = append(columns, o.then)
	}
	columns = append(columns, "id")
	for i, c := range columns {
		columns[i] = alias + "." + c
		if o.desc {
			columns[i] += " DESC"
		}
	}
	return strings.Join(columns, ", ")
}

// cursorAfter is the cursor of the page that follows row.
func (o listOrder) cursorAfter(row domain.ContactView) cursor {
	next := cursor{Sort: o.name, Value: sortValue(row, o.column), ID: row.ID}
	if o.then != "" {
		next.Then = sortValue(row, o.then)
	}
	return next
}

// CountContacts counts a community's active or archived contacts, those a
// search finds when it has one (sort, cursor and limit aside).
func (q *Queries) CountContacts(ctx context.Context, lq domain.ListQuery) (int, error) {
	if err := domain.CheckText("q", lq.Search, domain.MaxSearchLength); err != nil {
		return 0, err
	}
	sql := `SELECT count(*) FROM contacts c WHERE c.community_id = $1 AND c.status = $2`
	args := []any{lq.CommunityID, string(lq.Status)}
	if search := strings.TrimSpace(lq.Search); search != "" {
		sql += ` AND c.search LIKE ` + searchPattern(3)
		// Planned for this term, as ListContacts's search.
		args = append([]any{pgx.QueryExecModeCacheDescribe}, append(args, search)...)
	}
	var n int
	if err := q.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count contacts: %w", err)
	}
	return n, nil
}
