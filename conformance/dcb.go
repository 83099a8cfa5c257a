package conformance

import (
	"errors"
	"fmt"
	"slices"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/store"
)

// DCB cases: reads by query with the head from the same snapshot, and
// conditional appends — conflicts, no false conflicts, the after cursor,
// empty stores, invalid queries and conditions combined with stream
// expectations. Every line of spec/dcb.md and the DCB lines of
// spec/conformance-checklist.md has a case here.
func init() {
	register(
		Case{Group: "dcb", Name: "read-type-only", Run: onLog(dcbReadTypeOnly)},
		Case{Group: "dcb", Name: "read-tag-only", Run: onLog(dcbReadTagOnly)},
		Case{Group: "dcb", Name: "read-types-and-tags", Run: onLog(dcbReadTypesAndTags)},
		Case{Group: "dcb", Name: "read-multi-item-or", Run: onLog(dcbReadMultiItem)},
		Case{Group: "dcb", Name: "read-all", Run: onLog(dcbReadAll)},
		Case{Group: "dcb", Name: "read-after", Run: onLog(dcbReadAfter)},
		Case{Group: "dcb", Name: "read-backwards", Run: onLog(dcbReadBackwards)},
		Case{Group: "dcb", Name: "read-limit-complete", Run: onLog(dcbReadLimit)},
		Case{Group: "dcb", Name: "read-head-same-snapshot", Run: onLog(dcbReadHead)},
		Case{Group: "dcb", Name: "read-invalid-query", Run: onLog(dcbReadInvalid)},
		Case{Group: "dcb", Name: "append-empty-store", Run: onLog(dcbAppendEmptyStore)},
		Case{Group: "dcb", Name: "append-empty-store-no-condition", Run: onLog(dcbAppendEmptyNoCondition)},
		Case{Group: "dcb", Name: "conflict-exact-match", Run: onLog(dcbConflictExact)},
		Case{Group: "dcb", Name: "conflict-wider-tag-set", Run: onLog(dcbConflictWiderTags)},
		Case{Group: "dcb", Name: "conflict-type-only", Run: onLog(dcbConflictTypeOnly)},
		Case{Group: "dcb", Name: "conflict-tag-only", Run: onLog(dcbConflictTagOnly)},
		Case{Group: "dcb", Name: "conflict-any-item-suffices", Run: onLog(dcbConflictAnyItem)},
		Case{Group: "dcb", Name: "conflict-all", Run: onLog(dcbConflictAll)},
		Case{Group: "dcb", Name: "no-conflict-different-type", Run: onLog(dcbNoConflictType)},
		Case{Group: "dcb", Name: "no-conflict-tag-subset", Run: onLog(dcbNoConflictTagSubset)},
		Case{Group: "dcb", Name: "no-conflict-different-tags", Run: onLog(dcbNoConflictTags)},
		Case{Group: "dcb", Name: "no-conflict-at-or-before-after", Run: onLog(dcbNoConflictAfter)},
		Case{Group: "dcb", Name: "after-absent-zero-past-head", Run: onLog(dcbAfterVariants)},
		Case{Group: "dcb", Name: "condition-ignores-appended-events", Run: onLog(dcbConditionIgnoresOwn)},
		Case{Group: "dcb", Name: "condition-sees-own-unit-of-work", Run: onLog(dcbConditionSeesUnit)},
		Case{Group: "dcb", Name: "rejected-append-assigns-no-position", Run: onLog(dcbRejectedNoPosition)},
		Case{Group: "dcb", Name: "invalid-condition", Run: onLog(dcbInvalidCondition)},
		Case{Group: "dcb", Name: "condition-with-expected-version", Run: onLog(dcbConditionAndVersion)},
		Case{Group: "dcb", Name: "decision-model-round-trip", Run: onLog(dcbDecisionModel)},
	)
}

// dcbFixture appends the course/student log every DCB read case uses and
// returns p with p[i] the position of event i (1-based):
//
//	1 CourseDefined      course:c1
//	2 StudentRegistered  student:s1
//	3 StudentSubscribed  course:c1 student:s1
//	4 StudentSubscribed  course:c2 student:s1
//	5 CourseDefined      course:c2
//	6 StudentSubscribed  course:c1 student:s2
func (c *logCase) dcbFixture() []es.Position {
	c.T.Helper()
	p := []es.Position{0}
	for _, e := range []es.Event{
		c.ev("CourseDefined", "course:c1"),
		c.ev("StudentRegistered", "student:s1"),
		c.ev("StudentSubscribed", "course:c1", "student:s1"),
		c.ev("StudentSubscribed", "course:c2", "student:s1"),
		c.ev("CourseDefined", "course:c2"),
		c.ev("StudentSubscribed", "course:c1", "student:s2"),
	} {
		p = append(p, c.mustAppendIf(nil, e).Positions[0])
	}
	return p
}

// wantQuery reads q with opts and requires exactly the events at want, in
// that order, a complete result when complete, and a head from the same
// snapshot: at least head, and exactly head on gapless stores.
func (c *logCase) wantQuery(q es.Query, opts store.QueryRead, head es.Position, complete bool, want ...es.Position) store.QueryResult {
	c.T.Helper()
	res := c.readQuery(q, opts)
	what := fmt.Sprintf("ReadQuery(%s, after %d, limit %d, backwards %v)", q, opts.After, opts.Limit, opts.Backwards)
	c.wantPositions(what, res.Events, want...)
	if res.Complete != complete {
		c.Fatalf("%s: Complete %v, want %v", what, res.Complete, complete)
	}
	if res.Head < head || (c.gapless() && res.Head != head) {
		c.Fatalf("%s: Head %d, want %d (the log's last position, matching or not)", what, res.Head, head)
	}
	return res
}

func dcbReadTypeOnly(c *logCase) {
	p := c.dcbFixture()
	c.wantQuery(es.Types("StudentSubscribed"), store.QueryRead{}, p[6], true, p[3], p[4], p[6])
	c.wantQuery(es.Types("CourseDefined", "StudentRegistered"), store.QueryRead{}, p[6], true, p[1], p[2], p[5])
	c.wantQuery(es.Types("Unknown"), store.QueryRead{}, p[6], true)
}

func dcbReadTagOnly(c *logCase) {
	p := c.dcbFixture()
	c.wantQuery(es.Tags("course:c1"), store.QueryRead{}, p[6], true, p[1], p[3], p[6])
	c.wantQuery(es.Tags("student:s1"), store.QueryRead{}, p[6], true, p[2], p[3], p[4])
	// Tags within an item are ANDed.
	c.wantQuery(es.Tags("course:c1", "student:s1"), store.QueryRead{}, p[6], true, p[3])
	c.wantQuery(es.Tags("course:c2", "student:s2"), store.QueryRead{}, p[6], true)
}

func dcbReadTypesAndTags(c *logCase) {
	p := c.dcbFixture()
	// Type AND tags; events carrying a wider tag set than the item match.
	c.wantQuery(es.Items(es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"student:s1"}}), store.QueryRead{}, p[6], true, p[3], p[4])
	c.wantQuery(es.Items(es.QueryItem{Types: []string{"CourseDefined"}, Tags: []es.Tag{"course:c1"}}), store.QueryRead{}, p[6], true, p[1])
	c.wantQuery(es.Items(es.QueryItem{Types: []string{"CourseDefined", "StudentSubscribed"}, Tags: []es.Tag{"course:c2"}}), store.QueryRead{}, p[6], true, p[4], p[5])
	c.wantQuery(es.Items(es.QueryItem{Types: []string{"StudentRegistered"}, Tags: []es.Tag{"course:c1"}}), store.QueryRead{}, p[6], true)
}

func dcbReadMultiItem(c *logCase) {
	p := c.dcbFixture()
	c.wantQuery(es.Items(
		es.QueryItem{Types: []string{"CourseDefined"}, Tags: []es.Tag{"course:c2"}},
		es.QueryItem{Tags: []es.Tag{"student:s2"}},
	), store.QueryRead{}, p[6], true, p[5], p[6])
	// An event matching several items is returned once, in position order.
	c.wantQuery(es.Items(
		es.QueryItem{Types: []string{"StudentSubscribed"}},
		es.QueryItem{Tags: []es.Tag{"course:c1"}},
		es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"course:c1"}},
	), store.QueryRead{}, p[6], true, p[1], p[3], p[4], p[6])
	// Items that match nothing do not hide the ones that do.
	c.wantQuery(es.Items(
		es.QueryItem{Types: []string{"Unknown"}},
		es.QueryItem{Tags: []es.Tag{"student:s9"}},
		es.QueryItem{Types: []string{"StudentRegistered"}},
	), store.QueryRead{}, p[6], true, p[2])
}

func dcbReadAll(c *logCase) {
	p := c.dcbFixture()
	c.wantQuery(es.All(), store.QueryRead{}, p[6], true, p[1:]...)
	c.wantQuery(es.All(), store.QueryRead{After: p[4]}, p[6], true, p[5], p[6])
}

func dcbReadAfter(c *logCase) {
	p := c.dcbFixture()
	q := es.Tags("course:c1")
	c.wantQuery(q, store.QueryRead{After: 0}, p[6], true, p[1], p[3], p[6])
	c.wantQuery(q, store.QueryRead{After: p[1]}, p[6], true, p[3], p[6])
	c.wantQuery(q, store.QueryRead{After: p[3]}, p[6], true, p[6])
	c.wantQuery(q, store.QueryRead{After: p[5]}, p[6], true, p[6])
	c.wantQuery(q, store.QueryRead{After: p[6]}, p[6], true)
	c.wantQuery(q, store.QueryRead{After: p[6] + 10}, p[6], true)
}

func dcbReadBackwards(c *logCase) {
	p := c.dcbFixture()
	q := es.Tags("course:c1")
	c.wantQuery(q, store.QueryRead{Backwards: true}, p[6], true, p[6], p[3], p[1])
	c.wantQuery(q, store.QueryRead{Backwards: true, After: p[1]}, p[6], true, p[6], p[3])
	c.wantQuery(q, store.QueryRead{Backwards: true, Limit: 2}, p[6], false, p[6], p[3])
	c.wantQuery(q, store.QueryRead{Backwards: true, Limit: 1, After: p[3]}, p[6], true, p[6])
	c.wantQuery(es.All(), store.QueryRead{Backwards: true, Limit: 3}, p[6], false, p[6], p[5], p[4])
}

func dcbReadLimit(c *logCase) {
	p := c.dcbFixture()
	q := es.Types("StudentSubscribed")
	c.wantQuery(q, store.QueryRead{Limit: 1}, p[6], false, p[3])
	c.wantQuery(q, store.QueryRead{Limit: 2}, p[6], false, p[3], p[4])
	c.wantQuery(q, store.QueryRead{Limit: 3}, p[6], true, p[3], p[4], p[6])
	c.wantQuery(q, store.QueryRead{Limit: 4}, p[6], true, p[3], p[4], p[6])
	c.wantQuery(q, store.QueryRead{Limit: 0}, p[6], true, p[3], p[4], p[6])
	c.wantQuery(q, store.QueryRead{Limit: 1, After: p[4]}, p[6], true, p[6])
	// The continuation of an incomplete read starts after its last event.
	first := c.readQuery(q, store.QueryRead{Limit: 2})
	c.wantQuery(q, store.QueryRead{Limit: 2, After: first.Events[len(first.Events)-1].Position}, p[6], true, p[6])
}

func dcbReadHead(c *logCase) {
	p := c.dcbFixture()
	// The head is the log's last position, not the last match.
	res := c.wantQuery(es.Types("CourseDefined"), store.QueryRead{}, p[6], true, p[1], p[5])
	// Nothing appended later may land at or below a head a read returned.
	r := c.mustAppendIf(nil, c.ev("Later", "course:c1"))
	if r.Positions[0] <= res.Head {
		c.Fatalf("an event appended after a read that returned Head %d landed at position %d", res.Head, r.Positions[0])
	}
	none := c.wantQuery(es.Types("Unknown"), store.QueryRead{}, r.Positions[0], true)
	// The head is the right After for a condition on the same query.
	c.mustAppendIf(cond(es.Types("CourseDefined"), res.Head), c.ev("CourseDefined", "course:c3"))
	if none.Head < r.Positions[0] {
		c.Fatalf("ReadQuery after the append returned Head %d below the appended position %d", none.Head, r.Positions[0])
	}
}

func dcbReadInvalid(c *logCase) {
	c.dcbFixture()
	for _, tc := range invalidQueries() {
		_, err := store.ReadQuery(c.ctx, c.s, tc.q, store.QueryRead{})
		c.wantCode(err, es.CodeInvalidQuery, "ReadQuery with "+tc.what)
	}
}

// invalidQueries lists malformed queries that must be INVALID_QUERY.
func invalidQueries() []struct {
	what string
	q    es.Query
} {
	return []struct {
		what string
		q    es.Query
	}{
		{"the zero Query (no items)", es.Query{}},
		{"an empty item list", es.Items()},
		{"an item with neither types nor tags", es.Items(es.QueryItem{})},
		{"a valid item and one with neither types nor tags", es.Items(es.QueryItem{Types: []string{"A"}}, es.QueryItem{})},
		{"an item with empty (non-nil) types and tags", es.Items(es.QueryItem{Types: []string{}, Tags: []es.Tag{}})},
		{"duplicate tags in an item", es.Tags("course:c1", "course:c1")},
		{"an empty type", es.Types("")},
		{"an empty tag", es.Tags("")},
		{"a type with a control character", es.Types("A\x00")},
	}
}

func dcbAppendEmptyStore(c *logCase) {
	// Each variant runs on the empty store inside a unit of work that is
	// then rolled back, so the next variant sees an empty store again.
	rollback := errors.New("roll back")
	variants := []struct {
		what string
		cond *es.AppendCondition
	}{
		{"no condition", nil},
		{"a type condition, after absent", cond(es.Types("CourseDefined"))},
		{"a tag condition, after 0", cond(es.Tags("course:c1"), 0)},
		{"All, after absent", cond(es.All())},
		{"All, after 0", cond(es.All(), 0)},
		{"All, after past the head (5)", cond(es.All(), 5)},
		{"a multi-item condition, after past the head (1)", cond(es.Items(es.QueryItem{Types: []string{"X"}}, es.QueryItem{Tags: []es.Tag{"course:c1"}}), 1)},
	}
	for _, v := range variants {
		var res es.AppendResult
		err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
			var err error
			res, err = tx.Events().Append(c.ctx, es.AppendRequest{Condition: v.cond, Events: []es.Event{c.ev("CourseDefined", "course:c1")}})
			if err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			c.Fatalf("append to an empty store with %s: got %v, want success", v.what, err)
		}
		if len(res.Positions) != 1 || res.Positions[0] < 1 || (c.gapless() && res.Positions[0] != 1) {
			c.Fatalf("append to an empty store with %s: positions %v, want [1]", v.what, res.Positions)
		}
		if n := len(c.log()); n != 0 {
			c.Fatalf("after rolling back the append with %s the log holds %d events, want 0", v.what, n)
		}
	}
	// And for real: the first committed event of an empty store is at 1.
	r := c.mustAppendIf(cond(es.All()), c.ev("CourseDefined", "course:c1"))
	if c.gapless() && r.Positions[0] != 1 {
		c.Fatalf("committed conditional append to an empty store: position %d, want 1", r.Positions[0])
	}
	c.wantConditionFailed(c.wantRejected("All, after absent, on a store holding one event", es.AppendRequest{Condition: cond(es.All()), Events: []es.Event{c.ev("X")}}, es.CodeAppendCondition),
		cond(es.All()), "All on a non-empty store")
}

func dcbAppendEmptyNoCondition(c *logCase) {
	r := c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	if !slices.Equal(r.Positions, []es.Position{1}) {
		c.Fatalf("unconditional append to an empty store: positions %v, want [1]", r.Positions)
	}
}

// conflictCase appends the stored events, then requires that an append
// under cnd is rejected with APPEND_CONDITION_FAILED, carrying cnd, writing
// nothing.
func (c *logCase) wantConflict(what string, cnd *es.AppendCondition) {
	c.T.Helper()
	err := c.wantRejected(what, es.AppendRequest{Condition: cnd, Events: []es.Event{c.ev("Attempt", "course:c1")}}, es.CodeAppendCondition)
	c.wantConditionFailed(err, cnd, what)
	if !errors.Is(err, es.ErrAppendCondition) {
		c.Fatalf("%s: errors.Is(err, es.ErrAppendCondition) is false for %v", what, err)
	}
}

// wantNoConflict requires an append under cnd to succeed.
func (c *logCase) wantNoConflict(what string, cnd *es.AppendCondition) es.AppendResult {
	c.T.Helper()
	res, err := c.append(es.AppendRequest{Condition: cnd, Events: []es.Event{c.ev("Attempt")}})
	if err != nil {
		c.Fatalf("%s: false conflict: append under %s failed: %v", what, condString(cnd), err)
	}
	return res
}

func dcbConflictExact(c *logCase) {
	c.mustAppendIf(nil, c.ev("StudentSubscribed", "course:c1"))
	c.wantConflict("event StudentSubscribed[course:c1] vs item {StudentSubscribed, course:c1}",
		cond(es.Items(es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"course:c1"}})))
	c.wantConflict("the same with after 0",
		cond(es.Items(es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"course:c1"}}), 0))
}

func dcbConflictWiderTags(c *logCase) {
	c.mustAppendIf(nil, c.ev("StudentSubscribed", "course:c1", "student:s1", "term:t1"))
	c.wantConflict("event with tags [course:c1 student:s1 term:t1] vs item tags [course:c1]", cond(es.Tags("course:c1")))
	c.wantConflict("the same event vs item {StudentSubscribed, [student:s1 course:c1]}",
		cond(es.Items(es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"student:s1", "course:c1"}})))
}

func dcbConflictTypeOnly(c *logCase) {
	c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	c.wantConflict("type-only item [CourseDefined]", cond(es.Types("CourseDefined")))
	c.wantConflict("type-only item [Other CourseDefined]", cond(es.Types("Other", "CourseDefined")))
}

func dcbConflictTagOnly(c *logCase) {
	c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	c.mustAppendTo("stream-events-count-too", es.NoStream, c.ev("StudentRegistered", "student:s1"))
	c.wantConflict("tag-only item [course:c1]", cond(es.Tags("course:c1")))
	c.wantConflict("tag-only item [student:s1] on an event appended to a stream", cond(es.Tags("student:s1")))
}

func dcbConflictAnyItem(c *logCase) {
	p := c.dcbFixture()
	c.wantConflict("three items, only the last matching", cond(es.Items(
		es.QueryItem{Types: []string{"Unknown"}},
		es.QueryItem{Tags: []es.Tag{"student:s9"}},
		es.QueryItem{Types: []string{"CourseDefined"}, Tags: []es.Tag{"course:c2"}},
	)))
	c.wantConflict("two items, only the first matching after p[5]", cond(es.Items(
		es.QueryItem{Tags: []es.Tag{"student:s2"}},
		es.QueryItem{Types: []string{"StudentRegistered"}},
	), p[5]))
	c.wantNoConflict("two items whose only matches sit at or before after", cond(es.Items(
		es.QueryItem{Tags: []es.Tag{"course:c2"}},
		es.QueryItem{Types: []string{"StudentRegistered"}},
	), p[5]))
}

func dcbConflictAll(c *logCase) {
	p := c.dcbFixture()
	c.wantConflict("All, after absent, on a non-empty store", cond(es.All()))
	c.wantConflict("All, after 0", cond(es.All(), 0))
	c.wantConflict("All, after the second-to-last position", cond(es.All(), p[5]))
	head := c.readQuery(es.All(), store.QueryRead{}).Head
	c.wantNoConflict("All, after the head", cond(es.All(), head))
}

func dcbNoConflictType(c *logCase) {
	c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	c.wantNoConflict("event CourseDefined vs type-only item [CourseRenamed]", cond(es.Types("CourseRenamed")))
	c.wantNoConflict("event CourseDefined[course:c1] vs item {CourseRenamed, course:c1}",
		cond(es.Items(es.QueryItem{Types: []string{"CourseRenamed"}, Tags: []es.Tag{"course:c1"}})))
}

func dcbNoConflictTagSubset(c *logCase) {
	c.mustAppendIf(nil, c.ev("StudentSubscribed", "course:c1"))
	c.wantNoConflict("event tags [course:c1] vs item tags [course:c1 student:s1]", cond(es.Tags("course:c1", "student:s1")))
	c.wantNoConflict("the same with the event's type",
		cond(es.Items(es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"student:s1", "course:c1"}})))
}

func dcbNoConflictTags(c *logCase) {
	c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	c.mustAppendIf(nil, c.ev("CourseDefined"))
	c.wantNoConflict("event tags [course:c1] vs item tags [course:c2]", cond(es.Tags("course:c2")))
	c.wantNoConflict("tags are compared whole: [course:c] is not a prefix match", cond(es.Tags("course:c")))
	c.wantNoConflict("tags are case sensitive: [Course:c1]", cond(es.Tags("Course:c1")))
}

func dcbNoConflictAfter(c *logCase) {
	r := c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	p := r.Positions[0]
	c.mustAppendIf(nil, c.ev("Unrelated"))
	c.wantNoConflict("matching event exactly at after", cond(es.Tags("course:c1"), p))
	c.wantNoConflict("matching event before after", cond(es.Tags("course:c1"), p+1))
	c.wantConflict("matching event just after after (after is exclusive)", cond(es.Tags("course:c1"), p-1))
}

func dcbAfterVariants(c *logCase) {
	r := c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	q := es.Tags("course:c1")
	c.wantConflict("after absent with a matching event", cond(q))
	c.wantConflict("after 0 with a matching event", cond(q, 0))
	head := c.readAll(store.LogRead{}).Head
	c.wantNoConflict("after at the head", cond(q, head))
	c.wantNoConflict("after past the head", cond(q, head+1000))
	if r.Positions[0] > head {
		c.Fatalf("ReadAll Head %d is below the appended position %d", head, r.Positions[0])
	}
}

func dcbConditionIgnoresOwn(c *logCase) {
	c.mustAppendIf(nil, c.ev("Unrelated", "x:1"))
	// The condition is checked against stored events only, never against
	// the events being appended.
	r := c.mustAppendIf(cond(es.Tags("course:c1")), c.ev("CourseDefined", "course:c1"), c.ev("CourseDefined", "course:c1"))
	if len(r.Positions) != 2 {
		c.Fatalf("conditional append whose own events match the condition: positions %v, want 2", r.Positions)
	}
	c.wantConflict("the same condition once the events are stored", cond(es.Tags("course:c1")))
}

func dcbConditionSeesUnit(c *logCase) {
	var second error
	err := c.s.Atomic(c.ctx, func(tx store.Tx) error {
		if _, err := tx.Events().Append(c.ctx, es.AppendRequest{Events: []es.Event{c.ev("CourseDefined", "course:c1")}}); err != nil {
			return err
		}
		_, second = tx.Events().Append(c.ctx, es.AppendRequest{Condition: cond(es.Tags("course:c1")), Events: []es.Event{c.ev("CourseDefined", "course:c1")}})
		return nil
	})
	if err != nil {
		c.Fatalf("unit of work: %v", err)
	}
	c.wantConditionFailed(second, cond(es.Tags("course:c1")), "conditional append after a matching append in the same unit of work")
	if n := len(c.log()); n != 1 {
		c.Fatalf("log holds %d events, want 1 (the second append was rejected)", n)
	}
}

func dcbRejectedNoPosition(c *logCase) {
	r1 := c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	for i := 0; i < 3; i++ {
		c.wantConflict(fmt.Sprintf("rejected attempt %d", i+1), cond(es.Tags("course:c1")))
	}
	r2 := c.mustAppendIf(nil, c.ev("CourseDefined", "course:c2"))
	if r2.Positions[0] <= r1.Positions[0] {
		c.Fatalf("position %d after %d", r2.Positions[0], r1.Positions[0])
	}
	if c.gapless() && r2.Positions[0] != r1.Positions[0]+1 {
		c.Fatalf("three rejected appends left a gap: the next successful append got position %d, want %d", r2.Positions[0], r1.Positions[0]+1)
	}
	c.wantPositions("whole log", c.log(), r1.Positions[0], r2.Positions[0])
}

func dcbInvalidCondition(c *logCase) {
	c.mustAppendIf(nil, c.ev("CourseDefined", "course:c1"))
	for _, tc := range invalidQueries() {
		c.wantRejected("condition with "+tc.what, es.AppendRequest{Condition: cond(tc.q), Events: []es.Event{c.ev("X")}}, es.CodeInvalidQuery)
		c.wantRejected("stream append with condition with "+tc.what, es.AppendRequest{Stream: "s", Condition: cond(tc.q), Events: []es.Event{c.ev("X")}}, es.CodeInvalidQuery)
	}
	c.wantRejected("condition with a negative after", es.AppendRequest{Condition: cond(es.All(), -1), Events: []es.Event{c.ev("X")}}, es.CodeInvalidArgument)
}

func dcbConditionAndVersion(c *logCase) {
	c.mustAppendTo("s", es.NoStream, c.ev("Opened", "acct:1"))
	c.mustAppendIf(nil, c.ev("Limit", "acct:1"))
	// Both hold: the append succeeds.
	r := c.mustAppend("condition holds and version matches", es.AppendRequest{
		Stream: "s", Expected: es.Exact(1), Condition: cond(es.Types("Closed")), Events: []es.Event{c.ev("Deposited", "acct:1")},
	})
	if r.Version != 2 {
		c.Fatalf("condition holds and version matches: version %d, want 2", r.Version)
	}
	// The condition fails, the version matches.
	cnd := cond(es.Types("Limit"))
	err := c.wantRejected("condition fails, version matches", es.AppendRequest{Stream: "s", Expected: es.Exact(2), Condition: cnd, Events: []es.Event{c.ev("Deposited")}}, es.CodeAppendCondition)
	c.wantConditionFailed(err, cnd, "condition fails, version matches")
	// The condition holds, the version does not.
	err = c.wantRejected("condition holds, version stale", es.AppendRequest{Stream: "s", Expected: es.Exact(1), Condition: cond(es.Types("Closed")), Events: []es.Event{c.ev("Deposited")}}, es.CodeConcurrency)
	c.wantConcurrency(err, "s", es.Exact(1), 2, "condition holds, version stale")
	// Both fail: either error, nothing written.
	before := c.log()
	_, err = c.append(es.AppendRequest{Stream: "s", Expected: es.NoStream, Condition: cnd, Events: []es.Event{c.ev("Deposited")}})
	if code := es.CodeOf(err); code != es.CodeConcurrency && code != es.CodeAppendCondition {
		c.Fatalf("condition fails and version stale: got %v, want CONCURRENCY_CONFLICT or APPEND_CONDITION_FAILED", err)
	}
	c.wantLogUnchanged("condition fails and version stale", before)
	c.wantVersion("s", 2)
}

func dcbDecisionModel(c *logCase) {
	c.dcbFixture()
	q := es.Items(
		es.QueryItem{Types: []string{"CourseDefined"}, Tags: []es.Tag{"course:c1"}},
		es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"course:c1"}},
	)
	// Two deciders read the same decision model.
	a := c.readQuery(q, store.QueryRead{})
	b := c.readQuery(q, store.QueryRead{})
	if !slices.Equal(positionsOf(a.Events), positionsOf(b.Events)) || a.Head != b.Head {
		c.Fatalf("two reads of an unchanged log differ: %v head %d vs %v head %d", positionsOf(a.Events), a.Head, positionsOf(b.Events), b.Head)
	}
	// The first writer wins; the second, deciding on the same model, loses.
	c.mustAppendIf(cond(q, a.Head), c.ev("StudentSubscribed", "course:c1", "student:s3"))
	c.wantConflict("second writer with the same stale head", cond(q, b.Head))
	// An unrelated append does not invalidate the refreshed model.
	fresh := c.readQuery(q, store.QueryRead{})
	c.mustAppendIf(nil, c.ev("StudentSubscribed", "course:c2", "student:s4"))
	c.mustAppendIf(cond(q, fresh.Head), c.ev("StudentSubscribed", "course:c1", "student:s4"))
}
