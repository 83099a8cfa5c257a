// Package testdomain is a small order domain used by the scenario and
// property tests and examples: a decider with an FSM-guarded status, a
// business failure, maps and slices in its state (so mutation checks have
// something to catch) and a set of invariants.
package testdomain

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/fsm"
	"github.com/eventspec/eventspec/platform/invariant"
)

// Status is an order's lifecycle state.
type Status string

// Order statuses.
const (
	StatusNone      Status = ""
	StatusDraft     Status = "draft"
	StatusSubmitted Status = "submitted"
	StatusConfirmed Status = "confirmed"
	StatusCancelled Status = "cancelled"
)

// Lifecycle is the order FSM of spec §5 rule 8.
var Lifecycle = fsm.Define(StatusDraft, map[Status][]Status{
	StatusDraft:     {StatusSubmitted, StatusCancelled},
	StatusSubmitted: {StatusConfirmed, StatusCancelled},
	StatusConfirmed: {},
	StatusCancelled: {},
})

// CreditLimit is the largest total a confirmation accepts.
const CreditLimit = 1000

// Order is the decider state.
type Order struct {
	ID       string
	Status   Status
	Lines    []Line
	Qty      map[string]int
	Total    int
	Customer string
}

// Line is one order line.
type Line struct {
	SKU   string
	Qty   int
	Price int
}

// Event is an order event.
type Event interface{ isEvent() }

// Events.
type (
	Placed struct {
		ID       string    `json:"id"`
		Customer string    `json:"customer"`
		At       time.Time `json:"at"`
	}
	ItemAdded struct {
		SKU   string `json:"sku"`
		Qty   int    `json:"qty"`
		Price int    `json:"price"`
	}
	Submitted struct{}
	Confirmed struct {
		By string `json:"by"`
	}
	ConfirmationFailed struct {
		Reason string `json:"reason"`
		Total  int    `json:"total"`
	}
	Cancelled struct {
		Reason string `json:"reason"`
	}
)

func (Placed) isEvent()             {}
func (ItemAdded) isEvent()          {}
func (Submitted) isEvent()          {}
func (Confirmed) isEvent()          {}
func (ConfirmationFailed) isEvent() {}
func (Cancelled) isEvent()          {}

// Command is an order command.
type Command interface{ isCommand() }

// Commands.
type (
	Place struct {
		ID       string `json:"id"`
		Customer string `json:"customer"`
	}
	AddItem struct {
		SKU   string `json:"sku"`
		Qty   int    `json:"qty"`
		Price int    `json:"price"`
	}
	Submit  struct{}
	Confirm struct {
		By string `json:"by"`
	}
	Cancel struct {
		Reason string `json:"reason"`
	}
)

func (Place) isCommand()   {}
func (AddItem) isCommand() {}
func (Submit) isCommand()  {}
func (Confirm) isCommand() {}
func (Cancel) isCommand()  {}

// Codec stores the order events as JSON.
var Codec = decider.MustJSONCodec[Event](Placed{}, ItemAdded{}, Submitted{}, Confirmed{}, ConfirmationFailed{}, Cancelled{})

// Decider is the correct order decider.
var Decider = decider.Decider[Order, Command, Event]{
	Name:    "order",
	Initial: func() Order { return Order{} },
	Decide:  Decide,
	Evolve:  Evolve,
}

func transition(o Order, to Status) (decider.Outcome[Event], bool) {
	if err := Lifecycle.Assert(o.Status, to); err != nil {
		return decider.Rejected[Event](string(fsm.CodeInvalidTransition), err.Error()), false
	}
	return decider.Outcome[Event]{}, true
}

// Decide is the order decision function.
func Decide(o Order, c Command, ctx decider.Context) decider.Outcome[Event] {
	if _, isPlace := c.(Place); !isPlace && o.Status == StatusNone {
		return decider.Rejected[Event]("ORDER_NOT_FOUND", "the order does not exist")
	}
	switch c := c.(type) {
	case Place:
		if o.Status != StatusNone {
			return decider.Rejected[Event]("ORDER_EXISTS", fmt.Sprintf("order %s already exists", o.ID))
		}
		if c.ID == "" {
			return decider.Rejected[Event]("INVALID_ORDER_ID", "order id is required")
		}
		return decider.Success[Event](Placed{ID: c.ID, Customer: c.Customer, At: ctx.Now})
	case AddItem:
		if o.Status != StatusDraft {
			return decider.Rejected[Event]("ORDER_NOT_DRAFT", fmt.Sprintf("order is %s", o.Status))
		}
		if c.Qty <= 0 {
			return decider.Rejected[Event]("INVALID_QUANTITY", fmt.Sprintf("quantity %d must be positive", c.Qty))
		}
		if c.Price < 0 {
			return decider.Rejected[Event]("INVALID_PRICE", fmt.Sprintf("price %d must not be negative", c.Price))
		}
		return decider.Success[Event](ItemAdded(c))
	case Submit:
		if out, ok := transition(o, StatusSubmitted); !ok {
			return out
		}
		if len(o.Lines) == 0 {
			return decider.Rejected[Event]("ORDER_EMPTY", "an order needs at least one line")
		}
		return decider.Success[Event](Submitted{})
	case Confirm:
		if out, ok := transition(o, StatusConfirmed); !ok {
			return out
		}
		if o.Total > CreditLimit {
			return decider.Failed[Event]("credit limit exceeded", ConfirmationFailed{Reason: "credit limit exceeded", Total: o.Total})
		}
		return decider.Success[Event](Confirmed{By: c.By}).WithData(o.Total)
	case Cancel:
		if out, ok := transition(o, StatusCancelled); !ok {
			return out
		}
		return decider.Success[Event](Cancelled{Reason: c.Reason})
	}
	return decider.Rejected[Event]("UNKNOWN_COMMAND", fmt.Sprintf("unknown command %T", c))
}

// Evolve is the order evolution function; it never mutates its input.
func Evolve(o Order, e Event) Order {
	switch e := e.(type) {
	case Placed:
		return Order{ID: e.ID, Status: StatusDraft, Customer: e.Customer, Qty: map[string]int{}}
	case ItemAdded:
		o.Lines = append(slices.Clip(o.Lines), Line(e))
		o.Qty = maps.Clone(o.Qty)
		if o.Qty == nil {
			o.Qty = map[string]int{}
		}
		o.Qty[e.SKU] += e.Qty
		o.Total += e.Qty * e.Price
	case Submitted:
		o.Status = StatusSubmitted
	case Confirmed:
		o.Status = StatusConfirmed
	case Cancelled:
		o.Status = StatusCancelled
	case ConfirmationFailed:
		// recorded for the audit trail; the order stays submitted
	}
	return o
}

// Invariants hold after every event of a correct order history.
var Invariants = invariant.NewSet(
	invariant.Must(invariant.New(invariant.Def[Order]{
		Name:    "totalNotNegative",
		Code:    "TOTAL_NEGATIVE",
		Check:   func(o Order) bool { return o.Total >= 0 },
		Message: func(o Order) string { return fmt.Sprintf("total %d is negative", o.Total) },
	})),
	invariant.Must(invariant.New(invariant.Def[Order]{
		Name: "submittedHasLines",
		Code: "SUBMITTED_WITHOUT_LINES",
		Check: func(o Order) bool {
			return o.Status == StatusNone || o.Status == StatusDraft || o.Status == StatusCancelled || len(o.Lines) > 0
		},
		Message: func(o Order) string {
			return fmt.Sprintf("order in status %s has no lines", o.Status)
		},
	})),
	invariant.Must(invariant.New(invariant.Def[Order]{
		Name:    "confirmedWithinCredit",
		Code:    "CONFIRMED_OVER_LIMIT",
		Check:   func(o Order) bool { return o.Status != StatusConfirmed || o.Total <= CreditLimit },
		Message: func(o Order) string { return fmt.Sprintf("confirmed order total %d exceeds %d", o.Total, CreditLimit) },
		Context: func(o Order) map[string]any { return map[string]any{"total": o.Total, "limit": CreditLimit} },
	})),
)
