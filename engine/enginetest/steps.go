package enginetest

import (
	"errors"

	"github.com/eventspec/eventspec/engine"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/steps"
)

// RegisterSteps registers the order domain with a step suite: its event
// and command types (under their Go type names) and the engine vocabulary
// on an engine with the order commands, the orderSummary and orderFailures
// projection handlers.
func RegisterSteps(s *steps.Suite) {
	reg := s.Registry
	s.Fail(errors.Join(
		given.RegisterEvent[OrderCreated](reg, ""),
		given.RegisterEvent[ItemAdded](reg, ""),
		given.RegisterEvent[OrderSubmitted](reg, ""),
		given.RegisterEvent[SubmissionFailed](reg, ""),
		given.RegisterEvent[OrderCancelled](reg, ""),
		given.RegisterCommand[CreateOrder](reg, ""),
		given.RegisterCommand[AddItem](reg, ""),
		given.RegisterCommand[SubmitOrder](reg, ""),
		given.RegisterCommand[CancelOrder](reg, ""),
	))
	steps.RegisterEngine(s, steps.EngineConfig{Setup: func(w *steps.World, e *engine.Engine) error {
		return errors.Join(
			Register(e.Registry()),
			e.RegisterJobHandler("projection."+SummaryProjection, SummaryHandler),
			e.RegisterJobHandler("projection."+FailuresProjection, SummaryHandler),
		)
	}})
}
