package es_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/eventspec/eventspec/es"
)

// A DCB decision: read what matters for course c1, note the log's head,
// and append only if nothing that matters arrived after it.
func ExampleAppendCondition() {
	relevant := es.Items(
		es.QueryItem{Types: []string{"CourseDefined", "CourseCapacityChanged"}, Tags: []es.Tag{"course:c1"}},
		es.QueryItem{Types: []string{"StudentSubscribed"}, Tags: []es.Tag{"course:c1"}},
	)
	const head = es.Position(42) // from the read's QueryResult.Head
	cond := es.FailIfMatch(relevant).WithAfter(head)

	req := es.AppendRequest{
		Condition: &cond,
		Events:    []es.Event{es.MustEvent("StudentSubscribed", map[string]string{"student": "s8"}, "course:c1", "student:s8")},
	}
	fmt.Println("valid:", req.Validate() == nil)

	subscribed := es.Event{Type: "StudentSubscribed", Tags: []es.Tag{"course:c1", "student:s7"}}
	elsewhere := es.Event{Type: "StudentSubscribed", Tags: []es.Tag{"course:c2", "student:s7"}}
	fmt.Println("seen at 41:", cond.ConflictsWith(subscribed, 41))
	fmt.Println("new at 43:", cond.ConflictsWith(subscribed, 43))
	fmt.Println("other course at 43:", cond.ConflictsWith(elsewhere, 43))

	err := error(&es.ConditionFailedError{Condition: cond})
	fmt.Println(errors.Is(err, es.ErrAppendCondition), es.CodeOf(err))
	// Output:
	// valid: true
	// seen at 41: false
	// new at 43: true
	// other course at 43: false
	// true APPEND_CONDITION_FAILED
}

// An item matches when the type is one of its types AND the event carries
// all its tags; a query is the OR of its items.
func ExampleQuery_Matches() {
	q := es.Items(
		es.QueryItem{Types: []string{"OrderPlaced"}, Tags: []es.Tag{"customer:c1"}},
		es.QueryItem{Tags: []es.Tag{"order:o9"}},
	)
	fmt.Println(q)
	for _, e := range []es.Event{
		{Type: "OrderPlaced", Tags: []es.Tag{"customer:c1", "order:o1"}},
		{Type: "OrderPlaced", Tags: []es.Tag{"customer:c2"}},
		{Type: "OrderShipped", Tags: []es.Tag{"order:o9"}},
		{Type: "OrderShipped", Tags: []es.Tag{"customer:c1"}},
	} {
		fmt.Println(e.Type, e.Tags, q.Matches(e))
	}
	fmt.Println(es.Items(es.QueryItem{}).Validate())
	// Output:
	// [types(OrderPlaced) tags(customer:c1)] OR [tags(order:o9)]
	// OrderPlaced [customer:c1 order:o1] true
	// OrderPlaced [customer:c2] false
	// OrderShipped [order:o9] true
	// OrderShipped [customer:c1] false
	// INVALID_QUERY: query item 0 has neither types nor tags
}

func ExampleExpectedVersion_Allows() {
	for _, e := range []es.ExpectedVersion{es.Any, es.NoStream, es.StreamExists, es.Exact(2)} {
		fmt.Printf("%-13s at 0: %-5v at 2: %v\n", e, e.Allows(0), e.Allows(2))
	}
	// Output:
	// any           at 0: true  at 2: true
	// no-stream     at 0: true  at 2: false
	// stream-exists at 0: false at 2: true
	// 2             at 0: false at 2: true
}

func ExampleCanonicalJSON() {
	out, err := es.CanonicalJSON([]byte(`{ "total": 9.50, "id": "o-1", "lines": [ {"sku":"b","qty":2} ] }`))
	fmt.Println(string(out), err)
	// Output: {"id":"o-1","lines":[{"qty":2,"sku":"b"}],"total":9.50} <nil>
}

// A retried request with fresh event ids, reordered tags and reformatted
// data has the same fingerprint, so an idempotent append recognises it.
func ExampleFingerprint() {
	first := es.AppendRequest{Stream: "order-1", Events: []es.Event{{
		Type: "OrderPlaced", Data: []byte(`{"id":1,"total":5}`), Tags: []es.Tag{"order:1", "customer:c"},
		Metadata: es.Metadata{EventID: "e-1"},
	}}}
	retry := es.AppendRequest{Stream: "order-1", Events: []es.Event{{
		Type: "OrderPlaced", Data: []byte(`{ "total": 5, "id": 1 }`), Tags: []es.Tag{"customer:c", "order:1"},
		Metadata: es.Metadata{EventID: "e-2"},
	}}}
	a, _ := es.Fingerprint(first)
	b, _ := es.Fingerprint(retry)
	fmt.Println(a == b, len(a))
	// Output: true 64
}

func ExampleCodeOf() {
	err := fmt.Errorf("placing order: %w", &es.ConcurrencyError{Stream: "order-1", Expected: es.NoStream, Actual: 3})
	fmt.Println(es.CodeOf(err))
	fmt.Println(errors.Is(err, es.ErrConcurrency))
	var ce *es.ConcurrencyError
	if errors.As(err, &ce) {
		fmt.Println(ce.Expected, ce.Actual)
	}
	// Output:
	// CONCURRENCY_CONFLICT
	// true
	// no-stream 3
}

func ExampleVirtualClock() {
	clock := es.NewVirtualClock(time.Time{}) // es.DefaultVirtualStart
	fmt.Println(clock.Now())
	fmt.Println(clock.Advance(90 * time.Minute))
	// Output:
	// 2026-01-01 00:00:00 +0000 UTC
	// 2026-01-01 01:30:00 +0000 UTC
}

func ExampleSequentialIDs() {
	ids := es.NewSequentialIDs()
	fmt.Println(ids.NewID())
	fmt.Println(ids.NewID())
	// Output:
	// 00000000-0000-7000-8000-000000000001
	// 00000000-0000-7000-8000-000000000002
}
