package decider_test

import (
	"context"
	"fmt"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/memstore"
	"github.com/eventspec/eventspec/platform/decider"
	"github.com/eventspec/eventspec/store"
)

// The example domain: a ticket counter that can be opened and that sells
// a limited number of tickets.

type Counter struct {
	Open bool
	Sold int
	Cap  int
}

type CounterEvent interface{ counterEvent() }

type Opened struct {
	Capacity int `json:"capacity"`
}

type Sold struct {
	Qty int `json:"qty"`
}

type SaleRefused struct {
	Qty int `json:"qty"`
}

func (Opened) counterEvent()      {}
func (Sold) counterEvent()        {}
func (SaleRefused) counterEvent() {}

type CounterCommand struct {
	Counter string
	Open    int // capacity when opening
	Sell    int // tickets to sell
}

var counter = decider.Decider[Counter, CounterCommand, CounterEvent]{
	Name:    "counter",
	Initial: func() Counter { return Counter{} },
	Decide: func(s Counter, c CounterCommand, _ decider.Context) decider.Outcome[CounterEvent] {
		switch {
		case c.Open > 0 && s.Open:
			return decider.Rejected[CounterEvent]("COUNTER_EXISTS", "counter "+c.Counter+" is already open")
		case c.Open > 0:
			return decider.Success[CounterEvent](Opened{Capacity: c.Open})
		case s.Sold+c.Sell > s.Cap:
			return decider.Failed[CounterEvent]("sold out", SaleRefused{Qty: c.Sell})
		}
		return decider.Success[CounterEvent](Sold{Qty: c.Sell}).WithData(s.Cap - s.Sold - c.Sell)
	},
	Evolve: func(s Counter, e CounterEvent) Counter {
		switch e := e.(type) {
		case Opened:
			s.Open, s.Cap = true, e.Capacity
		case Sold:
			s.Sold += e.Qty
		}
		return s
	},
}

func Example() {
	ctx := context.Background()
	clock := es.NewVirtualClock(es.DefaultVirtualStart)
	st := memstore.New(memstore.WithClock(clock))
	cfg := decider.Config[Counter, CounterCommand, CounterEvent]{
		Name:       "Counter",
		StreamType: "Counter",
		Decider:    counter,
		Codec:      decider.MustJSONCodec[CounterEvent](Opened{}, Sold{}, SaleRefused{}),
		StreamID:   func(c CounterCommand) es.StreamID { return es.StreamID("counter-" + c.Counter) },
		Clock:      clock,
		IDs:        es.NewSequentialIDs(),
	}
	create, _ := decider.NewCreateHandler(cfg)
	update, _ := decider.NewHandler(cfg)

	res, _ := create.Execute(ctx, st, decider.Command[CounterCommand]{ID: "cmd-1", Payload: CounterCommand{Counter: "gig", Open: 3}})
	fmt.Println(res.Status, "version", res.Version)

	res, _ = create.Execute(ctx, st, decider.Command[CounterCommand]{ID: "cmd-2", Payload: CounterCommand{Counter: "gig", Open: 5}})
	fmt.Println(res.Status, res.Code, "-", res.Message)

	res, _ = update.Execute(ctx, st, decider.Command[CounterCommand]{ID: "cmd-3", CorrelationID: "web-7", Payload: CounterCommand{Counter: "gig", Sell: 2}})
	fmt.Println(res.Status, "version", res.Version, "left", res.Data)

	res, _ = update.Execute(ctx, st, decider.Command[CounterCommand]{ID: "cmd-4", Payload: CounterCommand{Counter: "gig", Sell: 2}})
	fmt.Println(res.Status, res.Reason, "expected", res.ExpectedVersion, "version", res.Version)

	_, err := update.Execute(ctx, st, decider.Command[CounterCommand]{ID: "cmd-5", Payload: CounterCommand{Counter: "nope", Sell: 1}})
	fmt.Println(es.CodeOf(err))

	recs, _ := store.ReadStream(ctx, st, "counter-gig", store.StreamRead{})
	for _, r := range recs {
		m := r.Metadata
		fmt.Println(r.StreamVersion, r.Type, string(r.Data), m.EventID, m.CorrelationID, m.CausationID)
	}
	// Output:
	// success version 1
	// rejected COUNTER_EXISTS - counter gig is already open
	// success version 2 left 1
	// failed sold out expected 2 version 3
	// NOT_FOUND
	// 1 Opened {"capacity":3} counter_event_00000000-0000-7000-8000-000000000001 cmd-1 cmd-1
	// 2 Sold {"qty":2} counter_event_00000000-0000-7000-8000-000000000002 web-7 cmd-3
	// 3 SaleRefused {"qty":2} counter_event_00000000-0000-7000-8000-000000000003 cmd-4 cmd-4
}

func ExampleJSONCodec() {
	codec := decider.MustJSONCodec[CounterEvent](Opened{}, Sold{})
	ev, _ := codec.Encode(Sold{Qty: 4})
	fmt.Println(ev.Type, string(ev.Data))
	back, _ := codec.Decode(es.Recorded{Event: ev})
	fmt.Printf("%#v\n", back)
	_, err := codec.Decode(es.Recorded{Event: es.Event{Type: "Refunded", Data: []byte(`{}`)}})
	fmt.Println(es.CodeOf(err))
	// Output:
	// Sold {"qty":4}
	// decider_test.Sold{Qty:4}
	// UNKNOWN_EVENT_TYPE
}
