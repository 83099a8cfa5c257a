package fsm_test

import (
	"fmt"

	"github.com/eventspec/eventspec/es"
	"github.com/eventspec/eventspec/platform/fsm"
)

type OrderStatus string

func Example() {
	lifecycle := fsm.Define[OrderStatus]("draft", map[OrderStatus][]OrderStatus{
		"draft":     {"submitted", "cancelled"},
		"submitted": {"confirmed", "cancelled"},
		"confirmed": {},
		"cancelled": {},
	})
	if err := lifecycle.Validate(); err != nil {
		panic(err)
	}
	fmt.Println(lifecycle.Can("draft", "submitted"))
	fmt.Println(lifecycle.Valid("submitted"))
	fmt.Println(lifecycle.IsTerminal("confirmed"))

	err := lifecycle.Assert("confirmed", "draft")
	fmt.Println(es.CodeOf(err))
	fmt.Println(err)
	// Output:
	// true
	// [confirmed cancelled]
	// true
	// FSM_INVALID_TRANSITION
	// Invalid transition from "confirmed" to "draft". Valid transitions: (none - terminal state)
}

func ExampleFSM_Transitions() {
	f := fsm.Define[OrderStatus]("draft", map[OrderStatus][]OrderStatus{
		"draft":     {"submitted", "cancelled"},
		"submitted": {"confirmed", "cancelled"},
		"confirmed": {},
		"cancelled": {},
	})
	for _, tr := range f.Transitions() {
		fmt.Println(tr.From, "->", tr.To)
	}
	fmt.Println("terminal:", f.TerminalStates())
	// Output:
	// draft -> submitted
	// draft -> cancelled
	// submitted -> confirmed
	// submitted -> cancelled
	// terminal: [cancelled confirmed]
}
