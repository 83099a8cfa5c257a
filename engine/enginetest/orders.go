// Package enginetest is a small order domain for the engine's tests,
// features, examples and benchmarks: an Order aggregate decided by a pure
// decider, registered as aggregate commands with a projection route, and a
// job handler for that projection.
package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/command"
	"github.com/eventspec/eventspec/platform/command/registry"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/platform/orchestrator"
	"github.com/eventspec/eventspec/store"
)

// BoundedContext is the orders context.
const BoundedContext = "orders"

// Order statuses.
const (
	StatusDraft     = "draft"
	StatusSubmitted = "submitted"
	StatusCancelled = "cancelled"
)

// Order is the order aggregate's state (its CMS).
type Order struct {
	Exists     bool           `json:"exists"`
	Status     string         `json:"status,omitempty"`
	CustomerID string         `json:"customerId,omitempty"`
	Items      map[string]int `json:"items,omitempty"`
}

// Event is an order event.
type Event interface{ orderEvent() }

// Order events.
type (
	OrderCreated struct {
		OrderID    string `json:"orderId"`
		CustomerID string `json:"customerId"`
	}
	ItemAdded struct {
		OrderID string `json:"orderId"`
		SKU     string `json:"sku"`
		Qty     int    `json:"qty"`
	}
	OrderSubmitted struct {
		OrderID string `json:"orderId"`
		Lines   int    `json:"lines"`
	}
	SubmissionFailed struct {
		OrderID string `json:"orderId"`
		Reason  string `json:"reason"`
	}
	OrderCancelled struct {
		OrderID string `json:"orderId"`
		Reason  string `json:"reason,omitempty"`
	}
)

func (OrderCreated) orderEvent()     {}
func (ItemAdded) orderEvent()        {}
func (OrderSubmitted) orderEvent()   {}
func (SubmissionFailed) orderEvent() {}
func (OrderCancelled) orderEvent()   {}

// Command is an order command payload.
type Command interface{ orderCommand() }

// Order commands (payloads).
type (
	CreateOrder struct {
		OrderID    string `json:"orderId"`
		CustomerID string `json:"customerId"`
	}
	AddItem struct {
		OrderID string `json:"orderId"`
		SKU     string `json:"sku"`
		Qty     int    `json:"qty"`
	}
	SubmitOrder struct {
		OrderID string `json:"orderId"`
	}
	CancelOrder struct {
		OrderID string `json:"orderId"`
		Reason  string `json:"reason,omitempty"`
	}
)

func (CreateOrder) orderCommand() {}
func (AddItem) orderCommand()     {}
func (SubmitOrder) orderCommand() {}
func (CancelOrder) orderCommand() {}

// Validate checks CreateOrder's arguments.
func (c CreateOrder) Validate() []registry.FieldError {
	if c.CustomerID == "" {
		return []registry.FieldError{{Path: "customerId", Code: "required", Message: "customerId is required"}}
	}
	return nil
}

// Validate checks AddItem's arguments.
func (c AddItem) Validate() []registry.FieldError {
	if c.SKU == "" {
		return []registry.FieldError{{Path: "sku", Code: "required", Message: "sku is required"}}
	}
	return nil
}

// Codec stores order events as JSON under their Go type names.
var Codec = decider.MustJSONCodec[Event](OrderCreated{}, ItemAdded{}, OrderSubmitted{}, SubmissionFailed{}, OrderCancelled{})

// Decider is the order decider.
var Decider = decider.Decider[Order, Command, Event]{
	Name:    "order",
	Initial: func() Order { return Order{} },
	Decide:  decide,
	Evolve:  evolve,
}

func decide(s Order, c Command, _ decider.Context) decider.Outcome[Event] {
	switch c := c.(type) {
	case CreateOrder:
		if s.Exists {
			return decider.Rejected[Event]("ORDER_ALREADY_EXISTS", fmt.Sprintf("order %s already exists", c.OrderID))
		}
		return decider.Success[Event](OrderCreated(c)).WithData(map[string]string{"orderId": c.OrderID})
	case AddItem:
		if r, bad := draft(s, c.OrderID); bad {
			return r
		}
		if c.Qty <= 0 {
			return decider.Rejected[Event]("INVALID_QUANTITY", fmt.Sprintf("quantity must be positive, got %d", c.Qty)).
				WithContext(map[string]any{"qty": c.Qty})
		}
		return decider.Success[Event](ItemAdded(c))
	case SubmitOrder:
		if r, bad := draft(s, c.OrderID); bad {
			return r
		}
		if len(s.Items) == 0 {
			return decider.Failed[Event]("order has no items", SubmissionFailed{OrderID: c.OrderID, Reason: "order has no items"})
		}
		return decider.Success[Event](OrderSubmitted{OrderID: c.OrderID, Lines: len(s.Items)})
	case CancelOrder:
		if !s.Exists {
			return decider.Rejected[Event]("ORDER_NOT_FOUND", fmt.Sprintf("order %s does not exist", c.OrderID))
		}
		if s.Status == StatusCancelled {
			return decider.Rejected[Event]("ORDER_ALREADY_CANCELLED", fmt.Sprintf("order %s is already cancelled", c.OrderID))
		}
		return decider.Success[Event](OrderCancelled(c))
	}
	return decider.Rejected[Event]("UNKNOWN_COMMAND", fmt.Sprintf("unknown order command %T", c))
}

func draft(s Order, id string) (decider.Outcome[Event], bool) {
	if !s.Exists {
		return decider.Rejected[Event]("ORDER_NOT_FOUND", fmt.Sprintf("order %s does not exist", id)), true
	}
	if s.Status != StatusDraft {
		return decider.Rejected[Event]("ORDER_NOT_DRAFT", fmt.Sprintf("order %s is %s, not draft", id, s.Status)).
			WithContext(map[string]any{"status": s.Status}), true
	}
	return decider.Outcome[Event]{}, false
}

func evolve(s Order, e Event) Order {
	switch e := e.(type) {
	case OrderCreated:
		return Order{Exists: true, Status: StatusDraft, CustomerID: e.CustomerID}
	case ItemAdded:
		items := make(map[string]int, len(s.Items)+1)
		for k, v := range s.Items {
			items[k] = v
		}
		items[e.SKU] += e.Qty
		s.Items = items
	case OrderSubmitted:
		s.Status = StatusSubmitted
	case OrderCancelled:
		s.Status = StatusCancelled
	}
	return s
}

// encodeOrder encodes an order's state for the CMS exactly as json.Marshal
// would (the test compares them), without reflection: every command of
// the domain stores its state.
func encodeOrder(s Order) (json.RawMessage, error) {
	b := make([]byte, 0, 48+len(s.Status)+len(s.CustomerID)+16*len(s.Items))
	b = append(b, `{"exists":`...)
	b = strconv.AppendBool(b, s.Exists)
	if s.Status != "" {
		b = append(b, `,"status":`...)
		b = es.AppendJSONString(b, s.Status)
	}
	if s.CustomerID != "" {
		b = append(b, `,"customerId":`...)
		b = es.AppendJSONString(b, s.CustomerID)
	}
	if len(s.Items) > 0 {
		var buf [8]string
		skus := buf[:0]
		for k := range s.Items {
			skus = append(skus, k)
		}
		slices.Sort(skus) // encoding/json orders map keys bytewise
		b = append(b, `,"items":{`...)
		for i, k := range skus {
			if i > 0 {
				b = append(b, ',')
			}
			b = es.AppendJSONString(b, k)
			b = append(b, ':')
			b = strconv.AppendInt(b, int64(s.Items[k]), 10)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// decode picks the payload type by command type.
func decode(cmd command.Command) (Command, error) {
	var c Command
	var err error
	switch cmd.Type {
	case "CreateOrder":
		var x CreateOrder
		err = cmd.Decode(&x)
		c = x
	case "AddItem":
		var x AddItem
		err = cmd.Decode(&x)
		c = x
	case "SubmitOrder":
		var x SubmitOrder
		err = cmd.Decode(&x)
		c = x
	case "CancelOrder":
		var x CancelOrder
		err = cmd.Decode(&x)
		c = x
	default:
		err = fmt.Errorf("not an order command: %s", cmd.Type)
	}
	return c, err
}

// Projection names.
const (
	SummaryProjection  = "orderSummary"
	FailuresProjection = "orderFailures"
	// SummaryCollection holds one summary document per order.
	SummaryCollection = "order-summaries"
)

// Option configures Register.
type Option func(*options)

type options struct{ noRoutes bool }

// WithoutProjections registers the commands without projection routes (no
// follow-up jobs).
func WithoutProjections() Option { return func(o *options) { o.noRoutes = true } }

// Register defines CreateOrder, AddItem, SubmitOrder and CancelOrder in reg:
// aggregate commands on Order (id field orderId) decided by Decider over the
// CMS, each routed to the orderSummary projection; SubmitOrder's business
// failure goes to the orderFailures projection.
func Register(reg *registry.Registry, opts ...Option) error {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	h, err := orchestrator.DeciderHandler(orchestrator.DeciderConfig[Order, Command, Event]{Decider: Decider, Codec: Codec, Decode: decode, CacheState: true, EncodeState: encodeOrder,
		FromArgs: func(args any) (Command, bool) { c, ok := args.(Command); return c, ok }})
	if err != nil {
		return err
	}
	summary := &registry.Route{Name: SummaryProjection}
	defs := []registry.AggregateDef{
		{CommandType: "CreateOrder", Decode: registry.SchemaDecoder[CreateOrder]()},
		{CommandType: "AddItem", Decode: registry.SchemaDecoder[AddItem]()},
		{CommandType: "SubmitOrder", Decode: registry.SchemaDecoder[SubmitOrder](), Failed: &registry.Route{Name: FailuresProjection}},
		{CommandType: "CancelOrder", Decode: registry.SchemaDecoder[CancelOrder]()},
	}
	for _, d := range defs {
		d.BoundedContext, d.TargetAggregate, d.AggregateIDField, d.Handler, d.Projection = BoundedContext, "Order", "orderId", h, summary
		if o.noRoutes {
			d.Projection, d.Failed = nil, nil
		}
		if _, err := registry.DefineAggregate(reg, d); err != nil {
			return err
		}
	}
	return nil
}

// Summary is the orderSummary projection's document.
type Summary struct {
	OrderID   string     `json:"orderId"`
	Events    int        `json:"events"`
	LastEvent string     `json:"lastEvent"`
	Version   es.Version `json:"version"`
	Failures  int        `json:"failures,omitempty"`
}

// SummaryHandler is the job handler of the orderSummary and orderFailures
// projections: it upserts the order's Summary document.
func SummaryHandler(ctx context.Context, tx store.Tx, job store.Job) error {
	var f orchestrator.FollowUp
	if err := json.Unmarshal(job.Payload, &f); err != nil {
		return err
	}
	id := f.Partition.Value
	docs := tx.Documents()
	var s Summary
	doc, err := docs.Get(ctx, SummaryCollection, id)
	switch {
	case err == nil:
		if err := json.Unmarshal(doc.Data, &s); err != nil {
			return err
		}
	case es.CodeOf(err) == es.CodeNotFound:
		s.OrderID = id
	default:
		return err
	}
	s.Events += len(f.EventIDs)
	if n := len(f.EventTypes); n > 0 {
		s.LastEvent = f.EventTypes[n-1]
	}
	s.Version = f.Version
	if f.Status == command.StatusFailed {
		s.Failures++
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if doc.Version == 0 {
		_, err = docs.Insert(ctx, SummaryCollection, id, raw)
	} else {
		_, err = docs.Update(ctx, SummaryCollection, id, doc.Version, raw)
	}
	return err
}
