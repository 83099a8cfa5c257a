package orders

import (
	"context"
	"errors"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/steps"
	"github.com/eventspec/eventspec/store"
)

// Register adds the order domain to a step suite: its event and command
// types, the decider, the two handlers, the state machines and the
// invariants.
func Register(s *steps.Suite) {
	reg := s.Registry
	s.Fail(errors.Join(
		given.RegisterEvent[OrderCreated](reg, ""),
		given.RegisterEvent[OrderCreationRefused](reg, ""),
		given.RegisterEvent[ItemAdded](reg, ""),
		given.RegisterEvent[OrderSubmitted](reg, ""),
		given.RegisterEvent[OrderConfirmed](reg, ""),
		given.RegisterEvent[OrderConfirmationFailed](reg, ""),
		given.RegisterEvent[OrderCancelled](reg, ""),
		given.RegisterCommand[CreateOrder](reg, ""),
		given.RegisterCommand[AddItem](reg, ""),
		given.RegisterCommand[SubmitOrder](reg, ""),
		given.RegisterCommand[ConfirmOrder](reg, ""),
		given.RegisterCommand[CancelOrder](reg, ""),
	))

	steps.RegisterDecider(s, Decider)

	// Creation: a blocked customer is refused before anything is loaded.
	steps.RegisterHandler(s, steps.Handler[Order, Command, Event]{
		Create:   true,
		Commands: []string{"CreateOrder"},
		Config: decider.Config[Order, Command, Event]{
			Name:          "CreateOrder",
			StreamType:    "Order",
			SchemaVersion: 2,
			Decider:       Decider,
			StreamID:      StreamID,
			PreValidate: func(_ context.Context, _ store.Tx, cmd decider.Command[Command]) (*decider.Result, error) {
				if c, ok := cmd.Payload.(CreateOrder); ok && c.CustomerID == "blocked" {
					r := decider.RejectedResult("CUSTOMER_BLOCKED", "customer blocked is not allowed to order", nil)
					return &r, nil
				}
				return nil, nil
			},
		},
	})
	// Every other command works on an existing order; a missing order is
	// turned into a rejection, other faults propagate.
	steps.RegisterHandler(s, steps.Handler[Order, Command, Event]{
		Config: decider.Config[Order, Command, Event]{
			Name:          "OrderCommands",
			StreamType:    "Order",
			SchemaVersion: 2,
			Decider:       Decider,
			StreamID:      StreamID,
			HandleError: func(err error, _ es.StreamID) (decider.Result, bool) {
				if es.CodeOf(err) == es.CodeNotFound {
					return decider.RejectedResult("ORDER_NOT_FOUND", "the order does not exist", nil), true
				}
				return decider.Result{}, false
			},
		},
	})

	steps.RegisterFSM(s, "order", Lifecycle)
	steps.RegisterFSM(s, "broken", Broken)

	steps.RegisterInvariants(s, "order", HasItems, TotalWithinLimit, CancelledHasReason)
	steps.RegisterInvariantSet(s, "order", "submission", Submission)
	steps.RegisterInvariantSet(s, "order", "all", All)
	steps.RegisterInvariantSet(s, "order", "empty", Empty)
}
