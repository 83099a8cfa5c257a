package steps_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/cucumber/godog"

	messages "github.com/cucumber/messages/go/v34"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/fsm"
	"github.com/eventspec/eventspec/steps"
)

// Registering a pattern the vocabulary already has, or two patterns that
// can match the same text, is caught before any scenario runs.
func ExampleSuite_Err() {
	s := steps.NewSuite()
	s.Then(`^the decision should be "([^"]*)"$`, func(string) error { return nil })
	s.When(`^I pay (\d+) euros$`, func(int) error { return nil })
	s.When(`^I pay (.+)$`, func(string) error { return nil })
	for _, err := range s.Err().(interface{ Unwrap() []error }).Unwrap() {
		fmt.Println(es.CodeOf(err))
	}
	// Output:
	// DUPLICATE_STEP
	// AMBIGUOUS_STEP
}

// Rows turns a godog table into the [][]string the given package decodes.
func ExampleRows() {
	table := &godog.Table{Rows: []*messages.PickleTableRow{
		{Cells: []*messages.PickleTableCell{{Value: "field"}, {Value: "value"}}},
		{Cells: []*messages.PickleTableCell{{Value: "amount"}, {Value: "30"}}},
	}}
	type Withdraw struct {
		Amount int `json:"amount"`
	}
	w, err := given.Decode[Withdraw](steps.Rows(table))
	fmt.Println(w.Amount, err)
	// Output: 30 <nil>
}

// A decider registered by name gets the whole decider vocabulary; a project
// step can read the scenario's World.
func ExampleRegisterDecider() {
	s := steps.NewSuite()
	s.Fail(errors.Join(
		given.RegisterEvent[Incremented](s.Registry, ""),
		given.RegisterEvent[Capped](s.Registry, ""),
		given.RegisterCommand[Increment](s.Registry, ""),
	))
	steps.RegisterDecider(s, counterDecider)
	s.Then(`^I print the state$`, func(ctx context.Context) error {
		st, err := steps.WorldFrom(ctx).State()
		fmt.Printf("state: %+v\n", st)
		return err
	})
	if err := s.Err(); err != nil {
		fmt.Println(err)
		return
	}
	status := godog.TestSuite{
		ScenarioInitializer: s.InitializeScenario,
		Options: &godog.Options{Format: "pretty", Output: io.Discard, Strict: true, FeatureContents: []godog.Feature{{
			Name: "counter.feature",
			Contents: []byte(`Feature: counter
  Scenario: incrementing
    Given the events:
      | type        | id  | by |
      | Incremented | c-1 | 2  |
    When I decide to increment with:
      | field | value |
      | id    | c-1   |
      | by    | 3     |
    Then the decision should be "success"
    And the events should be:
      | type        | by |
      | Incremented | 3  |
    And the state should have count 5
    And I print the state
`),
		}}},
	}.Run()
	fmt.Println("godog status:", status)
	// Output:
	// state: {ID:c-1 Count:5 Seen:map[]}
	// godog status: 0
}

// State machines are registered by name.
func ExampleRegisterFSM() {
	type light string
	traffic := fsm.Define[light]("red", map[light][]light{
		"red":    {"green"},
		"green":  {"yellow"},
		"yellow": {"red"},
	})
	s := steps.NewSuite()
	steps.RegisterFSM(s, "traffic", traffic)
	status := godog.TestSuite{
		ScenarioInitializer: s.InitializeScenario,
		Options: &godog.Options{Format: "pretty", Output: io.Discard, Strict: true, FeatureContents: []godog.Feature{{
			Name: "traffic.feature",
			Contents: []byte(`Feature: traffic light
  Scenario: red never jumps to yellow
    Then the transition from "red" to "yellow" should not be allowed
    When I transition from "red" to "yellow"
    Then the error code should be "FSM_INVALID_TRANSITION"
    And the error message should be "Invalid transition from "red" to "yellow". Valid transitions: green"
`),
		}}},
	}.Run()
	fmt.Println("godog status:", status)
	// Output: godog status: 0
}
