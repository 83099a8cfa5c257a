package steps_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/cucumber/godog"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/steps"
)

// A tiny counter domain for the step library's own tests.

type Counter struct {
	ID    string          `json:"id"`
	Count int             `json:"count"`
	Seen  map[string]bool `json:"seen"`
}

type counterEvent interface{ counter() }

type Incremented struct {
	ID string `json:"id"`
	By int    `json:"by"`
}

type Capped struct {
	ID  string `json:"id"`
	Max int    `json:"max"`
}

func (Incremented) counter() {}
func (Capped) counter()      {}

type counterCommand interface{ counterID() string }

type Increment struct {
	ID     string `json:"id" given:",required"`
	By     int    `json:"by"`
	Source string `json:"source"`
}

func (c Increment) counterID() string { return c.ID }

func decideCounter(s Counter, c counterCommand, _ decider.Context) decider.Outcome[counterEvent] {
	inc := c.(Increment)
	switch {
	case inc.By <= 0:
		return decider.Rejected[counterEvent]("NOT_POSITIVE", "increment must be positive").WithContext(map[string]any{"by": inc.By})
	case s.Count+inc.By > 10:
		return decider.Failed[counterEvent]("cap reached", Capped{ID: inc.ID, Max: 10})
	}
	return decider.Success[counterEvent](Incremented{ID: inc.ID, By: inc.By}).WithData(map[string]int{"count": s.Count + inc.By})
}

func evolveCounter(s Counter, e counterEvent) Counter {
	if ev, ok := e.(Incremented); ok {
		s.ID = ev.ID
		s.Count += ev.By
	}
	return s
}

var counterDecider = decider.Decider[Counter, counterCommand, counterEvent]{
	Name:    "counter",
	Initial: func() Counter { return Counter{} },
	Decide:  decideCounter,
	Evolve:  evolveCounter,
}

// brokenDecider records the command source in the state it was given:
// Decide mutates its input through the map.
var brokenDecider = decider.Decider[Counter, counterCommand, counterEvent]{
	Name:    "counter",
	Initial: func() Counter { return Counter{Seen: map[string]bool{}} },
	Decide: func(s Counter, c counterCommand, ctx decider.Context) decider.Outcome[counterEvent] {
		if s.Seen != nil {
			s.Seen[c.(Increment).Source] = true
		}
		return decideCounter(s, c, ctx)
	},
	Evolve: evolveCounter,
}

func registerCounter(d decider.Decider[Counter, counterCommand, counterEvent]) func(*steps.Suite) {
	return func(s *steps.Suite) {
		s.Fail(errors.Join(
			given.RegisterEvent[Incremented](s.Registry, ""),
			given.RegisterEvent[Capped](s.Registry, ""),
			given.RegisterCommand[Increment](s.Registry, ""),
		))
		steps.RegisterDecider(s, d)
		steps.RegisterHandler(s, steps.Handler[Counter, counterCommand, counterEvent]{
			Create: false,
			Config: decider.Config[Counter, counterCommand, counterEvent]{
				Name:       "Counter",
				StreamType: "Counter",
				Decider:    d,
				StreamID:   func(c counterCommand) es.StreamID { return es.StreamID("counter-" + c.counterID()) },
			},
		})
	}
}

func newSuite(t *testing.T, register func(*steps.Suite)) *steps.Suite {
	t.Helper()
	s := steps.NewSuite()
	register(s)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return s
}

// runText runs one feature's text through godog with s, in file order,
// and returns godog's status and its uncoloured pretty output.
func runText(t *testing.T, s *steps.Suite, feature string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	status := godog.TestSuite{
		ScenarioInitializer: s.InitializeScenario,
		Options: &godog.Options{
			Format:          "pretty",
			NoColors:        true,
			Output:          &out,
			Strict:          true,
			FeatureContents: []godog.Feature{{Name: "test.feature", Contents: []byte(feature)}},
		},
	}.Run()
	return status, out.String()
}
