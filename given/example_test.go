package given_test

import (
	"fmt"
	"time"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/given"
)

// A vertical table decodes into a struct; values are parsed strictly by
// field type.
func ExampleDecode() {
	type Reservation struct {
		ID       string        `json:"reservationId" given:",required"`
		Seats    int           `json:"seats"`
		Until    time.Time     `json:"until"`
		Hold     time.Duration `json:"hold"`
		Features []string      `json:"features"`
	}
	r, err := given.Decode[Reservation]([][]string{
		{"field", "value"},
		{"reservationId", "res-1"},
		{"seats", "2"},
		{"until", "2026-03-01T18:00:00Z"},
		{"hold", "15m"},
		{"features", "aisle, window"},
	})
	fmt.Println(r.ID, r.Seats, r.Until.Format(time.Kitchen), r.Hold, r.Features, err)
	// Output: res-1 2 6:00PM 15m0s [aisle window] <nil>
}

// A bad cell is an INVALID_TABLE error naming the row, the column, the
// value and the type expected.
func ExampleTableError() {
	type Line struct {
		SKU string `json:"sku"`
		Qty int    `json:"qty"`
	}
	_, err := given.DecodeAll[Line]([][]string{
		{"sku", "qty"},
		{"apple", "3"},
		{"pear", "three"},
	})
	fmt.Println(err)
	// Output: INVALID_TABLE: given_test.Line: row 3, column "qty": value "three" is not a valid int
}

// A registry maps names to Go types; builders make values by name.
func ExampleRegistry() {
	type OrderPlaced struct {
		OrderID string `json:"orderId"`
		Total   int    `json:"total"`
	}
	type OrderShipped struct {
		OrderID string `json:"orderId"`
	}
	reg := given.NewRegistry()
	fmt.Println(given.RegisterEvent[OrderPlaced](reg, ""))
	fmt.Println(given.RegisterEvent[OrderShipped](reg, ""))
	fmt.Println(given.RegisterEvent[OrderShipped](reg, "Shipped"))

	events, err := reg.FromTypedRows(given.KindEvent, [][]string{
		{"type", "orderId", "total"},
		{"OrderPlaced", "o-1", "30"},
		{"order shipped", "o-1", ""},
	})
	for _, e := range events {
		fmt.Printf("%s %+v\n", e.Name, e.Value)
	}
	fmt.Println(err)
	// Output:
	// <nil>
	// <nil>
	// DUPLICATE_TYPE: given: type given_test.OrderShipped is already registered as "OrderShipped"; cannot register it again as "Shipped"
	// OrderPlaced {OrderID:o-1 Total:30}
	// OrderShipped {OrderID:o-1}
	// <nil>
}

type SeatBooked struct {
	ShowID string `json:"showId"`
	Seat   string `json:"seat"`
}

func (e SeatBooked) Tags() []es.Tag { return []es.Tag{es.Tag("show:" + e.ShowID)} }

// Codec turns a registry into a decider.Codec: registered name, JSON data
// and the event's tags.
func ExampleCodec() {
	reg := given.NewRegistry()
	_ = given.RegisterEvent[SeatBooked](reg, "")
	codec := given.Codec[any](reg)

	ev, err := codec.Encode(SeatBooked{ShowID: "s1", Seat: "A7"})
	fmt.Println(ev.Type, string(ev.Data), ev.Tags, err)
	back, err := codec.Decode(es.Recorded{Event: ev})
	fmt.Printf("%+v %v\n", back, err)
	// Output:
	// SeatBooked {"showId":"s1","seat":"A7"} [show:s1] <nil>
	// {ShowID:s1 Seat:A7} <nil>
}

// Expect compares a field with a table cell parsed in the field's type.
func ExampleExpect() {
	type State struct {
		Status string `json:"status"`
		Items  int    `json:"items"`
	}
	s := State{Status: "draft", Items: 2}
	fmt.Println(given.Expect(s, "items", "2"))
	fmt.Println(given.Expect(s, "status", "submitted"))
	// Output:
	// <nil>
	// EXPECTATION_FAILED: status: expected "submitted", got "draft"
}
