package scenario_test

import (
	"fmt"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/scenario"
)

// A tiny domain: a tally that can be incremented up to a limit.

type Tally struct{ Count int }

type Incremented struct{ By int }

type Increment struct{ By int }

var tally = decider.Decider[Tally, Increment, Incremented]{
	Name:    "tally",
	Initial: func() Tally { return Tally{} },
	Decide: func(s Tally, c Increment, _ decider.Context) decider.Outcome[Incremented] {
		if c.By <= 0 {
			return decider.Rejected[Incremented]("INVALID_STEP", fmt.Sprintf("step %d must be positive", c.By))
		}
		if s.Count+c.By > 10 {
			return decider.Rejected[Incremented]("LIMIT_REACHED", "a tally stops at 10")
		}
		return decider.Success(Incremented(c))
	},
	Evolve: func(s Tally, e Incremented) Tally { return Tally{Count: s.Count + e.By} },
}

// In a test, pass the *testing.T: scenario.Decider(tally).Given(…).When(…).Then(t, …).
// The Check twins return an error instead, as godog steps need.
func Example() {
	sc := scenario.Decider(tally).Given(Incremented{By: 4}, Incremented{By: 5})

	dc := sc.When(Increment{By: 1})
	fmt.Println(dc.CheckEvents(Incremented{By: 1}))
	fmt.Println(dc.CheckState(Tally{Count: 10}))

	fmt.Println(sc.When(Increment{By: 2}).CheckRejected("LIMIT_REACHED"))

	// A failed expectation explains itself.
	fmt.Println(sc.When(Increment{By: 1}).CheckEvents(Incremented{By: 2}))
	// Output:
	// <nil>
	// <nil>
	// <nil>
	// tally scenario: Then events failed
	//   Given 1. Incremented {"By":4}
	//     and 2. Incremented {"By":5}
	//   When  Increment {"By":1}
	//   Got   success with 1 event(s)
	// expected exactly these events, in this order: 1 event(s), got 1
	//     # | expected             | actual
	//   ✗ 1 | Incremented {"By":2} | Incremented {"By":1}
	// field-path diff (expected → actual):
	//     #1 By: 2 → 1
}

// Recorder collects what Then methods report, for callers that need an
// error value rather than a failing test.
func ExampleRecorder() {
	var rec scenario.Recorder
	scenario.Decider(tally).When(Increment{By: 0}).
		ThenRejected(&rec, "INVALID_STEP").
		ThenState(&rec, Tally{})
	fmt.Println(rec.Err())
	scenario.Decider(tally).When(Increment{By: 0}).ThenRejected(&rec, "LIMIT_REACHED")
	fmt.Println(rec.Failed())
	// Output:
	// <nil>
	// true
}
