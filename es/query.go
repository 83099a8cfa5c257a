package es

import (
	"fmt"
	"strings"
)

// QueryItem matches an event when the event's type is one of Types (or
// Types is empty) AND the event carries every tag in Tags (or Tags is
// empty). An item with neither types nor tags is invalid.
type QueryItem struct {
	Types []string `json:"types,omitempty"`
	Tags  []Tag    `json:"tags,omitempty"`
}

// Query selects events for a DCB read or append condition. It is either
// All, or a non-empty OR of items. The zero Query is invalid: say All()
// when every event is meant.
type Query struct {
	all   bool
	items []QueryItem
}

// All matches every event. As an append condition it fails on any
// non-empty store (or any event after the condition's After).
func All() Query { return Query{all: true} }

// Items builds the OR of items. It does not validate; Validate does.
func Items(items ...QueryItem) Query { return Query{items: items} }

// Types is shorthand for a one-item query on event types.
func Types(types ...string) Query { return Items(QueryItem{Types: types}) }

// Tags is shorthand for a one-item query requiring all the tags.
func Tags(tags ...Tag) Query { return Items(QueryItem{Tags: tags}) }

// IsAll reports whether q is All.
func (q Query) IsAll() bool { return q.all }

// QueryItems returns q's items (nil for All).
func (q Query) QueryItems() []QueryItem { return q.items }

// Validate reports INVALID_QUERY when q is neither All nor a non-empty list
// of valid items: an item with neither types nor tags, an empty or invalid
// type or tag, or a tag repeated within an item.
func (q Query) Validate() error {
	if q.all {
		return nil
	}
	if len(q.items) == 0 {
		return Errorf(CodeInvalidQuery, "query has no items (use es.All() to match every event)")
	}
	for i, it := range q.items {
		if len(it.Types) == 0 && len(it.Tags) == 0 {
			return Errorf(CodeInvalidQuery, "query item %d has neither types nor tags", i)
		}
		for j, t := range it.Types {
			if err := checkName(t); err != nil {
				return Errorf(CodeInvalidQuery, "query item %d: type %d: %s", i, j, err)
			}
		}
		for j, t := range it.Tags {
			if err := checkName(string(t)); err != nil {
				return Errorf(CodeInvalidQuery, "query item %d: tag %d: %s", i, j, err)
			}
			for _, u := range it.Tags[:j] {
				if u == t {
					return Errorf(CodeInvalidQuery, "query item %d: duplicate tag %q", i, t)
				}
			}
		}
	}
	return nil
}

// Matches reports whether e matches q. It is the reference semantics every
// adapter must agree with.
func (q Query) Matches(e Event) bool {
	if q.all {
		return true
	}
	for _, it := range q.items {
		if it.matches(e) {
			return true
		}
	}
	return false
}

func (it QueryItem) matches(e Event) bool {
	if len(it.Types) > 0 {
		ok := false
		for _, t := range it.Types {
			if t == e.Type {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	for _, t := range it.Tags {
		if !e.HasTag(t) {
			return false
		}
	}
	return true
}

// String renders q for messages, e.g. "All" or
// "[types(A,B) tags(x)] OR [tags(y)]".
func (q Query) String() string {
	if q.all {
		return "All"
	}
	if len(q.items) == 0 {
		return "<empty query>"
	}
	parts := make([]string, len(q.items))
	for i, it := range q.items {
		var b []string
		if len(it.Types) > 0 {
			b = append(b, "types("+strings.Join(it.Types, ",")+")")
		}
		if len(it.Tags) > 0 {
			ts := make([]string, len(it.Tags))
			for j, t := range it.Tags {
				ts[j] = string(t)
			}
			b = append(b, "tags("+strings.Join(ts, ",")+")")
		}
		parts[i] = "[" + strings.Join(b, " ") + "]"
	}
	return strings.Join(parts, " OR ")
}

// GoString makes %#v readable in test failures.
func (q Query) GoString() string { return fmt.Sprintf("es.Query(%s)", q) }

// AppendCondition makes a DCB append fail, writing nothing, iff a stored
// event matches FailIfEventsMatch at a position greater than *After (at any
// position when After is nil).
type AppendCondition struct {
	FailIfEventsMatch Query
	After             *Position
}

// FailIfMatch builds a condition on q with no After bound: it fails when any
// stored event matches.
func FailIfMatch(q Query) AppendCondition { return AppendCondition{FailIfEventsMatch: q} }

// WithAfter returns c bounded to events after position p.
func (c AppendCondition) WithAfter(p Position) AppendCondition {
	c.After = &p
	return c
}

// Validate checks the query and that After is not negative.
func (c AppendCondition) Validate() error {
	if err := c.FailIfEventsMatch.Validate(); err != nil {
		return err
	}
	if c.After != nil && *c.After < 0 {
		return Errorf(CodeInvalidArgument, "append condition: after %d is negative", *c.After)
	}
	return nil
}

// ConflictsWith reports whether a stored event e at position p violates c.
func (c AppendCondition) ConflictsWith(e Event, p Position) bool {
	if c.After != nil && p <= *c.After {
		return false
	}
	return c.FailIfEventsMatch.Matches(e)
}
