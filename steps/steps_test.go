package steps_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/fsm"
	"github.com/eventspec/eventspec/platform/invariant"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

func TestBuiltInVocabularyIsSound(t *testing.T) {
	s := steps.NewSuite()
	if err := s.Err(); err != nil {
		t.Fatalf("the built-in steps clash:\n%v", err)
	}
	if n := len(s.Patterns()); n < 60 {
		t.Fatalf("only %d built-in patterns", n)
	}
}

func TestDuplicateStepPatternFailsLoudly(t *testing.T) {
	s := steps.NewSuite()
	s.Then(`^the decision should be "([^"]*)"$`, func(string) error { return nil })
	err := s.Err()
	if es.CodeOf(err) != steps.CodeDuplicateStep {
		t.Fatalf("got %v, want DUPLICATE_STEP", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, `duplicate step pattern "^the decision should be \"([^\"]*)\"$"`) ||
		!strings.Contains(msg, "registered at steps/decider.go:") || !strings.Contains(msg, "again at steps/steps_test.go:") {
		t.Fatalf("the message must name the pattern and both registrations:\n%s", msg)
	}
	// Without anchors the pattern is the same step.
	s2 := steps.NewSuite()
	s2.Given(`I pay (\d+) euros`, func(int) error { return nil })
	s2.Given(`^I pay (\d+) euros$`, func(int) error { return nil })
	if es.CodeOf(s2.Err()) != steps.CodeDuplicateStep {
		t.Fatalf("anchored and unanchored: %v", s2.Err())
	}
}

func TestAmbiguousStepPatternsFailLoudly(t *testing.T) {
	s := steps.NewSuite()
	s.When(`^I pay (\d+) euros$`, func(int) error { return nil })
	s.When(`^I pay (.+)$`, func(string) error { return nil })
	err := s.Err()
	if es.CodeOf(err) != steps.CodeAmbiguousStep {
		t.Fatalf("got %v, want AMBIGUOUS_STEP", err)
	}
	if !strings.Contains(err.Error(), `both match "I pay 0 euros"`) {
		t.Fatalf("the message must show a text both match: %v", err)
	}

	// Step kinds that cannot meet do not clash; Step (any kind) clashes
	// with all of them.
	ok := steps.NewSuite()
	ok.Given(`^a thing$`, func() {})
	ok.Then(`^a thing$`, func() {})
	if err := ok.Err(); err != nil {
		t.Fatalf("Given and Then with one text: %v", err)
	}
	ok.Step(`^a (thing)$`, func(string) {})
	if es.CodeOf(ok.Err()) != steps.CodeAmbiguousStep {
		t.Fatalf("Step vs Given: %v", ok.Err())
	}
}

func TestMalformedStepsAreReported(t *testing.T) {
	cases := []struct {
		name string
		add  func(*steps.Suite)
		want string
	}{
		{"not a function", func(s *steps.Suite) { s.Given(`^x$`, 42) }, "not a function"},
		{"bad pattern", func(s *steps.Suite) { s.Given(`^x(`, func() {}) }, "does not compile"},
		{"too few arguments", func(s *steps.Suite) { s.Given(`^x (\d+)$`, func() {}) }, "1 capture group(s) but the function takes 0"},
		{"too many arguments", func(s *steps.Suite) { s.Given(`^x$`, func(string) {}) }, "0 capture group(s) but the function takes 1"},
		{"unsupported argument", func(s *steps.Suite) { s.Given(`^x (\d+)$`, func(struct{}) {}) }, "godog cannot fill"},
		{"bad return", func(s *steps.Suite) { s.Given(`^x$`, func() int { return 0 }) }, "it returns int"},
		{"bad pair", func(s *steps.Suite) { s.Given(`^x$`, func() (error, context.Context) { return nil, nil }) }, "return (context.Context, error)"},
	}
	for _, c := range cases {
		s := steps.NewSuite()
		c.add(s)
		err := s.Err()
		if es.CodeOf(err) != steps.CodeInvalidStep || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want INVALID_STEP containing %q", c.name, err, c.want)
		}
	}
	// A table argument after the captures is fine.
	s := steps.NewSuite()
	s.Given(`^x (\d+):$`, func(context.Context, int, *godog.Table) error { return nil })
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestRunFailsOnDuplicateSteps runs Run in a child process: a suite with a
// duplicate pattern must fail the test before any scenario runs.
func TestRunFailsOnDuplicateSteps(t *testing.T) {
	if os.Getenv("STEPS_HELPER") == "duplicate" {
		steps.Run(t, steps.Options{
			Features: fstest.MapFS{"a.feature": {Data: []byte("Feature: a\n  Scenario: s\n    Given a decider context\n")}},
			Register: func(s *steps.Suite) { s.Given(`^a decider context$`, func() {}) },
		})
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunFailsOnDuplicateSteps$", "-test.v")
	cmd.Env = append(os.Environ(), "STEPS_HELPER=duplicate")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("the child run must fail; err %v, output:\n%s", err, out)
	}
	if !strings.Contains(string(out), `DUPLICATE_STEP: duplicate step pattern "^a decider context$"`) {
		t.Fatalf("the failure must name the duplicate:\n%s", out)
	}
	if strings.Contains(string(out), "Scenario: s") {
		t.Fatalf("no scenario may run:\n%s", out)
	}
}

func TestTableErrorInAStepNamesRowColumnAndType(t *testing.T) {
	s := newSuite(t, registerCounter(counterDecider))
	status, out := runText(t, s, `Feature: counter
  Scenario: a bad cell
    Given no existing counter state
    When I decide to increment with:
      | field | value |
      | id    | c-1   |
      | by    | lots  |
    Then the decision should be "success"
`)
	if status == 0 {
		t.Fatalf("the run must fail:\n%s", out)
	}
	const want = `INVALID_TABLE: Increment: row 3, column "value" (field "by"): value "lots" is not a valid int`
	if !strings.Contains(out, want) {
		t.Fatalf("output must contain\n%s\ngot:\n%s", want, out)
	}
}

func TestDeciderVocabulary(t *testing.T) {
	s := newSuite(t, registerCounter(counterDecider))
	status, out := runText(t, s, `Feature: counter
  Scenario: success with data, then state
    Given a counter state:
      | field | value |
      | id    | c-1   |
      | count | 2     |
    When I decide to increment with:
      | id | c-1 |
      | by | 3   |
    Then the decision should be "success"
    And the event type should be "Incremented"
    And the data should have count 5
    And the state should have count 5
    And the events should be:
      | type        | by | data                  |
      | Incremented | 3  | {"id":"c-1","by":3}   |

  Scenario: rejection with context
    Given no existing counter state
    When I decide to increment with:
      | id | c-1 |
      | by | -1  |
    Then the decision should be "rejected"
    And the rejection code should be "NOT_POSITIVE"
    And the rejection message should contain "positive"
    And the rejection context should have by -1
    And no events should be emitted

  Scenario: failure
    Given the events:
      | type        | id  | by |
      | Incremented | c-1 | 9  |
    When I decide to increment with:
      | id | c-1 |
      | by | 2   |
    Then the decision should be "failed"
    And the failure reason should be "cap reached"
    And the failure event type should be "Capped"
    And the state should have count 9
`)
	if status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
	if !strings.Contains(out, "3 scenarios (3 passed)") {
		t.Fatalf("output:\n%s", out)
	}
}

func TestDeciderFailuresExplainThemselves(t *testing.T) {
	s := newSuite(t, registerCounter(counterDecider))
	status, out := runText(t, s, `Feature: counter
  Scenario: wrong status
    Given no existing counter state
    When I decide to increment with:
      | id | c-1 |
      | by | -1  |
    Then the decision should be "success"

  Scenario: wrong events
    Given no existing counter state
    When I decide to increment with:
      | id | c-1 |
      | by | 2   |
    Then the events should be:
      | type        | by |
      | Incremented | 3  |
      | Capped      |    |

  Scenario: nothing decided
    Then the decision should be "success"
`)
	if status == 0 {
		t.Fatalf("the run must fail:\n%s", out)
	}
	for _, want := range []string{
		`expected the decision to be "success", got "rejected" (code "NOT_POSITIVE", message "increment must be positive")`,
		"events differ:",
		"expected 2 event(s), got 1",
		"row 2 (event 1, Incremented): by: expected 3, got 2",
		`  1 | Incremented | Incremented {"id":"c-1","by":2}`,
		`! 2 | Capped | -`,
		"no decision or command has been made yet",
		"3 scenarios (3 failed)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestBrokenDeciderThatMutatesStateIsCaught(t *testing.T) {
	s := newSuite(t, registerCounter(brokenDecider))
	status, out := runText(t, s, `Feature: counter
  Scenario: decide mutates
    Given no existing counter state
    When I decide to increment with:
      | id     | c-1 |
      | by     | 1   |
      | source | web |
    Then the decision should be "success"
`)
	if status == 0 {
		t.Fatalf("the run must fail:\n%s", out)
	}
	for _, want := range []string{
		"counter scenario: decider integrity failed",
		`When  Increment {"id":"c-1","by":1,"source":"web"}`,
		"Decide mutated the state it was given",
		`Seen["web"]: (none) → true`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestHandlerVocabularyAndIsolation(t *testing.T) {
	s := newSuite(t, registerCounter(counterDecider))
	var streams []string
	s.Then(`^the log should hold only isolated streams$`, func(ctx context.Context) error {
		w := steps.WorldFrom(ctx)
		st, err := w.Store()
		if err != nil {
			return err
		}
		page, err := store.ReadAll(ctx, st, store.LogRead{})
		if err != nil {
			return err
		}
		for _, e := range page.Events {
			if !strings.HasPrefix(string(e.StreamID), w.RunID+"_") {
				return errors.New("stream " + string(e.StreamID) + " is not prefixed with " + w.RunID)
			}
			streams = append(streams, string(e.StreamID))
		}
		return nil
	})
	status, out := runText(t, s, `Feature: counter handler
  Scenario: first
    Given the events on stream "counter-c-1":
      | type        | id  | by |
      | Incremented | c-1 | 1  |
    When the command Increment is sent with:
      | id | c-1 |
      | by | 2   |
    Then the command should succeed
    And the events appended are:
      | type        | by |
      | Incremented | 2  |
    And the stream "counter-c-1" should have version 2
    And the log should hold only isolated streams

  Scenario: second starts empty
    When the command Increment is sent with:
      | id | c-1 |
      | by | 2   |
    Then the error code should be "NOT_FOUND"
    And no events are appended
    And the log should hold only isolated streams
`)
	if status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
	if len(streams) != 2 || streams[0] != streams[1] || !strings.HasSuffix(streams[0], "_counter-c-1") {
		t.Fatalf("streams seen: %v", streams)
	}
}

func TestWorldIsNewPerScenarioAndResetKeepsTheStore(t *testing.T) {
	s := newSuite(t, registerCounter(counterDecider))
	var worlds []*steps.World
	s.Then(`^I keep the world$`, func(ctx context.Context) {
		worlds = append(worlds, steps.WorldFrom(ctx))
	})
	status, out := runText(t, s, `Feature: worlds
  Scenario: one
    Given no existing counter state
    When I decide to increment with:
      | id | c-1 |
      | by | 1   |
    Then I keep the world

  Scenario: two
    Then I keep the world
`)
	if status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
	if len(worlds) != 2 || worlds[0] == worlds[1] || worlds[0].RunID == worlds[1].RunID {
		t.Fatalf("each scenario needs its own World and run id: %+v", worlds)
	}
	if worlds[0].LastResult == nil || worlds[1].LastResult != nil {
		t.Fatalf("results leaked between scenarios: %v / %v", worlds[0].LastResult, worlds[1].LastResult)
	}
	w := worlds[0]
	st, err := w.Store()
	if err != nil {
		t.Fatal(err)
	}
	w.Scenario["k"] = 1
	w.Reset()
	st2, err := w.Store()
	if err != nil {
		t.Fatal(err)
	}
	if w.LastResult != nil || w.LastErr != nil || len(w.Scenario) != 0 || st != st2 {
		t.Fatalf("Reset must clear results and keep the store")
	}
}

func TestRunWritesJUnitReportsAndReplaysTheSeed(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(steps.EnvFormat, "junit,cucumber")
	t.Setenv(steps.EnvReportDir, dir)
	t.Setenv(steps.EnvSeed, "4242")
	steps.Run(t, steps.Options{
		Features: fstest.MapFS{"counter/a.feature": {Data: []byte(`Feature: report
  Scenario: passes
    Given no existing counter state
    When I decide to increment with:
      | id | c-1 |
      | by | 1   |
    Then the decision should be "success"

  @stub
  Scenario: stubs do not run
    Then this step is undefined
`)}},
		Register: registerCounter(counterDecider),
		Output:   new(strings.Builder),
	})
	junit, err := os.ReadFile(filepath.Join(dir, "eventspec_eventspec_steps.TestRunWritesJUnitReportsAndReplaysTheSeed.junit.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(junit), `<testcase name="passes" status="passed"`) || strings.Contains(string(junit), "stubs do not run") {
		t.Fatalf("junit report:\n%s", junit)
	}
	if _, err := os.Stat(filepath.Join(dir, "eventspec_eventspec_steps.TestRunWritesJUnitReportsAndReplaysTheSeed.cucumber.json")); err != nil {
		t.Fatal(err)
	}
}

func TestRunRejectsBadEnvironment(t *testing.T) {
	t.Setenv(steps.EnvFormat, "html")
	if err := steps.Check(steps.Options{Features: fstest.MapFS{}}); err == nil || !strings.Contains(err.Error(), "use junit, cucumber") {
		t.Fatalf("bad format: %v", err)
	}
	t.Setenv(steps.EnvFormat, "")
	t.Setenv(steps.EnvSeed, "soon")
	if err := steps.Check(steps.Options{Features: fstest.MapFS{}}); err == nil || !strings.Contains(err.Error(), "not a non-zero integer seed") {
		t.Fatalf("bad seed: %v", err)
	}
	t.Setenv(steps.EnvSeed, "")
	if err := steps.Check(steps.Options{}); err == nil || !strings.Contains(err.Error(), "Features is nil") {
		t.Fatalf("no features: %v", err)
	}
}

func TestRows(t *testing.T) {
	tbl := &godog.Table{Rows: []*messages.PickleTableRow{
		{Cells: []*messages.PickleTableCell{{Value: "field"}, {Value: "value"}}},
		{Cells: []*messages.PickleTableCell{{Value: "by"}, {Value: "3"}}},
	}}
	got := steps.Rows(tbl)
	if len(got) != 2 || got[1][0] != "by" || got[1][1] != "3" {
		t.Fatalf("got %v", got)
	}
	if steps.Rows(nil) != nil {
		t.Fatal("nil table")
	}
}

// The counterexamples scenario/property prints are runnable features.
func TestPropertyCounterexampleRunsAsAFeature(t *testing.T) {
	s := steps.NewSuite()
	registerCounter(counterDecider)(s)
	steps.RegisterInvariants(s, "counter", invariant.Must(invariant.New(invariant.Def[Counter]{
		Name: "belowTen", Code: "TOO_HIGH", Check: func(c Counter) bool { return c.Count < 10 },
	})))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	feature := `Feature: counterexample
  Scenario: counterexample found by rapid
    Given the events:
      | type        | id  | by |
      | Incremented | c-1 | 9  |
    When I decide to Increment with:
      | field | value |
      | id    | c-1   |
      | by    | 1     |
    Then the invariants "belowTen" should hold
`
	status, out := runText(t, s, feature)
	if status == 0 || !strings.Contains(out, `belowTen (TOO_HIGH): invariant belowTen violated`) {
		t.Fatalf("the counterexample must fail the same way:\n%s", out)
	}
	status, out = runText(t, s, strings.Replace(feature, `"belowTen" should hold`, `"belowTen" should be violated
    And the decider should pass its integrity checks`, 1))
	if status != 0 {
		t.Fatalf("status %d:\n%s", status, out)
	}
}

// Every kind of Then step fails, with a message saying what differed, when
// its expectation is false.
func TestThenStepsFailWhenWrong(t *testing.T) {
	type light string
	s := steps.NewSuite()
	registerCounter(counterDecider)(s)
	steps.RegisterFSM(s, "light", fsm.Define[light]("red", map[light][]light{"red": {"green"}, "green": {"red"}}))
	below := invariant.Must(invariant.New(invariant.Def[Counter]{
		Name: "belowThree", Code: "TOO_HIGH", Check: func(c Counter) bool { return c.Count < 3 },
		Context: func(c Counter) map[string]any { return map[string]any{"count": c.Count} },
	}))
	steps.RegisterInvariants(s, "counter", below)
	steps.RegisterInvariantSet(s, "counter", "all", invariant.NewSet(below))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ steps, want string }{
		{`Then the transition from "red" to "green" should not be allowed`, `expected the transition from "red" to "green" to be not allowed, but it is allowed`},
		{`Then "red" should be a terminal state`, `expected "red" to be a terminal state (valid transitions: green)`},
		{`Then the valid transitions from "red" should be "red"`, `expected the valid transitions from "red" to be red, got green`},
		{`Then the states should be "green, red"`, `expected the states green, red, got red, green`},
		{`When I transition from "red" to "red"
    Then the transition error should name from "red" and to "green"`, `expected the transition error to name from "red" to "green", got from "red" to "red"`},
		{`Given a counter state:
      | field | value |
      | count | 5     |
    When I validate the invariant "belowThree"
    Then the invariant should hold`, `expected the invariant to hold, but it is violated: TOO_HIGH`},
		{`Given a counter state:
      | field | value |
      | count | 5     |
    When I validate the "all" invariants
    Then the violation context should have count 4`, `count: expected 4, got 5`},
		{`Given a counter state:
      | field | value |
      | count | 1     |
    When I assert the "all" invariants
    Then the invariants should be violated`, `expected the invariant to be violated, but it holds`},
		{`Given the events on stream "counter-c-1":
      | type        | id  | by |
      | Incremented | c-1 | 1  |
    When the command Increment is sent with:
      | id | c-1 |
      | by | 0   |
    Then the command should succeed`, `expected command Increment to succeed, got "rejected" (code "NOT_POSITIVE"`},
		{`Given the events on stream "counter-c-1":
      | type        | id  | by |
      | Incremented | c-1 | 1  |
    When the command Increment is sent with:
      | id | c-1 |
      | by | 1   |
    Then the stream "counter-c-1" should have version 3`, `expected stream "counter-c-1" at version 3, got 2`},
		{`Given the events on stream "counter-c-1":
      | type        | id  | by |
      | Incremented | c-1 | 1  |
    When the command Increment is sent with:
      | id | c-1 |
      | by | 1   |
    Then no events are appended`, `expected no events appended, got [Incremented]`},
		{`Given the events on stream "counter-c-1":
      | type        | id  | by |
      | Incremented | c-1 | 1  |
    When the command Increment is sent with:
      | id | c-1 |
      | by | 1   |
    Then the appended events should have metadata:
      | field       | value |
      | causationId | nope  |`, `causationId: expected "nope", got "cmd_test_001"`},
		{`When 1 hour passes
    Then the time should be "2026-01-01T00:00:00Z"`, `the time: expected 2026-01-01T00:00:00Z, got 2026-01-01T01:00:00Z`},
		{`When I transition from "red" to "green"
    Then the error code should be "X"`, `expected an error with code X, got no error (result "green")`},
	}
	for i, c := range cases {
		feature := "Feature: wrong\n  Scenario: wrong\n    Given the light state machine\n    " + c.steps + "\n"
		status, out := runText(t, s, feature)
		if status == 0 || !strings.Contains(out, c.want) {
			t.Errorf("case %d: status %d, want a failure containing %q:\n%s", i, status, c.want, out)
		}
	}
}
