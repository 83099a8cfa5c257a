package conformance_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/eventspec/eventspec/conformance"
	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/store"
)

// An adapter author records what a workload did in an Oracle and checks it
// against the whole log afterwards.
func ExampleOracle() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()

	var o conformance.Oracle
	q := es.Tags("seat:1A")
	read, _ := store.ReadQuery(ctx, s, q, store.QueryRead{})
	o.QueryRead(q, store.QueryRead{}, read)
	for guest := range 2 { // two deciders on the same snapshot: one wins
		cond := es.FailIfMatch(q).WithAfter(read.Head)
		req := es.AppendRequest{Condition: &cond, Events: []es.Event{es.MustEvent("SeatReserved", map[string]int{"guest": guest}, "seat:1A")}}
		res, err := store.Append(ctx, s, req)
		o.Append(req, res, err)
		if err != nil {
			fmt.Println("guest", guest, "rejected:", es.CodeOf(err))
		} else {
			fmt.Println("guest", guest, "written at", res.Positions[0])
		}
	}
	fmt.Println("oracle:", o.Check(ctx, s, conformance.CheckOptions{Gapless: true}))
	// Output:
	// guest 0 written at 1
	// guest 1 rejected: APPEND_CONDITION_FAILED
	// oracle: <nil>
}

// CheckLog reports a conditional append that succeeded although a matching
// event sat after its After: a missed conflict.
func ExampleCheckLog() {
	booked := es.MustEvent("SeatReserved", map[string]int{"guest": 1}, "seat:1A")
	booked.Metadata.EventID = "e1"
	again := es.MustEvent("SeatReserved", map[string]int{"guest": 2}, "seat:1A")
	again.Metadata.EventID = "e2"
	log := []es.Recorded{{Event: booked, Position: 1}, {Event: again, Position: 2}}

	cond := es.FailIfMatch(es.Tags("seat:1A")).WithAfter(0)
	obs := conformance.Observations{Appends: []conformance.ObservedAppend{{
		Request: es.AppendRequest{Condition: &cond, Events: []es.Event{again}},
		Result:  es.AppendResult{EventIDs: []string{"e2"}, Positions: []es.Position{2}},
	}}}
	err := conformance.CheckLog(log, obs, conformance.CheckOptions{Gapless: true})
	fmt.Println(strings.Contains(err.Error(), "missed conflict: the event at position 1"))
	// Output:
	// true
}
