// Package orders is the small sample domain the pattern features run on:
// an order aggregate with a decider, its lifecycle state machine (the
// reference FSM of spec §5 rule 8), invariants, and decider handlers.
package orders

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/fsm"
	"github.com/eventspec/eventspec/platform/invariant"
)

// Status is an order's lifecycle state.
type Status string

// Order statuses. An order that does not exist has status "".
const (
	Draft     Status = "draft"
	Submitted Status = "submitted"
	Confirmed Status = "confirmed"
	Cancelled Status = "cancelled"
)

// Lifecycle is the reference FSM: draft → submitted|cancelled,
// submitted → confirmed|cancelled; confirmed and cancelled are terminal.
var Lifecycle = fsm.Define(Draft, map[Status][]Status{
	Draft:     {Submitted, Cancelled},
	Submitted: {Confirmed, Cancelled},
	Confirmed: {},
	Cancelled: {},
})

// Broken is a deliberately unsound definition, for Validate: its initial
// state and one target are undeclared and a target is listed twice.
var Broken = fsm.Define[Status]("start", map[Status][]Status{
	Draft:     {Submitted, "ghost", Submitted},
	Submitted: {},
})

// MaxTotal is the largest order total, in cents.
const MaxTotal = 100_000

// Order is the order aggregate's state.
type Order struct {
	OrderID      string         `json:"orderId"`
	CustomerID   string         `json:"customerId"`
	Status       Status         `json:"status"`
	Lines        map[string]int `json:"lines"` // sku → quantity
	Items        int            `json:"items"` // total quantity
	Total        int            `json:"total"` // cents
	CancelReason string         `json:"cancelReason"`
	ConfirmedAt  *time.Time     `json:"confirmedAt"`
	LastFailure  string         `json:"lastFailure"`
}

// Event is an order event.
type Event interface{ orderID() string }

// OrderCreated opens an order.
type OrderCreated struct {
	OrderID    string    `json:"orderId" given:",required"`
	CustomerID string    `json:"customerId"`
	CreatedAt  time.Time `json:"createdAt"`
}

// OrderCreationRefused records a business failure to create an order.
type OrderCreationRefused struct {
	OrderID    string `json:"orderId"`
	CustomerID string `json:"customerId"`
	Reason     string `json:"reason"`
}

// ItemAdded adds quantity of sku at unitPrice cents.
type ItemAdded struct {
	OrderID   string `json:"orderId"`
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitPrice int    `json:"unitPrice"`
}

// OrderSubmitted closes the order for changes.
type OrderSubmitted struct {
	OrderID string `json:"orderId"`
	Total   int    `json:"total"`
}

// OrderConfirmed confirms a submitted order.
type OrderConfirmed struct {
	OrderID     string    `json:"orderId"`
	ConfirmedAt time.Time `json:"confirmedAt"`
}

// OrderConfirmationFailed records a declined payment.
type OrderConfirmationFailed struct {
	OrderID string `json:"orderId"`
	Reason  string `json:"reason"`
}

// OrderCancelled cancels an order.
type OrderCancelled struct {
	OrderID string `json:"orderId"`
	Reason  string `json:"reason"`
}

func (e OrderCreated) orderID() string            { return e.OrderID }
func (e OrderCreationRefused) orderID() string    { return e.OrderID }
func (e ItemAdded) orderID() string               { return e.OrderID }
func (e OrderSubmitted) orderID() string          { return e.OrderID }
func (e OrderConfirmed) orderID() string          { return e.OrderID }
func (e OrderConfirmationFailed) orderID() string { return e.OrderID }
func (e OrderCancelled) orderID() string          { return e.OrderID }

// Tags returns the order's DCB tag.
func (e OrderCreated) Tags() []es.Tag { return []es.Tag{es.Tag("order:" + e.OrderID)} }

// Command is an order command.
type Command interface{ OrderRef() string }

// CreateOrder opens an order for a customer.
type CreateOrder struct {
	OrderID    string `json:"orderId" given:",required"`
	CustomerID string `json:"customerId"`
}

// AddItem adds a line to a draft order.
type AddItem struct {
	OrderID   string `json:"orderId"`
	SKU       string `json:"sku"`
	Quantity  int    `json:"quantity"`
	UnitPrice int    `json:"unitPrice"`
}

// SubmitOrder submits a draft order.
type SubmitOrder struct {
	OrderID string `json:"orderId"`
}

// ConfirmOrder confirms a submitted order once payment is approved.
type ConfirmOrder struct {
	OrderID         string `json:"orderId"`
	PaymentApproved bool   `json:"paymentApproved"`
}

// CancelOrder cancels an order that is not final.
type CancelOrder struct {
	OrderID string `json:"orderId"`
	Reason  string `json:"reason"`
}

// OrderRef returns the order the command addresses.
func (c CreateOrder) OrderRef() string  { return c.OrderID }
func (c AddItem) OrderRef() string      { return c.OrderID }
func (c SubmitOrder) OrderRef() string  { return c.OrderID }
func (c ConfirmOrder) OrderRef() string { return c.OrderID }
func (c CancelOrder) OrderRef() string  { return c.OrderID }

// StreamID is the stream of an order command.
func StreamID(c Command) es.StreamID { return es.StreamID("order-" + c.OrderRef()) }

// SubmitResult is the data a successful submission returns.
type SubmitResult struct {
	Total int `json:"total"`
	Items int `json:"items"`
}

// OrderErrors is the class of the order's invariant errors.
var OrderErrors = invariant.ForContext("Order")

// Invariants of an order.
var (
	HasItems = invariant.Must(invariant.New(invariant.Def[Order]{
		Name:    "orderHasItems",
		Code:    "ORDER_HAS_NO_ITEMS",
		Check:   func(o Order) bool { return o.Items > 0 },
		Message: func(o Order) string { return fmt.Sprintf("order %s has no items", o.OrderID) },
		Context: func(o Order) map[string]any { return map[string]any{"orderId": o.OrderID} },
	}))
	totalWithin = must2(invariant.New2(invariant.Def2[Order, int]{
		Name:    "totalWithinLimit",
		Code:    "ORDER_TOTAL_EXCEEDED",
		Check:   func(o Order, max int) bool { return o.Total <= max },
		Message: func(o Order, max int) string { return fmt.Sprintf("total %d exceeds the limit of %d", o.Total, max) },
		Context: func(o Order, max int) map[string]any { return map[string]any{"total": o.Total, "max": max} },
	}))
	// TotalWithinLimit bounds the total by MaxTotal.
	TotalWithinLimit = totalWithin.Bind(MaxTotal)
	// CancelledHasReason needs a reason on a cancelled order; its errors
	// are OrderInvariantErrors and carry no context.
	CancelledHasReason = invariant.Must(invariant.New(invariant.Def[Order]{
		Name:    "cancelledHasReason",
		Code:    "CANCELLATION_REASON_MISSING",
		Check:   func(o Order) bool { return o.Status != Cancelled || o.CancelReason != "" },
		Message: func(o Order) string { return "a cancelled order needs a reason" },
		Class:   OrderErrors,
	}))
)

func must2[S, P any](inv invariant.Invariant2[S, P], err error) invariant.Invariant2[S, P] {
	if err != nil {
		panic(err)
	}
	return inv
}

// Submission are the invariants an order must satisfy to be submitted.
var Submission = invariant.NewSet(HasItems, TotalWithinLimit)

// All are every invariant of an order.
var All = invariant.NewSet(HasItems, TotalWithinLimit, CancelledHasReason)

// rejectFSM turns a refused transition into a rejection carrying from
// and to.
func rejectFSM(o Order, to Status) (decider.Outcome[Event], bool) {
	if err := Lifecycle.Assert(o.Status, to); err != nil {
		return decider.Rejected[Event](string(fsm.CodeInvalidTransition), err.Error()).
			WithContext(map[string]any{"from": string(o.Status), "to": string(to)}), true
	}
	return decider.Outcome[Event]{}, false
}

// Decide is the order's decision function.
func Decide(o Order, cmd Command, ctx decider.Context) decider.Outcome[Event] {
	switch c := cmd.(type) {
	case CreateOrder:
		if o.Status != "" {
			return decider.Rejected[Event]("ORDER_ALREADY_EXISTS", fmt.Sprintf("order %s already exists", c.OrderID))
		}
		if c.CustomerID == "" {
			return decider.Rejected[Event]("CUSTOMER_REQUIRED", "a customer id is required")
		}
		if strings.HasPrefix(c.CustomerID, "fraud") {
			return decider.Failed[Event]("customer failed the fraud check",
				OrderCreationRefused{OrderID: c.OrderID, CustomerID: c.CustomerID, Reason: "fraud check"})
		}
		return decider.Success[Event](OrderCreated{OrderID: c.OrderID, CustomerID: c.CustomerID, CreatedAt: ctx.Now})
	case AddItem:
		if o.Status != Draft {
			return decider.Rejected[Event]("ORDER_NOT_DRAFT", fmt.Sprintf("order %s is %s, not draft", o.OrderID, statusName(o.Status)))
		}
		if c.Quantity <= 0 {
			return decider.Rejected[Event]("INVALID_QUANTITY", "quantity must be positive").
				WithContext(map[string]any{"quantity": c.Quantity})
		}
		next := o
		next.Total += c.Quantity * c.UnitPrice
		if v := TotalWithinLimit.Validate(next); !v.Valid {
			return decider.Rejected[Event](v.Code, v.Message).WithContext(v.Context)
		}
		return decider.Success[Event](ItemAdded{OrderID: o.OrderID, SKU: c.SKU, Quantity: c.Quantity, UnitPrice: c.UnitPrice})
	case SubmitOrder:
		if o.Status == Submitted {
			return decider.Success[Event]().WithData(SubmitResult{Total: o.Total, Items: o.Items}) // idempotent
		}
		if out, refused := rejectFSM(o, Submitted); refused {
			return out
		}
		if err := Submission.AssertAll(o); err != nil {
			var ie *invariant.Error
			errors.As(err, &ie)
			return decider.Rejected[Event](ie.ErrCode, ie.Message).WithContext(ie.Data)
		}
		return decider.Success[Event](OrderSubmitted{OrderID: o.OrderID, Total: o.Total}).
			WithData(SubmitResult{Total: o.Total, Items: o.Items})
	case ConfirmOrder:
		if out, refused := rejectFSM(o, Confirmed); refused {
			return out
		}
		if !c.PaymentApproved {
			return decider.Failed[Event]("payment declined", OrderConfirmationFailed{OrderID: o.OrderID, Reason: "payment declined"})
		}
		return decider.Success[Event](OrderConfirmed{OrderID: o.OrderID, ConfirmedAt: ctx.Now})
	case CancelOrder:
		if c.Reason == "" {
			return decider.Rejected[Event]("CANCELLATION_REASON_REQUIRED", "a cancellation needs a reason")
		}
		if out, refused := rejectFSM(o, Cancelled); refused {
			return out
		}
		return decider.Success[Event](OrderCancelled{OrderID: o.OrderID, Reason: c.Reason})
	}
	return decider.Rejected[Event]("UNKNOWN_COMMAND", fmt.Sprintf("unknown command %T", cmd))
}

func statusName(s Status) string {
	if s == "" {
		return "missing"
	}
	return string(s)
}

// Evolve is the order's evolution function. It never mutates o.
func Evolve(o Order, e Event) Order {
	switch ev := e.(type) {
	case OrderCreated:
		o.OrderID, o.CustomerID, o.Status = ev.OrderID, ev.CustomerID, Draft
	case OrderCreationRefused:
		o.LastFailure = ev.Reason
	case ItemAdded:
		lines := make(map[string]int, len(o.Lines)+1)
		for k, v := range o.Lines {
			lines[k] = v
		}
		lines[ev.SKU] += ev.Quantity
		o.Lines = lines
		o.Items += ev.Quantity
		o.Total += ev.Quantity * ev.UnitPrice
	case OrderSubmitted:
		o.Status = Submitted
	case OrderConfirmed:
		at := ev.ConfirmedAt
		o.Status, o.ConfirmedAt = Confirmed, &at
	case OrderConfirmationFailed:
		o.LastFailure = ev.Reason
	case OrderCancelled:
		o.Status, o.CancelReason = Cancelled, ev.Reason
	}
	return o
}

// Decider is the order decider.
var Decider = decider.Decider[Order, Command, Event]{
	Name:    "order",
	Initial: func() Order { return Order{} },
	Decide:  Decide,
	Evolve:  Evolve,
}

// Empty is a set with no invariants: everything passes.
var Empty = invariant.NewSet[Order]()
