package postgresadapter

import (
	"context"
	"fmt"
	"strings"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// queryPlan is a DCB read compiled to SQL: candidate positions from the
// indexes (per item: the (tag, position) index of its first tag, or the
// (type, position) index of its types), filtered by the exact matching
// rule of es.Query.Matches.
type queryPlan struct {
	sql  string
	args []any
}

// planQuery builds the statement reading the events matching q after
// `after` (newest first when backwards), at most limit (0: all) plus one,
// with the head of the log from the same snapshot in the first column.
func (s *Store) planQuery(q es.Query, after es.Position, limit int, backwards bool) queryPlan {
	qs := quoteSchema(s.schema)
	args := []any{int64(after)}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	dir := "ASC"
	if backwards {
		dir = "DESC"
	}
	var inner string
	if q.IsAll() {
		inner = "SELECT x.* FROM " + qs + ".events x WHERE x.position > $1 AND x.position <= " + boundExpr
	} else {
		var cands, preds []string
		for _, it := range q.QueryItems() {
			var types any
			if len(it.Types) > 0 {
				types = it.Types
			}
			var pred []string
			if len(it.Tags) > 0 {
				tags := make([]string, len(it.Tags))
				for i, t := range it.Tags {
					tags[i] = string(t)
				}
				c := "SELECT t.position FROM " + qs + ".event_tags t WHERE t.tag = " + arg(tags[0]) + " AND t.position > $1 AND t.position <= " + boundExpr
				if types != nil {
					c += " AND t.type = ANY (" + arg(types) + "::text[])"
				}
				cands = append(cands, c)
				pred = append(pred, "x.tags @> "+arg(tags)+"::text[]")
			} else {
				cands = append(cands, "SELECT y.position FROM "+qs+".events y WHERE y.type = ANY ("+arg(types)+"::text[]) AND y.position > $1 AND y.position <= "+boundExpr)
			}
			if types != nil {
				pred = append(pred, "x.type = ANY ("+arg(types)+"::text[])")
			}
			preds = append(preds, "("+strings.Join(pred, " AND ")+")")
		}
		inner = "SELECT x.* FROM " + qs + ".events x JOIN (" + strings.Join(cands, " UNION ") + ") c ON c.position = x.position" +
			" WHERE " + strings.Join(preds, " OR ")
	}
	inner += " ORDER BY x.position " + dir
	if limit > 0 {
		inner += " LIMIT " + arg(int64(limit)+1)
	}
	sql := "SELECT h.head, " + eventColumns + " FROM (SELECT least(coalesce(max(position), 0), " + boundExpr + ") AS head FROM " + qs + ".events) h" +
		" LEFT JOIN LATERAL (" + inner + ") e ON true ORDER BY e.position " + dir
	return queryPlan{sql: sql, args: args}
}

// ReadQuery reads the events matching q after opts.After, and the head of
// the log, in one statement (so from one snapshot), up to the finality
// bound: no event invisible to that snapshot can later appear at or below
// Head, so Head is safe to use as AppendCondition.After.
func (l *eventLog) ReadQuery(ctx context.Context, q es.Query, opts store.QueryRead) (store.QueryResult, error) {
	t := (*tx)(l)
	if err := opts.Validate(q); err != nil {
		return store.QueryResult{}, err
	}
	if err := t.begin(ctx); err != nil {
		return store.QueryResult{}, err
	}
	defer t.mu.Unlock()
	p := t.s.planQuery(q, opts.After, opts.Limit, opts.Backwards)
	rows, err := t.readBounded(ctx, p.sql, p.args...)
	if err != nil {
		return store.QueryResult{}, t.dbErr("reading a DCB query", err)
	}
	var head int64
	evs, err := readEvents(rows, opts.Limit+1, &head)
	if err != nil {
		return store.QueryResult{}, t.dbErr("reading a DCB query", err)
	}
	res := store.QueryResult{Events: evs, Head: es.Position(head), Complete: true}
	if opts.Limit > 0 && len(evs) > opts.Limit {
		res.Events = evs[:opts.Limit]
		res.Complete = false
	}
	return res, nil
}
