// Package steps is eventspec's godog step library: a reusable Gherkin
// vocabulary for deciders, decider handlers, state machines and invariants,
// over a registry of the project's event and command types.
//
// # Running features
//
// Register the domain and run the embedded feature files from a test:
//
//	//go:embed features
//	var features embed.FS
//
//	func TestFeatures(t *testing.T) {
//		steps.Run(t, steps.Options{Features: features, Register: orders.Register})
//	}
//
// Run is strict (undefined, pending and ambiguous steps fail), runs every
// scenario as a subtest of t, shuffles scenarios with a seed it logs
// (EVENTSPEC_SEED=<seed> replays an order), prints pretty output, and with
// EVENTSPEC_FORMAT=junit or cucumber (or both, comma-separated) also writes
// a report per test to EVENTSPEC_REPORT_DIR. Scenarios tagged @stub or
// @roadmap are skipped.
//
// # Registration fails loudly
//
// Every step pattern is anchored (^…$) and checked before anything runs:
// the same pattern twice is DUPLICATE_STEP; two patterns that can match the
// same text — found by generating sample texts from each pattern's regular
// expression and matching them against the others — are AMBIGUOUS_STEP; a
// step function whose arguments do not fit its pattern is INVALID_STEP.
// Suite.Err lists every problem with the file and line of each
// registration, and Run fails the test with it.
//
// # The World
//
// Every scenario gets a new World (WorldFrom(ctx) in a step): a virtual
// clock at 2026-01-01T00:00:00Z, sequential ids, a run id, a lazily opened
// store (memstore by default) closed after the scenario, LastResult and
// LastErr — When steps record outcomes there instead of failing, Then steps
// assert on them — and a free-form Scenario map. Stream ids named in steps
// are prefixed with the run id (Suite.Isolate), so scenarios can share one
// store.
//
// # Vocabulary
//
// Tables are vertical ("| field | value |") for one value and horizontal
// with a "type" column for lists of events; see package given for the
// parsing rules and the errors that name row, column and expected type.
//
// Deciders (RegisterDecider; spec §14 rule 18):
//
//	Given a decider context
//	Given a decider context:                      (now, commandId, correlationId)
//	Given the <name> decider
//	Given an <aggregate> state:                   (vertical table of the state)
//	Given no existing <aggregate> state
//	Given the events:                             (typed table, folded into the state)
//	When I decide to <command> with:              ("place order" finds PlaceOrder)
//	When I decide to <command>
//	When [the|a|an] <Event> event is applied[:]
//	Then the decision should be "success|rejected|failed"
//	Then the rejection code should be "<CODE>"
//	Then the rejection message should (be|contain) "<text>"
//	Then the failure reason should (be|contain) "<text>"
//	Then the failure event type should be "<Type>"
//	Then the event type should be "<Type>"
//	Then the event [payload] should have <field> <value>
//	Then the events should be[ exactly]:          (typed table; exactly = whole events)
//	Then no events should be emitted
//	Then the data should have <field> <value>
//	Then the (decision|rejection|failure) context should have <key> <value>
//	Then the (decision|rejection|failure) should have no context
//	Then [the] [evolved] state should have <field> <value>
//	Then [the] [evolved] state should have:
//	Then the decider should pass its integrity checks
//
// Decisions run through package scenario, so a decider that mutates the
// state it was given, evolves differently on replay, decides differently
// twice or panics fails the When step with scenario's report.
//
// Handlers (RegisterHandler, on the scenario's store):
//
//	Given the events on stream "<id>":
//	Given another writer appends to stream "<id>" after the command loads it:
//	Given the command id is "<id>"
//	Given the correlation id is "<id>"
//	When the command <Command> is sent[ with:]
//	Then the command should succeed
//	Then the command is rejected with code <CODE>
//	Then the command fails with reason "<text>"
//	Then the events appended are[ exactly]:
//	Then no events are appended
//	Then the stream "<id>" should have version <n>
//	Then the stream "<id>" should contain:
//	Then the result (version|expected version) should be <n>
//	Then the result stream should be "<id>"
//	Then the appended events should have metadata:
//	Then the appended event ids should start with "<prefix>"
//	Then every appended event id should be unique
//
// State machines (RegisterFSM):
//
//	Given the <name> state machine
//	When I transition from "<from>" to "<to>"
//	When I assert the transition from "<from>" to "<to>"
//	When I validate the state machine definition
//	Then the transition from "<from>" to "<to>" should [not ]be allowed
//	Then the transition error should name from "<from>" and to "<to>"
//	Then the transition error should list the valid transitions "<a, b>"
//	Then the valid transitions from "<from>" should be "<a, b>"[ in any order]
//	Then there should be no valid transitions from "<from>"
//	Then "<state>" should [not ]be a terminal state
//	Then "<state>" should [not ]be a valid state
//	Then "<state>" should [not ]be the initial state
//	Then the [terminal |non-terminal ]states should be "<a, b>"[ in any order]
//	Then the allowed transitions should be:       (| from | to |)
//	Then the state machine definition should be valid
//	Then the standalone functions should agree with the methods for every pair of states
//
// Invariants (RegisterInvariants, RegisterInvariantSet; on the scenario's
// aggregate state):
//
//	When I (check|assert|validate) the invariant "<name>"
//	When I (check|assert|validate) the "<set>" invariants
//	Then the invariant(s) should (hold|be violated)
//	Then the invariant(s) "<a>", "<b>" should (hold|be violated)   (on the current state)
//	Then the violation codes should be "<A, B>"
//	Then the violations should be:                (| name | code | message |)
//	Then the violation (context|data) should have <key> <value>
//	Then the violation should have no context
//	Then the error should be a[n] <Name> with code "<CODE>"
//
// Time, errors and results:
//
//	Given the time is "<RFC 3339>"
//	When <n> (milliseconds|seconds|minutes|hours|days) pass
//	When I advance time by <n> (milliseconds|seconds|…)
//	Then the time should be "<RFC 3339>"
//	Then no error should have occurred
//	Then an error should have occurred
//	Then the error code should be "<CODE>"
//	Then the error message should (be|contain) "<text>"
//	Then the error message should be:             (doc string)
//	Then the result should be <value>
//
// The counterexamples package scenario/property prints (Given the events,
// When I decide to …, Then the invariants "…" should hold) run as they are
// with this vocabulary.
//
// Values in "should have" steps are parsed by the type of the field they
// are compared with (so "3" equals int 3 and "1h" a duration); a value in
// double quotes is taken without them.
package steps
